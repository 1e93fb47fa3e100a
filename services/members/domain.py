"""Pure rules of the members service: the organisation tree and the member's state.

No I/O here. Rule failures are DomainErrors with Vietnamese and English text (DOMAIN.md §2–3).
The lifecycle rules live beside this module: ``candidates``, ``lifecycle``, ``rating``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from shared.application import Decided
from shared.contracts import members as c
from shared.catalog.common import MEMBER_HOLDING_KINDS
from shared.catalog.members import (MemberTransferred, OrgUnitCreated, OrgUnitDissolved, OrgUnitMerged,
                                    OrgUnitMoved, OrgUnitRenamed)
from shared.errors import DomainError
from shared.events import Envelope, stream_name
from shared.events import by_type, fold as fold_events
from shared.personal import is_sealed

from shared.dates import add_months, in_force_on, months_between, vn
from services.members import rules as R

KIND_VI = {"province": "Tỉnh ủy", "direct": "Đảng bộ trực thuộc", "grassroots_committee": "Đảng bộ cơ sở",
           "grassroots_cell": "Chi bộ cơ sở", "branch": "Đảng bộ bộ phận", "cell": "Chi bộ trực thuộc"}
GRASSROOTS_KINDS = ("grassroots_committee", "grassroots_cell")

#: which kinds a unit of each kind may sit under (DOMAIN.md §2)
ALLOWED_PARENTS = {
    "province": (None,),
    "direct": ("province",),
    "grassroots_committee": ("direct", "province"),
    "grassroots_cell": ("direct", "province"),
    "branch": ("grassroots_committee",),
    "cell": ("grassroots_committee", "branch"),
}


# --- organisation units --------------------------------------------------------------------------

@dataclass(frozen=True)
class OrgUnit:
    org_unit_id: str | None = None
    name: str = ""
    kind: str = ""
    parent_id: str | None = None
    active: bool = False
    created_on: dt.date | None = None
    closed_on: dt.date | None = None
    successor_id: str | None = None

    @property
    def exists(self) -> bool:
        return self.org_unit_id is not None

    @property
    def holds_members(self) -> bool:
        return self.kind in MEMBER_HOLDING_KINDS


evolve_org_unit = by_type({
    "org_unit.created": lambda state, e: OrgUnit(e.data["org_unit_id"], e.data["name"], e.data["kind"],
                                                 e.data.get("parent_id"), True, e.occurred_on),
    "org_unit.renamed": lambda state, e: replace(state, name=e.data["name"]),
    "org_unit.moved": lambda state, e: replace(state, parent_id=e.data["parent_id"]),
    "org_unit.merged": lambda state, e: replace(state, active=False, closed_on=e.occurred_on,
                                                successor_id=e.data["into_org_unit_id"]),
    "org_unit.dissolved": lambda state, e: replace(state, active=False, closed_on=e.occurred_on),
})


def fold_org_unit(events: list[Envelope], on: dt.date | None = None) -> OrgUnit:
    """The unit's state; ``on``: as of that business date (later facts ignored)."""
    return fold_events(evolve_org_unit, OrgUnit(), (e for e in events if on is None or e.occurred_on <= on))


def unit_not_found(org_unit_id: str, field: str) -> DomainError:
    return R.ORG_UNIT_NOT_FOUND(org_unit_id=org_unit_id, field=field)


def require_active_unit(unit: OrgUnit | None, org_unit_id: str, field: str) -> OrgUnit:
    if unit is None or not unit.exists:
        raise unit_not_found(org_unit_id, field)
    if not unit.active:
        raise R.ORG_UNIT_INACTIVE(org_unit_id=org_unit_id, day=vn(unit.closed_on), field=field)
    return unit


def require_member_holding(unit: OrgUnit, field: str) -> None:
    if not unit.holds_members:
        raise R.ORG_UNIT_HOLDS_NO_MEMBERS(kind_vi=KIND_VI[unit.kind], name=unit.name, kind=unit.kind, field=field)


def check_parent(kind: str, parent: OrgUnit | None, parent_id: str | None) -> None:
    allowed = ALLOWED_PARENTS[kind]
    if parent_id is None:
        if None not in allowed:
            raise R.PARENT_REQUIRED(kind_vi=KIND_VI[kind], kind=kind)
        return
    if parent is None or not parent.exists:
        raise unit_not_found(parent_id, "parent_id")
    if not parent.active:
        raise R.PARENT_INACTIVE(parent_id=parent_id)
    if parent.kind not in allowed:
        raise R.PARENT_KIND_NOT_ALLOWED(kind_vi=KIND_VI[kind], parent_kind_vi=KIND_VI[parent.kind], kind=kind,
                                        parent_kind=parent.kind)


def create_org_unit(unit: OrgUnit, parent: OrgUnit | None, cmd: c.CreateOrgUnit) -> list[Decided]:
    if unit.exists:
        raise R.ORG_UNIT_EXISTS(org_unit_id=cmd.org_unit_id)
    check_parent(cmd.kind, parent, cmd.parent_id)
    payload = OrgUnitCreated(org_unit_id=cmd.org_unit_id, name=cmd.name, kind=cmd.kind, parent_id=cmd.parent_id)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


def rename_org_unit(unit: OrgUnit, cmd: c.RenameOrgUnit) -> list[Decided]:
    require_active_unit(unit, cmd.org_unit_id, "org_unit_id")
    if unit.name == cmd.name:
        return []
    return [Decided(OrgUnitRenamed(org_unit_id=cmd.org_unit_id, name=cmd.name), cmd.occurred_on, cmd.org_unit_id)]


def move_org_unit(unit: OrgUnit, parent: OrgUnit | None, parent_ancestors: list[str], cmd: c.MoveOrgUnit) -> list[Decided]:
    """``parent_ancestors``: the new parent's ancestor ids (a unit cannot go under its own subtree)."""
    require_active_unit(unit, cmd.org_unit_id, "org_unit_id")
    check_parent(unit.kind, parent, cmd.parent_id)
    if cmd.org_unit_id == cmd.parent_id or cmd.org_unit_id in parent_ancestors:
        raise R.MOVE_INTO_OWN_SUBTREE(name=unit.name)
    if unit.parent_id == cmd.parent_id:
        return []
    return [Decided(OrgUnitMoved(org_unit_id=cmd.org_unit_id, parent_id=cmd.parent_id), cmd.occurred_on,
                    cmd.parent_id)]


def _no_children(unit: OrgUnit, children: list[str], verb_vi: str, verb_en: str) -> None:
    if children:
        raise R.ORG_UNIT_HAS_SUB_UNITS(verb_vi=verb_vi, verb_en=verb_en, name=unit.name, org_unit_id=unit.org_unit_id,
                                       count=len(children), details={"sub_units": children[:20]})


def merge_org_unit(unit: OrgUnit, successor: OrgUnit | None, children: list[str], roster: list[str],
                   cmd) -> list[Decided]:
    """Hợp nhất: one ``member.transferred`` (official) per member of the absorbed unit, then the merge."""
    require_active_unit(unit, cmd.org_unit_id, "org_unit_id")
    if cmd.into_org_unit_id == cmd.org_unit_id:
        raise R.MERGE_INTO_ITSELF()
    require_active_unit(successor, cmd.into_org_unit_id, "into_org_unit_id")
    _no_children(unit, children, "hợp nhất", "merge")
    if roster and not successor.holds_members:
        raise R.SUCCESSOR_HOLDS_NO_MEMBERS(successor=successor.name, count=len(roster), name=unit.name,
                                           into_org_unit_id=cmd.into_org_unit_id, org_unit_id=cmd.org_unit_id)
    out = [Decided(MemberTransferred(member_id=m, from_org_unit_id=cmd.org_unit_id,
                                     to_org_unit_id=cmd.into_org_unit_id, kind="official", purpose="merge"),
                   cmd.occurred_on, cmd.into_org_unit_id, stream=stream_name("member", m)) for m in sorted(roster)]
    out.append(Decided(OrgUnitMerged(org_unit_id=cmd.org_unit_id, into_org_unit_id=cmd.into_org_unit_id),
                       cmd.occurred_on, cmd.org_unit_id))
    return out


def dissolve_org_unit(unit: OrgUnit, children: list[str], roster: list[str], cmd: c.DissolveOrgUnit) -> list[Decided]:
    require_active_unit(unit, cmd.org_unit_id, "org_unit_id")
    _no_children(unit, children, "giải thể", "dissolve")
    if roster:
        raise R.ORG_UNIT_HAS_MEMBERS(name=unit.name, count=len(roster), org_unit_id=cmd.org_unit_id)
    return [Decided(OrgUnitDissolved(org_unit_id=cmd.org_unit_id, reason=cmd.reason), cmd.occurred_on,
                    cmd.org_unit_id)]


# --- members -------------------------------------------------------------------------------------

LEFT = "left"


@dataclass(frozen=True)
class Member:
    member_id: str | None = None
    org_unit_id: str | None = None
    status: str = "none"  # none | probationary | official | left
    admitted_on: dt.date | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    demobilised: str = "none"
    #: host cell during a temporary transfer (the home unit keeps the member)
    host_unit_id: str | None = None
    temporary_until: dt.date | None = None
    papers_due_unit: str | None = None
    left_on: dt.date | None = None
    left_how: str | None = None  # removed:<ground> | resigned | expelled | died | transferred_out
    #: the day the member's present stay on the rolls began: admitted or transferred in
    joined_on: dt.date | None = None
    admissions: int = 0
    readmitted: bool = False
    class_done: bool = False
    exemption: tuple | None = None  # (ground, until)
    working_away: bool = False
    abroad: bool = False
    #: the sealed / clear attributes of the record, as last stored
    record: dict = field(default_factory=dict)
    shredded: bool = False
    loans: frozenset = frozenset()
    remediation_open: frozenset = frozenset()
    #: the day each pending step began, so that its end is not dated before it (D3): the official
    #: transfer whose papers are due, the temporary transfer, the exemption, working away, abroad
    papers_due_since: dt.date | None = None
    host_since: dt.date | None = None
    exempt_since: dt.date | None = None
    working_away_since: dt.date | None = None
    abroad_since: dt.date | None = None
    #: the residence cell the member was last introduced to (QĐ 213) and the day
    liaison_unit_id: str | None = None
    liaison_since: dt.date | None = None
    #: what each standing step says (``step_content``): working away, abroad, the temporary transfer,
    #: the exemption; and every residence feedback recorded — a retried command finds its own step
    #: here and writes nothing (``lifecycle.repeated``)
    standing: dict = field(default_factory=dict)
    feedbacks: tuple = ()
    #: the latest business date on the member's record and the fact that carries it
    latest_on: dt.date | None = None
    latest_fact: str | None = None

    @property
    def exists(self) -> bool:
        return self.member_id is not None

    @property
    def active(self) -> bool:
        return self.status in ("probationary", "official")

    def probation_end(self, probation_months: int) -> dt.date | None:
        return add_months(self.admitted_on, probation_months) if self.admitted_on else None


RECORD_KEYS = ("full_name", "card_number", "background_file_number", "citizen_id", "ethnicity", "religion",
               "education", "political_theory", "occupation", "demobilised")


def _record_of(d: dict) -> dict:
    return {k: d[k] for k in RECORD_KEYS if d.get(k) is not None}


def date_or_sealed(value) -> dt.date | str | None:
    """A birth date as stored: clear (written before it was sealed) or sealed (opened by the
    application with the member's key, see application.get_member)."""
    if value is None or is_sealed(value):
        return value
    return dt.date.fromisoformat(str(value))


def _admitted(state: Member, e: Envelope) -> Member:
    d = e.data
    return Member(d["member_id"], d["org_unit_id"], "probationary", e.occurred_on, date_or_sealed(d["birth_date"]),
                  d["sex"], d.get("demobilised", "none"), admissions=state.admissions + 1,
                  readmitted=state.admissions > 0, left_on=state.left_on, left_how=state.left_how,
                  joined_on=e.occurred_on, record={**state.record, **_record_of(d)}, shredded=state.shredded)


def _transferred_in(state: Member, e: Envelope) -> Member:
    d = e.data
    admitted = d.get("admitted_on")
    return Member(d["member_id"], d["org_unit_id"], d.get("status", "official"),
                  dt.date.fromisoformat(admitted) if admitted else None,
                  date_or_sealed(d["birth_date"]), d["sex"], d.get("demobilised", "none"),
                  papers_due_unit=d["org_unit_id"], papers_due_since=e.occurred_on,
                  admissions=max(state.admissions, 1), class_done=True,
                  readmitted=state.readmitted,  # re-admission is once, whatever moves came between
                  joined_on=e.occurred_on, record={**state.record, **_record_of(d)}, shredded=state.shredded)


def _record_updated(state: Member, e: Envelope) -> Member:
    return replace(state, record={**state.record, **_record_of(e.data)},
                   demobilised=e.data.get("demobilised") or state.demobilised)


def _transferred(state: Member, e: Envelope) -> Member:
    d = e.data
    if d["kind"] == "temporary":
        return replace(state, host_unit_id=d["to_org_unit_id"], host_since=e.occurred_on,
                       temporary_until=dt.date.fromisoformat(d["until"]) if d.get("until") else None,
                       standing={**state.standing, "temporary": step_content(e.occurred_on, d)})
    state = replace(state, standing={k: v for k, v in state.standing.items() if k != "temporary"})
    if d.get("purpose") == "merge":
        # the cell merged: no papers for the merge itself, but papers still due from an earlier
        # transfer are now presented at the successor (the reports keep them overdue until then)
        due = d["to_org_unit_id"] if state.papers_due_unit else None
        return replace(state, org_unit_id=d["to_org_unit_id"], host_unit_id=None, temporary_until=None,
                       papers_due_unit=due)
    return replace(state, org_unit_id=d["to_org_unit_id"], host_unit_id=None, temporary_until=None,
                   papers_due_unit=d["to_org_unit_id"], papers_due_since=e.occurred_on)


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def step_content(on: dt.date, data) -> dict:
    """A step as stored, to compare a retried command with: its business date and its fields
    (dates as ISO texts, absent and empty fields alike left out, the member's id aside)."""
    return {"occurred_on": _plain(on), **{k: _plain(v) for k, v in data.items()
                                          if v is not None and k != "member_id"}}


def _stands(step: str, **fields):
    """A step that begins (``step`` now stands, as its event says it) and sets ``fields``."""
    return lambda state, e: replace(state, standing={**state.standing, step: step_content(e.occurred_on, e.data)},
                                    **{k: (e.occurred_on if v is _ON else v) for k, v in fields.items()})


def _ends(*steps: str, **fields):
    """A step that ends ``steps`` and sets ``fields``."""
    return lambda state, e: replace(state, standing={k: v for k, v in state.standing.items() if k not in steps},
                                    **fields)


_ON = object()  # in ``_stands``: the event's business date


def _left(state: Member, e: Envelope) -> Member:
    """Removed, resigned, expelled, died or transferred out of the province: off the rolls."""
    how = e.type.split(".", 1)[1]
    if e.type == "member.removed":
        how = f"removed:{e.data['ground']}"
    return replace(state, status=LEFT, left_on=e.occurred_on, left_how=how, host_unit_id=None, exemption=None,
                   papers_due_unit=None, papers_due_since=None, host_since=None, exempt_since=None,
                   standing={k: v for k, v in state.standing.items() if k not in ("temporary", "exemption")})


def _set(**fields):
    """A step that sets fixed fields."""
    return lambda state, e: replace(state, **fields)


evolve_member = by_type({
    "member.admitted": _admitted,
    "member.transferred_in": _transferred_in,
    "member.record_updated": _record_updated,
    "member.personal_data_shredded": _set(shredded=True),
    "member.new_member_class_completed": _set(class_done=True),
    "member.recognized_official": _set(status="official"),
    "member.transferred": _transferred,
    "member.temporary_transfer_ended": _ends("temporary", host_unit_id=None, temporary_until=None, host_since=None),
    "member.transfer_papers_presented": _set(papers_due_unit=None, papers_due_since=None),
    "member.exempted": lambda state, e: replace(_stands("exemption", exempt_since=_ON)(state, e),
                                                exemption=(e.data["ground"], e.data.get("until"))),
    "member.exemption_ended": _ends("exemption", exemption=None, exempt_since=None),
    "member.working_away_started": _stands("working_away", working_away=True, working_away_since=_ON),
    "member.working_away_ended": _ends("working_away", working_away=False, working_away_since=None),
    "member.abroad_started": _stands("abroad", abroad=True, abroad_since=_ON),
    "member.abroad_ended": _ends("abroad", abroad=False, abroad_since=None),
    "member.liaison_feedback_recorded":
        lambda state, e: replace(state, feedbacks=state.feedbacks + (step_content(e.occurred_on, e.data),)),
    "member.liaison_introduced": lambda state, e: replace(state, liaison_unit_id=e.data["residence_org_unit_id"],
                                                          liaison_since=e.occurred_on),
    "member.loan_granted": lambda state, e: replace(state, loans=state.loans | {e.data["loan_id"]}),
    "member.loan_repaid": lambda state, e: replace(state, loans=state.loans - {e.data["loan_id"]}),
    "member.remediation_planned":
        lambda state, e: replace(state, remediation_open=state.remediation_open | {e.data["year"]}),
    "member.remediation_completed":
        lambda state, e: replace(state, remediation_open=state.remediation_open - {e.data["year"]}),
    **{t: _left for t in ("member.removed", "member.resigned", "member.expelled", "member.died",
                          "member.transferred_out")},
})


def fold_member(events: list[Envelope]) -> Member:
    state = fold_events(evolve_member, Member(), events)
    if not events:
        return state
    latest = max(events, key=lambda e: e.occurred_on)
    return replace(state, latest_on=latest.occurred_on, latest_fact=latest.type)


def member_placements(events: list[Envelope]) -> list[tuple[dt.date, str]]:
    """Where the member's own unit changed: (business date, unit) for each admission, transfer in
    and official transfer, in date order (a transfer may be recorded after facts it precedes; of
    two on one day, the later recorded wins)."""
    placed = []
    for n, e in enumerate(events):
        if e.type in ("member.admitted", "member.transferred_in"):
            placed.append((e.occurred_on, n, e.data.get("org_unit_id")))
        elif e.type == "member.transferred" and e.data.get("kind") != "temporary":
            placed.append((e.occurred_on, n, e.data.get("to_org_unit_id")))
    return [(day, unit) for day, _, unit in sorted(placed, key=lambda p: (p[0], p[1]))]


def unit_on(placements, on) -> str | None:
    """The unit of ``placements`` (``member_placements``, dates or ISO texts) in force on ``on``;
    before the first, the unit it was first placed in."""
    return in_force_on(placements, on)


def member_unit_on(events: list[Envelope], on: dt.date) -> str | None:
    """The member's own unit on business date ``on``."""
    return unit_on(member_placements(events), on)


def not_in_future(day: dt.date, today: dt.date, field_: str = "occurred_on") -> None:
    """A fact is recorded once it has happened: its business date is not after today (Vietnam's day)."""
    if day > today:
        raise R.DATE_IN_FUTURE(day=vn(day), today=vn(today), field=field_)


def member_not_found(member_id: str, field_: str = "member_id") -> DomainError:
    return R.MEMBER_NOT_FOUND(member_id=member_id, field=field_)


def require_active_member(member: Member, member_id: str, on: dt.date | None = None,
                          field_: str = "member_id") -> Member:
    """The member exists and is still on the rolls — and was already on ``on``, the command's date:
    a removal dated 1980 of a member admitted in 2015 was counted in 1980's figures. ``field_``:
    the payload field that named the member (a list's name for each of its members)."""
    if not member.exists:
        raise member_not_found(member_id, field_)
    if not member.active:
        raise not_active(member, member_id, field_)
    if on is not None and member.joined_on is not None and on < member.joined_on:
        raise R.BEFORE_JOINING(member_id=member_id, day=vn(on), since=vn(member.joined_on))
    return member


def require_listed_members(members: dict[str, Member], on: dt.date, field_: str) -> None:
    """Every member a list names (``member_ids``: the members met at a yearly dialogue) is a member on
    the rolls on ``on``: an id of a unit, of nobody, or of someone who had left is refused naming the
    list, never stored as if a member had been there."""
    for member_id, member in members.items():
        require_active_member(member, member_id, on, field_)


def require_on_rolls(member: Member, cmd) -> Member:
    """``require_active_member`` for the command's member on the command's date."""
    return require_active_member(member, cmd.member_id, cmd.occurred_on)


def require_exit_date(member: Member, cmd, rated_on: dt.date | None = None) -> Member:
    """``require_on_rolls`` for an exit (removal, resignation, expulsion, death, transfer out of the
    province), and not dated before the latest fact already on the member's record: a death dated
    before a transfer or a start of working away left facts of a member already gone, counted in
    the reports of days the member was no longer on the rolls. ``rated_on``: the latest rating's
    date (ratings live in the grassroots organisation's streams, not on the member's)."""
    require_on_rolls(member, cmd)
    latest, what = member.latest_on, member.latest_fact
    if rated_on is not None and (latest is None or rated_on > latest):
        latest, what = rated_on, "member.rated"
    if latest is not None and cmd.occurred_on < latest:
        raise R.EXIT_BEFORE_LATEST_FACT(day=vn(cmd.occurred_on), latest=vn(latest), member_id=cmd.member_id,
                                        details={"latest_fact": what})
    return member


def how_left(member: Member) -> tuple[str, str]:
    """How a member left the rolls, as the refusals say it (Vietnamese, English)."""
    how = {"resigned": ("đã ra khỏi Đảng", "resigned"), "expelled": ("đã bị khai trừ", "was expelled"),
           "died": ("đã từ trần", "died"), "transferred_out": ("đã chuyển sinh hoạt ra ngoài tỉnh",
                                                               "was transferred out of the province")}
    return how.get(member.left_how or "", ("đã bị xóa tên", "was removed from the rolls"))


def not_active(member: Member, member_id: str, field_: str = "member_id") -> DomainError:
    vi, en = how_left(member)
    return R.MEMBER_NOT_ACTIVE(member_id=member_id, how_vi=vi, how_en=en, day=vn(member.left_on), field=field_)


def age_in_months(birth: dt.date, on: dt.date) -> int:
    return months_between(birth, on)


def check_admission_age(birth: dt.date, on: dt.date, special_decision: str | None, rules) -> None:
    """Age 18–60 counted in months on the day the cell considers the person (over 60: special decision)."""
    months = age_in_months(birth, on)
    if months < rules.admission_min_age_months:
        raise R.TOO_YOUNG(day=vn(on), years=months // 12, months=months % 12)
    if months > rules.admission_max_age_months and not special_decision:
        raise R.TOO_OLD(years=months // 12, months=months % 12, day=vn(on),
                        source=rules.source("admission_max_age_months"))
