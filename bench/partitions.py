"""Reporting partitioned by direct unit: time to project a history with 1, 2 … processes, each
applying its own direct units' facts into one shared PostgreSQL read model.

A province of 100 direct units × 10 cells; each member is admitted, recognised official a year
later, and one in ten is then moved to a cell of another direct unit (a cross-partition wait).
Each partition runs as its own OS process (as in production) and loops its catch-up until the
read model stands at the store's head; the figure is the wall time until all have finished.

Usage: python bench/partitions.py [--members N] [--partitions 1,2] [--pg postgresql://...]
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore

DIRECTS, CELLS = 100, 10


def history(members: int) -> list[tuple[str, NewEvent]]:
    rng = random.Random(5)
    day = dt.date(2015, 1, 1)
    out = [("org_unit-TN", NewEvent(type="org_unit.created", occurred_on=day,
                                    data={"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"}))]
    cells = []
    for d in range(DIRECTS):
        out.append((f"org_unit-D{d}", NewEvent(type="org_unit.created", occurred_on=day,
                                               data={"org_unit_id": f"D{d}", "name": f"D{d}", "kind": "direct",
                                                     "parent_id": "TN"})))
        for c in range(CELLS):
            cells.append(f"D{d}-C{c}")
            out.append((f"org_unit-D{d}-C{c}", NewEvent(type="org_unit.created", occurred_on=day,
                                                        data={"org_unit_id": f"D{d}-C{c}", "name": "Chi bộ",
                                                              "kind": "cell", "parent_id": f"D{d}"})))
    events = []
    for i in range(members):
        m, cell = f"M{i}", rng.choice(cells)
        admitted = day + dt.timedelta(days=rng.randrange(3000))
        events.append((admitted, f"member-{m}", NewEvent(
            type="member.admitted", occurred_on=admitted, org_unit_id=cell,
            data={"member_id": m, "org_unit_id": cell, "full_name": "Nguyễn Văn A", "birth_date": "1990-01-01",
                  "sex": "male"})))
        official = admitted + dt.timedelta(days=365)
        events.append((official, f"member-{m}", NewEvent(type="member.recognized_official", occurred_on=official,
                                                         org_unit_id=cell, data={"member_id": m})))
        if rng.random() < 0.1:
            to = rng.choice(cells)
            moved = official + dt.timedelta(days=rng.randrange(1, 400))
            events.append((moved, f"member-{m}", NewEvent(
                type="member.transferred", occurred_on=moved, org_unit_id=to,
                data={"member_id": m, "from_org_unit_id": cell, "to_org_unit_id": to, "kind": "official"})))
    events.sort(key=lambda e: e[0])
    return out + [(s, e) for _, s, e in events]


def backend_cpu(db) -> Callable[[], float | None]:
    """The CPU seconds the PostgreSQL backend serving ``db`` has used so far (None when its
    process cannot be read: a server on another machine)."""
    pid = db.query("SELECT pg_backend_pid()")[0][0]

    def used() -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def run_partition(store_path: str, readmodel: str, partition: str, start, done) -> None:
    from services.reporting.generations import Generations
    from shared.partitioning import Partition
    from shared.readmodel import ReadModelDB
    store = SQLiteEventStore(store_path)
    g = Generations(ReadModelDB(readmodel), {"members": store}, partition=Partition.parse(partition))
    server = backend_cpu(g.db)
    start.wait()
    cpu, server_before = time.process_time(), server()
    head = store.head_position()
    rounds = 0
    while g.positions()["members"] < head:
        rounds += 1
        if not g.catch_up():
            time.sleep(0.01)  # waiting for another partition's earlier event of a stream
    server_after = server()
    done.put((partition, rounds, time.process_time() - cpu,
              None if server_before is None or server_after is None else server_after - server_before))


def fresh_database(admin: str) -> tuple[str, str]:
    """A new empty database beside ``admin``: (its URL, its name)."""
    import psycopg
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + f"/{name}", name


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=30000)
    ap.add_argument("--partitions", default="1,2")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        store_path = str(Path(tmp) / "members.events.db")
        store = SQLiteEventStore(store_path)
        evs = history(args.members)
        for i in range(0, len(evs), 5000):
            store.append_batch([(s, [e], -2) for s, e in evs[i:i + 5000]])
        print(f"{len(evs):,} events: {args.members:,} members in {DIRECTS} direct units × {CELLS} cells")
        for n in (int(x) for x in args.partitions.split(",")):
            url, name = fresh_database(args.pg)
            start, done = ctx.Event(), ctx.Queue()
            procs = [ctx.Process(target=run_partition, args=(store_path, url, f"{i}/{n}", start, done))
                     for i in range(n)]
            for p in procs:
                p.start()
            time.sleep(3)  # let every process import and connect
            t0 = time.perf_counter()
            start.set()
            results = [done.get() for _ in procs]
            took = time.perf_counter() - t0
            for p in procs:
                p.join()
            client = sum(r[2] for r in results)
            server = None if any(r[3] is None for r in results) else sum(r[3] for r in results)
            # CPU per event (the partitions' processes and their PostgreSQL backends): steadier
            # than the wall time on a shared machine
            cpu = f"client {client / len(evs) * 1e6:.0f} µs" + (
                "" if server is None else f" + server {server / len(evs) * 1e6:.0f} µs")
            print(f"{n} partition(s): {took:.2f} s = {len(evs) / took:,.0f} events/s "
                  f"(catch-up rounds per partition: {sorted(r[1] for r in results)}; CPU per event: {cpu})")
            import psycopg
            with psycopg.connect(args.pg, autocommit=True) as c:
                c.execute(f"DROP DATABASE {name}")


if __name__ == "__main__":
    main()
