"""Benchmark: a synthetic province written straight into SQLite stores, a full replay of the
reporting read model (events/s), then report latencies. Not through HTTP, for speed.

    /tmp/venv/bin/python bench/replay.py --members 20000 --years 5 --dir /tmp/bench-rpt
"""
from __future__ import annotations

import argparse
import os
import resource
import datetime as dt
import random
import shutil
import time
from pathlib import Path

from shared.events import NewEvent
from shared.eventstore import ANY, open_store
from shared.readmodel import ReadModelDB

from services.reporting import early_warnings, meeting_quality, membership, term_table
from services.reporting.generations import Generations
from services.reporting.periods import parse_period
from services.reporting.view import View

CELL_SIZE = 25


def ev(type_, on, data, unit=None):
    return NewEvent(type=type_, data=data, occurred_on=on, org_unit_id=unit, actor="bench")


def generate(folder: Path, members: int, years: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    stores = {s: open_store(f"sqlite:///{folder}/{s}.events.db") for s in ("members", "discipline", "meetings", "reporting")}
    start = dt.date(2020, 10, 1)
    cells = max(1, members // CELL_SIZE)
    directs = max(1, cells // 60)
    tree = [("org_unit-TN", [ev("org_unit.created", start, {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"})])]
    for d in range(directs):
        tree.append((f"org_unit-D{d}", [ev("org_unit.created", start, {"org_unit_id": f"D{d}", "name": f"Huyện {d}",
                                                                        "kind": "direct", "parent_id": "TN"})]))
    batch, mid, case = [], 0, 0
    for c in range(cells):
        d = c % directs
        g, cell = f"D{d}-G{c // 6}", f"D{d}-G{c // 6}-C{c}"
        if c % 6 == 0 or not any(s == f"org_unit-{g}" for s, _ in tree[-8:]):
            tree.append((f"org_unit-{g}", [ev("org_unit.created", start, {"org_unit_id": g, "name": f"Xã {g}",
                                                                           "kind": "grassroots_committee", "parent_id": f"D{d}"})]))
        tree.append((f"org_unit-{cell}", [ev("org_unit.created", start, {"org_unit_id": cell, "name": f"Chi bộ {c}",
                                                                          "kind": "cell", "parent_id": g})]))
    stores["members"].append_batch([(s, e, ANY) for s, e in tree])
    written = {"members": len(tree), "meetings": 0, "discipline": 0}
    for c in range(cells):
        cell = f"D{c % directs}-G{c // 6}-C{c}"
        people = []
        for _ in range(CELL_SIZE):
            mid += 1
            m = f"M{mid:07d}"
            people.append(m)
            events = [ev("member.admitted", start, {"member_id": m, "org_unit_id": cell, "full_name": "X",
                                                    "birth_date": f"{rng.randint(1960, 2000)}-05-05", "sex": "male"}, cell)]
            if rng.random() < 0.01:
                events.append(ev("member.removed", start + dt.timedelta(days=rng.randrange(30, 365 * years)),
                                 {"member_id": m, "ground": "abandoned_activity"}, cell))
            batch.append(("members", f"member-{m}", events))
            if rng.random() < 0.01:
                case += 1
                batch.append(("discipline", f"case-K{case}", [ev("discipline.applied", start + dt.timedelta(days=rng.randrange(30, 365 * years)),
                                                               {"case_id": f"K{case}", "subject_kind": "member", "subject_id": m,
                                                                "form": "reprimand", "violation_on": "2020-01-01"}, cell)]))
        for month in range(12 * years):
            on = dt.date(start.year + (start.month - 1 + month) // 12, (start.month - 1 + month) % 12 + 1, 10)
            meeting = f"{cell}-{month}"
            attendance = [{"member_id": p, "status": "present" if rng.random() > 0.08 else rng.choice(["excused", "unexcused"])}
                          for p in people]
            events = [ev("meeting.held", on, {"meeting_id": meeting, "org_unit_id": cell, "kind": "regular",
                                              "duration_minutes": 90, "attendance": attendance}, cell)]
            events += [ev("meeting.missed", on, {"meeting_id": meeting, "org_unit_id": cell, "member_id": a["member_id"],
                                                 "excused": a["status"] == "excused"}, cell)
                       for a in attendance if a["status"] != "present"]
            batch.append(("meetings", f"meeting-{meeting}", events))
        if len(batch) > 2000 or c == cells - 1:
            by_source: dict[str, list] = {}
            for source, stream, events in batch:
                by_source.setdefault(source, []).append((stream, events, ANY))
                written[source] = written.get(source, 0) + len(events)
            for source, items in by_source.items():
                stores[source].append_batch(items)
            batch = []
    for s in stores.values():
        s.close()
    return written


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/dangvien-bench-replay"))
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    t = time.perf_counter()
    written = generate(args.dir, args.members, args.years)
    total = sum(written.values())
    print(f"generated {total:,} events ({written}) in {time.perf_counter() - t:.1f}s; "
          f"{args.members:,} members x {args.years} years; attendance facts ~{args.members * 12 * args.years:,}")
    stores = {s: open_store(f"sqlite:///{args.dir}/{s}.events.db") for s in ("members", "discipline", "meetings", "reporting")}
    db = ReadModelDB(f"sqlite:///{args.dir}/reporting.read.db")
    g = Generations(db, stores)
    before = os.times()
    result = g.replay()
    cpu = [b - a for a, b in zip(before, os.times())]
    print(f"replay: {result['done']:,} events in {result['seconds']:.1f}s = {result['events_per_second']:,.0f} events/s; "
          f"CPU {cpu[0] + cpu[1]:.1f} s in this process, {cpu[2] + cpu[3]:.1f} s in the meetings fold process; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB, "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024} MB")
    cur, prev = parse_period("2020-2025"), parse_period("2015-2020")
    for structure in ("as_stood", "current"):  # the structure as it stood (default), today's tree
        print(f"reports, structure={structure}:")
        report_latencies(View.of(db, g.prefix, dt.date(2025, 12, 31), None, structure), cur, prev)


def report_latencies(v: View, cur, prev) -> None:
    figures = {
        "term table (province)": lambda: term_table.term_table(v, "TN", cur, prev),
        "movement 2023 (province + directs)": lambda: membership.movement(v, "TN", parse_period("2023")),
        "headcount tree": lambda: membership.headcount(v, "TN"),
        "meeting quality 2023 (one direct)": lambda: meeting_quality.meeting_quality(v, "D0", parse_period("2023")),
        "warnings 2023 (province)": lambda: early_warnings.warnings(v, "TN", 2023),
    }
    for name, fn in figures.items():
        print(f"  {name:40s} {timed(fn):8.1f} ms")


if __name__ == "__main__":
    main()
