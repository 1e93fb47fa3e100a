"""Projection apply throughput: events/s through ProjectionRunner (view + checkpoint per batch,
and per event as when the bus delivers one at a time), SQLite read model.

Usage: python bench/projection.py [--events N]
"""
from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from services.reporting.facts import FactsProjection
from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB


def history(n: int) -> list[tuple[str, NewEvent]]:
    day = dt.date(2020, 1, 1)
    out = [("org_unit-TN", NewEvent(type="org_unit.created", occurred_on=day,
                                    data={"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"}))]
    cells = [f"C{i}" for i in range(100)]
    out += [(f"org_unit-{c}", NewEvent(type="org_unit.created", occurred_on=day,
                                       data={"org_unit_id": c, "name": c, "kind": "grassroots_cell", "parent_id": "TN"}))
            for c in cells]
    for i in range(n - len(out)):
        out.append((f"member-M{i}", NewEvent(type="member.admitted", occurred_on=day + dt.timedelta(days=i % 1500),
                                             org_unit_id=cells[i % 100],
                                             data={"member_id": f"M{i}", "org_unit_id": cells[i % 100],
                                                   "full_name": "Nguyễn Văn A", "birth_date": "1990-01-01",
                                                   "sex": "male"})))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteEventStore(Path(tmp) / "members.events.db")
        evs = history(args.events)
        for i in range(0, len(evs), 2000):
            store.append_batch([(s, [e], -2) for s, e in evs[i:i + 2000]])
        stores = {"members": store}
        runner_sets = []
        for label in ("catch-up (2000 per transaction)", "one delivery at a time"):
            db = ReadModelDB(f"sqlite:///{tmp}/{len(runner_sets)}.read.db")
            runners = [ProjectionRunner(db, FactsProjection(), stores)]
            runner_sets.append(runners)
            t0 = time.perf_counter()
            if label.startswith("catch-up"):
                for r in runners:
                    r.catch_up("members")
            else:
                for env in store.read_all():
                    msg = env.to_message()
                    for r in runners:
                        r.handle("members", msg)
            took = time.perf_counter() - t0
            print(f"projection apply, {label}: {len(evs)} events × {len(runners)} projections in {took:.2f} s "
                  f"= {len(evs) / took:,.0f} events/s")


if __name__ == "__main__":
    main()
