"""Use cases of the members service: load streams, call the domain, append."""
from __future__ import annotations

from shared.application import Context, execute
from shared.events import Envelope
from shared.eventstore import EventStore
from shared.rules import rules_on

from services.members import domain
from shared.contracts.members import AdmitMember, CreateOrgUnit


def org_stream(org_unit_id: str) -> str:
    return f"org_unit-{org_unit_id}"


def member_stream(member_id: str) -> str:
    return f"member-{member_id}"


def load_unit(store: EventStore, org_unit_id: str | None) -> domain.OrgUnit | None:
    if org_unit_id is None:
        return None
    return domain.fold_org_unit(store.read_stream(org_stream(org_unit_id)))


def create_org_unit(store: EventStore, cmd: CreateOrgUnit, ctx: Context) -> list[Envelope]:
    parent = load_unit(store, cmd.parent_id)
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.create_org_unit(unit, parent, cmd), ctx)


def admit_member(store: EventStore, cmd: AdmitMember, ctx: Context) -> list[Envelope]:
    unit = load_unit(store, cmd.org_unit_id)
    rules = rules_on(cmd.occurred_on)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda member: domain.admit_member(member, unit, cmd, rules), ctx)


#: import: catalog type -> (command model, use case)
IMPORTERS = {
    "org_unit.created": (CreateOrgUnit, create_org_unit),
    "member.admitted": (AdmitMember, admit_member),
}
