"""The meetings service's roster: its own projection of the members service's events.

Facts are kept per member (no personal data) and every change re-folds that member's timeline
into ``mt_stints`` / ``mt_exemptions`` / ``mt_away``, so "who is expected at cell C on date D" is
one SQL query. ``RosterOverlay`` adds an import file's members lines, not yet written, on top
of the same facts and the same fold, to validate meeting lines of that file.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Iterable

from shared.events import Envelope
from shared.importing import line_command_id
from shared.projection import Projection
from shared.readmodel import ReadModelDB, Tx

from services.meetings import roster as r

_D = dt.date.fromisoformat


class RosterProjection(Projection):
    name = "meetings_roster"
    #: 2: the admission day a transfer in carries is kept (a member's party age, for dues)
    version = 2
    sources = ("members",)
    types = r.MEMBER_TYPES | r.UNIT_TYPES

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS mt_units (org_unit_id TEXT PRIMARY KEY, kind TEXT NOT NULL,
            created_on TEXT NOT NULL, closed_on TEXT, merged_into TEXT);
        CREATE TABLE IF NOT EXISTS mt_member_facts (event_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
            seq BIGINT NOT NULL, occurred_on TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS mt_member_facts_member ON mt_member_facts (member_id);
        CREATE TABLE IF NOT EXISTS mt_members (member_id TEXT PRIMARY KEY, admitted_on TEXT);
        CREATE TABLE IF NOT EXISTS mt_stints (member_id TEXT NOT NULL, org_unit_id TEXT NOT NULL,
            start_on TEXT NOT NULL, end_on TEXT, temporary INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS mt_stints_unit ON mt_stints (org_unit_id, start_on);
        CREATE INDEX IF NOT EXISTS mt_stints_member ON mt_stints (member_id);
        CREATE TABLE IF NOT EXISTS mt_exemptions (member_id TEXT NOT NULL, start_on TEXT NOT NULL, end_on TEXT);
        CREATE INDEX IF NOT EXISTS mt_exemptions_member ON mt_exemptions (member_id);
        CREATE TABLE IF NOT EXISTS mt_away (member_id TEXT NOT NULL, start_on TEXT NOT NULL, end_on TEXT);
        CREATE INDEX IF NOT EXISTS mt_away_member ON mt_away (member_id)
        """

    #: within a batch (``prepare`` … ``finish``): the member facts not written yet, and the members
    #: to refold once — before the next unit event (a merge reads the stints) and at its end
    _pending_facts: list[tuple] | None = None
    _pending_members: dict[str, None] | None = None

    def prepare(self, tx: Tx, source: str, events: list[Envelope]) -> None:
        self._pending_facts, self._pending_members = [], {}

    def finish(self, tx: Tx, ok: bool = True) -> None:
        if ok:
            self._flush(tx)
        self._pending_facts = self._pending_members = None

    def _flush(self, tx: Tx) -> None:
        if self._pending_facts:
            tx.executemany("INSERT INTO mt_member_facts (event_id, member_id, seq, occurred_on, type, data) "
                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING", self._pending_facts)
        if self._pending_members:
            refold(tx, list(self._pending_members))
        self._pending_facts, self._pending_members = [], {}

    def apply(self, tx: Tx, e: Envelope) -> None:
        if e.type in r.UNIT_TYPES:
            if self._pending_facts is not None:
                self._flush(tx)
            self._apply_unit(tx, e)
            return
        fact = r.fact_from(e.event_id, e.position, e.type, e.occurred_on, e.data)
        row = (fact.event_id, fact.member_id, fact.seq, fact.occurred_on.isoformat(), fact.type,
               json.dumps(dict(fact.data), sort_keys=True))
        if self._pending_facts is None:  # outside a runner's batch: at once
            tx.execute("INSERT INTO mt_member_facts (event_id, member_id, seq, occurred_on, type, data) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING", row)
            refold(tx, [fact.member_id])
            return
        self._pending_facts.append(row)
        self._pending_members[fact.member_id] = None

    def _apply_unit(self, tx: Tx, e: Envelope) -> None:
        units = _units(tx, [e.data["org_unit_id"]])
        r.apply_unit_event(units, e.type, e.occurred_on, e.data)
        u = units.get(e.data["org_unit_id"])
        if u is None:
            return
        tx.execute("INSERT INTO mt_units (org_unit_id, kind, created_on, closed_on, merged_into) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (org_unit_id) DO UPDATE SET closed_on = excluded.closed_on, "
                   "merged_into = excluded.merged_into",
                   (u.org_unit_id, u.kind, u.created_on.isoformat(),
                    u.closed_on.isoformat() if u.closed_on else None, u.merged_into))
        if e.type == "org_unit.merged":
            moved = [row[0] for row in tx.execute("SELECT DISTINCT member_id FROM mt_stints WHERE org_unit_id = ?",
                                                  (u.org_unit_id,)).fetchall()]
            refold(tx, moved)


def _unit_of(row) -> r.Unit:
    return r.Unit(row[0], row[1], _D(row[2]), _D(row[3]) if row[3] else None, row[4])


def _units(tx: Tx, ids: list[str]) -> dict[str, r.Unit]:
    marks = ",".join("?" * len(ids))
    rows = tx.execute(f"SELECT org_unit_id, kind, created_on, closed_on, merged_into FROM mt_units "
                      f"WHERE org_unit_id IN ({marks})", ids).fetchall()
    return {row[0]: _unit_of(row) for row in rows}


def _merges(tx: Tx) -> dict:
    rows = tx.execute("SELECT org_unit_id, kind, created_on, closed_on, merged_into FROM mt_units "
                      "WHERE merged_into IS NOT NULL").fetchall()
    return r.merges_of(_unit_of(row) for row in rows)


def _facts(tx: Tx, member_ids: Iterable[str]) -> dict[str, list[r.Fact]]:
    ids = list(dict.fromkeys(member_ids))
    out: dict[str, list[r.Fact]] = {m: [] for m in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = tx.execute(f"SELECT event_id, seq, occurred_on, type, member_id, data FROM mt_member_facts "
                          f"WHERE member_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        for row in rows:
            out[row[4]].append(r.Fact(row[0], row[1], _D(row[2]), row[3], row[4], json.loads(row[5])))
    return out


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def refold(tx: Tx, member_ids: list[str]) -> None:
    """Rewrite the dated rows of these members from their facts (one statement per table)."""
    if not member_ids:
        return
    merges = _merges(tx)
    stints, exemptions, away, admitted = [], [], [], []
    facts = _facts(tx, member_ids)
    for member_id, theirs in facts.items():
        t = r.timeline(member_id, theirs, merges)
        stints += [(member_id, s.org_unit_id, s.start.isoformat(), _iso(s.end), int(s.temporary)) for s in t.stints]
        exemptions += [(member_id, a.isoformat(), _iso(b)) for a, b in t.exemptions]
        away += [(member_id, a.isoformat(), _iso(b)) for a, b in t.away]
        admitted.append((member_id, _iso(t.admitted_on)))
    gone = [(m,) for m in facts]
    for table in ("mt_stints", "mt_exemptions", "mt_away"):
        tx.executemany(f"DELETE FROM {table} WHERE member_id = ?", gone)
    tx.executemany("INSERT INTO mt_stints (member_id, org_unit_id, start_on, end_on, temporary) VALUES (?, ?, ?, ?, ?)",
                   stints)
    tx.executemany("INSERT INTO mt_exemptions (member_id, start_on, end_on) VALUES (?, ?, ?)", exemptions)
    tx.executemany("INSERT INTO mt_away (member_id, start_on, end_on) VALUES (?, ?, ?)", away)
    tx.executemany("INSERT INTO mt_members (member_id, admitted_on) VALUES (?, ?) ON CONFLICT (member_id) "
                   "DO UPDATE SET admitted_on = excluded.admitted_on", admitted)


class SqlRoster:
    """The roster as the read model knows it."""

    def __init__(self, db: ReadModelDB):
        self.db = db

    def unit(self, org_unit_id: str) -> r.Unit | None:
        with self.db.transaction() as tx:
            return _units(tx, [org_unit_id]).get(org_unit_id)

    def merges(self) -> dict:
        with self.db.transaction() as tx:
            return _merges(tx)

    def facts(self, member_ids: Iterable[str]) -> dict[str, list[r.Fact]]:
        with self.db.transaction() as tx:
            return _facts(tx, member_ids)

    def candidates(self, cells: Iterable[str]) -> set[str]:
        cells = list(cells)
        rows = self.db.query(f"SELECT DISTINCT member_id FROM mt_stints WHERE org_unit_id IN "
                             f"({','.join('?' * len(cells))})", cells)
        return {row[0] for row in rows}

    def timeline(self, member_id: str) -> r.Timeline | None:
        facts = self.facts([member_id])[member_id]
        return r.timeline(member_id, facts, self.merges()) if facts else None

    def on(self, cell: str, day: dt.date) -> list[r.RosterEntry]:
        d = day.isoformat()
        rows = self.db.query(
            "SELECT s.member_id, s.temporary, "
            " EXISTS (SELECT 1 FROM mt_exemptions x WHERE x.member_id = s.member_id AND x.start_on <= ? "
            "         AND (x.end_on IS NULL OR x.end_on > ?)), "
            " EXISTS (SELECT 1 FROM mt_away a WHERE a.member_id = s.member_id AND a.start_on <= ? "
            "         AND (a.end_on IS NULL OR a.end_on > ?)) "
            "FROM mt_stints s WHERE s.org_unit_id = ? AND s.start_on <= ? AND (s.end_on IS NULL OR s.end_on > ?) "
            "ORDER BY s.member_id", (d, d, d, d, cell, d, d))
        return [r.RosterEntry(m, bool(t), bool(x), bool(a)) for m, t, x, a in rows]


class RosterOverlay:
    """The read model's roster plus the members lines of an import file seen so far (in order).

    Facts are keyed by event id: a line's event id is the id the members service gives the
    event it writes for it, so once that line is committed and projected it is not counted twice.
    """

    LINE_SEQ = 10 ** 15  # after everything already stored, in file order

    def __init__(self, base: SqlRoster):
        self.base = base
        self.extra: dict[str, list[r.Fact]] = {}
        self.units: dict[str, r.Unit] = {}
        self._n = 0
        self._timelines: dict[str, r.Timeline] = {}
        self._merges: dict | None = None
        self._by_cell: dict[str, set[str]] = {}  # cell -> members whose overlay facts name it

    def observe(self, line: dict) -> None:
        self._n += 1
        t, data = line["type"], line["data"]
        try:
            if t in r.UNIT_TYPES:
                uid = data["org_unit_id"]
                if uid not in self.units and (known := self.base.unit(uid)) is not None:
                    self.units[uid] = known
                r.apply_unit_event(self.units, t, line["occurred_on"], data)
                self._merges, self._timelines = None, {}
            elif t == "discipline.applied" and data.get("subject_kind") == "member" and data.get("form") == "expulsion":
                # the members service answers an expulsion with member.expelled (a reaction, so no line
                # of the file carries it); a later meeting line must already see the member gone
                f = r.fact_from(f"expulsion:{data['case_id']}", self.LINE_SEQ + self._n, "member.expelled",
                                line["occurred_on"], {"member_id": data["subject_id"]})
                self.extra.setdefault(f.member_id, []).append(f)
                self._timelines.pop(f.member_id, None)
            elif (f := r.fact_from(line_command_id(line), self.LINE_SEQ + self._n, t, line["occurred_on"], data)):
                self.extra.setdefault(f.member_id, []).append(f)
                for c in (f.data.get("org_unit_id"), f.data.get("to_org_unit_id")):
                    if c:
                        self._by_cell.setdefault(c, set()).add(f.member_id)
                self._timelines.pop(f.member_id, None)
        except (KeyError, ValueError, TypeError):
            pass  # a malformed line is refused by its owner; it changes no roster

    def unit(self, org_unit_id: str) -> r.Unit | None:
        return self.units.get(org_unit_id) or self.base.unit(org_unit_id)

    def merges(self) -> dict:
        if self._merges is None:
            self._merges = {**self.base.merges(), **r.merges_of(self.units.values())}
        return self._merges

    def _timeline_of(self, member_ids: Iterable[str]) -> dict[str, r.Timeline]:
        missing = [m for m in member_ids if m not in self._timelines]
        if missing:
            merges = self.merges()
            stored = self.base.facts(missing)
            for m in missing:
                seen = {f.event_id for f in stored.get(m, [])}
                facts = stored.get(m, []) + [f for f in self.extra.get(m, []) if f.event_id not in seen]
                self._timelines[m] = r.timeline(m, facts, merges)
        return {m: self._timelines[m] for m in member_ids}

    def timeline(self, member_id: str) -> r.Timeline | None:
        t = self._timeline_of([member_id])[member_id]
        return t if t.stints else None

    def on(self, cell: str, day: dt.date) -> list[r.RosterEntry]:
        if not self.extra and not self.units:
            return self.base.on(cell, day)
        merges = self.merges()
        cells = {cell} | {c for c in merges if r.resolve(c, dt.date.max, merges) == cell}
        candidates = self.base.candidates(cells).union(*(self._by_cell.get(c, ()) for c in cells))
        return r.roster_on(self._timeline_of(sorted(candidates)).values(), cell, day)
