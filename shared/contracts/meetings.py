"""Commands and queries of the meetings service (RPCs, HTTP endpoints and import lines).

``RecordMeeting`` has exactly the fields of the ``meeting.held`` payload, and ``RecordDues`` those
of ``dues.recorded``, so an import line is the live command (DESIGN.md §2 "Import").
"""
from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.catalog.common import Id, Month, Text
from shared.catalog.meetings import AttendanceStatus, DuesExemptionGround, DuesStatus, MeetingKind
from shared.contracts import Command, Query, Spec

from pydantic import BaseModel, ConfigDict

READERS = ("viewer", "clerk", "inspector", "administrator")


class AttendanceIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    member_id: Id
    status: AttendanceStatus
    #: required when excused: the reason the cell accepted
    reason: Text | None = None


class ScheduleMeeting(Command):
    """``occurred_on``: the day the schedule was set; ``planned_on``: the meeting day."""

    meeting_id: Id
    org_unit_id: Id
    kind: MeetingKind
    planned_on: dt.date
    agenda: Text | None = None


class RecordMeeting(Command):
    """``occurred_on``: the meeting day. ``attendance``: every member expected on the roster."""

    meeting_id: Id
    org_unit_id: Id
    kind: MeetingKind
    duration_minutes: int = Field(ge=1, le=24 * 60)
    attendance: list[AttendanceIn]
    combined: bool = False
    content_summary: Text | None = None
    committee_member_attended: bool | None = None
    #: người chủ trì: a member on the roster of that day
    chaired_by: Id | None = None


class RecordDues(Command):
    """``occurred_on``: the day it was recorded; ``month``: the month the dues are for."""

    member_id: Id
    month: Month
    status: DuesStatus
    reduction_pct: int | None = None
    exemption_ground: DuesExemptionGround | None = None


class RosterQuery(Query):
    org_unit_id: Id
    on: dt.date


class MeetingQuery(Query):
    meeting_id: Id


class CellYearQuery(Query):
    org_unit_id: Id
    year: int = Field(ge=1930, le=2100)


class AbsencesQuery(Query):
    year: int = Field(ge=1930, le=2100)
    member_id: Id | None = None
    org_unit_id: Id | None = None


class WarningsQuery(Query):
    year: int = Field(ge=1930, le=2100)
    org_unit_id: Id | None = None


COMMANDS = {
    "schedule_meeting": Spec(ScheduleMeeting, "Lên lịch sinh hoạt chi bộ", "Schedule a cell meeting",
                             creates=("meeting_id",)),
    "record_meeting": Spec(RecordMeeting, "Ghi nhận buổi sinh hoạt chi bộ và điểm danh",
                           "Record a cell meeting held, with attendance", creates=("meeting_id",)),
    "record_dues": Spec(RecordDues, "Ghi nhận đảng phí tháng", "Record a member's dues for a month"),
}
QUERIES = {
    "roster": Spec(RosterQuery, "Danh sách đảng viên sinh hoạt tại chi bộ vào một ngày",
                   "Members expected at a cell's meetings on a date", roles=READERS),
    "meeting": Spec(MeetingQuery, "Buổi sinh hoạt và đánh giá chất lượng (HD 12, HD 42)",
                    "A meeting and its quality (HD 12, HD 42)", roles=READERS),
    "cell_quality": Spec(CellYearQuery, "Chất lượng sinh hoạt chi bộ trong năm",
                         "Meeting quality of a cell over a year", roles=READERS),
    "absences": Spec(AbsencesQuery, "Số buổi vắng và tháng chưa đóng đảng phí trong năm",
                     "Absences and unpaid dues months per member and year", roles=READERS),
    "warnings": Spec(WarningsQuery, "Cảnh báo sớm: vắng sinh hoạt, không đóng đảng phí",
                     "Early warnings: absences and unpaid dues", roles=READERS),
}
