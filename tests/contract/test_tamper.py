"""The tamper suite (issue 12): each edit an insider with database access can make to a real
SQLite or PostgreSQL store (KurrentDB where KURRENTDB_URL is set) is detected by the verifier,
naming the stream, the event and the failed check; the untouched store verifies intact.

Seals are taken the way a running process takes them (after a clean verification), kept outside
the store, and every verification checks the log against them.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid

import psycopg
import pytest

from shared import keys
from shared.events import GENESIS_HASH, NewEvent, canonical_json, event_hash, legacy_hash
from shared.integrity import SealBook, StoreVerifier, upgrade, verify_stores

D = dt.date(2024, 3, 1)


def ev(type_: str, **data) -> NewEvent:
    return NewEvent(type=type_, data=data, occurred_on=D, actor="cb-1", org_unit_id="U1")


def fill(store) -> None:
    """Three members' streams and one discipline stream, interleaved in the log."""
    store.append("member-A", [ev("member.admitted", member_id="A", full_name="Nguyễn Văn A")], -1)
    store.append("member-B", [ev("member.admitted", member_id="B", full_name="Trần Thị B")], -1)
    store.append("member-A", [ev("member.transferred", member_id="A", to="U2")], 0)
    store.append("discipline-1", [ev("discipline.decided", member_id="B", form="reprimand")], -1)
    store.append("member-C", [ev("member.admitted", member_id="C", full_name="Lê C")], -1)
    store.append("member-B", [ev("member.rated", member_id="B", rating="good")], 0)
    store.append("member-A", [ev("member.rated", member_id="A", rating="good")], 1)


class Sql:
    """Raw access to the store's table, as an insider with database access has it."""

    def __init__(self, backend):
        self.backend = backend

    def run(self, sql: str, params: tuple = ()) -> list:
        if self.backend.name == "sqlite":
            with sqlite3.connect(self.backend.path) as db:
                return db.execute(sql, params).fetchall()
        with psycopg.connect(self.backend.db_url, autocommit=True,
                             options=f"-c search_path={self.backend.schema}") as db:
            cur = db.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    def row(self, stream: str, version: int) -> dict:
        cols = ["position", "event_id", "stream", "stream_version", "type", "schema_version", "occurred_on",
                "recorded_at", "org_unit_id", "actor", "correlation_id", "causation_id", "data", "hash",
                "prev_hash"]
        r = self.run(f"SELECT {', '.join(cols)} FROM events WHERE stream = ? AND stream_version = ?",
                     (stream, version))[0]
        out = dict(zip(cols, r))
        out["data"] = json.loads(out["data"])
        if not isinstance(out["recorded_at"], str):
            out["recorded_at"] = out["recorded_at"].astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if not isinstance(out["occurred_on"], str):
            out["occurred_on"] = out["occurred_on"].isoformat()
        return out

    def recompute(self, stream: str, hasher, edit=None) -> None:
        """Edit the stream's events and recompute its whole chain with ``hasher`` (what someone
        who can write the database but has no key would do)."""
        prev = GENESIS_HASH
        version = 0
        while self.run("SELECT 1 FROM events WHERE stream = ? AND stream_version = ?", (stream, version)):
            row = self.row(stream, version)
            if edit:
                edit(row)
            row["prev_hash"] = prev
            row["hash"] = hasher(row)
            self.run("UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE event_id = ?",
                     (canonical_json(row["data"]), row["prev_hash"], row["hash"], row["event_id"]))
            prev = row["hash"]
            version += 1


@pytest.fixture
def sealed(backend, store, tmp_path):
    """A filled store, verified and sealed into a seal book outside it."""
    if backend.immutable:
        pytest.skip("KurrentDB refuses edits; its forgeries are tested separately")
    fill(store)
    book = SealBook(tmp_path / "seals")
    verifier = StoreVerifier("members", store, seals=book.load("members"))
    verifier.advance()
    assert verifier.ok, verifier.report()
    book.add(verifier.seal())
    return store, book, Sql(backend)


def verify(store, book):
    return verify_stores({"members": store}, book=book)["sources"][0]


def checks(report) -> set[str]:
    return {p["check"] for p in report["broken"]} | {p["check"] for p in report["problems"]}


def broken_stream(report, stream):
    return next((p for p in report["broken"] if p["stream"] == stream), None)


def test_clean_store_verifies_intact_with_its_seal(sealed):
    store, book, _ = sealed
    report = verify(store, book)
    assert report["ok"] and report["events"] == 7 and report["streams"] == 4
    assert report["seals_checked"] == 1 and report["sealed_head"] == 7
    assert report["broken"] == [] and report["problems"] == []


def test_payload_edited_without_touching_the_hash(sealed):
    store, book, sql = sealed
    sql.run("UPDATE events SET data = ? WHERE stream = 'discipline-1'",
            (canonical_json({"member_id": "B", "form": "expulsion"}),))
    report = verify(store, book)
    assert not report["ok"]
    bad = broken_stream(report, "discipline-1")
    assert bad["check"] == "hash" and bad["stream_version"] == 0 and bad["type"] == "discipline.decided"
    assert "sửa" in bad["message_vi"] and "edited" in bad["message_en"]


#: edits that leave a row no event can be decoded from (PostgreSQL's typed date and time columns
#: refuse the last two; its payload is text)
MALFORMED = {"payload": ("data", "{not json"), "business date": ("occurred_on", "01/03/2024"),
             "recording time": ("recorded_at", "yesterday")}


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_row_edited_into_something_unreadable_is_named_and_the_rest_still_verified(sealed, backend, what):
    """The verification neither crashes nor stops at a row edited into malformed text: it names that
    event (its stream, position and type) and goes on to check every event after it."""
    store, book, sql = sealed
    column, value = MALFORMED[what]
    if backend.name != "sqlite" and column != "data":
        pytest.skip("PostgreSQL's typed columns refuse a malformed date or time")
    sql.run(f"UPDATE events SET {column} = ? WHERE stream = 'discipline-1'", (value,))
    sql.run("UPDATE events SET data = ? WHERE stream = 'member-B' AND stream_version = 1",
            (canonical_json({"member_id": "B", "rating": "excellent"}),))  # a later edit, after it
    report = verify(store, book)
    assert not report["ok"] and report["events"] == 7
    bad = broken_stream(report, "discipline-1")
    assert (bad["check"], bad["position"], bad["type"]) == ("unreadable", 4, "discipline.decided")
    assert "không đọc được" in bad["message_vi"] and "cannot be read" in bad["message_en"]
    assert (bad["stream_version"], bad["event_id"]) == (0, sealed_row(sql, "discipline-1", 0)["event_id"])
    assert broken_stream(report, "member-B")["check"] == "hash"
    # the store is still the one sealed: its identity unchanged, the seal checked, nothing else named
    seal = book.load("members")[0]
    assert report["identity"] == seal["first_hash"] and report["seals_checked"] == 1 and report["problems"] == []


def sealed_row(sql, stream, version) -> dict:
    return dict(zip(("position", "event_id", "hash"), sql.run(
        "SELECT position, event_id, hash FROM events WHERE stream = ? AND stream_version = ?", (stream, version))[0]))


#: the store's first event edited: its payload into malformed text (unreadable), its stream version
#: into text too (SQLite keeps text there; PostgreSQL's integer column refuses it), or only its
#: stream version (the row still decodes: a wrong version)
FIRST_EDITS = {"payload": ("data = '{not json'", "unreadable"),
               "payload and stream version": ("data = '{not json', stream_version = 'zero'", "unreadable"),
               "stream version": ("stream_version = 'zero'", "version")}


@pytest.mark.parametrize("what", sorted(FIRST_EDITS))
def test_the_first_event_edited_is_named_and_the_store_keeps_its_identity_and_its_seal(sealed, backend, what):
    """The store's identity is its first event's stored hash: that event edited (into something
    unreadable, or its version into text) is named, the seal is still checked as this store's (not
    named as a seal of another store), and the stream's later events are still checked: before,
    a stream version edited into text stopped the verification with a TypeError."""
    store, book, sql = sealed
    edit, named = FIRST_EDITS[what]
    if backend.name != "sqlite" and "stream_version" in edit:
        pytest.skip("PostgreSQL's integer column refuses a text stream version")
    first = sealed_row(sql, "member-A", 0)
    sql.run(f"UPDATE events SET {edit} WHERE position = 1")
    report = verify(store, book)
    assert not report["ok"] and report["events"] == 7 and report["streams"] == 4
    assert [(p["check"], p["stream"], p["position"]) for p in report["broken"]] == [(named, "member-A", 1)]
    assert report["identity"] == first["hash"] == book.load("members")[0]["first_hash"]
    assert report["seals_checked"] == 1 and report["seals_foreign"] == 0 and report["problems"] == []


def test_the_newest_event_made_unreadable_is_named_once_and_the_seal_still_matches_it(sealed):
    """The head event edited into something unreadable: named, the seal over it still checked
    against its stored hash, and the watch's next round does not call the head deleted or changed."""
    store, book, sql = sealed
    head = sealed_row(sql, "member-A", 2)
    sql.run("UPDATE events SET data = '{not json' WHERE position = ?", (head["position"],))
    verifier = StoreVerifier("members", store, seals=book.load("members"))
    assert verifier.advance() == 7
    assert verifier.advance() == 0  # the watch's next round: nothing new, the head read again
    report = verifier.report()
    assert not report["ok"] and report["head_position"] == 7 and report["last_hash"] == head["hash"]
    assert [(p["check"], p["position"], p["type"]) for p in report["broken"]] == [("unreadable", 7, "member.rated")]
    assert report["problems"] == []


def test_a_verification_in_slices_checks_each_slice_whole_past_an_unreadable_row(sealed):
    """The watch verifies a large log in slices (``advance(limit=...)``): an unreadable row inside
    a slice counts as one of its events, the slice ends where it should, and the next goes on."""
    store, book, sql = sealed
    sql.run("UPDATE events SET data = '{not json' WHERE position = 4")
    sql.run("UPDATE events SET data = ? WHERE position = 6", (canonical_json({"member_id": "B", "rating": "x"}),))
    verifier = StoreVerifier("members", store, seals=book.load("members"))
    assert verifier.advance(limit=5) == 5
    assert (verifier.count, verifier.position) == (5, 5)
    assert [(p["check"], p["position"]) for p in verifier.broken_streams()] == [("unreadable", 4)]
    assert verifier.advance(limit=5) == 2
    report = verifier.report()
    assert report["events"] == 7 and report["head_position"] == 7
    assert [(p["check"], p["position"]) for p in report["broken"]] == [("unreadable", 4), ("hash", 6)]
    assert report["problems"] == []


def test_row_deleted_in_the_middle_of_a_stream(sealed):
    store, book, sql = sealed
    sql.run("DELETE FROM events WHERE stream = 'member-A' AND stream_version = 1")
    report = verify(store, book)
    assert not report["ok"]
    assert broken_stream(report, "member-A")["stream_version"] == 2
    assert "version" in checks(report) and "position" in checks(report)


def test_event_moved_to_another_stream(sealed):
    store, book, sql = sealed
    sql.run("UPDATE events SET stream = 'member-C', stream_version = 1 WHERE stream = 'member-B' AND stream_version = 1")
    report = verify(store, book)
    assert not report["ok"]
    assert broken_stream(report, "member-C")["check"] in ("link", "hash")


def test_last_event_of_a_stream_deleted(sealed):
    store, book, sql = sealed
    head = sql.run("SELECT MAX(position) FROM events")[0][0]
    sql.run("DELETE FROM events WHERE position = ?", (head,))  # member-A's last event, the log's last
    report = verify(store, book)
    assert not report["ok"]
    assert [p["check"] for p in report["problems"]] == ["seal_truncated"]
    assert report["problems"][0]["seal_head"] == head and report["problems"][0]["head_position"] == head - 1


def test_last_event_of_a_stream_in_the_middle_of_the_log_deleted(sealed):
    store, book, sql = sealed
    sql.run("DELETE FROM events WHERE stream = 'discipline-1'")  # its only (so last) event, position 4
    report = verify(store, book)
    assert not report["ok"]
    assert "position" in checks(report) and "seal_mismatch" in checks(report)


def test_whole_stream_deleted_even_with_positions_renumbered(sealed):
    store, book, sql = sealed
    sql.run("DELETE FROM events WHERE stream = 'member-C'")
    sql.run("UPDATE events SET position = position - 1 WHERE position > 5")  # close the gap
    report = verify(store, book)
    assert not report["ok"]
    assert "hash" in checks(report)  # keyed hashes cover the position
    assert {"seal_truncated"} <= checks(report)


def test_whole_store_emptied(sealed):
    store, book, sql = sealed
    sql.run("DELETE FROM events")
    report = verify(store, book)
    assert not report["ok"] and report["events"] == 0
    assert report["problems"][0]["check"] == "seal_truncated" and report["problems"][0]["seal_head"] == 7


def test_emptied_store_is_caught_by_an_exported_seal_copy_when_the_seal_folder_is_gone(sealed, tmp_path):
    store, book, sql = sealed
    exported = book.path("members").read_text(encoding="utf-8")
    sql.run("DELETE FROM events")
    book.path("members").unlink()  # the insider also deleted the local seals
    assert verify(store, book)["ok"]  # nothing left to compare with on the server ...
    from shared.integrity import parse_seals
    report = verify_stores({"members": store}, seals=parse_seals(exported))["sources"][0]
    assert not report["ok"] and report["problems"][0]["check"] == "seal_truncated"  # ... but the copy knows


def test_global_positions_swapped_between_streams(sealed):
    store, book, sql = sealed
    a = sql.row("member-A", 1)["position"]
    b = sql.row("discipline-1", 0)["position"]
    sql.run("UPDATE events SET position = -1 WHERE position = ?", (a,))
    sql.run("UPDATE events SET position = ? WHERE position = ?", (a, b))
    sql.run("UPDATE events SET position = ? WHERE position = -1", (b,))
    report = verify(store, book)
    assert not report["ok"]
    assert broken_stream(report, "member-A")["check"] == "hash"
    assert broken_stream(report, "discipline-1")["check"] == "hash"


def test_payload_changed_and_chain_recomputed_with_plain_sha256(sealed):
    store, book, sql = sealed

    def edit(row):
        if row["stream_version"] == 0:
            row["data"]["full_name"] = "Người Khác"
    sql.recompute("member-A", legacy_hash, edit)
    report = verify(store, book)
    assert not report["ok"]
    bad = broken_stream(report, "member-A")
    assert bad["check"] == "unkeyed" and bad["stream_version"] == 0


def test_discipline_changed_to_expulsion_with_chain_recomputed_under_a_guessed_key(sealed):
    store, book, sql = sealed
    current = keys.keyring().current
    guessed = keys.Key(current.id, b"not the real key, same key id...")

    def edit(row):
        row["data"]["form"] = "expulsion"
    sql.recompute("discipline-1", lambda row: event_hash(row, guessed), edit)
    report = verify(store, book)
    bad = broken_stream(report, "discipline-1")
    assert not report["ok"] and bad["check"] == "hash" and bad["event_id"]


def test_forged_member_died_appended_with_a_correct_link(sealed):
    store, book, sql = sealed
    last = sql.row("member-C", 0)
    head = sql.run("SELECT MAX(position) FROM events")[0][0]
    forged = {**last, "event_id": str(uuid.uuid4()), "type": "member.died", "stream_version": 1,
              "data": {"member_id": "C", "died_on": "2024-03-02"}, "prev_hash": last["hash"], "position": head + 1}
    forged["hash"] = legacy_hash(forged)
    sql.run("INSERT INTO events (position, event_id, stream, stream_version, type, schema_version, occurred_on, "
            "recorded_at, org_unit_id, actor, correlation_id, causation_id, data, hash, prev_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (forged["position"], forged["event_id"], "member-C", 1, "member.died", 1, forged["occurred_on"],
             forged["recorded_at"], "U1", "cb-1", None, None, canonical_json(forged["data"]), forged["hash"],
             forged["prev_hash"]))
    report = verify(store, book)
    bad = broken_stream(report, "member-C")
    assert not report["ok"] and bad["check"] == "unkeyed" and bad["type"] == "member.died"


@pytest.mark.parametrize("column,value", [("recorded_at", "2020-01-01T00:00:00.000000Z"), ("actor", "someone-else")])
def test_recorded_at_and_actor_are_covered_by_the_hash(sealed, column, value):
    store, book, sql = sealed
    if column == "recorded_at" and sql.backend.name == "postgres":
        value = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    sql.run(f"UPDATE events SET {column} = ? WHERE stream = 'member-B' AND stream_version = 0", (value,))
    report = verify(store, book)
    assert not report["ok"] and broken_stream(report, "member-B")["check"] == "hash"


@pytest.mark.parametrize("column,value", [
    ("type", "member.died"), ("occurred_on", "2024-03-02"), ("org_unit_id", "U9"), ("schema_version", 2),
    ("correlation_id", "forged-request"), ("causation_id", "forged-cause"),
    ("event_id", "00000000-0000-4000-8000-000000000001")])
def test_every_other_envelope_field_is_covered_by_the_hash(sealed, column, value):
    store, book, sql = sealed
    if column == "occurred_on" and sql.backend.name == "postgres":
        value = dt.date(2024, 3, 2)
    sql.run(f"UPDATE events SET {column} = ? WHERE stream = 'member-B' AND stream_version = 0", (value,))
    report = verify(store, book)
    assert not report["ok"] and broken_stream(report, "member-B")["check"] == "hash"
    assert broken_stream(report, "member-B")["message_en"] and broken_stream(report, "member-B")["message_vi"]


COLUMNS = ("event_id, stream, stream_version, type, schema_version, occurred_on, recorded_at, org_unit_id, actor, "
           "correlation_id, causation_id, data, hash, prev_hash")


def test_two_whole_events_swapped_between_their_positions(sealed):
    """Every column but the position exchanged between two rows (not only the positions): the
    hashes cover the position, so both are named."""
    store, book, sql = sealed
    a, b = sql.row("member-A", 0)["position"], sql.row("member-B", 0)["position"]
    sql.run("UPDATE events SET position = -1 WHERE position = ?", (a,))
    sql.run("UPDATE events SET position = ? WHERE position = ?", (a, b))
    sql.run("UPDATE events SET position = ? WHERE position = -1", (b,))
    report = verify(store, book)
    assert not report["ok"]
    assert {broken_stream(report, s)["check"] for s in ("member-A", "member-B")} <= {"hash", "version", "link"}


def test_a_deleted_event_put_back_at_the_end_of_the_log_is_named(sealed):
    """An event deleted from the middle, then inserted again after the newest (re-ordering history):
    its hash names its old position, and its stream's chain no longer runs in log order."""
    store, book, sql = sealed
    row = sql.run(f"SELECT {COLUMNS} FROM events WHERE stream = 'member-A' AND stream_version = 1")[0]
    sql.run("DELETE FROM events WHERE stream = 'member-A' AND stream_version = 1")
    store.append("member-Z", [ev("member.admitted", member_id="Z", full_name="Phạm Z")], -1)
    sql.run(f"INSERT INTO events (position, {COLUMNS}) VALUES ((SELECT MAX(position) + 1 FROM events), "
            f"{', '.join('?' * 14)})", row)
    report = verify(store, book)
    assert not report["ok"]
    assert broken_stream(report, "member-A")["stream_version"] == 2  # the first event out of place
    assert "position" in checks(report)


def test_a_store_rolled_back_to_an_older_copy_and_written_on_is_named(sealed, backend):
    """A restored backup (the log cut back to 4 events) on which the service then wrote new events,
    past the sealed head again: the seal no longer matches the event at its position."""
    store, book, sql = sealed
    sql.run("DELETE FROM events WHERE position > 4")
    assert [p["check"] for p in verify(store, book)["problems"]] == ["seal_truncated"]
    writer = backend.open()
    for i in range(4):
        writer.append(f"member-N{i}", [ev("member.admitted", member_id=f"N{i}", full_name="Võ N")], -1)
    report = verify(writer, book)
    assert not report["ok"] and [p["check"] for p in report["problems"]] == ["seal_mismatch"]


def test_a_key_replaced_under_the_same_id_fails_every_event_and_seal(sealed):
    """The key file replaced by another secret under the old key's id: nothing verifies any more."""
    store, book, sql = sealed
    old = keys.keyring()
    try:
        keys.use(keys.Keyring([keys.Key(old.current.id, bytes(32))]))
        report = verify(store, book)
    finally:
        keys.use(old)
    assert not report["ok"]
    assert {p["check"] for p in report["broken"]} == {"hash"} and len(report["broken"]) == 4
    assert [p["check"] for p in report["problems"]] == ["seal_forged"]


def test_a_forged_seal_is_refused(sealed):
    store, book, sql = sealed
    path = book.path("members")
    seal = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    seal["head_position"], seal["event_count"] = 6, 6  # the insider "re-seals" after deleting the last event
    sql.run("DELETE FROM events WHERE position = 7")
    path.write_text(json.dumps(seal) + "\n", encoding="utf-8")
    report = verify(store, book)
    assert not report["ok"] and "seal_forged" in checks(report)


# -- migration of plain-hash stores ----------------------------------------------------------
def legacy_store(backend, store, sql) -> None:
    """A store as written before keyed hashing: the same events, chained with plain sha-256."""
    fill(store)
    for stream in ("member-A", "member-B", "discipline-1", "member-C"):
        sql.recompute(stream, legacy_hash)


@pytest.fixture
def legacy(backend, store):
    if backend.immutable:
        pytest.skip("KurrentDB stores were never written with plain hashes by this project")
    sql = Sql(backend)
    legacy_store(backend, store, sql)
    return store, sql


def test_a_plain_hash_store_fails_until_upgraded_then_verifies_without_rewriting(legacy, tmp_path):
    store, sql = legacy
    before = sql.run("SELECT position, hash FROM events ORDER BY position")
    report = verify_stores({"members": store})["sources"][0]
    assert not report["ok"] and [p["check"] for p in report["problems"]] == ["not_upgraded"]
    up = upgrade(store, "members")
    assert up.type == "integrity.upgraded" and up.position == 8 and up.data["legacy_head_position"] == 7
    assert upgrade(store, "members") is None  # once
    assert sql.run("SELECT position, hash FROM events WHERE position <= 7 ORDER BY position") == before
    store.append("member-A", [ev("member.rated", member_id="A", rating="excellent")], 2)
    report = verify_stores({"members": store})["sources"][0]
    assert report["ok"], report
    assert report["legacy_events"] == 7 and report["events"] == 9


def test_after_the_upgrade_a_recomputed_old_chain_is_detected(legacy):
    store, sql = legacy
    upgrade(store, "members")

    def edit(row):
        if row["stream_version"] == 0:
            row["data"]["form"] = "expulsion"
    sql.recompute("discipline-1", legacy_hash, edit)
    report = verify_stores({"members": store})["sources"][0]
    assert not report["ok"] and "upgrade_mismatch" in checks(report)


def test_a_broken_plain_store_is_not_blessed_by_the_upgrade(legacy):
    store, sql = legacy
    sql.run("UPDATE events SET data = ? WHERE stream = 'discipline-1'", (canonical_json({"form": "x"}),))
    with pytest.raises(ValueError, match="discipline-1"):
        upgrade(store, "members")
    assert store.head_position() == 7


# -- keys ------------------------------------------------------------------------------------
def test_rotation_keeps_old_keys_for_old_events(backend, store, tmp_path):
    old = keys.keyring()
    try:
        fill(store)
        path = tmp_path / "k" / "integrity.key"
        keys.create_file(path)
        first = keys.read_file(path).current
        keys.use(keys.Keyring([*old.keys.values(), first]))
        store.append("member-C", [ev("member.rated", member_id="C", rating="good")], 0)
        new_id = keys.rotate_file(path)
        rotated = keys.read_file(path)
        assert rotated.current.id == new_id and first.id in rotated.keys
        keys.use(keys.Keyring([*old.keys.values(), *rotated.keys.values()]))
        store.append("member-C", [ev("member.rated", member_id="C", rating="excellent")], 1)
        assert verify_stores({"members": store})["ok"]
        hashes = [e.hash.split(":")[1] for e in store.read_stream("member-C")]
        assert hashes == [old.current.id, first.id, new_id]
        keys.use(keys.Keyring([*old.keys.values(), rotated.current]))  # the middle key lost
        bad = broken_stream(verify_stores({"members": store})["sources"][0], "member-C")
        assert bad["check"] == "unknown_key" and bad["stream_version"] == 1
    finally:
        keys.use(old)


def test_kurrentdb_a_forged_event_appended_with_a_correct_link_is_detected(backend, store, tmp_path):
    """KurrentDB refuses edits, but anyone with access to the server can append: a forged
    member.died with a correct link and a plain (or wrongly keyed) hash is named."""
    if not backend.name.startswith("kurrentdb"):
        pytest.skip("KurrentDB only (SQL stores: the tests above)")
    from shared.eventstore.kurrentdb import to_kdb_event
    fill(store)
    assert verify_stores({"members": store})["ok"]
    last = store.read_stream("member-C")[-1]
    fields = {**last.model_dump(), "event_id": str(uuid.uuid4()), "type": "member.died", "stream_version": 1,
              "data": {"member_id": "C", "died_on": "2024-03-02"}, "prev_hash": last.hash, "position": None}
    fields["recorded_at"] = fields["recorded_at"].astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fields["occurred_on"] = fields["occurred_on"].isoformat()
    fields["hash"] = legacy_hash(fields)
    store._client.append_to_stream(store._kdb_stream("member-C"), events=[to_kdb_event(fields)], current_version=0)
    report = verify_stores({"members": store})["sources"][0]
    bad = broken_stream(report, "member-C")
    assert not report["ok"] and bad["check"] in ("unkeyed", "hash") and bad["type"] == "member.died"


def test_a_garbled_line_in_the_seal_file_is_reported_and_does_not_silence_the_other_seals(sealed):
    """One unreadable line in the seal folder (an insider's garbage, or a half-written line) must not
    make verification crash — which would leave the store unverified, reports unflagged and an
    exported copy unused — but be named itself, while the readable seals and the copy still count."""
    store, book, sql = sealed
    exported = book.path("members").read_text(encoding="utf-8")
    # a blank line first (skipped), the seal, a half-written line, bytes that are not UTF-8
    book.path("members").write_bytes(b"\n" + exported.encode("utf-8") + b'{"kind": "dangvien.seal", "source": "memb\n'
                                     + b'{"source": "members", "store": "\xff\xfe"}\n')
    report = verify(store, book)  # the store itself untouched: only the seal file is
    assert not report["ok"] and checks(report) == {"seal_unreadable"}, report
    # the half-written line and the JSON that is no seal (it once passed silently as "another store's")
    assert [p["line"] for p in report["problems"]] == [3, 4], report
    problem = report["problems"][0]
    assert problem["file"] == "members.seals.jsonl", problem
    assert "niêm phong" in problem["message_vi"] and "seal file" in problem["message_en"]
    assert report["seals_checked"] == 1  # the readable seal still counts
    sql.run("DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)")
    from shared.integrity import parse_seals
    report = verify_stores({"members": store}, book=book, seals=parse_seals(exported))["sources"][0]
    assert {"seal_unreadable", "seal_truncated"} <= checks(report), report


# -- seals follow the store, not its URL -----------------------------------------------------
def reopened_elsewhere(backend, store, tmp_path):
    """The same store under another URL: the SQLite file moved to another folder, the PostgreSQL
    DSN spelled without its port (what a new host name or a rewritten DSN does to the URL)."""
    from urllib.parse import urlsplit, urlunsplit

    from shared.eventstore import open_store
    store.close()
    if backend.name == "sqlite":
        moved = tmp_path / "moved" / "events.db"
        moved.parent.mkdir()
        backend.path.rename(moved)
        for suffix in ("-wal", "-shm"):
            side = backend.path.with_name(backend.path.name + suffix)
            if side.exists():
                side.rename(moved.with_name(moved.name + suffix))
        backend.path = moved
        url = f"sqlite:///{moved}"
    else:
        parts = urlsplit(backend.url)
        url = urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
        backend.db_url = urlunsplit(urlsplit(backend.db_url)._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    assert url != backend.url
    again = open_store(url)
    backend._opened.append(again)
    return again


def test_a_sealed_store_under_a_new_url_is_still_checked_against_its_seals(sealed, backend, tmp_path):
    """Fault of round 6: seals were matched by store URL, so after a move ``audit verify`` said
    ``seals_checked: 0`` and a truncated store verified intact."""
    store, book, _ = sealed
    sealed_url = json.loads(book.path("members").read_text(encoding="utf-8").splitlines()[0])["store"]
    moved = reopened_elsewhere(backend, store, tmp_path)
    report = verify(moved, book)
    assert report["store"] != sealed_url
    assert report["ok"] and report["seals_checked"] == 1 and report["sealed_head"] == 7, report
    Sql(backend).run("DELETE FROM events WHERE position = 7")  # the newest event, the log's last
    report = verify(moved, book)
    assert not report["ok"] and checks(report) == {"seal_truncated"}, report


def test_a_seal_of_a_replaced_store_is_reported_loudly(sealed, backend, tmp_path):
    """The store emptied and started again (the same events written anew, another first event):
    the old seals match no store here; each is named, in Vietnamese and English."""
    store, book, sql = sealed
    sql.run("DELETE FROM events")
    if backend.name == "postgres":
        sql.run("UPDATE log_head SET position = 0")
    store.close()
    anew = backend.open()  # a process started on the emptied store: no cached heads
    fill(anew)
    report = verify(anew, book)
    assert not report["ok"] and report["seals_checked"] == 0 and report["seals_foreign"] == 1, report
    [p] = report["problems"]
    assert p["check"] == "seal_foreign" and p["seal_head"] == 7 and p["first_hash"] != p["seal_first_hash"]
    assert "kho khác" in p["message_vi"] and "another store" in p["message_en"]


# -- the background watch: every tamper above is also caught by the process's own check --------------
def _swap_positions(sql):
    a, b = sql.row("member-A", 1)["position"], sql.row("discipline-1", 0)["position"]
    sql.run("UPDATE events SET position = -1 WHERE position = ?", (a,))
    sql.run("UPDATE events SET position = ? WHERE position = ?", (a, b))
    sql.run("UPDATE events SET position = ? WHERE position = -1", (b,))


TAMPERS = {
    "payload_edited": lambda sql: sql.run("UPDATE events SET data = ? WHERE stream = 'discipline-1'",
                                          (canonical_json({"member_id": "B", "form": "expulsion"}),)),
    "middle_deleted": lambda sql: sql.run("DELETE FROM events WHERE stream = 'member-A' AND stream_version = 1"),
    "tail_truncated": lambda sql: sql.run("DELETE FROM events WHERE position >= 6"),
    "positions_reordered": _swap_positions,
    "emptied": lambda sql: sql.run("DELETE FROM events"),
    # a payload no event can be decoded from: named as tampering ("failed"), not an outage ("error")
    "payload_malformed": lambda sql: sql.run("UPDATE events SET data = '{not json' WHERE stream = 'discipline-1'"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_the_background_watch_catches_each_tamper_and_every_answer_says_so(sealed, tamper, tmp_path, monkeypatch):
    """What ``dangvien audit verify`` names, the watch every process runs names too (by the next
    whole-log round at the latest), and from then on every answer a user reads carries the flag."""
    from types import SimpleNamespace

    from shared import integrity_watch
    store, book, sql = sealed
    monkeypatch.setattr(integrity_watch, "FULL_EVERY", 2)
    monkeypatch.setattr(integrity_watch, "STATE", {})
    settings = SimpleNamespace(integrity_interval_seconds=0.05, seal_path=lambda: book.folder)
    states, rounds = [], []

    def sleep(seconds):
        if seconds <= 0:
            return
        states.append(dict(integrity_watch.snapshot()["members"]))
        if len(rounds) == 0:
            TAMPERS[tamper](sql)
        rounds.append(1)

    integrity_watch.run({"members": store}, set(), settings, stop=lambda: len(rounds) > 2, sleep=sleep)
    assert [s["state"] for s in states][0] == "intact"
    assert states[-1]["state"] == "failed", states
    assert integrity_watch.flag()["failing_sources"] == ["members"]
    assert not verify(store, book)["ok"]  # and the auditor's verification agrees


def test_the_watch_with_a_replaced_key_fails_every_store_it_opened(sealed, tmp_path, monkeypatch):
    """The key ring replaced (a new key put in the old one's place): every old event and every
    seal names a key the ring does not hold; the watch says failed, never intact."""
    from types import SimpleNamespace

    from shared import integrity_watch
    store, book, sql = sealed
    monkeypatch.setattr(integrity_watch, "STATE", {})
    settings = SimpleNamespace(integrity_interval_seconds=0.05, seal_path=lambda: book.folder)
    old = keys.keyring()
    try:
        keys.use(keys.Keyring([keys.Key("other", bytes(32))]))
        done = []
        integrity_watch.run({"members": store}, set(), settings, stop=lambda: bool(done),
                            sleep=lambda s: done.append(s) if s > 0 else None)
        state = integrity_watch.snapshot()["members"]
        assert state["state"] == "failed" and state["first_problem"]["check"] in ("unknown_key", "seal_unknown_key")
        report = verify(store, book)
        assert not report["ok"] and {"unknown_key", "seal_unknown_key"} <= checks(report)
    finally:
        keys.use(old)


def test_kurrentdb_an_event_appended_to_a_log_stream_without_our_envelope_is_named(backend, store):
    """Anyone with access to the server can append an event that carries no dangvien envelope to
    a stream of the log (or one with a bookkeeping type): the store's reads pass over it, so the
    verifier never saw it and the store verified intact — while it holds a revision of the
    member's stream (the member's next command then fails on the expected version)."""
    if not backend.name.startswith("kurrentdb"):
        pytest.skip("KurrentDB only (SQL stores: a row without a hash is read and fails its check)")
    from kurrentdbclient import NewEvent as KdbEvent
    fill(store)
    assert verify_stores({"members": store})["ok"]
    store._client.append_to_stream(store._kdb_stream("member-C"), current_version=0,
                                   events=[KdbEvent(type="member.died", data=b'{"member_id": "C"}')])
    report = verify_stores({"members": store})["sources"][0]
    assert not report["ok"], report
    bad = broken_stream(report, "member-C")
    assert (bad["check"], bad["stream_version"], bad["type"]) == ("foreign", 1, "member.died"), report
    assert "phong bì dangvien" in bad["message_vi"] and "no dangvien envelope" in bad["message_en"]
    # every other reader passes over it as before (a projection never applies it)
    assert [e.type for e in store.read_all() if e.stream == "member-C"] == ["member.admitted"]
