"""The append fast paths store exactly the rows of the simple ones: PostgreSQL's COPY (rows
streamed while the next ones are hashed) against one INSERT per row, and SQLite against
PostgreSQL (the same events give the same hashes in both stores)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from shared.events import NewEvent
from shared.eventstore import ANY, NO_STREAM, ConcurrencyError
from shared.eventstore import postgres as pg
from shared.eventstore.postgres import PostgresEventStore
from shared.eventstore.sqlite import SQLiteEventStore


def at(i: int) -> NewEvent:
    return NewEvent(type="member.rated", event_id=f"ev-{i}", occurred_on=dt.date(2024, 12, 31), org_unit_id="chi-bo-1",
                    recorded_at=dt.datetime(2025, 1, 1, 7, i % 60, i % 60, i, tzinfo=dt.timezone.utc),
                    data={"member_id": f"m-{i}", "year": 2024, "rating": "good", "note": "Hoàn thành tốt\t\"x\"\n"})


def write(store, positions: bool = False) -> list:
    """Batches big enough for COPY, one stream twice in a batch, a retry and a conflict;
    ``positions``: the same by ``append_positions`` (no envelope back: the import's way)."""
    if positions:
        first = store.append_positions([("import-1", [at(i) for i in range(250)], NO_STREAM)])
        assert first == list(range(1, 251))
        assert store.append_positions([("import-2", [at(i) for i in range(250, 330)], NO_STREAM),
                                       ("member-9", [at(330)], NO_STREAM),
                                       ("import-2", [at(i) for i in range(331, 400)], 79)]) == list(range(251, 401))
        # a retry: nothing new, answered with the stored positions (with or without a check)
        assert store.append_positions([("import-1", [at(i) for i in range(250)], NO_STREAM)]) == first
        assert store.append_positions([("import-1", [at(i) for i in range(250)], ANY)]) == first
        with pytest.raises(ConcurrencyError):
            store.append_positions([("member-9", [at(400)], NO_STREAM),
                                    ("import-3", [at(i) for i in range(401, 500)], ANY)])
        again = store.append("import-1", [at(i) for i in range(250)], NO_STREAM)
        return [(e.position, e.hash) for e in again]
    store.append("import-1", [at(i) for i in range(250)], NO_STREAM)
    store.append_batch([("import-2", [at(i) for i in range(250, 330)], NO_STREAM),
                        ("member-9", [at(330)], NO_STREAM),
                        ("import-2", [at(i) for i in range(331, 400)], 79)])
    again = store.append("import-1", [at(i) for i in range(250)], NO_STREAM)  # a retry: nothing new
    assert store.append("import-1", [at(i) for i in range(250)], ANY) == again  # a retry without a check
    with pytest.raises(ConcurrencyError):
        store.append_batch([("member-9", [at(400)], NO_STREAM), ("import-3", [at(i) for i in range(401, 500)], ANY)])
    return [(e.position, e.hash) for e in again]


COLUMNS = ("position, event_id, stream, stream_version, type, schema_version, occurred_on::text, "
           "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), org_unit_id, actor, "
           "correlation_id, causation_id, data, hash, prev_hash")


def pg_rows(store: PostgresEventStore) -> list:
    return store._query(f"SELECT {COLUMNS} FROM events ORDER BY position")


def test_copy_stores_the_rows_one_insert_per_row_stores(pg_database, monkeypatch):
    copied = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    copied_retry = write(copied)
    monkeypatch.setattr(pg, "COPY_FROM", 10 ** 9)  # the simple path: INSERT ... VALUES, row by row
    inserted = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    inserted_retry = write(inserted)
    assert copied_retry == inserted_retry and len(copied_retry) == 250
    assert pg_rows(copied) == pg_rows(inserted)
    assert len(pg_rows(copied)) == 400 and copied.head_position() == 400
    copied.close()
    inserted.close()


def test_sqlite_and_postgres_store_the_same_rows(pg_database, tmp_path):
    on_pg = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    write(on_pg)
    on_sqlite = SQLiteEventStore(tmp_path / "events.db")
    write(on_sqlite)
    sqlite_rows = on_sqlite._db.execute("SELECT * FROM events ORDER BY position").fetchall()
    assert [tuple(r) for r in pg_rows(on_pg)] == sqlite_rows
    on_pg.close()
    on_sqlite.close()


def test_appends_answered_with_positions_store_the_same_rows_on_postgres(pg_database, monkeypatch):
    by_envelopes = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    retry = write(by_envelopes)
    by_positions = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    assert write(by_positions, positions=True) == retry
    assert pg_rows(by_positions) == pg_rows(by_envelopes)
    monkeypatch.setattr(pg, "COPY_FROM", 10 ** 9)  # and by INSERT, row by row
    inserted = PostgresEventStore(pg_database, schema=f"t_{uuid.uuid4().hex[:12]}")
    assert write(inserted, positions=True) == retry
    assert pg_rows(inserted) == pg_rows(by_envelopes) and len(pg_rows(inserted)) == 400
    for store in (by_envelopes, by_positions, inserted):
        store.close()


def test_appends_answered_with_positions_store_the_same_rows_on_sqlite(tmp_path):
    by_envelopes = SQLiteEventStore(tmp_path / "envelopes.db")
    by_positions = SQLiteEventStore(tmp_path / "positions.db")
    assert write(by_positions, positions=True) == write(by_envelopes)
    rows = [store._db.execute("SELECT * FROM events ORDER BY position").fetchall()
            for store in (by_envelopes, by_positions)]
    assert rows[0] == rows[1] and len(rows[0]) == 400
    by_envelopes.close()
    by_positions.close()
