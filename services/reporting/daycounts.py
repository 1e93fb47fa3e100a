"""Pre-aggregated counts per unit and day (issue 15), kept by the facts projection in the same
transaction as the fact rows and the checkpoint.

``day_counts (indicator, org_unit_id, day, n)`` holds, per unit of the fact (its own unit, never
its ancestors) and business day:

- ``member.admitted`` / ``removed`` / ``resigned`` / ``expelled`` and ``case.member`` /
  ``case.org_unit`` (decisions not annulled): how many subjects have exactly one such fact,
  dated that day in that unit. A subject with two or more (a member re-admitted, a member
  disciplined twice) is listed in ``day_repeats`` instead and counted from the fact tables, so
  the term table's ``COUNT(DISTINCT …)`` stays exact;
- ``head``: +1 where a membership stint starts, −1 where it ends, so a unit's headcount on a day
  is the sum of its rows up to that day;
- ``in`` / ``out`` (``in0`` / ``out0`` for stints of no length): stints started / ended that day
  in the unit, by how (admitted, moved …) and the other unit of a move (``FLOWS``), from which the
  movement table (Biểu 1) is summed per unit and day (``daycount_queries.movement``).

The ancestors a fact counts in are found when the report is read, by joining the dated closure
on the row's day (or today's closure on ``structure=current``), so a unit moved or merged later —
even by an event recorded afterwards with an earlier date — needs no rewrite here. A report then
reads rows per unit and day with a change, not per member.

The counts hold every fact however late it was recorded, so a report "as known at" a recording
time is served from them only when that time is at or after ``latest_rec``, the latest recording
time of any event counted here (a yearly report "as known now"); one asking about an earlier
moment reads the fact tables as before (``daycount_queries.usable``). The tables are derived
from the fact tables (rebuilt by ``build``; a generation built before them is filled on start),
so the replay checksum, which covers the fact tables, is unchanged.

Each event touching a subject is applied as a difference: the subject's contribution is read
from the fact tables before and after the fact handler ran, and only the change is written. A
live batch reads its subjects once at its start; a member's stints and counted facts are then kept
in memory as the batch writes them (``DayCounts.begin``), only cases are read again at its end.
"""
from __future__ import annotations

from collections import Counter
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from shared.events import Envelope, format_recorded_at
from shared.partitioning import Partition
from shared.readmodel import ReadModelDB, Tx, int_array, text_array

TABLES = ("day_counts", "day_repeats", "day_counts_built", "day_flows_built")

DDL = """
CREATE TABLE IF NOT EXISTS {p}day_counts (
    indicator TEXT NOT NULL, org_unit_id TEXT NOT NULL, day TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (indicator, org_unit_id, day));
CREATE INDEX IF NOT EXISTS {p}day_counts_day ON {p}day_counts (indicator, day);
CREATE INDEX IF NOT EXISTS {p}day_counts_zero ON {p}day_counts (n) WHERE n = 0;
CREATE TABLE IF NOT EXISTS {p}day_repeats (
    indicator TEXT NOT NULL, subject_id TEXT NOT NULL, PRIMARY KEY (indicator, subject_id));
CREATE TABLE IF NOT EXISTS {p}day_counts_built (id INTEGER PRIMARY KEY, latest_rec TEXT);
CREATE TABLE IF NOT EXISTS {p}day_flows_built (id INTEGER PRIMARY KEY)
"""

#: member fact types counted by the term table (the indicator is the type)
MEMBER_TYPES = ("member.admitted", "member.removed", "member.resigned", "member.expelled")
#: member events that open or close a membership stint
STINT_TYPES = ("member.admitted", "member.transferred_in", "member.transferred", "member.transferred_out",
               "member.died", "member.removed", "member.resigned", "member.expelled")
HEAD = "head"
#: stint starts and ends (the movement table, Biểu 1), per unit and day: the row's unit is
#: ``unit|kind|other unit`` (the other end of a move); ``in0``/``out0`` are the ends of stints of
#: no length (ended the day they began, or before), which only the current structure shows
FLOWS = ("in", "out", "in0", "out0")
NO_UNIT = ""  # a fact without a unit: counted only province-wide


def ddl(prefix: str) -> str:
    return DDL.replace("{p}", prefix)


def case_indicator(subject_kind: str) -> str:
    return f"case.{subject_kind}"


# -- contributions: what one subject adds to the tables ------------------------------------------------
def _facts(tx: Tx, p: str, indicator: str, subject: str) -> list[tuple[str, str]]:
    if indicator.startswith("case."):
        rows = tx.execute(f"SELECT org_unit_id, decided_on FROM {p}cases WHERE subject_kind = ? AND subject_id = ? "
                          "AND annulled_rec IS NULL", (indicator[5:], subject)).fetchall()
    else:
        rows = tx.execute(f"SELECT org_unit_id, occurred_on FROM {p}member_facts WHERE member_id = ? AND type = ?",
                          (subject, indicator)).fetchall()
    return [(r[0] or NO_UNIT, r[1]) for r in rows]


#: what a subject adds to the counts when it has no fact, or two or more (read only)
NOTHING: Mapping = MappingProxyType({})


def distinct_part(indicator: str, facts: list[tuple[str, str]]) -> tuple[Mapping, bool]:
    """(counts, repeat): one fact counts on its day; two or more make the subject a repeat.
    The counts are a plain mapping, only read (added to a ``Counter``, or subtracted from one): an
    import asks this twice for every new member and indicator, and building a ``Counter`` each
    time showed in the profile of its catch-up."""
    if len(facts) == 1:
        return {(indicator, *facts[0]): 1}, False
    return NOTHING, len(facts) > 1


def flow_unit(unit: str, kind: str | None, other: str | None) -> str:
    return f"{unit}|{kind or ''}|{other or ''}"


def stint_deltas(stints: Iterable[tuple]) -> Counter:
    """+1 at a stint's start, −1 at its end (never before its start: a stint ended on a date
    before it began counts on no day, as the headcount's own condition has it); with the stint's
    kinds and other units (unit, from, to, from_kind, from_unit, to_kind, to_unit), its start and
    end as flows too."""
    out: Counter = Counter()
    for unit, from_on, to_on, *kinds in stints:
        out[(HEAD, unit, from_on)] += 1
        if to_on is not None:
            out[(HEAD, unit, max(from_on, to_on))] -= 1
        if kinds:
            from_kind, from_unit, to_kind, to_unit = kinds
            empty = to_on is not None and to_on <= from_on
            out[("in0" if empty else "in", flow_unit(unit, from_kind, from_unit), from_on)] += 1
            if to_on is not None:
                out[("out0" if empty else "out", flow_unit(unit, to_kind, to_unit), to_on)] += 1
    return out


STINT_COLUMNS = "org_unit_id, from_on, to_on, from_kind, from_unit, to_kind, to_unit"


def _stints(tx: Tx, p: str, member: str) -> list[tuple]:
    return tx.execute(f"SELECT {STINT_COLUMNS} FROM {p}stints WHERE member_id = ?", (member,)).fetchall()


# -- live maintenance ----------------------------------------------------------------------------------
class DayCounts:
    """Hooks around the facts projection's handlers: ``before`` reads what the event's subjects
    contribute now, ``after`` writes the difference once the handler has run."""

    def __init__(self, prefix: str, partition: Partition = Partition()):
        self.p = prefix
        self.enabled = True  # off while a replay loads the fact tables; ``build`` then fills them
        #: the row of ``day_counts_built`` whose ``latest_rec`` this runner moves on: the whole
        #: projection's (1), or its partition's own, so partitions never wait for each other on it
        self.slot = latest_slot(partition)
        #: called before the fact tables are read (the projection sends the writes it holds)
        self.before_read: Callable[[Tx], None] = lambda tx: None
        self.batch: dict | None = None
        self.ahead: dict = {}
        #: in a batch: the rows of its members' stints and counted facts, kept in memory (``begin``)
        self.rows: dict = {}
        #: out of a batch: what the event being applied counted before it (``before``, ``touch``)
        self._seen: list | None = None

    def subjects(self, tx: Tx, e: Envelope) -> list[tuple[str, str]]:
        d, t = e.data, e.type
        if t.startswith("member."):
            member = d.get("member_id")
            if not member:
                return []
            out = [(HEAD, member)] if t in STINT_TYPES else []
            return out + ([(t, member)] if t in MEMBER_TYPES else [])
        if t == "discipline.applied" and d.get("subject_kind") and d.get("subject_id"):
            return [(case_indicator(d["subject_kind"]), d["subject_id"])]
        if t == "discipline.annulled" and d.get("case_id"):
            row = tx.execute(f"SELECT subject_kind, subject_id FROM {self.p}cases WHERE case_id = ?",
                             (d["case_id"],)).fetchone()
            return [(case_indicator(row[0]), row[1])] if row else []
        return []

    def contribution(self, tx: Tx, indicator: str, subject: str) -> tuple[Mapping, bool]:
        self.before_read(tx)
        if indicator == HEAD:
            return stint_deltas(_stints(tx, self.p, subject)), False
        return distinct_part(indicator, _facts(tx, self.p, indicator, subject))

    # -- per batch: what each subject counted before the batch, the difference written once at its end
    def begin(self, tx: Tx, events: list[Envelope], ahead: bool = False) -> None:
        """Start a batch: read in bulk what the batch's subjects count now. Every event that
        changes what a subject counts names it (``subjects``), so a subject first met later in
        the batch (a decision annulled in the batch that applied it) still counts as it did at
        the start when first met; ``end`` writes the whole batch's difference in one go.
        ``ahead``: what the subjects count is only read ahead, and a subject joins the batch when
        an applied event first names it (a partition's batch holds events of others).

        A member's stints and counted facts read here are kept (``rows``) and changed by the
        projection's writes as it makes them (``stint_opened``, ``stint_closed``, ``fact_added``),
        so ``end`` counts them from memory: only the member's own stream changes them (the stream
        guard keeps it to one runner at a time), so what is kept is what a read at the end would
        give. Cases (written by other streams, under ``prepare``'s locks) are read again."""
        self.batch = None
        self.ahead = {}
        self.rows = {}
        self.latest: str | None = None
        if not self.enabled:
            return
        wanted = {s for e in events if not e.type.startswith("discipline.") or e.type == "discipline.applied"
                  for s in self.subjects(tx, e)}
        read = self._read(tx, wanted) if wanted else {}
        self.batch, self.ahead = ({}, read) if ahead else (read, {})

    def _read(self, tx: Tx, keys) -> dict:
        """What ``keys`` count now, read in bulk; the rows of those kept in memory noted in ``rows``."""
        rows = subject_rows(tx, self.p, keys)
        for key, got in rows.items():
            if kept_in_memory(key[0]):
                self.rows[key] = got
        return {key: part(key, got) for key, got in rows.items()}

    def abandon(self) -> None:
        """The batch's transaction is rolled back: forget it."""
        self.batch, self.ahead, self.rows = None, {}, {}

    # the projection's writes of a batch's member rows, kept in memory (``begin``)
    def stint_opened(self, member: str, seq: int, unit: str, from_on: str, from_kind: str | None,
                     from_unit: str | None) -> None:
        kept = self.rows.get((HEAD, member))
        if kept is not None:
            kept[seq] = [unit, from_on, None, from_kind, from_unit, None, None]

    def stint_closed(self, member: str, seq: int, to_on: str, to_kind: str, to_unit: str | None) -> None:
        key = (HEAD, member)
        kept = self.rows.get(key)
        if kept is None:
            return
        if seq not in kept:  # not as read: counted from the table at the end
            del self.rows[key]
            return
        kept[seq][2], kept[seq][5], kept[seq][6] = to_on, to_kind, to_unit

    def fact_added(self, member: str, type_: str, unit: str | None, occurred_on: str) -> None:
        kept = self.rows.get((type_, member))
        if kept is not None:
            kept.append((unit or NO_UNIT, occurred_on))

    def end(self, tx: Tx) -> None:
        batch, self.batch, self.ahead = self.batch, None, {}
        kept, self.rows = self.rows, {}
        if not batch:
            return
        if self.latest is not None:
            note_latest(tx, self.p, self.slot, self.latest)
        unknown = [key for key in batch if key not in kept]
        if unknown:
            self.before_read(tx)
        now = dict(zip(unknown, contributions(tx, self.p, unknown))) if unknown else {}
        change: Counter = Counter()
        for key, (old, was_repeat) in batch.items():
            new, repeat = now[key] if key in now else part(key, kept[key])
            change.update(new)
            change.subtract(old)
            if repeat != was_repeat:
                _mark_repeat(tx, self.p, *key, repeat)
        add(tx, self.p, {k: n for k, n in sorted(change.items()) if n})

    def before(self, tx: Tx, e: Envelope) -> list | None:
        if not self.enabled:
            return None
        if self.batch is not None:  # in a batch: note subjects first met here
            keys = self.subjects(tx, e)
            for key in keys:
                self._hold(tx, key)
            if keys:
                rec = format_recorded_at(e.recorded_at)
                self.latest = rec if self.latest is None or rec > self.latest else self.latest
            return None
        subjects = self.subjects(tx, e)
        self._seen = [(ind, s, *self.contribution(tx, ind, s)) for ind, s in subjects]
        return self._seen or None

    def _hold(self, tx: Tx, key: tuple) -> None:
        """In a batch: note what ``key`` counts before the batch, the first time the batch meets it."""
        if key not in self.batch:
            if key in self.ahead:
                self.batch[key] = self.ahead.pop(key)
            else:
                self.before_read(tx)
                self.batch[key] = self._read(tx, [key])[key]

    def touch(self, tx: Tx, member: str) -> None:
        """The member's stints, counted facts and decisions are about to change beyond what the
        event names (a fact recorded out of date order threads the stints again and refiles the
        exits and decisions, which may move to another unit): note what they count now, and count
        them from the tables when the event (or the batch) is done."""
        if not self.enabled:
            return
        keys = [(HEAD, member), *((t, member) for t in MEMBER_TYPES), (case_indicator("member"), member)]
        if self.batch is not None:
            for key in keys:
                self._hold(tx, key)
                self.rows.pop(key, None)  # read back at the end, not kept in memory
            return
        if self._seen is not None:
            have = {(ind, s) for ind, s, *_ in self._seen}
            self._seen.extend((ind, s, *self.contribution(tx, ind, s)) for ind, s in keys if (ind, s) not in have)

    def after(self, tx: Tx, seen: list, recorded_at: str) -> None:
        self._seen = None
        note_latest(tx, self.p, self.slot, recorded_at)
        for indicator, subject, old, was_repeat in seen:
            new, repeat = self.contribution(tx, indicator, subject)
            change = Counter(new)
            change.subtract(old)
            add(tx, self.p, {k: n for k, n in change.items() if n})
            if repeat != was_repeat:
                _mark_repeat(tx, self.p, indicator, subject, repeat)


def latest_slot(partition: Partition) -> int:
    """1 for the whole projection (the row ``build`` writes), 2 + i for partition i."""
    return 1 if partition.whole else 2 + partition.index


def note_latest(tx: Tx, p: str, slot: int, recorded_at: str) -> None:
    """Move the latest recording time counted on to ``recorded_at`` in the runner's own row of
    ``day_counts_built``; counts not built yet (no row 1) stay unbuilt."""
    if slot == 1:
        tx.execute(f"UPDATE {p}day_counts_built SET latest_rec = ? WHERE id = 1 AND (latest_rec IS NULL "
                   "OR latest_rec < ?)", (recorded_at, recorded_at))
        return
    tx.execute(f"INSERT INTO {p}day_counts_built (id, latest_rec) SELECT ?, ? WHERE EXISTS "
               f"(SELECT 1 FROM {p}day_counts_built WHERE id = 1) ON CONFLICT (id) DO UPDATE SET "
               f"latest_rec = excluded.latest_rec WHERE {p}day_counts_built.latest_rec IS NULL "
               f"OR {p}day_counts_built.latest_rec < excluded.latest_rec", (slot, recorded_at))


def _mark_repeat(tx: Tx, p: str, indicator: str, subject: str, repeat: bool) -> None:
    """List (or unlist) a subject counted more than once, whose count the fact tables then give."""
    if repeat:
        tx.execute(f"INSERT INTO {p}day_repeats (indicator, subject_id) VALUES (?, ?) "
                   "ON CONFLICT (indicator, subject_id) DO NOTHING", (indicator, subject))
    else:
        tx.execute(f"DELETE FROM {p}day_repeats WHERE indicator = ? AND subject_id = ?", (indicator, subject))


def kept_in_memory(indicator: str) -> bool:
    """Are a subject's rows of ``indicator`` kept in memory through a batch (only its own member
    stream writes them: stints and the member facts counted), or read again at its end (cases)?"""
    return indicator == HEAD or indicator in MEMBER_TYPES


def part(key: tuple[str, str], rows) -> tuple[Mapping, bool]:
    """What a subject counts from its rows (``subject_rows``)."""
    if key[0] == HEAD:
        return stint_deltas(rows.values()), False
    return distinct_part(key[0], rows)


def contributions(tx: Tx, p: str, keys) -> list[tuple[Mapping, bool]]:
    """``DayCounts.contribution`` of many (indicator, subject) at once: a few statements, not two per subject."""
    keys = list(keys)
    rows = subject_rows(tx, p, keys)
    return [part(key, rows[key]) for key in keys]


def subject_rows(tx: Tx, p: str, keys) -> dict[tuple[str, str], object]:
    """The rows each (indicator, subject) counts from, read in a few statements: a member's stints
    by seq (``HEAD``: seq → [``STINT_COLUMNS``]), else the (unit, day) of each counted fact."""
    keys = list(keys)
    facts: dict[tuple[str, str], list] = {k: [] for k in keys if k[0] != HEAD}
    stints: dict[str, dict] = {k[1]: {} for k in keys if k[0] == HEAD}
    members = sorted({s for ind, s in keys if ind != HEAD and not ind.startswith("case.")})
    subjects = sorted({s for ind, s in keys if ind.startswith("case.")})
    for member, seq, *stint in tx.rows_in(
            f"SELECT member_id, seq, {STINT_COLUMNS} FROM {p}stints WHERE member_id {{keys}}", sorted(stints)):
        stints[member][seq] = list(stint)  # with its kinds and other units: the flows too
    for member, type_, unit, on in tx.rows_in(
            f"SELECT member_id, type, org_unit_id, occurred_on FROM {p}member_facts WHERE member_id {{keys}}", members):
        if (type_, member) in facts:
            facts[(type_, member)].append((unit or NO_UNIT, on))
    for kind, subject, unit, on in tx.rows_in(
            f"SELECT subject_kind, subject_id, org_unit_id, decided_on FROM {p}cases WHERE subject_id {{keys}} "
            "AND annulled_rec IS NULL", subjects):
        if (case_indicator(kind), subject) in facts:
            facts[(case_indicator(kind), subject)].append((unit or NO_UNIT, on))
    return {key: stints[key[1]] if key[0] == HEAD else facts[key] for key in keys}


def add(tx: Tx, p: str, change: dict) -> None:
    """Add each (indicator, unit, day) → n; rows that reach zero are removed (the tables then
    depend only on the facts, not on the order they came in)."""
    if not change:
        return
    add_counts(tx, f"{p}day_counts", ("indicator", "org_unit_id", "day"), [(*k, n) for k, n in change.items()])
    # only a decrease, or a head row (which may stand below zero), can bring a row to zero; no
    # row stands at zero between two changes, so the rows at zero are this change's (found by
    # their partial index in one statement; another transaction's are not visible to it)
    if any(n < 0 or k[0] == HEAD for k, n in change.items()):
        tx.execute(f"DELETE FROM {p}day_counts WHERE n = 0")


def add_counts(tx: Tx, table: str, key: tuple[str, str, str], rows: list[tuple[str, str, str, int]]) -> None:
    """Add each row's n (its last column, never 0) to the row of its ``key`` in ``table`` (a table
    of ``key`` and ``n``), each key once in ``rows``. On PostgreSQL one statement of four array
    parameters (the same text for any number of rows: prepared once, and its keys four strings to
    send, not a parameter each): the rows the sum brings to zero are deleted at once, not first
    updated to zero (a new version of the row and an entry in each of its indexes) and then
    deleted. A row a concurrent transaction inserted meanwhile (not seen by the DELETE) may still
    come to zero, as every row that reaches it on SQLite: the caller deletes the rows at zero next."""
    a, b, c = key
    if not tx.pg:
        tx.insert_rows(f"INSERT INTO {table} ({a}, {b}, {c}, n) VALUES (?, ?, ?, ?) "
                       f"ON CONFLICT ({a}, {b}, {c}) DO UPDATE SET n = {table}.n + excluded.n", rows)
        return
    columns = list(zip(*rows))
    tx.execute(f"WITH d AS (SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), "
               f"CAST(? AS integer[])) AS d(a, b, c, n)), "
               f"gone AS (DELETE FROM {table} t USING d WHERE t.{a} = d.a AND t.{b} = d.b AND t.{c} = d.c "
               f"AND t.n + d.n = 0 RETURNING t.{a}, t.{b}, t.{c}) "
               f"INSERT INTO {table} ({a}, {b}, {c}, n) SELECT d.a, d.b, d.c, d.n FROM d WHERE NOT EXISTS "
               f"(SELECT 1 FROM gone g WHERE g.{a} = d.a AND g.{b} = d.b AND g.{c} = d.c) "
               f"ON CONFLICT ({a}, {b}, {c}) DO UPDATE SET n = {table}.n + excluded.n",
               (*map(text_array, columns[:3]), int_array(columns[3])))


# -- bulk build --------------------------------------------------------------------------------------
def build(tx: Tx, p: str) -> int:
    """Fill the tables from the fact tables in one pass (a generation built before them); returns
    the rows written. A replay passes what it folded in memory to ``fill`` instead."""
    cases = tx.execute(f"SELECT subject_kind, subject_id, org_unit_id, decided_on, recorded_at, annulled_rec "
                       f"FROM {p}cases").fetchall()
    stints = tx.execute(f"SELECT {STINT_COLUMNS}, from_rec, to_rec FROM {p}stints").fetchall()
    return fill(tx, p, counted_facts(tx, p), cases, stints)


def counted_facts(tx: Tx, p: str) -> list[tuple]:
    """(member_id, type, org_unit_id, occurred_on, recorded_at) of every member fact counted here."""
    marks = ",".join("?" * len(MEMBER_TYPES))
    return tx.execute(f"SELECT member_id, type, org_unit_id, occurred_on, recorded_at FROM {p}member_facts "
                      f"WHERE type IN ({marks})", MEMBER_TYPES).fetchall()


def fill(tx: Tx, p: str, facts: Iterable[tuple], cases: Iterable[tuple], stints: list[tuple]) -> int:
    """Fill the tables from the rows of the fact tables they are drawn from: ``facts`` (member_id,
    type, org_unit_id, occurred_on, recorded_at) of ``MEMBER_TYPES``, every case (subject_kind,
    subject_id, org_unit_id, decided_on, recorded_at, annulled_rec) and every stint
    (``STINT_COLUMNS``, from_rec, to_rec); returns the rows written."""
    tx.execute(f"DELETE FROM {p}day_counts")
    tx.execute(f"DELETE FROM {p}day_repeats")
    subjects: dict[tuple[str, str], list] = {}
    latest = ""  # the latest recording time of anything counted (facts, annulments, stint ends)
    for member, type_, unit, on, rec in facts:
        subjects.setdefault((type_, member), []).append((unit or NO_UNIT, on))
        if rec > latest:
            latest = rec
    for kind, subject, unit, on, rec, annulled in cases:
        if annulled is None:
            subjects.setdefault((case_indicator(kind), subject), []).append((unit or NO_UNIT, on))
        latest = max(latest, rec, annulled or "")
    counts: Counter = Counter()
    repeats = []
    for (indicator, subject), items in subjects.items():
        if len(items) == 1:  # ``distinct_part`` of one fact, spelled out (one per member admitted)
            key = (indicator, *items[0])
            counts[key] = counts.get(key, 0) + 1
        elif items:
            repeats.append((indicator, subject))
    counts.update(stint_deltas(s[:7] for s in stints))
    for s in stints:
        latest = max(latest, s[7], s[8] or "")
    rows = [(*k, n) for k, n in counts.items() if n]
    if rows:
        tx.executemany(f"INSERT INTO {p}day_counts (indicator, org_unit_id, day, n) VALUES (?, ?, ?, ?)", rows)
    if repeats:
        tx.executemany(f"INSERT INTO {p}day_repeats (indicator, subject_id) VALUES (?, ?)", repeats)
    tx.execute(f"DELETE FROM {p}day_counts_built")
    tx.execute(f"INSERT INTO {p}day_counts_built (id, latest_rec) VALUES (1, ?)", (latest or None,))
    tx.execute(f"DELETE FROM {p}day_flows_built")
    tx.execute(f"INSERT INTO {p}day_flows_built (id) VALUES (1)")
    return len(rows) + len(repeats)


def ensure(db: ReadModelDB, prefix: str) -> None:
    """Create the tables of ``prefix`` and fill them once if the generation predates them."""
    db.executescript(ddl(prefix))
    done = f"SELECT 1 FROM {prefix}day_counts_built CROSS JOIN {prefix}day_flows_built"  # counts with flows
    if db.query(done):
        return
    with db.transaction() as tx:
        if tx.pg:  # partition processes starting together: one fills, the others then find it filled
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"{prefix}day_counts",))
        if not tx.execute(done).fetchone():
            build(tx, prefix)


def flows_built(db: ReadModelDB, prefix: str) -> bool:
    """Do the counts hold the stints' flows (a generation counted before them gets them on start)?"""
    try:
        return bool(db.query(f"SELECT 1 FROM {prefix}day_flows_built"))
    except Exception:
        return False


def built(db: ReadModelDB, prefix: str) -> tuple[bool, str | None]:
    """(are the counts built, the latest recording time counted in them)."""
    try:  # the latest of the whole projection's row and each partition's own
        rows = db.query(f"SELECT id, latest_rec FROM {prefix}day_counts_built")
    except Exception:  # a generation of an older version, not yet opened by this one
        return False, None
    if not rows:
        return False, None
    known = [r[1] for r in rows if r[1] is not None]
    return True, max(known) if known else None
