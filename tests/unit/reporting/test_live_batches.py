"""A live batch gives the rows of its events applied one by one (issue 15): the batch reads its
members' stints once, keeps them in memory and sends its writes per table at its end, so the
fact tables, the counts per unit and day and the latest recording counted must come out as
when each event is delivered alone — on SQLite and PostgreSQL, whole or in two partitions."""
from __future__ import annotations

import contextlib

import pytest

from services.reporting import daycounts, warning_spans
from services.reporting.generations import Generations
from services.reporting.pending import Pending
from shared.partitioning import Partition
from shared.readmodel import ReadModelDB
from tests.unit.reporting.history import History
from tests.unit.reporting.test_day_counts import LATE, tangled
from tests.unit.reporting.test_partitions import with_units
from tests.unit.reporting.test_structure import admit

SOURCES = ("members", "discipline", "meetings", "reporting")


def meeting(h: History, mid: str, cell: str, on: str, absent: dict[str, str], present: list[str]) -> None:
    attendance = [{"member_id": m, "status": "present"} for m in present] + \
        [{"member_id": m, "status": s} for m, s in absent.items()]
    h.add("meeting.held", on, {"meeting_id": mid, "org_unit_id": cell, "kind": "regular", "duration_minutes": 120,
                               "attendance": attendance}, org_unit_id=cell)
    for m, status in absent.items():
        h.add("meeting.missed", on, {"meeting_id": mid, "member_id": m, "org_unit_id": cell,
                                     "excused": status == "excused"}, org_unit_id=cell)


def rich(h: History) -> History:
    """``tangled`` (moves, merges, dissolutions, re-admission, late facts, annulled discipline)
    and more: an entry while a stint is open, a member moved twice, official recognition, work
    away, dues, targets, a changed decision, and a cell's meetings with absences in a row — the
    later ones recorded before an earlier one."""
    tangled(h)
    admit(h, "M20", "C3", "2020-01-10")
    h.add("member.recognized_official", "2021-01-10", {"member_id": "M20"}, org_unit_id="C3")
    h.add("member.transferred", "2021-05-01", {"member_id": "M20", "from_org_unit_id": "C3",
                                               "to_org_unit_id": "C2", "kind": "official"})
    h.add("member.transferred", "2021-06-01", {"member_id": "M20", "from_org_unit_id": "C2",
                                               "to_org_unit_id": "C1", "kind": "temporary"})
    h.add("member.working_away_started", "2021-07-01", {"member_id": "M20", "contact": "0900"})
    h.add("member.transferred", "2022-02-01", {"member_id": "M20", "from_org_unit_id": "C2",
                                               "to_org_unit_id": "C4", "kind": "official"})
    h.add("member.transferred_in", "2022-03-01", {"member_id": "M20", "org_unit_id": "C3", "sex": "male",
                                                  "birth_year": 1985, "demobilised": "none"}, org_unit_id="C3")
    h.add("member.died", "2024-01-01", {"member_id": "M20"}, recorded_at=LATE)
    h.add("member.transferred_in", "2020-04-04", {"member_id": "M21", "org_unit_id": "C2", "sex": "female",
                                                  "birth_year": 1990, "demobilised": "none"}, org_unit_id="C2")
    h.add("member.resigned", "2020-04-04", {"member_id": "M21"})  # a stint of no length
    for month in ("2023-01", "2023-02"):
        h.add("dues.recorded", f"{month}-15", {"member_id": "M6", "month": month, "status": "paid"})
    h.add("target.registered", "2023-01-01", {"org_unit_id": "C3", "period": "2023", "indicator": "admitted",
                                              "value": 3})
    h.add("discipline.applied", "2023-03-03", {"case_id": "K5", "subject_kind": "member", "subject_id": "M20",
                                               "form": "warning", "violation_on": "2023-01-01"})
    h.add("discipline.changed", "2023-04-04", {"case_id": "K5", "form": "reprimand"})
    meeting(h, "MT1", "C3", "2023-01-20", {"M6": "unexcused"}, ["M20"])
    meeting(h, "MT2", "C3", "2023-02-20", {"M6": "excused", "M20": "unexcused"}, [])
    meeting(h, "MT4", "C3", "2023-04-20", {"M6": "excused"}, ["M20"])
    meeting(h, "MT5", "C3", "2023-05-20", {"M6": "unexcused"}, ["M20"])
    meeting(h, "MT3", "C3", "2023-03-20", {"M6": "unexcused"}, ["M20"])  # recorded after MT4, MT5
    meeting(h, "MT6", "C3", "2023-06-20", {}, ["M6", "M20"])
    with_units(h)
    h.flush()
    return h


def counted(g: Generations) -> tuple:
    p = g.prefix
    return (sorted(g.db.query(f"SELECT indicator, org_unit_id, day, n FROM {p}day_counts")),
            sorted(g.db.query(f"SELECT indicator, subject_id FROM {p}day_repeats")),
            daycounts.built(g.db, p),
            sorted(g.db.query(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {p}warn_spans")),
            sorted(g.db.query(f"SELECT kind, org_unit_id, day, n FROM {p}warn_counts")),
            warning_spans.built(g.db, p)[:2])


def rebuilt(g: Generations) -> tuple:
    """The early-warning spans and counts built afresh from the fact tables (then rolled back)."""
    p, out = g.prefix, None

    class Undo(Exception):
        pass
    with contextlib.suppress(Undo), g.db.transaction() as tx:
        warning_spans.build(tx, p)
        out = (sorted(tx.execute(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {p}warn_spans")
                      .fetchall()),
               sorted(tx.execute(f"SELECT kind, org_unit_id, day, n FROM {p}warn_counts").fetchall()))
        raise Undo
    return out


def one_by_one(g: Generations, stores) -> None:
    g.runner.burst = 1
    for source in SOURCES:
        for env in stores[source].read_all(1):
            g.handle(source, env.to_message())


def heads(stores) -> dict[str, int]:
    return {s: stores[s].head_position() for s in SOURCES}


@pytest.fixture(params=["sqlite", "postgresql"])
def readmodels(request, tmp_path):
    """Three empty read models of the kind asked for."""
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            from tests.support.services import pg_database
            urls = [stack.enter_context(pg_database()) for _ in range(3)]
        else:
            urls = [f"sqlite:///{tmp_path}/{name}.read.db" for name in ("single", "batch", "split")]
        dbs = [ReadModelDB(url) for url in urls]
        for db in dbs:
            stack.callback(db.close)
        yield dbs


def test_a_batch_applied_live_gives_the_rows_of_its_events_one_by_one(tmp_path, readmodels):
    h = History(tmp_path, None)
    try:
        rich(h)
        single_db, batch_db, split_db = readmodels
        single = Generations(single_db, h.stores)
        one_by_one(single, h.stores)
        batch = Generations(batch_db, h.stores)
        batch.catch_up()  # every source in one batch each
        assert single.positions() == batch.positions() == heads(h.stores)
        assert single.checksum() == batch.checksum()
        assert counted(single) == counted(batch)
        split = [Generations(split_db, h.stores, partition=Partition(i, 2)) for i in range(2)]
        for _ in range(50):  # each partition's catch-up in turn, until both stand at the heads
            for p in split:
                p.catch_up()
            if split[0].positions() == heads(h.stores):
                break
        assert split[0].positions() == split[1].positions() == heads(h.stores)
        assert split[0].checksum() == single.checksum()
        assert counted(split[0]) == counted(single)
        # the spans kept live are those built from the facts: no count left at 0, none missing
        assert counted(single)[3] and counted(single)[4]
        assert tuple(counted(single)[3:5]) == rebuilt(single) == tuple(counted(split[0])[3:5])
        # each partition moved its own row of ``warn_built`` on; readers see the latest of them
        ids = {r[0] for r in split_db.query(f"SELECT id FROM {split[0].prefix}warn_built")}
        assert 1 in ids and ids - {1} and ids <= {1, 2, 3}

        # what a reader checks: the rows are there and right
        db, p = single.db, single.prefix
        assert db.query(f"SELECT seq, org_unit_id, from_kind, to_kind, to_unit FROM {p}stints "
                        "WHERE member_id = 'M20' ORDER BY seq") == [
            (0, "C3", "admitted", "moved", "C2"), (1, "C2", "moved", "moved", "C4"),
            (2, "C4", "moved", "moved", "C3"), (3, "C3", "transferred_in", "died", None)]
        assert db.query(f"SELECT org_unit_id FROM {p}member_facts WHERE member_id = 'M20' "
                        "AND type = 'member.working_away_started'") == [("C2",)]
        assert db.query(f"SELECT official_on FROM {p}members WHERE member_id = 'M20'") == [("2021-01-10",)]
        over = dict(db.query(f"SELECT meeting_id, over_consecutive FROM {p}meetings"))
        assert over == {"MT1": 0, "MT2": 0, "MT3": 0, "MT4": 0, "MT5": 1, "MT6": 0}  # M6 missed MT1, MT2, MT4 before MT5 (MT3 came later)
        assert db.query(f"SELECT from_on, to_on, to_kind FROM {p}stints WHERE member_id = 'M21'") == [
            ("2020-04-04", "2020-04-04", "resigned")]
        assert counted(single)[2][1] is not None
    finally:
        h.close()


def test_a_batch_counts_its_members_stints_and_facts_from_memory_at_its_end(tmp_path, readmodels, monkeypatch):
    """A batch keeps its members' stints and counted facts as read at its start and changes them as
    it writes them: its end reads again only the subjects of cases (written by other streams), and
    the counts come out as one by one, whatever the batches' sizes (a stint opened in one batch and
    closed in a later one, a member re-admitted, a stint of no length)."""
    h = History(tmp_path, None)
    try:
        rich(h)
        single_db, *dbs = readmodels
        single = Generations(single_db, h.stores)
        one_by_one(single, h.stores)
        ending, read_at_end = [], []
        real_end, real_rows = daycounts.DayCounts.end, daycounts.subject_rows

        def end(self, tx):
            ending.append(True)
            try:
                real_end(self, tx)
            finally:
                ending.pop()

        def rows(tx, p, keys):
            keys = list(keys)
            if ending:
                read_at_end.extend(keys)
            return real_rows(tx, p, keys)
        monkeypatch.setattr(daycounts.DayCounts, "end", end)
        monkeypatch.setattr(daycounts, "subject_rows", rows)
        for db, size in zip(dbs, (3, 2000)):
            g = Generations(db, h.stores)
            while g.positions() != heads(h.stores):
                g.catch_up(batch=size)
            assert counted(g)[:3] == counted(single)[:3], size
        assert read_at_end and all(indicator.startswith("case.") for indicator, _ in read_at_end), read_at_end
    finally:
        h.close()


def test_held_writes_keep_each_rows_order_and_group_the_rest():
    sent = []

    class Recorder:
        def execute(self, sql, params=()):
            sent.append((sql, [tuple(params)]))

        def executemany(self, sql, rows):
            sent.append((sql, [tuple(r) for r in rows]))

        insert_rows = update_rows = executemany

    pending = Pending()
    assert not pending
    pending.add("members", "UPSERT", ("M1",), "M1")
    pending.add("members", "OFFICIAL", ("M1",), "M1")
    pending.add("members", "UPSERT", ("M2",), "M2")   # joins the first upsert: M2 has no earlier write
    pending.add("members", "UPSERT", ("M1", 2), "M1")  # after M1's official: a third group
    pending.add("facts", "INSERT", ("E1",), "E1")
    pending.add("members", "OFFICIAL", ("M2",), "M2")  # after M2's upsert: joins the official group
    pending.add("members", "UPSERT", ("M2", 2), "M2")  # after M2's official: the third group
    pending.add("members", "UPSERT", ("M2", 3), "M2")  # M2 again: a group touches a row once
    assert pending
    pending.flush(Recorder())
    assert sent == [("UPSERT", [("M1",), ("M2",)]), ("OFFICIAL", [("M1",), ("M2",)]),
                    ("UPSERT", [("M1", 2), ("M2", 2)]), ("UPSERT", [("M2", 3)]), ("INSERT", [("E1",)])]
    assert not pending
    sent.clear()
    pending.flush(Recorder())
    assert sent == []


def test_a_catch_up_runs_with_the_collector_settled_between_its_batches(tmp_path):
    """The reporting catch-up (an import's file of events) settles what stays alive after each
    batch (``shared.collector``), and gives the collector back afterwards."""
    import gc

    from shared.collector import YOUNG
    h = History(tmp_path, None)
    try:
        rich(h)
        g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/settled.read.db"), h.stores)
        before, seen = gc.get_threshold(), []
        runner_catch_up = g.runner.catch_up

        def watched(source, batch, progress=None):
            return runner_catch_up(source, batch, progress=lambda n: (progress(n), seen.append(
                (gc.get_threshold()[0], gc.get_freeze_count()))))
        g.runner.catch_up = watched
        assert g.catch_up(batch=5) > 10
        assert len(seen) > 2 and all(young >= YOUNG and frozen > 0 for young, frozen in seen), seen
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    finally:
        h.close()


def test_absences_in_a_row_count_the_meetings_stored_by_earlier_batches_of_the_cells_kind_and_year(
        tmp_path, readmodels):
    """A batch keeps its cells' meetings of the year in memory (read once): what earlier batches
    stored counts, a meeting of another year, kind or cell does not, nor a meeting id delivered
    again for another cell (stored once) — whatever the batches' sizes."""
    h = History(tmp_path, None)
    try:
        meeting(h, "MA0", "C3", "2022-12-20", {"M6": "unexcused"}, [])  # the year before
        meeting(h, "MA1", "C3", "2023-01-20", {"M6": "unexcused"}, [])
        meeting(h, "MA2", "C3", "2023-02-20", {"M6": "excused"}, [])
        h.add("meeting.held", "2023-03-01", {"meeting_id": "MT", "org_unit_id": "C3", "kind": "thematic",
                                             "duration_minutes": 120,
                                             "attendance": [{"member_id": "M6", "status": "unexcused"}]})
        meeting(h, "MC1", "C2", "2023-03-10", {"M6": "unexcused"}, [])  # another cell
        meeting(h, "MA3", "C3", "2023-03-20", {"M6": "unexcused"}, [])  # MA1, MT, MA2 if kinds mixed
        meeting(h, "MA2", "C2", "2023-03-25", {"M6": "unexcused"}, [])  # MA2 again: not stored
        meeting(h, "MC2", "C2", "2023-04-01", {"M6": "unexcused"}, [])
        meeting(h, "MA4", "C3", "2023-04-20", {"M6": "unexcused"}, ["M7"])
        meeting(h, "MC3", "C2", "2023-04-25", {"M6": "unexcused"}, [])  # MC1, MA2 (C2), MC2 if stored twice
        h.flush()
        expected = {"MA0": 0, "MA1": 0, "MA2": 0, "MT": 0, "MC1": 0, "MA3": 0, "MC2": 0, "MA4": 1, "MC3": 0}
        single_db, *dbs = readmodels
        single = Generations(single_db, h.stores)
        one_by_one(single, h.stores)
        assert dict(single_db.query(f"SELECT meeting_id, over_consecutive FROM {single.prefix}meetings")) == expected
        for db, size in zip(dbs, (11, 2000)):  # MA2 of C2 in a later batch than the first; all in one
            g = Generations(db, h.stores)
            g.catch_up(batch=size)
            while g.positions() != heads(h.stores):
                g.catch_up(batch=size)
            assert dict(db.query(f"SELECT meeting_id, over_consecutive FROM {g.prefix}meetings")) == expected, size
            assert db.query(f"SELECT org_unit_id FROM {g.prefix}meetings WHERE meeting_id = 'MA2'") == [("C3",)]
    finally:
        h.close()


def test_a_batch_writes_again_only_the_warning_spans_it_changes(tmp_path):
    """A batch naming two members recomputes both, but writes again only the spans of the one
    whose spans changed (SQLite gives a row deleted and inserted again a new rowid): the other
    keeps its rows as they were, and the spans and counts are those built from the facts."""
    h = History(tmp_path, None)
    try:
        admit(h, "M1", "C3", "2020-01-10")
        admit(h, "M2", "C3", "2020-01-10")
        h.flush()
        g = Generations(ReadModelDB(f"sqlite:///{tmp_path}/spans.read.db"), h.stores)
        g.catch_up()
        spans = f"SELECT rowid, kind, org_unit_id, from_on, to_on FROM {g.prefix}warn_spans WHERE member_id = ? ORDER BY 2"
        m1, m2 = g.db.query(spans, ("M1",)), g.db.query(spans, ("M2",))
        assert [r[1] for r in m1] == [r[1] for r in m2] == ["new_member_class_overdue", "recognition_overdue"]
        h.add("member.recognized_official", "2021-01-10", {"member_id": "M1"}, org_unit_id="C3")
        h.add("member.rated", "2020-12-20", {"member_id": "M2", "year": 2020, "rating": "good"}, org_unit_id="C3")
        h.flush()
        assert g.catch_up() == 2
        assert [r[1:] for r in g.db.query(spans, ("M1",))] == [("_official", "C3", "2021-01-10", None)]
        assert g.db.query(spans, ("M2",)) == m2  # the same rows, never deleted and inserted again
        assert tuple(counted(g)[3:5]) == rebuilt(g)
    finally:
        h.close()


@pytest.mark.parametrize("sizes", [(3, 70), (64, 2000)])
def test_partitions_in_batches_of_any_size_give_the_rows_of_one_by_one(tmp_path, readmodels, sizes):
    """Two partitions catching up in turn, in small batches (each waiting for the other often, the
    stream heads read in windows) or large ones, give the fact tables, counts and warning spans
    of one-by-one delivery — on SQLite and PostgreSQL."""
    h = History(tmp_path, None)
    try:
        rich(h)
        single_db, split_db, _ = readmodels
        single = Generations(single_db, h.stores)
        one_by_one(single, h.stores)
        split = [Generations(split_db, h.stores, partition=Partition(i, 2)) for i in range(2)]
        for _ in range(200):
            for p, size in zip(split, sizes):
                p.catch_up(batch=size)
            if split[0].positions() == split[1].positions() == heads(h.stores):
                break
        assert split[0].positions() == split[1].positions() == heads(h.stores)
        assert split[0].checksum() == single.checksum()
        assert counted(split[0])[:2] == counted(single)[:2] and counted(split[0])[3:5] == counted(single)[3:5]
        assert tuple(counted(split[0])[3:5]) == rebuilt(split[0])
    finally:
        h.close()


def test_units_created_on_postgresql_in_one_statement_stand_as_created_one_statement_at_a_time(tmp_path):
    """PostgreSQL takes a unit's creation (its row, both closures, its span, the fact kept) as one
    statement: the tree's tables come out as SQLite's, which runs them one by one — with moves,
    merges and a change recorded out of date order, delivered one by one and in one batch."""
    from tests.support.services import pg_database
    h = History(tmp_path, None)
    try:
        rich(h)

        def tree_rows(g: Generations) -> dict:
            p = g.prefix
            return {t: sorted(tuple(r) for r in g.db.query(f"SELECT * FROM {p}{t}")) for t in
                    ("units", "closure", "dclosure", "unit_spans", "routes")} | {
                "tree_facts": g.db.query(f"SELECT seq, event_id, type, occurred_on FROM {p}tree_facts ORDER BY seq")}
        lite = Generations(ReadModelDB(f"sqlite:///{tmp_path}/tree.read.db"), h.stores)
        one_by_one(lite, h.stores)
        expected = tree_rows(lite)
        assert len(expected["units"]) > 4 and len(expected["dclosure"]) > len(expected["units"])
        with pg_database() as a, pg_database() as b:
            one, batch = Generations(ReadModelDB(a), h.stores), Generations(ReadModelDB(b), h.stores)
            one_by_one(one, h.stores)
            batch.catch_up()
            assert tree_rows(one) == expected and tree_rows(batch) == expected
            one.db.close()
            batch.db.close()
    finally:
        h.close()


def test_a_late_transfer_in_the_batch_of_the_facts_it_precedes_moves_them_as_one_by_one(tmp_path, readmodels):
    """A batch reads once the latest date of the facts of the members it transfers, and keeps it
    as it writes their facts: a transfer recorded after facts dated later (in the same batch or an
    earlier one) still moves them, one dated before moves nothing — in batches of any size, on
    SQLite and PostgreSQL, as one by one."""
    from tests.unit.reporting.history import two_cells
    h = History(tmp_path, None)
    try:
        two_cells(h, ("M1", "M2", "M3"))
        h.add("member.rated", "2022-03-15", {"member_id": "M1", "year": 2021, "rating": "good"}, org_unit_id="C1")
        h.add("member.working_away_started", "2022-02-20", {"member_id": "M1", "place": "Bình Dương"},
              org_unit_id="C1")
        h.add("member.rated", "2022-01-15", {"member_id": "M2", "year": 2021, "rating": "good"}, org_unit_id="C1")
        h.add("member.rated", "2022-03-15", {"member_id": "M3", "year": 2021, "rating": "good"}, org_unit_id="C1")
        for member in ("M1", "M2", "M3"):  # recorded after those facts, dated 01/03/2022
            h.add("member.transferred", "2022-03-01", {"member_id": member, "from_org_unit_id": "C1",
                                                       "to_org_unit_id": "C2", "kind": "official"}, org_unit_id="C2")
        h.add("member.rated", "2022-04-15", {"member_id": "M3", "year": 2020, "rating": "good"}, org_unit_id="C2")
        h.flush()
        single_db, *dbs = readmodels
        single = Generations(single_db, h.stores)
        one_by_one(single, h.stores)
        units = f"SELECT member_id, type, occurred_on, org_unit_id FROM {single.prefix}member_facts " \
                "WHERE type = 'member.rated' OR type = 'member.working_away_started' ORDER BY 1, 3"
        assert single_db.query(units) == [
            ("M1", "member.working_away_started", "2022-02-20", "C1"), ("M1", "member.rated", "2022-03-15", "C2"),
            ("M2", "member.rated", "2022-01-15", "C1"),
            ("M3", "member.rated", "2022-03-15", "C2"), ("M3", "member.rated", "2022-04-15", "C2")]
        for db, size in zip(dbs, (2000, 4)):
            g = Generations(db, h.stores)
            while g.positions() != heads(h.stores):
                g.catch_up(batch=size)
            assert db.query(units) == single_db.query(units), size
            assert g.checksum() == single.checksum() and counted(g) == counted(single), size
    finally:
        h.close()


def test_bus_batches_in_any_order_and_redelivered_give_the_rows_of_one_by_one(tmp_path):
    """The bus's batches (``ReadModels.handle_batch``): each a burst of deliveries in any order, some
    delivered again (a process killed after its commit, before its ack), whole and in two
    partitions (the sweep's catch-up then takes what waited for the other partition): the same
    rows, counts and checksum as every event applied alone."""
    import random

    from services.reporting.dependencies import ReadModels
    from shared.integrity import SealBook
    h = History(tmp_path, None)
    try:
        rich(h)
        single = Generations(ReadModelDB(f"sqlite:///{tmp_path}/single.read.db"), h.stores)
        one_by_one(single, h.stores)
        rng = random.Random(15)
        whole = ReadModels().wire(ReadModelDB(f"sqlite:///{tmp_path}/whole.read.db"), h.stores,
                                  SealBook(tmp_path / "seals"), Partition())
        split_db = ReadModelDB(f"sqlite:///{tmp_path}/split.read.db")
        split = [ReadModels().wire(split_db, h.stores, SealBook(tmp_path / "seals"), Partition(i, 2))
                 for i in range(2)]
        for models in (whole, *split):
            models.generations.runner.burst = 1  # only what the batches carry (and the gaps before them)
            models._stopping = True  # a batch waiting for the other partition is left to the sweep
        for source in SOURCES:
            messages = [env.to_message() for env in h.stores[source].read_all(1)]
            for i in range(0, len(messages), 7):
                batch = messages[i:i + 7]
                rng.shuffle(batch)
                for models in (whole, *split):
                    models.handle_batch(source, batch)
                    if i % 3 == 0:
                        assert models.handle_batch(source, batch) in ("duplicate", "waiting")
        assert whole.positions() == heads(h.stores)
        assert whole.generations.checksum() == single.checksum()
        assert counted(whole.generations) == counted(single)
        for _ in range(50):  # the sweep: each partition's catch-up in turn
            if split[0].positions() == heads(h.stores):
                break
            for models in split:
                models.catch_up()
        assert split[0].positions() == heads(h.stores)
        assert split[0].generations.checksum() == single.checksum()
        assert counted(split[0].generations) == counted(single)
    finally:
        h.close()
