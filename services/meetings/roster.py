"""The roster (danh sách sinh hoạt): who is expected at a cell's meeting on a given date.

Pure: a member's facts from the members service (admitted, transferred, exempted, working away,
left) are folded, in business-date order, into dated intervals. Folding the whole timeline each
time (rather than updating a current state) keeps late entries right: a transfer recorded today
but dated last month changes the roster of last month's meetings.

Used by the projection (SQL rows), by the import overlay (lines of the same file not yet
written) and by the demo generator, so all three agree.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping

#: member facts that end membership of the cell (and of the party organisation of the province)
LEAVING = frozenset({"member.transferred_out", "member.removed", "member.resigned", "member.expelled",
                     "member.died"})
MEMBER_TYPES = frozenset({"member.admitted", "member.transferred_in", "member.transferred",
                          "member.exempted", "member.exemption_ended", "member.working_away_started",
                          "member.working_away_ended", "member.temporary_transfer_ended"}) | LEAVING
UNIT_TYPES = frozenset({"org_unit.created", "org_unit.merged", "org_unit.dissolved"})
#: what the roster keeps of each fact: no names or birth dates (personal data stays with members)
KEPT_FIELDS = ("org_unit_id", "from_org_unit_id", "to_org_unit_id", "kind", "until", "admitted_on")


@dataclass(frozen=True)
class Fact:
    """One members-service event as the roster needs it; ``seq`` orders facts of one day."""

    event_id: str
    seq: int
    occurred_on: dt.date
    type: str
    member_id: str
    data: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    org_unit_id: str
    kind: str
    created_on: dt.date
    closed_on: dt.date | None = None
    merged_into: str | None = None

    def open_on(self, day: dt.date) -> bool:
        return self.created_on <= day and (self.closed_on is None or day < self.closed_on)


@dataclass(frozen=True)
class Stint:
    """A member attends ``org_unit_id`` from ``start`` (inclusive) to ``end`` (exclusive, None: still)."""

    member_id: str
    org_unit_id: str
    start: dt.date
    end: dt.date | None
    temporary: bool = False

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


Period = tuple[dt.date, dt.date | None]


@dataclass(frozen=True)
class Timeline:
    member_id: str
    stints: tuple[Stint, ...] = ()
    exemptions: tuple[Period, ...] = ()
    away: tuple[Period, ...] = ()
    admitted_on: dt.date | None = None

    def stint_on(self, day: dt.date) -> Stint | None:
        return next((s for s in self.stints if s.covers(day)), None)

    def exempt_on(self, day: dt.date) -> bool:
        return any(_covers(p, day) for p in self.exemptions)

    def away_on(self, day: dt.date) -> bool:
        return any(_covers(p, day) for p in self.away)


@dataclass(frozen=True)
class RosterEntry:
    """A member on a cell's roster on one day. Exempt members are listed but not expected."""

    member_id: str
    temporary: bool = False
    exempt: bool = False
    working_away: bool = False

    @property
    def expected(self) -> bool:
        return not self.exempt


def _covers(p: Period, day: dt.date) -> bool:
    return p[0] <= day and (p[1] is None or day < p[1])


def fact_from(event_id: str, seq: int, type_: str, occurred_on, data: Mapping) -> Fact | None:
    """A Fact from a stored event or an import line; None for events the roster ignores."""
    if type_ not in MEMBER_TYPES:
        return None
    day = occurred_on if isinstance(occurred_on, dt.date) else dt.date.fromisoformat(str(occurred_on))
    kept = {k: data[k] for k in KEPT_FIELDS if data.get(k) is not None}
    return Fact(event_id, seq, day, type_, data["member_id"], kept)


def apply_unit_event(units: dict[str, Unit], type_: str, occurred_on, data: Mapping) -> None:
    """Org units: creation date, and the date a unit stopped (merged into another, dissolved)."""
    day = occurred_on if isinstance(occurred_on, dt.date) else dt.date.fromisoformat(str(occurred_on))
    uid = data["org_unit_id"]
    if type_ == "org_unit.created":
        units.setdefault(uid, Unit(uid, data["kind"], day))
    elif uid in units and type_ == "org_unit.merged":
        u = units[uid]
        units[uid] = Unit(uid, u.kind, u.created_on, day, data["into_org_unit_id"])
    elif uid in units and type_ == "org_unit.dissolved":
        u = units[uid]
        units[uid] = Unit(uid, u.kind, u.created_on, day, None)


def merges_of(units: Iterable[Unit]) -> dict[str, tuple[str, dt.date]]:
    return {u.org_unit_id: (u.merged_into, u.closed_on) for u in units if u.merged_into and u.closed_on}


def resolve(cell: str, day: dt.date, merges: Mapping[str, tuple[str, dt.date]]) -> str:
    """The cell that ``cell`` has become by ``day`` (following merges; guarded against loops)."""
    seen = set()
    while cell in merges and merges[cell][1] <= day and cell not in seen:
        seen.add(cell)
        cell = merges[cell][0]
    return cell


def _split_by_merges(s: Stint, merges: Mapping[str, tuple[str, dt.date]]) -> list[Stint]:
    """Members of a merged cell carry on, from the merge date, in the cell it merged into."""
    out, cell, start, seen = [], resolve(s.org_unit_id, s.start, merges), s.start, set()
    while cell in merges and cell not in seen and (s.end is None or merges[cell][1] < s.end):
        seen.add(cell)
        into, on = merges[cell]
        if on > start:
            out.append(Stint(s.member_id, cell, start, on, s.temporary))
            start = on
        cell = into
    out.append(Stint(s.member_id, cell, start, s.end, s.temporary))
    return out


def timeline(member_id: str, facts: Iterable[Fact], merges: Mapping[str, tuple[str, dt.date]] = {}) -> Timeline:
    """Fold a member's facts (any order; sorted here by business date) into dated intervals."""
    raw: list[Stint] = []
    exemptions: list[Period] = []
    away: list[Period] = []
    home = cell = None
    since: dt.date | None = None
    temporary = False
    exempt_since: dt.date | None = None
    exempt_until: dt.date | None = None
    away_since: dt.date | None = None
    admitted_on = None

    def close_stint(day):
        nonlocal cell, since
        if cell is not None and since is not None and day > since:
            raw.append(Stint(member_id, cell, since, day, temporary))
        cell, since = None, None

    def close_exemption(day):
        nonlocal exempt_since, exempt_until
        if exempt_since is not None:
            end = day if exempt_until is None else min(day, exempt_until + dt.timedelta(days=1))
            exemptions.append((exempt_since, end))
        exempt_since = exempt_until = None

    def close_away(day):
        nonlocal away_since
        if away_since is not None:
            away.append((away_since, day))
        away_since = None

    for f in sorted(facts, key=lambda f: (f.occurred_on, f.seq)):
        d, day = f.data, f.occurred_on
        if f.type in ("member.admitted", "member.transferred_in"):
            close_stint(day)
            home = cell = d["org_unit_id"]
            since, temporary = day, False
            if f.type == "member.admitted":
                admitted_on = day
            elif d.get("admitted_on"):  # a transfer in carries the day of the admission elsewhere
                admitted_on = dt.date.fromisoformat(str(d["admitted_on"]))
        elif f.type == "member.transferred":
            if home is None and cell is None:
                continue  # not a member (any more) on that date: a transfer cannot bring them back
            close_stint(day)
            cell, since = d["to_org_unit_id"], day
            if d.get("kind") == "official" or home is None:
                home, temporary = cell, False
            else:  # temporary members attend at the host cell; coming back home ends it
                temporary = resolve(cell, day, merges) != resolve(home, day, merges)
        elif f.type == "member.temporary_transfer_ended":
            if temporary and home is not None:  # back on the home cell's roster from that day
                close_stint(day)
                cell, since, temporary = home, day, False
        elif f.type in LEAVING:
            close_stint(day)
            close_exemption(day)
            close_away(day)
            home = None
        elif f.type == "member.exempted":
            close_exemption(day)
            exempt_since = day
            exempt_until = dt.date.fromisoformat(str(d["until"])) if d.get("until") else None
        elif f.type == "member.exemption_ended":
            close_exemption(day)
        elif f.type == "member.working_away_started":
            close_away(day)
            away_since = day
        elif f.type == "member.working_away_ended":
            close_away(day)
    if cell is not None and since is not None:
        raw.append(Stint(member_id, cell, since, None, temporary))
    if exempt_since is not None:
        exemptions.append((exempt_since, exempt_until + dt.timedelta(days=1) if exempt_until else None))
    if away_since is not None:
        away.append((away_since, None))
    stints = tuple(s for r in raw for s in _split_by_merges(r, merges))
    return Timeline(member_id, stints, tuple(exemptions), tuple(away), admitted_on)


def entry_on(t: Timeline, cell: str, day: dt.date) -> RosterEntry | None:
    s = t.stint_on(day)
    if s is None or s.org_unit_id != cell:
        return None
    return RosterEntry(t.member_id, s.temporary, t.exempt_on(day), t.away_on(day))


def roster_on(timelines: Iterable[Timeline], cell: str, day: dt.date) -> list[RosterEntry]:
    """Everyone on ``cell``'s roster on ``day``, sorted by member id."""
    out = [e for t in timelines if (e := entry_on(t, cell, day)) is not None]
    return sorted(out, key=lambda e: e.member_id)
