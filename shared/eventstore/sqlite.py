"""SQLite adapter: the embedded default, one file per service, WAL mode.

One writer at a time (BEGIN IMMEDIATE), so positions are max+1 and never have gaps.

Group commit: appends made at the same time by several threads of one process share one
transaction. Each caller queues its batch and waits for the writer lock; whoever gets it writes
every queued batch, each under its own savepoint (one batch's conflict does not undo another's),
commits once, and answers them all. A caller whose batch was written by another returns at
once. Nobody is answered before the commit, so nothing is reported stored that could be lost.

``synchronous`` is SQLite's durability setting: NORMAL (default; a power cut may lose the last
commits, never corrupt), or FULL (each commit synced to disk), chosen with ``?synchronous=full``.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Sequence

from shared.events import Envelope, NewEvent
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import COLUMNS, SELECT, SqlReads, appended, chain, envelope, row_params

INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class _Pending:
    """One caller's batch waiting for a group commit."""

    __slots__ = ("batches", "done", "result", "error")

    def __init__(self, batches) -> None:
        self.batches, self.done, self.result, self.error = batches, False, None, None

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



class SQLiteEventStore(SqlReads, EventStore):
    def __init__(self, path: str | Path, synchronous: str = "NORMAL"):
        super().__init__()
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        synchronous = synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}: {synchronous!r}")
        self.synchronous = synchronous
        self._pending: list[_Pending] = []
        self._pending_lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(SCHEMA)

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        mine = _Pending(batches)
        with self._pending_lock:
            self._pending.append(mine)
        with self._lock:
            if not mine.done:  # nobody wrote it while we waited for the lock: write every queued batch
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._commit_group(group)
        if mine.error is not None:
            raise mine.error
        self._notify_appended()
        return mine.result

    def _commit_group(self, group: list[_Pending]) -> None:
        """Write the queued batches in one transaction (caller holds the writer lock)."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            position = db.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0] + 1
            if len(group) == 1:
                group[0].result, _ = self._append_locked(db, group[0].batches, position)
            else:
                for pending in group:
                    # One event in one stream fails before it writes, or in its one INSERT (which
                    # SQLite undoes alone): no savepoint needed. Anything bigger gets one.
                    single = len(pending.batches) == 1 and len(pending.batches[0][1]) == 1
                    if not single:
                        db.execute("SAVEPOINT one")
                    try:
                        pending.result, position = self._append_locked(db, pending.batches, position)
                    except Exception as exc:  # this batch only: the others stay (and so does the position)
                        if not single:
                            db.execute("ROLLBACK TO one")
                        pending.error = exc
                    if not single:
                        db.execute("RELEASE one")
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            for pending in group:
                pending.result, pending.error = None, exc
        finally:
            for pending in group:
                pending.done = True

    def _append_locked(self, db, batches, position: int) -> tuple[list[Envelope], int]:
        """Write the batches from global ``position`` on; their envelopes and the next position."""
        out: list[Envelope] = []
        for stream, events, expected in batches:
            if not events:
                continue
            ids = [e.event_id for e in events]
            marks = ",".join("?" * len(ids))
            stored = db.execute(f"{SELECT} WHERE event_id IN ({marks}) ORDER BY position", ids).fetchall()
            if stored:
                if len(stored) != len(ids):
                    raise PartialRetryError(f"stream {stream}: some events of the batch are already stored")
                out.extend(envelope(r) for r in stored)
                continue
            last = db.execute(
                "SELECT stream_version, hash FROM events WHERE stream = ? ORDER BY stream_version DESC LIMIT 1",
                (stream,)).fetchone()
            version, last_hash = (last[0], last[1]) if last else (-1, None)
            if expected != ANY and expected != version:
                raise ConcurrencyError(stream, expected, version)
            rows = chain(stream, events, version, last_hash, position)
            if len(rows) == 1:
                db.execute(INSERT, row_params(rows[0]))
            else:
                db.executemany(INSERT, [row_params(r) for r in rows])
            position += len(rows)
            out.extend(appended(r) for r in rows)
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
