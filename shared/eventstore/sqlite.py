"""SQLite adapter: the embedded default, one file per service, WAL mode.

One writer at a time (BEGIN IMMEDIATE), so positions are max+1 and never have gaps.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Iterator, Sequence

from shared.events import Envelope, NewEvent
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import COLUMNS, chain, envelope, row_params

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

SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM events"


class SQLiteEventStore(EventStore):
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

    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        rows = self._query(f"{SELECT} WHERE stream = ? AND stream_version >= ? ORDER BY stream_version",
                           (stream, from_version))
        return [envelope(r) for r in rows]

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        batch = 2000 if limit is None else min(limit, 2000)
        position, left = from_position, limit
        while left is None or left > 0:
            n = batch if left is None else min(batch, left)
            upper = to_position if to_position is not None else 2 ** 62
            rows = self._query(f"{SELECT} WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?",
                               (position, upper, n))
            for r in rows:
                yield envelope(r)
            if len(rows) < n:
                return
            position = rows[-1][0] + 1
            if left is not None:
                left -= len(rows)

    def head_position(self) -> int:
        return self._query("SELECT COALESCE(MAX(position), 0) FROM events")[0][0]

    def stream_version(self, stream: str) -> int:
        row = self._query("SELECT MAX(stream_version) FROM events WHERE stream = ?", (stream,))[0][0]
        return -1 if row is None else row

    def stream_names(self) -> Iterator[str]:
        for (name,) in self._query("SELECT DISTINCT stream FROM events ORDER BY stream"):
            yield name

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        rows = self._query(f"{SELECT} WHERE event_id = ?", (event_id,))
        return envelope(rows[0]) if rows else None

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
    def get_checkpoint(self, name: str) -> int:
        rows = self._query("SELECT position FROM checkpoints WHERE name = ?", (name,))
        return rows[0][0] if rows else 0

    def set_checkpoint(self, name: str, position: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET position = excluded.position", (name, position))

    def close(self) -> None:
        with self._lock:
            self._db.close()
