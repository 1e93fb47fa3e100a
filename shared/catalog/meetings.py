"""Events of the meetings service: cell meetings, absences, dues."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.catalog.common import Id, Month, Text
from shared.events import EventData, event_type


class Attendance(EventData):
    member_id: Id
    status: Literal["present", "excused", "unexcused"]
    reason: Text | None = None


@event_type("meeting.held")
class MeetingHeld(EventData):
    meeting_id: Id
    org_unit_id: Id
    kind: Literal["regular", "thematic"]
    duration_minutes: int = Field(ge=1, le=24 * 60)
    attendance: list[Attendance]


@event_type("meeting.missed")
class MeetingMissed(EventData):
    meeting_id: Id
    org_unit_id: Id
    member_id: Id
    excused: bool
    reason: Text | None = None


@event_type("dues.recorded")
class DuesRecorded(EventData):
    member_id: Id
    month: Month
    status: Literal["paid", "unpaid", "exempt", "reduced"]
