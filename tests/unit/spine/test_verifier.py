"""The store verifier (``shared.integrity``) as an auditor reads its report: each problem names the
check, the stream, the event and its position, and for seals which seal (head, time); it checks
with the key ring it is given, not whatever key the process has; an upgrade seal must match the
plain-hash history in every figure; a seal added after the log was read is still checked.

The log here is a list of envelopes (the verifier reads a store only through ``read_all``), so each
edit is exactly the one named, with hashes made under a key the test process does not hold."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from shared.events import GENESIS_HASH, Envelope, event_hash, legacy_hash
from shared.integrity import StoreVerifier, legacy_line, needs_upgrade, sign_seal, upgrade, verify_stores
from shared.keys import Key, Keyring

KEY = Key("audit1", bytes(range(32)))
RING = Keyring([KEY])
AT = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.timezone.utc)


class Log:
    """A store: envelopes in position order, read the way the verifier reads one."""

    url = "memory://members"

    def __init__(self, gapless=True):
        self.positions_gapless = gapless
        self.events: list[Envelope] = []
        self.appended = []

    def read_all(self, from_position=1, limit=None):
        out = [e for e in self.events if e.position >= from_position]
        return out[:limit] if limit is not None else out

    def head_position(self):
        return max((e.position for e in self.events), default=0)

    def append(self, stream, events, expected):
        self.appended.append((stream, events, expected))
        return [Envelope(**{**fields(stream, 0, self.head_position() + 1, GENESIS_HASH), "hash": "x",
                            "event_id": e.event_id, "type": e.type, "data": e.data, "actor": e.actor})
                for e in events]


def fields(stream, version, position, prev, **extra):
    return {"event_id": f"{stream}@{version}", "type": "member.rated", "schema_version": 1, "stream": stream,
            "stream_version": version, "position": position, "occurred_on": dt.date(2024, 3, 1),
            "recorded_at": AT, "org_unit_id": "U1", "actor": "cb-1", "correlation_id": None,
            "causation_id": None, "data": {"rating": "good"}, "prev_hash": prev, **extra}


def write(log: Log, streams: list[str], plain=False, positional=True, **extra) -> Log:
    """Append one event to each named stream in turn, chained and hashed as a store does."""
    last = {}
    for e in log.events:
        last[e.stream] = (e.stream_version, e.hash)
    for stream in streams:
        version, prev = last.get(stream, (-1, GENESIS_HASH))
        position = log.head_position() + 1
        f = fields(stream, version + 1, position if positional else None, prev, **extra)
        h = legacy_hash(f) if plain else event_hash(f, KEY)
        env = Envelope(**{**f, "position": position, "hash": h})
        log.events.append(env)
        last[stream] = (env.stream_version, env.hash)
    return log


def verified(log, seals=(), ring=RING) -> StoreVerifier:
    v = StoreVerifier("members", log, ring, seals)
    v.advance()
    return v


def only_problem(v: StoreVerifier) -> dict:
    problems = v.broken_streams() + v.store_problems()
    assert len(problems) == 1, problems
    return problems[0]


# -- keys ------------------------------------------------------------------------------------

def test_the_verifier_checks_with_the_ring_it_is_given():
    log = write(Log(), ["member-A", "member-B"])
    assert verified(log).ok                                      # the auditor's key file
    other = verified(log, ring=Keyring([Key("other", bytes(32))]))
    assert [(p["check"], p["stream"]) for p in other.broken_streams()] == [("unknown_key", "member-A"),
                                                                          ("unknown_key", "member-B")]
    report = verify_stores({"members": log}, ring=RING)
    assert report["ok"] and report["sources"][0]["events"] == 2


def test_a_sql_store_event_hashed_without_its_position_is_named():
    log = write(Log(), ["member-A"], positional=False)
    assert only_problem(verified(log))["check"] == "unpositioned"
    kurrent = write(Log(gapless=False), ["member-A"], positional=False)  # KurrentDB: allowed
    assert verified(kurrent).ok


# -- positions -------------------------------------------------------------------------------

def test_a_repeated_position_is_named_in_a_log_with_gaps():
    log = write(Log(gapless=False), ["member-A", "member-B"])
    dup = log.events[1]
    log.events[1] = Envelope(**{**dup.model_dump(), "position": 1})   # same position as the first event
    p = only_problem(verified(log))
    assert (p["check"], p["stream"], p["position"], p["event_id"]) == ("position", "member-B", 1, "member-B@0")


def test_a_position_going_backwards_is_named_in_a_log_with_gaps():
    log = write(Log(gapless=False), ["member-A", "member-B", "member-C"])
    log.events[2] = Envelope(**{**log.events[2].model_dump(), "position": 1})
    p = only_problem(verified(log))
    assert (p["check"], p["stream"]) == ("position", "member-C")


# -- plain hashes and the upgrade ------------------------------------------------------------

def test_a_plain_hash_after_a_keyed_one_is_refused_even_when_chained():
    log = write(Log(), ["member-A"])
    write(log, ["member-A"], plain=True)
    log.events[-1] = Envelope(**{**log.events[-1].model_dump()})
    v = verified(log)
    assert [(p["check"], p["stream_version"]) for p in v.broken_streams()] == [("unkeyed", 1)]


def test_a_store_never_upgraded_names_each_plain_stream_and_the_count():
    log = write(Log(), ["member-A", "member-B", "member-A"], plain=True)
    v = verified(log)
    assert [(p["check"], p["stream"], p["position"]) for p in v.broken_streams()] == [
        ("unkeyed", "member-A", 1), ("unkeyed", "member-B", 2)]
    assert [(p["check"], p["legacy_events"]) for p in v.store_problems()] == [("not_upgraded", 3)]


def test_an_edited_plain_event_is_named_as_edited_not_only_as_plain():
    log = write(Log(), ["member-A"], plain=True)
    log.events[0] = Envelope(**{**log.events[0].model_dump(), "actor": "someone-else"})
    assert [p["check"] for p in verified(log).broken_streams()] == ["hash"]


def upgraded_log(**wrong) -> Log:
    log = write(Log(), ["member-A", "member-B", "member-A"], plain=True)
    v = verified(log)
    data = {"legacy_head_position": 3, "legacy_event_count": 3, "legacy_last_hash": log.events[-1].hash,
            "legacy_digest": v._legacy_digest.hexdigest(), **wrong}
    write(log, ["integrity"], type="integrity.upgraded", data=data)
    return log


def test_the_upgrade_seal_fixes_the_plain_history():
    assert verified(upgraded_log()).ok


@pytest.mark.parametrize("wrong", [{"legacy_head_position": 2}, {"legacy_event_count": 2},
                                   {"legacy_last_hash": "0" * 64}, {"legacy_digest": "0" * 64}])
def test_an_upgrade_seal_differing_in_any_figure_is_named(wrong):
    p = only_problem(verified(upgraded_log(**wrong)))
    assert (p["check"], p["stream"], p["type"], p["position"]) == ("upgrade_mismatch", "integrity",
                                                                    "integrity.upgraded", 4)


def test_the_digest_covers_each_plain_events_position_stream_version_and_hash():
    env = write(Log(), ["member-A"], plain=True).events[0]
    assert legacy_line(env) == f'[1,"member-A",0,"{env.hash}"]\n'.encode()


def test_upgrade_appends_one_system_event_named_by_the_history_it_seals():
    log = write(Log(), ["member-A", "member-B"], plain=True)
    assert needs_upgrade(log)
    upgrade(log, "members", RING)
    (stream, [event], _), = log.appended
    assert (stream, event.type, event.actor) == ("integrity", "integrity.upgraded", "system:integrity")
    assert event.data["legacy_head_position"] == 2 and event.data["key_id"] == "audit1"
    again = write(Log(), ["member-A", "member-B"], plain=True)
    upgrade(again, "members", RING)
    assert again.appended[0][1][0].event_id == event.event_id       # a retried upgrade: the same event
    other = write(Log(), ["member-A", "member-C"], plain=True)
    upgrade(other, "members", RING)
    assert other.appended[0][1][0].event_id != event.event_id


def test_only_a_store_whose_newest_event_is_plain_needs_the_upgrade():
    assert not needs_upgrade(Log())
    assert needs_upgrade(write(Log(), ["member-A"], plain=True))
    assert not needs_upgrade(write(write(Log(), ["member-A"], plain=True), ["member-A"]))


def test_a_broken_plain_history_is_refused_naming_where():
    log = write(Log(), ["member-A", "member-B"], plain=True)
    log.events[1] = Envelope(**{**log.events[1].model_dump(), "actor": "x"})
    with pytest.raises(ValueError, match=r"members: history broken before the upgrade: hash at member-B@0"):
        upgrade(log, "members", RING)
    assert log.appended == []


# -- seals -----------------------------------------------------------------------------------

def seal_of(log, head, count, last_hash, sealed_at="2024-03-02T00:00:00Z"):
    seal = sign_seal("members", log, head, count, last_hash, RING)
    seal["sealed_at"] = sealed_at
    from shared.integrity import _signature
    seal["signature"] = _signature(seal, KEY.secret)
    return seal


def test_a_sealed_position_holding_another_event_names_it_and_the_seal():
    log = write(Log(), ["member-A", "member-B", "member-C"])
    seal = seal_of(log, 2, 2, "f" * 64)
    p = only_problem(verified(log, [seal]))
    assert (p["check"], p["stream"], p["position"], p["seal_head"], p["sealed_at"]) == (
        "seal_mismatch", "member-B", 2, 2, "2024-03-02T00:00:00Z")


def test_a_log_shorter_than_its_seal_names_the_seal_and_where_the_log_ends():
    log = write(Log(), ["member-A", "member-B", "member-C"])
    seal = seal_of(log, 3, 3, log.events[2].hash)
    log.events.pop()
    p = only_problem(verified(log, [seal]))
    assert (p["check"], p["seal_head"], p["head_position"], p["sealed_at"]) == (
        "seal_truncated", 3, 2, "2024-03-02T00:00:00Z")


def test_a_seal_added_after_the_log_was_read_is_checked_against_the_log():
    log = write(Log(), ["member-A", "member-B", "member-C"])
    v = verified(log)
    v.add_seals([seal_of(log, 2, 2, log.events[1].hash), seal_of(log, 0, 0, "0" * 64)])
    assert v.ok
    v.add_seals([seal_of(log, 2, 2, log.events[0].hash, sealed_at="2024-03-03T00:00:00Z")])
    p = only_problem(v)
    assert (p["check"], p["position"], p["seal_head"], p["sealed_at"]) == ("seal_mismatch", 2, 2,
                                                                          "2024-03-03T00:00:00Z")


@pytest.mark.parametrize("head, count", [(2, 1), (2, 0), (4, 4)])
def test_a_late_seal_with_another_count_or_a_head_past_the_log_is_a_mismatch(head, count):
    log = write(Log(), ["member-A", "member-B", "member-C", "member-D"])
    v = verified(log)
    log.events.pop()  # the head a late seal names is gone
    v.add_seals([seal_of(log, head, count, v.last_hash if head == 4 else log.events[1].hash)])
    assert only_problem(v)["check"] == "seal_mismatch"


def test_a_seal_with_its_signature_removed_is_forged():
    log = write(Log(), ["member-A"])
    seal = seal_of(log, 1, 1, log.events[0].hash)
    del seal["signature"]
    assert only_problem(verified(log, [seal]))["check"] == "seal_forged"
    unknown = {**seal_of(log, 1, 1, log.events[0].hash), "key_id": "gone"}
    assert only_problem(verified(log, [unknown]))["check"] == "seal_unknown_key"


def test_a_plain_hash_event_slipped_in_after_the_upgrade_is_refused():
    """After the upgrade seal, nobody without the key may add events: a plain sha-256 is not enough."""
    log = upgraded_log()
    write(log, ["member-B"], plain=True)
    assert [(p["check"], p["stream"], p["position"]) for p in verified(log).broken_streams()] == [
        ("unkeyed", "member-B", 5)]


def test_a_store_that_does_not_say_its_positions_are_gapless_may_have_gaps():
    class Kurrent(Log):
        def __init__(self):
            super().__init__()
            del self.positions_gapless
    log = write(Kurrent(), ["member-A"], positional=False)
    log.events.append(Envelope(**{**fields("member-A", 1, None, log.events[0].hash), "position": 7,
                                  "hash": event_hash(fields("member-A", 1, None, log.events[0].hash), KEY)}))
    assert verified(log).ok


def test_a_forged_seal_is_named_and_the_other_seals_are_still_checked_in_head_order():
    log = write(Log(), ["member-A", "member-B", "member-C"])
    forged = {**seal_of(log, 1, 1, log.events[0].hash), "event_count": 5}
    late = seal_of(log, 3, 3, "f" * 64, sealed_at="2024-03-04T00:00:00Z")
    early = seal_of(log, 2, 2, log.events[1].hash)
    v = verified(log, [forged, late, early])
    assert [(p["check"], p["seal_head"], p["sealed_at"]) for p in v.store_problems()] == [
        ("seal_forged", 1, "2024-03-02T00:00:00Z"), ("seal_mismatch", 3, "2024-03-04T00:00:00Z")]


def test_several_stores_are_ok_only_when_each_is(tmp_path):
    good = write(Log(), ["member-A"])
    bad = write(Log(), ["member-A"])
    bad.events[0] = Envelope(**{**bad.events[0].model_dump(), "actor": "x"})
    out = verify_stores({"members": good, "discipline": bad}, ring=RING)
    assert not out["ok"] and [(r["source"], r["ok"]) for r in out["sources"]] == [("members", True),
                                                                                    ("discipline", False)]
    assert verify_stores({"members": good, "other": write(Log(), ["x"])}, ring=RING)["ok"]
    assert dt.datetime.strptime(out["checked_at"], "%Y-%m-%dT%H:%M:%SZ")


def test_a_seal_of_another_store_of_the_same_source_is_named_not_passed_over(tmp_path):
    """The same source name, another store (another first event): its seal is not this store's,
    and verification says so loudly instead of ignoring it (the old code matched seals by URL and
    dropped every seal naming another URL without a word)."""
    from shared.integrity import SealBook
    book = SealBook(tmp_path / "seals")
    here, there = write(Log(), ["member-A"]), write(Log(), ["member-X", "member-B"])
    there.url = "memory://elsewhere"
    book.add(seal_of(there, 2, 2, there.events[1].hash))
    report = verify_stores({"members": here}, ring=RING, book=book)["sources"][0]
    assert not report["ok"] and (report["seals_checked"], report["seals_foreign"]) == (0, 1)
    [p] = report["problems"]
    assert (p["check"], p["seal_head"], p["seal_store"], p["seal_first_hash"], p["first_hash"]) == (
        "seal_foreign", 2, "memory://elsewhere", there.events[0].hash, here.events[0].hash)
    assert "kho khác" in p["message_vi"] and "another store" in p["message_en"]
    there_report = verify_stores({"members": there}, ring=RING, book=book)["sources"][0]
    assert there_report["ok"] and there_report["seals_checked"] == 1 and there_report["seals_foreign"] == 0


def test_a_seal_is_matched_by_the_store_identity_whatever_url_the_store_has_now(tmp_path):
    """The store file moved (or the host renamed, the DSN spelled otherwise): its seals are still
    its own, so deleting its newest events is still caught."""
    from shared.integrity import SealBook
    book = SealBook(tmp_path / "seals")
    log = write(Log(), ["member-A", "member-B", "member-C"])
    book.add(verified(log).seal())
    log.url = "memory://moved/to/another/place"
    report = verify_stores({"members": log}, ring=RING, book=book)["sources"][0]
    assert report["ok"] and report["seals_checked"] == 1 and report["sealed_head"] == 3
    assert report["identity"] == log.events[0].hash
    log.events.pop()
    report = verify_stores({"members": log}, ring=RING, book=book)["sources"][0]
    assert not report["ok"] and [p["check"] for p in report["problems"]] == ["seal_truncated"]


def test_a_seal_of_a_store_first_event_changed_is_named_foreign_and_the_event_as_edited():
    log = write(Log(), ["member-A", "member-B"])
    seal = verified(log).seal()
    first = log.events[0]
    other = first.hash[:-1] + ("0" if first.hash[-1] != "0" else "1")  # the first event's hash changed
    log.events[0] = Envelope(**{**first.model_dump(), "hash": other})
    v = verified(log, [seal])
    assert {p["check"] for p in v.store_problems()} == {"seal_foreign"}
    assert v.broken_streams()[0]["stream"] == "member-A"


def test_the_identity_is_signed_and_a_seal_made_before_it_still_verifies():
    from shared.integrity import _signature
    log = write(Log(), ["member-A", "member-B"])
    seal = verified(log).seal()
    assert seal["first_hash"] == log.events[0].hash
    for forged in ({**seal, "first_hash": "f" * 64}, {k: v for k, v in seal.items() if k != "first_hash"}):
        assert only_problem(verified(log, [forged]))["check"] == "seal_forged"
    old = {k: v for k, v in seal.items() if k not in ("first_hash", "signature")}
    old["store"] = "memory://another-spelling"       # and the store's URL has changed since
    old["signature"] = _signature(old, KEY.secret)   # a seal written before identities: no first_hash
    v = verified(log, [old])
    assert v.ok and v.report()["seals_checked"] == 1
    log.events.pop()
    assert only_problem(verified(log, [old]))["check"] == "seal_truncated"
    assert "first_hash" not in verified(Log()).seal()   # an empty store has no identity to name


def test_a_seal_whose_source_has_no_store_is_named_and_fails_the_verification(tmp_path):
    from shared.integrity import SealBook
    log = write(Log(), ["member-A"])
    seal = {**verified(log).seal(), "source": "meetings"}
    out = verify_stores({"members": log}, ring=RING, seals=[seal])
    assert not out["ok"] and out["sources"][0]["ok"]
    [p] = out["problems"]
    assert (p["check"], p["seal_source"], p["seals"]) == ("seal_no_store", "meetings", 1)
    assert "không có kho" in p["message_vi"] and "no store" in p["message_en"]
    book = SealBook(tmp_path / "seals")
    book.add(seal_of(log, 1, 1, log.events[0].hash))
    book.add({**seal, "source": "discipline"})
    out = verify_stores({"members": log}, ring=RING, book=book)
    assert not out["ok"] and [(p["seal_source"], p["seals"]) for p in out["problems"]] == [("discipline", 1)]
    assert verify_stores({"members": log}, ring=RING, book=book, seals=[])["problems"][0]["check"] == "seal_no_store"
    both = verify_stores({"members": log, "discipline": write(Log(), ["member-A"])}, ring=RING, book=book)
    assert both["problems"] == [] and both["sources"][0]["ok"]  # its seals now go to its store (forged there)


def test_newest_events_deleted_between_two_advances_are_named():
    """The integrity watch checks only new events each round: events deleted (or changed) at the
    head after they were verified must not pass unnoticed until the next whole verification."""
    log = write(Log(), ["member-A", "member-B", "member-C"])
    v = verified(log)
    assert v.ok
    log.events.pop()
    assert v.advance() == 0
    p = only_problem(v)
    assert (p["check"], p["verified_head"], p["verified_hash"]) == ("head_changed", 3, v.last_hash)
    assert "xóa" in p["message_vi"] and "deleted" in p["message_en"]
    v.advance()
    assert len(v.store_problems()) == 1   # named once
    changed = write(Log(), ["member-A", "member-B"])
    v = verified(changed)
    changed.events[1] = Envelope(**{**changed.events[1].model_dump(), "hash": "e" * 64})
    v.advance()
    p = only_problem(v)
    assert (p["check"], p["position"], p["stream"]) == ("head_changed", 2, "member-B")


def test_an_upgrade_event_in_a_store_that_never_had_plain_hashes_is_a_mismatch():
    log = write(Log(), ["member-A"])
    write(log, ["integrity"], type="integrity.upgraded", data={"legacy_head_position": 0, "legacy_event_count": 0})
    p = only_problem(verified(log))
    assert (p["check"], p["position"]) == ("upgrade_mismatch", 2)


def test_an_empty_store_reports_no_head_and_seals_the_genesis():
    v = verified(Log())
    report = v.report()
    assert (report["ok"], report["events"], report["head_position"], report["last_hash"]) == (True, 0, 0, None)
    seal = v.seal()
    assert (seal["head_position"], seal["event_count"], seal["last_hash"]) == (0, 0, GENESIS_HASH)


# -- seal files, store names, the report -----------------------------------------------------

def test_a_seal_names_its_store_without_credentials():
    from shared.integrity import store_id

    class At:
        def __init__(self, url):
            self.url = url
    assert store_id(At("postgresql://dv:s3cret@db.local:5433/members?schema=x")) == \
        "postgresql://db.local:5433/members?schema=x"
    assert store_id(At("postgresql://dv@db.local/members")) == "postgresql://db.local/members"
    assert store_id(At("sqlite:///data/members.db")) == "sqlite:///data/members.db"
    assert store_id(At("postgresql://dv:pw@/members?host=/run/pg")) == "postgresql:/members?host=/run/pg"
    assert store_id(At(None)) == "" and store_id(object()) == ""
    assert "s3cret" not in json.dumps(seal_of(At("postgresql://dv:s3cret@db/m"), 0, 0, GENESIS_HASH))


def test_seals_are_read_from_a_seal_file_an_exported_bundle_or_a_list():
    from shared.integrity import parse_seals
    a = {"kind": "dangvien.seal", "source": "members", "head_position": 1}
    b = {"kind": "dangvien.seal", "source": "members", "head_position": 2}
    lines = json.dumps(a) + "\n" + json.dumps(b) + "\n"
    assert parse_seals(lines) == [a, b]
    assert parse_seals(json.dumps(a)) == [a]                                  # one line, one seal
    assert parse_seals(json.dumps({"seals": [a, b]})) == [a, b]               # a bundle on one line
    assert parse_seals(json.dumps({"seals": [a, b]}, indent=1)) == [a, b]     # a bundle, pretty
    assert parse_seals(json.dumps([a, b], indent=1)) == [a, b]
    assert parse_seals(json.dumps([a, b])) == [a, b]
    assert parse_seals("") == []
    # a single seal pretty-printed (a copy an auditor kept by hand) is a seal, not nothing
    assert parse_seals(json.dumps(a, indent=1)) == [a]


def test_a_seal_book_keeps_one_line_per_seal_in_a_private_folder(tmp_path):
    import os
    import stat
    from shared.integrity import SealBook
    log = write(Log(), ["member-A"])
    book = SealBook(tmp_path / "outside" / "seals")
    seal = seal_of(log, 1, 1, log.events[0].hash)
    book.add(seal)
    book.add(seal)
    assert stat.S_IMODE(os.stat(tmp_path / "outside" / "seals").st_mode) == 0o700
    lines = book.path("members").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [seal, seal]
    assert lines[0] == json.dumps(seal, sort_keys=True, ensure_ascii=False)
    assert book.load("members") == [seal, seal] and book.load("other") == []
    with open(book.path("members"), "a", encoding="utf-8") as f:  # a garbled line, a foreign kind
        f.write('{"kind": "dangvien.se\n[1]\n')
    marks = [{"unreadable": n, "where": "line", "file": "members.seals.jsonl"} for n in (3, 4)]
    assert book.load("members") == [*marks, seal, seal]
    problems = verify_stores({"members": log}, RING, book=book)["sources"][0]["problems"]
    assert [(p["check"], p["line"]) for p in problems] == [("seal_unreadable", 3), ("seal_unreadable", 4)]
    assert problems[0]["message_en"].startswith("Line 3 of members.seals.jsonl is not a seal")


def test_the_report_names_what_was_verified():
    log = write(Log(), ["member-A", "member-B", "member-A"])
    report = verified(log, [seal_of(log, 2, 2, log.events[1].hash)]).report()
    assert {k: report[k] for k in ("source", "store", "streams", "events", "head_position", "last_hash",
                                   "seals_checked", "sealed_head", "legacy_events", "ok")} == {
        "source": "members", "store": "memory://members", "streams": 2, "events": 3, "head_position": 3,
        "last_hash": log.events[2].hash, "seals_checked": 1, "sealed_head": 2, "legacy_events": 0, "ok": True}


def test_advance_checks_only_the_new_events_and_reports_progress_every_2000():
    log = write(Log(), ["member-A"] * 3)
    v = StoreVerifier("members", log, RING)
    assert v.advance(limit=2) == 2 and v.position == 2
    assert v.advance() == 1 and v.count == 3
    write(log, ["member-A"] * 4000)
    seen, pauses = [], []
    assert v.advance(progress=seen.append, pause=lambda: pauses.append(1)) == 4000
    assert seen == [2003, 4003] and len(pauses) == 2 and v.ok


def test_a_seal_says_what_it_is_when_and_under_which_key():
    from shared import keys
    log = write(Log(), ["member-A"])
    seal = sign_seal("members", log, 1, 1, log.events[0].hash)       # the process's own key
    assert (seal["kind"], seal["key_id"]) == ("dangvien.seal", keys.keyring().current.id)
    assert dt.datetime.strptime(seal["sealed_at"], "%Y-%m-%dT%H:%M:%SZ")
    v = verified(log)
    other = Keyring([Key("audit2", bytes(range(2, 34)))])
    assert v.seal(other)["key_id"] == "audit2" and v.seal()["key_id"] == "audit1"


def test_a_refused_upgrade_names_the_store_and_every_problem():
    log = write(Log(), ["member-A", "member-B"], plain=True)
    for i in (0, 1):
        log.events[i] = Envelope(**{**log.events[i].model_dump(), "actor": "x"})
    with pytest.raises(ValueError) as refused:
        upgrade(log, ring=RING)
    assert str(refused.value) == ("memory://members: history broken before the upgrade: "
                                  "hash at member-A@0; hash at member-B@0")


# -- what mutation testing showed untested in the identity and the orphan seals ----------------

def test_a_seal_made_before_identities_keeps_the_signature_it_was_made_with():
    """The signature of a seal without ``first_hash`` covers exactly the fields seals had then
    (computed here by hand, not by the code under test)."""
    import hashlib
    import hmac
    from shared.events import canonical_json
    from shared.integrity import SEAL_FIELDS
    log = write(Log(), ["member-A"])
    old = {k: v for k, v in verified(log).seal().items() if k not in ("first_hash", "signature")}
    body = canonical_json({k: old.get(k) for k in SEAL_FIELDS}).encode("utf-8")
    old["signature"] = hmac.new(KEY.secret, body, hashlib.sha256).hexdigest()
    v = verified(log, [old])
    assert v.ok and v.report()["seals_checked"] == 1


def test_a_seal_at_head_one_names_the_store_and_its_identity():
    log = write(Log(), ["member-A"])
    seal = verified(log).seal()
    assert (seal["head_position"], seal["first_hash"], seal["store"]) == (1, log.events[0].hash, "memory://members")
    assert sign_seal("members", log, 1, 1, log.events[0].hash, RING)["first_hash"] == log.events[0].hash


def test_a_foreign_seal_added_after_the_log_was_read_is_named_with_its_time():
    log = write(Log(), ["member-A", "member-B"])
    other = write(Log(), ["member-X", "member-Y"])
    v = verified(log)
    v.add_seals([seal_of(other, 2, 2, other.events[1].hash, sealed_at="2024-03-05T00:00:00Z")])
    p = only_problem(v)
    assert (p["check"], p["seal_head"], p["sealed_at"], p["seal_first_hash"], p["first_hash"]) == (
        "seal_foreign", 2, "2024-03-05T00:00:00Z", other.events[0].hash, log.events[0].hash)
    assert v.report()["seals_foreign"] == 1


def test_a_foreign_seal_past_the_head_does_not_hide_a_truncation_seal_after_it():
    log = write(Log(), ["member-A", "member-B"])
    other = write(Log(), ["member-X", "member-Y", "member-Z"])
    mine = write(Log(), ["member-A", "member-B", "member-C", "member-D"])  # the same first event as log
    foreign = seal_of(other, 3, 3, other.events[2].hash)
    truncated = seal_of(mine, 4, 4, mine.events[3].hash, sealed_at="2024-03-06T00:00:00Z")
    problems = verified(log, [foreign, truncated]).store_problems()
    assert [(p["check"], p["seal_head"], p["sealed_at"]) for p in problems] == [
        ("seal_foreign", 3, "2024-03-02T00:00:00Z"), ("seal_truncated", 4, "2024-03-06T00:00:00Z")]


def test_seals_without_a_store_are_counted_per_source_from_the_copy_and_the_folder(tmp_path):
    from shared.integrity import SealBook
    log = write(Log(), ["member-A"])
    own = verified(log).seal()
    stray = {**own, "source": "meetings"}
    out = verify_stores({"members": log}, ring=RING, seals=[own, stray, stray, "not a seal"])
    assert set(out) == {"ok", "sources", "problems", "checked_at"}
    unreadable, orphans = out["problems"][0], out["problems"][1:]
    assert (unreadable["check"], unreadable["entry"]) == ("seal_unreadable", 4)  # named, not skipped
    assert [(p["seal_source"], p["seals"]) for p in orphans] == [("meetings", 2)]
    assert out["sources"][0]["seals_checked"] == 1
    book = SealBook(tmp_path / "seals")
    book.add(stray)
    out = verify_stores({"members": log}, ring=RING, seals=[stray], book=book)
    assert [(p["seal_source"], p["seals"]) for p in out["problems"]] == [("meetings", 2)]
    assert verify_stores({"members": log}, ring=RING, seals=[own])["problems"] == []


@pytest.mark.parametrize("bad", ["42", "[1, 2]", '"seal"', "null", "true", '{"source": "members"}',
                                 '{"kind": "other", "source": "members"}', "{not json", "niêm phong"])
def test_a_line_of_an_external_seal_copy_that_is_not_a_seal_fails_verification_naming_the_line(bad):
    """An external copy is what an auditor trusts when the local seals cannot be: a line in it
    that is no seal (a number, a list, an object of another kind, garbage) was skipped in silence
    (or stopped the CLI with a parser's English message) and the copy passed as clean."""
    from shared.integrity import parse_seals
    log = write(Log(), ["member-A", "member-B"])
    good = seal_of(log, 2, 2, log.events[-1].hash)
    text = json.dumps(good) + "\n\n" + bad + "\n" + json.dumps(good) + "\n"
    out = verify_stores({"members": log}, RING, seals=parse_seals(text, "seals-2026-11-30.jsonl"))
    assert out["ok"] is False
    assert out["sources"][0]["ok"] and out["sources"][0]["seals_checked"] == 2  # the real seals still count
    [p] = out["problems"]
    assert parse_seals(text, "copy.jsonl") == [good, {"unreadable": 3, "where": "line", "file": "copy.jsonl"}, good]
    assert (p["check"], p["line"], p["file"]) == ("seal_unreadable", 3, "seals-2026-11-30.jsonl")
    assert "Dòng 3" in p["message_vi"] and "seals-2026-11-30.jsonl" in p["message_vi"]
    assert "Line 3" in p["message_en"] and "seals-2026-11-30.jsonl" in p["message_en"]


def test_an_entry_of_an_exported_bundle_that_is_not_a_seal_fails_verification_naming_it():
    from shared.integrity import parse_seals
    log = write(Log(), ["member-A"])
    good = seal_of(log, 1, 1, log.events[-1].hash)
    for text in (json.dumps({"seals": [good, 7, good]}), json.dumps({"seals": [good, [good], good]}, indent=1),
                 json.dumps([good, "x", good], indent=1)):
        out = verify_stores({"members": log}, RING, seals=parse_seals(text, "copy.json"))
        assert out["ok"] is False and out["sources"][0]["seals_checked"] == 2, text
        [p] = out["problems"]
        assert (p["check"], p["entry"], p["file"]) == ("seal_unreadable", 2, "copy.json"), text
        assert p["message_vi"].startswith("Mục 2 của tệp copy.json không phải một dấu niêm phong")
        assert p["message_en"].startswith("Entry 2 of copy.json is not a seal")
    # given directly (a program, the API), an entry that is no seal is named too, never skipped
    for garbage in ("garbage", {"source": "members", "head_position": 1}):
        out = verify_stores({"members": log}, RING, seals=[good, garbage])
        assert out["ok"] is False and [(p["check"], p["entry"]) for p in out["problems"]] == [("seal_unreadable", 2)]
        [p] = out["problems"]
        assert p["message_vi"].startswith("Mục 2 không phải một dấu niêm phong. ")  # no file to name
        assert p["message_en"].startswith("Entry 2 is not a seal. ")


def test_a_seal_copy_saved_with_a_byte_order_mark_is_read_whole():
    """Notepad and Excel start a UTF-8 file with a byte order mark: the copy is still read."""
    from shared.integrity import parse_seals
    log = write(Log(), ["member-A"])
    good = seal_of(log, 1, 1, log.events[-1].hash)
    for text in ("\ufeff" + json.dumps({"seals": [good]}), "\ufeff" + json.dumps(good) + "\n" + json.dumps(good)):
        assert parse_seals(text) == [good] * text.count('"signature"'), text
    assert parse_seals("\ufeff\n\n") == [] and parse_seals("") == []
    # only the mark is taken off: a line with anything else before the seal is not one
    assert parse_seals("X" + json.dumps(good)) == [{"unreadable": 1, "where": "line", "file": None}]


class KurrentLike(Log):
    """A store that can show the records of its streams that are not ours (``reads_foreign``)."""

    reads_foreign = True

    def __init__(self):
        super().__init__(gapless=False)
        self.foreign: list[Envelope] = []

    def read_all(self, from_position=1, limit=None, foreign=False):
        out = sorted([e for e in self.events + (self.foreign if foreign else []) if e.position >= from_position],
                     key=lambda e: e.position)
        return out[:limit] if limit is not None else out


def foreign_after(log: KurrentLike, stream: str) -> Envelope:
    from shared.integrity import FOREIGN_HASH
    version = max(e.stream_version for e in log.events if e.stream == stream) + 1
    env = Envelope(**{**fields(stream, version, log.head_position() + 10, ""), "event_id": "x-1",
                      "type": "member.died", "hash": FOREIGN_HASH, "prev_hash": ""})
    log.foreign.append(env)
    return env


def test_a_record_without_our_envelope_in_a_stream_is_named_not_passed_over():
    """KurrentDB passes over records of the log's streams that carry no dangvien envelope: the
    verifier asks for them (``reads_foreign``) and names each (``foreign``); the store stayed
    'intact' before. Read again as the head (the watch's next round) it is no ``head_changed``."""
    log = write(KurrentLike(), ["member-A", "member-B"], positional=False)
    log.events = [Envelope(**{**e.model_dump(), "position": e.position * 10}) for e in log.events]
    assert verified(log).ok
    env = foreign_after(log, "member-A")
    v = verified(log)
    assert not v.ok
    bad = only_problem(v)
    assert (bad["check"], bad["stream"], bad["stream_version"], bad["position"]) == ("foreign", "member-A", 1,
                                                                                       env.position)
    assert "phong bì dangvien" in bad["message_vi"] and "no dangvien envelope" in bad["message_en"]
    assert v.report()["events"] == 3 and v.position == env.position
    assert v.advance() == 0 and only_problem(v)["check"] == "foreign"  # the head read again: the same record
    # what the watch keeps in memory is a seal of the head it verified, here that record: checked
    # against it again (not read as gone, a false seal_mismatch)
    again = verified(log)
    again.add_seals([v.seal()])
    assert again.store_problems() == [] and [p["check"] for p in again.broken_streams()] == ["foreign"]
    # a seal taken before it still holds; the record after the sealed head is named all the same
    log.foreign.clear()
    seal = verified(log).seal()
    log.foreign.append(env)
    v = verified(log, [seal])
    assert [p["check"] for p in v.broken_streams()] == ["foreign"] and v.store_problems() == []


class Outage(Log):
    """A store that fails while its log is read and cannot show its rows undecoded (no
    ``read_rows``, as KurrentDB): nothing there can be named unreadable."""

    def read_all(self, from_position=1, limit=None):
        for env in super().read_all(from_position, limit):
            if env.position == 2:
                raise ConnectionError("the store went away at position 2")
            yield env


def test_a_store_failing_while_read_is_reported_with_its_own_error_not_named_unreadable():
    """An outage is not tampering: the verification stops with the store's own error (what the
    watch reports as 'could not be verified'), never a guess about a row it could not read."""
    log = write(Outage(), ["member-A", "member-B", "member-C"])
    with pytest.raises(ConnectionError, match="went away at position 2"):
        verify_stores({"members": log}, RING)
