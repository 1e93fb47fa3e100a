"""HD 12 criteria at their thresholds, HD 42 minimum duration only from 1/10/2025, a cell's year."""
from __future__ import annotations

from services.meetings import quality as q
from services.meetings.views import cell_meetings, meeting as meeting_view

from .conftest import D


def held(mid, on, statuses, kind="regular", minutes=120, combined=False):
    return q.HeldMeeting(mid, "A", kind, on, minutes, combined, None, tuple(sorted(statuses.items())))


def roster20(present: int) -> dict:
    return {f"M{i:02d}": ("present" if i < present else "excused") for i in range(20)}


def test_attendance_must_exceed_85_percent_of_expected():
    at_85 = q.assess_year([held("m1", D(2024, 3, 5), roster20(17))])[0]
    at_90 = q.assess_year([held("m1", D(2024, 3, 5), roster20(18))])[0]
    assert (at_85.attendance_rate, at_85.attendance_ok, at_85.meets_standard) == (0.85, False, False)
    assert (at_90.attendance_rate, at_90.attendance_ok, at_90.meets_standard) == (0.9, True, True)


def test_one_unexcused_absence_fails_the_standard_even_with_high_attendance():
    statuses = roster20(19) | {"M19": "unexcused"}
    result = q.assess_year([held("m1", D(2024, 3, 5), statuses)])[0]
    assert result.attendance_ok and not result.nobody_unexcused and not result.meets_standard


def test_a_fourth_consecutive_absence_even_excused_fails_the_meeting():
    base = {f"M{i:02d}": "present" for i in range(19)}
    meetings = [held(f"m{k}", D(2024, k, 10), base | {"M19": "excused"}) for k in range(1, 5)]
    results = q.assess_year(meetings)
    assert [r.consecutive_ok for r in results] == [True, True, True, False]
    assert results[3].over_consecutive == ("M19",)
    # attending once restarts the count; a new year starts afresh
    back = q.assess_year(meetings[:3] + [held("m4", D(2024, 4, 10), base | {"M19": "present"}),
                                         held("m5", D(2024, 5, 10), base | {"M19": "excused"})])
    assert all(r.consecutive_ok for r in back)
    next_year = q.assess_year([held("m0", D(2024, 12, 10), base | {"M19": "excused"})])
    assert next_year[0].consecutive_ok


def test_hd42_minimum_duration_applies_only_from_1_october_2025():
    everyone = {"M1": "present", "M2": "present"}
    before = q.assess_year([held("s", D(2025, 9, 30), everyone, minutes=60)])[0]
    after = q.assess_year([held("o", D(2025, 10, 1), everyone, minutes=60)])[0]
    enough = q.assess_year([held("o", D(2025, 10, 1), everyone, minutes=90)])[0]
    combined = q.assess_year([held("c", D(2025, 10, 1), everyone, minutes=100, combined=True)])[0]
    assert before.duration_ok and before.meets_standard
    assert (after.duration_ok, after.min_minutes, after.meets_standard) == (False, 90, False)
    assert enough.duration_ok
    assert (combined.duration_ok, combined.min_minutes) == (False, 120)


def test_cell_year_counts_held_against_expected_and_the_missing_months(world):
    w = world
    w.cell("A")
    for m in ("M1", "M2"):
        w.admit(m, "A")
    for month in range(1, 7):
        w.meeting(f"A-r{month}", "A", D(2025, month, 5), {"M1": "present", "M2": "present"}, committee=month % 2 == 0)
    w.meeting("A-t1", "A", D(2025, 2, 20), {"M1": "present", "M2": "unexcused"}, kind="thematic")
    year = q.cell_year("A", 2025, cell_meetings(w.db, "A", 2025), today=D(2025, 8, 15))
    assert year["regular"] == {"held": 6, "expected": 12, "months_without": [7]}  # August is not over
    assert year["thematic"]["held"] == 1 and year["thematic"]["expected"] == 4
    assert year["thematic"]["quarters_without"] == [2]
    assert year["meetings_meeting_standard"] == 6  # the thematic one had an unexcused absence
    assert year["committee_member_attended"] == {"recorded": 6, "attended": 3}  # not recorded for the thematic one
    assert year["attendance_rate"] == round(13 / 14, 4)
    detail = meeting_view(w.db, "A-t1")
    assert detail["quality"]["nobody_unexcused"] is False and detail["held_on"] == "2025-02-20"
