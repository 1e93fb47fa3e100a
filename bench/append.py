"""Append throughput of the event store adapters: one event per append, then batches.

    python bench/append.py [--events 20000] [--batch 100] [--backends sqlite,postgres]
    python -m bench.append --costs [--events 10000] [--batch 1000]

``--costs``: what one event of a batched SQLite append costs, piece by piece, beside the peer
(``eventsourcing``, bench/peer.py) at the same durability (WAL, ``synchronous=FULL``): CPU time
(steadier than the clock on a shared machine) of our whole append, of the chaining alone
(payload serialised, keyed hash, row), of a commit group of 16 one-event appends (the leader's
part of single appends from 16 writers, whole and its chaining), of the bare insert of our rows with each index and
without, and of the peer's rows in the peer's table; then the clock time of the COMMITs (WAL
written and synced), which both sides pay once per batch.

Each backend gets a fresh location: a temporary SQLite file, a new PostgreSQL database
(created on the server of DANGVIEN_PG_URL and dropped at the end), and, when KURRENTDB_URL is
set, its own log prefix on that KurrentDB server. One-at-a-time appends go round-robin to 1000
streams with the expected version checked, as commands do; batches go to a new stream each.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import tempfile
import time
import uuid
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg

from shared.events import NewEvent
from shared.eventstore import NO_STREAM, EventStore, open_store

PG_ADMIN_URL = os.environ.get("DANGVIEN_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STREAMS = 1000
#: callers in one commit group of single appends (``--costs``): the 16 writers of ``python -m bench``
GROUP = 16


def event(i: int) -> NewEvent:
    return NewEvent(type="member.rated", occurred_on=dt.date(2024, 12, 31), org_unit_id="chi-bo-1",
                    data={"member_id": f"m-{i}", "year": 2024, "rating": "good", "note": "Hoàn thành tốt"})


@contextlib.contextmanager
def sqlite_store() -> Iterator[EventStore]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        try:
            yield store
        finally:
            store.close()


@contextlib.contextmanager
def postgres_store() -> Iterator[EventStore]:
    name = f"dangvien_bench_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            store = open_store(urlunsplit(urlsplit(PG_ADMIN_URL)._replace(path=f"/{name}")))
            try:
                yield store
            finally:
                store.close()
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def kurrentdb_store() -> Iterator[EventStore]:
    url = os.environ["KURRENTDB_URL"]
    sep = "&" if urlsplit(url).query else "?"
    store = open_store(f"{url}{sep}log=bench{uuid.uuid4().hex}")
    try:
        yield store
    finally:
        store.close()


BACKENDS = {"sqlite": sqlite_store, "postgres": postgres_store, "kurrentdb": kurrentdb_store}


def one_at_a_time(store: EventStore, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        store.append(f"member-{i % STREAMS}", [event(i)], expected_version=i // STREAMS - 1)
    return n / (time.perf_counter() - start)


def batched(store: EventStore, n: int, size: int) -> float:
    start = time.perf_counter()
    for first in range(0, n, size):
        store.append(f"import-{first}", [event(i) for i in range(first, min(n, first + size))], NO_STREAM)
    return n / (time.perf_counter() - start)


def _cpu_per_event(n: int, rounds: int, run) -> tuple[float, float, float]:
    """Median, least and most CPU microseconds per event of ``rounds`` calls of ``run()``, which
    returns the CPU seconds of its timed part."""
    import statistics
    spent = sorted(run() / n * 1e6 for _ in range(rounds))
    return statistics.median(spent), spent[0], spent[-1]


def costs(n: int, size: int, rounds: int = 5) -> None:
    import sqlite3
    from bench import peer
    from shared.eventstore.records import COLUMNS, chain_rows
    from shared.eventstore.sqlite import SCHEMA, insert_events

    events = [event(i) for i in range(n)]
    chained = [chain_rows(f"s-{first}", events[first:first + size], -1, None, first + 1, envelopes=False)[0]
               for first in range(0, n, size)]
    peer_table = ("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
                  "state BLOB, PRIMARY KEY (originator_id, originator_version))")
    peer_state = ('{"timestamp":{"_type_":"datetime_iso","_data_":"2026-12-01T14:41:30.965768+00:00"},'
                  '"year":2024,"rating":"good","note":"Ho\\u00e0n th\\u00e0nh t\\u1ed1t"}').encode()
    peer_rows = [[(uuid.uuid4().hex, i, "bench.peer:Member.Rated", peer_state) for i in range(size)]
                 for _ in range(0, n, size)]
    lines = []

    def peer_insert(db, rows) -> None:
        db.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", rows)

    def show(label: str, figures: tuple[float, float, float], unit: str = "CPU") -> None:
        lines.append(f"{label:<58} {figures[0]:6.2f} µs/event {unit} (rounds {figures[1]:.2f}–{figures[2]:.2f})")
        print(lines[-1], flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        def ours() -> float:
            store = open_store(f"sqlite:///{tmp}/ours-{uuid.uuid4().hex[:6]}.db?synchronous=full")
            started = time.process_time()
            for first in range(0, n, size):
                store.append_positions([(f"import-{first}", events[first:first + size], NO_STREAM)])
            took = time.process_time() - started
            store.close()
            return took

        def theirs() -> float:
            app = peer.sqlite_app(f"{tmp}/peer-{uuid.uuid4().hex[:6]}.db")
            members = peer.members_in_batches(n, size)
            started = time.process_time()
            for member in members:
                app.save(member)
            took = time.process_time() - started
            app.close()
            return took

        def chaining() -> float:
            started = time.process_time()
            for first in range(0, n, size):
                chain_rows(f"s-{first}", events[first:first + size], -1, None, first + 1, envelopes=False)
            return time.process_time() - started

        def inserting(schema: str, insert, batches, clock=time.process_time, commit_only: bool = False):
            def run() -> float:
                db = sqlite3.connect(f"{tmp}/raw-{uuid.uuid4().hex[:6]}.db", isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(schema)
                took = 0.0
                for rows in batches:
                    started = clock()
                    db.execute("BEGIN IMMEDIATE")
                    insert(db, rows)
                    if commit_only:
                        started = clock()
                    db.execute("COMMIT")
                    took += clock() - started
                db.close()
                return took
            return run

        def group_of_singles(chain_only: bool) -> float:
            """Single appends as 16 writers make them: the leader's CPU for each commit group of 16
            one-event callers (their expected versions checked), the whole group (``_commit_group``:
            tails read, chained, inserted, committed) or its chaining only (``chain_group``)."""
            from shared.eventstore.groupcommit import Pending, chain_group
            store = open_store(f"sqlite:///{tmp}/group-{uuid.uuid4().hex[:6]}.db?synchronous=full")
            streams = [f"member-{w}-{k}" for w in range(GROUP) for k in range(10)]
            store.append_batch([(name, [event(-1)], NO_STREAM) for name in streams])  # the members exist
            versions = dict.fromkeys(streams, 0)
            groups = []
            for first in range(0, n - GROUP + 1, GROUP):
                group = []
                for w in range(GROUP):
                    name = streams[(first + w * 10) % len(streams)]
                    group.append(Pending([(name, [events[first + w]], versions[name])]))
                    versions[name] += 1
                groups.append(group)
            tails = {name: (0, "0" * 64) for name in streams}  # what chain_group goes on from (and updates)
            started = time.process_time()
            for group in groups:
                if chain_only:
                    chain_group(group, tails, 1, None, None)
                else:
                    store._commit_group(group)
            took = time.process_time() - started
            assert all(p.error is None for group in groups for p in group)
            store.close()
            return took * n / (len(groups) * GROUP)

        ours_table = SCHEMA.split(";")[0]
        no_id_index = ours_table.replace("event_id TEXT NOT NULL UNIQUE", "event_id TEXT NOT NULL")
        no_stream_index = ours_table.replace(",\n    UNIQUE (stream, stream_version)", "")
        show("ours: append_positions, whole", _cpu_per_event(n, rounds, ours))
        show("peer: Application.save, whole", _cpu_per_event(n, rounds, theirs))
        show("ours: chaining only (payload JSON, keyed hash, row)", _cpu_per_event(n, rounds, chaining))
        show(f"ours: single events, one commit group of {GROUP}, leader's whole", _cpu_per_event(
            n, rounds, lambda: group_of_singles(False)))
        show("  its chaining only (chain_group)", _cpu_per_event(n, rounds, lambda: group_of_singles(True)))
        show("ours: bare executemany + COMMIT (table + 2 indexes)", _cpu_per_event(n, rounds, inserting(ours_table, insert_events, chained)))
        show("  the same without the event_id index", _cpu_per_event(n, rounds, inserting(no_id_index, insert_events, chained)))
        show("  the same without the (stream, version) index", _cpu_per_event(n, rounds, inserting(no_stream_index, insert_events, chained)))
        show("  the table alone (no index)", _cpu_per_event(n, rounds, inserting(
            no_id_index.replace(",\n    UNIQUE (stream, stream_version)", ""), insert_events, chained)))
        show("peer-shaped rows, bare executemany + COMMIT", _cpu_per_event(n, rounds, inserting(
            peer_table, peer_insert, peer_rows)))
        show("ours: COMMIT alone (WAL written and synced)", _cpu_per_event(n, rounds, inserting(
            ours_table, insert_events, chained, time.perf_counter, commit_only=True)), "clock")
        show("peer-shaped rows: COMMIT alone", _cpu_per_event(n, rounds, inserting(
            peer_table, peer_insert, peer_rows, time.perf_counter,
            commit_only=True)), "clock")
    assert COLUMNS[0] == "position"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    default = "sqlite,postgres" + (",kurrentdb" if os.environ.get("KURRENTDB_URL") else "")
    parser.add_argument("--backends", default=default)
    parser.add_argument("--costs", action="store_true", help="the cost of one batched SQLite event, piece by piece")
    args = parser.parse_args()
    if args.costs:
        costs(args.events, args.batch)
        return

    rows = []
    for name in args.backends.split(","):
        with BACKENDS[name]() as store:
            single = one_at_a_time(store, args.events)
            many = batched(store, args.events, args.batch)
            assert store.head_position() > 0
        rows.append((name, single, many))

    print(f"\n{args.events} events per run; events/s (higher is better)\n")
    print(f"{'backend':<10} {'1 per append':>14} {f'{args.batch} per append':>16}")
    for name, single, many in rows:
        print(f"{name:<10} {single:>14,.0f} {many:>16,.0f}")


if __name__ == "__main__":
    main()
