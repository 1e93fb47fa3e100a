"""The organisation rating rule of the evaluation (D7; DOMAIN.md §6): a committee is "not complete"
when its leadership was disciplined or more than 20 % of its sub-units were — sub-units
disciplined while they were its own (the structure as it stood on the decision's date)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.evaluation import evaluation, rating_rule
from services.reporting.periods import parse_period

YEAR = parse_period("2024")


def moved_cell(h, decided_on: str) -> None:
    """Committees D1 (cells C1, C2) and D2 (cell C3); C1 moves from D1 to D2 on 01/07/2024 and is
    reprimanded on ``decided_on``."""
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    for d in ("D1", "D2"):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": d, "name": f"Đảng bộ {d}", "kind": "direct",
                                                 "parent_id": "TN"})
    for cell, parent in (("C1", "D1"), ("C2", "D1"), ("C3", "D2")):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}", "kind": "cell",
                                                 "parent_id": parent})
    h.add("org_unit.moved", "2024-07-01", {"org_unit_id": "C1", "parent_id": "D2"})
    h.add("discipline.applied", decided_on, {"case_id": "K1", "subject_kind": "org_unit", "subject_id": "C1",
                                             "form": "reprimand", "violation_on": "2024-01-05"})


@pytest.mark.parametrize("decided_on, weighs_on", [
    ("2024-06-30", "D1"),  # the day before the move: still D1's cell
    ("2024-07-01", "D2"),  # the day of the move: D2's
    ("2024-07-02", "D2"),
])
def test_a_sub_unit_disciplined_weighs_on_the_committee_it_stood_under_that_day(history, decided_on, weighs_on):
    moved_cell(history, decided_on)
    view = history.view(as_of=dt.date(2025, 3, 1))
    for org in ("D1", "D2"):
        got = rating_rule(view, org, YEAR)
        hit = 1 if org == weighs_on else 0
        # both committees held C1 during 2024: two sub-units each, one of them disciplined at most
        assert (got["sub_units"], got["sub_units_disciplined"], got["share_pct"], got["not_complete"]) == \
            (2, hit, 50.0 * hit, bool(hit)), org
    ratings = {r["org_unit_id"]: r["not_complete"] for r in evaluation(view, "TN", YEAR)["ratings"]}
    assert ratings == {"TN": False, "D1": weighs_on == "D1", "D2": weighs_on == "D2"}
    # on today's structure C1 is D2's for the whole year
    current = history.view(as_of=dt.date(2025, 3, 1), structure="current")
    assert (rating_rule(current, "D1", YEAR)["sub_units_disciplined"],
            rating_rule(current, "D2", YEAR)["sub_units_disciplined"]) == (0, 1)
