"""Reading the PostgreSQL event store does not queue behind an append (issue 15, commands under
load): an append holds the store's writing connection until its commit, which waits on every
earlier appender; a command's reads (its streams, a card's holder) and the relay's polls go on
their own connections meanwhile.

Real PostgreSQL: another session holds the log's counter, so an append waits on the server.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import psycopg

from shared.events import NewEvent
from shared.eventstore import ANY
from shared.eventstore.postgres import READERS, PostgresEventStore
from tests.support.services import wait_until


def noted(n: int) -> NewEvent:
    return NewEvent(type="org_unit.noted", data={"org_unit_id": "C1", "n": n}, occurred_on=dt.date(2026, 1, 1),
                    actor="test")


def waiting_on_a_lock(db_url: str) -> bool:
    with psycopg.connect(db_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND wait_event_type = 'Lock'").fetchone()[0] > 0


def connections(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid <> pg_backend_pid()").fetchone()[0]


def test_reads_answer_while_an_append_waits_for_the_log(pg_database):
    schema = f"r_{uuid.uuid4().hex[:12]}"
    store = PostgresEventStore(f"{pg_database}?schema={schema}")
    try:
        store.append_batch([("org_unit-C1", [noted(0)], ANY)])
        for _ in range(3):  # one at a time: the store's one connection serves the reads too
            assert store.head_position() == 1
        assert connections(pg_database) == 1
        results: dict[str, object] = {}

        def append() -> None:
            results["appended"] = store.append_batch([("org_unit-C1", [noted(1)], 0)])

        def read(i: int) -> None:
            results[f"read{i}"] = ([e.data["n"] for e in store.read_stream("org_unit-C1")], store.head_position())

        with psycopg.connect(pg_database) as holder:  # another appender's transaction holding the counter
            holder.execute(f'SELECT position FROM "{schema}".log_head FOR UPDATE')
            writer = threading.Thread(target=append)
            writer.start()
            wait_until(lambda: waiting_on_a_lock(pg_database), timeout=30, interval=0.05,
                       what="the append waiting on the log's counter")
            # more readers at once than the store keeps connections for: they take turns, none waits
            # for the append
            readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS + 2)]
            for t in readers:
                t.start()
            deadline = time.monotonic() + 30
            for t in readers:
                t.join(timeout=max(0.0, deadline - time.monotonic()))
            still_waiting = writer.is_alive()
            holder.rollback()
        writer.join(timeout=30)
        assert still_waiting, "the append should still have been waiting while the reads ran"
        # the reads saw what was committed before the append, and answered before it did
        assert all(results.get(f"read{i}") == ([0], 1) for i in range(READERS + 2)), results
        assert [e.data["n"] for e in results["appended"]] == [1]
        assert [e.data["n"] for e in store.read_stream("org_unit-C1")] == [0, 1] and store.head_position() == 2
    finally:
        store.close()
