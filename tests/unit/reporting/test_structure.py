"""Reports on the structure as it stood, and on today's (DOMAIN.md §2; issue 14).

Given a province TN with three district committees:
- D1 (Huyện Một) holds cell C1; on 1/7/2025 C1 moves directly under the province and D1 is
  dissolved (the district level is abolished);
- D2 (Huyện Hai) holds cell C2; on 1/7/2025 D2 is merged into D3 (Thị xã Ba), which holds C3.
Members: M1, M3 in C1 (M2 in C1 removed 10/5/2022, M3 disciplined 1/6/2021, M7 admitted into C1
on the day of the move); M4 in C2, M5 in C2 resigned 1/2/2023; M6 in C3.
Run on SQLite and on PostgreSQL read models.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.membership import headcount, movement, reconciles
from services.reporting.periods import dates_period, parse_period
from services.reporting.term_table import term_table
from tests.unit.reporting.history import History, history_on

MOVE = "2025-07-01"


def admit(h, mid, cell, on):
    h.add("member.admitted", on, {"member_id": mid, "org_unit_id": cell, "full_name": "Nguyễn Văn A",
                                  "birth_date": "1980-01-01", "sex": "male", "demobilised": "none"},
          org_unit_id=cell)


def restructured(h: History) -> History:
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy Tây Ninh", "kind": "province"})
    for uid, name, parent, kind in (("D1", "Huyện Một", "TN", "direct"), ("D2", "Huyện Hai", "TN", "direct"),
                                    ("D3", "Thị xã Ba", "TN", "direct"), ("C1", "Chi bộ Một", "D1", "grassroots_cell"),
                                    ("C2", "Chi bộ Hai", "D2", "grassroots_cell"),
                                    ("C3", "Chi bộ Ba", "D3", "grassroots_cell")):
        h.add("org_unit.created", "2015-01-01", {"org_unit_id": uid, "name": name, "kind": kind, "parent_id": parent})
    admit(h, "M1", "C1", "2018-03-01")
    admit(h, "M2", "C1", "2018-03-01")
    admit(h, "M3", "C1", "2019-03-01")
    admit(h, "M4", "C2", "2019-03-01")
    admit(h, "M5", "C2", "2020-03-01")
    admit(h, "M6", "C3", "2019-03-01")
    h.add("discipline.applied", "2021-06-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M3",
                                               "form": "reprimand", "violation_on": "2021-03-01"}, org_unit_id="C1")
    h.add("member.removed", "2022-05-10", {"member_id": "M2", "ground": "no_progress"})
    h.add("member.resigned", "2023-02-01", {"member_id": "M5"})
    h.add("org_unit.moved", MOVE, {"org_unit_id": "C1", "parent_id": "TN"})
    h.add("org_unit.dissolved", MOVE, {"org_unit_id": "D1", "reason": "administrative"})
    h.add("org_unit.merged", MOVE, {"org_unit_id": "D2", "into_org_unit_id": "D3"})
    admit(h, "M7", "C1", MOVE)
    return h


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request, tmp_path):
    with history_on(request.param, tmp_path) as history:
        yield restructured(history)


def totals(rows) -> dict:
    return {r["org_unit_id"]: r["total"] for r in rows}


def term_value(v, org, period, indicator) -> int:
    rows = term_table(v, org, parse_period(period), parse_period("2015-2020" if "-" in period else "2015"))["rows"]
    return next(r["value"] for r in rows if r["indicator"] == indicator)


def test_headcount_uses_the_tree_of_the_day(h):
    # the day before the move: the district holds its cell's members
    before = headcount(h.view(as_of=dt.date(2025, 6, 30)), None)
    assert totals(before) == {"TN": 6 - 2, "D1": 2, "C1": 2, "D2": 1, "C2": 1, "D3": 1, "C3": 1}
    assert next(r for r in before if r["org_unit_id"] == "C1")["parent_id"] == "D1"
    assert totals(headcount(h.view(as_of=dt.date(2024, 12, 31)), "D1")) == {"D1": 2, "C1": 2}
    # the day of the move: D1 and D2 are gone; C1 is under the province, C2 under D3 with C3
    on = headcount(h.view(as_of=dt.date(2025, 7, 1)), None)
    assert totals(on) == {"TN": 5, "C1": 3, "D3": 2, "C2": 1, "C3": 1}
    assert {r["org_unit_id"]: r["parent_id"] for r in on}["C2"] == "D3"
    # the current structure never lists the dissolved or merged units
    now = headcount(h.view(as_of=dt.date(2024, 12, 31), structure="current"), None)
    assert "D1" not in totals(now) and "D2" not in totals(now)


def test_term_table_attributes_each_fact_to_the_units_of_its_day(h):
    stood = h.view(as_of=dt.date(2026, 1, 1))
    assert term_value(stood, "D1", "2022", "members_removed") == 1
    assert term_value(stood, "TN", "2022", "members_removed") == 1
    assert term_value(stood, "D1", "2020-2025", "members_disciplined") == 1
    assert term_value(stood, "D2", "2023", "members_resigned") == 1
    assert term_value(stood, "D3", "2023", "members_resigned") == 0
    assert term_value(stood, "D1", "2025", "members_admitted") == 0  # M7 came the day C1 left D1
    assert term_value(stood, "TN", "2025", "members_admitted") == 1
    current = h.view(as_of=dt.date(2026, 1, 1), structure="current")
    assert term_value(current, "D1", "2022", "members_removed") == 0  # C1's history rolls up to TN now
    assert term_value(current, "TN", "2022", "members_removed") == 1
    assert term_value(current, "D3", "2023", "members_resigned") == 1  # D2's history is D3's now
    assert term_value(current, "D2", "2023", "members_resigned") == 1  # still readable on its own
    table = term_table(stood, "D1", parse_period("2022"), parse_period("2021"))
    assert table["structure"] == "as_stood" and "tại thời điểm" in table["structure_vi"]
    assert term_table(current, "D1", parse_period("2022"), parse_period("2021"))["structure"] == "current"


def test_movement_reconciles_and_counts_the_move_of_a_cell_as_moving_out(h):
    stood = h.view(as_of=dt.date(2026, 1, 1))
    rows = {r["org_unit_id"]: r for r in movement(stood, "TN", parse_period("2025"))["rows"]}
    assert all(r["reconciles"] for r in rows.values())
    assert (rows["D1"]["opening"], rows["D1"]["moved_out"], rows["D1"]["closing"]) == (2, 2, 0)
    assert (rows["D2"]["opening"], rows["D2"]["closing"]) == (1, 1)  # D2 is inside D3 from the merge, still counted
    assert (rows["D3"]["opening"], rows["D3"]["moved_in"], rows["D3"]["closing"]) == (1, 1, 2)
    assert (rows["TN"]["opening"], rows["TN"]["moved_in"], rows["TN"]["moved_out"], rows["TN"]["closing"]) \
        == (4, 0, 0, 5)
    assert set(rows) == {"TN", "C1", "D1", "D2", "D3"}  # dissolved and merged units appear for 2025
    later = {r["org_unit_id"] for r in movement(stood, "TN", parse_period("2026"))["rows"]}
    assert later == {"TN", "C1", "D3"}  # and not after
    assert movement(stood, "D1", parse_period("2022"))["rows"][0]["removed"] == 1
    for day in ("2025-06-30", MOVE, "2025-07-02"):
        on = dt.date.fromisoformat(day)
        r = movement(stood, "D1", dates_period(dt.date(2025, 1, 1), on))["rows"][0]
        assert reconciles(r)
        assert r["closing"] == (2 if on < dt.date(2025, 7, 1) else 0), day
    current = h.view(as_of=dt.date(2026, 1, 1), structure="current")
    assert movement(current, "D1", parse_period("2022"))["rows"][0]["removed"] == 0
    assert movement(current, "TN", parse_period("2022"))["rows"][0]["removed"] == 1
    assert {r["org_unit_id"] for r in movement(current, "TN", parse_period("2022"))["rows"]} == {"TN", "C1", "D3"}


def test_every_report_runs_on_both_structures_and_names_it(h):
    from services.reporting import anomalies, causes, early_warnings, evaluation, meeting_quality
    for structure in ("as_stood", "current"):
        v = h.view(as_of=dt.date(2026, 1, 1), structure=structure)
        for org in ("TN", "D1", "D3"):
            period = parse_period("2020-2025")
            for report in (evaluation.evaluation(v, org, period), meeting_quality.meeting_quality(v, org, period),
                           causes.causes(v, org, period), anomalies.anomalies(v, org, period),
                           early_warnings.warnings(v, org, 2022)):
                assert report["structure"] == structure
        d1 = evaluation.evaluation(h.view(as_of=dt.date(2026, 1, 1), structure=structure), "D1",
                                   parse_period("2022"))
        removed = next(r["actual"] for r in d1["rows"] if r["org_unit_id"] == "D1" and r["indicator"] == "members_removed")
        assert removed == (1 if structure == "as_stood" else 0)
    causes_d1 = causes.causes(h.view(as_of=dt.date(2026, 1, 1)), "D1", parse_period("2022"))
    assert sum(r["removed"] for r in causes_d1["rows"] if r["group"] == "years_since_admission") == 1
