"""Partitions on a shared PostgreSQL read model count a member once (issue 15): a member who moved
between direct units in different partitions and was disciplined in each is one disciplined
member counted twice ("repeat"), not once in each unit, even when both partitions apply their
decision at the same moment."""
from __future__ import annotations

import threading
import zlib

from shared.partitioning import Partition
from shared.readmodel import ReadModelDB

from services.reporting import daycounts
from services.reporting.generations import Generations
from tests.support.services import pg_database
from tests.unit.reporting.history import History


def two_directs_in_different_partitions() -> tuple[str, str]:
    names = [f"D{i}" for i in range(1, 20)]
    first = names[0]
    other = next(n for n in names if zlib.crc32(n.encode()) % 2 != zlib.crc32(first.encode()) % 2)
    assert Partition(0, 2).owner_of(first) != Partition(0, 2).owner_of(other)
    return first, other


def a_member_of_a_cell_in_each_partition(h: History) -> tuple[str, str]:
    """The province, two direct units in different partitions with a cell each, and M1 admitted
    in the first one's cell; the two direct units."""
    a, b = two_directs_in_different_partitions()
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"})
    for d in (a, b):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": d, "name": d, "kind": "direct", "parent_id": "TN"})
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": f"{d}-C", "name": f"Chi bộ {d}", "kind": "cell",
                                                 "parent_id": d})
    h.add("member.admitted", "2020-02-01", {"member_id": "M1", "org_unit_id": f"{a}-C", "full_name": "X",
                                            "birth_date": "1990-01-01", "sex": "male"}, org_unit_id=f"{a}-C")
    return a, b


def moved_and_disciplined_twice(h: History) -> None:
    a, b = a_member_of_a_cell_in_each_partition(h)
    h.add("member.transferred", "2021-01-01", {"member_id": "M1", "from_org_unit_id": f"{a}-C",
                                               "to_org_unit_id": f"{b}-C", "kind": "official"}, org_unit_id=f"{b}-C")
    # one decision taken in each unit (the later one arrives while the earlier is being applied)
    h.add("discipline.applied", "2020-06-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2020-05-01"}, org_unit_id=f"{a}-C")
    h.add("discipline.applied", "2021-06-01", {"case_id": "K2", "subject_kind": "member", "subject_id": "M1",
                                               "form": "warning", "violation_on": "2021-05-01"}, org_unit_id=f"{b}-C")
    h.flush()


def counts(g: Generations) -> tuple[list, list]:
    p = g.prefix
    return (sorted(g.db.query(f"SELECT indicator, org_unit_id, day, n FROM {p}day_counts WHERE indicator LIKE 'case.%'")),
            sorted(g.db.query(f"SELECT indicator, subject_id FROM {p}day_repeats")))


def catch_up_at_once(monkeypatch, jobs: list[tuple[Generations, str]]) -> None:
    """Run each (partition, source) catch-up in its own thread, every one holding its transaction
    open after reading what a member's decisions counted before it, until the other has read too
    (or, if it must wait for the other's commit, a few seconds): the interleaving that loses or
    doubles a decision. Raises what a catch-up raised."""
    meet = threading.Barrier(len(jobs), timeout=3)
    end = daycounts.DayCounts.end

    def slow_end(self, tx):
        if any(ind.startswith("case.") for ind, _ in (getattr(self, "batch", None) or {})):
            try:
                meet.wait()
            except threading.BrokenBarrierError:
                pass
        return end(self, tx)

    monkeypatch.setattr(daycounts.DayCounts, "end", slow_end)
    errors: list[BaseException] = []

    def run(g: Generations, source: str) -> None:
        try:
            g.runner.catch_up(source)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(daycounts.DayCounts, "end", end)
    assert errors == []


def test_two_partitions_applying_a_members_decisions_at_once_count_the_member_once(tmp_path, monkeypatch):
    h = History(tmp_path)
    try:
        moved_and_disciplined_twice(h)
        whole = Generations(ReadModelDB(f"sqlite:///{tmp_path}/whole.read.db"), h.stores)
        whole.catch_up()
        expected = counts(whole)
        assert expected == ([], [("case.member", "M1")])  # a repeat: counted from the facts, not per day

        with pg_database() as url:
            parts = [Generations(ReadModelDB(url), h.stores, partition=Partition(i, 2)) for i in range(2)]
            for _ in range(3):  # the org tree and the member first, taking turns
                for g in parts:
                    g.runner.catch_up("members")
            catch_up_at_once(monkeypatch, [(g, "discipline") for g in parts])
            for g in parts:
                g.catch_up()
            assert all(g.positions() == whole.positions() for g in parts)
            assert counts(parts[0]) == expected
            for g in parts:
                g.db.close()
    finally:
        h.close()


def absent_in_each_cell_they_belonged_to(h: History) -> None:
    a, b = a_member_of_a_cell_in_each_partition(h)
    h.add("member.transferred", "2020-06-01", {"member_id": "M1", "from_org_unit_id": f"{a}-C",
                                               "to_org_unit_id": f"{b}-C", "kind": "official"}, org_unit_id=f"{b}-C")
    # absent without leave in the cell they left and in the one they joined: one partition each
    for cell, day in ((f"{a}-C", "2020-03-10"), (f"{b}-C", "2020-09-10")):
        meeting = f"{cell}-{day}"
        h.add("meeting.held", day, {"meeting_id": meeting, "org_unit_id": cell, "kind": "regular",
                                    "duration_minutes": 90, "attendance": [{"member_id": "M1", "status": "unexcused"}]},
              org_unit_id=cell)
        h.add("meeting.missed", day, {"meeting_id": meeting, "org_unit_id": cell, "member_id": "M1",
                                      "excused": False}, org_unit_id=cell)
    h.flush()


def warning_rows(g: Generations) -> tuple[list, list]:
    p = g.prefix
    return (sorted(g.db.query(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {p}warn_spans")),
            sorted(g.db.query(f"SELECT kind, org_unit_id, day, n FROM {p}warn_counts")))


def test_two_partitions_recomputing_one_members_warnings_at_once_keep_them_once(tmp_path, monkeypatch):
    from services.reporting import warning_spans

    h = History(tmp_path)
    try:
        absent_in_each_cell_they_belonged_to(h)
        whole = Generations(ReadModelDB(f"sqlite:///{tmp_path}/whole.read.db"), h.stores)
        whole.catch_up()
        expected = warning_rows(whole)
        a, b = two_directs_in_different_partitions()
        assert {(unit, start) for kind, unit, _, start, *_ in expected[0] if kind == "unexcused_absences"} == {
            (f"{a}-C", "2020-03-10"), (f"{b}-C", "2020-09-10")}  # on the list in each cell, once

        with pg_database() as url:
            parts = [Generations(ReadModelDB(url), h.stores, partition=Partition(i, 2)) for i in range(2)]
            for _ in range(3):
                for g in parts:
                    g.runner.catch_up("members")
            # each partition reads the member's spans, then waits until the other has read them
            # too (or, when it must wait for the other's commit, a few seconds) before writing
            meet = threading.Barrier(2, timeout=3)
            spans_of = warning_spans._spans_of

            def slow_spans_of(tx, p, members, *before):
                out = spans_of(tx, p, members, *before)
                if members:
                    try:
                        meet.wait()
                    except threading.BrokenBarrierError:
                        pass
                return out

            monkeypatch.setattr(warning_spans, "_spans_of", slow_spans_of)
            errors: list[BaseException] = []

            def run(g: Generations) -> None:
                try:
                    g.runner.catch_up("meetings")
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(g,)) for g in parts]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            monkeypatch.setattr(warning_spans, "_spans_of", spans_of)
            for g in parts:
                g.catch_up()
            assert warning_rows(parts[0]) == expected
            for g in parts:
                g.db.close()
    finally:
        h.close()


def test_a_late_transfer_refiling_a_decision_while_another_partition_applies_one_counts_the_member_once(
        tmp_path, monkeypatch):
    """A transfer recorded after a decision it precedes moves that decision to the unit the member
    then stood in (one partition, applying members), while the other partition applies another
    decision of the same member: both recount the member's decisions, and the member is counted
    as the one partition would count them, not once per partition."""
    h = History(tmp_path)
    try:
        a, b = a_member_of_a_cell_in_each_partition(h)
        h.add("discipline.applied", "2021-06-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                                   "form": "reprimand", "violation_on": "2021-05-01"},
              org_unit_id=f"{a}-C")
        h.flush()
        with pg_database() as url:
            parts = [Generations(ReadModelDB(url), h.stores, partition=Partition(i, 2)) for i in range(2)]
            for _ in range(3):
                for g in parts:
                    g.catch_up()
            # recorded late: the move dated before K1, and another decision dated before the move
            h.add("member.transferred", "2021-01-01", {"member_id": "M1", "from_org_unit_id": f"{a}-C",
                                                       "to_org_unit_id": f"{b}-C", "kind": "official"},
                  org_unit_id=f"{b}-C")
            h.add("discipline.applied", "2020-12-01", {"case_id": "K2", "subject_kind": "member", "subject_id": "M1",
                                                       "form": "warning", "violation_on": "2020-11-01"},
                  org_unit_id=f"{a}-C")
            h.flush()
            whole = Generations(ReadModelDB(f"sqlite:///{tmp_path}/whole.read.db"), h.stores)
            whole.catch_up()
            expected = counts(whole)
            mover = next(g for g in parts if g.partition.owns(b))
            other = next(g for g in parts if g is not mover)
            catch_up_at_once(monkeypatch, [(mover, "members"), (other, "discipline")])
            for g in parts:
                g.catch_up()
            assert all(g.positions() == whole.positions() for g in parts)
            assert counts(parts[0]) == expected
            for g in parts:
                g.db.close()
    finally:
        h.close()
