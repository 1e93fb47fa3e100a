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



def dated(i: int, on: dt.date, recorded: bool, **fields) -> NewEvent:
    extra = {"recorded_at": dt.datetime(2024, 5, 2, 9, i % 60, 7, 123456, tzinfo=dt.timezone.utc)} if recorded else {}
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt"}, event_id=f"d-{i}",
                    occurred_on=on, **extra, **fields)


def group_of_single_events(recorded: bool) -> list:
    """Sixteen callers of one event each, as a busy service's workers append: streams, dates (equal
    dates as distinct objects too), actors and units differing from caller to caller, a stream
    twice, a conflict in the middle."""
    calls = []
    for i in range(16):
        on = dt.date(2024, 4, 1 + i % 3)  # a new date object each time, three values
        fields = {"actor": f"u{i % 2}", "org_unit_id": None if i % 4 == 0 else f"chi-bo-{i % 3}"}
        stream, expected = (f"m-{i % 5}", -2) if i != 7 else ("m-0", 5)  # 7: a stale expected version
        calls.append((stream, [dated(i, on, recorded, **fields)], expected))
    return calls


@pytest.mark.parametrize("recorded", [True, False])
def test_a_group_of_single_events_is_stored_and_hashed_as_one_by_one_appends(tmp_path, recorded):
    """The group's chaining shares one clock reading, one hasher and each date's text between
    its callers: each event still keeps its own date and stream in its row and its hash, and each
    stream's chain is the one a one-by-one append makes."""
    calls = group_of_single_events(recorded)
    grouped = SQLiteEventStore(tmp_path / "grouped.db")
    answers = queued_while_busy(grouped, [
        (lambda s=s, e=e, x=x: grouped.append(s, e, x)) for s, e, x in calls])
    assert isinstance(answers[7], ConcurrencyError)
    for i, (stream, events, expected) in enumerate(calls):
        if i != 7:
            stored = grouped.find_event(events[0].event_id)
            assert answers[i] == [stored]
            assert (stored.stream, stored.occurred_on, stored.actor, stored.org_unit_id) == (
                stream, events[0].occurred_on, events[0].actor, events[0].org_unit_id)
    single = SQLiteEventStore(tmp_path / "single.db")  # one by one, in the order the group wrote them
    by_id = {events[0].event_id: (stream, events, expected) for stream, events, expected in calls}
    for env in grouped.read_all():
        single.append(*by_id[env.event_id])
    with pytest.raises(ConcurrencyError):
        single.append(*calls[7])
    for name in {s for s, _, _ in calls}:
        assert verify_chain(grouped.read_stream(name)) is None
    if recorded:  # the same rows, byte for byte, as appended one by one
        assert rows(grouped) == rows(single)
    else:  # one recording time for the whole group
        assert len({e.recorded_at for e in grouped.read_all()}) == 1
        assert [r[:7] + r[8:13] for r in rows(grouped)] == [r[:7] + r[8:13] for r in rows(single)]
    # the next group goes on from each stream's last hash
    after = queued_while_busy(grouped, [lambda: grouped.append("m-1", [ev(100)], -2),
                                        lambda: grouped.append("m-2", [ev(101)], -2)])
    assert all(len(a) == 1 for a in after)
    for name in ("m-1", "m-2"):
        assert verify_chain(grouped.read_stream(name)) is None
    grouped.close()
    single.close()


class _WriterBetween:
    """The store's connection, letting ``other`` append once right after the first plain ROLLBACK
    (another process writing while the group's transaction is begun again)."""

    def __init__(self, db, other) -> None:
        self._db, self._other, self.fired = db, other, False

    def __getattr__(self, name):
        return getattr(self._db, name)

    def execute(self, sql, *params):
        out = self._db.execute(sql, *params)
        if sql == "ROLLBACK" and not self.fired:
            self.fired = True
            self._other.append("other", [at(9, "o-9")], NO_STREAM)
        return out


def test_a_stored_id_met_by_the_insert_begins_the_transaction_again(tmp_path):
    """The fast path's insert meets a stored id (a retry with ANY): its rows are undone with the
    transaction, and the careful path goes on from what is stored then — another writer's event
    included — with no gap and no position taken twice."""
    store = SQLiteEventStore(tmp_path / "events.db")
    other = SQLiteEventStore(tmp_path / "events.db")
    first = store.append("a", [at(1, "x-1")], NO_STREAM)
    store._db = between = _WriterBetween(store._db, other)
    retry, fresh = queued_while_busy(store, [
        lambda: store.append("a", [at(1, "x-1")], -2),  # ANY: only the insert finds the id stored
        lambda: store.append("b", [at(2, "y-2")], NO_STREAM),
    ])
    assert between.fired
    assert retry == first
    assert [(e.stream, e.position) for e in fresh] == [("b", 3)]
    assert [e.stream for e in store.read_all()] == ["a", "other", "b"]
    from shared.integrity import verify_stores
    assert verify_stores({"members": store})["ok"]
    store._db = between._db
    store.close()
    other.close()
