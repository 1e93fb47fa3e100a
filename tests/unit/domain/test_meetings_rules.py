"""The meetings rules without a database: given a meeting's facts and the cell's roster that day,
when a meeting is scheduled or recorded, then the facts decided or the named rule."""
from __future__ import annotations

import datetime as dt

from services.meetings import domain
from services.meetings import rules as R
from services.meetings.roster import RosterEntry, Unit
from shared.contracts.meetings import RecordMeeting, ScheduleMeeting
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
TODAY = D(2024, 6, 30)
CELL = Unit("C1", "cell", D(2010, 1, 1))
ROSTER = [RosterEntry("M1"), RosterEntry("M2"), RosterEntry("M3", exempt=True)]


def record(on=D(2024, 6, 5), attendance=None, meeting=domain.Meeting(), unit=CELL, **fields):
    attendance = attendance if attendance is not None else [{"member_id": "M1", "status": "present"},
                                                            {"member_id": "M2", "status": "unexcused"}]
    cmd = RecordMeeting(meeting_id="H1", org_unit_id="C1", kind="regular", duration_minutes=120,
                        attendance=attendance, occurred_on=on, **fields)
    return domain.record_meeting(meeting, unit, ROSTER, {}, cmd, TODAY, rules_on(on))


def test_a_meeting_is_recorded_with_every_expected_member_once():
    assert types(record())[:2] == ["meeting.held", "meeting.missed"]
    error = refused(lambda: record(attendance=[{"member_id": "M1", "status": "present"}]), R.ATTENDANCE_MISSING)
    assert (error.message_en, error.details) == ("Attendance missing for 1 expected member(s): M2", {"missing": ["M2"]})
    twice = [{"member_id": "M1", "status": "present"}, {"member_id": "M1", "status": "present"}]
    assert refused(lambda: record(attendance=twice), R.ATTENDANCE_DUPLICATE).field == "attendance.1.member_id"
    stranger = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "present"},
                {"member_id": "M9", "status": "present"}]
    refused(lambda: record(attendance=stranger), R.NOT_ON_ROSTER)
    exempt = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "present"},
              {"member_id": "M3", "status": "present"}]
    refused(lambda: record(attendance=exempt), R.MEMBER_EXEMPT)


def test_an_excused_absence_names_its_reason():
    excused = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "excused"}]
    assert refused(lambda: record(attendance=excused), R.REASON_REQUIRED).field == "attendance.1.reason"
    with_reason = [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "excused", "reason": "ốm"}]
    assert types(record(attendance=with_reason))[0] == "meeting.held"


def test_a_meeting_is_not_recorded_after_today_nor_twice():
    assert types(record(on=TODAY))[0] == "meeting.held"
    error = refused(lambda: record(on=TODAY + dt.timedelta(days=1)), R.MEETING_IN_FUTURE)
    assert error.message_vi == "Ngày họp 01/07/2024 ở sau ngày hôm nay (30/06/2024)"
    held = domain.fold([fact("meeting.held", D(2024, 6, 5), "C1", meeting_id="H1", org_unit_id="C1", kind="regular")])
    refused(lambda: record(meeting=held), R.MEETING_ALREADY_RECORDED)


def test_the_chair_is_present():
    refused(lambda: record(chaired_by="M2"), R.CHAIR_NOT_PRESENT)
    assert types(record(chaired_by="M1"))[0] == "meeting.held"


def test_only_an_open_cell_holds_meetings():
    refused(lambda: record(unit=None), R.ORG_UNIT_NOT_FOUND)
    refused(lambda: record(unit=Unit("G1", "grassroots_committee", D(2010, 1, 1))), R.NOT_A_CELL)
    closed = Unit("C1", "cell", D(2010, 1, 1), closed_on=D(2024, 6, 5))
    refused(lambda: record(unit=closed), R.CELL_INACTIVE)  # closed that day
    assert types(record(on=D(2024, 6, 4), unit=closed))[0] == "meeting.held"  # the day before


def test_a_meeting_is_planned_on_or_after_the_day_it_is_scheduled():
    def schedule(planned, meeting=domain.Meeting()):
        cmd = ScheduleMeeting(meeting_id="H1", org_unit_id="C1", kind="regular", planned_on=planned,
                              occurred_on=D(2024, 6, 1))
        return domain.schedule_meeting(meeting, CELL, cmd)
    assert types(schedule(D(2024, 6, 1))) == ["meeting.scheduled"]
    refused(lambda: schedule(D(2024, 5, 31)), R.PLANNED_BEFORE_SCHEDULING)
    scheduled = domain.fold([fact("meeting.scheduled", D(2024, 6, 1), "C1", meeting_id="H1", org_unit_id="C1",
                                  kind="regular", planned_on="2024-06-05")])
    refused(lambda: schedule(D(2024, 6, 5), scheduled), R.MEETING_EXISTS)


def test_every_named_rule_has_texts_and_a_source():
    for rule in R.ALL:
        assert rule.vi and rule.en and rule.source, rule.code
