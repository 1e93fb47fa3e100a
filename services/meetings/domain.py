"""Pure rules for cell meetings (sinh hoạt chi bộ): schedule, record with attendance.

No I/O. The roster on the meeting date and the member-year records are given by the caller.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from shared.application import Decided
from shared.catalog.common import MEMBER_HOLDING_KINDS
from shared.catalog.meetings import Attendance, MeetingHeld, MeetingMissed, MeetingScheduled
from shared.errors import Conflict, DomainError, NotFound
from shared.events import Envelope
from shared.rules import Rules
from shared.dates import vn_date
from shared.events import fold as fold_events

from services.meetings import member_year as my
from services.meetings.roster import RosterEntry, Unit

KIND_VI = {"regular": "sinh hoạt định kỳ", "thematic": "sinh hoạt chuyên đề"}


fmt = vn_date  # dd/mm/yyyy, as users read dates


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


@dataclass(frozen=True)
class Meeting:
    meeting_id: str | None = None
    org_unit_id: str | None = None
    kind: str | None = None
    planned_on: dt.date | None = None
    held_on: dt.date | None = None


def evolve(state: Meeting, e: Envelope) -> Meeting:
    d = e.data
    if e.type == "meeting.scheduled":
        return Meeting(d["meeting_id"], d["org_unit_id"], d["kind"], dt.date.fromisoformat(d["planned_on"]))
    if e.type == "meeting.held":
        return Meeting(d["meeting_id"], d["org_unit_id"], d["kind"], state.planned_on, e.occurred_on)
    return state


def fold(events: list[Envelope]) -> Meeting:
    return fold_events(evolve, Meeting(), events)


def check_cell(unit: Unit | None, org_unit_id: str, day: dt.date) -> None:
    """Meetings belong to a cell that exists and is not merged or dissolved on that day."""
    if unit is None:
        raise NotFound("org_unit_not_found", f"Không tìm thấy tổ chức đảng «{org_unit_id}»",
                       f"Party organisation '{org_unit_id}' not found", field="org_unit_id")
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise DomainError("not_a_cell", f"«{org_unit_id}» không phải là chi bộ; chỉ chi bộ tổ chức sinh hoạt chi bộ",
                          f"'{org_unit_id}' is not a cell; only cells hold cell meetings", field="org_unit_id")
    if not unit.open_on(day):
        raise DomainError("org_unit_inactive",
                          f"Chi bộ «{org_unit_id}» không hoạt động vào ngày {fmt(day)} "
                          f"(chưa thành lập, đã hợp nhất hoặc giải thể)",
                          f"Cell '{org_unit_id}' is not active on {fmt(day)} (not yet created, merged or dissolved)",
                          field="org_unit_id")


def schedule_meeting(meeting: Meeting, unit: Unit | None, cmd) -> list[Decided]:
    if meeting.meeting_id is not None:
        raise Conflict("meeting_exists", f"Buổi sinh hoạt «{cmd.meeting_id}» đã có",
                       f"Meeting '{cmd.meeting_id}' already exists", field="meeting_id")
    if cmd.planned_on < cmd.occurred_on:
        raise DomainError("planned_before_scheduling",
                          f"Ngày họp {fmt(cmd.planned_on)} trước ngày lên lịch {fmt(cmd.occurred_on)}",
                          f"Meeting day {fmt(cmd.planned_on)} is before the scheduling day {fmt(cmd.occurred_on)}",
                          field="planned_on")
    check_cell(unit, cmd.org_unit_id, cmd.planned_on)
    payload = MeetingScheduled(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, kind=cmd.kind,
                               planned_on=cmd.planned_on, agenda=cmd.agenda)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


def check_attendance(roster: list[RosterEntry], cmd) -> None:
    """Every expected member exactly once; nobody else; excused absences carry their reason."""
    on_roster = {e.member_id: e for e in roster}
    seen: set[str] = set()
    for i, a in enumerate(cmd.attendance):
        where = f"attendance.{i}.member_id"
        if a.member_id in seen:
            raise DomainError("attendance_duplicate", f"Đảng viên «{a.member_id}» được điểm danh hai lần",
                              f"Member '{a.member_id}' appears twice in the attendance", field=where)
        seen.add(a.member_id)
        entry = on_roster.get(a.member_id)
        if entry is None:
            raise DomainError("not_on_roster",
                              f"Đảng viên «{a.member_id}» không sinh hoạt tại chi bộ «{cmd.org_unit_id}» "
                              f"vào ngày {fmt(cmd.occurred_on)}",
                              f"Member '{a.member_id}' is not on the roster of cell '{cmd.org_unit_id}' "
                              f"on {fmt(cmd.occurred_on)}", field=where)
        if entry.exempt:
            raise DomainError("member_exempt",
                              f"Đảng viên «{a.member_id}» đang được miễn sinh hoạt vào ngày {fmt(cmd.occurred_on)}; "
                              f"không điểm danh người được miễn",
                              f"Member '{a.member_id}' is exempt from meetings on {fmt(cmd.occurred_on)}; "
                              f"exempt members are not on the attendance", field=where)
        if a.status == "excused" and not (a.reason or "").strip():
            raise DomainError("reason_required",
                              f"Vắng có lý do phải ghi lý do được chi bộ chấp nhận (đảng viên «{a.member_id}»)",
                              f"An excused absence needs the reason the cell accepted (member '{a.member_id}')",
                              field=f"attendance.{i}.reason")
    missing = [e.member_id for e in roster if e.expected and e.member_id not in seen]
    if missing:
        raise DomainError("attendance_missing",
                          f"Thiếu điểm danh {len(missing)} đảng viên sinh hoạt tại chi bộ: {', '.join(missing)}",
                          f"Attendance missing for {len(missing)} expected member(s): {', '.join(missing)}",
                          field="attendance", missing=missing)
    if not seen:
        raise DomainError("no_expected_members",
                          f"Chi bộ «{cmd.org_unit_id}» không có đảng viên sinh hoạt vào ngày {fmt(cmd.occurred_on)}",
                          f"Cell '{cmd.org_unit_id}' has no expected members on {fmt(cmd.occurred_on)}",
                          field="org_unit_id")


def record_meeting(meeting: Meeting, unit: Unit | None, roster: list[RosterEntry],
                   years: Mapping[str, my.MemberYear], cmd, today: dt.date, rules: Rules) -> list[Decided]:
    """``meeting.held``, one ``meeting.missed`` per absence (in the member's year record), and the
    early warnings those absences reach. ``years``: member id -> record of the meeting's year."""
    day = cmd.occurred_on
    if day > today:
        raise DomainError("meeting_in_future", f"Ngày họp {fmt(day)} ở sau ngày hôm nay ({fmt(today)})",
                          f"The meeting date {fmt(day)} is after today ({fmt(today)})", field="occurred_on")
    if meeting.held_on is not None:
        raise Conflict("meeting_already_recorded",
                       f"Buổi sinh hoạt «{cmd.meeting_id}» đã được ghi nhận ngày {fmt(meeting.held_on)}",
                       f"Meeting '{cmd.meeting_id}' was already recorded on {fmt(meeting.held_on)}", field="meeting_id")
    if meeting.meeting_id is not None and (meeting.org_unit_id, meeting.kind) != (cmd.org_unit_id, cmd.kind):
        raise DomainError("meeting_schedule_mismatch",
                          f"Buổi sinh hoạt «{cmd.meeting_id}» đã lên lịch là {KIND_VI[meeting.kind]} "
                          f"của chi bộ «{meeting.org_unit_id}»",
                          f"Meeting '{cmd.meeting_id}' was scheduled as a {meeting.kind} meeting of '{meeting.org_unit_id}'",
                          field="meeting_id")
    check_cell(unit, cmd.org_unit_id, day)
    check_attendance(roster, cmd)
    if cmd.chaired_by is not None and cmd.chaired_by not in {a.member_id for a in cmd.attendance
                                                              if a.status == "present"}:
        raise DomainError("chair_not_present", f"Người chủ trì «{cmd.chaired_by}» không có mặt trong buổi họp",
                          f"The chair '{cmd.chaired_by}' is not marked present at the meeting", field="chaired_by")
    held = MeetingHeld(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, kind=cmd.kind,
                       duration_minutes=cmd.duration_minutes, combined=cmd.combined,
                       content_summary=cmd.content_summary, committee_member_attended=cmd.committee_member_attended,
                       chaired_by=cmd.chaired_by,
                       attendance=[Attendance(member_id=a.member_id, status=a.status, reason=a.reason)
                                   for a in cmd.attendance])
    out = [Decided(held, day, cmd.org_unit_id)]
    warnings = []
    for a in cmd.attendance:
        if a.status == "present":
            continue
        stream = my.year_stream(a.member_id, day.year)
        missed = MeetingMissed(meeting_id=cmd.meeting_id, org_unit_id=cmd.org_unit_id, member_id=a.member_id,
                               excused=a.status == "excused", reason=a.reason)
        out.append(Decided(missed, day, cmd.org_unit_id, stream=stream))
        if a.status == "unexcused":
            before = years.get(a.member_id, my.MemberYear())
            after = before.with_absence(cmd.meeting_id, day)
            warnings += [Decided(w, day, cmd.org_unit_id, stream=stream)
                         for w in my.warnings_due(after, a.member_id, day.year, "absence", rules)]
    return out + warnings
