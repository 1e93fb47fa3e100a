"""The SQLite writer remembers the last version and hash of the streams it wrote, and the head,
between commit groups (instead of reading them again): what it remembers must never decide an
append once something else wrote — another connection to the same file, or a group of its own
that was not committed."""
from __future__ import annotations

import datetime as dt
import sqlite3

from shared.events import NewEvent, verify_chain
from shared.eventstore import NO_STREAM, ConcurrencyError
from shared.eventstore.sqlite import SQLiteEventStore
from shared.integrity import verify_stores
from tests.support.group_commit import queued_while_busy


def ev(i: int) -> NewEvent:
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt"}, occurred_on=dt.date(2024, 5, 1))


def test_another_connection_writing_between_groups_is_seen(tmp_path):
    """Another process appends to a stream this store wrote last: the store's next append is
    checked against, numbered after and chained onto that event, not onto what it remembered."""
    mine = SQLiteEventStore(tmp_path / "events.db")
    other = SQLiteEventStore(tmp_path / "events.db")
    mine.append("member-1", [ev(0)], NO_STREAM)
    mine.append("member-2", [ev(1)], NO_STREAM)
    theirs = other.append("member-1", [ev(2)], 0)
    written = mine.append("member-1", [ev(3)], 1)  # what it wrote itself is no longer the stream's last
    assert [(e.stream_version, e.position, e.prev_hash) for e in written] == [(2, 4, theirs[0].hash)]
    try:
        mine.append("member-1", [ev(4)], 1)
        raise AssertionError("a stale expected version was accepted")
    except ConcurrencyError as exc:
        assert exc.actual == 2
    assert [e.position for e in mine.read_all()] == [1, 2, 3, 4]
    assert verify_chain(mine.read_stream("member-1")) is None
    assert verify_stores({"members": mine})["ok"]
    mine.close()
    other.close()


def test_a_conflict_in_a_full_group_fails_alone_and_the_next_group_goes_on(tmp_path):
    """Sixteen single appends in one group, one of them with a stale expected version: only that
    caller is refused; the next group, that caller's stream included, goes on from what is stored."""
    store = SQLiteEventStore(tmp_path / "events.db")
    streams = [f"member-{w}" for w in range(16)]
    store.append_batch([(name, [ev(w)], NO_STREAM) for w, name in enumerate(streams)])
    answers = queued_while_busy(store, [
        (lambda name=name, w=w: store.append(name, [ev(100 + w)], NO_STREAM if w == 5 else 0))
        for w, name in enumerate(streams)])
    assert isinstance(answers[5], ConcurrencyError) and answers[5].actual == 0
    assert all([e.stream_version for e in a] == [1] for w, a in enumerate(answers) if w != 5)
    answers = queued_while_busy(store, [
        (lambda name=name, w=w: store.append(name, [ev(200 + w)], 0 if w == 5 else 1))
        for w, name in enumerate(streams)])
    assert [a[0].stream_version for a in answers] == [1 if w == 5 else 2 for w in range(16)]
    assert [e.position for e in store.read_all()] == list(range(1, 16 + 15 + 16 + 1))
    for name in streams:
        assert verify_chain(store.read_stream(name)) is None
    assert verify_stores({"members": store})["ok"]
    store.close()


class _FailingCommit:
    """The store's connection, whose first COMMIT fails (a disk error at the sync)."""

    def __init__(self, db) -> None:
        self._db, self.failed = db, False

    def __getattr__(self, name):
        return getattr(self._db, name)

    def execute(self, sql, *params):
        if sql == "COMMIT" and not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("disk I/O error")
        return self._db.execute(sql, *params)


def test_a_group_whose_commit_failed_leaves_nothing_remembered(tmp_path):
    """A group whose COMMIT fails is every caller's error and stores nothing: the next appends
    expect the versions as before it, and are numbered and chained as if it had not been."""
    store = SQLiteEventStore(tmp_path / "events.db")
    store.append_batch([("member-1", [ev(0)], NO_STREAM), ("member-2", [ev(1)], NO_STREAM)])
    store._db = failing = _FailingCommit(store._db)
    answers = queued_while_busy(store, [lambda: store.append("member-1", [ev(2)], 0),
                                        lambda: store.append("member-2", [ev(3)], 0)])
    assert failing.failed and all(isinstance(a, sqlite3.OperationalError) for a in answers)
    store._db = failing._db
    assert [e.position for e in store.read_all()] == [1, 2]
    again = store.append_batch([("member-1", [ev(4)], 0), ("member-2", [ev(5)], 0)])
    assert [(e.stream_version, e.position) for e in again] == [(1, 3), (1, 4)]
    assert store.read_stream("member-1")[-1].prev_hash == store.read_stream("member-1")[0].hash
    assert verify_stores({"members": store})["ok"]
    store.close()
