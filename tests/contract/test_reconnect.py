"""Every PostgreSQL connection survives the server dropping it (restart, failover,
``pg_terminate_backend``), and one that cannot come back is a named 503, not a stack trace.

Real PostgreSQL: a fresh database per test; its backends are terminated, or the database refuses
new connections for a while, exactly as an operator's failover does to a running process.
"""
from __future__ import annotations

import contextlib

import psycopg
import pytest

from shared.errors import Unavailable
from shared.catalog.reporting import TargetRegistered
from shared.events import NewEvent
from shared.eventstore import open_store
from shared.readmodel import ReadModelDB
from tests.support.services import PG_ADMIN_URL, pg_database

LABEL = ("Cơ sở dữ liệu đọc của dịch vụ «meetings»", "Read model database of service 'meetings'")


def terminate(url: str) -> int:
    name = url.rsplit("/", 1)[-1].split("?")[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]


@contextlib.contextmanager
def refusing(url: str):
    name = url.rsplit("/", 1)[-1].split("?")[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    terminate(url)
    try:
        yield
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def db_url():
    with pg_database() as url:
        yield url


def test_a_read_model_connection_dropped_between_uses_is_reopened_for_reads_and_writes(db_url):
    db = ReadModelDB(db_url, LABEL)
    try:
        db.executescript("CREATE TABLE IF NOT EXISTS dues (member_id TEXT PRIMARY KEY, months INTEGER)")
        assert terminate(db_url) == 1
        assert db.query("SELECT COUNT(*) FROM dues") == [(0,)]
        assert terminate(db_url) == 1
        with db.transaction() as tx:
            tx.execute("INSERT INTO dues (member_id, months) VALUES (?, ?)", ("M1", 3))
        assert terminate(db_url) == 1
        assert db.ping() is True and db.healthy
        assert db.query("SELECT member_id, months FROM dues") == [("M1", 3)]
    finally:
        db.close()


def test_a_database_that_stays_away_is_a_503_naming_it_and_the_next_call_after_it_returns_works(db_url):
    db = ReadModelDB(db_url, LABEL)
    try:
        db.executescript("CREATE TABLE IF NOT EXISTS dues (member_id TEXT PRIMARY KEY, months INTEGER)")
        with refusing(db_url):
            with pytest.raises(Unavailable) as down:
                db.query("SELECT COUNT(*) FROM dues")
            err = down.value.to_dict()
            assert err["status"] == 503 and err["code"] == "dependency_unavailable"
            assert "«meetings»" in err["message_vi"] and "'meetings'" in err["message_en"]
            with pytest.raises(Unavailable):
                with db.transaction() as tx:
                    tx.execute("INSERT INTO dues (member_id, months) VALUES (?, ?)", ("M1", 1))
            assert db.ping() is False and db.healthy is False
        assert db.ping() is True
        assert db.query("SELECT COUNT(*) FROM dues") == [(0,)]  # the refused write left nothing
    finally:
        db.close()


def test_sql_errors_are_not_retried_as_if_the_connection_were_lost(db_url):
    db = ReadModelDB(db_url, LABEL)
    try:
        with pytest.raises(psycopg.errors.UndefinedTable):
            db.query("SELECT * FROM no_such_table")
        assert db.healthy and db.query("SELECT 1") == [(1,)]
    finally:
        db.close()


def Noted(n: int) -> TargetRegistered:
    return TargetRegistered(org_unit_id="D1", period="2024", indicator="members_removed", value=n)


def test_an_event_store_append_whose_connection_was_dropped_is_stored_once(db_url):
    store = open_store(f"{db_url}?schema=reconnect")
    other = open_store(f"{db_url}?schema=reconnect")
    try:
        import datetime as dt
        first = NewEvent.of(Noted(n=1), dt.date(2024, 1, 1), None)
        store.append("s-1", [first], -1)
        assert terminate(db_url) >= 1
        second = NewEvent.of(Noted(n=2), dt.date(2024, 1, 2), None)
        [stored] = store.append("s-1", [second], 0)
        assert stored.stream_version == 1
        assert terminate(db_url) >= 1
        assert [e.data["value"] for e in store.read_stream("s-1")] == [1, 2]
        # the same batch sent again (what a retry after a lost COMMIT does) is not stored twice
        assert store.append("s-1", [second], 0)[0].event_id == stored.event_id
        assert [e.data["value"] for e in other.read_stream("s-1")] == [1, 2]
    finally:
        store.close()
        other.close()


def test_a_connection_left_in_pipeline_mode_by_a_dropped_batch_is_replaced(db_url):
    """``executemany`` (read models) and appends (stores) run in a pipeline; a backend terminated in
    the middle of one leaves libpq in pipeline mode, and every later statement would fail with
    'PQsendQuery not allowed in pipeline mode' until a restart."""
    db = ReadModelDB(db_url, LABEL)
    store = open_store(f"{db_url}?schema=pipeline")
    try:
        db.executescript("CREATE TABLE IF NOT EXISTS dues (member_id TEXT PRIMARY KEY, months INTEGER)")
        db._conn.pgconn.enter_pipeline_mode()  # the state such a cut leaves behind
        with db.transaction() as tx:
            tx.executemany("INSERT INTO dues (member_id, months) VALUES (?, ?)", [("M1", 1), ("M2", 2)])
        assert db.query("SELECT COUNT(*) FROM dues") == [(2,)]
        store.head_position()
        store._db.pgconn.enter_pipeline_mode()
        import datetime as dt
        [stored] = store.append("s-1", [NewEvent.of(Noted(1), dt.date(2024, 1, 1), None)], -1)
        assert store.head_position() == stored.position == 1
    finally:
        db.close()
        store.close()
