"""The versioned schema of the gateway's own database (users, API tokens, their audit, the
personal-data access log).

``gw_schema_version`` holds one row per migration applied. On start the gateway applies, in order,
the migrations the database lacks, each in its own transaction with its version row, so a database
is always at a known version. A new table or column is a new migration at the end of
``MIGRATIONS`` — never an edit of one already shipped. Databases made before versioning (their
tables exist, no version table) pass through migration 1 unchanged (``IF NOT EXISTS``) and get
only the columns they lack.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from shared.readmodel import DDL_LOCK, ReadModelDB, Tx

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS gw_schema_version (
    version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)
"""


def _users_and_access_log(tx: Tx) -> None:
    tx.execute("CREATE TABLE IF NOT EXISTS gw_users ("
               "name TEXT PRIMARY KEY, role TEXT NOT NULL, scope TEXT, kind TEXT NOT NULL, "
               "token_hash TEXT UNIQUE, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)")
    tx.execute("CREATE TABLE IF NOT EXISTS gw_user_audit ("
               "seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, "
               "name TEXT NOT NULL, detail TEXT)")
    key = "BIGSERIAL PRIMARY KEY" if tx.pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    tx.execute(f"CREATE TABLE IF NOT EXISTS gw_access_log (id {key}, at TEXT NOT NULL, actor TEXT NOT NULL, "
               "role TEXT NOT NULL, action TEXT NOT NULL, endpoint TEXT NOT NULL, params TEXT NOT NULL, "
               "reason TEXT, subjects TEXT NOT NULL, rows INTEGER NOT NULL)")


def _add_column(table: str, column: str, kind: str) -> Callable[[Tx], None]:
    def step(tx: Tx) -> None:
        if not has_column(tx, table, column):
            tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    return step


def has_column(tx: Tx, table: str, column: str) -> bool:
    if tx.pg:
        return tx.scalar("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND table_name = ? AND column_name = ?", (table, column), 0) > 0
    return any(row[1] == column for row in tx.execute(f"PRAGMA table_info({table})").fetchall())


def _passwords(tx: Tx) -> None:
    _add_column("gw_users", "password_hash", "TEXT")(tx)
    tx.execute("CREATE TABLE IF NOT EXISTS gw_sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
               "created_at TEXT NOT NULL, expires_at TEXT NOT NULL)")
    tx.execute("CREATE TABLE IF NOT EXISTS gw_login_failures (name TEXT NOT NULL, at TEXT NOT NULL)")


def _idempotency(tx: Tx) -> None:
    tx.execute("CREATE TABLE IF NOT EXISTS gw_idempotency (command_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
               "at TEXT NOT NULL)")


#: (version, what it does, the step); append only
MIGRATIONS: list[tuple[int, str, Callable[[Tx], None]]] = [
    (1, "users, their audit, the personal-data access log", _users_and_access_log),
    (2, "API tokens may expire", _add_column("gw_users", "expires_at", "TEXT")),
    (3, "sign-in with a password: its hash, sessions, failed attempts", _passwords),
    (4, "the body accepted under each client's Idempotency-Key", _idempotency),
    (5, "claims of Idempotency-Keys pruned by age: an index on the claim time",
     lambda tx: tx.execute("CREATE INDEX IF NOT EXISTS gw_idempotency_at ON gw_idempotency (at)")),
]
LATEST = MIGRATIONS[-1][0]


def version(db: ReadModelDB) -> int:
    db.executescript(VERSION_TABLE)
    return int(db.query("SELECT COALESCE(MAX(version), 0) FROM gw_schema_version")[0][0])


def migrate(db: ReadModelDB) -> int:
    """Bring the database to ``LATEST``; return the version it is at. A database newer than this
    code (a later gateway already ran) is left alone."""
    current = version(db)
    for number, description, step in MIGRATIONS:
        if number <= current:
            continue
        with db.transaction() as tx:
            if tx.pg:  # replicas starting together: one migrates, the others wait and then skip
                tx.execute("SELECT pg_advisory_xact_lock(?)", (DDL_LOCK,))
            done = tx.scalar("SELECT COUNT(*) FROM gw_schema_version WHERE version = ?", (number,), 0)
            if done:  # another gateway replica applied it meanwhile
                continue
            step(tx)
            tx.execute("INSERT INTO gw_schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                       (number, description, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
    return max(current, LATEST)
