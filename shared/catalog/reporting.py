"""Events of the reporting service: targets set by Đề án 02/03-ĐA/TU and yearly registrations."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.catalog.common import Id
from shared.events import EventData, event_type

Indicator = Literal["orgs_disciplined", "members_disciplined", "members_removed", "members_resigned"]
Period = Annotated[str, StringConstraints(pattern=r"^(19|2[01])\d{2}(-(19|2[01])\d{2})?$")]


@event_type("target.registered")
class TargetRegistered(EventData):
    org_unit_id: Id
    period: Period
    indicator: Indicator
    value: int = Field(ge=0)
