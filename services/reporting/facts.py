"""The facts projection: every source's events → the bitemporal fact tables of ``schema``.

One projection over all four sources (members, meetings, discipline, reporting), so a replay
and the live doorbell write exactly the same rows (the checksum compares them). Types this
module does not know are kept only as references to the member they name (for the audit trail)
— other services add types over time, and an unknown type must never stop the projection.
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
from fractions import Fraction
from types import SimpleNamespace
from typing import Callable

from shared.events import Envelope, format_recorded_at
from shared.partitioning import Partition, direct_of_new_unit
from shared.projection import Projection, Route
from shared.rules import rules_on
from shared.readmodel import Tx, lock_names

from services.reporting import daycounts, schema, tree, warning_spans
from services.reporting.case_forms import with_form
from services.reporting.pending import Pending

#: how each membership-ending event closes a stint (the "reason" column of Biểu 1)
EXITS = {"member.transferred_out": "transferred_out", "member.died": "died", "member.removed": "removed",
         "member.resigned": "resigned", "member.expelled": "expelled"}
#: member facts a late-recorded earlier transfer does not move (``FactsProjection._refile``): they
#: carry their own unit. An exit (a removal …) is moved: it belongs to the unit the member stood in
#: on its date, and the stints it closes are threaded again with it (``threaded``)
REFILED_NOT = ("member.admitted", "member.transferred_in", "member.transferred")
#: member facts that open or close a membership stint (a transfer only when official)
SHAPING = ("member.admitted", "member.transferred_in", "member.transferred", *EXITS)
#: non-personal payload fields a member fact keeps for breakdowns (names, birth dates stay out)
DETAIL_FIELDS = ("ground", "year", "rating", "kind", "until", "case_id", "from_org_unit_id", "to_org_unit_id",
                 "points", "expected_return", "due_on", "purpose",
                 "decided_on")

#: the class of the per-subject advisory locks partitions take on PostgreSQL (``prepare``)
SUBJECT_LOCK = 0x64764453


def shapes_stints(type_: str, kind: str | None) -> bool:
    """Does a member fact open or close a stint? (A temporary transfer leaves the home unit's.)"""
    return type_ in SHAPING and (type_ != "member.transferred" or (kind or "official") == "official")


def moves(has_stints: bool, open_stint: bool) -> bool:
    """An official transfer moves the member only while on the rolls: a member with stints and none
    open has left (removed, resigned …) before it — the members service refuses such a transfer;
    one dated after an exit recorded later is moot — so it opens no stint. A member's first fact
    may be a transfer (history from before the system): it opens one."""
    return open_stint or not has_stints


def threaded(facts: list[tuple]) -> list[list]:
    """A member's stints from the facts that shape them, applied in date order whatever the order
    they were recorded in (those of one day in recording order), as ``_open`` and ``_close`` apply
    them one by one: ``facts`` (type, occurred_on, recorded_at, event_id, unit, from_unit) — the
    unit entered (the transfer's target), the unit left for a transfer; returns, in seq order,
    [org_unit_id, from_on, from_kind, from_unit, from_rec, to_on, to_kind, to_unit, to_rec]."""
    out: list[list] = []

    def close(on: str, rec: str, kind: str, to_unit: str | None = None) -> None:
        for stint in reversed(out):  # the latest open stint
            if stint[5] is None:
                stint[5:9] = [on, kind, to_unit, rec]
                return

    for type_, on, rec, _, unit, from_unit in sorted(facts, key=lambda f: (f[1], f[2], f[3])):
        if type_ in ("member.admitted", "member.transferred_in"):
            close(on, rec, "moved", unit)  # a re-entry while still open: keep one stint
            out.append([unit, on, type_.split(".")[1], None, rec, None, None, None, None])
        elif type_ == "member.transferred":
            if moves(bool(out), any(s[5] is None for s in out)):
                close(on, rec, "moved", unit)
                out.append([unit, on, "moved", from_unit, rec, None, None, None, None])
        elif type_ in EXITS:
            close(on, rec, EXITS[type_])
    return out


#: the facts that set what a member's record says of the demobilised category (DOMAIN.md §7.3, §7.6)
RECORD_FACTS = ("member.admitted", "member.transferred_in", "member.record_updated")


def fact_detail(type_: str, d: dict) -> dict:
    """What a member fact keeps of its payload (``member_facts.detail``), live and in a replay: the
    ``DETAIL_FIELDS`` it has, whether a contact is known for working away, and the demobilised
    category the record says from then on (an admission or entry always says it, a record update
    when it corrects it), so a report as known at an earlier time reads the record as it stood then
    (``known_records``)."""
    detail = {k: d[k] for k in DETAIL_FIELDS if k in d and d[k] is not None}
    if type_ == "member.working_away_started":
        detail["has_contact"] = bool(d.get("contact"))  # the contact itself is personal: only whether one is known
    if type_ in ("member.admitted", "member.transferred_in"):
        detail["demobilised"] = d.get("demobilised") or "none"
    elif type_ == "member.record_updated" and d.get("demobilised"):
        detail["demobilised"] = d["demobilised"]
    return detail


def recorded(env: Envelope) -> str:
    return format_recorded_at(env.recorded_at)


def birth_year(d: dict) -> int | None:
    """The year of birth a payload gives: ``birth_year``, or the year of a clear (older) birth date."""
    if isinstance(d.get("birth_year"), int):
        return d["birth_year"]
    clear = iso_date(d.get("birth_date"))
    return int(clear[:4]) if clear else None


def iso_date(value) -> str | None:
    """A payload date if it is one (personal fields may arrive sealed: then unknown)."""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except (TypeError, ValueError):
        return None


class FactsProjection(Projection):
    sources = ("members", "discipline", "meetings", "reporting")
    types = None  # all: unknown types still feed the audit trail
    rebuilt_by = "dangvien replay"

    def __init__(self, prefix: str = "g1_", partition: Partition = Partition(),
                 members_head: Callable[[], int] | None = None):
        self.prefix, self.partition = prefix, partition
        self.name = checkpoint_name(prefix, partition)
        self.streams_table = f"{prefix}stream_heads"
        self.members_head = members_head
        self._routes: dict[str, tuple[str | None, str | None]] = {}  # unit → (parent, direct); never change
        self.day_counts = daycounts.DayCounts(prefix, partition)  # pre-aggregated counts, same transaction
        self.day_counts.before_read = self._flush
        self.warning_spans = warning_spans.WarningSpans(prefix, partition)  # the early-warning lists, same transaction
        #: in a batch: its writes to the member tables, held and sent at its end (``pending``)
        self._pending: Pending | None = None
        #: in a batch: member → [last seq, its unit, open seq, its unit] (None: no such stint),
        #: read in one statement for the batch's members and kept up to date by its writes
        self._stints: dict[str, list] | None = None
        #: the latest date of a move or merge applied (read once), and whether a tree change dated
        #: before it came since: then the structure is built again in date order (``settle_tree``)
        self._tree_latest: str | None = None
        self._tree_stale = False
        #: in a batch: (cell, kind, year) → [(held on, meeting, absent members)] of the meetings
        #: held that year, sorted, for the batch's meetings; read in one statement and kept up to
        #: date by its inserts (``_absent_in_a_row``), with the meetings already stored (``_held_ids``)
        self._held: dict[tuple, list] | None = None
        self._held_ids: set[str] = set()
        #: in a batch: the latest date of the facts of each member it transfers (``_refile``)
        self._latest_fact: dict[str, str] | None = None
        #: in a batch: member → [case, decided on, unit] of the member's decisions, for the members
        #: whose stints it shapes (``_refile_cases``), read in one statement after the subject locks
        self._cases: dict[str, list[list]] | None = None

    def ddl(self) -> str:
        return schema.ddl(self.prefix) + ";" + daycounts.ddl(self.prefix) + ";" + warning_spans.ddl(self.prefix)

    def t(self, table: str) -> str:
        return f"{self.prefix}{table}"

    # -- partitions -------------------------------------------------------------------------
    def route(self, tx: Tx, source: str, e: Envelope) -> Route:
        """Every partition notes where a new unit belongs; then the event goes to the partition of
        its unit's direct unit. The org tree and province-level facts go to partition 0."""
        if e.type == "org_unit.created":
            self._note_route(tx, e.data["org_unit_id"], e.data.get("parent_id"))
        p = self.partition
        if p.whole:
            return Route.MINE
        if e.type.startswith("org_unit."):
            return Route.MINE if p.index == 0 else Route.OTHER
        unit = e.org_unit_id or e.data.get("org_unit_id")
        if unit is None:
            direct = None
        else:
            known = self._route_of(tx, unit)
            if known is None and source != "members" and not self._members_read(tx):
                return Route.WAIT  # its unit may be created further on in the members store
            direct = known[1] if known is not None else unit
        return Route.MINE if p.owns(direct) else Route.OTHER

    def _route_of(self, tx: Tx, unit: str) -> tuple[str | None, str | None] | None:
        if unit not in self._routes:
            row = tx.execute(f"SELECT parent_id, direct_id FROM {self.t('routes')} WHERE org_unit_id = ?",
                             (unit,)).fetchone()
            if row is None:
                return None
            self._routes[unit] = (row[0], row[1])
        return self._routes[unit]

    def _note_route(self, tx: Tx, unit: str, parent: str | None) -> None:
        direct = direct_of_new_unit(unit, parent, self._route_of(tx, parent) if parent else None)
        tx.execute(f"INSERT INTO {self.t('routes')} (org_unit_id, parent_id, direct_id) VALUES (?, ?, ?) "
                   "ON CONFLICT (org_unit_id) DO NOTHING", (unit, parent, direct))
        self._routes.setdefault(unit, (parent, direct))

    def prepare(self, tx: Tx, source: str, events: list[Envelope]) -> None:
        """Partitions sharing a PostgreSQL read model: lock each member (or unit) whose discipline
        decisions the batch changes (a discipline batch's subjects; a members batch's members whose
        stints it shapes, which may refile their decisions), in one order, for the transaction. A member's decisions
        live in several case streams, which different partitions may apply at once (a member
        who moved between them); each partition counts the member's decisions from what it
        reads (``daycounts``), so without the lock both would read "none before" and the member
        would count in each unit's day instead of once. Members' own streams are kept in order
        by the stream guard, SQLite serialises writers, one process needs no lock."""
        self._lock_subjects(tx, source, events)
        self._pending = Pending()
        # the stints of every member the batch's member events name, read in one statement. Only
        # a member's own stream changes its stints, and the runner read the streams' heads before
        # this: an event of a member applied here finds no other partition's change since
        members = sorted({e.data["member_id"] for e in events
                          if e.type.startswith("member.") and e.data.get("member_id")})
        self._stints = self._read_stints(tx, members)
        self._latest_fact = self._read_latest_facts(tx, events)
        self._cases = self._read_cases(tx, events)
        self._held = self._read_held(tx, events)
        # after the locks: what they count is read under them. Partitioned, a subject counts from
        # when this runner first applies an event naming it (not ahead for all events: another
        # partition may change a subject of an event it applies meanwhile, and that change is its
        # to count); a member's own events may be read ahead, for the reason above
        self.day_counts.begin(tx, events if self.partition.whole else
                              [e for e in events if e.type.startswith("member.")], ahead=not self.partition.whole)
        # which of the batch's member events are already facts: one statement, not one per event
        ids = sorted({e.event_id for e in events if e.type.startswith("member.")})
        self._facts_seen: set[str] | None = {r[0] for r in tx.rows_in(
            f"SELECT event_id FROM {self.t('member_facts')} WHERE event_id {{keys}}", ids)}

    def finish(self, tx: Tx, ok: bool = True) -> None:
        self._facts_seen = None
        try:
            if ok:
                self.settle_tree(tx)
                self._flush(tx)  # what the counts and the spans read
                self.day_counts.end(tx)
                self.warning_spans.end(tx)
            else:
                self._tree_latest, self._tree_stale = None, False  # read again from what was kept
                self.day_counts.abandon()
                self.warning_spans.abandon()
        finally:
            self._pending, self._stints, self._held, self._held_ids = None, None, None, set()
            self._latest_fact, self._cases = None, None

    def _flush(self, tx: Tx) -> None:
        """Send the batch's held writes (before reading a table they change)."""
        if self._pending:
            self._pending.flush(tx)

    def _write(self, tx: Tx, table: str, sql: str, params: tuple, key) -> None:
        """A write whose result is not read, to ``table`` only: held to the batch's end if in one."""
        if self._pending is None:
            tx.execute(sql, params)
        else:
            self._pending.add(table, sql, params, key)

    def _read_stints(self, tx: Tx, members: list[str]) -> dict[str, list]:
        out: dict[str, list] = {m: [None, None, None, None, None, None] for m in members}
        for member, seq, unit, from_on, to_on in tx.rows_in(
                f"SELECT member_id, seq, org_unit_id, from_on, to_on FROM {self.t('stints')} WHERE member_id {{keys}}",
                members):
            state = out[member]
            if state[0] is None or seq > state[0]:
                state[0], state[1], state[4], state[5] = seq, unit, from_on, to_on
            if to_on is None and (state[2] is None or seq > state[2]):
                state[2], state[3] = seq, unit
        return out

    def _read_latest_facts(self, tx: Tx, events: list[Envelope]) -> dict[str, str]:
        """member → the latest date of the member's facts, for the members the batch transfers
        (``_refile`` reads their facts from a transfer's date on only if there are any), read in
        one statement and kept up to date by the batch's own facts (``_member``)."""
        members = sorted({e.data["member_id"] for e in events if e.type == "member.transferred"
                          and e.data.get("member_id")})
        out: dict[str, str] = dict.fromkeys(members, "")
        out.update((m, on or "") for m, on in tx.rows_in(
            f"SELECT member_id, MAX(occurred_on) FROM {self.t('member_facts')} WHERE member_id {{keys}} "
            "GROUP BY member_id", members))
        return out

    def _read_cases(self, tx: Tx, events: list[Envelope]) -> dict[str, list[list]]:
        """member → [case, decided on, unit] of each decision on the member, for the members whose
        stints the batch shapes (the only ones ``_refile_cases`` looks at), read in one statement.
        Read after ``_lock_subjects``: no other partition changes these members' decisions before
        the batch commits; within it only ``_refile_cases`` does, which keeps this copy up to date."""
        members = sorted({e.data["member_id"] for e in events if e.type in SHAPING and e.data.get("member_id")})
        out: dict[str, list[list]] = {m: [] for m in members}
        for member, case, on, unit in tx.rows_in(
                f"SELECT subject_id, case_id, decided_on, org_unit_id FROM {self.t('cases')} WHERE subject_id {{keys}} "
                "AND subject_kind = 'member'", members):
            out[member].append([case, on, unit])
        return out

    def _read_held(self, tx: Tx, events: list[Envelope]) -> dict[tuple, list] | None:
        """The meetings held in the years of the batch's meetings, of their cells and kinds (the
        earlier meetings ``_absent_in_a_row`` counts), and which of the batch's meetings are stored."""
        keys, ids = set(), set()
        for e in events:
            d = e.data if e.type == "meeting.held" else None
            if d and d.get("org_unit_id") and d.get("kind") and d.get("meeting_id"):
                keys.add((d["org_unit_id"], d["kind"], e.occurred_on.year))
                ids.add(d["meeting_id"])
        if not keys:
            return None
        held: dict[tuple, list] = {k: [] for k in keys}
        units = sorted({k[0] for k in keys})
        first, last = min(k[2] for k in keys), max(k[2] for k in keys)
        for unit, kind, on, meeting, names in tx.rows_in(
                f"SELECT org_unit_id, kind, held_on, meeting_id, absent FROM {self.t('meetings')} WHERE org_unit_id "
                "{keys} AND held_on >= ? AND held_on < ?", units, (f"{first:04d}-01-01", f"{last + 1:04d}-01-01")):
            rows = held.get((unit, kind, int(on[:4])))
            if rows is not None:
                rows.append((on, meeting, tuple(json.loads(names or "[]"))))
        for rows in held.values():
            rows.sort()
        self._held_ids.update(r[0] for r in tx.rows_in(
            f"SELECT meeting_id FROM {self.t('meetings')} WHERE meeting_id {{keys}}", sorted(ids)))
        return held

    def _stint_state(self, tx: Tx, member_id: str) -> list:
        """[last seq, its unit, open seq, its unit, the last's first day, the last's end day] of a
        member: kept for the batch's members, else read (after the held writes)."""
        if self._stints is not None and member_id in self._stints:
            return self._stints[member_id]
        self._flush(tx)
        return self._read_stints(tx, [member_id])[member_id]

    def _lock_subjects(self, tx: Tx, source: str, events: list[Envelope]) -> None:
        if not tx.pg or self.partition.whole or source not in ("discipline", "members"):
            return
        subjects, cases = set(), set()
        if source == "members":  # a fact shaping the stints may refile the member's decisions (``_refile``)
            subjects.update(f"member:{e.data['member_id']}" for e in events
                            if e.type in SHAPING and e.data.get("member_id"))
        for e in events if source == "discipline" else ():
            d = e.data
            if e.type == "discipline.applied" and d.get("subject_kind") and d.get("subject_id"):
                subjects.add(f"{d['subject_kind']}:{d['subject_id']}")
            elif e.type.startswith("discipline.") and d.get("case_id"):
                cases.add(d["case_id"])
        if cases:
            marks = ",".join("?" * len(cases))
            subjects.update(f"{kind}:{subject}" for kind, subject in tx.execute(
                f"SELECT subject_kind, subject_id FROM {self.t('cases')} WHERE case_id IN ({marks})",
                sorted(cases)).fetchall())
        lock_names(tx, SUBJECT_LOCK, subjects)  # one statement, not one per subject

    def _members_read(self, tx: Tx) -> bool:
        """Has this partition read the members store (where units are created) to its head?"""
        if self.members_head is None:
            return True
        seen = tx.scalar("SELECT position FROM projection_checkpoints WHERE projection = ? AND source = ?",
                         (self.name, "members"), default=0)
        return seen >= self.members_head()

    # ------------------------------------------------------------------------------------------
    def apply(self, tx: Tx, e: Envelope) -> None:
        family = e.type.split(".", 1)[0]
        handler = {"org_unit": self._tree_fact, "member": self._member, "discipline": self._discipline,
                   "meeting": self._meeting, "dues": self._dues, "target": self._target}.get(family)
        counted = self.day_counts.before(tx, e)
        self.warning_spans.note(e)
        if handler is None or not handler(tx, e):
            self._reference(tx, e)
        if counted:
            self.day_counts.after(tx, counted, recorded(e))

    def _reference(self, tx: Tx, e: Envelope) -> None:
        d = e.data
        member = d.get("member_id") or (d.get("subject_id") if d.get("subject_kind") == "member" else None)
        if member:
            self._write(tx, "member_refs", f"INSERT INTO {self.t('member_refs')} (member_id, event_id, source) "
                        "VALUES (?, ?, ?) ON CONFLICT (member_id, event_id) DO NOTHING",
                        (member, e.event_id, family_owner(e)), (member, e.event_id))

    # -- organisation tree ------------------------------------------------------------------
    def _tree_fact(self, tx: Tx, e: Envelope) -> bool:
        """A change of the tree, applied and kept in order with its recording time, so a report as
        known at a past time can draw the tree as it was known then (``known_tree``)."""
        kept = (f"INSERT INTO {self.t('tree_facts')} (seq, event_id, type, occurred_on, recorded_at, data) "
                f"SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM {self.t('tree_facts')} WHERE 1 = 1 "
                "ON CONFLICT (event_id) DO NOTHING",
                (e.event_id, e.type, e.occurred_on.isoformat(), recorded(e), json.dumps(e.data, sort_keys=True)))
        if e.type == "org_unit.created":
            # its row, its place in both closures and the fact kept: none reads what another
            # writes, so PostgreSQL takes them as one statement (a province's 1,000 units at once)
            tree.in_one(tx, [*self._created(e), kept])
            return True
        if not self._org_unit(tx, e):
            return False
        tx.execute(*kept)
        if e.type in tree.DATED:
            day = e.occurred_on.isoformat()
            if self._tree_latest is None:
                self._tree_latest = tx.scalar(
                    f"SELECT MAX(occurred_on) FROM {self.t('tree_facts')} WHERE type IN "
                    f"({','.join('?' * len(tree.DATED))}) AND event_id <> ?", (*tree.DATED, e.event_id)) or ""
            if day < self._tree_latest:
                # recorded after a change dated later (a district reporting a move late): the
                # intervals written in arrival order are wrong from this day on
                self._tree_stale = True
            self._tree_latest = max(self._tree_latest, day)
        return True

    def settle_tree(self, tx: Tx) -> None:
        """After tree changes that came out of date order: the structure built again from every
        kept change, moves and merges in date order (``tree.in_date_order``), as if they had come
        in that order. Once per batch (or replay), not per change."""
        if not self._tree_stale:
            return
        self._tree_stale = False
        facts = [(t, on, json.loads(data), rec) for t, on, data, rec in tx.execute(
            f"SELECT type, occurred_on, data, recorded_at FROM {self.t('tree_facts')} ORDER BY seq").fetchall()]
        tree.clear(tx, self.prefix)
        for type_, on, d, rec in tree.in_date_order(facts):
            if type_ == "org_unit.created":  # the row stays; the parent it was created under again
                tx.execute(f"UPDATE {self.t('units')} SET parent_id = ?, merged_into = NULL, merged_on = NULL "
                           "WHERE org_unit_id = ?", (d.get("parent_id"), d["org_unit_id"]))
            self._org_unit(tx, SimpleNamespace(type=type_, data=d, occurred_on=dt.date.fromisoformat(on),
                                               recorded_at=dt.datetime.fromisoformat(rec.replace("Z", "+00:00"))))

    def _org_unit(self, tx: Tx, e: Envelope) -> bool:
        d, units = e.data, self.t("units")
        if e.type == "org_unit.created":
            tree.run(tx, self._created(e))
        elif e.type == "org_unit.renamed":
            tx.execute(f"UPDATE {units} SET name = ? WHERE org_unit_id = ?", (d["name"], d["org_unit_id"]))
        elif e.type == "org_unit.moved":
            tx.execute(f"UPDATE {units} SET parent_id = ? WHERE org_unit_id = ?", (d["parent_id"], d["org_unit_id"]))
            tree.move(tx, self.prefix, d["org_unit_id"], d["parent_id"])
            tree.move_dated(tx, self.prefix, d["org_unit_id"], d["parent_id"], e.occurred_on.isoformat())
        elif e.type == "org_unit.merged":
            # reports on the current structure count the merged unit's history under its successor
            tx.execute(f"UPDATE {units} SET merged_into = ?, merged_on = ?, parent_id = ? WHERE org_unit_id = ?",
                       (d["into_org_unit_id"], e.occurred_on.isoformat(), d["into_org_unit_id"], d["org_unit_id"]))
            tree.move(tx, self.prefix, d["org_unit_id"], d["into_org_unit_id"])
            tree.move_dated(tx, self.prefix, d["org_unit_id"], d["into_org_unit_id"], e.occurred_on.isoformat())
            tree.hand_over_children(tx, self.prefix, d["org_unit_id"], d["into_org_unit_id"], e.occurred_on.isoformat())
        elif e.type == "org_unit.dissolved":
            tx.execute(f"UPDATE {units} SET dissolved_on = ? WHERE org_unit_id = ?",
                       (e.occurred_on.isoformat(), d["org_unit_id"]))
        else:
            return False
        return True

    def _created(self, e) -> list[tuple[str, tuple]]:
        """The statements of a unit's creation: its row, then its place in the closures."""
        d = e.data
        return [(f"INSERT INTO {self.t('units')} (org_unit_id, name, kind, parent_id, created_on, recorded_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_unit_id) DO NOTHING",
                 (d["org_unit_id"], d["name"], d["kind"], d.get("parent_id"), e.occurred_on.isoformat(), recorded(e))),
                *tree.attached(self.prefix, d["org_unit_id"], d.get("parent_id")),
                *tree.attached_dated(self.prefix, d["org_unit_id"], d.get("parent_id"), schema.EVER)]

    # -- members ----------------------------------------------------------------------------
    def current_unit(self, tx: Tx, member_id: str) -> str | None:
        """The unit of the member's last stint."""
        return self._stint_state(tx, member_id)[1]

    def unit_on(self, tx: Tx, member_id: str, day: str) -> str | None:
        """The unit of the member's stint that had begun by ``day`` (the latest such), else the
        unit of their last stint: where the member stood on that day, whatever came after."""
        state = self._stint_state(tx, member_id)
        if state[4] is not None and state[4] <= day:
            return state[1]  # the last stint had begun by then: no earlier one is later
        self._flush(tx)
        row = tx.execute(f"SELECT org_unit_id FROM {self.t('stints')} WHERE member_id = ? AND from_on <= ? "
                         "ORDER BY seq DESC LIMIT 1", (member_id, day)).fetchone()
        return row[0] if row else self.current_unit(tx, member_id)

    def _refile(self, tx: Tx, member_id: str, day: str, always: bool = False) -> None:
        """A transfer dated ``day`` recorded after facts of the member dated on or after it (a late
        entry), or any fact that threaded the stints again from ``day`` (``always``): those facts
        now count where the member stood on their dates (DOMAIN.md §2), as if recorded after it —
        exits too (a removal belongs to the unit the member stood in on its date). Not the facts
        that carry their own unit (admissions, transfers): ``REFILED_NOT``. The bulk replay does
        the same (``bulk_replay.Fold.refile``). And the member's discipline decisions dated on or
        after it (``_refile_cases``)."""
        self._refile_cases(tx, member_id, day)
        latest = self._latest_fact.get(member_id) if self._latest_fact is not None else None
        if not always and latest is not None and latest < day:
            return  # none of the member's facts (stored, or the batch's so far) is dated on or after it
        self._flush(tx)
        rows = tx.execute(f"SELECT event_id, occurred_on, org_unit_id, type FROM {self.t('member_facts')} "
                          f"WHERE member_id = ? AND occurred_on >= ? AND type NOT IN "
                          f"({','.join('?' * len(REFILED_NOT))})", (member_id, day, *REFILED_NOT)).fetchall()
        moved = [(now, event_id, type_) for event_id, on, unit, type_ in rows
                 if (now := self.unit_on(tx, member_id, on)) and now != unit]
        if any(type_ in daycounts.MEMBER_TYPES for _, _, type_ in moved):
            self.day_counts.touch(tx, member_id)  # an exit counted in a unit's day moves to another
        for now, event_id, _ in moved:
            self._write(tx, "member_facts", f"UPDATE {self.t('member_facts')} SET org_unit_id = ? "
                        "WHERE event_id = ?", (now, event_id), event_id)

    def _refile_cases(self, tx: Tx, member_id: str, day: str) -> None:
        """The member's discipline decisions dated on or after ``day``, stored before the stints
        changed from that day (a transfer recorded after a decision it precedes): each counts in
        the unit the member stood in on its decision date (DOMAIN.md §2) — the discipline service
        named the unit it knew of then. The bulk replay does the same (``Fold.refile_cases``)."""
        kept = self._cases.get(member_id) if self._cases is not None else None
        if kept is None:  # not read for the batch (out of a batch): read now
            kept = [list(r) for r in tx.execute(
                f"SELECT case_id, decided_on, org_unit_id FROM {self.t('cases')} WHERE subject_id = ? "
                "AND subject_kind = 'member'", (member_id,)).fetchall()]
        rows = [c for c in kept if c[1] >= day]
        moved = [(now, c) for c in rows if (now := self.unit_on(tx, member_id, c[1])) and now != c[2]]
        if moved:
            self.day_counts.touch(tx, member_id)
            for now, c in moved:
                tx.execute(f"UPDATE {self.t('cases')} SET org_unit_id = ? WHERE case_id = ?", (now, c[0]))
                c[2] = now

    def _reaches_past(self, tx: Tx, member_id: str, day: str) -> bool:
        """Do the member's stints already begin or end after ``day``? (A fact shaping them dated
        ``day`` then came out of date order.) They are kept in date order, so the last one's
        start or end is the latest."""
        state = self._stint_state(tx, member_id)
        return state[0] is not None and max(state[4], state[5] or "") > day

    def _rethread(self, tx: Tx, member_id: str) -> None:
        """Thread the member's stints again from every fact stored that shapes them, in date order
        (``threaded``): as if they had been recorded in that order. The bulk replay does the same."""
        self._flush(tx)
        facts = [(t, on, rec, eid, unit, json.loads(detail or "{}").get("from_org_unit_id"))
                 for t, on, rec, eid, unit, detail in tx.execute(
                     f"SELECT type, occurred_on, recorded_at, event_id, org_unit_id, detail FROM {self.t('member_facts')} "
                     f"WHERE member_id = ? AND type IN ({','.join('?' * len(SHAPING))})",
                     (member_id, *SHAPING)).fetchall()
                 if shapes_stints(t, json.loads(detail or "{}").get("kind"))]
        stints = threaded(facts)
        tx.execute(f"DELETE FROM {self.t('stints')} WHERE member_id = ?", (member_id,))
        if stints:
            tx.executemany(f"INSERT INTO {self.t('stints')} (member_id, seq, org_unit_id, from_on, from_kind, from_unit, "
                           "from_rec, to_on, to_kind, to_unit, to_rec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(member_id, seq, *s) for seq, s in enumerate(stints)])
        state = self._stint_state(tx, member_id)
        opened = [seq for seq, s in enumerate(stints) if s[5] is None]
        last = stints[-1] if stints else None
        state[:] = [len(stints) - 1 if stints else None, last[0] if last else None,
                    opened[-1] if opened else None, stints[opened[-1]][0] if opened else None,
                    last[1] if last else None, last[5] if last else None]

    def _close(self, tx: Tx, member_id: str, e: Envelope, kind: str, to_unit: str | None = None) -> str | None:
        state = self._stint_state(tx, member_id)
        if state[2] is None:  # no open stint
            return None
        self._write(tx, "stints", f"UPDATE {self.t('stints')} SET to_on = ?, to_kind = ?, to_unit = ?, to_rec = ? "
                    "WHERE member_id = ? AND seq = ?", (e.occurred_on.isoformat(), kind, to_unit, recorded(e),
                                                       member_id, state[2]), member_id)
        self.day_counts.stint_closed(member_id, state[2], e.occurred_on.isoformat(), kind, to_unit)
        if state[2] == state[0]:
            state[5] = e.occurred_on.isoformat()
        unit, state[2], state[3] = state[3], None, None
        return unit

    def _open(self, tx: Tx, member_id: str, unit: str, e: Envelope, kind: str, from_unit: str | None = None):
        state = self._stint_state(tx, member_id)
        seq = 0 if state[0] is None else state[0] + 1
        self._write(tx, "stints", f"INSERT INTO {self.t('stints')} (member_id, seq, org_unit_id, from_on, from_kind, "
                    "from_unit, from_rec) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (member_id, seq, unit, e.occurred_on.isoformat(), kind, from_unit, recorded(e)), member_id)
        self.day_counts.stint_opened(member_id, seq, unit, e.occurred_on.isoformat(), kind, from_unit)
        state[:] = [seq, unit, seq, unit, e.occurred_on.isoformat(), None]

    def _member(self, tx: Tx, e: Envelope) -> bool:
        d = e.data
        member = d.get("member_id")
        if not member:
            return False
        seen = getattr(self, "_facts_seen", None)
        if seen is None:
            self._flush(tx)
        if e.event_id in seen if seen is not None else \
                tx.scalar(f"SELECT 1 FROM {self.t('member_facts')} WHERE event_id = ?", (e.event_id,)):
            return True  # the same fact delivered under two names never counts twice
        if seen is not None:
            seen.add(e.event_id)
        unit = d.get("org_unit_id") or e.org_unit_id
        day = e.occurred_on.isoformat()
        # dated before where the member's stints already reach (recorded late): the stints are
        # threaded again in date order once the fact is stored, and the facts from its date on
        # refiled (``_rethread``); what the day counts drew from them is noted first
        late = shapes_stints(e.type, d.get("kind")) and self._reaches_past(tx, member, day)
        if late:
            self._flush(tx)
            self.day_counts.touch(tx, member)
        if e.type in ("member.admitted", "member.transferred_in"):
            admitted_on = e.occurred_on.isoformat() if e.type == "member.admitted" else None
            # only the year of birth: the reports count young members by the age reached in a year,
            # and the birth date itself is personal (sealed in newer events, never kept here)
            self._write(tx, "members",
                        f"INSERT INTO {self.t('members')} (member_id, sex, birth_year, demobilised, admitted_on) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET sex = excluded.sex, "
                        "birth_year = excluded.birth_year, demobilised = excluded.demobilised, "
                        "admitted_on = COALESCE(excluded.admitted_on, " + self.t("members") + ".admitted_on)",
                        (member, d.get("sex"), birth_year(d), d.get("demobilised", "none"), admitted_on), member)
            if not late:
                self._close(tx, member, e, "moved", d["org_unit_id"])  # a re-entry while still open: keep one stint
                self._open(tx, member, d["org_unit_id"], e, e.type.split(".")[1])
        elif e.type == "member.transferred" and d.get("kind", "official") == "official":
            # temporary transfers do not change the home unit's headcount (DOMAIN.md §3)
            unit = d["to_org_unit_id"]
            if not late:
                state = self._stint_state(tx, member)
                if moves(state[0] is not None, state[2] is not None):
                    self._close(tx, member, e, "moved", d["to_org_unit_id"])
                    self._open(tx, member, d["to_org_unit_id"], e, "moved", d.get("from_org_unit_id"))
                self._refile(tx, member, day)
        elif e.type in EXITS:
            if not late:
                self._close(tx, member, e, EXITS[e.type])
        elif e.type == "member.recognized_official":
            self._write(tx, "members", f"UPDATE {self.t('members')} SET official_on = ? WHERE member_id = ?",
                        (e.occurred_on.isoformat(), member), member)
        elif e.type == "member.record_updated" and d.get("demobilised"):
            # the breakdowns by demobilised army / police follow a corrected record (D0, D5)
            self._write(tx, "members", f"UPDATE {self.t('members')} SET demobilised = ? WHERE member_id = ?",
                        (d["demobilised"], member), member)
        detail = fact_detail(e.type, d)
        if e.type not in ("member.admitted", "member.transferred_in", "member.transferred"):
            # the member's unit on the fact's date (DOMAIN.md §2: a fact counts where its unit stood
            # that day), not wherever the member stands when it is applied: a fact recorded after a
            # move, and a replay, then count it in the same unit
            unit = self.unit_on(tx, member, e.occurred_on.isoformat()) or unit
        self._write(tx, "member_facts", f"INSERT INTO {self.t('member_facts')} (event_id, member_id, type, "
                    "occurred_on, recorded_at, org_unit_id, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (e.event_id, member, e.type, e.occurred_on.isoformat(), recorded(e), unit,
                     json.dumps(detail, sort_keys=True, default=str), e.actor), e.event_id)
        latest = self._latest_fact.get(member) if self._latest_fact is not None else None
        if latest is not None and latest < e.occurred_on.isoformat():
            self._latest_fact[member] = e.occurred_on.isoformat()
        self.day_counts.fact_added(member, e.type, unit, e.occurred_on.isoformat())
        if late:
            self._rethread(tx, member)
            self._refile(tx, member, day, always=True)
        return True

    # -- discipline -------------------------------------------------------------------------
    def _discipline(self, tx: Tx, e: Envelope) -> bool:
        d, cases = e.data, self.t("cases")
        if e.type == "discipline.applied":
            if d["subject_kind"] == "org_unit":
                unit = d["subject_id"]
            else:
                # the member's unit on the decision date, as for the member's own facts (the member's
                # stint that day; else the unit the discipline service named), not wherever the
                # member stands when this is applied: a replay and the live bus then agree, a later
                # move does not take the case along, and a transfer recorded after the decision but
                # dated before it moves it (``_refile_cases``)
                unit = self.unit_on(tx, d["subject_id"], e.occurred_on.isoformat()) or e.org_unit_id
            tx.execute(f"INSERT INTO {cases} (case_id, event_id, subject_kind, subject_id, org_unit_id, form, "
                       "decided_on, violation_on, recorded_at, forms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (case_id) DO NOTHING",
                       (d["case_id"], e.event_id, d["subject_kind"], d["subject_id"], unit, d["form"],
                        e.occurred_on.isoformat(), latest_violation(d), recorded(e),
                        with_form(None, recorded(e), d["form"])))
        elif e.type == "discipline.changed":
            # a changed decision keeps the case (and its date); only the form differs, from the
            # change's recording time on (``case_forms``: a report as known before reads the old one)
            held = tx.execute(f"SELECT forms FROM {cases} WHERE case_id = ?", (d["case_id"],)).fetchone()
            tx.execute(f"UPDATE {cases} SET form = ?, forms = ? WHERE case_id = ?",
                       (d["form"], with_form(held[0] if held else None, recorded(e), d["form"]), d["case_id"]))
        elif e.type == "discipline.annulled":
            tx.execute(f"UPDATE {cases} SET annulled_on = ?, annulled_rec = ? WHERE case_id = ?",
                       (e.occurred_on.isoformat(), recorded(e), d["case_id"]))
        else:
            return False
        if e.type != "discipline.applied":
            subject = tx.execute(f"SELECT subject_kind, subject_id FROM {cases} WHERE case_id = ?",
                                 (d["case_id"],)).fetchone()
            if subject and subject[0] == "member":
                self._write(tx, "member_refs", f"INSERT INTO {self.t('member_refs')} (member_id, event_id, source) "
                            "VALUES (?, ?, ?) ON CONFLICT (member_id, event_id) DO NOTHING",
                            (subject[1], e.event_id, "discipline"), (subject[1], e.event_id))
            return True
        return d["subject_kind"] == "org_unit"  # member decisions also go to member_refs (audit trail)

    # -- meetings and dues ------------------------------------------------------------------
    def _meeting(self, tx: Tx, e: Envelope) -> bool:
        d = e.data
        if e.type == "meeting.held":
            counts = {"present": 0, "excused": 0, "unexcused": 0}
            for a in d.get("attendance", []):
                counts[a["status"]] = counts.get(a["status"], 0) + 1
            expected = len(d.get("attendance", []))
            over = self._absent_in_a_row(tx, d, e.occurred_on)
            duration_ok, standard = meeting_standard(e.occurred_on, d.get("kind"), d.get("duration_minutes"),
                                                     bool(d.get("combined")), expected, counts, over)
            attended = d.get("committee_member_attended")
            absent = sorted(a["member_id"] for a in d.get("attendance", []) if a.get("status") != "present")
            tx.execute(f"INSERT INTO {self.t('meetings')} (meeting_id, event_id, org_unit_id, kind, held_on, "
                       "recorded_at, duration, expected, present, excused, unexcused, combined, committee_attended, "
                       "duration_ok, meets_standard, over_consecutive, absent) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (meeting_id) DO NOTHING",
                       (d["meeting_id"], e.event_id, d["org_unit_id"], d["kind"], e.occurred_on.isoformat(),
                        recorded(e), d.get("duration_minutes"), expected, counts["present"],
                        counts["excused"], counts["unexcused"], 1 if d.get("combined") else 0,
                        None if attended is None else int(bool(attended)), duration_ok, standard, over,
                        json.dumps(absent)))
            held = self._held.get((d["org_unit_id"], d["kind"], e.occurred_on.year)) if self._held else None
            if held is not None and d["meeting_id"] not in self._held_ids:  # as the insert: once per meeting
                bisect.insort(held, (e.occurred_on.isoformat(), d["meeting_id"], tuple(absent)))
            self._held_ids.add(d["meeting_id"])
            return True
        if e.type == "meeting.missed":
            self._write(tx, "absences", f"INSERT INTO {self.t('absences')} (meeting_id, member_id, org_unit_id, "
                        "occurred_on, recorded_at, excused, event_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (meeting_id, member_id) DO NOTHING",
                        (d["meeting_id"], d["member_id"], d["org_unit_id"], e.occurred_on.isoformat(), recorded(e),
                         1 if d.get("excused") else 0, e.event_id), (d["meeting_id"], d["member_id"]))
            return True
        return False

    def _absent_in_a_row(self, tx: Tx, d: dict, held_on: dt.date) -> int:
        """How many members absent from this meeting (excused or not) have now missed more than the
        allowed number of the cell's meetings of this kind in a row this year (HD 12), counted as
        the meetings service counts them: the year's meetings of the same kind in date order."""
        absent = [a["member_id"] for a in d.get("attendance", []) if a.get("status") != "present"]
        if not absent:
            return 0
        limit = rules_on(held_on).meeting_max_consecutive_absences
        day = held_on.isoformat()
        held = self._held.get((d["org_unit_id"], d["kind"], held_on.year)) if self._held else None
        if held is not None:  # the batch's copy of the meetings held that year (``_read_held``)
            i = bisect.bisect_left(held, (day, d["meeting_id"]))
            earlier = [held[j][2] for j in range(max(0, i - limit), i)] if limit > 0 else []
            if len(earlier) < limit:
                return 0
            missed_here: dict[str, int] = {}
            for names in earlier:
                for member in names:
                    missed_here[member] = missed_here.get(member, 0) + 1
            return sum(1 for m in absent if missed_here.get(m, 0) >= limit)
        earlier = [r[:1] for r in tx.execute(
            f"SELECT absent FROM {self.t('meetings')} WHERE org_unit_id = ? AND kind = ? AND held_on >= ? "
            "AND (held_on < ? OR (held_on = ? AND meeting_id < ?)) ORDER BY held_on DESC, meeting_id DESC LIMIT ?",
            (d["org_unit_id"], d["kind"], f"{held_on.year}-01-01", day, day, d["meeting_id"], limit)).fetchall()]
        if len(earlier) < limit:
            return 0
        missed: dict[str, int] = {}
        for (names,) in earlier:
            for member in json.loads(names or "[]"):
                missed[member] = missed.get(member, 0) + 1
        return sum(1 for m in absent if missed.get(m, 0) >= limit)  # absent from all ``limit`` before, and now

    def _dues(self, tx: Tx, e: Envelope) -> bool:
        d = e.data
        if e.type != "dues.recorded":
            return False
        self._write(tx, "dues", f"INSERT INTO {self.t('dues')} (member_id, month, recorded_at, status, occurred_on, "
                    "event_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, month, recorded_at) DO NOTHING",
                    (d["member_id"], d["month"], recorded(e), d["status"], e.occurred_on.isoformat(), e.event_id),
                    (d["member_id"], d["month"], recorded(e)))
        self._reference(tx, e)
        return True

    def _target(self, tx: Tx, e: Envelope) -> bool:
        d = e.data
        if e.type != "target.registered":
            return False
        tx.execute(f"INSERT INTO {self.t('targets')} (org_unit_id, period, indicator, recorded_at, value, event_id) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_unit_id, period, indicator, recorded_at) DO NOTHING",
                   (d["org_unit_id"], d["period"], d["indicator"], recorded(e), d["value"], e.event_id))
        return True


def latest_violation(d: dict) -> str | None:
    """The limitation clock starts at the latest violation of the case (a newer one restarts it),
    as the discipline service's decision rule counts it; a grave matter has no clock (None)."""
    if d.get("grave_matter"):
        return None
    days = [x for x in [iso_date(d.get("violation_on"))] + [iso_date(v) for v in d.get("later_violations") or ()] if x]
    return max(days) if days else None


def meeting_standard(held_on: dt.date, kind: str | None, minutes: int | None, combined: bool, expected: int,
                     counts: dict, over_consecutive: int = 0) -> tuple[int, int]:
    """(duration meets HD 42, meeting meets the standard) by the rules dated at the meeting.

    HD 12: attendance above the minimum rate and nobody absent without reason (the "more than
    3 absences in a row" criterion is judged per member by the meetings service); HD 42 from
    1/10/2025: at least 90 minutes, 120 when combined. Only regular meetings are judged."""
    rules = rules_on(held_on)
    least = rules.meeting_min_minutes_combined if combined else rules.meeting_min_minutes_regular
    duration_ok = int((minutes or 0) >= least)
    if kind != "regular" or not expected:
        return duration_ok, 0
    # exact fractions, as the meetings service judges: 85 % of 20 is 17, which is not "> 85 %"
    least_rate = _exact(rules.meeting_attendance_min_rate)  # present / expected > least, in integers
    rate_ok = counts["present"] * least_rate.denominator > least_rate.numerator * expected
    return duration_ok, int(rate_ok and counts["unexcused"] == 0 and bool(duration_ok) and not over_consecutive)


@functools.lru_cache(maxsize=64)
def _exact(rate) -> Fraction:
    """A rate from the rule table as the exact fraction it reads as (0.85 → 17/20)."""
    return Fraction(str(rate))


def checkpoint_name(prefix: str, partition: Partition) -> str:
    """``g2_facts`` for the whole, ``g2_facts.p1of3`` for a partition's own checkpoints."""
    return f"{prefix}facts" + (f".{partition.label}" if not partition.whole else "")


def family_owner(e: Envelope) -> str:
    from shared.catalog import OWNERS
    return OWNERS.get(e.type.split(".", 1)[0], "unknown")
