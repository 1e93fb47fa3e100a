"""A members service without nameko: real SQLite store, read model and key vault in tmp_path."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from services.members import application as app
from services.members.index import (DisciplineIndex, DisciplineIndexProjection, MembersIndex,
                                    MembersIndexProjection)
from shared.application import Context
from shared.contracts.members import COMMANDS
from shared.eventstore import open_store
from shared.personal import Vault
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB

D = dt.date


class Members:
    """``run("admit_member", ...)`` calls the use case as the RPC would; ``error(...)`` expects a rule failure."""

    def __init__(self, tmp_path):
        self.store = open_store(f"sqlite:///{tmp_path}/members.events.db")
        self.discipline_store = open_store(f"sqlite:///{tmp_path}/discipline.events.db")
        self.db = ReadModelDB(f"sqlite:///{tmp_path}/members.read.db")
        self.vault = Vault(ReadModelDB(f"sqlite:///{tmp_path}/members.keys.db"))
        stores = {"members": self.store, "discipline": self.discipline_store}
        self.own = ProjectionRunner(self.db, MembersIndexProjection(), stores)
        self.disc = ProjectionRunner(self.db, DisciplineIndexProjection(), stores)
        self.deps = app.Deps(self.vault, MembersIndex(self.db, lambda: self.own.catch_up("members")),
                             DisciplineIndex(self.db))
        self._ids = itertools.count()

    def run(self, endpoint: str, /, command_id: str | None = None, **payload):
        cmd = COMMANDS[endpoint].model.model_validate(payload)
        ctx = Context(command_id=command_id or f"cmd-{next(self._ids)}")
        return getattr(app, endpoint)(self.store, cmd, ctx, self.deps)

    def types(self, stream: str) -> list[str]:
        return [e.type for e in self.store.read_stream(stream)]

    def discipline(self, type_: str, occurred_on: dt.date, **data):
        """A discipline service fact as the bus delivers it; applied to the index, then the reaction runs."""
        from shared.events import NewEvent
        env = self.discipline_store.append(f"case-{data.get('case_id') or data.get('inspection_id')}", [NewEvent(
            type=type_, data=data, occurred_on=occurred_on)])[0]
        message = env.to_message()
        self.disc.handle("discipline", message)
        return app.on_discipline_applied(self.store, message, self.deps), message

    # -- a small province to work in ----------------------------------------------------------
    def province(self, on=D(2015, 10, 1)):
        self.run("create_org_unit", occurred_on=on, org_unit_id="P", name="Tỉnh ủy", kind="province")
        self.run("create_org_unit", occurred_on=on, org_unit_id="D1", name="Huyện A", kind="direct", parent_id="P")
        for g in ("G1", "G2"):
            self.run("create_org_unit", occurred_on=on, org_unit_id=g, name=f"Xã {g}", kind="grassroots_committee",
                     parent_id="D1")
            for cell in ("C1", "C2"):
                self.run("create_org_unit", occurred_on=on, org_unit_id=f"{g}{cell}", name=f"Chi bộ {g}{cell}",
                         kind="cell", parent_id=g)
        return self

    def admit(self, member_id, unit="G1C1", on=D(2020, 1, 15), birth=D(1990, 5, 1), **extra):
        return self.run("admit_member", occurred_on=on, member_id=member_id, org_unit_id=unit,
                        full_name="Nguyễn Văn An", birth_date=birth, sex="male", **extra)


@pytest.fixture
def mb(tmp_path):
    return Members(tmp_path).province()
