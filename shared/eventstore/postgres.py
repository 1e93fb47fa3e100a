"""PostgreSQL adapter (psycopg 3): the same rows, hashes and guarantees as the SQLite adapter.

Global positions come from a one-row counter, ``log_head``. An append locks that row first
and bumps it in the same transaction, so appenders queue on it: positions are gap-free, follow
commit order (a reader never sees n+1 while n is uncommitted), and a rolled-back append gives
its numbers back. ``data`` is kept as the canonical JSON *text*: JSONB would reorder keys and
whitespace, and the hash chain is computed over that exact text.

Group commit (``shared.eventstore.groupcommit``): the single-event appends of concurrent commands
queue while one transaction is being written and the next shares one transaction (one position
reservation, one tail lookup, one insert, one commit), each batch all-or-nothing on its own and
each caller answered with its own envelopes, or its own error, after the commit.

Wake-up: every append transaction sends a notification (``pg_notify``, delivered at commit, not at
all on rollback) on the store's channel; ``wait_for_append`` listens on it, so a relay sees the
appends of every process on the store (replicas of a service) at once instead of at its next poll.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from typing import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import waiting

from shared.events import Envelope, NewEvent, utcnow
from shared.eventstore.groupcommit import Careful, GroupCommit, Pending, chain_group
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import COLUMNS, SELECT, SqlReads, chain_rows, envelope

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    org_unit_id TEXT,
    actor TEXT,
    correlation_id TEXT,
    causation_id TEXT,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events (event_id);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events (stream, stream_version);
CREATE TABLE IF NOT EXISTS log_head (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    position BIGINT NOT NULL
);
INSERT INTO log_head (one, position) VALUES (TRUE, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position BIGINT NOT NULL);
"""

COPY = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
#: from this many rows a batch is sent by COPY (one stream of rows) instead of one INSERT per row
COPY_FROM = 64
#: events chained (hashed) at a time while COPY streams the rows before them to the server
CHAIN_PIECE = 100
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
RESERVE = "UPDATE log_head SET position = position + %s RETURNING position - %s"
STORED = SELECT + " WHERE event_id = ANY(%s) ORDER BY position"
TAIL = "SELECT stream_version, hash FROM events WHERE stream = %s ORDER BY stream_version DESC LIMIT 1"
#: the last version and hash of each named stream (one statement for a whole group)
TAILS = ("SELECT s, t.stream_version, t.hash FROM unnest(%s::text[]) AS s CROSS JOIN LATERAL "
         "(SELECT stream_version, hash FROM events WHERE stream = s ORDER BY stream_version DESC LIMIT 1) AS t")
ANY_STORED = "SELECT 1 FROM events WHERE event_id = ANY(%s) LIMIT 1"
#: sent inside each append transaction: the listeners hear of it when (and only if) it commits
NOTIFY = "SELECT pg_notify(%s, '')"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


#: reading connections per store (a nameko service runs 10 workers; more would only queue in the server)
READERS = 4


def _again_while_lost(work, connection, current):
    """``work(connection())``, again (with backoff) while what failed is the connection — not the
    SQL: PostgreSQL restarted, failed over or ended the backend. ``current()`` is the connection
    last used, closed before the next try."""
    from shared.errors import dependency_unavailable
    from shared.readmodel import RETRY_PAUSES, _connect_failed, _lost
    for pause in RETRY_PAUSES:
        if pause:
            time.sleep(pause)
        try:
            return work(connection())
        except Exception as exc:
            if not _lost(current(), exc) and not _connect_failed(exc):
                raise
            db = current()
            if db is not None:
                try:
                    db.close()
                except Exception:
                    pass
    raise dependency_unavailable("Kho sự kiện", "Event store")


class _Stale(Exception):
    """An optimistic append found a stream past the expected version: a conflict, or the retry of
    a batch stored since (the careful append tells which)."""


#: a group the fast way cannot settle (an event id stored already, or twice in the group: a
#: retry): nothing was kept, each batch goes again on its own savepoint
_Careful = Careful


def _conflict(pending, stream: str, expected: int, version: int, settled) -> Exception:
    """A caller's refusal in a group (ids stored already were ruled out before chaining)."""
    return ConcurrencyError(stream, expected, version)


class _GreenConnection(psycopg.Connection):
    """psycopg waits in C (``wait_c``), which blocks eventlet's hub for the whole query.

    psycopg only notices gevent's patching, so under eventlet we wait with ``select.select``,
    which eventlet has made cooperative: other green threads run while the server works.
    """

    def wait(self, gen, interval=0.1, timeout=None):
        return waiting.wait_select(gen, self.pgconn.socket, interval=interval, timeout=timeout)


def _eventlet_patched() -> bool:
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and patcher.is_monkey_patched("select")


def channel_of(schema: str) -> str:
    """The notification channel of the store in ``schema`` (at most 63 bytes, PostgreSQL's limit:
    two long schema names sharing a prefix would only wake each other's listeners for nothing)."""
    return f"dangvien_appended:{schema}"[:63]


def split_url(url: str) -> tuple[str, str | None]:
    """Take our own ``schema`` query parameter out of the URL (libpq rejects unknown ones)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class PostgresEventStore(GroupCommit, SqlReads, EventStore):
    P = "%s"

    def __init__(self, url: str, schema: str | None = None):
        super().__init__()
        self.url = url
        self._conninfo, url_schema = split_url(url)
        self.schema = schema or url_schema or "public"
        if not _SCHEMA_NAME.match(self.schema):
            raise ValueError(f"invalid schema name: {self.schema!r}")
        self._lock = threading.RLock()
        self._init_group_commit()
        self._db: psycopg.Connection | None = None
        # reads (single statements, autocommit) use the writing connection when it is free, else
        # connections of their own: a command's reads and the relay's polls do not queue behind
        # an append waiting for its commit
        self._readers = threading.BoundedSemaphore(READERS)
        self._idle: list[psycopg.Connection] = []
        self._idle_lock = threading.Lock()  # not the writer's: that one is held through a commit
        self.channel = channel_of(self.schema)
        self._listener: psycopg.Connection | None = None  # LISTENs on the channel (wait_for_append)
        self._listen_lock = threading.Lock()
        with self._lock:
            self._create_schema(self._connection())

    # -- connection ------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        cls = _GreenConnection if _eventlet_patched() else psycopg.Connection
        # Autocommit: a read is one statement and needs no transaction (none left idle holding a
        # snapshot); appends open an explicit one with ``transaction()``.
        return cls.connect(self._conninfo, autocommit=True, options=f"-c search_path={self.schema}")

    def _connection(self) -> psycopg.Connection:
        """The store's writing connection, reopened if the server dropped it. Caller holds the lock."""
        if self._db is None or self._db.closed:
            self._db = self._connect()
        return self._db

    def _retrying(self, work):
        """``work(connection)`` on the writing connection under the lock, again on a fresh
        connection (with backoff) while the connection is what failed: PostgreSQL restarted, failed
        over or ended the backend. Safe for appends too: a retried batch carries the same event
        ids, so if the lost commit did happen the retry finds the events stored and returns them."""
        from shared.readmodel import stuck_in_pipeline
        with self._lock:
            def connection():
                if self._db is not None and stuck_in_pipeline(self._db):
                    self._db.close()  # a pipeline cut short by a dropped connection: start afresh
                return self._connection()
            return _again_while_lost(work, connection, lambda: self._db)

    def _reading(self, work):
        """``work(connection)`` on a reading connection (at most ``READERS`` at once, kept for
        the next read), again on a fresh one while the connection is what failed."""
        with self._readers:
            held: list[psycopg.Connection | None] = [None]

            def connection():
                if held[0] is None or held[0].closed:
                    with self._idle_lock:
                        idle = self._idle.pop() if self._idle else None
                    held[0] = idle if idle is not None and not idle.closed else self._connect()
                return held[0]
            try:
                return _again_while_lost(work, connection, lambda: held[0])
            finally:
                if held[0] is not None and not held[0].closed:
                    with self._idle_lock:
                        self._idle.append(held[0])

    def ping(self) -> bool:
        """One quick round trip for /readyz (reconnecting once), without the retry backoff."""
        for _ in range(2):
            try:
                with self._lock:
                    self._connection().execute("SELECT 1")
                return True
            except Exception:
                if self._db is not None:
                    try:
                        self._db.close()
                    except Exception:
                        pass
        return False

    def _create_schema(self, db: psycopg.Connection) -> None:
        with db.transaction():
            # Two processes starting at once would race on CREATE ... IF NOT EXISTS (not atomic
            # against the catalog): the advisory lock makes them take turns.
            db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dangvien-eventstore:{self.schema}",))
            # Once created, touch nothing: CREATE INDEX IF NOT EXISTS still locks the table and
            # would deadlock with appenders that hold the log_head row.
            if db.execute("SELECT to_regclass(%s)", (f"{self.schema}.checkpoints",)).fetchone()[0]:
                return
            db.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)

    # -- leases ----------------------------------------------------------------------
    def try_lease(self, name: str) -> bool:
        """A session advisory lock on a connection of its own: the server frees it when the
        holder's connection dies, so another replica takes over."""
        conn = getattr(self, "_lease_conn", None)
        held = getattr(self, "_leases", set())
        if conn is not None and not conn.closed and name in held:
            return True
        if conn is None or conn.closed:
            cls = _GreenConnection if _eventlet_patched() else psycopg.Connection
            conn = cls.connect(self._conninfo, autocommit=True)
            self._lease_conn, held = conn, set()
        got = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                           (f"dangvien-lease:{self.schema}:{name}",)).fetchone()[0]
        if got:
            held.add(name)
        self._leases = held
        return bool(got)

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        batches = self._nonempty(batches)
        return self._append(Pending(batches)) if batches else []

    def append_positions(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[int]:
        batches = self._nonempty(batches)
        return self._append(Pending(batches, envelopes=False)) if batches else []

    @staticmethod
    def _nonempty(batches) -> list:
        return [(stream, list(events), expected) for stream, events, expected in batches if events]

    def _commit_group(self, group: list[Pending]) -> None:
        """Write the queued batches in one transaction (the caller holds the writer lock) and
        answer each ``Pending``; a failure of the whole transaction is every caller's answer."""
        started = time.perf_counter()
        try:
            self._retrying(lambda db: self._write_group(db, group))
        except BaseException as exc:
            for pending in group:
                pending.result, pending.error = None, exc
        self._commit_seconds = min(time.perf_counter() - started, 1.0)

    def _write_group(self, db: psycopg.Connection, group: list[Pending]) -> None:
        """One caller alone: its batch as before (big ones by COPY). Several: the fast way, all
        batches chained in memory against the tails read in one round trip; what the fast way
        cannot settle (a retry among them) goes batch by batch on savepoints."""
        if len(group) == 1:
            pending = group[0]
            pending.result, pending.error = self._append_one(db, pending.batches, pending.envelopes), None
            return
        try:
            with db.transaction():
                self._fast_group(db, group)
            return
        except (_Careful, psycopg.errors.IntegrityError):
            pass  # nothing was kept: the careful way tells a retry from a conflict, and whose row it was
        with db.transaction():
            for pending in group:
                try:
                    with db.transaction():  # a savepoint: this batch only
                        out = self._append_locked(db, pending.batches, pending.envelopes)
                    pending.result, pending.error = out, None
                except Exception as exc:
                    if isinstance(exc, psycopg.OperationalError) or db.closed:
                        raise  # the connection, not the batch: the whole group again
                    pending.result, pending.error = None, exc

    def _fast_group(self, db: psycopg.Connection, group: list[Pending]) -> None:
        """Reserve the positions of the whole group, read every stream's tail, chain each caller's
        batch (a conflict is that caller's answer and takes no position), insert the rows in one
        go and give back the positions of the refused. Raises ``_Careful`` before writing anything
        when an event id is stored already or named twice."""
        wanted = sum(len(events) for p in group for _, events, _ in p.batches)
        ids = [e.event_id for p in group for _, events, _ in p.batches for e in events]
        streams = list(dict.fromkeys(stream for p in group for stream, _, _ in p.batches))
        with db.pipeline():
            reserve = db.execute(RESERVE, (wanted, wanted))
            db.execute(NOTIFY, (self.channel,))
            stored = db.execute(ANY_STORED, (ids,))
            tail_rows = db.execute(TAILS, (streams,))
        head = reserve.fetchone()[0]
        if stored.fetchone() is not None or len(set(ids)) != len(ids):
            raise _Careful()
        tails = {name: (version, hash_) for name, version, hash_ in tail_rows.fetchall()}
        # one recording time for the group (written in one transaction)
        rows, position = chain_group(group, tails, head + 1, utcnow(), _conflict)
        if len(rows) >= COPY_FROM:
            with db.cursor().copy(COPY) as copy:
                for row in rows:
                    copy.write_row(row)
        elif rows:
            db.cursor().executemany(INSERT, rows)
        if position - 1 != head + wanted:  # some callers were refused: give their numbers back
            db.execute("UPDATE log_head SET position = %s", (position - 1,))

    def _append_one(self, db: psycopg.Connection, batches, envelopes: bool) -> list:
        """One caller's batches in a transaction of their own."""
        if sum(len(events) for _, events, _ in batches) >= COPY_FROM:
            try:  # optimistic: the unique index on event_id, not a lookup, catches a retry
                with db.transaction():
                    return self._append_locked(db, batches, envelopes, optimistic=True)
            except (_Stale, psycopg.errors.UniqueViolation):
                pass  # a retry (or a conflict): nothing was kept; the careful way decides
        with db.transaction():  # rolls back on any exception, ConcurrencyError included
            return self._append_locked(db, batches, envelopes)

    def _append_locked(self, db: psycopg.Connection, batches, envelopes: bool = True,
                       optimistic: bool = False) -> list:
        """The envelopes written, or (``envelopes`` False) their positions. ``optimistic``: for big batches, no lookup of the ids (a stored one makes the insert
        fail on the unique index) and no conflict raised here (``_Stale``): either way the caller
        rolls back and comes again the careful way, which tells a retry from a conflict."""
        wanted = sum(len(events) for _, events, _ in batches)
        # One round trip (pipeline): reserve the positions, then read each stream's tail and any
        # already stored ids. The counter's row lock queues every other appender behind us until
        # commit, so these reads cannot be overtaken.
        with db.pipeline():
            reserve = db.execute(RESERVE, (wanted, wanted))
            db.execute(NOTIFY, (self.channel,))  # one per transaction reaches the listeners
            lookups = [(None if optimistic else db.execute(STORED, ([e.event_id for e in events],)),
                        db.execute(TAIL, (stream,)))
                       for stream, events, _ in batches]
        head = reserve.fetchone()[0]
        stored = [[] if cur is None else cur.fetchall() for cur, _ in lookups]
        fresh = sum(len(events) for (_, events, _), found in zip(batches, stored) if not found)
        if fresh >= COPY_FROM:
            with db.cursor().copy(COPY) as copy:
                out, position = self._chain(batches, lookups, stored, head + 1, copy.write_row, envelopes,
                                            optimistic)
        else:
            params: list[tuple] = []
            out, position = self._chain(batches, lookups, stored, head + 1, params.append, envelopes)
            if params:
                db.cursor().executemany(INSERT, params)
        if position - 1 != head + wanted:  # some entries were retries: give their numbers back
            db.execute("UPDATE log_head SET position = %s", (position - 1,))
        return out

    @staticmethod
    def _chain(batches, lookups, stored, position: int, write, envelopes=True,
               optimistic=False) -> tuple[list, int]:
        """Chain each new batch and ``write`` its rows, ``CHAIN_PIECE`` events at a time: rows sent
        by COPY are taken in by the server while the next piece is hashed (two processes, two
        cores). Returns the envelopes (or, ``envelopes`` False, the positions) in batch order and the
        next position."""
        tails: dict[str, tuple[int, str]] = {}  # streams written earlier in this very batch
        out: list[Envelope] = []
        now = utcnow()  # one recording time for the whole batch
        for (stream, events, expected), (_, tail_cur), found in zip(batches, lookups, stored):
            if found:
                if len(found) != len(events):
                    raise PartialRetryError(f"stream {stream}: some events of the batch are already stored")
                if envelopes:
                    out.extend(envelope(r) for r in found)
                else:
                    out.extend(r[0] for r in found)
                continue
            last = tails.get(stream) or tail_cur.fetchone()
            version, last_hash = (last[0], last[1]) if last else (-1, None)
            if expected != ANY and expected != version:
                raise (_Stale if optimistic else ConcurrencyError)(stream, expected, version)
            for start in range(0, len(events), CHAIN_PIECE):
                rows, built = chain_rows(stream, events[start:start + CHAIN_PIECE], version, last_hash,
                                         position, now, envelopes)
                for row in rows:
                    write(row)
                out += built if envelopes else range(position, position + len(rows))
                position += len(rows)
                version, last_hash = rows[-1][3], rows[-1][13]
            tails[stream] = (version, last_hash)
        return out, position

    # -- reading ---------------------------------------------------------------------
    def _query(self, sql: str, params: tuple = ()) -> list:
        run = lambda db: db.execute(sql, params).fetchall()  # noqa: E731
        if self._lock.acquire(blocking=False):  # the writing connection is free: no other needed
            try:
                return self._retrying(run)
            finally:
                self._lock.release()
        return self._reading(run)

    def head_position(self) -> int:
        # The counter only moves on commit and has no gaps, so it is the committed maximum.
        return self._query("SELECT position FROM log_head")[0][0]

    # -- checkpoints -----------------------------------------------------------------
    def set_checkpoint(self, name: str, position: int) -> None:
        self._retrying(lambda db: db.execute(
            "INSERT INTO checkpoints (name, position) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position", (name, position)))

    # -- waiting -----------------------------------------------------------------------
    def wait_for_append(self, after_position: int, timeout: float) -> bool:
        """Block until the log passes ``after_position`` or the timeout ends, woken by the
        notification of any process's append (listening starts before the head is read, so none
        committed in between is missed); without a listening connection, or while another
        thread waits on it, as the port does (woken by this process's appends, else by the poll)."""
        if not self._listen_lock.acquire(blocking=False):
            return super().wait_for_append(after_position, timeout)
        try:
            listener = self._listening()
            if listener is None:
                return super().wait_for_append(after_position, timeout)
            if self.head_position() > after_position:
                return True
            try:
                for _ in listener.notifies(timeout=timeout, stop_after=1):
                    break
            except psycopg.Error:
                self._drop_listener()  # the next wait listens again on a fresh connection
        finally:
            self._listen_lock.release()
        return self.head_position() > after_position

    def _listening(self) -> psycopg.Connection | None:
        if self._listener is not None and not self._listener.closed:
            return self._listener
        try:
            listener = self._connect()
            listener.execute(f'LISTEN "{self.channel}"')
        except psycopg.Error:
            return None
        self._listener = listener
        return listener

    def _drop_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:
                pass
        self._listener = None

    def close(self) -> None:
        with self._listen_lock:
            self._drop_listener()
        with self._lock:
            if self._db is not None:
                self._db.close()
        with self._idle_lock:
            for db in self._idle:
                db.close()
            self._idle.clear()
