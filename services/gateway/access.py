"""Who may call what, on which part of the organisation tree.

Role: the endpoint's ``Spec.roles`` (the administrator may do everything). Scope: *every* field of
the endpoint's ``Spec.scope_fields`` present in the payload (declared once in
``shared.contracts.SCOPED_FIELDS``) names a unit, member, candidate, case, inspection,
supervision or meeting; each is placed in the tree (a member by its unit, a case by its subject,
...) and must lie in the user's subtree: the user's unit itself or below it. So a move across
scopes is refused unless the user's scope covers both sides (otherwise: ``transfer_out`` by the
sender, ``transfer_in`` by the receiver). A field the command points out of the tree by its
nature (``Spec.reaches``: the residence cell a member is introduced to, wherever the member lives)
need not be in the scope; the other fields place the call. A field naming the thing the command creates
(``Spec.creates``) may carry a fresh id; an id that already names something elsewhere is refused
like any other. A query with no scope field given is cut to the user's scope by adding
``org_unit_id``. A command naming a member is placed on its business date too (``held_then``): a
member who came into the scope on day D is not the scope's to file facts about on days before D.

Every scope refusal has the same body, whether the thing exists or not: a 403 must not tell a
district clerk which units, members or cases another district has.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

from pydantic import TypeAdapter

from shared.contracts import SCOPED_FIELDS, Spec
from shared.dates import in_force_on
from shared.errors import DomainError

from services.gateway.auth import User


_DATE = TypeAdapter(dt.date)


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


def unauthorized() -> Unauthorized:
    return Unauthorized("unauthorized", "Chưa đăng nhập hoặc mã truy cập (token) không hợp lệ",
                        "Missing or invalid access token", field="Authorization")


def login_failed() -> Unauthorized:
    # deliberately the same for an unknown name, a wrong password, a disabled user, no password set
    return Unauthorized("login_failed", "Tên đăng nhập hoặc mật khẩu không đúng",
                        "Wrong user name or password", field="password")


def token_expired(on: str) -> Unauthorized:
    return Unauthorized("token_expired", f"Mã truy cập (token) đã hết hạn ngày {on}; hãy xin cấp mã mới",
                        f"The access token expired on {on}; ask for a new one", field="Authorization")


def forbidden_role(role: str) -> Forbidden:
    return Forbidden("forbidden_role", f"Vai trò «{role}» không được dùng chức năng này",
                     f"The role '{role}' may not use this endpoint")


def forbidden_scope(field: str | None) -> Forbidden:
    # deliberately the same text for "outside your scope" and "does not exist"
    return Forbidden("forbidden_scope", "Ngoài phạm vi tổ chức đảng được phân quyền",
                     "Outside the organisation scope you are authorised for", field=field)


def role_allowed(user: User, roles: Iterable[str]) -> bool:
    return user.role == "administrator" or user.role in tuple(roles)


@dataclass
class Resolver:
    """Looks things up in the services; answers None for what it cannot find."""

    #: org_unit_id -> its ancestors (or None when unknown)
    ancestors: Callable[[str], list[str] | None]
    #: member_id -> the member's current org unit (or None when unknown)
    member_unit: Callable[[str], str | None]
    #: (kind, id) -> the org units it belongs to, for every other kind (candidate, case,
    #: inspection, supervision, meeting, a member's host unit); None when unknown
    place: Callable[[str, str], list[str] | None] = lambda kind, ident: None
    #: org_unit_id -> where it stood over time: [(from "YYYY-MM-DD", [the unit, ..., the root])] in
    #: date order (None when unknown); the event feed places a fact by its date with it
    spans: Callable[[str], list[tuple[str, list[str]]] | None] = lambda unit_id: None
    #: (member_id, "YYYY-MM-DD") -> the member's own unit on that business date (None when unknown):
    #: a fact dated before the member came into the caller's scope counts where it stood then
    member_unit_on: Callable[[str, str], str | None] = lambda member_id, day: None
    #: (kind, id) -> the unit a case, inspection or supervision is filed under (its subject's unit
    #: when it was decided or opened: where it counts), None when unknown
    filed: Callable[[str, str], str | None] = lambda kind, ident: None
    #: (kind, id) -> the business date (ISO) a case was decided, an inspection or supervision opened
    #: (None when unknown): its unit is placed in the tree as it stood that day
    filed_day: Callable[[str, str], str | None] = lambda kind, ident: None


def is_member_field(field: str) -> bool:
    return SCOPED_FIELDS.get(field) == "member"


def unit_in_scope(scope: str | None, unit_id: str, resolver: Resolver) -> bool:
    if scope is None:
        return True
    if unit_id == scope:
        return True
    ancestors = resolver.ancestors(unit_id)
    return bool(ancestors) and scope in ancestors


def scope_target(spec: Spec, payload: dict) -> tuple[str, str] | None:
    """The first scope field present (kept for callers that need one place in the tree)."""
    for field in spec.scope_fields:
        value = payload.get(field)
        if isinstance(value, str) and value:
            return field, value
    return None


def references(spec: Spec, payload: dict) -> list[tuple[str, str, str]]:
    """Every (field, kind, id) the payload names, lists and attendance rows included; a
    ``subject_id`` is a member or a unit according to ``subject_kind``."""
    return references_in(spec.scope_fields, payload)


def references_in(fields, payload: dict) -> list[tuple[str, str, str]]:
    out = []
    for field in fields:
        value = payload.get(field)
        kind = SCOPED_FIELDS.get(field, "unit")
        if kind == "subject":
            kind = "unit" if payload.get("subject_kind") == "org_unit" else "member"
        if kind == "members":
            values = value if isinstance(value, list) else []
            out += [(field, "member", v) for v in values if isinstance(v, str) and v]
        elif kind == "attendance":
            rows = value if isinstance(value, list) else []
            out += [(field, "attendee", r.get("member_id")) for r in rows
                    if isinstance(r, dict) and isinstance(r.get("member_id"), str) and r.get("member_id")]
        elif isinstance(value, str) and value:
            out.append((field, kind, value))
    return out


def units_of(kind: str, ident: str, resolver: Resolver) -> list[str] | None:
    """The org units a referenced thing belongs to (None: unknown)."""
    if kind == "unit":
        return [ident] if ident and resolver.ancestors(ident) is not None else None
    if kind == "member":
        unit = resolver.member_unit(ident)
        return [unit] if unit else None
    if kind == "attendee":  # a member attending a cell's meeting: its own or its host cell
        return resolver.place("member", ident)
    return resolver.place(kind, ident)


def in_scope(scope: str, units: list[str], resolver: Resolver) -> bool:
    return any(unit_in_scope(scope, u, resolver) for u in units)


def filed_on(payload: dict) -> list[str]:
    """The business dates the facts of a command are filed on (ISO): its ``occurred_on``, and for
    dues the last day of the month they are for (``meetings.dues.cell_for_month``). A date the
    model would refuse is left out: the service refuses the command anyway."""
    days = []
    try:
        days.append(_DATE.validate_python(payload.get("occurred_on")).isoformat())
    except (ValueError, TypeError):
        pass
    month = payload.get("month")
    if isinstance(month, str) and len(month) == 7:
        try:
            first = dt.date(int(month[:4]), int(month[5:]), 1)
        except ValueError:
            pass
        else:
            days.append(((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)).isoformat())
    return days


FILED_KINDS = ("case", "inspection", "supervision")


def placed_on(placed: list, day: str) -> str | None:
    """A member's unit on ``day`` (ISO) from where its unit changed (``[[ISO day, unit], ...]`` in
    date order, as the members service's ``locate`` answers); before the first, the first unit."""
    return in_force_on(placed, day)


def chain_on(spans: list[tuple[str, list[str]]], day: str) -> list[str]:
    """The unit's chain (itself up to the root) in force on ``day``: the latest span begun by then,
    else the first (a fact dated before the unit's creation is placed where it was created)."""
    return in_force_on(spans, day)


def held_then(scope: str, kind: str, ident: str, days: list[str], resolver: Resolver) -> bool:
    """A member named by a command is the caller's on the fact's dates too: a member who came into
    the scope from another district on day D is not the scope's to remove, transfer, discipline or
    record dues for on a day before D — the fact would count in the other district's figures for
    that day (each fact is filed in the unit the member stood in on its date, DOMAIN.md §2). So
    is a unit on the dates of the facts filed in it. A case, inspection or supervision must also be
    filed in the scope. Other kinds (an attendee is
    checked against the cell's roster on the meeting's day) pass."""
    if kind in FILED_KINDS:
        # a case is placed by its subject now, and by the unit it counts in: a decision a district
        # took about a member who has since moved elsewhere stays that district's to change or annul;
        # so does one taken in a unit since moved into another district (the 2025 merger): the unit
        # is placed where it stood on the day of the decision (or the opening)
        unit = resolver.filed(kind, ident)
        if unit is None:
            return True
        if not unit_in_scope(scope, unit, resolver):
            return False
        day = resolver.filed_day(kind, ident)
        spans = resolver.spans(unit) if day else None
        return not spans or scope in chain_on(spans, day)
    if kind == "unit":
        # a unit moved into the scope on day D is the scope's from D: a meeting, an admission or a
        # move dated before D counts in the figures of the district it stood in then
        spans = resolver.spans(ident) if days else None
        return not spans or all(scope in chain_on(spans, day) for day in days)
    if kind != "member":
        return True
    for day in days:
        unit = resolver.member_unit_on(ident, day)
        if unit is not None and not unit_in_scope(scope, unit, resolver):
            return False
    return True


def check_scope(user: User, spec: Spec, payload: dict, resolver: Resolver, is_query: bool) -> dict:
    """Raise Forbidden when any field of the call names something outside the user's subtree (or
    something that does not exist: the same answer); return the payload to send (for a query
    without a scope field, the user's scope is added so the answer is cut to it)."""
    if user.scope is None:
        return payload
    refs = references(spec, payload)
    if not refs:
        fields = spec.model.model_fields
        if is_query and "org_unit_id" in fields:
            return {**payload, "org_unit_id": user.scope}
        # an endpoint that names nothing in the tree cannot be placed: province-wide users only
        raise forbidden_scope(spec.scope_fields[0] if spec.scope_fields else None)
    reaching = set(spec.reaches)
    days = [] if is_query else filed_on(payload)
    if not any(field not in spec.creates and field not in reaching for field, _, _ in refs):
        # only a new id (e.g. admit_member with no unit), or only a unit outside: it must still be
        # placed in the user's part somewhere
        raise forbidden_scope(refs[0][0])
    for field, kind, ident in refs:
        if field in reaching:
            continue  # points outside by nature: the service checks the unit exists and is active
        units = units_of(kind, ident, resolver)
        if units is None and field in spec.creates:
            continue  # a fresh id: what it will belong to is checked through the other fields
        if units is None or not in_scope(user.scope, units, resolver):
            raise forbidden_scope(field)
        if not is_query and not held_then(user.scope, kind, ident, days, resolver):
            raise forbidden_scope(field)
    return payload


#: ids an import line may create besides its stream's own id (the first scoped field of its payload)
IMPORT_NEW_IDS = {"candidate.admission_decided": ("member_id",)}
#: fields an import line may point outside the user's part with, as its command may (``Spec.reaches``)
IMPORT_REACHES = {"member.liaison_introduced": ("residence_org_unit_id",)}


def new_id_fields(model, type_: str | None) -> tuple[str, ...]:
    own = next((f for f in getattr(model, "model_fields", {}) if f in SCOPED_FIELDS), None)
    return ((own,) if own else ()) + IMPORT_NEW_IDS.get(type_ or "", ())


def check_import(user: User, lines: list[dict], resolver: Resolver) -> None:
    """A scoped administrator's import file: every line's every scoped field must name something in
    the user's subtree, or something made by an earlier line of the file (whose own place was
    checked), or — for the id the line itself creates — something new; a line naming nothing known
    (e.g. a unit without a parent) cannot be placed. Raise
    Forbidden (the same body for "elsewhere" and "does not exist") naming the first such field."""
    if user.scope is None:
        return
    from shared.events import catalog
    models = catalog()
    # only the ids the file itself creates: a known thing is placed by the resolver on every line
    # that names it (an attendee hosted in the user's cell is no licence to name that member anywhere)
    made: set[tuple[str, str]] = set()
    for line in lines:
        data = line.get("data") if isinstance(line.get("data"), dict) else {}
        new_ok = new_id_fields(models.get(line.get("type")), line.get("type"))
        reaching = IMPORT_REACHES.get(line.get("type") or "", ())
        refs = references_in([f for f in data if f in SCOPED_FIELDS and f not in reaching], data)
        if not refs:
            raise forbidden_scope(None)
        placed = False
        fresh = []
        for field, kind, ident in refs:
            if ("member" if kind == "attendee" else kind, ident) in made:  # a member the file admitted
                placed = True
                continue
            units = units_of(kind, ident, resolver)
            if units is None:
                if field in new_ok:
                    fresh.append((kind, ident))
                    continue  # the id this line creates: placed through the line's other fields
                raise forbidden_scope(field)  # neither known here nor made earlier in the file
            if not in_scope(user.scope, units, resolver) \
                    or not held_then(user.scope, kind, ident, filed_on({**data, "occurred_on": line.get("occurred_on")}),
                                     resolver):
                raise forbidden_scope(field)
            placed = True
        if not placed:
            raise forbidden_scope(refs[0][0])
        made.update(fresh)


def authorise(user: User | None, spec: Spec, payload: dict, resolver: Resolver, is_query: bool) -> dict:
    if user is None:
        raise unauthorized()
    if not role_allowed(user, spec.roles):
        raise forbidden_role(user.role)
    return check_scope(user, spec, payload, resolver, is_query)
