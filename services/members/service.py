"""The members service (nameko): organisation tree and member lifecycle. Entry points only."""
from __future__ import annotations

from nameko.rpc import rpc

from shared.application import Context
from shared.importing import run_import
from shared.runtime import EventStoreProvider, RelayProvider, command, query

from services.members import application as app
from shared.contracts.members import AdmitMember, CreateOrgUnit

SERVICE = "members"


class MembersService:
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)

    @rpc
    @command(CreateOrgUnit)
    def create_org_unit(self, cmd, context):
        return app.create_org_unit(self.store, cmd, Context.from_dict(context))

    @rpc
    @command(AdmitMember)
    def admit_member(self, cmd, context):
        return app.admit_member(self.store, cmd, Context.from_dict(context))

    @rpc
    def import_lines(self, lines, context=None, commit=True):
        return run_import(self.store, app.IMPORTERS, lines, Context.from_dict(context), commit=commit)

    @rpc
    @query()
    def head_position(self, q, context):
        return self.store.head_position()
