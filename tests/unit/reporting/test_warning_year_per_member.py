"""Unexcused absences are counted per member per calendar year (DOMAIN.md §4 "early warning";
Charter art. 8 ground (a)): a member who moved to another cell during the year and missed one
month there after two in the old cell has three months — ground (a) — in every path that lists
them (the lists from the fact tables, the whole list and a page read from the spans)."""
from __future__ import annotations

import datetime as dt

from services.reporting import early_warnings, queries
from shared.contracts.reporting import ReportQuery
from tests.unit.reporting.history import two_cells


def missed(h, cell: str, on: str, member: str) -> None:
    meeting = f"{cell}-{on}"
    h.add("meeting.held", on, {"meeting_id": meeting, "org_unit_id": cell, "kind": "regular", "duration_minutes": 100,
                               "attendance": [{"member_id": member, "status": "absent"}]}, org_unit_id=cell)
    h.add("meeting.missed", on, {"meeting_id": meeting, "org_unit_id": cell, "member_id": member, "excused": False},
          org_unit_id=cell)


def moved_after_two_months(h) -> None:
    two_cells(h, ("M1", "M2"))
    missed(h, "C1", "2024-01-10", "M1")
    missed(h, "C1", "2024-02-10", "M1")
    h.add("member.transferred", "2024-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2"},
          org_unit_id="C1")
    h.add("member.transfer_papers_presented", "2024-03-02", {"member_id": "M1", "org_unit_id": "C2"}, org_unit_id="C2")
    missed(h, "C2", "2024-04-10", "M1")
    missed(h, "C1", "2024-04-10", "M2")  # another member, one month: a warning only


def absences(rows) -> dict[tuple[str, str], tuple[int, str]]:
    return {(r["member_id"], r["org_unit_id"]): (r["value"], r["level"]) for r in rows
            if r["list"] == "unexcused_absences"}


def test_three_months_across_two_cells_reach_removal_ground(history):
    moved_after_two_months(history)
    v = history.view(as_of=dt.date(2024, 12, 31))
    expected = {("M1", "C1"): (3, "removal_ground"), ("M1", "C2"): (3, "removal_ground"), ("M2", "C1"): (1, "warning")}
    assert absences(early_warnings.warnings(v, "TN", 2024)["rows"]) == expected
    for page in ({}, {"page": 1, "page_size": 50}):
        report = queries.REPORTS["warnings"](v, ReportQuery(org_unit_id="TN", year=2024, as_of=v.as_of, **page))
        assert absences(report["rows"]) == expected


def test_the_new_cell_sees_the_members_year_not_only_its_own_month(history):
    moved_after_two_months(history)
    v = history.view(as_of=dt.date(2024, 12, 31))
    assert absences(early_warnings.warnings(v, "C2", 2024)["rows"]) == {("M1", "C2"): (3, "removal_ground")}
    report = queries.REPORTS["warnings"](v, ReportQuery(org_unit_id="C2", year=2024, as_of=v.as_of))
    assert absences(report["rows"]) == {("M1", "C2"): (3, "removal_ground")}


def test_as_known_before_the_third_month_was_recorded_it_is_a_warning(history):
    two_cells(history, ("M1",))
    missed(history, "C1", "2024-01-10", "M1")
    missed(history, "C1", "2024-02-10", "M1")
    history.add("member.transferred", "2024-03-01", {"member_id": "M1", "from_org_unit_id": "C1",
                                                     "to_org_unit_id": "C2"}, org_unit_id="C1")
    history.flush()
    known = dt.datetime.now(dt.timezone.utc)
    missed(history, "C2", "2024-04-10", "M1")  # recorded after ``known``
    then = history.view(as_of=dt.date(2024, 12, 31), known_at=known)
    assert absences(early_warnings.warnings(then, "TN", 2024)["rows"]) == {("M1", "C1"): (2, "warning")}
    now = history.view(as_of=dt.date(2024, 12, 31))
    assert absences(early_warnings.warnings(now, "TN", 2024)["rows"])[("M1", "C1")] == (3, "removal_ground")
