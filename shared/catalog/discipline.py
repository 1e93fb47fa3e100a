"""Events of the discipline service (Ủy ban Kiểm tra): decisions, changes, annulments."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from shared.catalog.common import Id
from shared.events import EventData, event_type

Form = Literal["reprimand", "warning", "dismissal", "expulsion", "dissolution"]


@event_type("discipline.applied")
class DisciplineApplied(EventData):
    case_id: Id
    subject_kind: Literal["member", "org_unit"]
    subject_id: Id
    form: Form
    violation_on: dt.date


@event_type("discipline.changed")
class DisciplineChanged(EventData):
    case_id: Id
    form: Form


@event_type("discipline.annulled")
class DisciplineAnnulled(EventData):
    case_id: Id
