"""Projections: apply events to a read model in the same transaction as the checkpoint.

The bus is the doorbell, the store is the truth: a delivered event at or below the checkpoint
is a duplicate and is skipped; one beyond ``checkpoint + 1`` means something was missed (or
arrived out of order), so the missing events are read from the source's store first.
Positions are gap-free per source in SQLite and PostgreSQL; for KurrentDB, whose positions have
gaps, the store is read from the checkpoint up to the delivered event, which is equally safe.

Versions: each projection names the version of its rules (``Projection.version``), recorded in
``projection_versions`` beside its rows. Rows written by other rules (a version that differs, or
none recorded beside rows: a read model from before versions) are rebuilt from position 0 of
every source by ``ProjectionRunner.rebuild`` (a service's start: ``ProjectionsProvider.refresh``;
``dangvien rebuild``): the live path, in batches, in one transaction, so the old rows serve until the new
ones are complete.

Partitions (DESIGN.md §5: "partition projections by the direct unit"): several runners, each
with its own checkpoint, read every event of a source and apply only those the projection
``route``s to them, into one shared read model. A projection that names a ``streams_table``
gets a per-stream guard: the last applied version of every stream is kept beside the rows, so
an event is applied only when its stream's previous event has been (whichever partition applied
it), and never twice. A runner that meets an event it may not apply yet stops there, commits
what came before, and tries again on its next delivery or sweep (``WAITING``).

Restores: the checkpoint records the id of the last event passed. A store restored from an older
backup has its head below the checkpoint, or (written on past its old head) another event at the
checkpoint's position: the events appended since sit at positions the checkpoint says are done.
Each transaction that would apply events (a delivery's, a catch-up batch's) first reads the id
at the checkpoint's position (one indexed read of one row; events a batch read before and kept
to apply later are used only if the store still holds the last of them); when it is not the
recorded one, the runner applies nothing more of that source (``DIVERGED``) and says so on ``/readyz``
(``shared.checkpoints_watch``) until the read model is rebuilt, which writes a new checkpoint.
"""
from __future__ import annotations

import abc
import enum
import threading
from typing import Callable, Iterable, Mapping

from shared import checkpoints_watch
from shared.events import Envelope
from shared.eventstore import EventLog
from shared.readmodel import ReadModelDB, Tx, text_array

CHECKPOINT_DDL = """
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL, event_id TEXT,
    PRIMARY KEY (projection, source)
)
"""
#: the version of the rules each projection's rows were written by
VERSIONS_DDL = "CREATE TABLE IF NOT EXISTS projection_versions (projection TEXT PRIMARY KEY, version BIGINT NOT NULL)"


#: what ``handle`` answers when the delivered event (or one before it) must wait for another partition
WAITING = "waiting"
#: what ``handle`` answers when the source's store no longer holds the checkpoint's event (restored)
DIVERGED = "diverged"


class Route(enum.Enum):
    MINE = "mine"    # this runner applies the event
    OTHER = "other"  # another partition applies it: only the checkpoint moves past it
    WAIT = "wait"    # cannot tell yet (what it refers to is not known here yet): stop before it


class Conflict(Exception):
    """Another runner applied an event of the same stream meanwhile: this batch is rolled back."""


#: how many times a batch is tried again at once after PostgreSQL rolled it back to break a
#: deadlock or a serialisation failure (partitions sharing a read model lock rows in turn)
RETRIES = 3


def rolled_back_by_server(exc: BaseException) -> bool:
    """Did the database roll the transaction back only to break a deadlock (SQLSTATE 40P01) or a
    serialisation failure (40001)? Trying the same batch again is then safe and usually succeeds."""
    return getattr(exc, "sqlstate", None) in ("40P01", "40001")


class Projection(abc.ABC):
    """A read model: its tables, and how each event changes them."""

    name: str = ""
    #: the version of the rules ``apply`` follows: bumped whenever the rows it writes for the same
    #: events change, so that rows written by the older rules are rebuilt (``ProjectionRunner.stale``)
    version: int = 1
    #: the producing services this projection listens to
    sources: tuple[str, ...] = ()
    #: event types it cares about (None: all); others only move the checkpoint
    types: frozenset[str] | None = None
    #: table of (source, stream, version) that keeps each stream in order across partitions; None: no guard
    streams_table: str | None = None
    #: a missing row in ``streams_table`` lets any version through (a read model built before the guard)
    lenient_streams: bool = False
    #: what an operator runs to write the rows again (named when a restored store stops the runner)
    rebuilt_by: str = "dangvien rebuild <service>"

    def route(self, tx: Tx, source: str, event: Envelope) -> Route:
        """Which runner applies ``event``; one runner (the default) applies everything."""
        return Route.MINE

    def prepare(self, tx: Tx, source: str, events: list[Envelope]) -> None:
        """Called once per transaction before ``events`` are applied (e.g. to take the locks
        their rows need, in one fixed order, or read what they change in bulk); nothing by default."""

    def finish(self, tx: Tx, ok: bool = True) -> None:
        """Called after ``prepare``'s events were applied (``ok``), or when applying them failed
        (the transaction is rolled back): write what was kept for the batch; nothing by default."""

    @abc.abstractmethod
    def ddl(self) -> str:
        """CREATE TABLE IF NOT EXISTS ... statements, ';'-separated."""

    @abc.abstractmethod
    def apply(self, tx: Tx, event: Envelope) -> None:
        ...

    def tables(self) -> list[str]:
        import re
        return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", self.ddl())


class ProjectionRunner:
    def __init__(self, db: ReadModelDB, projection: Projection, stores: Mapping[str, EventLog],
                 on_applied: Callable[[str, int], None] | None = None, burst: int = 1):
        self.db, self.projection, self.stores = db, projection, stores
        self.on_applied = on_applied
        #: a delivery applies up to this many events the store already holds from the checkpoint
        #: on, in one transaction; the deliveries of the rest of the burst are then duplicates
        self.burst = burst
        self._lock = threading.RLock()
        #: source → the events its last catch-up batch read, when their positions follow each
        #: other (a store without gaps): a batch that stopped before its end, waiting for another
        #: partition, is read again from there, and the store only for what comes after them
        self._read: dict[str, list[Envelope]] = {}
        #: source → a checkpoint this runner saw committed (or committed itself): checkpoints only
        #: move forward, so a delivery at or below it is a duplicate, told without a transaction
        #: (a burst's deliveries after the events it applied, a bulk write's after its catch-up).
        #: An operator moving a checkpoint back is seen by the next catch-up (the sweep's), which
        #: applies what a delivery skipped meanwhile.
        self._passed: dict[str, int] = {}
        #: source → the checkpoint (position, event id) its store was found not to back: nothing
        #: more is applied from it until the checkpoint changes (a rebuild, a replay)
        self._stopped: dict[str, tuple[int, str | None]] = {}
        db.executescript(CHECKPOINT_DDL + ";" + VERSIONS_DDL + ";" + projection.ddl())
        with_event_ids(db)

    # -- checkpoints -----------------------------------------------------------------
    def _checkpoint(self, tx: Tx, source: str) -> tuple[int, str | None]:
        """The checkpoint (position, id of the event passed there; None: not recorded), locked for
        this transaction: replicas of a service sharing a read model take turns per source, so no
        event is applied twice (SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL
        needs the row lock)."""
        if tx.pg:
            tx.execute("INSERT INTO projection_checkpoints (projection, source, position) VALUES (?, ?, 0) "
                       "ON CONFLICT (projection, source) DO NOTHING", (self.projection.name, source))
            row = tx.execute("SELECT position, event_id FROM projection_checkpoints WHERE projection = ? "
                             "AND source = ? FOR UPDATE", (self.projection.name, source)).fetchone()
        else:
            row = tx.execute("SELECT position, event_id FROM projection_checkpoints WHERE projection = ? "
                             "AND source = ?", (self.projection.name, source)).fetchone()
        return (row[0], row[1]) if row else (0, None)

    def _set_checkpoint(self, tx: Tx, source: str, last: Envelope | None) -> None:
        """Move the checkpoint to ``last`` (None: position 0), recording its event id."""
        position, event_id = (0, None) if last is None else (last.position, last.event_id)
        tx.execute("INSERT INTO projection_checkpoints (projection, source, position, event_id) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (projection, source) DO UPDATE SET position = excluded.position, "
                   "event_id = excluded.event_id", (self.projection.name, source, position, event_id))

    def _backed(self, source: str, seen: int, recorded: str | None) -> bool:
        """Does the source's store still hold, at the checkpoint ``seen``, the event passed there
        (``recorded``; None: not recorded, only its position is checked)? One indexed read of
        one row (two when the next batch would take events read before from memory: the last of
        them is read too, and they are dropped unless the store still holds it). Not backed —
        the store was restored from an older copy — the source is stopped
        (``checkpoints_watch``) until the checkpoint changes: a rebuild, a replay."""
        key = f"projection:{self.projection.name}/{source}"
        if self._stopped.get(source) == (seen, recorded):
            return False
        store = self.stores[source]
        if seen > 0:
            at = checkpoints_watch.event_at(store, seen)
            if at is None or at[0] != seen or (recorded is not None and at[1] != recorded):
                self._stopped[source] = (seen, recorded)
                self._read.pop(source, None)
                checkpoints_watch.fail(key, "projection", self.projection.name, source, seen,
                                       store.head_position(), at is not None, self.projection.rebuilt_by)
                return False
        kept = self._read.get(source)
        if kept and kept[0].position <= seen + 1 <= kept[-1].position:
            # events the next batch would take from memory: still the store's only if their last
            # one is (a restored store is an older copy of the same history, then other events);
            # read before a restore, they are dropped, and the store read again
            last = checkpoints_watch.event_at(store, kept[-1].position)
            if last is None or last[1] != kept[-1].event_id:
                del self._read[source]
        if self._stopped.pop(source, None) is not None:
            checkpoints_watch.clear(key)
        return True

    def checkpoint(self, source: str) -> int:
        rows = self.db.query("SELECT position FROM projection_checkpoints WHERE projection = ? AND source = ?",
                             (self.projection.name, source))
        return rows[0][0] if rows else 0

    def _apply_all(self, tx: Tx, source: str, events: Iterable[Envelope]) -> tuple[int, Envelope | None]:
        """Apply the events this runner owns, in order, up to the first that must wait. Returns how
        many were passed (applied, skipped or another's) and the last of them (None if none).

        With a stream guard, the batch's stream heads are read as it reaches them, a few statements
        in all (``_Heads``), and written once per stream at the end (not once per event). Which
        events pass is decided before the projection prepares (routes depend on no applied event, heads only on the batch's own):
        a batch that must wait at once, for another partition, prepares nothing."""
        wanted, projection = self.projection.types, self.projection
        guarded = projection.streams_table is not None
        events = list(events)
        heads = _Heads(tx, projection, source, events) if guarded else None
        passing: list[tuple[Envelope, bool]] = []  # each passed event, and whether it is applied
        for env in events:
            route = projection.route(tx, source, env)
            if route is Route.WAIT:
                break
            applied = False  # another's, or a duplicate: only passed
            if route is Route.MINE:
                step = heads.step(env) if guarded else "apply"
                if step == "wait":
                    break
                applied = step == "apply"
                if applied and guarded:
                    heads.applied(env)
            passing.append((env, applied and (wanted is None or env.type in wanted)))
        # only the events this runner applies: another partition's, passed here, are prepared
        # (locked, read ahead) by the runner that applies them
        projection.prepare(tx, source, [env for env, applied in passing if applied])
        try:
            for env, applied in passing:
                if applied:
                    projection.apply(tx, env)
        except BaseException:
            projection.finish(tx, ok=False)
            raise
        projection.finish(tx)
        if guarded:
            heads.write()
        return len(passing), passing[-1][0] if passing else None

    # -- the doorbell ----------------------------------------------------------------
    def handle(self, source: str, message: dict | Envelope) -> str:
        """Apply one delivered event: 'applied', 'duplicate', 'filled' (a gap was read first), or
        WAITING (it, or an event before it, waits for another partition: the sweep retries)."""
        return self._deliver(source, message, frozenset())

    def _deliver(self, source: str, message: dict | Envelope, delivered: frozenset) -> str:
        """``handle``, where the positions ``delivered`` with the message are no gap when read."""
        position = message.position if isinstance(message, Envelope) else message.get("position")
        if type(position) is int and position <= self._passed.get(source, 0):
            return "duplicate"
        env = message if isinstance(message, Envelope) else Envelope.model_validate(message)
        for _ in range(RETRIES + 1):
            try:
                return self._handle(source, env, delivered)
            except Exception as exc:
                if not rolled_back_by_server(exc):
                    raise
        return WAITING  # still breaking deadlocks: the sweep tries again

    def handle_batch(self, source: str, messages: Iterable[dict | Envelope]) -> str:
        """Apply a batch of deliveries of ``source`` (the bus's prefetched burst) in one transaction:
        the latest of them is handled, and the store gives every event from the checkpoint up to it
        (the others delivered with it among them: the store holds what the bus carries), so the
        batch costs one transaction and one checkpoint write whatever its size. The outcome of that
        one ('duplicate' when the checkpoint is already past every delivery, told without a
        transaction; 'filled' only when the store gave events the batch did not carry). A delivery
        without a position is handled alone, after the others."""
        latest, odd, delivered = None, [], set()
        for message in messages:
            position = message.position if isinstance(message, Envelope) else message.get("position")
            if type(position) is not int:
                odd.append(message)
                continue
            delivered.add(position)
            if latest is None or position > latest[0]:
                latest = (position, message)
        outcome = "duplicate" if latest is None else self._deliver(source, latest[1], frozenset(delivered))
        for message in odd:
            self.handle(source, message)
        return outcome

    def _handle(self, source: str, env: Envelope, delivered: frozenset) -> str:
        try:
            with self._lock, self.db.transaction(pipelined=True) as tx:
                seen, recorded = self._checkpoint(tx, source)
                self._pass(source, seen)
                if env.position <= seen:
                    return "duplicate"
                if not self._backed(source, seen, recorded):
                    return DIVERGED
                outcome = "applied"
                missing: list[Envelope] = []
                if env.position > seen + 1:
                    missing = list(self.stores[source].read_all(seen + 1, to_position=env.position - 1))
                    outcome = "filled" if any(e.position not in delivered for e in missing) else outcome
                after: list[Envelope] = []
                if self.burst > 1:  # what was appended since: applied now, its deliveries then skipped
                    after = list(self.stores[source].read_all(env.position + 1, limit=self.burst - 1))
                _, last = self._apply_all(tx, source, [*missing, env, *after])
                if last is not None:
                    self._set_checkpoint(tx, source, last)
                if last is None or last.position < env.position:
                    return WAITING
                if last is not env:
                    env = last
        except Conflict:
            return WAITING
        self._pass(source, env.position)  # committed
        if self.on_applied:
            self.on_applied(source, env.position)
        return outcome

    def _pass(self, source: str, position: int) -> None:
        if position > self._passed.get(source, 0):
            self._passed[source] = position

    def catch_up(self, source: str, batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything the source has beyond the checkpoint; one transaction per batch."""
        total, retries = 0, 0
        while True:
            try:
                with self._lock, self.db.transaction(pipelined=True) as tx:
                    seen, recorded = self._checkpoint(tx, source)
                    self._passed[source] = seen  # as stored: a checkpoint moved back is taken as it is
                    if not self._backed(source, seen, recorded):
                        return total
                    events = self._events(source, seen + 1, batch)
                    if not events:
                        return total
                    done, last = self._apply_all(tx, source, events)
                    if last is not None:
                        self._set_checkpoint(tx, source, last)
            except Conflict:
                return total  # another partition moved a stream meanwhile: try again on the next round
            except Exception as exc:  # rolled back to break a deadlock: the same batch again, a few times
                if not rolled_back_by_server(exc):
                    raise
                retries += 1
                if retries > RETRIES:
                    return total  # try again on the next round
                continue
            retries = 0
            if last is not None:
                self._pass(source, last.position)  # committed
            total += done
            if progress and done:
                progress(done)
            if self.on_applied and done:
                self.on_applied(source, last.position)
            if done < len(events):
                return total  # waiting for another partition

    def _events(self, source: str, first: int, limit: int) -> list[Envelope]:
        """Up to ``limit`` events of ``source`` from position ``first`` on: those the last batch
        read from there (stored events never change), then the store's."""
        kept = self._read.get(source, [])
        start = first - kept[0].position if kept else -1
        events = kept[start:start + limit] if 0 <= start < len(kept) else []
        if len(events) < limit:
            events += self.stores[source].read_all(events[-1].position + 1 if events else first,
                                                   limit=limit - len(events))
        gapless = bool(events) and events[0].position == first and events[-1].position - first == len(events) - 1
        self._read[source] = events if gapless else []
        return events

    def catch_up_all(self) -> int:
        return sum(self.catch_up(s) for s in self.projection.sources if s in self.stores)

    # -- versions --------------------------------------------------------------------
    def recorded_version(self) -> int | None:
        """The version of the rules the stored rows were written by (None: none recorded)."""
        rows = self.db.query("SELECT version FROM projection_versions WHERE projection = ?", (self.projection.name,))
        return rows[0][0] if rows else None

    def stale(self) -> bool:
        """Were the stored rows written by other rules than the code's? A recorded version that
        differs, or none recorded beside rows (a read model projected before versions were kept)."""
        recorded = self.recorded_version()
        if recorded is not None:
            return recorded != self.projection.version
        if self.db.query("SELECT 1 FROM projection_checkpoints WHERE projection = ? AND position > 0",
                         (self.projection.name,)):
            return True
        return any(self.db.query(f"SELECT 1 FROM {table} LIMIT 1") for table in self.projection.tables())

    def record_version(self) -> None:
        """Record the code's version as the rows' (rows it wrote: a new read model, or one rebuilt)."""
        with self.db.transaction() as tx:
            self._set_version(tx)

    def rebuild(self, batch: int = 2000, progress: Callable[[int], None] | None = None, force: bool = True) -> int:
        """Write the rows again from position 0 of every source, by the live path (``_apply_all``)
        in batches of ``batch`` events, and record the code's version — all in one transaction:
        readers see the old rows until it commits, and a failure (a crash) leaves them and their
        version as they were, so the next start rebuilds again. The checkpoints are locked first:
        another replica's deliveries wait for the new rows. Not ``force``d, a rebuild another
        replica committed meanwhile is not done twice. Returns how many events were passed."""
        projection, total = self.projection, 0
        sources = [s for s in projection.sources if s in self.stores]
        with self._lock, self.db.transaction(pipelined=True) as tx:
            for source in sources:
                self._checkpoint(tx, source)
            if not force and tx.scalar("SELECT version FROM projection_versions WHERE projection = ?",
                                       (projection.name,)) == projection.version:
                return 0
            for table in projection.tables():
                tx.execute(f"DELETE FROM {table}")
            for source in sources:
                position, end = 0, None
                self._read.pop(source, None)  # read again: the store may have been restored since
                while events := self._events(source, position + 1, batch):
                    done, last = self._apply_all(tx, source, events)
                    if done < len(events):  # routed to wait for another partition: never complete alone
                        raise RuntimeError(f"{projection.name}: a rebuild cannot wait for another partition")
                    position, end, total = last.position, last, total + done
                    if progress:
                        progress(done)
                self._set_checkpoint(tx, source, end)
            self._set_version(tx)
        for source in sources:  # the new checkpoints are the store's
            self._passed[source] = 0
            if self._stopped.pop(source, None) is not None:
                checkpoints_watch.clear(f"projection:{projection.name}/{source}")
        return total

    def _set_version(self, tx: Tx) -> None:
        tx.execute("INSERT INTO projection_versions (projection, version) VALUES (?, ?) "
                   "ON CONFLICT (projection) DO UPDATE SET version = excluded.version",
                   (self.projection.name, self.projection.version))


def with_event_ids(db: ReadModelDB) -> None:
    """Add ``event_id`` to a ``projection_checkpoints`` table created before it was kept (its
    rows: NULL, not recorded, until their next move)."""
    if db.pg:
        if not db.query("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND "
                        "table_name = 'projection_checkpoints' AND column_name = 'event_id'"):
            db.executescript("ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS event_id TEXT")
    elif not any(row[1] == "event_id" for row in db.query("PRAGMA table_info(projection_checkpoints)")):
        db.executescript("ALTER TABLE projection_checkpoints ADD COLUMN event_id TEXT")


#: new stream heads written per statement (``Tx.insert_rows`` sends up to 1,000 rows in one)
HEADS_PER_STATEMENT = 1000
#: the events whose streams' heads a batch reads first; each further read takes twice as many
HEADS_FIRST = 64


class _Heads:
    """The per-stream guard of one batch: the last applied version of each stream it touches,
    then written once per stream — and only if nobody (another partition) moved it meanwhile;
    otherwise the whole batch is rolled back (``Conflict``).

    The heads are read as the batch needs them, in windows of its events that double (64, 128,
    … events: a batch of 2,000 in six statements): a batch that must wait for another partition
    after a few events, as partitions often do, reads the heads of those few streams, not of
    every stream of its 2,000 events."""

    def __init__(self, tx: Tx, projection: Projection, source: str, events: list[Envelope]):
        self.tx, self.table, self.source = tx, projection.streams_table, source
        self.lenient = projection.lenient_streams
        self.events, self.read_to, self.window = events, 0, HEADS_FIRST  # events[:read_to]: heads read
        self.before: dict[str, int | None] = {}
        self.now: dict[str, int | None] = {}

    def _read(self, stream: str) -> None:
        """Read the heads of the next window's streams not read yet (``stream`` alone when the
        batch's events are all read: it is not among them)."""
        upto = min(len(self.events), self.read_to + self.window)
        names = list(dict.fromkeys(e.stream for e in self.events[self.read_to:upto] if e.stream not in self.before))
        if upto == self.read_to:
            names = [stream]
        self.read_to, self.window = upto, self.window * 2
        got: dict[str, int | None] = dict.fromkeys(names)
        tx, source = self.tx, self.source
        if tx.pg and names:
            # one statement, joined to the list: ``source = ? AND stream IN (…)`` is planned once
            # for all values (psycopg prepares a repeated statement) and PostgreSQL then scans the
            # whole source, testing each row against every name (200 ms per 500 names at 5,000
            # streams). Nor a join: on a table grown since it was last analysed (a catch-up, a
            # fresh generation) PostgreSQL hashes the whole source for it. A sub-select per name
            # looks each up in the primary key whatever the statistics say (a name without a
            # head: NULL, as not found)
            rows = tx.execute(f"SELECT s.stream, (SELECT h.version FROM {self.table} h WHERE h.source = ? "
                              "AND h.stream = s.stream) FROM unnest(CAST(? AS text[])) AS s(stream)",
                              (source, text_array(names))).fetchall()
            got.update(dict(rows))
        else:
            for i in range(0, len(names), 500):
                chunk = names[i:i + 500]
                rows = tx.execute(f"SELECT stream, version FROM {self.table} WHERE source = ? AND stream IN "
                                  f"({','.join('?' * len(chunk))})", (source, *chunk)).fetchall()
                got.update(dict(rows))
        self.before.update(got)
        self.now.update(got)

    def step(self, env: Envelope) -> str:
        """'apply' when the stream's previous event is applied, 'duplicate' when this one is, else 'wait'."""
        while env.stream not in self.before:  # the windows up to this event's (all before it are read)
            self._read(env.stream)
        applied = self.now.get(env.stream)
        if applied is None:
            if self.lenient:
                return "apply"
            applied = -1
        if env.stream_version <= applied:
            return "duplicate"
        return "apply" if env.stream_version == applied + 1 else "wait"

    def applied(self, env: Envelope) -> None:
        self.now[env.stream] = env.stream_version

    def write(self) -> None:
        tx, table, source = self.tx, self.table, self.source
        new = [(source, s, v) for s, v in self.now.items() if v is not None and self.before[s] is None]
        moved = [(v, source, s, self.before[s]) for s, v in self.now.items()
                 if self.before[s] is not None and v != self.before[s]]
        for i in range(0, len(new), HEADS_PER_STATEMENT):  # one multi-row statement per chunk
            chunk = new[i:i + HEADS_PER_STATEMENT]
            tx.insert_rows(f"INSERT INTO {table} (source, stream, version) VALUES (?, ?, ?) "
                           "ON CONFLICT (source, stream) DO NOTHING", chunk)
            if tx.rowcount != len(chunk):
                if not self.lenient:
                    raise Conflict("a stream head was written meanwhile")
                # lenient: rows written meanwhile by a newer runner; move them on
                tx.executemany(f"UPDATE {table} SET version = ? WHERE source = ? AND stream = ? AND version < ?",
                               [(v, source, s, v) for source, s, v in chunk])
        if moved:
            if tx.pg:  # one statement joined to the list of (new, stream, old), not one per stream
                tx.execute(f"UPDATE {table} AS h SET version = m.version FROM unnest(CAST(? AS integer[]), "
                           "CAST(? AS text[]), CAST(? AS integer[])) AS m(version, stream, before) "
                           "WHERE h.source = ? AND h.stream = m.stream AND h.version = m.before",
                           (_int_array(m[0] for m in moved), text_array([m[2] for m in moved]),
                            _int_array(m[3] for m in moved), source))
            else:
                tx.executemany(f"UPDATE {table} SET version = ? WHERE source = ? AND stream = ? AND version = ?",
                               moved)
            if tx.rowcount != len(moved):
                raise Conflict("a stream head was moved meanwhile")


def _int_array(values: Iterable[int]) -> str:
    """Integers as one PostgreSQL array literal (for a parameter cast to ``integer[]``)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"
