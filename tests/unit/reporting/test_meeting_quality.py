"""Meeting quality in the reports (D4, D7): each meeting judged by the rules dated at it."""
import datetime as dt

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
