"""Meeting quality in the reports (D4, D7): each meeting judged by the rules dated at it."""
import datetime as dt

import pytest

from services.reporting.meeting_quality import meeting_quality
from services.reporting.periods import parse_period


def held(h, meeting_id, on, present, unexcused=0, minutes=90, overseer=None, kind="regular"):
    attendance = [{"member_id": f"M{i}", "status": "present"} for i in range(present)]
    attendance += [{"member_id": f"U{i}", "status": "unexcused"} for i in range(unexcused)]
    attendance += [{"member_id": f"E{i}", "status": "excused", "reason": "ốm"} for i in range(20 - len(attendance))]
    data = {"meeting_id": meeting_id, "org_unit_id": "C1", "kind": kind, "duration_minutes": minutes,
            "attendance": attendance}
    if overseer is not None:
        data["committee_member_attended"] = overseer
    h.add("meeting.held", on, data)


def test_each_meeting_is_judged_by_the_rules_of_its_own_date(history):
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1",
                                                   "kind": "grassroots_cell", "parent_id": "TN"})
    held(history, "A", "2025-09-10", present=18, minutes=60, overseer=True)   # before HD 42: 60 minutes is fine
    held(history, "B", "2025-10-10", present=18, minutes=60, overseer=False)  # from HD 42: too short
    held(history, "C", "2025-11-10", present=18, minutes=95)                  # meets it
    held(history, "D", "2025-12-10", present=17, minutes=95)                  # 85 % is not above 85 %
    held(history, "E", "2025-12-20", present=19, unexcused=1, minutes=95)     # someone absent without reason
    row = meeting_quality(history.view(as_of=dt.date(2026, 1, 1)), "TN", parse_period("2025"))["rows"][0]
    assert row["regular_held"] == 5
    assert row["meetings_meeting_standard"] == 2  # A and C
    assert row["meetings_too_short"] == 1         # B
    assert (row["committee_member_attended"], row["committee_member_recorded"]) == (1, 2)


def test_a_read_model_built_before_the_new_columns_keeps_working(tmp_path):
    from services.reporting import schema
    from services.reporting.generations import Generations
    from shared.readmodel import ReadModelDB
    db = ReadModelDB(f"sqlite:///{tmp_path}/reporting.read.db")
    db.executescript("CREATE TABLE g1_meetings (meeting_id TEXT PRIMARY KEY, event_id TEXT NOT NULL, "
                     "org_unit_id TEXT NOT NULL, kind TEXT NOT NULL, held_on TEXT NOT NULL, recorded_at TEXT NOT NULL, "
                     "duration INTEGER, expected INTEGER, present INTEGER, excused INTEGER, unexcused INTEGER)")
    Generations(db, {})
    for table, column, _ in schema.ADDED_COLUMNS:
        db.query(f"SELECT {column} FROM g1_{table}")  # raises if the column were missing


def test_a_cell_is_expected_to_meet_only_in_the_months_it_existed(history):
    """A cell created on 01/07/2025 owes 6 monthly meetings in 2025, not 12; one dissolved on
    01/04/2025 owes 3 (January to March); one created in 2026 is not on the 2025 list at all."""
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    history.add("org_unit.created", "2025-07-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1",
                                                   "kind": "grassroots_cell", "parent_id": "TN"})
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "C2", "name": "Chi bộ Ấp 2",
                                                   "kind": "grassroots_cell", "parent_id": "TN"})
    history.add("org_unit.dissolved", "2025-04-01", {"org_unit_id": "C2"})
    history.add("org_unit.created", "2026-03-01", {"org_unit_id": "C3", "name": "Chi bộ Ấp 3",
                                                   "kind": "grassroots_cell", "parent_id": "TN"})
    for structure in ("as_stood", "current"):
        view = history.view(as_of=dt.date(2026, 6, 1), structure=structure)
        rows = meeting_quality(view, "TN", parse_period("2025"))["rows"]
        assert {r["org_unit_id"]: (r["regular_expected"], r["thematic_expected"]) for r in rows} == \
            {"C1": (6, 2), "C2": (3, 1)}, structure
    # the last day before the dissolution still counts its month: dissolved on 01/03 owes January and February
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "C4", "name": "Chi bộ Ấp 4",
                                                   "kind": "grassroots_cell", "parent_id": "TN"})
    history.add("org_unit.dissolved", "2025-03-01", {"org_unit_id": "C4"})
    rows = meeting_quality(history.view(as_of=dt.date(2026, 6, 1)), "TN", parse_period("2025"))["rows"]
    assert [r["regular_expected"] for r in rows if r["org_unit_id"] == "C4"] == [2]


def _moved_cell(history, moved_on: str) -> None:
    """Cell C1 under committee D1 until ``moved_on``, then under D2; it met every month of 2024."""
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    for d in ("D1", "D2"):
        history.add("org_unit.created", "2020-01-01", {"org_unit_id": d, "name": f"Đảng bộ {d}", "kind": "direct",
                                                       "parent_id": "TN"})
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1", "kind": "cell",
                                                   "parent_id": "D1"})
    history.add("org_unit.moved", moved_on, {"org_unit_id": "C1", "parent_id": "D2"})
    for month in range(1, 13):
        history.add("meeting.held", f"2024-{month:02d}-10", {
            "meeting_id": f"R{month}", "org_unit_id": "C1", "kind": "regular", "duration_minutes": 90,
            "attendance": [{"member_id": f"M{i}", "status": "present"} for i in range(5)]})


@pytest.mark.parametrize("moved_on, before, after", [
    ("2024-06-30", 6, 7),   # the day before July: June is a month under each
    ("2024-07-01", 6, 6),   # on the 1st: January–June under D1, July–December under D2
    ("2024-07-02", 7, 6),   # the day after: 01/07 under D1, so July is owed there too
])
def test_a_cell_moved_to_another_committee_owes_each_the_months_it_stood_under_it(history, moved_on, before, after):
    """D4, D7 (DOMAIN.md §2, §7.5): on the structure as it stood, a committee's report lists a cell
    only for the days it stood under it and counts only the meetings held then — so it expects
    only the monthly and quarterly meetings of the months it stood there (any day of the month,
    as for a cell created or dissolved mid-year), not the whole year: a cell that met every month
    is not shown as having held half its meetings in each committee. The province, which held it
    all year, expects twelve."""
    _moved_cell(history, moved_on)
    view = history.view(as_of=dt.date(2025, 3, 1))
    got = {org: [(r["regular_held"], r["regular_expected"]) for r in meeting_quality(view, org, parse_period("2024"))["rows"]]
           for org in ("TN", "D1", "D2")}
    # the meetings are on the 10th: January–June's under D1, July–December's under D2 in each case
    assert got == {"TN": [(12, 12)], "D1": [(6, before)], "D2": [(6, after)]}
    thematic = {org: meeting_quality(view, org, parse_period("2024"))["rows"][0]["thematic_expected"]
                for org in ("D1", "D2")}
    assert thematic == {"D1": round(4 * before / 12), "D2": round(4 * after / 12)}
    # on today's structure the cell is D2's for the whole year, and D1 lists it no more
    current = history.view(as_of=dt.date(2025, 3, 1), structure="current")
    assert [(r["regular_held"], r["regular_expected"]) for r in meeting_quality(current, "D2", parse_period("2024"))["rows"]] \
        == [(12, 12)]
    assert meeting_quality(current, "D1", parse_period("2024"))["rows"] == []


def test_the_attendance_rate_is_rounded_half_away_from_zero_as_every_percentage(history):
    """DOMAIN.md §7.1 rounds percentages half away from zero to 2 decimals: a cell whose meeting
    expected 32 members and saw 1 (3,125 %) attended at 3,13 %, not 3,12 % (the float rounding to
    even); 5 of 32 (15,625 %) at 15,63 %. The yearly report's averages and shares round alike."""
    from services.reporting import yearly
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    for cell, present in (("C1", 1), ("C2", 5)):
        history.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}",
                                                       "kind": "grassroots_cell", "parent_id": "TN"})
        history.add("meeting.held", "2025-03-10", {
            "meeting_id": f"R-{cell}", "org_unit_id": cell, "kind": "regular", "duration_minutes": 90,
            "attendance": [{"member_id": f"{cell}-{i}", "status": "present" if i < present else "excused",
                            "reason": "ốm"} for i in range(32)]})
    view = history.view(as_of=dt.date(2026, 1, 1))
    rows = meeting_quality(view, "TN", parse_period("2025"))["rows"]
    assert {r["org_unit_id"]: r["attendance_rate"] for r in rows} == {"C1": 3.13, "C2": 15.63}
    table = {r["id"]: r["values"] for r in yearly.figures(view, "TN", 2025)["tables"]["meetings"]["rows"]}
    assert table["attendance"]["pct"] == 9.38  # (3,13 + 15,63) / 2 = 9,38
    assert table["regular_held"]["pct"] == 8.33  # 2 of 24 expected


def test_percentages_round_half_away_from_zero_with_no_base_none():
    from services.reporting.periods import change_pct, mean, percent
    assert [percent(1, 32), percent(5, 32), percent(1, 3), percent(2, 3), percent(1, 8)] == \
        [3.13, 15.63, 33.33, 66.67, 12.5]
    assert percent(0, 0) is None and percent(0, 7) == 0.0 and mean([]) is None
    assert mean([3.13, 3.12]) == 3.13 and mean([12.35]) == 12.35
    assert change_pct(23, 11) == 109.09 and change_pct(633, 767) == -17.47 and change_pct(1, 0) is None
