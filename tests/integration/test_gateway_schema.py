"""The gateway's user database has a versioned schema: a new database is made at the latest
version; a database made before versioning (no version table, no ``expires_at``) is brought up
without losing its users; running the migrations again changes nothing. SQLite and PostgreSQL."""
from __future__ import annotations

import contextlib

import pytest

from shared.readmodel import ReadModelDB

from services.gateway import schema
from services.gateway.audit import AccessLog
from services.gateway.auth import UserStore
from tests.support.services import pg_database

#: the tables as the gateway made them before tokens could expire and before versioning
OLD = ["CREATE TABLE gw_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, scope TEXT, kind TEXT NOT NULL, "
       "token_hash TEXT UNIQUE, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)",
       "INSERT INTO gw_users (name, role, scope, kind, token_hash, created_at) "
       "VALUES ('old_clerk', 'clerk', 'TN-D1', 'person', 'abc', '2025-01-01T00:00:00+00:00')"]


@contextlib.contextmanager
def database(kind: str, tmp_path):
    if kind == "sqlite":
        db = ReadModelDB(f"sqlite:///{tmp_path}/gateway.db")
        try:
            yield db
        finally:
            db.close()
    else:
        with pg_database() as url:
            db = ReadModelDB(url)
            try:
                yield db
            finally:
                db.close()


#: every migration shipped, in order
ALL = [n for n, *_ in schema.MIGRATIONS]


def versions(db) -> list[int]:
    return [r[0] for r in db.query("SELECT version FROM gw_schema_version ORDER BY version")]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def test_a_new_database_is_made_at_the_latest_version(kind, tmp_path):
    with database(kind, tmp_path) as db:
        users = UserStore(db)
        AccessLog(db)
        assert versions(db) == [n for n, *_ in schema.MIGRATIONS] and schema.version(db) == schema.LATEST
        token = users.add("clerk1", "clerk", "TN-D1", days=30)
        assert users.authenticate(token).name == "clerk1"
        assert schema.migrate(db) == schema.LATEST and versions(db) == ALL  # again: nothing changes


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def test_a_database_made_before_versioning_is_brought_up_keeping_its_users(kind, tmp_path):
    with database(kind, tmp_path) as db:
        with db.transaction() as tx:
            for sql in OLD:
                tx.execute(sql)
        users = UserStore(db)
        assert versions(db) == ALL
        with db.transaction() as tx:
            assert schema.has_column(tx, "gw_users", "expires_at") and schema.has_column(tx, "gw_users",
                                                                                            "password_hash")
        assert [u.name for u in users.all()] == ["old_clerk"]


def test_a_database_newer_than_the_code_is_left_alone(tmp_path):
    with database("sqlite", tmp_path) as db:
        schema.migrate(db)
        with db.transaction() as tx:
            tx.execute("INSERT INTO gw_schema_version (version, description, applied_at) VALUES (99, 'later', 'x')")
        assert schema.migrate(db) == 99 and versions(db) == ALL + [99]
