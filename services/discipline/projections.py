"""Read models of the discipline service.

- ``RosterProjection``: the dated changes of members and organisations, from the members
  service's events (who was an official / probationary member, which units existed, on a day).
- ``CasesProjection``: our own case events, for the "in effect on day D" queries.
``DbRoster`` answers from the first; ``OverlayRoster`` adds the members lines of an import file
that are not written yet, so a file admitting a member and disciplining them validates as one.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from shared.events import Envelope
from shared.projection import Projection
from shared.readmodel import ReadModelDB, Tx

from services.discipline import domain
from services.discipline.roster import TYPES, Change, Subject, changes_of, resolve

CASE_TYPES = frozenset({"discipline.applied", "discipline.appealed", "discipline.upheld", "discipline.changed",
                        "discipline.annulled"})


class RosterProjection(Projection):
    name = "discipline_roster"
    #: 2: a member transferred in as probationary stays probationary (not official)
    version = 2
    sources = ("members",)
    types = TYPES

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS dc_roster (
            kind TEXT NOT NULL, subject_id TEXT NOT NULL, seq BIGINT NOT NULL, occurred_on TEXT NOT NULL,
            status TEXT, org_unit_id TEXT, PRIMARY KEY (kind, subject_id, seq))
        """

    def apply(self, tx: Tx, e: Envelope) -> None:
        for c in changes_of(e.type, e.data, e.occurred_on, e.position):
            tx.execute("INSERT INTO dc_roster (kind, subject_id, seq, occurred_on, status, org_unit_id) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, subject_id, seq) DO NOTHING",
                       (c.kind, c.subject_id, c.seq, c.occurred_on.isoformat(), c.status, c.org_unit_id))


class DbRoster:
    def __init__(self, db: ReadModelDB):
        self.db = db

    def changes(self, kind: str, subject_id: str) -> list[Change]:
        rows = self.db.query("SELECT seq, occurred_on, status, org_unit_id FROM dc_roster "
                             "WHERE kind = ? AND subject_id = ?", (kind, subject_id))
        return [Change(kind, subject_id, dt.date.fromisoformat(r[1]), r[0], r[2], r[3]) for r in rows]

    def subject_on(self, kind: str, subject_id: str, day: dt.date) -> Subject:
        return resolve(kind, subject_id, self.changes(kind, subject_id), day)


class OverlayRoster(DbRoster):
    """The stored roster plus import lines of the members service seen so far (``observe``)."""

    #: overlay lines sort after stored events of the same day: the file is the newer record
    SEQ_BASE = 10 ** 15

    def __init__(self, db: ReadModelDB):
        super().__init__(db)
        self.extra: list[Change] = []

    def observe(self, line: dict) -> None:
        if line["type"] in TYPES:
            day = dt.date.fromisoformat(str(line["occurred_on"]))
            try:
                self.extra.extend(changes_of(line["type"], line["data"], day, self.SEQ_BASE + line.get("line", 0)))
            except KeyError:
                pass  # a malformed line: its owner reports it

    def changes(self, kind: str, subject_id: str) -> list[Change]:
        return super().changes(kind, subject_id) + [c for c in self.extra
                                                    if c.kind == kind and c.subject_id == subject_id]


@dataclass(frozen=True)
class Row:
    """A stored case event, shaped like an envelope for ``domain.fold_case``."""

    type: str
    occurred_on: dt.date
    org_unit_id: str | None
    data: dict


class CasesProjection(Projection):
    name = "discipline_cases"
    sources = ("discipline",)
    types = CASE_TYPES

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS dc_cases (
            case_id TEXT PRIMARY KEY, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, org_unit_id TEXT);
        CREATE TABLE IF NOT EXISTS dc_case_events (
            position BIGINT PRIMARY KEY, case_id TEXT NOT NULL, type TEXT NOT NULL, occurred_on TEXT NOT NULL,
            org_unit_id TEXT, data TEXT NOT NULL)
        """

    def apply(self, tx: Tx, e: Envelope) -> None:
        d = e.data
        if e.type == "discipline.applied":
            tx.execute("INSERT INTO dc_cases (case_id, subject_kind, subject_id, org_unit_id) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (case_id) DO NOTHING", (d["case_id"], d["subject_kind"], d["subject_id"],
                                                            e.org_unit_id))
        tx.execute("INSERT INTO dc_case_events (position, case_id, type, occurred_on, org_unit_id, data) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING",
                   (e.position, d["case_id"], e.type, e.occurred_on.isoformat(), e.org_unit_id, json.dumps(d)))


def load_cases(db: ReadModelDB, subject_kind: str | None = None, subject_id: str | None = None,
               org_unit_ids: list[str] | None = None, case_id: str | None = None) -> list[domain.Case]:
    where, params = [], []
    if case_id:
        where.append("c.case_id = ?"), params.append(case_id)
    if subject_kind:
        where.append("c.subject_kind = ?"), params.append(subject_kind)
    if subject_id:
        where.append("c.subject_id = ?"), params.append(subject_id)
    sql = ("SELECT e.case_id, e.type, e.occurred_on, e.org_unit_id, e.data, c.org_unit_id FROM dc_case_events e "
           "JOIN dc_cases c ON c.case_id = e.case_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    events: dict[str, list[Row]] = {}
    for case, type_, on, unit, data, _ in db.query(sql + " ORDER BY e.position", params):
        events.setdefault(case, []).append(Row(type_, dt.date.fromisoformat(on), unit, json.loads(data)))
    cases = [domain.fold_case(evs) for evs in events.values()]
    if org_unit_ids is not None:
        wanted = set(org_unit_ids)
        cases = [c for c in cases if c.org_unit_id in wanted]
    return cases


def subtree(db: ReadModelDB, org_unit_id: str) -> list[str]:
    """The unit and every unit under it (by the latest parent known for each)."""
    parent: dict[str, str | None] = {}
    for sid, parent_id in db.query("SELECT subject_id, org_unit_id FROM dc_roster WHERE kind = 'org_unit' "
                                   "AND org_unit_id IS NOT NULL ORDER BY occurred_on, seq"):
        parent[sid] = parent_id
    children: dict[str, list[str]] = {}
    for child, p in parent.items():
        children.setdefault(p, []).append(child)
    out, todo = [], [org_unit_id]
    while todo:
        u = todo.pop()
        out.append(u)
        todo.extend(children.get(u, []))
    return out
