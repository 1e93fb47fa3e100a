"""Pure rules of the members service: fold events into state, decide what a command produces.

No I/O here. Rule failures are DomainErrors with Vietnamese and English text (DOMAIN.md §2–3).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from shared.application import Decided
from shared.catalog.common import MEMBER_HOLDING_KINDS
from shared.catalog.members import MemberAdmitted, OrgUnitCreated
from shared.errors import Conflict, DomainError, NotFound
from shared.events import Envelope
from shared.rules import Rules

KIND_VI = {"province": "Tỉnh ủy", "direct": "Đảng bộ trực thuộc", "grassroots_committee": "Đảng bộ cơ sở",
           "grassroots_cell": "Chi bộ cơ sở", "branch": "Đảng bộ bộ phận", "cell": "Chi bộ trực thuộc"}

#: which kinds a unit of each kind may sit under (DOMAIN.md §2)
ALLOWED_PARENTS = {
    "province": (None,),
    "direct": ("province",),
    "grassroots_committee": ("direct", "province"),
    "grassroots_cell": ("direct", "province"),
    "branch": ("grassroots_committee",),
    "cell": ("grassroots_committee", "branch"),
}


@dataclass(frozen=True)
class OrgUnit:
    org_unit_id: str | None = None
    name: str = ""
    kind: str = ""
    parent_id: str | None = None
    active: bool = False

    @property
    def exists(self) -> bool:
        return self.org_unit_id is not None


def evolve_org_unit(state: OrgUnit, event: Envelope) -> OrgUnit:
    d = event.data
    if event.type == "org_unit.created":
        return OrgUnit(d["org_unit_id"], d["name"], d["kind"], d.get("parent_id"), True)
    if event.type == "org_unit.renamed":
        return replace(state, name=d["name"])
    if event.type == "org_unit.moved":
        return replace(state, parent_id=d["parent_id"])
    if event.type in ("org_unit.merged", "org_unit.dissolved"):
        return replace(state, active=False)
    return state


def fold_org_unit(events: list[Envelope]) -> OrgUnit:
    state = OrgUnit()
    for e in events:
        state = evolve_org_unit(state, e)
    return state


@dataclass(frozen=True)
class Member:
    member_id: str | None = None
    org_unit_id: str | None = None
    status: str = "none"  # none | probationary | official | left

    @property
    def exists(self) -> bool:
        return self.member_id is not None


def evolve_member(state: Member, event: Envelope) -> Member:
    d = event.data
    if event.type in ("member.admitted", "member.transferred_in"):
        return Member(d["member_id"], d["org_unit_id"], "probationary" if event.type == "member.admitted"
                      else "official")
    if event.type == "member.recognized_official":
        return replace(state, status="official")
    if event.type == "member.transferred":
        return replace(state, org_unit_id=d["to_org_unit_id"])
    if event.type in ("member.removed", "member.resigned", "member.expelled", "member.died",
                      "member.transferred_out"):
        return replace(state, status="left")
    return state


def fold_member(events: list[Envelope]) -> Member:
    state = Member()
    for e in events:
        state = evolve_member(state, e)
    return state


def unit_not_found(org_unit_id: str, field: str) -> NotFound:
    return NotFound("org_unit_not_found", f"Không tìm thấy tổ chức đảng «{org_unit_id}»",
                    f"Party organisation '{org_unit_id}' not found", field=field)


def create_org_unit(unit: OrgUnit, parent: OrgUnit | None, cmd) -> list[Decided]:
    if unit.exists:
        raise Conflict("org_unit_exists", f"Tổ chức đảng «{cmd.org_unit_id}» đã tồn tại",
                       f"Party organisation '{cmd.org_unit_id}' already exists", field="org_unit_id")
    allowed = ALLOWED_PARENTS[cmd.kind]
    if cmd.parent_id is None:
        if None not in allowed:
            raise DomainError("parent_required", f"{KIND_VI[cmd.kind]} phải thuộc một tổ chức cấp trên",
                              f"A unit of kind '{cmd.kind}' needs a parent", field="parent_id")
    else:
        if parent is None or not parent.exists:
            raise unit_not_found(cmd.parent_id, "parent_id")
        if not parent.active:
            raise DomainError("parent_inactive", f"Tổ chức cấp trên «{cmd.parent_id}» đã giải thể hoặc hợp nhất",
                              f"Parent '{cmd.parent_id}' was dissolved or merged", field="parent_id")
        if parent.kind not in allowed:
            raise DomainError(
                "parent_kind_not_allowed",
                f"{KIND_VI[cmd.kind]} không thể trực thuộc {KIND_VI[parent.kind]}",
                f"A unit of kind '{cmd.kind}' cannot sit under a '{parent.kind}'", field="parent_id")
    payload = OrgUnitCreated(org_unit_id=cmd.org_unit_id, name=cmd.name, kind=cmd.kind, parent_id=cmd.parent_id)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


def age_in_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - 1 if on.day < birth.day else months


def admit_member(member: Member, unit: OrgUnit, cmd, rules: Rules) -> list[Decided]:
    if member.exists:
        raise Conflict("member_exists", f"Đảng viên «{cmd.member_id}» đã có trong danh sách",
                       f"Member '{cmd.member_id}' already exists", field="member_id")
    if not unit.exists:
        raise unit_not_found(cmd.org_unit_id, "org_unit_id")
    if not unit.active:
        raise DomainError("org_unit_inactive", f"Tổ chức đảng «{cmd.org_unit_id}» đã giải thể hoặc hợp nhất",
                          f"Party organisation '{cmd.org_unit_id}' was dissolved or merged", field="org_unit_id")
    if unit.kind not in MEMBER_HOLDING_KINDS:
        raise DomainError("org_unit_holds_no_members",
                          f"{KIND_VI[unit.kind]} «{unit.name}» không trực tiếp quản lý đảng viên; hãy chọn một chi bộ",
                          f"A '{unit.kind}' does not hold members directly; choose a cell", field="org_unit_id")
    months = age_in_months(cmd.birth_date, cmd.occurred_on)
    if months < rules.admission_min_age_months:
        raise DomainError("too_young", f"Người được kết nạp phải đủ 18 tuổi (hiện {months // 12} tuổi {months % 12} tháng)",
                          f"A new member must be at least 18 (is {months // 12} years {months % 12} months)",
                          field="birth_date")
    if months > rules.admission_max_age_months and not cmd.special_age_decision:
        raise DomainError(
            "too_old", f"Người trên 60 tuổi ({months // 12} tuổi {months % 12} tháng) chỉ được kết nạp khi có "
            f"quyết định đặc biệt của cấp có thẩm quyền ({rules.source('admission_max_age_months')})",
            f"Admission over 60 ({months // 12} years {months % 12} months) needs a special decision",
            field="special_age_decision")
    payload = MemberAdmitted(member_id=cmd.member_id, org_unit_id=cmd.org_unit_id, full_name=cmd.full_name,
                             birth_date=cmd.birth_date, sex=cmd.sex, demobilised=cmd.demobilised)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]
