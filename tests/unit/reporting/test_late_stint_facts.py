"""Exits and transfers recorded out of date order (DOMAIN.md §2: a member's fact counts in the unit
the member stood in on its date, whatever the order of recording). A removal belongs to the unit
the member stood in on its date, and the membership stints — the headcounts, Biểu 1, the day
counts, the warning lists — are threaded as if the facts had been recorded in date order: live,
event by event, and in a bulk replay, which agree (checksum)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import bulk_replay, membership, term_table
from services.reporting.periods import parse_period
from tests.unit.reporting.history import History, two_cells

YEAR = parse_period("2022")


def stints(g) -> list[tuple]:
    return g.db.query(f"SELECT member_id, seq, org_unit_id, from_on, from_kind, to_on, to_kind FROM {g.prefix}stints "
                      "ORDER BY member_id, seq")


def removal_unit(g) -> list[tuple]:
    return g.db.query(f"SELECT member_id, org_unit_id FROM {g.prefix}member_facts WHERE type = 'member.removed'")


def movement(h: History, unit: str) -> dict:
    m = membership.movement(h.view(as_of=dt.date(2022, 12, 31)), unit, YEAR)
    row = next(r for r in m["rows"] if r["org_unit_id"] == unit) if m.get("rows") else m
    return {k: row[k] for k in ("opening", "moved_in", "moved_out", "removed", "closing")}


def removal_then_earlier_transfer(h: History) -> None:
    """M1 removed on 01/06/2022 (recorded), then its transfer C1 → C2 dated 01/03/2022 is recorded:
    the removal was C2's."""
    two_cells(h, ("M1", "M2"))
    h.add("member.removed", "2022-06-01", {"member_id": "M1", "ground": "abandoned_activity"}, org_unit_id="C1")
    h.generations()  # projected: removed from C1, as M1 stood when it was recorded
    h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "official"}, org_unit_id="C2")
    h.flush()


def transfer_then_earlier_removal(h: History) -> None:
    """M1's transfer C1 → C2 on 01/03/2022 is recorded, then its removal dated 01/02/2022 (before the
    transfer): the removal was C1's, and M1 never stood in C2."""
    two_cells(h, ("M1", "M2"))
    h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "official"}, org_unit_id="C2")
    h.generations()
    h.add("member.removed", "2022-02-01", {"member_id": "M1", "ground": "abandoned_activity"}, org_unit_id="C1")
    h.flush()


def test_a_removal_recorded_before_an_earlier_dated_transfer_counts_in_the_unit_transferred_to(tmp_path):
    h = History(tmp_path)
    try:
        removal_then_earlier_transfer(h)
        g = h.generations()
        assert removal_unit(g) == [("M1", "C2")]
        assert [s for s in stints(g) if s[0] == "M1"] == [
            ("M1", 0, "C1", "2020-02-01", "admitted", "2022-03-01", "moved"),
            ("M1", 1, "C2", "2022-03-01", "moved", "2022-06-01", "removed")]
        v = h.view(as_of=dt.date(2022, 12, 31))
        assert term_table.count(v, "members_removed", "C2", YEAR) == 1
        assert term_table.count(v, "members_removed", "C1", YEAR) == 0
        assert movement(h, "C1") == {"opening": 2, "moved_in": 0, "moved_out": 1, "removed": 0, "closing": 1}
        assert movement(h, "C2") == {"opening": 0, "moved_in": 1, "moved_out": 0, "removed": 1, "closing": 0}
    finally:
        h.close()


def test_a_removal_recorded_after_a_later_dated_transfer_counts_in_the_unit_left_and_ends_the_membership(tmp_path):
    h = History(tmp_path)
    try:
        transfer_then_earlier_removal(h)
        g = h.generations()
        assert removal_unit(g) == [("M1", "C1")]
        assert [s for s in stints(g) if s[0] == "M1"] == [
            ("M1", 0, "C1", "2020-02-01", "admitted", "2022-02-01", "removed")]
        assert movement(h, "C1") == {"opening": 2, "moved_in": 0, "moved_out": 0, "removed": 1, "closing": 1}
        assert movement(h, "C2") == {"opening": 0, "moved_in": 0, "moved_out": 0, "removed": 0, "closing": 0}
    finally:
        h.close()


@pytest.mark.parametrize("history", [removal_then_earlier_transfer, transfer_then_earlier_removal])
def test_a_bulk_replay_threads_them_the_same_and_agrees_with_live(tmp_path, monkeypatch, history):
    monkeypatch.setattr(bulk_replay, "PAGE", 2)  # the facts on different pages
    h = History(tmp_path)
    try:
        history(h)
        g = h.generations()
        live, live_stints, live_removal = g.checksum(), stints(g), removal_unit(g)
        g.replay()
        assert (stints(g), removal_unit(g)) == (live_stints, live_removal)
        assert g.checksum() == live
    finally:
        h.close()


UTC = dt.timezone.utc
#: the removal and the late transfer are recorded after the rest (recorded now)
T1, T2, BETWEEN = (dt.datetime(2031, 1, 5, 8, tzinfo=UTC), dt.datetime(2031, 3, 5, 8, tzinfo=UTC),
                   dt.datetime(2031, 2, 1, tzinfo=UTC))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_as_known_before_the_late_transfer_the_removal_stays_where_it_was_known(tmp_path, database):
    """The report as known at a time between the removal's recording and the late transfer's — a
    yearly report drawn then, reproduced later — shows what was known then:
    M1 removed from C1 on 01/06/2022, never in C2; as known now, the transfer threads it through C2."""
    from tests.unit.reporting.history import history_on
    with history_on(database, tmp_path) as h:
        two_cells(h, ("M1", "M2"))
        h.add("member.removed", "2022-06-01", {"member_id": "M1", "ground": "abandoned_activity"}, org_unit_id="C1",
              recorded_at=T1)
        h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                                   "kind": "official"}, org_unit_id="C2", recorded_at=T2)
        between = BETWEEN
        then = h.view(as_of=dt.date(2022, 12, 31), known_at=between)

        def row(v, unit):
            r = membership.movement(v, unit, YEAR)["rows"]
            got = next(x for x in r if x["org_unit_id"] == unit)
            return {k: got[k] for k in ("moved_out", "moved_in", "removed", "closing")}

        assert row(then, "C1") == {"moved_out": 0, "moved_in": 0, "removed": 1, "closing": 1}
        assert row(then, "C2") == {"moved_out": 0, "moved_in": 0, "removed": 0, "closing": 0}
        mid_year = h.view(as_of=dt.date(2022, 4, 1), known_at=between)
        assert membership.headcount(mid_year, "C1")[0]["own"] == 2  # M1 still in C1 on 01/04, as known then
        now = h.view(as_of=dt.date(2022, 12, 31))
        assert row(now, "C1") == {"moved_out": 1, "moved_in": 0, "removed": 0, "closing": 1}
        assert row(now, "C2") == {"moved_out": 0, "moved_in": 1, "removed": 1, "closing": 0}


def decision_then_earlier_transfer(h: History) -> None:
    """A warning for M1 decided on 01/04/2022, named by the discipline service in C1 (where M1 stood
    as known then), before M1's transfer C1 → C2 dated 01/03/2022 is recorded: the decision is C2's."""
    two_cells(h, ("M1", "M2"))
    h.add("discipline.applied", "2022-04-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "warning", "violation_on": "2022-01-10"}, org_unit_id="C1")
    h.add("discipline.applied", "2022-02-01", {"case_id": "K2", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2022-01-10"}, org_unit_id="C1")
    h.generations()
    h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "official"}, org_unit_id="C2")
    h.flush()


def case_units(g) -> list[tuple]:
    return g.db.query(f"SELECT case_id, org_unit_id FROM {g.prefix}cases ORDER BY case_id")


def test_a_decision_recorded_before_an_earlier_dated_transfer_counts_in_the_unit_transferred_to(tmp_path):
    h = History(tmp_path)
    try:
        decision_then_earlier_transfer(h)
        g = h.generations()
        assert case_units(g) == [("K1", "C2"), ("K2", "C1")]  # K2 was decided before the transfer
        v = h.view(as_of=dt.date(2022, 12, 31))
        assert term_table.count(v, "members_disciplined", "C2", YEAR) == 1
        assert term_table.count(v, "members_disciplined", "C1", YEAR) == 1
        assert term_table.count(v, "members_disciplined", "C1", parse_period("2021")) == 0
    finally:
        h.close()


def test_a_bulk_replay_refiles_the_decision_the_same_and_agrees_with_live(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_replay, "PAGE", 2)
    h = History(tmp_path)
    try:
        decision_then_earlier_transfer(h)
        g = h.generations()
        live, cases = g.checksum(), case_units(g)
        g.replay()
        assert case_units(g) == cases and g.checksum() == live
    finally:
        h.close()
