"""Early-warning lists kept as dated spans per member (issue 15), so a page of the province's
list costs in proportion to the page, not to the members.

Each warning of a member (``early_warnings``) holds on a run of days: a probation overdue from
the day after its due date until recognition is decided, a transfer's papers from the day after
the 30 working days until they are presented, an absence list of a year from the first unexcused
absence of that year to the year's end … and only while the member is in a unit. ``warn_spans
(kind, org_unit_id, member_id, from_on, to_on, due_on)`` holds those runs, cut by the member's
stints (the unit the member is in on the day), so the list on a day D is the spans with
``from_on <= D < to_on``. ``warn_counts`` holds +1 / −1 per (kind, unit, day) where spans start
and end (a yearly list's under ``kind/year``), so the size of every (kind, unit) group on D — the
totals and where a page starts — is a sum over rows per unit and day, read once per change of the
spans or the tree (kept in memory, ``tree_cache``); a page then reads its groups' spans. Official
members per unit (``_official`` spans) give the cells below the Charter's minimum the same way.

A member's spans are a function of that member's facts, stints, unexcused absences and dues, all
as recorded by now: the live projection recomputes the spans of the members a delivery named
(``WarningSpans``, in the same transaction), a replay builds them in one pass (``build``). So
the spans serve a list "as known now" (or at a time at or after the latest recording,
``usable``); a list as known at an earlier time, or for a year other than the one of its day, is
computed from the fact tables as before. The unexcused absences of units whose place in the
chosen unit's tree (as it stood) changed during the year are read from the fact tables too (the
absence's own day decides there).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import uuid
from collections import Counter
from typing import Iterable

from shared.dates import add_months
from shared.dates import add_working_days as _add_working_days
from shared.events import Envelope, format_recorded_at
from shared.partitioning import Partition
from shared.readmodel import ReadModelDB, Tx, lock_names, text_array
from shared.rules import rules_on

from services.reporting.daycounts import add_counts, latest_slot
from services.reporting.early_warnings import absent_months, asks_for_papers, exemption_closed, papers_superseded
from services.reporting.periods import ALL_KNOWN, vn_date
from services.reporting import tree_cache, warning_marks
from services.reporting.view import View


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``shared.dates.add_working_days``, remembered: a province's admissions share a few dates (each
    would count ~45 days one by one for the recognition's due day). Keyed by the holiday file too,
    as the holiday tables are."""
    return _working_days_after(day, n, os.environ.get("DANGVIEN_HOLIDAYS"))


@functools.lru_cache(maxsize=4096)
def _working_days_after(day: dt.date, n: int, holidays: str | None) -> dt.date:
    return _add_working_days(day, n)


TABLES = ("warn_spans", "warn_counts", "warn_built", warning_marks.TABLE)

DDL = """
CREATE TABLE IF NOT EXISTS {p}warn_spans (
    kind TEXT NOT NULL, org_unit_id TEXT NOT NULL, member_id TEXT NOT NULL, from_on TEXT NOT NULL,
    to_on TEXT, due_on TEXT);
CREATE INDEX IF NOT EXISTS {p}warn_spans_key ON {p}warn_spans (kind, org_unit_id, member_id, from_on);
CREATE INDEX IF NOT EXISTS {p}warn_spans_member ON {p}warn_spans (member_id);
CREATE TABLE IF NOT EXISTS {p}warn_counts (
    kind TEXT NOT NULL, org_unit_id TEXT NOT NULL, day TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (kind, org_unit_id, day));
CREATE INDEX IF NOT EXISTS {p}warn_counts_cover ON {p}warn_counts (kind, org_unit_id, day, n);
CREATE INDEX IF NOT EXISTS {p}warn_counts_zero ON {p}warn_counts (n) WHERE n = 0;
CREATE TABLE IF NOT EXISTS {p}warn_built (id INTEGER PRIMARY KEY, latest_rec TEXT, version TEXT)
"""

#: lists judged over a year (counted from its first day): their spans never cross a year's end
YEARLY = ("not_complete_twice", "unexcused_absences", "unpaid_dues")
#: lists of a due date: the value is the days past it
OVERDUE = ("exemption_overdue", "new_member_class_overdue", "recognition_overdue", "remediation_overdue",
           "transfer_papers_overdue", "working_away_overdue")
OFFICIAL = "_official"  # official members per unit (cells below the minimum)
CELLS = "cell_below_minimum"
UNTIL = "9999-12-31"

Span = tuple  # (kind, unit, member, from_on, to_on | None, due_on | None)


def ddl(prefix: str) -> str:
    return DDL.replace("{p}", prefix) + ";\n" + warning_marks.ddl(prefix)


# -- a member's spans (pure) ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=8192)
def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _segments(stints: Iterable[tuple]) -> list[tuple[str, str, str | None]]:
    """(unit, from, to) the member is in a unit, as the lists see it on a day: a stint holds from
    its start to (not including) its end; of stints holding the same day, the latest (seq) wins."""
    stints = sorted(stints)
    bounds = sorted({s[2] for s in stints} | {s[3] for s in stints if s[3] is not None})
    out: list[list] = []
    for i, day in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        unit = None
        for seq, u, a, b in stints:
            if a <= day and not (b is not None and b <= day):
                unit = u
        if unit is None:
            continue
        if out and out[-1][0] == unit and out[-1][2] == day:
            out[-1][2] = end
        else:
            out.append([unit, day, end])
    return [tuple(s) for s in out]


def _cut(kind: str, member: str, segs, a: str, b: str | None, due: str | None) -> list[Span]:
    """The run [a, b) on the days the member is in a unit, one span per unit."""
    out = []
    for unit, sa, sb in segs:
        lo = max(a, sa)
        hi = b if sb is None else (sb if b is None else min(b, sb))
        if hi is None or lo < hi:
            out.append((kind, unit, member, lo, hi, due))
    return out


def _admission_dues(occurred: str, memo: dict) -> tuple[str, str]:
    """(recognition due, new-member class due) of an admission on ``occurred``: a function of the
    day (the rules and holidays in force), kept in ``memo`` for one pass (many admissions share a
    day; counting 45 working days is most of a member's spans otherwise)."""
    got = memo.get(("admitted", occurred))
    if got is None:
        start = dt.date.fromisoformat(occurred)
        rules = rules_on(start)
        got = memo[("admitted", occurred)] = (
            add_working_days(add_months(start, rules.probation_months), rules.recognition_working_days).isoformat(),
            add_months(start, rules.new_member_class_within_months).isoformat())
    return got


#: the due dates counted so far (``_admission_dues``, ``_transfer_due``), kept between passes (a
#: live batch's members were mostly admitted on days an earlier batch counted already), for the
#: holiday file and rule table they were counted with; bounded
_DUE_MEMO: dict = {}
_DUE_MEMO_KEY: list = [None]
DUE_MEMO_SIZE = 20_000


def due_memo() -> dict:
    """The memo of due dates for a pass: the one kept between passes, emptied when the holiday
    file or the rule table changed since (or when it grew past ``DUE_MEMO_SIZE``)."""
    from shared.rules import RULE_TABLE
    key = (os.environ.get("DANGVIEN_HOLIDAYS"), len(RULE_TABLE))
    if _DUE_MEMO_KEY[0] != key or len(_DUE_MEMO) > DUE_MEMO_SIZE:
        _DUE_MEMO.clear()
        _DUE_MEMO_KEY[0] = key
    return _DUE_MEMO


def _transfer_due(occurred: str, memo: dict) -> str:
    """The day a transfer on ``occurred`` must have its papers presented by (as ``_admission_dues``)."""
    got = memo.get(("transferred", occurred))
    if got is None:
        start = dt.date.fromisoformat(occurred)
        got = memo[("transferred", occurred)] = add_working_days(
            start, rules_on(start).transfer_papers_working_days).isoformat()
    return got


def member_spans(member: str, facts: list[tuple[str, str, str, str | None]], stints: list[tuple],
                 absences: list[tuple[str, str]], dues: dict[str, str], admitted: bool,
                 memo: dict | None = None) -> list[Span]:
    """Every warning span of one member, and the runs the member counts as official in a unit.

    ``facts``: (type, occurred_on, recorded_at, detail JSON) of the member; ``stints``: (seq, unit,
    from_on, to_on); ``absences``: (unit, day) of each unexcused absence; ``dues``: month → the
    latest status recorded; ``admitted``: admitted here (not transferred in: official already);
    ``memo``: due dates already counted in this pass (``_admission_dues``)."""
    memo = {} if memo is None else memo
    segs = _segments(stints)
    by_type: dict[str, list[tuple[str, str, dict]]] = {}
    for type_, occurred, rec, detail in facts:
        by_type.setdefault(type_, []).append((occurred, rec, json.loads(detail) if detail and detail != "{}" else {}))
    out: list[Span] = []
    recognised = min((d.get("decided_on") or o for o, _, d in by_type.get("member.recognized_official", ())),
                     default=None)
    for occurred, _, _ in by_type.get("member.admitted", ()):
        due, class_due = _admission_dues(occurred, memo)
        out += _cut("recognition_overdue", member, segs, _next_day(due), recognised, due)
        due = class_due
        ends = [o for o, _, _ in by_type.get("member.new_member_class_completed", ())]
        ends += [recognised] if recognised else []
        out += _cut("new_member_class_overdue", member, segs, max(occurred, _next_day(due)), min(ends, default=None),
                    due)
    presented = [o for o, _, _ in by_type.get("member.transfer_papers_presented", ())]
    transfers = sorted((o, r) for t in ("member.transferred", "member.transferred_in")
                       for o, r, d in by_type.get(t, ()) if asks_for_papers(d))
    days = [o for o, _ in transfers]
    for occurred, replaced in zip(days, papers_superseded(days)):
        due = _transfer_due(occurred, memo)
        ends = [o for o in presented if o >= occurred] + ([replaced] if replaced else [])
        out += _cut("transfer_papers_overdue", member, segs, max(occurred, _next_day(due)), min(ends, default=None), due)
    completed = by_type.get("member.remediation_completed", ())
    for occurred, _, d in by_type.get("member.remediation_planned", ()):
        if d.get("due_on"):
            due = dt.date.fromisoformat(d["due_on"]).isoformat()
            done = [o for o, _, x in completed if str(x.get("year")) == str(d.get("year"))]
            out += _cut("remediation_overdue", member, segs, max(occurred, _next_day(due)), min(done, default=None), due)
    exempted = by_type.get("member.exempted", ())
    ended = [o for o, _, _ in by_type.get("member.exemption_ended", ())]
    for started, _, d in exempted:
        until = d.get("until")
        if until:
            until = dt.date.fromisoformat(until).isoformat()
            out += _cut("exemption_overdue", member, segs, max(started, _next_day(until)),
                        exemption_closed(started, ended, [o for o, _, _ in exempted]), until)
    out += _working_away(member, segs, by_type)
    out += _yearly(member, segs, by_type, absences, dues)
    if not admitted:  # transferred in: official already
        out += _cut(OFFICIAL, member, segs, "0000-01-01", None, None)
    elif recognised:
        out += _cut(OFFICIAL, member, segs, recognised, None, None)
    return out


def _working_away(member: str, segs, by_type: dict) -> list[Span]:
    """The latest start or end of working away dated by a day governs from that day to the next."""
    events = sorted([(o, r, t, d) for t in ("member.working_away_started", "member.working_away_ended")
                     for o, r, d in by_type.get(t, ())], key=lambda x: (x[0], x[1]))
    days = sorted({e[0] for e in events})
    latest = {e[0]: e for e in events}  # the last in order of each day
    out: list[Span] = []
    for i, day in enumerate(days):
        _, _, type_, d = latest[day]
        end = days[i + 1] if i + 1 < len(days) else None
        if type_ != "member.working_away_started":
            continue
        due = d.get("expected_return")
        if due:
            due = dt.date.fromisoformat(due).isoformat()
            lo = max(day, _next_day(due))
            if end is None or lo < end:
                out += _cut("working_away_overdue", member, segs, lo, end, due)
        if not d.get("has_contact", True):
            out += _cut("working_away_no_contact", member, segs, day, end, day)
    return out


def _yearly(member: str, segs, by_type: dict, absences: list[tuple[str, str]], dues: dict[str, str]) -> list[Span]:
    out: list[Span] = []
    given: dict[int, list[tuple[str, str, str]]] = {}  # year rated → (day given, recorded, rating)
    for occurred, rec, d in by_type.get("member.rated", ()):
        if "year" in d and "rating" in d:
            given.setdefault(int(d["year"]), []).append((occurred, rec, d["rating"]))
    for year in sorted(given):
        if year - 1 not in given or not 1 <= year < 9999:
            continue
        first, after = f"{year:04d}-01-01", f"{year + 1:04d}-01-01"
        # the days in the year on which either rating may change: the list holds between them
        days = sorted({first} | {o for y in (year - 1, year) for o, _, _ in given[y] if first < o < after})
        since = None
        for i, day in enumerate(days + [after]):
            twice = day != after and all(rating_on(given[y], day) == "not_complete" for y in (year - 1, year))
            if twice and since is None:
                since = day
            elif not twice and since is not None:
                out += _cut("not_complete_twice", member, segs, since, day, None)
                since = None
    first: dict[tuple[str, str], str] = {}  # (unit, year) → the first unexcused absence
    for unit, day in absences:
        key = (unit, day[:4])
        first[key] = min(first.get(key, day), day)
    for (unit, year), day in first.items():
        out.append(("unexcused_absences", unit, member, day, f"{int(year) + 1:04d}-01-01", None))
    unpaid: dict[str, str] = {}  # year → the first unpaid month
    for month, status in dues.items():
        if status == "unpaid" and len(month) == 7 and month[4] == "-":
            unpaid[month[:4]] = min(unpaid.get(month[:4], month), month)
    for year, month in unpaid.items():
        out += _cut("unpaid_dues", member, segs, f"{month}-01", f"{int(year) + 1:04d}-01-01", None)
    return out


def rating_on(given: list[tuple[str, str, str]], day: str) -> str | None:
    """The rating of a year as it stood on ``day``: the latest given by then ((day given, recorded)
    order; a correction given later replaces it from its own day)."""
    return max(((o, r, rating) for o, r, rating in given if o <= day), default=(None, None, None))[2]


def deltas(spans: Iterable[Span]) -> Counter:
    """+1 where a span starts, −1 where it ends, per (kind, unit, day); a yearly list's under
    ``kind/year`` (a page of one year reads that year's rows only), with no −1 at the year's end."""
    out: dict = {}  # a dict, then one Counter: ``Counter[key] += 1`` costs a Python call per new key
    get = out.get
    for kind, unit, _, a, b, _ in spans:
        if kind in YEARLY:
            kind = f"{kind}/{a[:4]}"
            if b == f"{int(a[:4]) + 1:04d}-01-01":
                b = None
        key = (kind, unit, a)
        out[key] = get(key, 0) + 1
        if b is not None:
            key = (kind, unit, b)
            out[key] = get(key, 0) - 1
    return Counter(out)


# -- reading a member's inputs ---------------------------------------------------------------------------
FACT_TYPES = ("member.admitted", "member.recognized_official", "member.new_member_class_completed",
              "member.transferred", "member.transferred_in", "member.transfer_papers_presented",
              "member.remediation_planned", "member.remediation_completed", "member.exempted",
              "member.exemption_ended", "member.working_away_started", "member.working_away_ended", "member.rated")


#: the events that write what a member's spans are drawn from (facts, stints, absences, dues)
SPAN_EVENTS = frozenset(FACT_TYPES + ("member.transferred_out", "member.died", "member.removed", "member.resigned",
                                      "member.expelled", "meeting.missed", "dues.recorded"))


def _inputs(tx: Tx, p: str, members: list[str] | None):
    """(facts, stints, absences, dues, admitted, latest recording) of ``members`` (all: None)."""
    def where(col: str) -> tuple[str, list]:
        if members is None:
            return "", []
        return _among(tx, col, members)

    w, params = where("member_id")
    facts = facts_of(tx, p, w, params)
    stints: dict[str, list] = {}
    for member, seq, unit, a, b in tx.execute(
            f"SELECT member_id, seq, org_unit_id, from_on, to_on FROM {p}stints WHERE 1 = 1{w}", params).fetchall():
        stints.setdefault(member, []).append((seq, unit, a, b))
    absences: dict[str, list] = {}
    for member, unit, day in tx.execute(
            f"SELECT member_id, org_unit_id, MIN(occurred_on) FROM {p}absences WHERE excused = 0{w} "
            "GROUP BY member_id, org_unit_id, substr(occurred_on, 1, 4)", params).fetchall():
        absences.setdefault(member, []).append((unit, day))
    dues: dict[str, dict] = {}
    for member, month, status in tx.execute(
            f"SELECT member_id, month, status FROM {p}dues WHERE 1 = 1{w} ORDER BY member_id, month, recorded_at",
            params).fetchall():
        dues.setdefault(member, {})[month] = status  # the latest recorded status of the month
    admitted = {r[0] for r in tx.execute(f"SELECT member_id FROM {p}members WHERE admitted_on IS NOT NULL{w}",
                                         params).fetchall()}
    return facts, stints, absences, dues, admitted


def facts_of(tx: Tx, p: str, where: str = "", params: list = ()) -> dict[str, list]:
    """member → (type, occurred_on, recorded_at, detail) of each of the member's facts the spans
    are drawn from (``FACT_TYPES``), in the order they are read (of the members ``where`` names)."""
    types = ",".join("?" * len(FACT_TYPES))
    facts: dict[str, list] = {}
    for member, type_, occurred, rec, detail in tx.execute(
            f"SELECT member_id, type, occurred_on, recorded_at, detail FROM {p}member_facts WHERE type IN ({types}){where} "
            "ORDER BY member_id, occurred_on, recorded_at, event_id", [*FACT_TYPES, *params]).fetchall():
        facts.setdefault(member, []).append((type_, occurred, rec, detail))
    return facts


def _among(tx: Tx, col: str, members: list[str]) -> tuple[str, list]:
    """`` AND col`` among ``members``: on PostgreSQL one array parameter (the same statement text
    for any number of members, parsed once), on SQLite a list of ``?``. PostgreSQL plans a
    repeated statement once for any array; ``col = ANY(array)`` is then planned as a scan of the
    table testing each row against every member (60 ms per 500 members at 5,000 stints, before
    the table's statistics exist), while ``col IN (SELECT unnest(array))`` is joined to the list."""
    if tx.pg:  # the array as one literal (``text_array``): psycopg's list dumper adapts each element in Python
        return f" AND {col} IN (SELECT unnest(CAST(? AS text[])))", [text_array(members)]
    return f" AND {col} IN ({','.join('?' * len(members))})", list(members)


def _spans_of(tx: Tx, p: str, members: list[str] | None, before: list | None = None) -> list[Span]:
    """The spans of ``members`` (all: None) from what the tables hold; ``before``, if given (with
    ``members``), receives the members' spans stored now, read in the same statement."""
    if members is None:
        return spans_of(*_inputs(tx, p, None), None)
    return spans_of(*_member_inputs(tx, p, members, before), members)


def _member_inputs(tx: Tx, p: str, members: list[str], before: list | None = None):
    """``_inputs`` of a few members (a live batch's) in one statement, not five (a statement's own
    cost is most of a small batch's): the rows of each table tagged, in one order that keeps the
    order ``_inputs`` reads each in (facts by date, recording and id; dues by month and recording)."""
    w, params = _among(tx, "member_id", members)
    types = ",".join("?" * len(FACT_TYPES))
    parts = [(f"SELECT 0, member_id, occurred_on, recorded_at, event_id, type, detail FROM {p}member_facts "
              f"WHERE type IN ({types}){w}", [*FACT_TYPES, *params]),
             (f"SELECT 1, member_id, CAST(seq AS TEXT), org_unit_id, from_on, to_on, NULL FROM {p}stints "
              f"WHERE 1 = 1{w}", params),
             (f"SELECT 2, member_id, org_unit_id, MIN(occurred_on), NULL, NULL, NULL FROM {p}absences "
              f"WHERE excused = 0{w} GROUP BY member_id, org_unit_id, substr(occurred_on, 1, 4)", params),
             (f"SELECT 3, member_id, month, recorded_at, NULL, status, NULL FROM {p}dues WHERE 1 = 1{w}", params),
             (f"SELECT 4, member_id, NULL, NULL, NULL, NULL, NULL FROM {p}members WHERE admitted_on IS NOT NULL{w}",
              params)]
    if before is not None:
        parts.append((f"SELECT 5, member_id, kind, org_unit_id, from_on, to_on, due_on FROM {p}warn_spans "
                       f"WHERE 1 = 1{w}", params))
    facts: dict[str, list] = {}
    stints: dict[str, list] = {}
    absences: dict[str, list] = {}
    dues: dict[str, dict] = {}
    admitted: set[str] = set()
    for tag, member, a, b, c, d, e in tx.execute(" UNION ALL ".join(sql for sql, _ in parts) + " ORDER BY 1, 2, 3, 4, 5",
                                                 [x for _, ps in parts for x in ps]).fetchall():
        if tag == 0:
            facts.setdefault(member, []).append((d, a, b, e))
        elif tag == 1:
            stints.setdefault(member, []).append((int(a), b, c, d))
        elif tag == 2:
            absences.setdefault(member, []).append((a, b))
        elif tag == 3:
            dues.setdefault(member, {})[a] = d  # the latest recorded status of the month
        elif tag == 4:
            admitted.add(member)
        else:
            before.append((a, b, member, c, d, e))
    return facts, stints, absences, dues, admitted


def spans_of(facts: dict[str, list], stints: dict[str, list], absences: dict[str, list], dues: dict[str, dict],
             admitted: set[str], members: list[str] | None = None) -> list[Span]:
    """The spans of ``members`` (all: None, in member order) from their inputs, as ``_inputs``
    gives them (a replay gives them from what it folded in memory)."""
    out: list[Span] = []
    memo = due_memo()
    for member in (members if members is not None else sorted(set(facts) | set(stints) | set(absences) | set(dues))):
        out += member_spans(member, facts.get(member, []), stints.get(member, []), absences.get(member, []),
                            dues.get(member, {}), member in admitted, memo)
    return out


def _latest(tx: Tx, p: str, members: str | None = None) -> str | None:
    """The latest recording time of anything the spans (or the lists' scope) are drawn from;
    ``members``: that of the member tables (facts, absences, dues, stints) when the caller knows it."""
    tables = ("member_facts", "absences", "dues", "tree_facts", "units") if members is None else ("tree_facts", "units")
    parts = [tx.execute(f"SELECT MAX(recorded_at) FROM {p}{t}").fetchone()[0] for t in tables]
    if members is None:
        parts.append(tx.execute(f"SELECT MAX(from_rec) FROM {p}stints").fetchone()[0])
        parts.append(tx.execute(f"SELECT MAX(to_rec) FROM {p}stints").fetchone()[0])
    else:
        parts.append(members)
    return max((x for x in parts if x), default=None)


def _add_counts(tx: Tx, p: str, change: Counter) -> None:
    rows = sorted((*k, n) for k, n in change.items() if n)  # in one order: partitions lock rows alike
    if not rows:
        return
    # one statement (each key once: a Counter's; ``daycounts.add_counts``, which on PostgreSQL
    # deletes the rows it brings to 0 as it goes), then one DELETE of any row left at 0 (SQLite's,
    # or one a concurrent transaction inserted meanwhile): no row stands at 0 between two changes,
    # so they are this change's, found by their partial index, as ``daycounts.add`` finds its own
    add_counts(tx, f"{p}warn_counts", ("kind", "org_unit_id", "day"), rows)
    tx.execute(f"DELETE FROM {p}warn_counts WHERE n = 0")
    warning_marks.mark(tx, p, (r[1] for r in rows))  # a page's sizes of these units are summed again


def _indexes(p: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the secondary indexes in ``DDL``."""
    return [(f"{p}{statement.split()[5][3:]}", statement.strip().replace("{p}", p))
            for statement in DDL.split(";") if statement.strip().startswith("CREATE INDEX")]


def build(tx: Tx, p: str, inputs: tuple | None = None, drawn: tuple | None = None) -> int:
    """Fill the tables from the fact tables in one pass (a replay, or a generation built before
    them); returns the spans written. ``inputs``: what ``_inputs`` would read, and the latest
    recording time in the member tables (a replay passes what it folded in memory); ``drawn``:
    the spans of those inputs and the rows of their counts (``deltas``), drawn by another process."""
    tx.execute(f"DELETE FROM {p}warn_spans")
    tx.execute(f"DELETE FROM {p}warn_counts")
    rows = None
    if inputs is None:
        spans, member_latest = _spans_of(tx, p, None), None
    elif drawn is not None:
        (*_, member_latest), (spans, rows) = inputs, drawn
    else:
        *read, member_latest = inputs
        spans = spans_of(*read)
    indexes = _indexes(p)
    for name, _ in indexes:  # built after the rows: one sort each, not an entry per row
        tx.execute(f"DROP INDEX IF EXISTS {name}")
    if spans:
        tx.executemany(f"INSERT INTO {p}warn_spans (kind, org_unit_id, member_id, from_on, to_on, due_on) "
                       "VALUES (?, ?, ?, ?, ?, ?)", spans)
    if rows is None:
        rows = [(*k, n) for k, n in deltas(spans).items() if n]
    if rows:
        tx.executemany(f"INSERT INTO {p}warn_counts (kind, org_unit_id, day, n) VALUES (?, ?, ?, ?)", rows)
    for _, create in indexes:
        tx.execute(create)
    warning_marks.renew(tx, p)
    tx.execute(f"DELETE FROM {p}warn_built")
    latest = _latest(tx, p) if inputs is None else _latest(tx, p, member_latest or "")
    tx.execute(f"INSERT INTO {p}warn_built (id, latest_rec, version) VALUES (1, ?, ?)", (latest, _token()))
    return len(spans)


def ensure(db: ReadModelDB, prefix: str) -> None:
    """Create the tables of ``prefix`` and fill them once if the generation predates them."""
    db.executescript(ddl(prefix))
    if db.query(f"SELECT 1 FROM {prefix}warn_built WHERE id = 1"):
        warning_marks.ensure(db, prefix)
        return
    with db.transaction() as tx:
        if tx.pg:  # partition processes starting together: one fills, the others then find it filled
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"{prefix}warn_spans",))
        if not tx.execute(f"SELECT 1 FROM {prefix}warn_built WHERE id = 1").fetchone():
            build(tx, prefix)


# -- live maintenance ----------------------------------------------------------------------------------
class WarningSpans:
    """Hooks of the facts projection: ``note`` each applied event, ``end`` recomputes the spans of
    the members the batch named, in its transaction."""

    def __init__(self, prefix: str, partition: Partition = Partition()):
        self.p = prefix
        #: the row of ``warn_built`` this runner moves on: the whole projection's (1), or its
        #: partition's own (2 + i), so partitions never queue on one row; readers combine them
        self.slot = latest_slot(partition)
        self.enabled = True  # off while a replay loads the fact tables; ``build`` then fills them
        self._members: set[str] = set()
        self._latest = ""

    def note(self, e: Envelope) -> None:
        """Note a member whose spans the event may change (its facts, stints, unexcused absences,
        dues); other events change no span (the tree is judged when a page is read)."""
        if not self.enabled or e.type not in SPAN_EVENTS or (e.type == "meeting.missed" and e.data.get("excused")):
            return
        member = e.data.get("member_id") if isinstance(e.data, dict) else None
        if member:
            self._members.add(member)
            self._latest = max(self._latest, format_recorded_at(e.recorded_at))

    def abandon(self) -> None:
        self._members, self._latest = set(), ""

    def end(self, tx: Tx) -> None:
        """Recompute the spans of the members the batch named, under their locks (PostgreSQL): only
        the members whose spans changed are written again (those without spans before only
        inserted), and the batch's change of the counts goes as one statement at its end."""
        members, latest = sorted(self._members), self._latest
        self.abandon()
        if not self.enabled or not latest:
            return
        p = self.p
        if tx.pg:
            lock_members(tx, members)
        change: Counter = Counter()
        size = CHUNK_PG if tx.pg else CHUNK
        for i in range(0, len(members), size):
            chunk = members[i:i + size]
            before: list[Span] = []  # the chunk's spans stored now, read with their inputs
            new = _by_member(_spans_of(tx, p, chunk, before))
            old = _by_member(before)
            changed = [m for m in chunk if _differ(old.get(m), new.get(m))]
            if not changed:
                continue
            gone = [m for m in changed if m in old]  # a member without spans before has none to delete
            if gone:
                among, params = _among(tx, "member_id", gone)
                tx.execute(f"DELETE FROM {p}warn_spans WHERE 1 = 1{among}", params)
            rows = [s for m in changed for s in new.get(m, ())]
            if rows:  # one multi-row statement (PostgreSQL), not one per span
                tx.insert_rows(f"INSERT INTO {p}warn_spans (kind, org_unit_id, member_id, from_on, to_on, due_on) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)
            change.update(deltas(rows))
            change.subtract(deltas(s for m in gone for s in old[m]))
        _add_counts(tx, p, change)  # each (kind, unit, day) once for the whole batch
        # a new version on every delivery: what a page keeps in memory (``_sizes``) is read again
        note_built(tx, p, self.slot, latest)


#: members recomputed per round of statements (SQLite: a list of ``?``; PostgreSQL: one array)
CHUNK, CHUNK_PG = 500, 2000


def _by_member(spans: Iterable) -> dict[str, list[Span]]:
    """member → the member's spans (as tuples, in the order given)."""
    out: dict[str, list[Span]] = {}
    for s in spans:
        out.setdefault(s[2], []).append(tuple(s))
    return out


def _differ(old: list[Span] | None, new: list[Span] | None) -> bool:
    """Are two members' lists of spans different, whatever their order?"""
    if not old or not new:
        return bool(old) != bool(new)
    return len(old) != len(new) or Counter(old) != Counter(new)


def note_built(tx: Tx, p: str, slot: int, latest: str) -> None:
    """A new version, and the latest recording time moved on to ``latest``, in the runner's own
    row of ``warn_built``; spans not built yet (no row 1) stay unbuilt."""
    if slot == 1:
        tx.execute(f"UPDATE {p}warn_built SET version = ?, latest_rec = CASE WHEN latest_rec IS NULL "
                   "OR latest_rec < ? THEN ? ELSE latest_rec END WHERE id = 1", (_token(), latest, latest))
        return
    tx.execute(f"INSERT INTO {p}warn_built (id, latest_rec, version) SELECT ?, ?, ? WHERE EXISTS "
               f"(SELECT 1 FROM {p}warn_built WHERE id = 1) ON CONFLICT (id) DO UPDATE SET "
               f"version = excluded.version, latest_rec = CASE WHEN {p}warn_built.latest_rec IS NULL "
               f"OR {p}warn_built.latest_rec < excluded.latest_rec THEN excluded.latest_rec "
               f"ELSE {p}warn_built.latest_rec END", (slot, latest, _token()))


#: the class of the per-member advisory locks taken before a member's spans are recomputed
MEMBER_LOCK = 0x64765753


def lock_members(tx: Tx, members: list[str]) -> None:
    """Partitions sharing a PostgreSQL read model may recompute one member at once (an absence in
    the cell they left, applied by one partition, beside a fact of their new cell applied by the
    other): each reads the spans before the other's commit, and both write theirs. Locked one
    member at a time, in one order, the later one reads what the first wrote, and its own facts."""
    lock_names(tx, MEMBER_LOCK, members)


# -- the paged list --------------------------------------------------------------------------------------
def _token() -> str:
    return uuid.uuid4().hex


def built(db: ReadModelDB, prefix: str) -> tuple[bool, str | None, str | None]:
    """(are the spans built, the latest recording time in them, their version)."""
    try:
        rows = db.query(f"SELECT id, latest_rec, version FROM {prefix}warn_built ORDER BY id")
    except Exception:  # a generation of an older version, not yet opened by this one
        return False, None, None
    if not rows or rows[0][0] != 1:
        return False, None, None
    # the whole build's row and each partition's: the latest of them, and a version that changes
    # when any of them does (what a page keeps in memory is then read again)
    latest = max((r[1] for r in rows if r[1] is not None), default=None)
    return True, latest, ";".join(f"{i}:{v}" for i, _, v in rows)


def usable(v: View, year: int) -> bool:
    """Can the list of ``year`` on ``v`` be read from the spans? For everything recorded (or as
    known at a time at or after the latest recording), and a year that holds its day (a year after
    the as-of date is judged on that date: computed as before)."""
    ok, latest, _ = built(v.db, v.prefix)
    return ok and v.as_of >= dt.date(year, 1, 1) and (v.known == ALL_KNOWN or latest is None or v.known >= latest)


def page(v: View, org: str | None, year: int, page_no: int | None, page_size: int | None) -> dict:
    """One page of ``early_warnings.warnings(v, org, year)`` with its totals, read from the spans:
    the size of every (list, unit) group on the day, then the page's rows of the groups it spans."""
    from services.reporting import early_warnings, paging
    end = min(dt.date(year, 12, 31), v.as_of)
    day, first_day = end.isoformat(), f"{year:04d}-01-01"
    sizes, inline = _sizes(v, org, year, end)
    total = sum(n for _, n in sizes)
    size = page_size or paging.DEFAULT_PAGE_SIZE
    number = page_no or 1
    first, last = (number - 1) * size, number * size
    rows: list[dict] = []
    at = 0
    limit = rules_on(end).removal_unexcused_months_in_year
    for key, n in sizes:
        if at + n > first and at < last:
            skip, take = max(0, first - at), min(n, last - at) - max(0, first - at)
            if key in inline:
                rows += [dict(r) for r in inline[key][skip:skip + take]]  # kept rows stay as kept
            else:
                rows += _group_rows(v, org, key, day, first_day, skip, take, limit)
        at += n
        if at >= last:
            break
    named_on = v.naming_day(dt.date(year, 1, 1), dt.date(year, 12, 31))
    names = _names(v, {r["org_unit_id"] for r in rows}, named_on)
    for r in rows:
        r["unit_name"] = names.get(r["org_unit_id"], r["org_unit_id"])
        r["label_vi"] = early_warnings.LISTS_VI[r["list"]]
    return {**v.meta("warnings", org, named_on, year=year), "rows": rows, "total": total, "page": number, "page_size": size,
            "pages": max(1, math.ceil(total / size))}


def _sizes(v: View, org: str | None, year: int, end: dt.date) -> tuple[list, dict]:
    """([((list, unit), rows on ``end``)] in the list's order, the groups computed whole), kept
    in memory and, after a change, summed again only for the units it changed (``warning_pages``)."""
    from services.reporting import warning_pages
    return warning_pages.sizes(v, org, year, end)


def forget() -> None:
    """Drop the group sizes kept in memory (a bench timing the first page after a change)."""
    from services.reporting import warning_pages
    warning_pages.forget()


def _in_scope(v: View, org: str | None, end: dt.date):
    if not org:
        return lambda unit: True
    inside = tree_cache.cached(v, "inside", lambda: v.inside(org, end, end), org, end, daily=False)
    return inside.__contains__


#: lists of a due date or a state (counted from every day before), and lists of a year
SPANNING = ("exemption_overdue", "new_member_class_overdue", "recognition_overdue", "remediation_overdue",
            "transfer_papers_overdue", "working_away_no_contact", "working_away_overdue")


def _group_sizes(v: View, org: str | None, day: str, first_day: str) -> dict[tuple[str, str], int]:
    """(list, unit) → warnings on ``day`` in each unit of ``org``'s tree on that day: one indexed
    scan of each list's rows per unit and day (in key order, no sort)."""
    c = v.t("warn_counts")
    in_scope = _in_scope(v, org, dt.date.fromisoformat(day))
    out: dict[tuple[str, str], int] = {}
    for kind in SPANNING + YEARLY:
        counted = f"{kind}/{first_day[:4]}" if kind in YEARLY else kind
        for unit, n in v.q(f"SELECT org_unit_id, SUM(n) FROM {c} WHERE kind = ? AND day <= ? GROUP BY org_unit_id",
                           (counted, day)):
            if n and in_scope(unit):
                out[(kind, unit)] = int(n)
    return out


def _group_rows(v: View, org: str | None, key: tuple[str, str], day: str, first_day: str, skip: int, take: int,
                limit: int) -> list[dict]:
    kind, unit = key
    # a group is one unit's members: read whole, ordered here as the whole list is (by code point)
    spans = sorted(v.q(f"SELECT member_id, due_on, from_on FROM {v.t('warn_spans')} WHERE kind = ? "
                       "AND org_unit_id = ? AND from_on <= ? AND (to_on IS NULL OR to_on > ?)",
                       (kind, unit, day, day)), key=lambda r: (r[0], r[1] or "", r[2]))
    spans = [(m, due) for m, due, _ in spans[skip:skip + take]]
    on = dt.date.fromisoformat(day)
    if kind in ("unexcused_absences", "unpaid_dues"):
        counts = _yearly_counts(v, org, kind, unit, [m for m, _ in spans], first_day, day)
        return [{"list": kind, "member_id": m, "org_unit_id": unit, "value": counts.get(m, 0),
                 "level": _level(counts.get(m, 0), limit)} for m, _ in spans]
    if kind == "not_complete_twice":
        return [{"list": kind, "member_id": m, "org_unit_id": unit, "value": 2, "level": "screening"}
                for m, _ in spans]
    out = []
    for member, due in spans:
        since = dt.date.fromisoformat(due)
        out.append({"list": kind, "member_id": member, "org_unit_id": unit, "value": (on - since).days,
                    "level": "overdue" if kind in OVERDUE else "warning", "since": vn_date(since)})
    return out


def _level(n: int, limit: int) -> str:
    return "removal_ground" if n >= limit else "warning"


def _yearly_counts(v: View, org: str | None, kind: str, unit: str, members: list[str], first_day: str,
                   day: str) -> dict[str, int]:
    """Months of the year up to ``day`` counted for the page's members (as ``early_warnings``)."""
    if not members:
        return {}
    marks = ",".join("?" * len(members))
    if kind == "unexcused_absences":  # the member's months of the year, in any unit
        return absent_months(v, members, first_day, day)
    d = v.t("dues")
    return dict(v.q(f"SELECT d.member_id, COUNT(*) FROM {d} d WHERE d.member_id IN ({marks}) AND d.month BETWEEN ? AND ? "
                    f"AND d.recorded_at = (SELECT MAX(x.recorded_at) FROM {d} x WHERE x.member_id = d.member_id "
                    "AND x.month = d.month) AND d.status = 'unpaid' GROUP BY d.member_id",
                    [*members, first_day[:7], day[:7]]))


def _inline_groups(v: View, org: str | None, year: int, end: dt.date,
                   official: dict[str, int] | None = None) -> dict[tuple[str, str], list[dict]]:
    """Groups computed whole: the cells below the minimum (one row per unit), and the unexcused
    absences of units that entered or left ``org``'s tree (as it stood) during the year."""
    if official is None:  # official members per unit on the day
        official = {u: int(n) for u, n in v.q(f"SELECT org_unit_id, SUM(n) FROM {v.t('warn_counts')} WHERE kind = ? "
                                              "AND day <= ? GROUP BY org_unit_id", (OFFICIAL, end.isoformat()))}
    return {**_cell_groups(v, org, end, official), **_moved_groups(v, org, year, end)}


def _cell_groups(v: View, org: str | None, end: dt.date, official: dict[str, int],
                 only: set[str] | None = None) -> dict[tuple[str, str], list[dict]]:
    """The cells below the minimum (of the units ``only``, if given)."""
    from services.reporting.early_warnings import _small_cells_of, member_holding
    cells = tree_cache.cached(v, "member_holding", lambda: member_holding(v), daily=False)
    if only is not None:
        cells = [c for c in cells if c[0] in only]
    return {(CELLS, r["org_unit_id"]): [r] for r in _small_cells_of(v, official, _in_scope(v, org, end), end, cells)}


def _moved_groups(v: View, org: str | None, year: int, end: dt.date) -> dict[tuple[str, str], list[dict]]:
    """The unexcused absences of units that entered or left ``org``'s tree (as it stood) during
    the year, computed from the fact tables."""
    out: dict[tuple[str, str], list[dict]] = {}
    day = end.isoformat()
    if org and v.dated:
        first = f"{year:04d}-01-01"
        moved = [r[0] for r in v.q(f"SELECT DISTINCT descendant FROM {v.t('dclosure')} WHERE ancestor = ? "
                                   "AND ((from_on > ? AND from_on <= ?) OR (to_on > ? AND to_on <= ?))",
                                   (org, first, day, first, day))]
        if moved:
            limit = rules_on(end).removal_unexcused_months_in_year
            cond, params = v.subtree("a.org_unit_id", org, on="a.occurred_on")
            for unit in moved:
                out[("unexcused_absences", unit)] = []
            marks = ",".join("?" * len(moved))
            found = v.q(f"SELECT DISTINCT a.member_id, a.org_unit_id "
                        f"FROM {v.t('absences')} a WHERE a.org_unit_id IN ({marks}) AND a.excused = 0 "
                        f"AND a.occurred_on BETWEEN ? AND ? AND {cond} ORDER BY a.member_id",
                        [*moved, first, day, *params])
            months = absent_months(v, sorted({m for m, _ in found}), first, day)  # the member's year, any unit
            for member, unit in found:
                n = months.get(member, 0)
                out[("unexcused_absences", unit)].append(
                    {"list": "unexcused_absences", "member_id": member, "org_unit_id": unit, "value": n,
                     "level": _level(n, limit)})
    return out


def _names(v: View, units: set[str], on: dt.date) -> dict[str, str]:
    """The units' names as they were on ``on`` (``View.names_then``)."""
    if not units:
        return {}
    ids = sorted(units)
    return v.names_then(dict(v.q(f"SELECT org_unit_id, name FROM {v.t('units')} "
                                 f"WHERE org_unit_id IN ({','.join('?' * len(ids))})", ids)), on)
