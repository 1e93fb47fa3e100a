"""A full replay of the facts projection as a bulk job (issue 15).

Applied event by event, a replay costs about three SQL statements per event (reads of what the
handlers update, then the writes) and the decoding of an envelope. Replaying from nothing, the
rows the handlers read are the rows the replay itself wrote, so they can be held in memory:

- the stored rows are read raw (the payload parsed by orjson, no envelope, no validation: every
  event was validated on append); the dates stay the text they were stored as;
- the hot event types (``member.*``, ``discipline.*``, ``meeting.*``, ``dues.*``, ``target.*``
  and the references any other type makes to a member) are folded into dicts: the rows that
  later events change (members, stints, cases) are written once at the end, the rows no event
  changes (facts, meetings, absences, dues, targets, references) page by page with
  ``executemany`` and the same ``ON CONFLICT`` the live handlers use;
- the organisation tree (``org_unit.*``: rare, and its handlers read the dated closure) is
  applied by the live handlers themselves, in order, in the page's transaction: one source of
  truth for it;
- stream heads are kept per stream in memory and written once, the checkpoints last;
- on a machine with more than one CPU, a large meetings store (most of the events) is read,
  decoded and folded by a second process while this one folds the other stores
  (``meeting_fold``); this process writes its rows with the others, page by page (from a SQLite
  store that process only passes the ``meeting.missed`` events, whose rows this one reads
  itself: ``missed_rows``; from any store it passes the ``meeting.held`` events of a share of the
  units undecoded, which this one folds: ``meeting_fold.here``, ``Fold.after_apart``). Once every page is folded, that process draws the warning spans from
  what this one folded while this one writes its last rows and the day counts, then hashes the
  fact tables for the checksum while this one writes the spans (``Generations.replay`` asks it
  for the checksum).

Each fold below is the live handler of ``facts.FactsProjection`` read for a replay from an empty
generation; the rows must be exactly the live ones: ``tests/unit/reporting/test_bulk_replay.py``
compares the checksum of a bulk replay with that of the same events delivered one by one, on a
history with moves, merges, re-admissions, discipline changes and annulments, absences in a row,
late-recorded facts and unknown types. Memory grows with what later events may change (one entry
per member, stint, case and meeting), not with the absences or facts, which are written per page.

The live projection goes on from the stream heads and checkpoints written here (the last events
appended while replaying are applied by it, before the switch).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from sys import intern
from typing import Callable, Collection, Iterator, Mapping

import orjson

from shared.collector import settled
from shared.events import StoredTime, format_recorded_at
from shared.eventstore import EventStore
from shared.eventstore.records import decode_json as _loads
from shared.readmodel import ReadModelDB, Tx

from services.reporting import daycounts, meeting_fold, schema, warning_spans
from services.reporting.case_forms import with_form
from services.reporting.facts import (EXITS, REFILED_NOT, FactsProjection, birth_year, fact_detail,
                                      latest_violation, moves, shapes_stints, threaded)
from services.reporting.meeting_fold import MeetingFold, absence


#: events read (and rows written) per transaction: 5,000 cost the CPU time 10,000 did and hold less
#: (peak memory 26 MB less at 100k members × 5 years, 46 MB at 20k: a page of decoded payloads)
PAGE = 5_000
#: the organisation tree's event types, applied by the live handlers
TREE_TYPES = frozenset({"org_unit.created", "org_unit.renamed", "org_unit.moved", "org_unit.merged",
                        "org_unit.dissolved"})
#: the columns a raw read returns, in this order (``_raw``)
RAW = ("position", "stream", "stream_version", "type", "occurred_on", "recorded_at", "org_unit_id", "actor",
       "event_id", "data")


def _text_rec(value) -> str:
    """The recording time as the live handlers write it (``facts.recorded``)."""
    if value.__class__ is str and len(value) == 27 and value[-1] == "Z":
        return value
    return format_recorded_at(StoredTime.parse(value) if isinstance(value, str) else value)


def _raw(store: EventStore, from_position: int, undecoded: Collection[str] = ()) -> Iterator[list[tuple]]:
    """Pages of (position, stream, version, type, occurred_on text, recorded_at text, unit, actor,
    event_id, data dict) from ``from_position`` on: straight from the rows where the store can
    (``read_rows``), else from its envelopes. The payloads of the types ``undecoded`` stay as the
    store gives them (decoded elsewhere, or their rows read again: ``missed_rows``)."""
    undecoded = frozenset(undecoded)
    read_rows = getattr(store, "read_rows", None)
    if read_rows is not None:
        loads = orjson.loads
        for rows in read_rows(RAW, from_position, PAGE):
            try:  # SQLite's rows: text dates, JSON text (the recording time as written, checked inline)
                yield [(p, s, v, t, on if on.__class__ is str else on.isoformat(),
                        rec if rec.__class__ is str and len(rec) == 27 and rec[-1] == "Z" else _text_rec(rec),
                        u, a, i, loads(d) if t not in undecoded else d)
                       for p, s, v, t, on, rec, u, a, i, d in rows]
            except (orjson.JSONDecodeError, TypeError):  # JSON orjson refuses, or payloads already decoded
                yield [(p, s, v, t, on if on.__class__ is str else on.isoformat(), _text_rec(rec), u, a, i,
                        _loads(d) if isinstance(d, (str, bytes)) and t not in undecoded else d)
                       for p, s, v, t, on, rec, u, a, i, d in rows]
        return
    page = []
    for e in store.read_all(from_position):
        page.append((e.position, e.stream, e.stream_version, e.type, e.occurred_on.isoformat(),
                     format_recorded_at(e.recorded_at), e.org_unit_id, e.actor, e.event_id, e.data))
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page


def missed_rows(store: EventStore, first: int, last: int) -> list[tuple]:
    """The rows of ``absences`` the ``meeting.missed`` events stored from position ``first`` to
    ``last`` give, in position order, read and decoded as ``_raw`` reads them (a SQLite store
    folded apart: ``meeting_fold.absences_here``)."""
    rows = store.read_rows_of_type(("occurred_on", "recorded_at", "event_id", "data"), "meeting.missed", first, last)
    loads = orjson.loads
    try:
        return [absence(loads(d), on, rec if rec.__class__ is str and len(rec) == 27 and rec[-1] == "Z"
                        else _text_rec(rec), i)
                for on, rec, i, d in rows]
    except (orjson.JSONDecodeError, TypeError):  # JSON orjson refuses, or payloads already decoded
        return [absence(_loads(d) if isinstance(d, (str, bytes)) else d, on, _text_rec(rec), i)
                for on, rec, i, d in rows]


class _Event:
    """What the live tree handlers read of an event (they take an envelope)."""

    __slots__ = ("event_id", "type", "data", "occurred_on", "recorded_at", "org_unit_id", "actor", "stream",
                 "stream_version", "position")

    def __init__(self, row: tuple):
        (self.position, self.stream, self.stream_version, self.type, on, rec, self.org_unit_id, self.actor,
         self.event_id, self.data) = row
        self.occurred_on = dt.date.fromisoformat(on)
        self.recorded_at = StoredTime.parse(rec)


def _owners() -> dict:
    from shared.catalog import OWNERS
    return OWNERS


class Fold:
    """The facts of one generation being replayed, held in memory where later events change them."""

    def __init__(self, projection: FactsProjection):
        self.projection = projection
        t = projection.t
        self.t = t
        self.owners = _owners()
        # rows later events change: written at the end
        self.members: dict[str, list] = {}  # member → [sex, birth_date, demobilised, admitted_on, official_on, birth_year]
        self.stints: dict[str, list[list]] = {}  # member → stints in seq order (see ``_open``)
        #: member → the facts that shape their stints (``facts.threaded``), to thread them again when
        #: one comes out of date order
        self.shaping: dict[str, list[tuple]] = {}
        self.cases: dict[str, list] = {}  # case → the row (``CASES`` columns)
        self.cases_of: dict[str, list[str]] = {}  # member → the cases deciding on them (``refile_cases``)
        self.facts_seen: set[str] = set()  # event ids of member facts (one fact under two names counts once)
        #: member → the latest date of their facts a late earlier transfer would move (``refile``), and
        #: member → the earliest date of such a transfer (refiled at the end)
        self.refilable_until: dict[str, str] = {}
        self.refiles: dict[str, str] = {}
        self.meeting_fold = MeetingFold()  # the meetings held (absences in a row), and their rows
        self.apart: meeting_fold.Apart | None = None  # the meetings store folded in a second process
        self.refolded = False  # its meetings held folded again here (``after_apart``)
        # rows no event changes: written page by page
        self.facts: list[tuple] = []
        self.meetings: list[tuple] = self.meeting_fold.meetings
        self.absences: list[tuple] = self.meeting_fold.absences
        self.dues: list[tuple] = []
        self.targets: list[tuple] = []
        self.refs: list[tuple] = []
        self.heads: dict[str, dict[str, int]] = {}  # source → stream → last applied version
        # what the day counts and the warning spans are drawn from (``derive``), kept as folded
        self.unexcused: dict[tuple, str] = {}  # (member, unit, year) → the first unexcused absence stored
        self.paid: dict[str, dict[str, tuple]] = {}  # member → month → (recorded_at, status) of the latest stored
        self.latest = ""  # the latest recording time written to member_facts, absences and dues
        self.handlers = {"member": self.member, "discipline": self.discipline, "meeting": self.meeting,
                         "dues": self.dues_fact, "target": self.target}
        #: event type → its fold (``_route``), found once per type
        self.routes: dict[str, Callable[[tuple], bool] | None] = {"meeting.held": self.meeting_fold.held_meeting,
                                                                     "meeting.missed": self.meeting_fold.missed}

    # -- one source --------------------------------------------------------------------------
    def source(self, tx: Tx, source: str, events: list[tuple]) -> tuple[int, int | None]:
        """Fold a page of ``source`` in order; (events passed, last position passed). Stops before an
        event whose stream's previous event is missing (the live runner's guard: it waits)."""
        passed = meeting_fold.in_stream_order(events, self.heads.setdefault(source, {}),
                                              lambda ev: self.one(tx, source, ev))
        return passed, events[passed - 1][0] if passed else None

    def one(self, tx: Tx, source: str, ev: tuple) -> None:
        """Fold one event its stream's guard let through."""
        try:
            fold = self.routes[ev[3]]
        except KeyError:
            fold = self.routes[ev[3]] = self._route(ev[3])
        if fold is None:
            self.tree(tx, source, ev)
        elif not fold(ev):
            self.reference(ev)

    def take(self, tx: Tx, source: str, page: tuple) -> tuple[int, int | None]:
        """A page of ``source`` folded by the second process (``meeting_fold.run``): its rows, its
        streams' heads, the meetings held it left to this one (folded here), then the events of
        other types in their order; as ``source``."""
        _, passed, last, heads, meetings, absences, others, missed, held_here = page
        self.heads.setdefault(source, {}).update(heads)
        self.meetings += meetings
        self.absences += absences
        if held_here:
            meeting_fold.fold_held(self.meeting_fold, held_here)
        if missed is not None:  # the page's absences, read from the store here (``missed_rows``)
            self.absences += missed_rows(self.apart.store, *missed)
        for ev in others:
            self.one(tx, source, ev)
        return passed, last

    def _route(self, type_: str) -> Callable[[tuple], bool] | None:
        """The fold of events of ``type_`` (True: folded; False: only a reference to the member it
        names); None for the tree's, applied by the live handlers (``tree``)."""
        family = type_.split(".", 1)[0]
        if family == "org_unit":
            return None if type_ in TREE_TYPES else _unfolded
        return self.handlers.get(family, _unfolded)

    def tree(self, tx: Tx, source: str, ev: tuple) -> None:
        e = _Event(ev)
        if e.type == "org_unit.created":
            self.projection.route(tx, source, e)  # notes the unit's route
        self.projection.apply(tx, e)

    def reference(self, ev: tuple) -> None:
        d = ev[9]
        member = d.get("member_id") or (d.get("subject_id") if d.get("subject_kind") == "member" else None)
        if member:
            self.refs.append((member, ev[8], self.owners.get(ev[3].split(".", 1)[0], "unknown")))

    # -- members -----------------------------------------------------------------------------
    def _close(self, member: str, on: str, rec: str, kind: str, to_unit: str | None = None) -> None:
        for stint in reversed(self.stints.get(member, ())):  # the latest open stint
            if stint[5] is None:
                stint[5:9] = [on, kind, to_unit, rec]
                return

    def _open(self, member: str, unit: str, on: str, rec: str, kind: str, from_unit: str | None = None) -> None:
        # org_unit_id, from_on, from_kind, from_unit, from_rec, to_on, to_kind, to_unit, to_rec; seq = index
        self.stints.setdefault(member, []).append([unit, on, kind, from_unit, rec, None, None, None, None])

    def current_unit(self, member: str) -> str | None:
        stints = self.stints.get(member)
        return stints[-1][0] if stints else None

    def unit_on(self, member: str, day: str) -> str | None:
        """As the live ``FactsProjection.unit_on``: the latest stint begun by ``day``, else the last."""
        for stint in reversed(self.stints.get(member, ())):
            if stint[1] <= day:
                return stint[0]
        return self.current_unit(member)

    def member(self, ev: tuple) -> bool:
        _, _, _, type_, on, rec, unit_e, actor, event_id, d = ev
        member = d.get("member_id")
        if not member:
            return False
        if event_id in self.facts_seen:
            return True  # the same fact delivered under two names never counts twice
        self.facts_seen.add(event_id)
        unit = d.get("org_unit_id") or unit_e
        late = False
        if shapes_stints(type_, d.get("kind")):
            # as live (``FactsProjection._rethread``): dated before where the stints already reach
            stints = self.stints.get(member)
            late = bool(stints) and max(stints[-1][1], stints[-1][5] or "") > on
            target = d["to_org_unit_id"] if type_ == "member.transferred" else d.get("org_unit_id") or unit_e
            self.shaping.setdefault(member, []).append((type_, on, rec, event_id, target, d.get("from_org_unit_id")))
            if late:
                self.stints[member] = threaded(self.shaping[member])
                self.refiles[member] = min(on, self.refiles.get(member, on))
                self.refile_cases(member, on)
        if type_ == "member.admitted" or type_ == "member.transferred_in":
            admitted_on = on if type_ == "member.admitted" else None
            row = self.members.get(member)
            sex, year, demobilised = d.get("sex"), birth_year(d), d.get("demobilised", "none")
            if row is None:
                self.members[member] = [sex, None, demobilised, admitted_on, None, year]
            else:
                row[0], row[2], row[5] = sex, demobilised, year
                if admitted_on is not None:
                    row[3] = admitted_on
            if not late:
                self._close(member, on, rec, "moved", d["org_unit_id"])  # a re-entry while still open: keep one stint
                self._open(member, d["org_unit_id"], on, rec, type_.split(".")[1])
        elif type_ == "member.transferred" and d.get("kind", "official") == "official":
            unit = d["to_org_unit_id"]
            if not late:
                stints = self.stints.get(member)
                if moves(bool(stints), bool(stints) and any(s[5] is None for s in stints)):
                    self._close(member, on, rec, "moved", d["to_org_unit_id"])
                    self._open(member, d["to_org_unit_id"], on, rec, "moved", d.get("from_org_unit_id"))
                self.refile_cases(member, on)
                if self.refilable_until.get(member, "") >= on:  # recorded after facts it now precedes
                    self.refiles[member] = min(on, self.refiles.get(member, on))
        elif type_ in EXITS:
            if not late:
                self._close(member, on, rec, EXITS[type_])
        elif type_ == "member.recognized_official":
            row = self.members.get(member)
            if row is not None:
                row[4] = on
        elif type_ == "member.record_updated" and d.get("demobilised"):
            row = self.members.get(member)
            if row is not None:  # as live (``FactsProjection._member``)
                row[2] = d["demobilised"]
        detail = fact_detail(type_, d)
        if type_ not in ("member.admitted", "member.transferred_in", "member.transferred"):
            unit = self.unit_on(member, on) or unit  # as live: the member's unit on the fact's date
        if type_ not in REFILED_NOT and on > self.refilable_until.get(member, ""):
            self.refilable_until[member] = on
        self.facts.append((event_id, member, type_, on, rec, unit,
                           json.dumps(detail, sort_keys=True, default=str) if detail else "{}", actor))
        return True

    def refile_cases(self, member: str, day: str) -> None:
        """As live ``FactsProjection._refile_cases``, at the same point: the member's decisions
        folded so far, dated on or after ``day``, count where the member stood on their dates."""
        for case in self.cases_of.get(member, ()):
            row = self.cases[case]
            if row[6] >= day:
                now = self.unit_on(member, row[6])
                if now and now != row[4]:
                    row[4] = now

    # -- discipline --------------------------------------------------------------------------
    def discipline(self, ev: tuple) -> bool:
        _, _, _, type_, on, rec, unit_e, _, event_id, d = ev
        cases = self.cases
        if type_ == "discipline.applied":
            kind, subject = d["subject_kind"], d["subject_id"]
            unit = subject if kind == "org_unit" else (self.unit_on(subject, on) or unit_e)  # as live
            row = [d["case_id"], event_id, kind, subject, unit, d["form"], on, latest_violation(d), rec, None, None,
                   with_form(None, rec, d["form"])]
            if cases.setdefault(d["case_id"], row) is row and kind == "member":
                self.cases_of.setdefault(subject, []).append(d["case_id"])
            return d["subject_kind"] == "org_unit"  # member decisions also go to member_refs (audit trail)
        if type_ == "discipline.changed":
            form = d["form"]
            row = cases.get(d["case_id"])
            if row is not None:
                row[5], row[11] = form, with_form(row[11], rec, form)
        elif type_ == "discipline.annulled":
            row = cases.get(d["case_id"])
            if row is not None:
                row[9], row[10] = on, rec
        else:
            return False
        if row is not None and row[2] == "member":
            self.refs.append((row[3], event_id, "discipline"))
        return True

    # -- meetings (``meeting_fold``), dues, targets ------------------------------------------
    def meeting(self, ev: tuple) -> bool:
        if ev[3] == "meeting.held":
            return self.routes["meeting.held"](ev)
        if ev[3] == "meeting.missed":
            return self.meeting_fold.missed(ev)
        return False

    def _held_after_apart(self, ev: tuple) -> bool:
        """A meeting recorded in a store after the meetings store folded apart: judged with the
        meetings held there (asked for once) and those held here (``after_apart``: other units,
        kinds or years, other meeting ids)."""
        held, seen = self.apart.state()
        held.update(self.meeting_fold.held)
        seen |= self.meeting_fold.meetings_seen
        self.meeting_fold.held, self.meeting_fold.meetings_seen = held, seen
        self.routes["meeting.held"] = self.meeting_fold.held_meeting
        return self.meeting_fold.held_meeting(ev)

    def after_apart(self, db: ReadModelDB, store: EventStore, last: int | None) -> None:
        """Once the meetings store's pages are folded: where this process folded some of its
        meetings held (``meeting_fold.here``), were they judged as one fold would judge them? Yes
        when no (unit, kind, year) and no meeting id was folded on both sides (the units the split
        went by are the events' own, which a payload may name otherwise, and a meeting may be stored
        twice); else the meetings held are folded again here, every one, in position order
        (``refold_held``). A meeting recorded in a later store is then judged with both sides'."""
        mine = self.meeting_fold
        if (mine.held or mine.meetings_seen) and last is not None:
            seen, keys = self.apart.folded()
            if not (seen.isdisjoint(mine.meetings_seen) and keys.isdisjoint(mine.held)):
                self.refold_held(db, store, last)
                self.routes["meeting.held"] = mine.held_meeting
                return
        self.routes["meeting.held"] = self._held_after_apart

    #: positions of the meetings store read at a time when its meetings held are folded again
    REFOLD_STEP = 20_000

    def refold_held(self, db: ReadModelDB, store: EventStore, last: int) -> None:
        """The meetings held of ``store`` up to position ``last`` folded again in this process alone
        (their rows written again), as the live projection folds them (``after_apart``)."""
        fold = self.meeting_fold
        fold.held, fold.meetings_seen = {}, set()
        self.refolded = True
        with db.transaction() as tx:
            tx.execute(f"DELETE FROM {self.t('meetings')}")
            for first in range(1, last + 1, self.REFOLD_STEP):
                rows = store.read_rows_of_type(("occurred_on", "recorded_at", "org_unit_id", "event_id", "data"),
                                               meeting_fold.HELD, first, min(last, first + self.REFOLD_STEP - 1))
                meeting_fold.fold_held(fold, [(on if on.__class__ is str else on.isoformat(), _text_rec(rec), u, i, d)
                                              for on, rec, u, i, d in rows])
                self.write_page(tx)

    def dues_fact(self, ev: tuple) -> bool:
        if ev[3] != "dues.recorded":
            return False
        d = ev[9]
        self.dues.append((d["member_id"], d["month"], ev[5], d["status"], ev[4], ev[8]))
        self.reference(ev)
        return True

    def target(self, ev: tuple) -> bool:
        if ev[3] != "target.registered":
            return False
        d = ev[9]
        self.targets.append((d["org_unit_id"], d["period"], d["indicator"], ev[5], d["value"], ev[8]))
        return True

    # -- writing -----------------------------------------------------------------------------
    def write_page(self, tx: Tx) -> None:
        """The rows no later event changes, in the order they were folded (``ON CONFLICT`` as live)."""
        t = self.t
        for rows, sql in (
                (self.facts, f"INSERT INTO {t('member_facts')} (event_id, member_id, type, occurred_on, recorded_at, "
                             "org_unit_id, detail, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                (self.meetings, f"INSERT INTO {t('meetings')} (meeting_id, event_id, org_unit_id, kind, held_on, "
                                "recorded_at, duration, expected, present, excused, unexcused, combined, "
                                "committee_attended, duration_ok, meets_standard, over_consecutive, absent) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (meeting_id) DO NOTHING"),
                (self.absences, f"INSERT INTO {t('absences')} (meeting_id, member_id, org_unit_id, occurred_on, "
                                "recorded_at, excused, event_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (meeting_id, member_id) DO NOTHING"),
                (self.dues, f"INSERT INTO {t('dues')} (member_id, month, recorded_at, status, occurred_on, event_id) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, month, recorded_at) DO NOTHING"),
                (self.targets, f"INSERT INTO {t('targets')} (org_unit_id, period, indicator, recorded_at, value, "
                               "event_id) VALUES (?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (org_unit_id, period, indicator, recorded_at) DO NOTHING"),
                (self.refs, f"INSERT INTO {t('member_refs')} (member_id, event_id, source) VALUES (?, ?, ?) "
                            "ON CONFLICT (member_id, event_id) DO NOTHING")):
            if rows:
                tx.executemany(sql, rows)
                if rows is self.facts:
                    self.latest = max(self.latest, max(r[4] for r in rows))
                elif rows is self.absences:
                    self._absences(_stored(tx, rows, f"SELECT meeting_id, member_id, org_unit_id, "
                                                     f"occurred_on, recorded_at, excused, event_id FROM {t('absences')} "
                                                     "WHERE meeting_id = ? AND member_id = ?", 2))
                elif rows is self.dues:  # a row kept over another of its key has its recording time: ``_dues``
                    self._dues(rows)
                rows.clear()

    def refile(self, tx: Tx) -> None:
        """As live ``FactsProjection._refile``, once at the end (every fact written, the member_facts
        indexes built again): the facts of a member dated on or after a transfer recorded after
        them count where the member stood on their dates. The final stints give each the unit the
        live projection ends with: a stint appended after the transfer moves a fact only if it
        begins by the fact's date, and then the live projection refiles it again."""
        t, marks = self.t, ",".join("?" * len(REFILED_NOT))
        for member, day in sorted(self.refiles.items()):
            rows = tx.execute(f"SELECT event_id, occurred_on, org_unit_id FROM {t('member_facts')} WHERE member_id = ? "
                              f"AND occurred_on >= ? AND type NOT IN ({marks})", (member, day, *REFILED_NOT)).fetchall()
            moved = [(now, event_id) for event_id, on, unit in rows if (now := self.unit_on(member, on)) and now != unit]
            if moved:
                tx.executemany(f"UPDATE {t('member_facts')} SET org_unit_id = ? WHERE event_id = ?", moved)
        self.refiles.clear()

    def _absences(self, rows: list[tuple]) -> None:
        """Note the first unexcused absence per member, unit and year of the absences stored."""
        first, latest = self.unexcused, self.latest
        for _, member, unit, on, rec, excused, _ in rows:
            if rec > latest:
                latest = rec
            if not excused:
                key = (member, unit, on[:4])
                was = first.get(key)
                if was is None:  # kept to the end: one copy of each name and day (a payload's are its own)
                    first[(_one(member), _one(unit), intern(key[2]))] = intern(on)
                elif on < was:
                    first[key] = intern(on)
        self.latest = latest

    def _dues(self, rows: list[tuple]) -> None:
        """Note the status of each member's month recorded latest. A row the table did not take
        (``ON CONFLICT``: one of the same member, month and recording time was there) changes
        nothing here either: of two recorded at the same time, the first noted stays."""
        for member, month, rec, status, _, _ in rows:
            self.latest = max(self.latest, rec)
            months = self.paid.setdefault(member, {})
            if month not in months or rec > months[month][0]:
                months[month] = (rec, status)

    def write_end(self, tx: Tx, checkpoints: dict[str, int]) -> None:
        """The rows later events changed, the stream heads, then the checkpoints."""
        self.write_page(tx)
        self.projection.settle_tree(tx)  # tree changes that came out of date order: once, at the end
        t = self.t
        if self.members:
            tx.executemany(f"INSERT INTO {t('members')} (member_id, sex, birth_date, demobilised, admitted_on, "
                           "official_on, birth_year) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(m, *row) for m, row in self.members.items()])
        stints = [(m, seq, *s) for m, items in self.stints.items() for seq, s in enumerate(items)]
        if stints:
            tx.executemany(f"INSERT INTO {t('stints')} (member_id, seq, org_unit_id, from_on, from_kind, from_unit, "
                           "from_rec, to_on, to_kind, to_unit, to_rec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", stints)
        if self.cases:
            tx.executemany(f"INSERT INTO {t('cases')} (case_id, event_id, subject_kind, subject_id, org_unit_id, "
                           "form, decided_on, violation_on, recorded_at, annulled_on, annulled_rec, forms) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(self.cases.values()))
        heads = [(source, stream, version) for source, streams in self.heads.items()
                 for stream, version in streams.items()]
        if heads:
            tx.executemany(f"INSERT INTO {self.projection.streams_table} (source, stream, version) VALUES (?, ?, ?)",
                           heads)
        for source, position in checkpoints.items():
            # the event ids are not kept here: the live runner checks the position alone until its
            # first move records one (``ProjectionRunner._backed``)
            tx.execute("INSERT INTO projection_checkpoints (projection, source, position, event_id) "
                       "VALUES (?, ?, ?, NULL) "
                       "ON CONFLICT (projection, source) DO UPDATE SET position = excluded.position, event_id = NULL",
                       (self.projection.name, source, position))


    def forget_folding(self) -> None:
        """Drop what only the folding needs (ids seen, meetings held, stream heads: written by now),
        so ``derive`` builds the spans beside what they are drawn from alone."""
        self.facts_seen, self.heads = set(), {}
        self.meeting_fold.forget()
        self.refilable_until, self.shaping, self.cases_of = {}, {}, {}

    def span_inputs(self) -> tuple:
        """What the warning spans are drawn from beside the member facts (``warning_spans.spans_of``):
        stints, unexcused absences, dues and admissions as folded (once every event is)."""
        absences: dict[str, list] = {}
        for (member, unit, _), on in self.unexcused.items():
            absences.setdefault(member, []).append((unit, on))
        self.unexcused = {}
        return ({m: [(seq, s[0], s[1], s[5]) for seq, s in enumerate(items)] for m, items in self.stints.items() if items},
                absences, {m: {month: status for month, (_, status) in months.items()} for m, months in self.paid.items()},
                {m for m, row in self.members.items() if row[3] is not None})

    def derive(self, tx: Tx, drawn: Callable[[], tuple] | None = None) -> None:
        """Fill the day counts and the warning spans from what was folded (after ``write_end``):
        the rows ``daycounts.build`` and ``warning_spans.build`` would read back from the tables
        (the member facts they are drawn from, a few per member, read back by their index).
        ``drawn``: the spans and their counts, drawn from ``span_inputs`` by the second process,
        asked for once the day counts are written (it draws them meanwhile)."""
        p = self.projection.prefix
        stints = [(s[0], s[1], s[5], s[2], s[3], s[6], s[7], s[4], s[8])
                  for items in self.stints.values() for s in items]
        daycounts.fill(tx, p, daycounts.counted_facts(tx, p),
                       [(r[2], r[3], r[4], r[6], r[8], r[10]) for r in self.cases.values()], stints)
        latest = max([self.latest] + [max(s[7], s[8] or "") for s in stints])
        del stints  # before the spans' inputs are built beside the folded rows
        if drawn is not None:
            warning_spans.build(tx, p, (latest,), drawn())
            return
        warning_spans.build(tx, p, (warning_spans.facts_of(tx, p), *self.span_inputs(), latest))


def _one(name):
    """One copy of a name kept long (``sys.intern``); a value of another type as it is."""
    return intern(name) if name.__class__ is str else name


def _stored(tx: Tx, rows: list[tuple], select: str, key: int) -> list[tuple]:
    """The rows of ``rows`` just inserted with ``ON CONFLICT DO NOTHING`` that the table holds as
    they are: all of them when as many rows were inserted as given; otherwise (a key met twice: the
    row stored first stays) each one compared with the row stored under its first ``key`` columns."""
    if tx.rowcount == len(rows):
        return rows
    return [r for r in rows if tuple(tx.execute(select, r[:key]).fetchone() or ()) == tuple(r)]


def _drawn(helper: meeting_fold.Apart) -> Callable[[], tuple]:
    """The warning spans the second process draws (``Apart.spans``), asked for when called."""
    def spans() -> tuple:
        drawn = helper.spans()
        if drawn is None:
            raise RuntimeError("the meetings fold process did not draw the warning spans")
        return drawn
    return spans


def _unfolded(ev: tuple) -> bool:
    return False


def empty(db: ReadModelDB, projection: FactsProjection) -> bool:
    """Is the generation of ``projection`` untouched (nothing applied, no checkpoint)?"""
    return not db.query("SELECT 1 FROM projection_checkpoints WHERE projection = ? LIMIT 1", (projection.name,)) \
        and not db.query(f"SELECT 1 FROM {projection.streams_table} LIMIT 1")


def replay(db: ReadModelDB, stores: Mapping[str, EventStore], sources: tuple[str, ...],
           projection: FactsProjection, progress: Callable[[int], None] = lambda n: None,
           ahead: list | None = None) -> int:
    """Apply every stored event of ``sources`` (in this order) to the empty generation of
    ``projection`` (its tables created, its day counts and warning spans off: filled at the end
    from what was folded, ``Fold.derive``); returns the events passed. The live runner then
    continues from the checkpoints.

    ``ahead``: a list the caller closes; where a second process folded the meetings store, it goes
    on hashing the fact tables for the checksum once they are written, while this one derives
    the day counts and spans from them, and its handle is added there (``meeting_fold.Apart.checksum``)."""
    with settled() as settle, larger_cache(db):  # the collector told what a replay keeps (``shared.collector``)
        return _replay(db, stores, sources, projection, progress, settle, ahead)


#: SQLite's page cache (KiB) of the read model's connection while replaying, instead of its
#: default 2 MB: the B-tree inserts of the pages' rows and the deferred indexes' sorts (which spill
#: to temporary files beyond it) read and write less (at 20,000 members × 5 years, 22 % fewer bytes
#: read, 13 % fewer written). Bounded whatever the province's size: at 100,000 members × 5 years
#: the peak grew by 75 MB and the median replay took 131 s instead of 152 s on a busy machine;
#: at 20,000 no difference stood out of the noise
CACHE_KIB = 65_536


@contextlib.contextmanager
def larger_cache(db: ReadModelDB):
    """``CACHE_KIB`` of page cache on ``db``'s connection (SQLite) until the block ends, then the
    size it had: the service's connection goes on with its own once the replay is done."""
    if db.pg:
        yield
        return
    was = db.query("PRAGMA cache_size")[0][0]
    db.query(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        yield
    finally:
        db.query(f"PRAGMA cache_size = {int(was)}")


#: tables written in bulk whose secondary indexes are built after the rows (one sort each, rather
#: than an index entry inserted per row); nothing reads them by those indexes while replaying
DEFERRED = ("member_facts", "meetings", "absences", "stints", "cases")
_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS \{p\}(\w+) ON \{p\}(\w+)")


def deferred_indexes(prefix: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the secondary indexes of ``DEFERRED`` tables in ``schema``."""
    out = []
    for statement in schema.DDL.split(";"):
        m = _INDEX.search(statement)
        if m and m.group(2) in DEFERRED:
            out.append((f"{prefix}{m.group(1)}", statement.strip().replace("{p}", prefix)))
    return out


def _replay(db: ReadModelDB, stores: Mapping[str, EventStore], sources: tuple[str, ...],
            projection: FactsProjection, progress: Callable[[int], None], settle: Callable[[], None],
            ahead: list | None = None) -> int:
    fold = Fold(projection)
    indexes = deferred_indexes(projection.prefix)
    with db.transaction() as tx:
        for name, _ in indexes:
            tx.execute(f"DROP INDEX IF EXISTS {name}")
    checkpoints: dict[str, int] = {}
    total = 0
    fold.apart = meeting_fold.apart(stores, sources)  # started first: it folds while this process does
    try:
        for source in sources:
            if fold.apart is not None and source == fold.apart.source and fold.meeting_fold.folded:
                fold.apart.close()  # meetings in the stores before it: the meetings store is folded here
                fold.apart = None
            taken = fold.apart is not None and source == fold.apart.source
            for page in fold.apart.pages() if taken else _raw(stores[source], 1):
                with db.transaction() as tx:
                    passed, last = fold.take(tx, source, page) if taken else fold.source(tx, source, page)
                    fold.write_page(tx)
                settle()
                if last is not None:
                    checkpoints[source] = last
                total += passed
                if passed:
                    progress(passed)
                if passed < (page[0] if taken else len(page)):
                    break  # waiting (as the live runner would): the rest is left to it
            if taken:  # its meetings held, if a later store needs them (and checked where this process folded some)
                fold.after_apart(db, stores[source], checkpoints.get(source))
    except BaseException:
        if fold.apart is not None:
            fold.apart.close()
        raise
    helper, fold.apart = fold.apart, None
    if helper is not None and (not helper.finished or db.pg or ":memory:" in db.url):
        helper.close()  # stopped at a missing event, or it cannot open the read model: all done here
        helper = None
    try:
        drawing = helper  # the warning spans drawn there while the folded rows are written here
        if drawing is not None:
            drawing.derive_spans(db.url, projection.prefix, fold.span_inputs())
        with db.transaction() as tx:
            fold.write_end(tx, checkpoints)
            for _, create in indexes:
                tx.execute(create)
            fold.refile(tx)
        if helper is not None and ahead is not None:  # the fact tables are final (committed): hashed there
            helper.hash_facts(db.url, projection.prefix)
            ahead.append(helper)
            helper = None
        with db.transaction() as tx:
            fold.forget_folding()
            fold.derive(tx, _drawn(drawing) if drawing is not None else None)
    finally:
        if helper is not None:
            helper.close()
    return total
