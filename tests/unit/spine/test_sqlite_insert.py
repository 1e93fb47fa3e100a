"""SQLite's insert writes an event's empty columns (org unit, actor, correlation, causation) as NULL in
its statement instead of binding None: the rows stored are exactly those a plain INSERT of every
parameter stores, whatever mix of empty columns a batch holds, on the fast path and the careful one."""
from __future__ import annotations

import datetime as dt
import itertools
import sqlite3

import pytest

from shared.events import NewEvent
from shared.eventstore import NO_STREAM
from shared.eventstore.records import COLUMNS, chain_rows
from shared.eventstore.sqlite import SCHEMA, SQLiteEventStore
from shared.integrity import verify_stores

#: the plain statement: every parameter bound, None as None
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})"
#: every pattern of empty columns (org unit, actor, correlation, causation), each value distinct
PATTERNS = list(itertools.product([False, True], repeat=4))


def event(i: int, empty: tuple[bool, ...]) -> NewEvent:
    unit, actor, correlation, causation = (None if gone else f"{name}-{i}" for gone, name in
                                           zip(empty, ("chi-bo", "u", "corr", "cause")))
    return NewEvent(type="member.rated", event_id=f"ev-{i}", occurred_on=dt.date(2024, 12, 31),
                    recorded_at=dt.datetime(2025, 1, 1, 7, i % 60, tzinfo=dt.timezone.utc), org_unit_id=unit,
                    actor=actor, correlation_id=correlation, causation_id=causation,
                    data={"member_id": f"m-{i}", "note": "Hoàn thành tốt", "gone": None})


def batches() -> list[tuple[str, list[NewEvent]]]:
    """A batch mixing every pattern (twice, interleaved), a batch of one pattern, single events."""
    mixed = [event(i, PATTERNS[i % len(PATTERNS)]) for i in range(2 * len(PATTERNS))]
    plain = [event(100 + i, (False, True, True, True)) for i in range(5)]
    singles = [[event(200 + i, PATTERNS[(i * 5) % len(PATTERNS)])] for i in range(3)]
    return [("mixed", mixed), ("plain", plain)] + [(f"single-{i}", one) for i, one in enumerate(singles)]


def stored(db) -> list:
    """Every row with the SQLite type of each value (NULL stays NULL, text stays text)."""
    columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]
    typed = ", ".join(f"{c}, typeof({c})" for c in columns)
    return db.execute(f"SELECT {typed} FROM events ORDER BY position").fetchall()


def plain_insert(path) -> list:
    """The reference: each batch's rows bound in full (None as None) by one INSERT per row."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(SCHEMA)
    position = 1
    for stream, events in batches():
        rows, _ = chain_rows(stream, events, -1, None, position)
        for row in rows:
            db.execute(INSERT, row)
        position += len(rows)
    out = stored(db)
    db.close()
    return out


@pytest.mark.parametrize("path", ["fast", "careful"])
def test_empty_columns_are_stored_as_a_plain_insert_stores_them(tmp_path, monkeypatch, path):
    store = SQLiteEventStore(tmp_path / "events.db")
    if path == "careful":
        monkeypatch.setattr(store, "_fast_group", lambda db, group, position: False)
    else:
        monkeypatch.setattr(store, "_careful_group", lambda db, group, position: pytest.fail("careful path taken"))
    store.append_batch([(stream, events, NO_STREAM) for stream, events in batches()[:2]])
    for stream, events in batches()[2:]:
        store.append(stream, events, NO_STREAM)
    expected = plain_insert(tmp_path / "plain.db")
    assert stored(store._db) == expected
    assert len(expected) == 2 * len(PATTERNS) + 5 + 3
    assert {row[17] for row in expected} == {"text", "null"}  # org_unit_id: both kinds are there
    assert [e.causation_id for e in store.read_stream("mixed")][:2] == ["cause-0", None]
    assert verify_stores({"members": store})["ok"]
    store.close()
