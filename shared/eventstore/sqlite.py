"""SQLite adapter: the embedded default, one file per service, WAL mode.

One writer at a time (BEGIN IMMEDIATE), so positions are max+1 and never have gaps.

Group commit (``shared.eventstore.groupcommit``): appends made at the same time by several
threads of one process share one transaction, each batch all-or-nothing on its own, each caller
answered after the commit.

``synchronous`` is SQLite's durability setting: NORMAL (default; a power cut may lose the last
commits, never corrupt), or FULL (each commit synced to disk), chosen with ``?synchronous=full``.
"""
from __future__ import annotations

import json
import operator
import sqlite3
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from shared.events import Envelope, NewEvent, utcnow
from shared.eventstore.groupcommit import Careful, GroupCommit, Pending, chain_group
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import COLUMNS, SELECT, SqlReads, chain_rows, envelope

#: the columns an event may leave empty (org unit, actor, correlation, causation), by index in ``COLUMNS``
NULLABLE = tuple(COLUMNS.index(name) for name in ("org_unit_id", "actor", "correlation_id", "causation_id"))
_nullable = operator.itemgetter(*NULLABLE)
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
#: event ids looked up per statement (under SQLite's bound-parameter limit)
ID_CHUNK = 500


#: the last version and hash of each stream named in a JSON array (one statement for a whole group)
TAILS = """SELECT s.value,
  (SELECT stream_version FROM events WHERE stream = s.value ORDER BY stream_version DESC LIMIT 1),
  (SELECT hash FROM events WHERE stream = s.value ORDER BY stream_version DESC LIMIT 1)
FROM json_each(?) AS s"""
TAIL = "SELECT stream_version, hash FROM events WHERE stream = ? ORDER BY stream_version DESC LIMIT 1"
#: the most streams whose last version and hash the writer remembers between commit groups (past
#: it, it forgets them all and reads them again)
TAILS_KEPT = 50_000
#: how long opening a store, and each write, waits for another connection's lock (seconds)
OPEN_SECONDS = 30
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    stream TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    org_unit_id TEXT,
    actor TEXT,
    correlation_id TEXT,
    causation_id TEXT,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    UNIQUE (stream, stream_version)
);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
"""


def insert_events(db, rows: Sequence[tuple]) -> None:
    """Insert ``rows`` (INSERT parameters, in ``COLUMNS`` order): the rows an INSERT binding every
    parameter stores, the empty (None) ones of the ``NULLABLE`` columns written as ``NULL`` in the
    statement instead of bound. Python's sqlite3 binds a None only after looking for an adapter for it (the
    ``__adapt__`` and ``__conform__`` look-ups), which was a quarter of the insert's CPU for the
    three None columns of a usual event (``python -m bench.append --costs``). One ``executemany``
    per pattern of empty columns (one for a usual batch); positions are in the rows, so the order
    in which the patterns are inserted does not change what is stored."""
    patterns = {values: tuple(value is None for value in values) for values in set(map(_nullable, rows))}
    if len(set(patterns.values())) == 1:
        sql, pick = _insert_leaving_out(next(iter(patterns.values())))
        db.executemany(sql, map(pick, rows))
        return
    parts: dict[tuple, list] = {}
    for row in rows:
        parts.setdefault(patterns[_nullable(row)], []).append(row)
    for empty, part in parts.items():
        sql, pick = _insert_leaving_out(empty)
        db.executemany(sql, map(pick, part))


@lru_cache(maxsize=None)  # 16 patterns at most
def _insert_leaving_out(empty: tuple[bool, ...]) -> tuple[str, operator.itemgetter]:
    """The INSERT with ``NULL`` for the ``NULLABLE`` columns flagged ``empty``, and what picks the
    other parameters out of a row."""
    null = {index for index, flag in zip(NULLABLE, empty) if flag}
    values = ",".join("NULL" if index in null else "?" for index in range(len(COLUMNS)))
    return (f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({values})",
            operator.itemgetter(*(index for index in range(len(COLUMNS)) if index not in null)))


class SQLiteEventStore(GroupCommit, SqlReads, EventStore):
    def __init__(self, path: str | Path, synchronous: str = "NORMAL"):
        super().__init__()
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}: {synchronous!r}")
        self.synchronous = synchronous
        self._init_group_commit()
        #: what the writer remembers of its own commits, good while no other connection wrote
        #: (SQLite's ``data_version`` unchanged): each stream's last version and hash, the head
        self._known_tails: dict[str, tuple[int, str]] = {}
        self._known_head: int | None = None
        self._data_version = None
        self._written: tuple[dict, int] | None = None  # what the group being written leaves
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=OPEN_SECONDS)
        self._prepare()
        try:
            self._json_each = self._db.execute("SELECT value FROM json_each('[1]')").fetchall() == [(1,)]
        except sqlite3.OperationalError:  # an SQLite built without JSON: one tail query per stream
            self._json_each = False

    def _prepare(self) -> None:
        """WAL mode, the durability asked and the schema, retried while another connection holds the
        file: several processes opening a fresh store at once race to switch it to WAL, and SQLite
        answers that switch with "database is locked" at once, without waiting (its busy handler is
        not called there). Every step is idempotent; a lock held longer than the connection's own
        timeout is raised."""
        deadline = time.monotonic() + OPEN_SECONDS
        pause = 0.005
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={self.synchronous}")
                self._db.executescript(SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        return self._append(Pending(batches))

    def append_positions(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[int]:
        return self._append(Pending(batches, envelopes=False))

    def _commit_group(self, group: list[Pending]) -> None:
        """Write the queued batches in one transaction (caller holds the writer lock).

        The fast path reads every stream's tail in one statement, chains the events in memory
        (a batch that fails leaves no row and takes no position) and inserts the rows of the whole
        group with one ``executemany``. Whatever it cannot settle (an event id already stored: a
        retry, or a partial one) makes it give way to the careful path, batch by batch under
        savepoints, in the same transaction — or, when the insert itself met a stored id, in a
        transaction begun again (the fast path's rows are undone with the first one: the insert
        runs under no savepoint, whose copies of the pages it changes cost a fifth of a commit
        group's CPU).

        The tails and the head the fast path wrote are remembered once committed, and taken
        instead of read while no other connection has written (``PRAGMA data_version``, read
        under the write lock, unchanged): a stream written by this store before is not read again.
        Anything else (the careful path, a failure) forgets them."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            version = db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:  # another connection wrote: what is remembered may be stale
                self._forget()
                self._data_version = version
            head = self._known_head
            self._written = None
            if not self._fast_group(db, group, (self._head(db) if head is None else head) + 1):
                self._written = None
                self._forget()
                self._careful_group(db, group, self._head(db) + 1)
            started = time.perf_counter()
            db.execute("COMMIT")
            self._commit_seconds = time.perf_counter() - started
        except BaseException as exc:
            self._forget()
            if db.in_transaction:
                db.execute("ROLLBACK")
            for pending in group:
                pending.result, pending.error = None, exc
            return
        if self._written is not None:
            tails, self._known_head = self._written
            if len(self._known_tails) + len(tails) > TAILS_KEPT:
                self._known_tails.clear()
            self._known_tails.update(tails)

    def _forget(self) -> None:
        self._known_tails.clear()
        self._known_head = None

    def _tails(self, db, streams: list[str]) -> dict[str, tuple[int, str]]:
        if self._json_each:
            rows = db.execute(TAILS, (json.dumps(streams, ensure_ascii=False),)).fetchall()
            return {name: (version, hash_) for name, version, hash_ in rows if version is not None}
        tails = {}
        for name in streams:
            last = db.execute(TAIL, (name,)).fetchone()
            if last:
                tails[name] = (last[0], last[1])
        return tails

    def _fast_group(self, db, group: list[Pending], position: int) -> bool:
        """The group written the fast way (``_written``: the tails of its streams and the head it
        leaves, remembered once committed), or False (nothing written) when the careful path must."""
        streams = list(dict.fromkeys(stream for p in group for stream, events, _ in p.batches if events))
        known = self._known_tails
        tails = {name: known[name] for name in streams if name in known}
        if len(tails) < len(streams):
            tails.update(self._tails(db, [name for name in streams if name not in tails]))

        def stale(pending: Pending, stream: str, expected: int, version: int, settled) -> Exception:
            ids = [e.event_id for _, events, _ in pending.batches for e in events]
            if not {row[1] for row in settled}.isdisjoint(ids) or self._any_stored(db, ids):
                raise Careful()  # a retry: the careful path answers it with what is stored
            return ConcurrencyError(stream, expected, version)

        try:  # one recording time for the group (written in one transaction)
            rows, after = chain_group(group, tails, position, utcnow(), stale)
        except Careful:
            return False
        if rows:
            try:  # the first write of the transaction: undoing it undoes nothing else
                insert_events(db, rows)
            except sqlite3.IntegrityError:  # an event id stored already (a retry): the careful path decides
                db.execute("ROLLBACK")
                db.execute("BEGIN IMMEDIATE")
                return False
        self._written = (tails, after - 1)
        return True

    @staticmethod
    def _head(db) -> int:
        return db.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0]

    def _any_stored(self, db, ids: list[str]) -> bool:
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start:start + ID_CHUNK]
            if db.execute(f"SELECT 1 FROM events WHERE event_id IN ({','.join('?' * len(chunk))}) LIMIT 1",
                          chunk).fetchone():
                return True
        return False

    def _careful_group(self, db, group: list[Pending], position: int) -> None:
        """Each caller's batch on its own savepoint, retries recognised by their stored ids."""
        for pending in group:
            db.execute("SAVEPOINT one")
            try:
                out, position = self._append_locked(db, pending.batches, position)
                pending.result = out if pending.envelopes else [env.position for env in out]
                pending.error = None
            except Exception as exc:  # this batch only: the others stay (and so does the position)
                db.execute("ROLLBACK TO one")
                pending.result, pending.error = None, exc
            db.execute("RELEASE one")

    def _append_locked(self, db, batches, position: int) -> tuple[list[Envelope], int]:
        """Write the batches from global ``position`` on; their envelopes and the next position."""
        out: list[Envelope] = []
        for stream, events, expected in batches:
            if not events:
                continue
            ids = [e.event_id for e in events]
            stored = []
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start:start + ID_CHUNK]
                stored += db.execute(f"{SELECT} WHERE event_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            if stored:
                if len(stored) != len(ids):
                    raise PartialRetryError(f"stream {stream}: some events of the batch are already stored")
                out.extend(envelope(r) for r in sorted(stored))
                continue
            last = db.execute(TAIL, (stream,)).fetchone()
            version, last_hash = (last[0], last[1]) if last else (-1, None)
            if expected != ANY and expected != version:
                raise ConcurrencyError(stream, expected, version)
            rows, envelopes = chain_rows(stream, events, version, last_hash, position)
            insert_events(db, rows)
            position += len(rows)
            out.extend(envelopes)
        return out, position

    # -- reading ---------------------------------------------------------------------
    def _query(self, sql: str, params: tuple = ()) -> list:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def head_position(self) -> int:
        return self._query("SELECT COALESCE(MAX(position), 0) FROM events")[0][0]

    # -- leases ----------------------------------------------------------------------
    def try_lease(self, name: str) -> bool:
        """An OS file lock beside the database: released by the kernel when the process dies."""
        import fcntl
        if self.path == ":memory:":
            return True
        if not hasattr(self, "_leases"):
            self._leases = {}
        if name in self._leases:
            return True
        handle = open(f"{self.path}.{name}.lease", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._leases[name] = handle
        return True

    # -- checkpoints -----------------------------------------------------------------
    def set_checkpoint(self, name: str, position: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET position = excluded.position", (name, position))

    def close(self) -> None:
        with self._lock:
            self._db.close()
