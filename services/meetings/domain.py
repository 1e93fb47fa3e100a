"""Pure rules for cell meetings (sinh hoạt chi bộ): schedule, record with attendance.

No I/O. The roster on the meeting date and the member-year records are given by the caller.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from shared.application import Decided
from shared.contracts.meetings import RecordMeeting, ScheduleMeeting
from shared.catalog.common import MEMBER_HOLDING_KINDS
from shared.catalog.meetings import Attendance, MeetingHeld, MeetingMissed, MeetingScheduled
from shared.events import Envelope, stream_name
from shared.rules import Rules
from shared.dates import vn_date
from shared.events import by_type, fold as fold_events

from services.meetings import member_year as my
from services.meetings import rules as R
from services.meetings.roster import RosterEntry, Unit

KIND_VI = {"regular": "sinh hoạt định kỳ", "thematic": "sinh hoạt chuyên đề"}


fmt = vn_date  # dd/mm/yyyy, as users read dates


def meeting_stream(meeting_id: str) -> str:
    return stream_name("meeting", meeting_id)


@dataclass(frozen=True)
class Meeting:
    meeting_id: str | None = None
    org_unit_id: str | None = None
    kind: str | None = None
    planned_on: dt.date | None = None
    held_on: dt.date | None = None


evolve = by_type({
    "meeting.scheduled": lambda state, e: Meeting(e.data["meeting_id"], e.data["org_unit_id"], e.data["kind"],
                                                  dt.date.fromisoformat(e.data["planned_on"])),
    "meeting.held": lambda state, e: Meeting(e.data["meeting_id"], e.data["org_unit_id"], e.data["kind"],
                                             state.planned_on, e.occurred_on),
})


def fold(events: list[Envelope]) -> Meeting:
    return fold_events(evolve, Meeting(), events)


def check_is_cell(unit: Unit | None, org_unit_id: str) -> Unit:
    """Only a cell (chi bộ) holds cell meetings: a unit that is known and holds members."""
    if unit is None:
        raise R.ORG_UNIT_NOT_FOUND(org_unit_id=org_unit_id)
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise R.NOT_A_CELL(org_unit_id=org_unit_id)
    return unit


def check_cell(unit: Unit | None, org_unit_id: str, day: dt.date) -> None:
    """Meetings belong to a cell that exists and is not merged or dissolved on that day."""
    unit = check_is_cell(unit, org_unit_id)
    if not unit.open_on(day):
        raise R.CELL_INACTIVE(org_unit_id=org_unit_id, day=fmt(day))


def not_in_future(day: dt.date, today: dt.date) -> None:
    """A fact is recorded once it has happened: the day a command records (a scheduling, a dues
    record) is not after today — the day the meeting is planned for, or the month dues are paid
    for in advance, may be."""
    if day > today:
        raise R.DATE_IN_FUTURE(day=fmt(day), today=fmt(today))


def schedule_meeting(meeting: Meeting, unit: Unit | None, cmd: ScheduleMeeting) -> list[Decided]:
    if meeting.meeting_id is not None:
        raise R.MEETING_EXISTS(meeting_id=cmd.meeting_id)
    if cmd.planned_on < cmd.occurred_on:
        raise R.PLANNED_BEFORE_SCHEDULING(planned=fmt(cmd.planned_on), scheduled=fmt(cmd.occurred_on))
    check_cell(unit, cmd.org_unit_id, cmd.planned_on)
    payload = MeetingScheduled(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, kind=cmd.kind,
                               planned_on=cmd.planned_on, agenda=cmd.agenda)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


def check_attendance(roster: list[RosterEntry], cmd: RecordMeeting) -> None:
    """Every expected member exactly once; nobody else; excused absences carry their reason."""
    on_roster = {e.member_id: e for e in roster}
    seen: set[str] = set()
    for i, a in enumerate(cmd.attendance):
        where = f"attendance.{i}.member_id"
        if a.member_id in seen:
            raise R.ATTENDANCE_DUPLICATE(member_id=a.member_id, field=where)
        seen.add(a.member_id)
        entry = on_roster.get(a.member_id)
        if entry is None:
            raise R.NOT_ON_ROSTER(member_id=a.member_id, org_unit_id=cmd.org_unit_id, day=fmt(cmd.occurred_on),
                                  field=where)
        if entry.exempt:
            raise R.MEMBER_EXEMPT(member_id=a.member_id, day=fmt(cmd.occurred_on), field=where)
        if a.status == "excused" and not (a.reason or "").strip():
            raise R.REASON_REQUIRED(member_id=a.member_id, field=f"attendance.{i}.reason")
    missing = [e.member_id for e in roster if e.expected and e.member_id not in seen]
    if missing:
        raise R.ATTENDANCE_MISSING(count=len(missing), missing=", ".join(missing), details={"missing": missing})
    if not seen:
        raise R.NO_EXPECTED_MEMBERS(org_unit_id=cmd.org_unit_id, day=fmt(cmd.occurred_on))


def record_meeting(meeting: Meeting, unit: Unit | None, roster: list[RosterEntry],
                   years: Mapping[str, my.MemberYear], cmd: RecordMeeting, today: dt.date, rules: Rules,
                   sealed: Mapping[str, str] | None = None) -> list[Decided]:
    """``meeting.held``, one ``meeting.missed`` per absence (in the member's year record), and the
    early warnings those absences reach. ``years``: member id -> record of the meeting's year;
    ``sealed``: member id -> their absence reason sealed with their key, what the events carry."""
    sealed = sealed or {}
    day = cmd.occurred_on
    if day > today:
        raise R.MEETING_IN_FUTURE(day=fmt(day), today=fmt(today))
    if meeting.held_on is not None:
        raise R.MEETING_ALREADY_RECORDED(meeting_id=cmd.meeting_id, day=fmt(meeting.held_on))
    if meeting.meeting_id is not None and (meeting.org_unit_id, meeting.kind) != (cmd.org_unit_id, cmd.kind):
        raise R.MEETING_SCHEDULE_MISMATCH(meeting_id=cmd.meeting_id, kind_vi=KIND_VI[meeting.kind], kind=meeting.kind,
                                          org_unit_id=meeting.org_unit_id)
    check_cell(unit, cmd.org_unit_id, day)
    check_attendance(roster, cmd)
    if cmd.chaired_by is not None and cmd.chaired_by not in {a.member_id for a in cmd.attendance
                                                              if a.status == "present"}:
        raise R.CHAIR_NOT_PRESENT(chair=cmd.chaired_by)
    held = MeetingHeld(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, kind=cmd.kind,
                       duration_minutes=cmd.duration_minutes, combined=cmd.combined,
                       content_summary=cmd.content_summary, committee_member_attended=cmd.committee_member_attended,
                       chaired_by=cmd.chaired_by,
                       attendance=[Attendance(member_id=a.member_id, status=a.status,
                                              reason=sealed.get(a.member_id, a.reason))
                                   for a in cmd.attendance])
    out = [Decided(held, day, cmd.org_unit_id)]
    warnings = []
    for a in cmd.attendance:
        if a.status == "present":
            continue
        stream = my.year_stream(a.member_id, day.year)
        missed = MeetingMissed(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, member_id=a.member_id,
                               excused=a.status == "excused", reason=sealed.get(a.member_id, a.reason))
        out.append(Decided(missed, day, cmd.org_unit_id, stream=stream))
        if a.status == "unexcused":
            before = years.get(a.member_id, my.MemberYear())
            after = before.with_absence(cmd.meeting_id, day)
            warnings += [Decided(w, day, cmd.org_unit_id, stream=stream)
                         for w in my.warnings_due(after, a.member_id, day.year, "absence", rules)]
    return out + warnings
