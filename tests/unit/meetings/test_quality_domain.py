"""Meeting quality as the district committee reads a cell's year, without a database: each meeting's
counts and criteria, the duration floors at their edges, streaks per kind of meeting, and the year's
months and quarters without a meeting.

Written from the survivors of a mutation run of ``services/meetings/quality.py`` (see
docs/mutation-testing.md).
"""
from __future__ import annotations

import datetime as dt

from services.meetings import quality as q
from shared.rules import rules_on

D = dt.date


def held(mid, on, statuses, kind="regular", minutes=120, combined=False, committee=None, unit="A"):
    return q.HeldMeeting(mid, unit, kind, on, minutes, combined, committee, tuple(sorted(statuses.items())))


EVERYONE = {"M1": "present", "M2": "present"}


def test_a_meetings_counts_and_criteria_read_in_full():
    statuses = {"M1": "present", "M2": "present", "M3": "excused", "M4": "unexcused", "M5": "present",
                "M6": "present", "M7": "present"}
    r = q.assess_year([held("m1", D(2025, 10, 6), statuses, minutes=89, committee=True)])[0]
    assert r.to_dict() == {
        "meeting_id": "m1", "kind": "regular", "held_on": "2025-10-06", "expected": 7, "present": 5, "excused": 1,
        "unexcused": 1, "attendance_rate": 0.7143, "attendance_ok": False, "nobody_unexcused": False,
        "consecutive_ok": True, "over_consecutive": (), "duration_ok": False, "min_minutes": 90,
        "meets_standard": False, "committee_member_attended": True,
        "rule_sources": (rules_on(D(2025, 10, 6)).source("meeting_attendance_min_rate"),
                         rules_on(D(2025, 10, 6)).source("meeting_min_minutes_regular"))}
    assert r.rule_sources == ("HD 12-HD/BTCTW", "HD 42-HD/BTCTW")
    # before 1/10/2025 both rules come from HD 12: named once
    assert q.assess_year([held("m0", D(2025, 9, 6), EVERYONE)])[0].rule_sources == ("HD 12-HD/BTCTW",)


def test_the_duration_floor_at_its_edges():
    on = D(2025, 10, 6)
    assert q.assess_year([held("r", on, EVERYONE, minutes=90)])[0].duration_ok
    assert not q.assess_year([held("r", on, EVERYONE, minutes=89)])[0].duration_ok
    combined = q.assess_year([held("c", on, EVERYONE, minutes=120, combined=True)])[0]
    assert (combined.duration_ok, combined.min_minutes, combined.meets_standard) == (True, 120, True)
    assert not q.assess_year([held("c", on, EVERYONE, minutes=119, combined=True)])[0].duration_ok
    # a thematic meeting has no floor of its own
    thematic = q.assess_year([held("t", on, EVERYONE, kind="thematic", minutes=30)])[0]
    assert (thematic.duration_ok, thematic.min_minutes) == (True, 0)
    assert thematic.meets_standard is None  # held, not judged: HD 12's standard is the regular meeting's


def test_nobody_expected_gives_no_rate_and_fails_attendance():
    r = q.assess_year([held("e", D(2024, 3, 5), {})])[0]
    assert (r.expected, r.attendance_rate, r.attendance_ok, r.meets_standard) == (0, None, False, False)


def test_streaks_run_per_kind_of_meeting_and_in_date_order():
    base = {f"M{i:02d}": "present" for i in range(19)}
    regular = [held(f"r{k}", D(2024, k, 10), base | {"M19": "excused"}) for k in range(1, 4)]
    thematic = [held("t1", D(2024, 3, 20), base | {"M19": "present"}, kind="thematic")]
    fourth = held("r4", D(2024, 4, 10), base | {"M19": "excused"})
    # a thematic meeting attended does not break the regular streak; given out of order, sorted by date
    results = q.assess_year([fourth] + thematic + regular)
    assert [(r.meeting_id, r.consecutive_ok) for r in results] == \
        [("r1", True), ("r2", True), ("r3", True), ("t1", True), ("r4", False)]
    # two meetings on one day: ordered by id
    same_day = q.assess_year([held("b", D(2024, 1, 10), EVERYONE), held("a", D(2024, 1, 10), EVERYONE)])
    assert [r.meeting_id for r in same_day] == ["a", "b"]


def test_the_months_of_the_year_ended_by_today():
    # a month is over from the day after its last day: on 31/05 May is not, on 01/06 it is
    assert q.months_ended(2024, D(2025, 1, 1)) == list(range(1, 13))
    assert q.months_ended(2024, D(2024, 12, 31)) == list(range(1, 12))
    assert q.months_ended(2025, D(2025, 5, 31)) == [1, 2, 3, 4]
    assert q.months_ended(2025, D(2025, 6, 1)) == [1, 2, 3, 4, 5]
    assert q.months_ended(2025, D(2025, 1, 31)) == []
    assert q.months_ended(2026, D(2025, 5, 31)) == []


def test_a_cells_year_held_against_expected_with_the_months_and_quarters_without():
    meetings = [held("r1", D(2025, 1, 10), EVERYONE, committee=True),
                held("r2", D(2025, 2, 10), {"M1": "present", "M2": "unexcused"}, committee=False),
                held("c4", D(2025, 4, 10), EVERYONE, combined=True),
                held("t2", D(2025, 5, 20), EVERYONE, kind="thematic"),
                held("old", D(2024, 12, 10), EVERYONE)]
    year = q.cell_year("A", 2025, meetings, D(2025, 7, 15))
    assert {k: v for k, v in year.items() if k != "meetings"} == {
        "org_unit_id": "A", "year": 2025,
        # July is not over on 15/07: the cell can still meet on 31/07
        "regular": {"held": 3, "expected": 12, "months_without": [3, 5, 6]},
        # Q1 had no thematic meeting; Q2 had two; Q3 is not over yet on 15/07
        "thematic": {"held": 1, "expected": 4, "quarters_without": [1]},
        "attendance_rate": 0.875,
        # HD 12 judges the regular meetings (r1, c4 meet it; r2 has an absence without reason)
        "meetings_meeting_standard": 2,
        "meetings_assessed": 3,
        "committee_member_attended": {"recorded": 2, "attended": 1}}
    assert [m["meeting_id"] for m in year["meetings"]] == ["r1", "r2", "c4", "t2"]
    # a whole year past: every quarter is judged
    full = q.cell_year("A", 2025, meetings, D(2026, 2, 1))
    assert full["thematic"]["quarters_without"] == [1, 3, 4]
    assert full["regular"]["months_without"] == [3, 5, 6, 7, 8, 9, 10, 11, 12]
    # a quarter without one is listed once it is over: not on 01/09 nor on 30/09, from 01/10
    for day, quarters in ((D(2025, 9, 1), [1]), (D(2025, 9, 30), [1]), (D(2025, 10, 1), [1, 3])):
        assert q.cell_year("A", 2025, meetings, day)["thematic"]["quarters_without"] == quarters, day
    empty = q.cell_year("A", 2026, meetings, D(2025, 7, 15))
    assert (empty["attendance_rate"], empty["regular"]["months_without"], empty["thematic"]["quarters_without"]) == \
        (None, [], [])


def test_attending_restarts_the_count_from_zero():
    base = {f"M{i:02d}": "present" for i in range(19)}
    meetings = [held("r1", D(2024, 1, 10), base | {"M19": "present"})] + \
        [held(f"r{k}", D(2024, k, 10), base | {"M19": "excused"}) for k in range(2, 5)]
    assert [r.consecutive_ok for r in q.assess_year(meetings)] == [True, True, True, True]


def test_a_cells_year_judges_each_meeting_by_the_rules_it_is_given():
    # the rules in force are passed in (tests and reports may date them); a 60-minute meeting in
    # 2024 fails only under the HD 42 floor
    meetings = [held("r1", D(2024, 3, 10), EVERYONE, minutes=60)]
    assert q.cell_year("A", 2024, meetings, D(2025, 1, 1))["meetings"][0]["duration_ok"]
    later = q.cell_year("A", 2024, meetings, D(2025, 1, 1), rules_for=lambda day: rules_on(D(2025, 10, 1)))
    assert (later["meetings"][0]["duration_ok"], later["meetings"][0]["min_minutes"]) == (False, 90)


def year_of(year, meetings, today, created_on=None, closed_on=None):
    y = q.cell_year("A", year, meetings, today, created_on=created_on, closed_on=closed_on)
    return (y["regular"]["expected"], y["regular"]["months_without"],
            y["thematic"]["expected"], y["thematic"]["quarters_without"])


def test_a_cell_created_mid_year_is_expected_to_meet_only_from_its_month_of_creation():
    # created on 01/07: January–June and the first two quarters are not its own; 6 + 2 expected
    meetings = [held("r7", D(2025, 7, 10), EVERYONE), held("t4", D(2025, 11, 20), EVERYONE, kind="thematic")]
    assert year_of(2025, meetings, D(2026, 1, 15), created_on=D(2025, 7, 1)) == \
        (6, [8, 9, 10, 11, 12], 2, [3])
    # created on the last day of August: August counts (it existed one day of it), 5 regular,
    # round(4 × 5/12) = 2 thematic
    assert year_of(2025, [], D(2026, 1, 15), created_on=D(2025, 8, 31)) == (5, [8, 9, 10, 11, 12], 2, [3, 4])
    # created on the first day of September: August does not; round(4 × 4/12) = 1
    assert year_of(2025, [], D(2026, 1, 15), created_on=D(2025, 9, 1)) == (4, [9, 10, 11, 12], 1, [3, 4])
    # in the year it is created, the months until today only, and a quarter only once it is over
    assert year_of(2025, [], D(2025, 7, 15), created_on=D(2025, 5, 10)) == (8, [5, 6], 3, [2])
    # created in an earlier year: the whole year, as before
    assert year_of(2025, [], D(2026, 1, 15), created_on=D(2015, 1, 1)) == (12, list(range(1, 13)), 4, [1, 2, 3, 4])


def test_a_cell_dissolved_or_merged_is_expected_to_meet_only_until_it_closed():
    # closed on 01/10 (the first day it no longer exists): nothing from October on
    assert year_of(2025, [], D(2026, 1, 15), closed_on=D(2025, 10, 1)) == (9, list(range(1, 10)), 3, [1, 2, 3])
    # closed on 02/10: it existed on 01/10, so October and the fourth quarter are its own
    assert year_of(2025, [], D(2026, 1, 15), closed_on=D(2025, 10, 2)) == \
        (10, list(range(1, 11)), 3, [1, 2, 3, 4])
    # created and closed within the year: March–May
    assert year_of(2025, [held("t", D(2025, 3, 20), EVERYONE, kind="thematic")], D(2026, 1, 15),
                   created_on=D(2025, 3, 15), closed_on=D(2025, 5, 16)) == (3, [3, 4, 5], 1, [2])


def test_a_year_wholly_before_creation_or_after_closing_expects_nothing():
    before = q.cell_year("A", 2024, [], D(2026, 1, 15), created_on=D(2025, 7, 1))
    assert (before["regular"], before["thematic"]) == ({"held": 0, "expected": 0, "months_without": []},
                                                       {"held": 0, "expected": 0, "quarters_without": []})
    # closed on 01/01/2025: it did not exist a single day of 2025
    assert year_of(2025, [], D(2026, 1, 15), closed_on=D(2025, 1, 1)) == (0, [], 0, [])
    assert year_of(2026, [], D(2027, 1, 15), closed_on=D(2025, 7, 1)) == (0, [], 0, [])
    # closed on 02/01: one day of January
    assert year_of(2025, [], D(2026, 1, 15), closed_on=D(2025, 1, 2)) == (1, [1], 0, [1])


def test_the_months_a_cell_is_open():
    assert q.months_open(2025, None, None) == list(range(1, 13))
    assert q.months_open(2025, D(2025, 12, 31), None) == [12]
    assert q.months_open(2025, D(2026, 1, 1), None) == []
    assert q.months_open(2025, None, D(2025, 12, 31)) == list(range(1, 13))
    assert q.months_open(2025, D(2025, 6, 30), D(2025, 7, 1)) == [6]
    assert q.months_open(2025, D(2025, 6, 30), D(2025, 6, 30)) == []
    # created in an earlier year, closed on 02/01: it existed on 01/01 only
    assert q.months_open(2025, D(2015, 1, 1), D(2025, 1, 2)) == [1]


def test_a_month_or_quarter_is_without_a_meeting_only_once_it_has_ended():
    # no meeting at all in 2025: the edges of June (the last month of the second quarter) and December
    def without(day):
        y = q.cell_year("A", 2025, [], day)
        return y["regular"]["months_without"], y["thematic"]["quarters_without"]
    assert without(D(2025, 6, 1)) == ([1, 2, 3, 4, 5], [1])
    assert without(D(2025, 6, 30)) == ([1, 2, 3, 4, 5], [1])  # it can still meet on 30/06
    assert without(D(2025, 7, 1)) == ([1, 2, 3, 4, 5, 6], [1, 2])
    assert without(D(2025, 12, 31)) == (list(range(1, 12)), [1, 2, 3])
    assert without(D(2026, 1, 1)) == (list(range(1, 13)), [1, 2, 3, 4])
    # a meeting on the last day of the month and of the quarter counts for them
    last_day = [held("r6", D(2025, 6, 30), EVERYONE, combined=True)]
    year = q.cell_year("A", 2025, last_day, D(2025, 7, 1))
    assert (year["regular"]["months_without"], year["thematic"]["quarters_without"]) == ([1, 2, 3, 4, 5], [1])
    # on 31/01/2026 no month of 2026 is over yet
    assert q.cell_year("A", 2026, [], D(2026, 1, 31))["regular"]["months_without"] == []
