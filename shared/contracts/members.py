"""Commands and queries of the members service (RPCs, HTTP endpoints and import lines)."""
from __future__ import annotations

import datetime as dt

from shared.catalog.common import Demobilised, Id, Name, OrgKind, Sex
from shared.contracts import Command, Spec


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


COMMANDS = {
    "create_org_unit": Spec(CreateOrgUnit, "Thành lập tổ chức đảng", "Create a party organisation",
                            roles=("administrator",), scope_fields=("parent_id", "org_unit_id")),
    "admit_member": Spec(AdmitMember, "Kết nạp đảng viên", "Admit a member"),
}
QUERIES: dict = {}
