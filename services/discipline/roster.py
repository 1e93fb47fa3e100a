"""What the discipline service knows of members and organisations (pure part).

The forms a decision may take depend on who the subject was *on the decision date*: an official
or a probationary member, an existing organisation (DOMAIN.md §5). Imports carry history, so the
roster is kept as dated changes and resolved for a day, never as a single "current" row.
The members service owns these facts; we only fold its published events (DESIGN.md §1).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

#: member events and the status they leave the member in
MEMBER_STATUS = {
    "member.admitted": "probationary",
    "member.transferred_in": "official",  # unless the transfer in says "probationary" (changes_of)
    "member.recognized_official": "official",
    "member.removed": "left", "member.resigned": "left", "member.expelled": "left",
    "member.died": "left", "member.transferred_out": "left",
}
UNIT_STATUS = {"org_unit.created": "active", "org_unit.merged": "closed", "org_unit.dissolved": "closed"}
TYPES = frozenset(MEMBER_STATUS) | frozenset(UNIT_STATUS) | {"member.transferred", "org_unit.moved"}


@dataclass(frozen=True)
class Change:
    """One dated change of a member or an organisation; ``None`` fields keep their earlier value."""

    kind: str  # "member" | "org_unit"
    subject_id: str
    occurred_on: dt.date
    seq: int
    status: str | None = None
    org_unit_id: str | None = None  # a member's unit, or an organisation's parent


@dataclass(frozen=True)
class Subject:
    """A member or an organisation as it stood on one day."""

    kind: str
    subject_id: str
    status: str | None = None  # member: probationary | official | left; org_unit: active | closed
    org_unit_id: str | None = None  # member: its unit; org_unit: itself

    @property
    def exists(self) -> bool:
        return self.status is not None


def changes_of(type_: str, data: dict, occurred_on: dt.date, seq: int) -> list[Change]:
    if type_ == "member.transferred_in":  # a probationary member transferred in stays probationary
        return [Change("member", data["member_id"], occurred_on, seq, data.get("status") or "official",
                       data["org_unit_id"])]
    if type_ in MEMBER_STATUS:
        return [Change("member", data["member_id"], occurred_on, seq, MEMBER_STATUS[type_], data.get("org_unit_id"))]
    if type_ == "member.transferred":
        if data.get("kind") == "temporary":
            return []  # a temporary transfer leaves the member's official unit (and discipline) where it was
        return [Change("member", data["member_id"], occurred_on, seq, None, data["to_org_unit_id"])]
    if type_ in UNIT_STATUS:
        return [Change("org_unit", data["org_unit_id"], occurred_on, seq, UNIT_STATUS[type_], data.get("parent_id"))]
    if type_ == "org_unit.moved":
        return [Change("org_unit", data["org_unit_id"], occurred_on, seq, None, data["parent_id"])]
    return []


def resolve(kind: str, subject_id: str, changes: Iterable[Change], day: dt.date) -> Subject:
    """Fold the subject's changes up to and including ``day`` (by business date, then log order)."""
    status, unit = None, None
    for c in sorted((c for c in changes if c.kind == kind and c.subject_id == subject_id),
                    key=lambda c: (c.occurred_on, c.seq)):
        if c.occurred_on > day:
            break
        status = c.status or status
        unit = c.org_unit_id or unit
    if kind == "org_unit":
        return Subject(kind, subject_id, status, subject_id if status else None)
    return Subject(kind, subject_id, status, unit)
