"""Events of the members service: the organisation tree and the member lifecycle."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from shared.catalog.common import (Demobilised, ExemptionGround, Id, Name, OrgKind, Rating,
                                   RemovalGround, Sex)
from shared.events import EventData, event_type


@event_type("org_unit.created")
class OrgUnitCreated(EventData):
    org_unit_id: Id
    name: Name
    kind: OrgKind
    parent_id: Id | None = None


@event_type("org_unit.renamed")
class OrgUnitRenamed(EventData):
    org_unit_id: Id
    name: Name


@event_type("org_unit.moved")
class OrgUnitMoved(EventData):
    org_unit_id: Id
    parent_id: Id


@event_type("org_unit.merged")
class OrgUnitMerged(EventData):
    org_unit_id: Id
    into_org_unit_id: Id


@event_type("org_unit.dissolved")
class OrgUnitDissolved(EventData):
    org_unit_id: Id
    reason: Literal["administrative", "discipline"]


@event_type("member.admitted")
class MemberAdmitted(EventData):
    PERSONAL = ("full_name", "birth_date")
    member_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    demobilised: Demobilised = "none"


@event_type("member.recognized_official")
class MemberRecognizedOfficial(EventData):
    member_id: Id


@event_type("member.transferred")
class MemberTransferred(EventData):
    member_id: Id
    from_org_unit_id: Id
    to_org_unit_id: Id
    kind: Literal["official", "temporary"]


@event_type("member.transferred_out")
class MemberTransferredOut(EventData):
    member_id: Id
    destination: Name


@event_type("member.transferred_in")
class MemberTransferredIn(EventData):
    PERSONAL = ("full_name", "birth_date")
    member_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    demobilised: Demobilised = "none"
    origin: Name


@event_type("member.working_away_started")
class MemberWorkingAwayStarted(EventData):
    member_id: Id
    place: Name


@event_type("member.working_away_ended")
class MemberWorkingAwayEnded(EventData):
    member_id: Id


@event_type("member.exempted")
class MemberExempted(EventData):
    member_id: Id
    ground: ExemptionGround
    until: dt.date | None = None


@event_type("member.exemption_ended")
class MemberExemptionEnded(EventData):
    member_id: Id


@event_type("member.rated")
class MemberRated(EventData):
    member_id: Id
    year: int
    rating: Rating


@event_type("member.removed")
class MemberRemoved(EventData):
    member_id: Id
    ground: RemovalGround


@event_type("member.resigned")
class MemberResigned(EventData):
    member_id: Id


@event_type("member.expelled")
class MemberExpelled(EventData):
    member_id: Id
    case_id: Id


@event_type("member.died")
class MemberDied(EventData):
    member_id: Id
