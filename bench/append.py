"""Append throughput of the event store adapters: one event per append, then batches.

    python bench/append.py [--events 20000] [--batch 100] [--backends sqlite,postgres]

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    default = "sqlite,postgres" + (",kurrentdb" if os.environ.get("KURRENTDB_URL") else "")
    parser.add_argument("--backends", default=default)
    args = parser.parse_args()

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
