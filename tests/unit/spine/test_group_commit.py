"""SQLite group commit: batches queued by several threads while the writer is busy are written in
one transaction, yet each stays all-or-nothing on its own and each caller gets its own answer."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.events import NewEvent, verify_chain
from shared.eventstore import NO_STREAM, ConcurrencyError, PartialRetryError
from shared.eventstore.sqlite import SQLiteEventStore
from tests.support.group_commit import queued_while_busy, workload as mixed_group


def ev(i: int, event_id: str | None = None) -> NewEvent:
    extra = {"event_id": event_id} if event_id else {}
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt"}, occurred_on=dt.date(2024, 5, 1),
                    **extra)




@pytest.mark.parametrize("synchronous", ["normal", "full"])
def test_queued_appends_share_one_commit_and_fail_alone(tmp_path, synchronous):
    store = SQLiteEventStore(tmp_path / "events.db", synchronous=synchronous)
    store.append("taken", [ev(0)], NO_STREAM)
    store.append("retried", [ev(1, event_id="e-1"), ev(2, event_id="e-2")], NO_STREAM)
    answers = queued_while_busy(store, [
        lambda: store.append("a", [ev(10)], NO_STREAM),
        lambda: store.append("taken", [ev(11)], NO_STREAM),  # conflict: one event, no savepoint
        lambda: store.append_batch([("b", [ev(12), ev(13)], NO_STREAM), ("taken", [ev(14)], NO_STREAM)]),
        lambda: store.append("retried", [ev(1, event_id="e-1"), ev(3, event_id="e-3")], 1),  # partly stored
        lambda: store.append("retried", [ev(1, event_id="e-1"), ev(2, event_id="e-2")], NO_STREAM),  # clean retry
        lambda: store.append("a", [ev(15)], 0),  # sees the first call's event in the same transaction
    ])
    a, conflict, half, partial, retry, a2 = answers
    assert [e.stream_version for e in a] == [0] and [e.stream_version for e in a2] == [1]
    assert isinstance(conflict, ConcurrencyError) and conflict.actual == 0
    assert isinstance(half, ConcurrencyError)  # its first stream was undone with it
    assert isinstance(partial, PartialRetryError)
    assert [e.event_id for e in retry] == ["e-1", "e-2"]
    assert store.read_stream("b") == [] and len(store.read_stream("taken")) == 1
    assert len(store.read_stream("retried")) == 2
    log = list(store.read_all())
    assert [e.position for e in log] == list(range(1, 6))  # no gap where the failed ones were
    assert verify_chain(store.read_stream("a")) is None
    assert store.read_stream("a") == a + a2
    store.close()


def test_synchronous_setting_is_checked_and_taken_from_the_url(tmp_path):
    from shared.eventstore import open_store
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteEventStore(tmp_path / "x.db", synchronous="sometimes")
    store = open_store(f"sqlite:///{tmp_path}/y.db?synchronous=full")
    assert store.path == f"{tmp_path}/y.db" and store._db.execute("PRAGMA synchronous").fetchone()[0] == 2
    store.close()
    default = open_store(f"sqlite:///{tmp_path}/z.db")
    assert default._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    default.close()


def at(i: int, event_id: str) -> NewEvent:
    """An event with its recording time given, so two stores can hold the very same rows."""
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt", "n": None}, event_id=event_id,
                    occurred_on=dt.date(2024, 5, 1), recorded_at=dt.datetime(2024, 5, 1, 8, i % 60, tzinfo=dt.timezone.utc),
                    org_unit_id="chi-bo-1", actor="u1")




def rows(store: SQLiteEventStore) -> list:
    return store._db.execute("SELECT * FROM events ORDER BY position").fetchall()


def test_the_fast_group_writes_the_rows_the_careful_path_writes(tmp_path, monkeypatch):
    fast = SQLiteEventStore(tmp_path / "fast.db")
    careful_groups = []
    monkeypatch.setattr(fast, "_careful_group", lambda db, group, position: careful_groups.append(group))
    fast_answers = mixed_group(fast, at)
    assert careful_groups == []  # conflicts included, the fast path wrote it all
    careful = SQLiteEventStore(tmp_path / "careful.db")
    monkeypatch.setattr(careful, "_fast_group", lambda db, group, position: False)  # the careful path only
    careful_answers = mixed_group(careful, at)
    assert fast_answers == careful_answers
    assert fast_answers[1] == fast_answers[2] == "ConcurrencyError"
    assert rows(fast) == rows(careful) and len(rows(fast)) == 10
    assert [e.stream_version for e in fast.read_stream("c")] == [0, 1, 2]
    from shared.integrity import verify_stores  # the store's verifier accepts what the fast path wrote
    assert verify_stores({"members": fast})["ok"]
    fast.close()
    careful.close()


def test_a_retry_in_a_group_is_answered_with_what_is_stored(tmp_path):
    store = SQLiteEventStore(tmp_path / "events.db")
    first = store.append("a", [at(1, "x-1"), at(2, "x-2")], NO_STREAM)
    b, retry = queued_while_busy(store, [
        lambda: store.append("b", [at(3, "y-3")], NO_STREAM),
        lambda: store.append("a", [at(1, "x-1"), at(2, "x-2")], NO_STREAM),  # its expected version is stale now
    ])
    assert retry == first and [x.position for x in b] == [3]
    moved, d, e = queued_while_busy(store, [
        lambda: store.append("c", [at(1, "x-1")], -2),  # an id stored under another stream, with ANY
        lambda: store.append("d", [at(4, "z-4")], -2),
        lambda: store.append("e", [at(4, "z-4")], -2),  # the same new id twice in one group
    ])
    assert moved == first[:1]
    assert [x.stream for x in d] == ["d"] and e == d and [x.position for x in d] == [4]
    assert store.head_position() == 4
    store.close()


@pytest.mark.parametrize("path", ["fast", "careful"])
def test_callers_answered_with_positions_get_the_rows_and_positions_of_envelope_callers(tmp_path, monkeypatch, path):
    plain = SQLiteEventStore(tmp_path / "plain.db")
    expected = mixed_group(plain, at)
    mixed = SQLiteEventStore(tmp_path / "mixed.db")
    if path == "careful":
        monkeypatch.setattr(mixed, "_fast_group", lambda db, group, position: False)
    got = mixed_group(mixed, at, positions=True)
    assert got[2] == expected[2] == "ConcurrencyError"
    for i in (3, 5):  # answered with the very positions the envelopes carry
        assert got[i] == [position for position, _ in expected[i]] and got[i]
    assert [got[i] for i in (0, 1, 4)] == [expected[i] for i in (0, 1, 4)]
    assert rows(mixed) == rows(plain) and len(rows(mixed)) == 10
    # a retry (the fast path gives way to the careful one): the stored events' positions
    assert mixed.append_positions([("retried", [at(1, "r-1"), at(2, "r-2")], NO_STREAM)]) == [2, 3]
    assert rows(mixed) == rows(plain)
    plain.close()
    mixed.close()

