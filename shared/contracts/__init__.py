"""Command and query contracts of every service: the payloads of their RPCs and HTTP endpoints.

Like the event catalog, these are shared: the owning service validates with them, the gateway
routes ``POST /api/v1/<service>/<command>`` and ``GET /api/v1/<service>/<query>`` by them and
generates its OpenAPI document from them. Services never import each other; they share these.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from shared.catalog.common import BusinessDate

ROLES = ("viewer", "clerk", "inspector", "administrator")


class Command(BaseModel):
    """Base of every command: the business date it takes effect."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: business date: the day the decision took effect (ngày hiệu lực)
    occurred_on: BusinessDate


class Query(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: Every payload field that names something placed in the organisation tree, and what it names.
#: Declared once, here: a contract's ``Spec.scope_fields`` is derived from its model's fields, and
#: the gateway checks *every* one present against the caller's org scope (``services/gateway/
#: access.py``). A contract test fails when a model has an ``*_id``/``*_ids`` field that is in
#: neither this table nor ``UNSCOPED_FIELDS``, so a new command cannot forget one.
SCOPED_FIELDS: dict[str, str] = {
    "org_unit_id": "unit", "parent_id": "unit", "into_org_unit_id": "unit", "to_org_unit_id": "unit",
    "from_org_unit_id": "unit", "residence_org_unit_id": "unit",
    "member_id": "member", "introduced_by_member_id": "member",
    #: the member who chaired a meeting
    "chaired_by": "member",
    #: a list of member ids
    "member_ids": "members",
    #: a list of ``{"member_id": ...}`` rows (meeting attendance)
    "attendance": "attendance",
    "candidate_id": "candidate", "case_id": "case", "inspection_id": "inspection",
    "supervision_id": "supervision", "meeting_id": "meeting",
    #: a member or an org unit, according to ``subject_kind`` (default member)
    "subject_id": "subject",
}
#: ``*_id`` fields that name nothing in the tree: a loan lives in its member's stream; a citizen id
#: is a personal field of the record (sealed), not a reference
UNSCOPED_FIELDS = frozenset({"loan_id", "citizen_id"})


def scoped_fields_of(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(f for f in model.model_fields if f in SCOPED_FIELDS)


@dataclass(frozen=True)
class Spec:
    """One endpoint: its model, who may call it, and its Vietnamese/English summary.

    ``scope_fields``: every payload field naming a unit, member, candidate, case, inspection,
    supervision or meeting (derived from the model by ``SCOPED_FIELDS``; fields given here are
    added, never removed). The gateway checks each one present against the caller's scope.
    ``creates``: the fields among them that name the thing the command creates (a new member id,
    case id, ...): a fresh id passes, an id that already names something must be in scope.
    ``reaches``: unit fields among them that point *out of* the caller's part of the tree by the
    nature of the command (the residence cell a member is introduced to, in whatever district the
    member lives): the other fields place the command in the caller's scope, these need not be in
    it (the service checks that the unit exists and is active).
    """

    model: type[BaseModel]
    summary_vi: str
    summary_en: str
    roles: tuple[str, ...] = ("clerk", "administrator")
    scope_fields: tuple[str, ...] | None = None
    creates: tuple[str, ...] = ()
    reaches: tuple[str, ...] = ()

    def __post_init__(self):
        fields = tuple(dict.fromkeys((*(self.scope_fields or ()), *scoped_fields_of(self.model))))
        object.__setattr__(self, "scope_fields", fields)
        unknown = set(self.creates) - set(fields)
        if unknown:
            raise ValueError(f"creates names fields that are not scoped: {sorted(unknown)}")
        loose = {f for f in self.reaches if SCOPED_FIELDS.get(f) != "unit"} | (set(self.reaches) & set(self.creates))
        if loose or (self.reaches and not set(fields) - set(self.reaches)):
            raise ValueError(f"reaches names fields that are not units, or nothing else places the call: "
                             f"{sorted(loose or self.reaches)}")


def contracts_of(service: str):
    """The contract module of a service (``shared.contracts.<service>``), or None if it has none yet."""
    try:
        return importlib.import_module(f"shared.contracts.{service}")
    except ImportError:
        return None


def commands_of(service: str) -> dict[str, Spec]:
    mod = contracts_of(service)
    return dict(getattr(mod, "COMMANDS", {})) if mod else {}


def queries_of(service: str) -> dict[str, Spec]:
    mod = contracts_of(service)
    return dict(getattr(mod, "QUERIES", {})) if mod else {}
