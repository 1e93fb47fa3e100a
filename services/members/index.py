"""The members service's small read models, for checks that span aggregates and for queries.

* ``MembersIndex`` — of the service's own events: the tree's history (as-of queries), which units
  are active under which parent, which members are in which unit, and open time limits.
* ``DisciplineIndex`` — of the discipline service's events: cases per member and year (to cap the
  yearly rating) and open cases (to refuse a resignation).

On the import path the buffered store is the truth: ``pending_events`` lets a check see what
earlier lines of the same file decided, and ``DisciplineOverlay`` sees discipline lines of the
file (via ``run_import``'s ``observe``) before they are committed by the discipline service.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import weakref
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from shared.events import Envelope
from shared.projection import Projection
from shared.readmodel import ReadModelDB, Tx
from shared.rules import rules_on

from shared.dates import add_months
from shared.dates import add_working_days as _add_working_days


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``shared.dates.add_working_days``, remembered: a province's admissions share a few dates
    (each would count ~45 days one by one)."""
    return _working_days_after(day, n, os.environ.get("DANGVIEN_HOLIDAYS"))


@lru_cache(maxsize=4096)
def _working_days_after(day: dt.date, n: int, holidays: str | None) -> dt.date:
    return _add_working_days(day, n)  # the holiday file is read once per name (shared.holidays)

LEAVING = ("member.removed", "member.resigned", "member.expelled", "member.died", "member.transferred_out")


def pending_events(store) -> list[Envelope]:
    """Events appended to a BufferedStore and not yet committed, in order (empty for a real store)."""
    pending = getattr(store, "pending_events", None)
    return pending() if pending else []


class MembersIndexProjection(Projection):
    name = "members_index"
    sources = ("members",)
    #: 2: each member's latest rating date (``mb_rated``), which an exit is not dated before
    version = 2

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS mb_unit_events (position BIGINT PRIMARY KEY, org_unit_id TEXT NOT NULL,
            occurred_on TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS mb_units (org_unit_id TEXT PRIMARY KEY, parent_id TEXT, kind TEXT,
            active INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS mb_members (member_id TEXT PRIMARY KEY, org_unit_id TEXT, active INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS mb_rated (member_id TEXT PRIMARY KEY, rated_on TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS mb_deadlines (item TEXT PRIMARY KEY, kind TEXT NOT NULL, subject_id TEXT NOT NULL,
            org_unit_id TEXT, due_on TEXT NOT NULL, closed INTEGER NOT NULL)
        """

    #: within a batch (``prepare`` … ``finish``): its statements in order, written at its end with
    #: one ``executemany`` per run of the same statement (nothing reads these tables meanwhile)
    _pending: list[tuple[str, tuple]] | None = None

    def prepare(self, tx: Tx, source: str, events: list[Envelope]) -> None:
        self._pending = []

    def finish(self, tx: Tx, ok: bool = True) -> None:
        pending, self._pending = self._pending, None
        if ok and pending:
            for sql, run in groupby(pending, key=itemgetter(0)):
                tx.executemany(sql, [params for _, params in run])

    def apply(self, tx: Tx, e: Envelope) -> None:
        out = self._pending if self._pending is not None else []
        d, t = e.data, e.type
        if t.startswith("org_unit."):
            out.append(("INSERT INTO mb_unit_events (position, org_unit_id, occurred_on, type, data) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (position) DO NOTHING",
                        (e.position, d["org_unit_id"], e.occurred_on.isoformat(), t, json.dumps(d, ensure_ascii=False))))
        out.extend(unit_and_roster_changes(e))
        for item, change in deadline_changes(e):
            if change is None:
                out.append(("UPDATE mb_deadlines SET closed = 1 WHERE item = ?", (item,)))
            elif change == "close_subject":
                out.append(("UPDATE mb_deadlines SET closed = 1 WHERE subject_id = ?", (item,)))
            else:
                kind, subject, unit, due = change
                out.append(("INSERT INTO mb_deadlines (item, kind, subject_id, org_unit_id, due_on, closed) "
                            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (item) DO UPDATE SET due_on = excluded.due_on, "
                            "closed = 0", (item, kind, subject, unit, due.isoformat())))
        if self._pending is None:  # outside a runner's batch: at once
            for sql, params in out:
                tx.execute(sql, params)


def unit_and_roster_changes(e: Envelope) -> list[tuple[str, tuple]]:
    d, t = e.data, e.type
    if t == "org_unit.created":
        return [("INSERT INTO mb_units (org_unit_id, parent_id, kind, active) VALUES (?, ?, ?, 1) "
                 "ON CONFLICT (org_unit_id) DO NOTHING", (d["org_unit_id"], d.get("parent_id"), d["kind"]))]
    if t == "org_unit.moved":
        return [("UPDATE mb_units SET parent_id = ? WHERE org_unit_id = ?", (d["parent_id"], d["org_unit_id"]))]
    if t in ("org_unit.merged", "org_unit.dissolved"):
        return [("UPDATE mb_units SET active = 0 WHERE org_unit_id = ?", (d["org_unit_id"],))]
    if t in ("member.admitted", "member.transferred_in"):
        return [("INSERT INTO mb_members (member_id, org_unit_id, active) VALUES (?, ?, 1) ON CONFLICT (member_id) "
                 "DO UPDATE SET org_unit_id = excluded.org_unit_id, active = 1", (d["member_id"], d["org_unit_id"]))]
    if t == "member.transferred" and d["kind"] == "official":
        return [("UPDATE mb_members SET org_unit_id = ? WHERE member_id = ?", (d["to_org_unit_id"], d["member_id"]))]
    if t in LEAVING:
        return [("UPDATE mb_members SET active = 0 WHERE member_id = ?", (d["member_id"],))]
    if t == "member.rated":
        return [("INSERT INTO mb_rated (member_id, rated_on) VALUES (?, ?) ON CONFLICT (member_id) DO UPDATE SET "
                 "rated_on = excluded.rated_on WHERE excluded.rated_on > mb_rated.rated_on", (d["member_id"], e.occurred_on.isoformat()))]
    return []


def deadline_changes(e: Envelope) -> list[tuple[str, object]]:
    """Time limits of DOMAIN.md §3 that an event opens (item → (kind, subject, unit, due)) or closes."""
    d, t, on = e.data, e.type, e.occurred_on
    r = rules_on(on)
    m = d.get("member_id")
    if t == "candidate.cell_resolution_passed":
        return [(f"decision:{d['candidate_id']}", ("admission_decision", d["candidate_id"], e.org_unit_id,
                                                   add_working_days(on, r.admission_decision_working_days)))]
    if t == "candidate.admission_decided":
        return [(f"decision:{d['candidate_id']}", None),
                (f"ceremony:{d['candidate_id']}", ("admission_ceremony", d["member_id"], e.org_unit_id,
                                                   add_working_days(on, r.admission_ceremony_working_days)))]
    if t == "member.admitted":
        end = add_months(on, r.probation_months)
        out = [(f"recognition:{m}", ("recognition", m, d["org_unit_id"],
                                     add_working_days(end, r.recognition_working_days))),
               (f"class:{m}", ("new_member_class", m, d["org_unit_id"],
                               add_months(on, r.new_member_class_within_months)))]
        if d.get("candidate_id"):
            out.append((f"ceremony:{d['candidate_id']}", None))
        return out
    if t == "member.recognized_official":
        return [(f"recognition:{m}", None)]
    if t == "member.new_member_class_completed":
        return [(f"class:{m}", None)]
    if (t == "member.transferred" and d["kind"] == "official" and d.get("purpose") != "merge") \
            or t == "member.transferred_in":
        unit = d.get("to_org_unit_id") or d.get("org_unit_id")
        return [(f"papers:{m}", ("transfer_papers", m, unit, add_working_days(on, r.transfer_papers_working_days)))]
    if t == "member.transfer_papers_presented":
        return [(f"papers:{m}", None)]
    if t == "member.exempted":
        return [(f"exemption:{m}", ("exemption_end", m, e.org_unit_id, dt.date.fromisoformat(d["until"])))] \
            if d.get("until") else [(f"exemption:{m}", None)]
    if t == "member.exemption_ended":
        return [(f"exemption:{m}", None)]
    if t == "member.working_away_started" and d.get("expected_return"):
        return [(f"away:{m}", ("working_away_return", m, e.org_unit_id, dt.date.fromisoformat(d["expected_return"])))]
    if t == "member.working_away_ended":
        return [(f"away:{m}", None)]
    if t == "member.remediation_planned":
        return [(f"remediation:{m}:{d['year']}", ("remediation", m, e.org_unit_id, dt.date.fromisoformat(d["due_on"])))]
    if t == "member.remediation_completed":
        return [(f"remediation:{m}:{d['year']}", None)]
    if t == "member.loan_granted" and d.get("due_on"):
        return [(f"loan:{m}:{d['loan_id']}", ("loan_repayment", m, e.org_unit_id, dt.date.fromisoformat(d["due_on"])))]
    if t == "member.loan_repaid":
        return [(f"loan:{m}:{d['loan_id']}", None)]
    if t in LEAVING:
        return [(m, "close_subject")]
    return []


class MembersIndex:
    """Checks and queries over the index; ``refresh`` catches the projection up with the store."""

    def __init__(self, db: ReadModelDB, refresh=lambda: 0):
        self.db, self.refresh = db, refresh

    def roster(self, store, org_unit_id: str) -> list[str]:
        """Members whose official activity is in the unit now (committed + pending import lines)."""
        self.refresh()
        units = {r[0]: r[1] for r in self.db.query(
            "SELECT member_id, org_unit_id FROM mb_members WHERE org_unit_id = ? AND active = 1", (org_unit_id,))}
        for e in pending_events(store):
            d = e.data
            if e.type in ("member.admitted", "member.transferred_in"):
                units[d["member_id"]] = d["org_unit_id"]
            elif e.type == "member.transferred" and d["kind"] == "official":
                units[d["member_id"]] = d["to_org_unit_id"]
            elif e.type in LEAVING:
                units.pop(d["member_id"], None)
        return sorted(m for m, u in units.items() if u == org_unit_id)

    def rated_on(self, store, member_id: str) -> dt.date | None:
        """The latest business date of the member's ratings (committed + pending import lines): they
        live in the streams of the grassroots organisation and year, not on the member's own."""
        self.refresh()
        days = [dt.date.fromisoformat(r[0]) for r in self.db.query(
            "SELECT rated_on FROM mb_rated WHERE member_id = ?", (member_id,))]
        pending = self._pending_ratings(store).get(member_id)
        return max(days + [pending] if pending else days, default=None)

    #: (the buffer (weakly), how many of its events were read, member → latest pending rating date): an import's
    #: buffer only grows, so each exit line reads the lines added since the last one, not all of them
    _rated_seen: tuple = (None, 0, {})

    def _pending_ratings(self, store) -> dict[str, dt.date]:
        pending = pending_events(store)
        if not pending:
            return {}
        buffer, seen, latest = self._rated_seen
        if buffer is None or buffer() is not store or len(pending) < seen:
            seen, latest = 0, {}
        for e in pending[seen:]:
            if e.type == "member.rated":
                member_id = e.data["member_id"]
                latest[member_id] = max(latest.get(member_id, e.occurred_on), e.occurred_on)
        self._rated_seen = (weakref.ref(store), len(pending), latest)  # not keeping the buffer alive
        return latest

    def children(self, store, org_unit_id: str) -> list[str]:
        """Active units directly under the unit now (committed + pending import lines)."""
        self.refresh()
        parent = {r[0]: r[1] for r in self.db.query(
            "SELECT org_unit_id, parent_id FROM mb_units WHERE parent_id = ? AND active = 1", (org_unit_id,))}
        for e in pending_events(store):
            d = e.data
            if e.type in ("org_unit.created", "org_unit.moved"):
                parent[d["org_unit_id"]] = d.get("parent_id")
            elif e.type in ("org_unit.merged", "org_unit.dissolved"):
                parent.pop(d["org_unit_id"], None)
        return sorted(u for u, p in parent.items() if p == org_unit_id)

    def unit_history(self) -> list[tuple[str, dt.date, str, dict]]:
        self.refresh()
        return [(r[0], dt.date.fromisoformat(r[1]), r[2], json.loads(r[3])) for r in self.db.query(
            "SELECT org_unit_id, occurred_on, type, data FROM mb_unit_events ORDER BY position")]

    def placed_members(self) -> list[tuple[str, str, bool]]:
        """Every member the index knows, with the unit they are (or last were) in and whether active."""
        self.refresh()
        return [(r[0], r[1], bool(r[2])) for r in self.db.query(
            "SELECT member_id, org_unit_id, active FROM mb_members ORDER BY member_id")]

    def unit_parents(self) -> dict[str, str | None]:
        """Every unit ever created → its parent now (closed units keep their last parent)."""
        self.refresh()
        return {r[0]: r[1] for r in self.db.query("SELECT org_unit_id, parent_id FROM mb_units")}

    def members_of(self, org_unit_id: str) -> list[str]:
        self.refresh()
        return [r[0] for r in self.db.query(
            "SELECT member_id FROM mb_members WHERE org_unit_id = ? AND active = 1 ORDER BY member_id", (org_unit_id,))]

    def overdue(self, on: dt.date) -> list[dict]:
        self.refresh()
        rows = self.db.query("SELECT item, kind, subject_id, org_unit_id, due_on FROM mb_deadlines "
                             "WHERE closed = 0 AND due_on < ? ORDER BY due_on, item", (on.isoformat(),))
        return [{"item": r[0], "kind": r[1], "subject_id": r[2], "org_unit_id": r[3], "due_on": r[4],
                 "days_overdue": (on - dt.date.fromisoformat(r[4])).days} for r in rows]


# --- discipline -----------------------------------------------------------------------------------

#: types that close a case without a decision [I]: the discipline engineer may add more; unknown
#: types are ignored
CASE_CLOSING = ("discipline.applied", "discipline.case_closed", "discipline.case_dismissed")


def standing_violation_changes(t: str, d: dict) -> list[tuple[str, str | None, int | None]]:
    """A member's standing violation (DOMAIN.md §3: resignation only without one), from the
    discipline catalog: an inspection of the member on signs of violation (open from its opening),
    an inspection concluded with violations found; a discipline decision on the member disposes of
    them (discipline first, then the resignation may be considered). Returns (case, member, open)
    rows to upsert; member None = every open case of ``d['subject_id']``."""
    member = d.get("subject_kind", "member") == "member" and d.get("subject_id")
    if t == "inspection.opened" and member:
        return [(d["inspection_id"], d["subject_id"], 1 if d.get("kind") == "signs_of_violation" else 0)]
    if t == "inspection.concluded" and d.get("inspection_id"):
        return [(d["inspection_id"], None, 1 if d.get("violations") else 0)]
    if t == "discipline.case_opened" and member:  # older name kept for histories that used it
        return [(d["case_id"], d["subject_id"], 1)]
    if t == "discipline.applied" and member:
        return [("*", d["subject_id"], 0)]
    if t in CASE_CLOSING and d.get("case_id"):
        return [(d["case_id"], None, 0)]
    return []


class DisciplineIndexProjection(Projection):
    name = "members_discipline"
    sources = ("discipline",)

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS mb_discipline (case_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
            year INTEGER NOT NULL, form TEXT NOT NULL, annulled INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS mb_open_cases (case_id TEXT PRIMARY KEY, member_id TEXT NOT NULL,
            open INTEGER NOT NULL)
        """

    def apply(self, tx: Tx, e: Envelope) -> None:
        for sql, params in discipline_changes(e):
            tx.execute(sql, params)


def discipline_changes(e: Envelope) -> list[tuple[str, tuple]]:
    d, t = e.data, e.type
    member_subject = d.get("subject_kind", "member") == "member" and d.get("subject_id")
    out = []
    for case, member, is_open in standing_violation_changes(t, d):
        if case == "*":
            out.append(("UPDATE mb_open_cases SET open = 0 WHERE member_id = ?", (member,)))
        elif member is None:
            out.append(("UPDATE mb_open_cases SET open = ? WHERE case_id = ?", (is_open, case)))
        else:
            out.append(("INSERT INTO mb_open_cases (case_id, member_id, open) VALUES (?, ?, ?) "
                        "ON CONFLICT (case_id) DO UPDATE SET open = excluded.open", (case, member, is_open)))
    if t == "discipline.applied" and member_subject:
        out.append(("INSERT INTO mb_discipline (case_id, member_id, year, form, annulled) VALUES (?, ?, ?, ?, 0) "
                    "ON CONFLICT (case_id) DO NOTHING", (d["case_id"], d["subject_id"], e.occurred_on.year, d["form"])))
    elif t == "discipline.changed":
        out.append(("UPDATE mb_discipline SET form = ? WHERE case_id = ?", (d["form"], d["case_id"])))
    elif t == "discipline.annulled":
        out.append(("UPDATE mb_discipline SET annulled = 1 WHERE case_id = ?", (d["case_id"],)))
    return out


class DisciplineOverlay:
    """Discipline lines seen earlier in an import file (not yet committed by their service)."""

    def __init__(self):
        self.applied: dict[str, tuple[str, int]] = {}  # case → (member, year)
        self.forms: dict[str, str] = {}  # case → its form (as applied, or as changed since)
        self.annulled: set[str] = set()
        self.opened: dict[str, str] = {}
        self.closed: set[str] = set()
        self.members: dict[str, str] = {}  # inspection → member
        self.cleared: set[str] = set()  # members decided on in the file (their earlier cases are disposed of)

    def observe(self, line: dict) -> None:
        d, t = line.get("data", {}), line.get("type")
        member = d.get("subject_kind", "member") == "member" and d.get("subject_id")
        if t == "discipline.applied" and member:
            self.applied[d["case_id"]] = (d["subject_id"], int(str(line["occurred_on"])[:4]))
        if t in ("discipline.applied", "discipline.changed") and d.get("case_id") and d.get("form"):
            self.forms[d["case_id"]] = d["form"]
        for case, who, is_open in standing_violation_changes(t, d):
            if case == "*":
                for c in [c for c, m in self.opened.items() if m == who]:
                    self.closed.add(c)
                self.cleared.add(who)
            elif who is None:
                if is_open and case in self.members:
                    self.opened[case] = self.members[case]
                    self.closed.discard(case)
                elif not is_open:
                    self.closed.add(case)
            else:
                self.members[case] = who
                if is_open:
                    self.opened[case] = who
                    self.closed.discard(case)
        if t == "discipline.annulled":
            self.annulled.add(d.get("case_id"))


class DisciplineIndex:
    def __init__(self, db: ReadModelDB, overlay: DisciplineOverlay | None = None):
        self.db, self.overlay = db, overlay

    def with_overlay(self, overlay: DisciplineOverlay) -> "DisciplineIndex":
        return DisciplineIndex(self.db, overlay)

    def cases_in_year(self, member_id: str, year: int) -> list[str]:
        """Non-annulled discipline decisions against the member dated in the year."""
        cases = {r[0] for r in self.db.query(
            "SELECT case_id FROM mb_discipline WHERE member_id = ? AND year = ? AND annulled = 0", (member_id, year))}
        if self.overlay:
            cases |= {c for c, (m, y) in self.overlay.applied.items() if m == member_id and y == year}
            cases -= self.overlay.annulled
        return sorted(cases)

    def decision(self, case_id: str) -> tuple[str, str] | None:
        """(member, form) of a decision in force against a member, None when there is none."""
        rows = self.db.query("SELECT member_id, form, annulled FROM mb_discipline WHERE case_id = ?", (case_id,))
        found = (rows[0][0], rows[0][1]) if rows and not rows[0][2] else None
        if self.overlay:
            if case_id in self.overlay.applied:
                found = (self.overlay.applied[case_id][0], self.overlay.forms.get(case_id, ""))
            elif found and case_id in self.overlay.forms:
                found = (found[0], self.overlay.forms[case_id])
            if case_id in self.overlay.annulled:
                found = None
        return found

    def open_cases(self, member_id: str) -> list[str]:
        cases = {r[0] for r in self.db.query(
            "SELECT case_id FROM mb_open_cases WHERE member_id = ? AND open = 1", (member_id,))}
        if self.overlay:
            if member_id in self.overlay.cleared:
                cases = set()
            cases |= {c for c, m in self.overlay.opened.items() if m == member_id}
            cases -= self.overlay.closed
        return sorted(cases)
