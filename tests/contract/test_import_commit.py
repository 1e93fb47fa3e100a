"""An import is all or nothing even when the store fails while writing it (DESIGN.md §2).

The store is made to fail for real half-way through the commit — a trigger refuses the events of
the last stream of the file — on a real SQLite file and a real PostgreSQL database. Nothing of the
file may be left behind, and once the fault is gone the same file imports whole.
"""
from __future__ import annotations

import sqlite3
import uuid

import psycopg
import pytest

from services.members import application as app
from services.members.dependencies import standalone_deps
from shared.application import Context
from shared.importing import parse_jsonl, run_import
from tests.contract.conftest import PostgresBackend, SQLiteBackend

UNITS = [
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"TN","name":"Đảng bộ tỉnh","kind":"province"}}',
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"D1","name":"Huyện ủy","kind":"direct","parent_id":"TN"}}',
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"G1","name":"Chi bộ xã","kind":"grassroots_cell","parent_id":"D1"}}',
]
MEMBERS = [
    '{"type":"member.admitted","occurred_on":"2020-02-03","data":{"member_id":"M%d","org_unit_id":"G1",'
    '"full_name":"Trần Thị Bình","birth_date":"1995-02-01","sex":"female"}}' % i for i in (1, 2, 3)
]
#: the file: three units, three members — six stream runs, the last one refused by the store
FILE = "\n".join(UNITS + MEMBERS)
FAILING_STREAM = "member-M3"


def sqlite_fault(backend: SQLiteBackend, on: bool) -> None:
    with sqlite3.connect(backend.path) as db:
        if on:
            db.execute(f"CREATE TRIGGER disk_full BEFORE INSERT ON events WHEN NEW.stream = '{FAILING_STREAM}' "
                       "BEGIN SELECT RAISE(ABORT, 'disk full (test fault)'); END")
        else:
            db.execute("DROP TRIGGER disk_full")


def postgres_fault(backend: PostgresBackend, on: bool) -> None:
    s = backend.schema
    with psycopg.connect(backend.db_url, autocommit=True) as db:
        if on:
            db.execute(f'CREATE FUNCTION "{s}".disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
                       f"IF NEW.stream = '{FAILING_STREAM}' THEN RAISE EXCEPTION 'disk full (test fault)'; END IF; "
                       "RETURN NEW; END $$")
            db.execute(f'CREATE TRIGGER disk_full BEFORE INSERT ON "{s}".events FOR EACH ROW '
                       f'EXECUTE FUNCTION "{s}".disk_full()')
        else:
            db.execute(f'DROP TRIGGER disk_full ON "{s}".events')


@pytest.fixture(params=["sqlite", "postgres"])
def faulty(request, tmp_path):
    if request.param == "sqlite":
        backend = SQLiteBackend(tmp_path / "members.events.db")
        fault = sqlite_fault
    else:
        backend = PostgresBackend(request.getfixturevalue("pg_database"), f"t_{uuid.uuid4().hex[:16]}")
        fault = postgres_fault
    store = backend.open()  # creates the tables
    fault(backend, True)
    try:
        yield store, (lambda: fault(backend, False))
    finally:
        backend.close()


def do_import(store):
    lines, errors = parse_jsonl(FILE)
    assert not errors
    return run_import(store, app.importers(standalone_deps(store)), lines, Context(actor="importer"))


def test_a_commit_that_fails_half_way_leaves_nothing_written(faulty):
    store, clear_fault = faulty
    with pytest.raises(Exception, match="disk full"):
        do_import(store)
    assert store.head_position() == 0
    assert list(store.read_all()) == []
    for stream in ("org_unit-TN", "member-M1", "member-M2"):
        assert store.read_stream(stream) == []
    clear_fault()
    result = do_import(store)
    assert result["ok"] and result["written"] == 6
    assert [e.stream for e in store.read_all()] == ["org_unit-TN", "org_unit-D1", "org_unit-G1",
                                                     "member-M1", "member-M2", "member-M3"]


def test_an_import_larger_than_the_kurrentdb_server_takes_writes_nothing_and_says_why(tmp_path):
    """On KurrentDB the whole file goes in one atomic append session; a server that refuses it for
    its size must leave nothing behind and the importer must read what to do."""
    from shared.errors import TooLarge
    from shared.eventstore.kurrentdb import KurrentDBEventStore
    from tests.contract.conftest import with_query
    from tests.support.kurrentdb_standin import standin

    with standin(extra=("--max-append-bytes", "1500")) as server:
        store = KurrentDBEventStore(with_query(server.url, log="members"))
        try:
            with pytest.raises(TooLarge) as caught:
                do_import(store)
            assert caught.value.code == "batch_too_large"
            assert "Hãy chia tệp nhập" in caught.value.message_vi
            assert store.head_position() == 0 and list(store.read_all()) == []
        finally:
            store.close()


def test_the_same_file_imported_twice_at_once_is_written_once_and_said_so_once(backend):
    """Two uploads of one file at once (a retry sent while the first still ran): the second, checked
    before the first was written, commits after it — every fact is stored once, and the second
    answers that it wrote none (its events were already there), not the file's count again."""
    first_store, second_store = backend.open(), backend.open()
    first: dict = {}

    def run(store, before_commit=None):
        lines, errors = parse_jsonl(FILE)
        assert not errors
        return run_import(store, app.importers(standalone_deps(store)), lines, Context(actor="importer"),
                          before_commit=before_commit)

    second = run(second_store, before_commit=lambda: first.update(run(first_store)))
    assert first["ok"] and first["written"] == 6
    assert second["ok"] and second["written"] == 0
    assert len(list(first_store.read_all())) == 6
    again = run(second_store)  # and the file sent a third time, after both
    assert again["ok"] and again["written"] == 0
