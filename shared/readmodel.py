"""Read model databases: SQLite (embedded) or PostgreSQL, behind one small interface.

SQL is written once in the subset both engines speak (``?`` placeholders are turned into
``%s`` for psycopg; ``INSERT ... ON CONFLICT`` works in both).
"""
from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import threading
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

_QMARK = re.compile(r"\?")
#: the one row of an ``INSERT … VALUES (…)`` (no nested parentheses)
_VALUES = re.compile(r"\bVALUES\s*(\([^()]*\))")
#: ``UPDATE t SET a = ?, b = ? WHERE k = ? AND j = ?``: every value a parameter, the rows by equality
_UPDATE = re.compile(r"UPDATE\s+(\w+)\s+SET\s+(\w+\s*=\s*\?(?:\s*,\s*\w+\s*=\s*\?)*)\s+"
                     r"WHERE\s+(\w+\s*=\s*\?(?:\s+AND\s+\w+\s*=\s*\?)*)\s*", re.IGNORECASE)


class Tx:
    """The handle a projection writes through inside one transaction."""

    def __init__(self, cursor, pg: bool, pipeline=None):
        self._cur, self._pg, self._pipeline = cursor, pg, pipeline
        self._counted = cursor  # the cursor whose ``rowcount`` answers

    @property
    def pg(self) -> bool:
        return self._pg

    def _sql(self, sql: str) -> str:
        return _QMARK.sub("%s", sql) if self._pg else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "Tx":
        if self._pipeline is not None:
            # pipelined, each statement gets its own cursor: the answer to an earlier write may
            # arrive while a read is sent, and psycopg would set it on the shared cursor, where
            # the read's fetch then finds it ("the last operation didn't produce records")
            self._cur = self._cur.connection.cursor()
        self._cur.execute(self._sql(sql), tuple(params) or (None if self._pg else ()))
        self._counted = self._cur
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._pipeline is not None:  # its own cursor: ``rowcount`` then counts these rows alone
            self._counted = self._cur.connection.cursor()
            self._counted.executemany(self._sql(sql), [tuple(r) for r in rows])
            return
        self._cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def insert_rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``executemany`` of ``INSERT … VALUES (…) [ON CONFLICT …]`` as one multi-row statement
        per chunk on PostgreSQL (one statement, not one per row). The caller sees that no two rows
        touch the same row of the table (ON CONFLICT DO UPDATE may not change a row twice in one
        statement); SQLite runs ``executemany``, already in-process."""
        m = _VALUES.search(sql) if self._pg else None
        if m is None or len(rows) < 2:
            self.executemany(sql, rows)
            return
        import psycopg
        width = m.group(1).count("?")
        per = max(1, min(MANY_ROWS, 60000 // max(1, width)))
        # its own cursor, as ``executemany`` (reads keep theirs); a raw one (``$n`` placeholders),
        # whose long text psycopg sends as it is instead of parsing it for ``%s``
        cur = psycopg.RawCursor(self._cur.connection)
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            cur.execute(_many_rows(sql, m.start(1), m.end(1), width, len(chunk)), [x for r in chunk for x in r])
        self._counted = cur

    def update_rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``executemany`` of ``UPDATE t SET a = ?, … WHERE k = ? AND …`` as one statement per
        chunk on PostgreSQL, joined to the rows as a ``VALUES`` list (one statement, not one per
        row). The caller sees that no two rows name the same row of the table (an UPDATE joined to
        two of them changes it once, with either), and that the values suit a ``VALUES`` list (a
        column whose values are all NULL or text is typed text there, so set to a text column);
        SQLite, and any other statement, run ``executemany``."""
        m = _UPDATE.fullmatch(sql.strip()) if self._pg and len(rows) > 1 else None
        if m is None:
            self.executemany(sql, rows)
            return
        import psycopg
        table = m.group(1)
        sets = [part.split("=")[0].strip() for part in m.group(2).split(",")]
        keys = [part.split("=")[0].strip() for part in re.split(r"\s+AND\s+", m.group(3), flags=re.IGNORECASE)]
        width = len(sets) + len(keys)
        per = max(1, min(1000, 60000 // width))
        cur = psycopg.RawCursor(self._cur.connection)  # its own cursor, as ``insert_rows``
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            cur.execute(_joined_update(table, tuple(sets), tuple(keys), len(chunk)), [x for r in chunk for x in r])
        self._counted = cur

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert many rows in bulk: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on
        SQLite; ``rows`` may be an iterator (streamed, not held). Returns the rows written."""
        cols = ", ".join(columns)
        n = 0
        if self._pg:
            with self._cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join("?" * len(columns))
        for chunk in _chunks(rows, 5000):
            self._cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", chunk)
            n += len(chunk)
        return n

    def rows_in(self, sql: str, keys: Sequence[Any], params: Sequence[Any] = ()) -> list:
        """The rows of ``sql`` for every key of ``keys``: ``sql`` holds ``{keys}`` where its
        ``column IN (…)`` goes (``sql.format(keys=...)``), and ``params`` the values of the ``?``
        after it. PostgreSQL: one statement whatever the number of keys, the keys one array
        parameter (``text_array``), so its text stays the same (psycopg prepares it once, the server
        plans no list of 500 values each time); SQLite: ``IN (?, …)`` by 500 keys."""
        keys = list(keys)
        if not keys:
            return []
        if self._pg:
            return self.execute(sql.format(keys="= ANY(CAST(? AS text[]))"), (text_array(keys), *params)).fetchall()
        out: list = []
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out.extend(self.execute(sql.format(keys=f"IN ({','.join('?' * len(chunk))})"),
                                    (*chunk, *params)).fetchall())
        return out

    def fetchall(self) -> list:
        return self._cur.fetchall()

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (pipelined: after waiting for what was queued)."""
        if self._pipeline is not None:
            self._pipeline.sync()
        return self._counted.rowcount

    def fetchone(self):
        return self._cur.fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = (), default=None):
        row = self.execute(sql, params).fetchone()
        return default if row is None or row[0] is None else row[0]


def int_array(values: Iterable[int]) -> str:
    """Integers as one PostgreSQL array literal, for a parameter cast to ``integer[]``."""
    return "{" + ",".join(map(str, map(int, values))) + "}"


def lock_names(tx: Tx, lock_class: int, names: Iterable[str]) -> None:
    """PostgreSQL transaction advisory locks of class ``lock_class``, one per name (its CRC-32 as a
    signed ``int4``), taken in one order (the unsigned CRC's) by one statement: ``unnest`` gives
    the keys in the array's order, each locked in turn. Two transactions locking overlapping
    names never wait for each other in a cycle."""
    keys = sorted({zlib.crc32(name.encode("utf-8")) for name in names})
    if keys:
        tx.execute("SELECT count(pg_advisory_xact_lock(?, k)) FROM unnest(CAST(? AS integer[])) AS u(k)",
                   (lock_class, int_array(k - (1 << 32) if k >= 1 << 31 else k for k in keys)))


def text_array(values: Sequence[str]) -> str:
    """Strings as one PostgreSQL ``text[]`` literal, for a parameter cast to ``text[]``: each
    element quoted (a backslash or a double quote escaped). Four times as quick as psycopg's
    list dumper, which adapts element by element in Python (a batch sends thousands of keys)."""
    values = list(map(str, values))
    raw = "".join(values)
    if "\\" in raw or '"' in raw:
        values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return '{"' + '","'.join(values) + '"}' if values else "{}"


@functools.lru_cache(maxsize=256)
def _many_rows(sql: str, start: int, end: int, width: int, n: int) -> str:
    """``sql`` with its one row ``sql[start:end]`` of ``width`` ``?`` made ``n`` rows of ``$k``."""
    assert "?" not in sql[end:] and "?" not in sql[:start]
    return sql[:start] + ", ".join(_row_texts(sql[start:end], width)[:n]) + sql[end:]


#: the most rows ``Tx.insert_rows`` sends in one statement
MANY_ROWS = 1000


@functools.lru_cache(maxsize=64)
def _row_texts(one: str, width: int) -> tuple[str, ...]:
    """The row ``one`` of ``width`` ``?`` as rows 1 … ``MANY_ROWS`` of ``$k``: built once per row
    shape (a batch's last chunk, of another length each time, takes the first n of them)."""
    parts = one.split("?")
    assert len(parts) == width + 1
    template = "".join(p.replace("{", "{{").replace("}", "}}") + "${}" for p in parts[:-1]) + \
        parts[-1].replace("{", "{{").replace("}", "}}")
    return tuple(template.format(*range(r * width + 1, r * width + width + 1)) for r in range(MANY_ROWS))


@functools.lru_cache(maxsize=64)
def _joined_update(table: str, sets: tuple[str, ...], keys: tuple[str, ...], n: int) -> str:
    """``UPDATE table SET sets … WHERE keys …`` of ``n`` rows of ``$k`` (sets, then keys, each row)."""
    width = len(sets) + len(keys)
    values = ", ".join("(" + ", ".join(f"${r * width + j + 1}" for j in range(width)) + ")" for r in range(n))
    names = [f"s{j}" for j in range(len(sets))] + [f"k{j}" for j in range(len(keys))]
    return (f"UPDATE {table} AS t_ SET " + ", ".join(f"{c} = v_.s{j}" for j, c in enumerate(sets))
            + f" FROM (VALUES {values}) AS v_({', '.join(names)}) WHERE "
            + " AND ".join(f"t_.{c} = v_.k{j}" for j, c in enumerate(keys)))


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: the advisory lock that serialises schema changes of processes sharing a PostgreSQL read model
DDL_LOCK = 0x64766444


#: pauses between attempts when PostgreSQL dropped the connection (a restart, a failover,
#: ``pg_terminate_backend``): about 7 s in all, then the caller gets a 503 naming the database
RETRY_PAUSES = (0.0, 0.1, 0.3, 0.6, 1.0, 2.0, 3.0)


def _lost(conn, exc: BaseException) -> bool:
    """Did ``exc`` come from a connection that is gone or unusable (rather than from the SQL)?"""
    import psycopg
    if not isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return False
    return conn is None or conn.closed or bool(getattr(conn, "broken", False)) or stuck_in_pipeline(conn)


def stuck_in_pipeline(conn) -> bool:
    """Left in pipeline mode outside any ``pipeline()`` block (``executemany`` and appends use one;
    the server dropped the connection in the middle): every later statement would fail with
    'not allowed in pipeline mode', so the connection must be replaced."""
    try:
        return not conn.closed and conn.pgconn.pipeline_status != 0 and conn._pipeline is None
    except Exception:
        return True


class ReadModelDB:
    """One connection per database and process. On PostgreSQL a dropped connection is reopened
    and the statement (or the transaction's BEGIN) retried with backoff, so a database restart
    is a pause, not an outage; after the last attempt the caller gets ``dependency_unavailable``
    (503) naming ``label``."""

    def __init__(self, url: str, label: tuple[str, str] | None = None):
        self.url = url
        self.pg = url.startswith(("postgresql://", "postgres://"))
        #: (Vietnamese, English) name of this database in errors and health checks
        self.label = label or ("Cơ sở dữ liệu", "Database")
        #: False from a failed attempt to the next success (what /readyz reports when busy)
        self.healthy = True
        self._lock = threading.RLock()
        self._conn = None
        if self.pg:
            self._retrying(lambda conn: None)
        else:
            path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")

    # -- PostgreSQL connection ------------------------------------------------------------------
    def _pg_connection(self):
        """The open connection, reopened if the server dropped it. Caller holds the lock."""
        conn = self._conn
        if conn is None or conn.closed or getattr(conn, "broken", False) or stuck_in_pipeline(conn):
            import psycopg

            from shared.eventstore.postgres import _eventlet_patched, _GreenConnection
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
                self._conn = None
            cls = _GreenConnection if _eventlet_patched() else psycopg.Connection
            self._conn = cls.connect(self.url, autocommit=False, connect_timeout=5)
        return self._conn

    def _retrying(self, work, pauses: Sequence[float] = RETRY_PAUSES):
        """``work(connection)``, again on a fresh connection while the connection is what failed."""
        import time

        from shared.errors import dependency_unavailable
        with self._lock:
            for pause in pauses:
                if pause:
                    time.sleep(pause)
                try:
                    out = work(self._pg_connection())
                except Exception as exc:
                    if not _lost(self._conn, exc) and not _connect_failed(exc):
                        raise
                    self.healthy = False
                    with contextlib.suppress(Exception):
                        if self._conn is not None:
                            self._conn.close()
                    continue
                self.healthy = True
                return out
            raise dependency_unavailable(*self.label)

    @contextlib.contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[Tx]:
        """One transaction. ``pipelined`` (PostgreSQL): statements whose results are not read are
        sent without waiting for their answers (psycopg's pipeline mode), so a burst of writes
        costs about one round trip per read instead of one per statement; any error still
        surfaces before COMMIT and rolls everything back."""
        with self._lock:
            if self.pg:
                def begin(conn):
                    tx = conn.transaction()
                    tx.__enter__()  # sends BEGIN: a dead connection shows here, before any work
                    return tx
                tx = self._retrying(begin)
                pipe = None
                try:
                    if pipelined:
                        pipe = self._conn.pipeline()
                        started = pipe.__enter__()
                    with self._conn.cursor() as cur:
                        yield Tx(cur, True, started if pipe is not None else None)
                    if pipe is not None:
                        done, pipe = pipe, None
                        done.__exit__(None, None, None)  # waits for every queued statement
                except BaseException as exc:
                    if pipe is not None:
                        try:
                            pipe.__exit__(type(exc), exc, exc.__traceback__)
                        except Exception:
                            pass
                    try:
                        tx.__exit__(type(exc), exc, exc.__traceback__)
                    except Exception:
                        pass
                    if _lost(self._conn, exc):
                        self.healthy = False
                        from shared.errors import dependency_unavailable
                        raise dependency_unavailable(*self.label) from exc
                    raise
                try:
                    tx.__exit__(None, None, None)  # COMMIT
                except Exception as exc:
                    if _lost(self._conn, exc):
                        self.healthy = False
                        from shared.errors import dependency_unavailable
                        raise dependency_unavailable(*self.label) from exc
                    raise
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
        if self.pg:
            def run(conn):
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(_QMARK.sub("%s", sql), tuple(params) or None)  # none: a literal % stays
                    return cur.fetchall()
            return self._retrying(run)
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    def scan(self, sql: str, params: Sequence[Any] = (), size: int = 10_000) -> Iterator[list]:
        """A long read (a checksum of whole tables) in pages of ``size`` rows, so they are not all
        held at once. SQLite: one statement, this connection's lock held until its last page;
        PostgreSQL: ``query`` (its rows, then paged)."""
        if self.pg:
            rows = self.query(sql, params)
            for i in range(0, len(rows), size):
                yield rows[i:i + size]
            return
        with self._lock:
            cur = self._conn.execute(sql, tuple(params))
            try:
                while page := cur.fetchmany(size):
                    yield page
            finally:
                cur.close()

    def quick_query(self, sql: str, params: Sequence[Any] = (), wait: float = 1.0) -> list:
        """``query`` for /metrics and /readyz: one attempt (reconnecting once), no backoff, and
        not waiting more than ``wait`` seconds for another caller's work; raises on failure."""
        if not self._lock.acquire(timeout=wait):
            raise TimeoutError("read model busy")
        try:
            if not self.pg:
                return self._conn.execute(sql, tuple(params)).fetchall()

            def run(conn):
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(_QMARK.sub("%s", sql), tuple(params) or None)  # none: a literal % stays
                    return cur.fetchall()
            return self._retrying(run, pauses=(0.0, 0.0))
        finally:
            self._lock.release()

    def ping(self, wait: float = 1.0) -> bool:
        """One quick ``SELECT 1`` for /readyz; a database busy with someone else's work for longer
        than ``wait`` answers with how the last attempt went."""
        try:
            self.quick_query("SELECT 1", wait=wait)
            return True
        except TimeoutError:
            return self.healthy
        except Exception:
            return False

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
            if self._conn is not None:
                self._conn.close()


def _connect_failed(exc: BaseException) -> bool:
    """A connection attempt that failed (server down or restarting): worth another try."""
    import psycopg
    return isinstance(exc, psycopg.OperationalError) and "connection" in str(exc).lower()
