"""Events of the meetings service: cell meetings (sinh hoạt chi bộ), absences, dues (đảng phí),
and early warnings (D0 "detect in time", D4 meeting quality).

Fields added beyond DESIGN.md §2 all have defaults, so lines written to the minimal published
shape still validate.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.catalog.common import Id, Month, SealedText, Text
from shared.events import EventData, event_type

MeetingKind = Literal["regular", "thematic"]
AttendanceStatus = Literal["present", "excused", "unexcused"]
DuesStatus = Literal["paid", "unpaid", "exempt", "reduced"]
#: grounds for exemption from dues (miễn đóng đảng phí), DOMAIN.md §4
DuesExemptionGround = Literal["party_age_50", "social_pension", "poor_household", "serious_illness"]


class Attendance(EventData):
    """One expected member at a meeting: có mặt / vắng có lý do / vắng không lý do.

    ``excused`` means the cell accepted the reason (the chi bộ's ruling); a reason the cell did
    not accept is recorded as ``unexcused`` with the reason kept.

    The reason is personal (often a health matter): sealed with the member's key in the meetings
    service's key vault (``sealed:v1:...``), clear only in events written before it was sealed.
    """

    member_id: Id
    status: AttendanceStatus
    reason: SealedText | None = None


@event_type("meeting.scheduled")
class MeetingScheduled(EventData):
    """Lịch sinh hoạt chi bộ: a meeting planned for a date (may be in the future)."""

    meeting_id: Id
    org_unit_id: Id
    kind: MeetingKind
    planned_on: dt.date
    agenda: Text | None = None


@event_type("meeting.held")
class MeetingHeld(EventData):
    """Sinh hoạt chi bộ (định kỳ hằng tháng / chuyên đề hằng quý) held, with the attendance of
    every member expected on the roster that day."""

    meeting_id: Id
    org_unit_id: Id
    kind: MeetingKind
    duration_minutes: int = Field(ge=1, le=24 * 60)
    attendance: list[Attendance]
    #: regular and thematic held in one sitting (HD 42: ≥ 120 minutes then)
    combined: bool = False
    content_summary: Text | None = None
    #: cấp ủy viên phụ trách chi bộ dự họp (D7); None when not recorded
    committee_member_attended: bool | None = None
    #: người chủ trì (the member who chaired: the secretary or a deputy); None when not recorded
    chaired_by: Id | None = None


@event_type("meeting.missed")
class MeetingMissed(EventData):
    """Vắng sinh hoạt chi bộ: one absence of one expected member (excused or not)."""

    meeting_id: Id
    org_unit_id: Id
    member_id: Id
    excused: bool
    #: sealed like ``Attendance.reason``
    reason: SealedText | None = None


@event_type("dues.recorded")
class DuesRecorded(EventData):
    """Đảng phí of one member for one month: đã đóng / chưa đóng / miễn / giảm."""

    member_id: Id
    month: Month
    status: DuesStatus
    #: mức giảm (30/50/70 %), only with status "reduced"
    reduction_pct: int | None = None
    #: căn cứ miễn, only with status "exempt"
    exemption_ground: DuesExemptionGround | None = None


@event_type("attendance.warning_raised")
class AttendanceWarningRaised(EventData):
    """Cảnh báo sớm (D0): a member reached 1, 2 or 3 unexcused absences (vắng không lý do) or
    unpaid dues months (không đóng đảng phí) in a calendar year. Level "removal_ground" at 3:
    Charter art. 8 ground (a) for removal from the rolls (xóa tên)."""

    member_id: Id
    year: int
    kind: Literal["absence", "unpaid_dues"]
    count: int = Field(ge=1)
    level: Literal["warning", "removal_ground"]
