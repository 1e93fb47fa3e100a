"""The meeting rules as a cell secretary reads them, without a database: what a refusal names (the
member, the cell, the meeting, the dates), what a scheduled or recorded meeting writes (its date,
its cell, each absence in the member's year record) and the edges of each date rule.

Written from the survivors of a mutation run of ``services/meetings/domain.py`` (see
docs/mutation-testing.md): each test fails when one of those small bugs is planted.
"""
from __future__ import annotations

import datetime as dt

from services.meetings import domain
from services.meetings import member_year as my
from services.meetings import rules as R
from services.meetings.roster import RosterEntry, Unit
from shared.contracts.meetings import RecordMeeting, ScheduleMeeting
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
TODAY = D(2024, 6, 30)
CELL = Unit("C1", "cell", D(2010, 1, 1))
ROSTER = [RosterEntry("M1"), RosterEntry("M2"), RosterEntry("M3", exempt=True)]
PRESENT = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "present"}]


def schedule(planned=D(2024, 6, 5), on=D(2024, 6, 1), meeting=domain.Meeting(), unit=CELL, **fields):
    cmd = ScheduleMeeting(**{"meeting_id": "H1", "org_unit_id": "C1", "kind": "regular", "planned_on": planned,
                             "occurred_on": on, **fields})
    return domain.schedule_meeting(meeting, unit, cmd)


def record(attendance=PRESENT, on=D(2024, 6, 5), meeting=domain.Meeting(), unit=CELL, roster=ROSTER, years=None,
           today=TODAY, **fields):
    cmd = RecordMeeting(**{"meeting_id": "H1", "org_unit_id": "C1", "kind": "regular", "duration_minutes": 120,
                           "attendance": attendance, "occurred_on": on, **fields})
    return domain.record_meeting(meeting, unit, roster, years or {}, cmd, today, rules_on(on))


def scheduled(org_unit_id="C1", kind="regular", planned="2024-06-05"):
    return domain.fold([fact("meeting.scheduled", D(2024, 6, 1), org_unit_id, meeting_id="H1",
                             org_unit_id=org_unit_id, kind=kind, planned_on=planned)])


def says(error, *values):
    """Both texts of the refusal name each value (a clerk reads the message, not the code)."""
    for v in values:
        assert v in error.message_vi and v in error.message_en, (v, error.message_vi, error.message_en)


# --- the meeting's stream and state ---------------------------------------------------------------

def test_a_meetings_stream_name_is_the_stored_one():
    # stored names are facts: a renamed stream would lose every meeting already written
    assert domain.meeting_stream("H1") == "meeting-H1"
    assert domain.meeting_stream("2024-06-C1") == "meeting-2024-06-C1"


def test_a_scheduled_then_held_meeting_keeps_its_planned_and_held_days():
    events = [fact("meeting.scheduled", D(2024, 6, 1), "C1", meeting_id="H1", org_unit_id="C1", kind="thematic",
                   planned_on="2024-06-05"),
              fact("meeting.held", D(2024, 6, 7), "C1", meeting_id="H1", org_unit_id="C1", kind="thematic")]
    assert domain.fold(events[:1]) == domain.Meeting("H1", "C1", "thematic", D(2024, 6, 5), None)
    assert domain.fold(events) == domain.Meeting("H1", "C1", "thematic", D(2024, 6, 5), D(2024, 6, 7))


# --- scheduling -------------------------------------------------------------------------------------

def test_the_scheduled_event_carries_the_meeting_day_the_cell_and_the_agenda():
    [decided] = schedule(planned=D(2024, 6, 5), on=D(2024, 6, 1), kind="thematic", agenda="Nghị quyết quý II")
    p = decided.payload
    assert (p.meeting_id, p.org_unit_id, p.kind, p.planned_on, p.agenda) == \
        ("H1", "C1", "thematic", D(2024, 6, 5), "Nghị quyết quý II")
    # filed on the day it was scheduled, under the cell, in the meeting's own stream
    assert (decided.occurred_on, decided.org_unit_id, decided.stream) == (D(2024, 6, 1), "C1", None)


def test_a_meeting_is_planned_the_day_it_is_scheduled_or_later_not_the_day_before():
    assert types(schedule(planned=D(2024, 6, 1), on=D(2024, 6, 1))) == ["meeting.scheduled"]
    assert types(schedule(planned=D(2024, 6, 2), on=D(2024, 6, 1))) == ["meeting.scheduled"]
    error = refused(lambda: schedule(planned=D(2024, 5, 31), on=D(2024, 6, 1)), R.PLANNED_BEFORE_SCHEDULING)
    assert error.field == "planned_on"
    says(error, "31/05/2024", "01/06/2024")
    assert error.message_en == "Meeting day 31/05/2024 is before the scheduling day 01/06/2024"


def test_a_meeting_already_scheduled_is_named_when_scheduled_again():
    error = refused(lambda: schedule(meeting=scheduled()), R.MEETING_EXISTS)
    says(error, "H1")
    assert error.field == "meeting_id"


def test_the_cell_must_be_open_on_the_meeting_day_not_the_scheduling_day():
    # created after the schedule was set but before the meeting: fine
    created_later = Unit("C1", "cell", D(2024, 6, 3))
    assert types(schedule(planned=D(2024, 6, 5), on=D(2024, 6, 1), unit=created_later)) == ["meeting.scheduled"]
    # merged between the scheduling day and the meeting day: refused, naming the meeting day
    merged = Unit("C1", "cell", D(2010, 1, 1), closed_on=D(2024, 6, 5))
    error = refused(lambda: schedule(planned=D(2024, 6, 5), on=D(2024, 6, 1), unit=merged), R.CELL_INACTIVE)
    says(error, "C1", "05/06/2024")
    assert types(schedule(planned=D(2024, 6, 4), on=D(2024, 6, 1), unit=merged)) == ["meeting.scheduled"]
    refused(lambda: schedule(unit=None), R.ORG_UNIT_NOT_FOUND)


# --- the cell ---------------------------------------------------------------------------------------

def test_a_cell_that_does_not_exist_or_is_not_a_cell_is_named():
    error = refused(lambda: record(unit=None), R.ORG_UNIT_NOT_FOUND)
    says(error, "C1")
    assert error.field == "org_unit_id"
    error = refused(lambda: record(unit=Unit("C1", "grassroots_committee", D(2010, 1, 1))), R.NOT_A_CELL)
    says(error, "C1")
    refused(lambda: record(unit=Unit("C1", "branch", D(2010, 1, 1))), R.NOT_A_CELL)
    # a grassroots cell (chi bộ cơ sở) holds its own meetings
    assert types(record(unit=Unit("C1", "grassroots_cell", D(2010, 1, 1))))[0] == "meeting.held"


def test_a_cell_holds_meetings_from_the_day_it_is_created_until_the_day_before_it_closes():
    new = Unit("C1", "cell", D(2024, 6, 5))
    assert types(record(on=D(2024, 6, 5), unit=new))[0] == "meeting.held"
    error = refused(lambda: record(on=D(2024, 6, 4), unit=new), R.CELL_INACTIVE)
    says(error, "C1", "04/06/2024")
    assert error.field == "org_unit_id"
    closed = Unit("C1", "cell", D(2010, 1, 1), closed_on=D(2024, 6, 5))
    assert types(record(on=D(2024, 6, 4), unit=closed))[0] == "meeting.held"
    says(refused(lambda: record(on=D(2024, 6, 5), unit=closed), R.CELL_INACTIVE), "05/06/2024")
    says(refused(lambda: record(on=D(2024, 6, 6), unit=closed), R.CELL_INACTIVE), "06/06/2024")


# --- attendance -------------------------------------------------------------------------------------

def test_a_member_not_on_the_roster_is_named_with_the_cell_and_the_day():
    error = refused(lambda: record(PRESENT + [{"member_id": "M9", "status": "present"}]), R.NOT_ON_ROSTER)
    says(error, "M9", "C1", "05/06/2024")
    assert error.field == "attendance.2.member_id"


def test_an_exempt_member_is_named_with_the_day():
    error = refused(lambda: record(PRESENT + [{"member_id": "M3", "status": "present"}]), R.MEMBER_EXEMPT)
    says(error, "M3", "05/06/2024")
    assert error.field == "attendance.2.member_id"


def test_a_member_listed_twice_is_named():
    error = refused(lambda: record(PRESENT + [{"member_id": "M2", "status": "unexcused"}]), R.ATTENDANCE_DUPLICATE)
    says(error, "M2")
    assert error.field == "attendance.2.member_id"


def test_an_excused_absence_names_the_member_without_a_reason():
    blank = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "excused", "reason": "  "}]
    error = refused(lambda: record(blank), R.REASON_REQUIRED)
    says(error, "M2")
    assert error.field == "attendance.1.reason"
    # an unexcused absence needs no reason
    assert types(record([{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "unexcused"}]))[:2] \
        == ["meeting.held", "meeting.missed"]


def test_every_missing_member_is_named_and_counted():
    roster = [RosterEntry("M1"), RosterEntry("M2"), RosterEntry("M4"), RosterEntry("M3", exempt=True)]
    error = refused(lambda: record([{"member_id": "M2", "status": "present"}], roster=roster), R.ATTENDANCE_MISSING)
    assert error.details == {"missing": ["M1", "M4"]}
    assert error.message_en == "Attendance missing for 2 expected member(s): M1, M4"
    assert error.message_vi == "Thiếu điểm danh 2 đảng viên sinh hoạt tại chi bộ: M1, M4"
    assert error.field == "attendance"


def test_a_cell_with_nobody_expected_that_day_is_named():
    error = refused(lambda: record([], roster=[RosterEntry("M3", exempt=True)]), R.NO_EXPECTED_MEMBERS)
    says(error, "C1", "05/06/2024")
    refused(lambda: record([], roster=[]), R.NO_EXPECTED_MEMBERS)


# --- recording --------------------------------------------------------------------------------------

def test_a_meeting_is_recorded_on_today_but_not_tomorrow():
    assert types(record(on=TODAY))[0] == "meeting.held"
    assert types(record(on=TODAY - dt.timedelta(days=1)))[0] == "meeting.held"
    error = refused(lambda: record(on=TODAY + dt.timedelta(days=1)), R.MEETING_IN_FUTURE)
    says(error, "01/07/2024", "30/06/2024")
    assert error.field == "occurred_on"


def test_a_meeting_recorded_already_is_named_with_the_day_it_was_held():
    held = domain.fold([fact("meeting.scheduled", D(2024, 6, 1), "C1", meeting_id="H1", org_unit_id="C1",
                             kind="regular", planned_on="2024-06-05"),
                        fact("meeting.held", D(2024, 6, 4), "C1", meeting_id="H1", org_unit_id="C1", kind="regular")])
    error = refused(lambda: record(meeting=held), R.MEETING_ALREADY_RECORDED)
    says(error, "H1", "04/06/2024")
    assert error.field == "meeting_id"


def test_a_scheduled_meeting_is_recorded_by_its_own_cell_and_kind_only():
    assert types(record(meeting=scheduled()))[0] == "meeting.held"
    # another cell's schedule
    error = refused(lambda: record(meeting=scheduled(org_unit_id="C2")), R.MEETING_SCHEDULE_MISMATCH)
    says(error, "H1", "C2")
    assert error.field == "meeting_id"
    # another kind of meeting
    error = refused(lambda: record(meeting=scheduled(kind="thematic")), R.MEETING_SCHEDULE_MISMATCH)
    assert "sinh hoạt chuyên đề" in error.message_vi and "thematic" in error.message_en
    says(error, "H1", "C1")


def test_the_chair_is_named_when_not_present():
    excused = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "excused", "reason": "ốm"}]
    error = refused(lambda: record(excused, chaired_by="M2"), R.CHAIR_NOT_PRESENT)
    says(error, "M2")
    assert error.field == "chaired_by"
    assert types(record(excused, chaired_by="M1"))[0] == "meeting.held"
    refused(lambda: record(excused, chaired_by="M9"), R.CHAIR_NOT_PRESENT)


def test_the_held_event_keeps_what_the_secretary_recorded():
    attendance = [{"member_id": "M1", "status": "present"},
                  {"member_id": "M2", "status": "excused", "reason": "Công tác"}]
    held, missed = record(attendance, kind="regular", duration_minutes=150, combined=True,
                          content_summary="Kiểm điểm tháng 6", committee_member_attended=True, chaired_by="M1")
    p = held.payload
    assert (p.meeting_id, p.org_unit_id, p.kind, p.duration_minutes, p.combined, p.content_summary,
            p.committee_member_attended, p.chaired_by) == \
        ("H1", "C1", "regular", 150, True, "Kiểm điểm tháng 6", True, "M1")
    assert [(a.member_id, a.status, a.reason) for a in p.attendance] == \
        [("M1", "present", None), ("M2", "excused", "Công tác")]
    assert (held.occurred_on, held.org_unit_id, held.stream) == (D(2024, 6, 5), "C1", None)
    assert types([missed]) == ["meeting.missed"]


def test_each_absence_goes_to_the_members_record_of_that_year():
    roster = [RosterEntry("M1"), RosterEntry("M2"), RosterEntry("M4")]
    attendance = [{"member_id": "M1", "status": "present"},
                  {"member_id": "M2", "status": "excused", "reason": "Ốm"},
                  {"member_id": "M4", "status": "unexcused", "reason": "Không báo"}]
    out = record(attendance, roster=roster, on=D(2024, 1, 2), today=D(2024, 1, 2))
    missed = [d for d in out if d.payload.TYPE == "meeting.missed"]
    assert [(d.payload.meeting_id, d.payload.org_unit_id, d.payload.member_id, d.payload.excused, d.payload.reason)
            for d in missed] == [("H1", "C1", "M2", True, "Ốm"), ("H1", "C1", "M4", False, "Không báo")]
    assert [(d.occurred_on, d.org_unit_id, d.stream) for d in missed] == \
        [(D(2024, 1, 2), "C1", "absences-M2-2024"), (D(2024, 1, 2), "C1", "absences-M4-2024")]


def test_an_unexcused_absence_warns_in_the_members_year_record_and_counts_earlier_months():
    roster = [RosterEntry("M1"), RosterEntry("M2")]
    absent = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "unexcused"}]
    # the first unexcused absence of the year: warning 1
    out = record(absent, roster=roster)
    warned = [d for d in out if d.payload.TYPE == "attendance.warning_raised"]
    assert [(d.payload.member_id, d.payload.year, d.payload.kind, d.payload.count, d.payload.level)
            for d in warned] == [("M2", 2024, "absence", 1, "warning")]
    assert [(d.occurred_on, d.org_unit_id, d.stream) for d in warned] == [(D(2024, 6, 5), "C1", "absences-M2-2024")]
    # two months already missed (warnings 1 and 2 raised): this third month reaches the removal ground
    before = my.MemberYear(unexcused=frozenset({"H-3", "H-4"}), unexcused_months=frozenset({"2024-03", "2024-04"}),
                           raised=frozenset({("absence", 1), ("absence", 2)}))
    out = record(absent, roster=roster, years={"M2": before})
    assert [(d.payload.member_id, d.payload.count, d.payload.level) for d in out
            if d.payload.TYPE == "attendance.warning_raised"] == [("M2", 3, "removal_ground")]
    # another member's record does not count for M2
    out = record(absent, roster=roster, years={"M1": before})
    assert [d.payload.count for d in out if d.payload.TYPE == "attendance.warning_raised"] == [1]
    # an excused absence warns nobody
    excused = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "excused", "reason": "Ốm"}]
    assert types(record(excused, roster=roster, years={"M2": before})) == ["meeting.held", "meeting.missed"]


def test_two_members_absent_unexcused_at_one_meeting_are_both_warned():
    roster = [RosterEntry("M1"), RosterEntry("M2"), RosterEntry("M4")]
    absent = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "unexcused"},
              {"member_id": "M4", "status": "unexcused"}]
    out = record(absent, roster=roster)
    assert [(d.payload.member_id, d.payload.count, d.stream) for d in out
            if d.payload.TYPE == "attendance.warning_raised"] == \
        [("M2", 1, "absences-M2-2024"), ("M4", 1, "absences-M4-2024")]
