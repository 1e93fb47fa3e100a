"""Read model databases: SQLite (embedded) or PostgreSQL, behind one small interface.

SQL is written once in the subset both engines speak (``?`` placeholders are turned into
``%s`` for psycopg; ``INSERT ... ON CONFLICT`` works in both).
"""
from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

_QMARK = re.compile(r"\?")


class Tx:
    """The handle a projection writes through inside one transaction."""

    def __init__(self, cursor, pg: bool):
        self._cur, self._pg = cursor, pg

    @property
    def pg(self) -> bool:
        return self._pg

    def _sql(self, sql: str) -> str:
        return _QMARK.sub("%s", sql) if self._pg else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "Tx":
        self._cur.execute(self._sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list:
        return self._cur.fetchall()

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._cur.rowcount

    def fetchone(self):
        return self._cur.fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = (), default=None):
        row = self.execute(sql, params).fetchone()
        return default if row is None or row[0] is None else row[0]


#: the advisory lock that serialises schema changes of processes sharing a PostgreSQL read model
DDL_LOCK = 0x64766444


class ReadModelDB:
    def __init__(self, url: str):
        self.url = url
        self.pg = url.startswith(("postgresql://", "postgres://"))
        self._lock = threading.RLock()
        if self.pg:
            import psycopg
            self._conn = psycopg.connect(url, autocommit=False)
        else:
            path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            if self.pg:
                with self._conn.transaction():
                    with self._conn.cursor() as cur:
                        yield Tx(cur, True)
            else:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    yield Tx(cur, False)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list:
        with self._lock:
            if self.pg:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    cur.execute(_QMARK.sub("%s", sql), tuple(params))
                    return cur.fetchall()
            return self._conn.execute(sql, tuple(params)).fetchall()

    def executescript(self, ddl: str) -> None:
        statements = [s.strip() for s in ddl.split(";") if s.strip()]
        with self.transaction() as tx:
            if self.pg:  # processes starting together would race on CREATE ... IF NOT EXISTS
                tx.execute("SELECT pg_advisory_xact_lock(?)", (DDL_LOCK,))
            for s in statements:
                tx.execute(s)

    def secure_delete(self) -> None:
        """SQLite: overwrite deleted content with zeros (for tables holding secrets)."""
        if not self.pg:
            with self._lock:
                self._conn.execute("PRAGMA secure_delete=ON")

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and truncate the log to zero
        bytes (after deleting a secret, so no old page survives in ``-wal``). PostgreSQL: nothing
        (see docs/personal-data.md on VACUUM and backups)."""
        if not self.pg:
            with self._lock:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
