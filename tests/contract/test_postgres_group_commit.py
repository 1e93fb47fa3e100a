"""PostgreSQL group commit (issue 15, command → visible): the appends of concurrent commands queued
while the store's writing connection is busy share one transaction, yet each batch stays
all-or-nothing on its own and each caller gets its own answer — its envelopes and positions, or its
own error — only after the commit. The fast way (one tail lookup, one insert) writes exactly the rows
the careful way (one savepoint per caller) writes.

Real PostgreSQL (the ``pg_database`` fixture: one database per module, one schema per test).
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import psycopg
import pytest

from shared.events import NewEvent, verify_chain
from shared.eventstore import NO_STREAM, ConcurrencyError, PartialRetryError
from shared.eventstore.postgres import PostgresEventStore
from tests.support.group_commit import queued_while_busy, workload as mixed_group
from tests.support.services import wait_until


def at(i: int, event_id: str) -> NewEvent:
    """An event with its recording time given, so two stores can hold the very same rows."""
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt"}, event_id=event_id,
                    occurred_on=dt.date(2024, 5, 1), recorded_at=dt.datetime(2024, 5, 1, 8, i % 60, tzinfo=dt.timezone.utc),
                    org_unit_id="chi-bo-1", actor="u1")


@pytest.fixture
def open_store(pg_database):
    opened = []

    def make() -> PostgresEventStore:
        store = PostgresEventStore(pg_database, schema=f"gc_{uuid.uuid4().hex[:10]}")
        opened.append(store)
        return store
    yield make
    for store in opened:
        store.close()
        with psycopg.connect(pg_database, autocommit=True) as db:
            db.execute(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE')






def rows(store: PostgresEventStore) -> list:
    with psycopg.connect(store._conninfo, autocommit=True, options=f"-c search_path={store.schema}") as db:
        return db.execute("SELECT * FROM events ORDER BY position").fetchall()


def test_queued_appends_share_one_commit_and_each_caller_gets_its_own_answer(open_store):
    store = open_store()
    store.append("taken", [at(0, "t-0")], NO_STREAM)
    store.append("retried", [at(1, "e-1"), at(2, "e-2")], NO_STREAM)
    answers = queued_while_busy(store, [
        lambda: store.append("a", [at(10, "a-10")], NO_STREAM),
        lambda: store.append("taken", [at(11, "t-11")], NO_STREAM),  # conflict
        lambda: store.append_batch([("b", [at(12, "b-12"), at(13, "b-13")], NO_STREAM),
                                    ("taken", [at(14, "t-14")], NO_STREAM)]),  # undone with its 2nd stream
        lambda: store.append("retried", [at(1, "e-1"), at(3, "e-3")], 1),  # partly stored
        lambda: store.append("retried", [at(1, "e-1"), at(2, "e-2")], NO_STREAM),  # a clean retry
        lambda: store.append("a", [at(15, "a-15")], 0),  # sees the first call's event in the same transaction
    ])
    a, conflict, half, partial, retry, a2 = answers
    assert [e.stream_version for e in a] == [0] and [e.stream_version for e in a2] == [1]
    assert isinstance(conflict, ConcurrencyError) and conflict.actual == 0
    assert isinstance(half, ConcurrencyError) and half.stream == "taken"
    assert isinstance(partial, PartialRetryError)
    assert [e.event_id for e in retry] == ["e-1", "e-2"] and [e.position for e in retry] == [2, 3]
    assert store.read_stream("b") == [] and len(store.read_stream("taken")) == 1
    log = list(store.read_all())
    assert [e.position for e in log] == list(range(1, 6))  # no gap where the refused ones were
    assert store.head_position() == 5
    assert verify_chain(store.read_stream("a")) is None
    assert store.read_stream("a") == a + a2


def test_the_fast_group_writes_the_rows_the_careful_path_writes(open_store, monkeypatch):
    fast = open_store()
    fast_answers = mixed_group(fast, at)
    careful = open_store()
    from shared.eventstore import postgres

    def only_careful(db, group):
        raise postgres._Careful()
    monkeypatch.setattr(careful, "_fast_group", only_careful)
    careful_answers = mixed_group(careful, at)
    assert fast_answers == careful_answers
    assert fast_answers[1] == fast_answers[2] == "ConcurrencyError"
    assert [p for p, _ in fast_answers[0] + fast_answers[3] + fast_answers[4] + fast_answers[5]] == \
        [4, 5, 6, 7, 8, 9, 10]  # each caller its own positions, in the order they queued
    assert rows(fast) == rows(careful) and len(rows(fast)) == 10
    assert fast.head_position() == careful.head_position() == 10  # the refused callers' numbers given back
    assert [e.position for e in fast.append("f", [at(40, "f-40")], NO_STREAM)] == [11]
    assert [e.stream_version for e in fast.read_stream("c")] == [0, 1, 2]
    from shared.integrity import verify_stores  # the store's verifier accepts what the fast way wrote
    assert verify_stores({"members": fast})["ok"]


def test_callers_answered_with_positions_get_the_positions_of_envelope_callers(open_store):
    plain, mixed = open_store(), open_store()
    expected = mixed_group(plain, at)
    got = mixed_group(mixed, at, positions=True)
    assert got[2] == expected[2] == "ConcurrencyError"
    for i in (3, 5):
        assert got[i] == [position for position, _ in expected[i]] and got[i]
    assert rows(mixed) == rows(plain)


def test_a_retry_in_a_group_is_answered_with_what_is_stored(open_store):
    store = open_store()
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
    f, twice, g = queued_while_busy(store, [  # nothing stored yet, one new id twice
        lambda: store.append("f", [at(5, "w-5")], NO_STREAM),
        lambda: store.append("f", [at(5, "w-5")], NO_STREAM),
        lambda: store.append("g", [at(6, "w-6")], NO_STREAM),
    ])
    assert twice == f and [x.position for x in f] == [5] and [x.position for x in g] == [6]


def test_a_failed_transaction_is_every_callers_answer_and_keeps_nothing(open_store, monkeypatch):
    """A failure of the whole group (here the server refuses the insert) reaches every caller of
    the group, none is told its events are stored, and the log has no gap afterwards."""
    store = open_store()
    store.append("a", [at(0, "a-0")], NO_STREAM)
    from shared.eventstore import postgres
    monkeypatch.setattr(postgres, "INSERT", postgres.INSERT.replace("INSERT INTO events", "INSERT INTO no_such_table"))
    answers = queued_while_busy(store, [
        lambda: store.append("b", [at(1, "b-1")], NO_STREAM),
        lambda: store.append("c", [at(2, "c-2")], NO_STREAM),
    ])
    assert all(isinstance(x, psycopg.errors.UndefinedTable) for x in answers)
    monkeypatch.undo()
    assert store.head_position() == 1 and store.read_stream("b") == []
    assert [e.position for e in store.append("b", [at(1, "b-1")], NO_STREAM)] == [2]


def test_group_members_on_another_connection_still_queue_on_the_log(open_store):
    """Two store objects (two processes' worth) appending groups at once: the log's counter row
    orders their transactions, positions stay gap-free and every chain verifies."""
    one = open_store()
    two = PostgresEventStore(one._conninfo, schema=one.schema)
    try:
        errors: list = []

        def run(store, w):
            try:
                for i in range(20):
                    store.append(f"s-{w}", [at(i, f"{w}-{i}")], i - 1)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        threads = [threading.Thread(target=run, args=(s, w)) for w, s in enumerate([one, two] * 4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert [e.position for e in one.read_all()] == list(range(1, 161))
        for w in range(8):
            assert verify_chain(one.read_stream(f"s-{w}")) is None
    finally:
        two.close()


# -- wake-up on append (LISTEN/NOTIFY) -----------------------------------------------------------
def test_an_append_by_another_process_wakes_the_waiting_relay_at_once(open_store):
    """A relay waiting on one store object is woken by an append made through another (a second
    replica of the service, i.e. another process): the notification reaches it on commit, long
    before its wait would time out. A refused append (rolled back) sends nothing."""
    waiting_side = open_store()
    appending_side = PostgresEventStore(waiting_side._conninfo, schema=waiting_side.schema)
    try:
        appending_side.append("a", [at(0, "a-0")], NO_STREAM)
        outcome: list = []

        def wait() -> None:
            started = time.monotonic()
            outcome.append(waiting_side.wait_for_append(1, timeout=20))
            outcome.append(time.monotonic() - started)
        waiter = threading.Thread(target=wait)
        waiter.start()
        wait_until(lambda: waiting_side._listener is not None and waiting_side._listen_lock.locked(),
                   what="the waiter listening")
        with pytest.raises(ConcurrencyError):
            appending_side.append("a", [at(1, "a-1")], NO_STREAM)  # rolled back: no notification
        time.sleep(0.3)
        assert outcome == []  # still waiting
        queued_while_busy(appending_side, [  # a group commit notifies too
            lambda: appending_side.append("b", [at(2, "b-2")], NO_STREAM),
            lambda: appending_side.append("c", [at(3, "c-3")], NO_STREAM),
        ])
        waiter.join(timeout=30)
        assert outcome and outcome[0] is True and outcome[1] < 15  # woken, not timed out
    finally:
        appending_side.close()


def test_without_a_listening_connection_the_wait_is_the_ports(open_store, monkeypatch):
    store = open_store()
    monkeypatch.setattr(store, "_listening", lambda: None)
    started = time.monotonic()
    assert store.wait_for_append(0, timeout=0.2) is False
    assert time.monotonic() - started >= 0.15
    store.append("a", [at(0, "a-0")], NO_STREAM)
    assert store.wait_for_append(0, timeout=5) is True


LISTENING_CHILD = r"""
import eventlet
eventlet.monkey_patch()
import sys, time
from shared.eventstore.postgres import PostgresEventStore
from tests.support.services import wait_until

store = PostgresEventStore(sys.argv[1])
ticks = [0]

def ticker():
    while True:
        ticks[0] += 1
        eventlet.sleep(0.01)

eventlet.spawn(ticker)
print("listening", flush=True)
started = time.monotonic()
woken = store.wait_for_append(0, timeout=20) and time.monotonic() - started < 15
print("woken", woken, ticks[0] >= 10, flush=True)
"""


def test_under_eventlet_the_listening_wait_lets_other_green_threads_run_and_wakes(open_store):
    import subprocess
    import sys
    store = open_store()
    url = f"{store._conninfo}?schema={store.schema}" if "?" not in store._conninfo else \
        f"{store._conninfo}&schema={store.schema}"
    child = subprocess.Popen([sys.executable, "-c", LISTENING_CHILD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "listening"
        wait_until(lambda: listeners(store) > 0, what="the child listening")
        time.sleep(0.5)  # the child waits this long at least: its ticker runs ~50 times unless the wait blocks the hub
        store.append("a", [at(0, "a-0")], NO_STREAM)
        out, _ = child.communicate(timeout=30)
        assert out.split() == ["woken", "True", "True"]
    finally:
        if child.poll() is None:
            child.kill()


def listeners(store: PostgresEventStore) -> int:
    with psycopg.connect(store._conninfo, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s",
                          (f'LISTEN "{store.channel}"%',)).fetchone()[0]
