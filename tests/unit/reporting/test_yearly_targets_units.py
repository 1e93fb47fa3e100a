"""The yearly report's targets table (Đề án 02/03-ĐA/TU; D8) lists every direct unit that stood
in the term or in the year: a unit dissolved earlier in the term (no row of the year) and a unit
created after the term ended (no row of the term) no longer break the report; each side of a row
is that unit's own figures for the period, the other side empty of targets."""
from __future__ import annotations

import datetime as dt

from services.reporting import yearly
from tests.unit.reporting.history import two_cells


def rows(figures: dict) -> dict:
    return {r["id"]: r["values"] for r in figures["tables"]["targets"]["rows"]}


def test_a_unit_dissolved_earlier_in_the_term_keeps_its_term_row(history):
    two_cells(history, ("M1",))
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "D2", "name": "Huyện 2", "kind": "direct",
                                                   "parent_id": "TN"})
    history.add("discipline.applied", "2021-05-05", {"case_id": "K1", "subject_kind": "org_unit", "subject_id": "D2",
                                                     "form": "reprimand", "violation_on": "2021-01-01"})
    history.add("target.registered", "2021-01-15", {"org_unit_id": "D2", "period": "2020-2025",
                                                    "indicator": "orgs_disciplined", "value": 0})
    history.add("org_unit.dissolved", "2022-03-01", {"org_unit_id": "D2"})
    got = rows(yearly.figures(history.view(as_of=dt.date(2024, 12, 31)), "TN", 2024))
    assert got["D2.orgs_disciplined"] == {"term_target": 0, "term_actual": 1, "term_met": False,
                                          "year_target": None, "year_actual": 0, "year_met": None}
    assert got["D1.members_removed"]["term_actual"] == 0


def test_a_unit_created_after_the_term_ended_keeps_its_year_row(history):
    two_cells(history, ("M1",))
    history.add("org_unit.created", "2025-11-01", {"org_unit_id": "D3", "name": "Huyện 3", "kind": "direct",
                                                   "parent_id": "TN"})
    history.add("target.registered", "2025-11-02", {"org_unit_id": "D3", "period": "2025",
                                                    "indicator": "members_removed", "value": 2})
    got = rows(yearly.figures(history.view(as_of=dt.date(2025, 12, 31)), "TN", 2025))
    assert got["D3.members_removed"] == {"term_target": None, "term_actual": 0, "term_met": None,
                                         "year_target": 2, "year_actual": 0, "year_met": True}
