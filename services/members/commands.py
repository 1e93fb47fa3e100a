"""Commands of the members service (payloads of its RPCs, HTTP endpoints and import lines)."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from shared.catalog.common import Demobilised, Id, Name, OrgKind, Sex


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    #: business date: the day the decision took effect
    occurred_on: dt.date


class CreateOrgUnit(Command):
    org_unit_id: Id
    name: Name
    kind: OrgKind
    parent_id: Id | None = None


class AdmitMember(Command):
    member_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    demobilised: Demobilised = "none"
    #: decision allowing admission past the age limit (số quyết định đặc biệt), if any
    special_age_decision: str | None = None
