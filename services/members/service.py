"""The members service (nameko): organisation tree, candidates and member lifecycle. Entry points only.

Every command of ``shared.contracts.members.COMMANDS`` is an ``@rpc @command(Model)`` method of the
same name (generated below from the contract, so the HTTP surface and the RPCs cannot drift).
"""
from __future__ import annotations

import datetime as dt

from nameko.events import event_handler
from nameko.rpc import rpc

from shared.application import Context
from shared.contracts.members import (COMMANDS, GetMember, OrgTree, Overdue, UnitAncestors, UnitMembers)
from shared.importing import run_import
from shared.runtime import (EventStoreProvider, ProjectingEntrypoints, ProjectionsProvider, RelayProvider, command,
                            query)

from services.members import application as app
from services.members import tree
from services.members.dependencies import VaultProvider
from services.members.index import (DisciplineIndex, DisciplineIndexProjection, DisciplineOverlay, MembersIndex,
                                    MembersIndexProjection)

SERVICE = "members"


def projections():
    return [MembersIndexProjection(), DisciplineIndexProjection()]


class MembersService(ProjectingEntrypoints):
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)
    projections = ProjectionsProvider(SERVICE, projections)
    vault = VaultProvider()

    def _refresh_own(self) -> int:
        """Read-your-writes: catch the index up with this service's own store before a check."""
        return sum(r.catch_up(SERVICE) for r in self.projections.runners if SERVICE in r.projection.sources)

    def deps(self, overlay: DisciplineOverlay | None = None) -> app.Deps:
        return app.Deps(self.vault, MembersIndex(self.projections.db, self._refresh_own),
                        DisciplineIndex(self.projections.db, overlay))

    # -- reactions -------------------------------------------------------------------------------
    @event_handler(SERVICE, "#")
    def on_own_event(self, message):
        self.projections.handle(SERVICE, message)

    @event_handler("discipline", "#")
    def on_discipline_event(self, message):
        """Discipline facts: cap ratings, refuse resignations, expel (unknown types are ignored)."""
        self.projections.handle("discipline", message)
        app.on_discipline_applied(self.store, message, self.deps())

    @rpc
    @query()
    def settle(self, q, context):
        """Reactions due now, applied now (the import job waits on this; see ``settle_reactions``)."""
        return {"written": app.settle_reactions(self.store, self.projections.stores["discipline"], self.deps,
                                                self.projections.catch_up)}

    # -- import ----------------------------------------------------------------------------------
    @rpc
    def import_lines(self, lines, context=None, commit=True):
        overlay = DisciplineOverlay()
        return run_import(self.store, app.bound_importers(self.deps(overlay)), lines, Context.from_dict(context),
                          commit=commit, observe=overlay.observe)

    # -- queries ---------------------------------------------------------------------------------
    @rpc
    @query(GetMember)
    def get_member(self, q, context):
        return app.get_member(self.store, q.member_id, self.deps())

    @rpc
    @query(UnitAncestors)
    def unit_ancestors(self, q, context):
        return app.unit_ancestors(self.store, q.org_unit_id, q.on)

    @rpc
    @query(OrgTree)
    def org_tree(self, q, context):
        units = tree.tree_as_of(self.deps().index.unit_history(), q.on or dt.date.today())
        if q.org_unit_id and q.org_unit_id not in units:
            raise app.domain.unit_not_found(q.org_unit_id, "org_unit_id")
        return tree.nested(units, q.org_unit_id)

    @rpc
    @query(Overdue)
    def overdue(self, q, context):
        on = q.on or dt.date.today()
        items = self.deps().index.overdue(on)
        if q.org_unit_id:
            items = [i for i in items if q.org_unit_id in _ancestor_ids(self.store, i["org_unit_id"], on)]
        return items

    @rpc
    @query(UnitMembers)
    def unit_members(self, q, context):
        return self.deps().index.members_of(q.org_unit_id)

    @rpc
    @query()
    def locate(self, q, context):
        """Where a member or candidate belongs (``{"kind", "id"}`` → ``{"units": [...]}`` or None):
        ids only, never a personal field; the gateway places calls in the tree with it."""
        return app.locate(self.store, q.get("kind"), q.get("id"))

    @rpc
    @query()
    def head_position(self, q, context):
        return self.store.head_position()


def _ancestor_ids(store, org_unit_id, on):
    return [u.org_unit_id for u in app.ancestors(store, org_unit_id, on)] if org_unit_id else []


def _command_entry(name: str, model):
    @rpc
    @command(model)
    def entry(self, cmd, context):
        return app.USE_CASES[name](self.store, cmd, Context.from_dict(context), self.deps())
    entry.__name__ = entry.__qualname__ = name
    return entry


for _name, _spec in COMMANDS.items():
    setattr(MembersService, _name, _command_entry(_name, _spec.model))
