"""SQLite adapter: the embedded default, one file per service, WAL mode.

One writer at a time (BEGIN IMMEDIATE), so positions are max+1 and never have gaps.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Sequence

from shared.events import Envelope, NewEvent
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import COLUMNS, SELECT, SqlReads, chain, envelope, row_params

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
    def __init__(self, path: str | Path):
        super().__init__()
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                out = self._append_locked(db, batches)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self._notify_appended()
        return out

    def _append_locked(self, db, batches) -> list[Envelope]:
        out: list[Envelope] = []
        position = db.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0] + 1
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
            db.executemany(
                f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})",
                [row_params(r) for r in rows])
            position += len(rows)
            out.extend(envelope(row_params(r)) for r in rows)
        return out

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
