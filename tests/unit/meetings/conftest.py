"""A small world for the meetings service: real SQLite stores and read model in tmp_path.

The members service's events are appended straight into its store (as the members service would
write them), then the meetings roster projection catches up, as in production.
"""
from __future__ import annotations

import datetime as dt

import pytest

from shared.application import Context
from shared.contracts.meetings import RecordDues, RecordMeeting
from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.personal import Vault
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB

from services.meetings import application as app
from services.meetings.projections import RosterProjection, SqlRoster
from services.meetings.reasons import KeyShredding
from services.meetings.views import MeetingsViewProjection

D = dt.date
TODAY = D(2026, 11, 27)


class World:
    def __init__(self, tmp_path):
        self.members = SQLiteEventStore(tmp_path / "members.events.db")
        self.store = SQLiteEventStore(tmp_path / "meetings.events.db")
        self.db = ReadModelDB(f"sqlite:///{tmp_path}/meetings.read.db")
        #: the service's key vault (absence reasons), in its own file as the service keeps it
        self.keys = ReadModelDB(f"sqlite:///{tmp_path}/meetings.keys.db")
        self.vault = Vault(self.keys)
        stores = {"members": self.members, "meetings": self.store}
        self.runners = [ProjectionRunner(self.db, RosterProjection(), stores),
                        ProjectionRunner(self.db, MeetingsViewProjection(), stores),
                        ProjectionRunner(self.db, KeyShredding(self.vault), stores)]
        self.roster = SqlRoster(self.db)
        self._n = 0

    def sync(self):
        for r in self.runners:
            r.catch_up_all()

    def fact(self, type_: str, on: dt.date, **data):
        """A members-service event (what the members service would have written)."""
        self._n += 1
        self.members.append(f"x-{self._n}", [NewEvent(type=type_, data=data, occurred_on=on)])
        self.sync()

    def cell(self, org_unit_id: str, on: dt.date = D(2015, 1, 1), kind: str = "cell"):
        self.fact("org_unit.created", on, org_unit_id=org_unit_id, name=f"Chi bộ {org_unit_id}", kind=kind,
                  parent_id=None)

    def admit(self, member_id: str, cell: str, on: dt.date = D(2016, 1, 1)):
        self.fact("member.admitted", on, member_id=member_id, org_unit_id=cell, full_name="Nguyễn Văn A",
                  birth_date="1980-01-01", sex="male", demobilised="none")

    def meeting(self, meeting_id: str, cell: str, on: dt.date, statuses: dict[str, str], *, kind="regular",
                minutes=120, combined=False, command_id=None, today=TODAY, committee=None):
        cmd = RecordMeeting(occurred_on=on, meeting_id=meeting_id, org_unit_id=cell, kind=kind,
                            duration_minutes=minutes, combined=combined, committee_member_attended=committee,
                            attendance=[{"member_id": m, "status": s,
                                         "reason": "Ốm" if s == "excused" else None} for m, s in statuses.items()])
        out = app.record_meeting(self.store, self.roster, self.vault, cmd, Context(command_id=command_id, today=today))
        self.sync()
        return out

    def dues(self, member_id: str, month: str, status: str, *, on: dt.date = D(2026, 1, 5), today=TODAY,
             command_id=None, **extra):
        cmd = RecordDues(occurred_on=on, member_id=member_id, month=month, status=status, **extra)
        out = app.record_dues(self.store, self.roster, cmd, Context(command_id=command_id, today=today))
        self.sync()
        return out

    def expected(self, cell: str, on: dt.date) -> list[str]:
        return [e.member_id for e in self.roster.on(cell, on) if e.expected]

    def close(self):
        self.members.close()
        self.store.close()
        self.db.close()
        self.keys.close()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


def types(events) -> list[str]:
    return [e.type for e in events]
