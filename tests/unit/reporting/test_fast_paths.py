"""The fast paths give the same rows as the simple ones (issue 15): a bulk replay, a live
projection applying bursts, and one applying each delivery alone all end with the same checksum,
on SQLite and on a PostgreSQL read model; the bulk row decoder gives the validated envelopes; a
bulk import stores what importing the file line by line stores."""
from __future__ import annotations

import contextlib
import datetime as dt
import json

import pytest

from bench.replay import generate
from services.members import application as members_app
from services.members.dependencies import standalone_deps
from services.reporting.generations import Generations
from shared.application import Context
from shared.events import format_recorded_at
from shared.eventstore import open_store
from shared.importing import parse_jsonl, run_import
from shared.readmodel import ReadModelDB
from tests.support.services import pg_database

SOURCES = ("members", "discipline", "meetings", "reporting")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """A small synthetic province (60 members, 2 years of monthly meetings with absences,
    removals and discipline), written straight into four SQLite stores."""
    folder = tmp_path_factory.mktemp("province")
    written = generate(folder, 60, 2, seed=7)
    stores = {s: open_store(f"sqlite:///{folder}/{s}.events.db") for s in SOURCES}
    yield folder, stores, sum(written.values())
    for s in stores.values():
        s.close()


def deliver_all(g: Generations, stores) -> None:
    """Deliver every stored event as the bus does: each source in order, one message at a time."""
    for source in SOURCES:
        for env in stores[source].read_all(1):
            g.handle(source, env.to_message())


def day_counts(g: Generations) -> tuple:
    p = g.prefix
    return (sorted(g.db.query(f"SELECT indicator, org_unit_id, day, n FROM {p}day_counts")),
            sorted(g.db.query(f"SELECT indicator, subject_id FROM {p}day_repeats")),
            g.db.query(f"SELECT latest_rec FROM {p}day_counts_built"))


def test_replay_live_bursts_and_single_deliveries_give_the_same_rows(province, tmp_path):
    folder, stores, total = province
    single = Generations(ReadModelDB(f"sqlite:///{tmp_path}/single.read.db"), stores)
    single.runner.burst = 1  # each delivery alone, as before bursts
    deliver_all(single, stores)
    bursts = Generations(ReadModelDB(f"sqlite:///{tmp_path}/bursts.read.db"), stores)
    assert bursts.runner.burst > 1
    deliver_all(bursts, stores)
    replayed = Generations(ReadModelDB(f"sqlite:///{tmp_path}/replay.read.db"), stores)
    result = replayed.replay()

    assert result["done"] == total and replayed.prefix == "g2_"
    assert single.positions() == bursts.positions() == replayed.positions() == \
        {s: stores[s].head_position() for s in SOURCES}
    assert single.checksum() == bursts.checksum() == replayed.checksum() == result["checksum"]
    # the counts per unit and day (outside the checksum) agree too, counted per batch or per event
    counts = [day_counts(g) for g in (single, bursts, replayed)]
    assert counts[0] == counts[1] == counts[2] and len(counts[0][0]) >= 4 and counts[0][2]
    # the rows are really there (a checksum of empty tables would agree too)
    absences = replayed.db.query(f"SELECT COUNT(*) FROM {replayed.prefix}absences")[0][0]
    missed = sum(1 for e in stores["meetings"].read_all() if e.type == "meeting.missed")
    assert absences == missed > 0


def test_a_replay_into_postgresql_gives_the_sqlite_rows(province, tmp_path):
    folder, stores, _ = province
    sqlite_side = Generations(ReadModelDB(f"sqlite:///{tmp_path}/r.read.db"), stores)
    expected = sqlite_side.replay()["checksum"]
    with pg_database() as url:
        db = ReadModelDB(url)
        try:
            g = Generations(db, stores)
            assert g.replay()["checksum"] == expected
            # the loaded tables carry statistics at once: PostgreSQL plans the first reports and the
            # live projection's statements for the rows loaded (an empty table's plan scans them all)
            unanalysed = db.query("SELECT relname FROM pg_stat_user_tables WHERE relname LIKE ? "
                                  "AND last_analyze IS NULL AND last_autoanalyze IS NULL", (f"{g.prefix}%",))
            assert unanalysed == []
        finally:
            db.close()


def test_bulk_decoding_gives_the_validated_envelopes(province):
    _, stores, _ = province
    for source in SOURCES:
        bulk = list(stores[source].read_all())  # orjson, no model validation
        validated = [e for name in sorted({e.stream for e in bulk}) for e in stores[source].read_stream(name)]
        assert sorted(bulk, key=lambda e: e.position) == sorted(validated, key=lambda e: e.position)
        for env in bulk[:50]:
            # the stored text of the clock comes back as is (hashes and facts depend on it)
            assert format_recorded_at(env.recorded_at) == format_recorded_at(
                env.recorded_at.replace(tzinfo=dt.timezone.utc) + dt.timedelta(0))
            assert env.model_dump(mode="json") == json.loads(json.dumps(env.to_message()))


IMPORT = [
    {"type": "org_unit.created", "occurred_on": "2020-01-01",
     "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"}},
    {"type": "org_unit.created", "occurred_on": "2020-01-01",
     "data": {"org_unit_id": "D1", "name": "Huyện ủy Hòa Thành", "kind": "direct", "parent_id": "TN"}},
    *({"type": "org_unit.created", "occurred_on": "2020-01-01",
       "data": {"org_unit_id": f"C{c}", "name": f"Chi bộ ấp {c}", "kind": "grassroots_cell", "parent_id": "D1"}}
      for c in range(3)),
    *({"type": "member.admitted", "occurred_on": f"2020-0{2 + i % 6}-03",
       "data": {"member_id": f"M{i}", "org_unit_id": f"C{i % 3}", "full_name": "Trần Thị Bình",
                "birth_date": "1995-02-01", "sex": "female"}} for i in range(40)),
    *({"type": "member.transferred", "occurred_on": "2021-03-01",
       "data": {"member_id": f"M{i}", "from_org_unit_id": f"C{i % 3}", "to_org_unit_id": f"C{(i + 1) % 3}"}}
      for i in range(0, 40, 7)),
    *({"type": "member.removed", "occurred_on": "2022-04-01",
       "data": {"member_id": f"M{i}", "ground": "abandoned_activity"}} for i in range(1, 40, 9)),
]


def stored(store) -> list[tuple]:
    """Every stored event but its clock; personal fields are sealed with a fresh nonce each time,
    so they are compared as "sealed" (both sides must have sealed the same fields)."""
    def plain(data: dict) -> dict:
        return {k: "sealed" if isinstance(v, str) and v.startswith("sealed:") else v for k, v in data.items()}
    return [(e.stream, e.stream_version, e.event_id, e.type, e.occurred_on, e.org_unit_id, plain(e.data))
            for e in store.read_all()]


def test_bulk_import_stores_what_a_line_by_line_import_stores(tmp_path):
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in IMPORT)
    lines, errors = parse_jsonl(text)
    assert errors == []
    bulk = open_store(f"sqlite:///{tmp_path}/bulk.db")
    result = run_import(bulk, members_app.importers(standalone_deps(bulk)), lines, Context())
    assert result["ok"], result["errors"]
    one_by_one = open_store(f"sqlite:///{tmp_path}/lines.db")
    importers = members_app.importers(standalone_deps(one_by_one))
    for line in lines:
        assert run_import(one_by_one, importers, [line], Context())["ok"]
    assert result["written"] == one_by_one.head_position() == len(IMPORT)
    assert stored(bulk) == stored(one_by_one)
    bulk.close()
    one_by_one.close()


def test_counts_per_day_applied_event_by_event_equal_a_batch_and_a_rebuild(tmp_path):
    """Day counts kept per batch (read before, difference written at its end) equal those kept
    event by event, on a history where members leave, come back and decisions are annulled."""
    from tests.unit.reporting.history import History
    from tests.unit.reporting.test_day_counts import tangled
    h = tangled(History(tmp_path))
    try:
        h.flush()
        single = Generations(ReadModelDB(f"sqlite:///{tmp_path}/single.read.db"), h.stores)
        single.runner.burst = 1
        deliver_all(single, h.stores)
        batched = h.generations()
        expected = day_counts(batched)
        assert ("member.admitted", "M8") in expected[1] and any(r[0] == "head" and r[3] < 0 for r in expected[0])
        assert day_counts(single) == expected
        batched.replay()
        assert day_counts(batched)[:2] == expected[:2]
        single.db.close()
    finally:
        h.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_crash_in_the_middle_of_a_burst_loses_nothing_and_applies_nothing_twice(province, tmp_path, monkeypatch,
                                                                                  engine):
    """The process dies while applying a delivered burst (here: an error at the 30th event of a
    burst, once): nothing of that burst stays, and the next deliveries apply every event once."""
    from services.reporting.facts import FactsProjection
    folder, stores, _ = province
    clean = Generations(ReadModelDB(f"sqlite:///{tmp_path}/clean.read.db"), stores)
    clean.catch_up()
    expected = (clean.checksum(), day_counts(clean)[:2])

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg_database()) if engine == "postgresql" else f"sqlite:///{tmp_path}/crash.read.db"
        g = Generations(ReadModelDB(url), stores)
        stack.callback(g.db.close)
        applied = {"n": 0}
        original = FactsProjection.apply

        def dies_once(self, tx, e):
            applied["n"] += 1
            if applied["n"] == 30:
                raise RuntimeError("the process died here")
            return original(self, tx, e)

        monkeypatch.setattr(FactsProjection, "apply", dies_once)
        first = next(stores["meetings"].read_all(1))
        with pytest.raises(RuntimeError):
            g.handle("meetings", first.to_message())  # a burst of the meetings store, cut short
        assert g.positions()["meetings"] == 0
        assert g.db.query(f"SELECT COUNT(*) FROM {g.prefix}absences")[0][0] == 0  # nothing of it stayed
        monkeypatch.setattr(FactsProjection, "apply", original)
        deliver_all(g, stores)  # the bus delivers everything again (and the store fills the gaps)
        assert (g.checksum(), day_counts(g)[:2]) == expected
