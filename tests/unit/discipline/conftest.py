"""A members store and a discipline store (real SQLite files), the roster projection between them,
and a few words to set up a subject and run a command as a user would."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.application import Context
from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB

from services.discipline import application as app
from services.discipline.projections import CasesProjection, DbRoster, RosterProjection, load_cases

D = dt.date
TODAY = D(2024, 6, 30)


class Desk:
    def __init__(self, tmp_path):
        self.members = SQLiteEventStore(tmp_path / "members.events.db")
        self.store = SQLiteEventStore(tmp_path / "discipline.events.db")
        self.db = ReadModelDB(f"sqlite:///{tmp_path}/discipline.read.db")
        stores = {"members": self.members, "discipline": self.store}
        self.roster_runner = ProjectionRunner(self.db, RosterProjection(), stores)
        self.cases_runner = ProjectionRunner(self.db, CasesProjection(), stores)
        self.roster = DbRoster(self.db)

    # -- facts of the members service --------------------------------------------------------
    def fact(self, type_: str, on: dt.date, stream: str, **data) -> None:
        self.members.append(stream, [NewEvent(type=type_, data=data, occurred_on=on)])
        self.roster_runner.catch_up("members")

    def unit(self, org_unit_id: str, on=D(2010, 1, 1), kind="cell"):
        self.fact("org_unit.created", on, f"org_unit-{org_unit_id}", org_unit_id=org_unit_id,
                  name=f"Chi bộ {org_unit_id}", kind=kind, parent_id=None)

    def admit(self, member_id: str, org_unit_id="C1", on=D(2010, 1, 1), official_on=D(2011, 1, 1)):
        self.fact("member.admitted", on, f"member-{member_id}", member_id=member_id, org_unit_id=org_unit_id,
                  full_name="Nguyễn Văn An", birth_date="1980-01-01", sex="male", demobilised="none")
        if official_on:
            self.fact("member.recognized_official", official_on, f"member-{member_id}", member_id=member_id)

    # -- commands as a user sends them --------------------------------------------------------
    def run(self, use_case, model, today=TODAY, command_id=None, **fields):
        cmd = model.model_validate(fields)
        return use_case(self.store, self.roster, cmd, Context(today=today, command_id=command_id))

    def cases(self, **filters):
        self.cases_runner.catch_up("discipline")
        return load_cases(self.db, **filters)

    def close(self):
        self.members.close()
        self.store.close()
        self.db.close()


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    d.unit("C1")
    d.admit("M1")
    yield d
    d.close()


def decide(desk: Desk, case_id="K1", subject_id="M1", form="reprimand", violation_on=D(2020, 3, 1),
           on=D(2021, 3, 1), **extra):
    from shared.contracts.discipline import ApplyDiscipline
    fields = dict(case_id=case_id, subject_kind=extra.pop("subject_kind", "member"), subject_id=subject_id,
                  form=form, violation_on=violation_on, occurred_on=on, decided_by="Ủy ban Kiểm tra Huyện ủy")
    fields.update(extra)
    return desk.run(app.apply_discipline, ApplyDiscipline, **fields)
