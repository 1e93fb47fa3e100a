"""Backends for the event store contract suite: one real store location per test.

- sqlite: a file in tmp_path;
- postgres: one fresh database per test module (``dangvien_test_<hex>``, dropped at the end),
  one schema per test; the server is shared with other runs, so nothing else is touched;
- kurrentdb: a real server at ``KURRENTDB_URL`` when set, else the stand-in gRPC server of
  ``tests/support/kurrentdb_standin.py`` (its own process, started once per session); each test
  writes under its own ``log`` prefix. ``kurrentdb-separate`` runs the same tests with
  ``multi_append=false``: separate appends, as against servers before 25.1.

``DANGVIEN_REQUIRE_SERVICES=1`` (CI) turns "PostgreSQL/KurrentDB unreachable" from a skip into a
failure, so a broken CI machine cannot pass by skipping.
"""
from __future__ import annotations

import os
import sqlite3
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from shared.eventstore import EventStore, open_store

PG_ADMIN_URL = os.environ.get("DANGVIEN_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE = os.environ.get("DANGVIEN_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"{reason} (DANGVIEN_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def with_query(url: str, **params: str) -> str:
    sep = "&" if urlsplit(url).query else "?"
    return url + sep + "&".join(f"{k}={v}" for k, v in params.items())


class Backend:
    """One store location; ``open()`` gives another store object (own connection) on it."""

    gap_free = True  # positions are exactly 1..N
    immutable = False  # no way to edit a stored event behind the store's back

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url
        self._opened: list[EventStore] = []

    def open(self) -> EventStore:
        store = open_store(self.url)
        self._opened.append(store)
        return store

    def tamper(self, event_id: str, data_text: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        for store in self._opened:
            store.close()


class SQLiteBackend(Backend):
    def __init__(self, path):
        super().__init__("sqlite", f"sqlite:///{path}")
        self.path = path

    def tamper(self, event_id: str, data_text: str) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute("UPDATE events SET data = ? WHERE event_id = ?", (data_text, event_id))


class PostgresBackend(Backend):
    def __init__(self, db_url: str, schema: str):
        super().__init__("postgres", with_query(db_url, schema=schema))
        self.db_url, self.schema = db_url, schema

    def tamper(self, event_id: str, data_text: str) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as db:
            db.execute(f'UPDATE "{self.schema}".events SET data = %s WHERE event_id = %s', (data_text, event_id))


class KurrentDBBackend(Backend):
    gap_free = False  # commit positions grow with gaps (DESIGN.md §2)
    immutable = True


@pytest.fixture(scope="module")
def pg_database():
    """A fresh PostgreSQL database for this test module, dropped afterwards."""
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}".strip())
    name = f"dangvien_test_{uuid.uuid4().hex}"
    admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(PG_ADMIN_URL)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def kurrentdb_url():
    url = os.environ.get("KURRENTDB_URL")
    if not url:
        from tests.support.kurrentdb_standin import StandIn
        server = StandIn()
        try:
            yield server.url
        finally:
            server.stop()
        return
    from shared.eventstore.kurrentdb import KurrentDBEventStore
    probe = None
    try:
        probe = KurrentDBEventStore(url, log=f"probe{uuid.uuid4().hex}")
        probe.head_position()
    except Exception as exc:  # any client error means: no usable server
        unavailable(f"KurrentDB not reachable at {url}: {type(exc).__name__}: {exc}")
    finally:
        if probe is not None:
            probe.close()
    yield url


@pytest.fixture(params=["sqlite", "postgres", "kurrentdb", "kurrentdb-separate"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        b: Backend = SQLiteBackend(tmp_path / "events.db")
    elif request.param == "postgres":
        db_url = request.getfixturevalue("pg_database")
        b = PostgresBackend(db_url, f"t_{uuid.uuid4().hex[:16]}")
    else:
        url = request.getfixturevalue("kurrentdb_url")
        extra = {"multi_append": "false"} if request.param == "kurrentdb-separate" else {}
        b = KurrentDBBackend(request.param, with_query(url, log=f"t{uuid.uuid4().hex}", **extra))
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def store(backend) -> EventStore:
    return backend.open()
