"""A members import into a KurrentDB log that already holds events: seconds and reads of the log.

    python -m bench.kurrentdb_import [--log-events 3000] [--members 50]

Against the stand-in gRPC server of the tests (tests/support/kurrentdb_standin.py, its own
process). The log is filled with ``--log-events`` single-event streams, then a file admitting
``--members`` new members is imported (validated against a buffer, then committed). Prints the
import's seconds and how many pages of the log (``$all``) and reads of streams it made: every new
event asks the store whether its id is stored, which must not cost a scan of the log.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-events", type=int, default=3000)
    parser.add_argument("--members", type=int, default=50)
    args = parser.parse_args()
    from services.members import application as app
    from services.members.dependencies import standalone_deps
    from shared.application import Context
    from shared.events import NewEvent
    from shared.eventstore import NO_STREAM, open_store
    from shared.importing import parse_jsonl, run_import
    from tests.contract.test_import_commit import UNITS
    from tests.support.kurrentdb_standin import StandIn

    server = StandIn()
    try:
        store = open_store(f"{server.url}&log=b{uuid.uuid4().hex}")
        for start in range(0, args.log_events, 500):
            store.append_batch([(f"filler-{i}", [NewEvent(type="test.happened", data={"i": i},
                                                          occurred_on=dt.date(2020, 1, 1))], NO_STREAM)
                                for i in range(start, min(args.log_events, start + 500))])
        deps = standalone_deps(store)
        run_import(store, app.importers(deps), parse_jsonl("\n".join(UNITS))[0], Context(actor="bench"))
        text = "\n".join(json.dumps({"type": "member.admitted", "occurred_on": "2020-02-03", "data": {
            "member_id": f"N{i}", "org_unit_id": "G1", "full_name": "Nguyễn Văn A", "birth_date": "1990-01-01",
            "sex": "male"}}) for i in range(args.members))
        calls = {"pages": 0, "streams": 0}
        pages, records = store._all_page, store._records

        def page(*a, **k):
            calls["pages"] += 1
            return pages(*a, **k)

        def stream(*a, **k):
            calls["streams"] += 1
            return records(*a, **k)
        store._all_page, store._records = page, stream
        started = time.perf_counter()
        out = run_import(store, app.importers(deps), parse_jsonl(text)[0], Context(actor="bench"))
        seconds = time.perf_counter() - started
        assert out["ok"] and out["written"] == args.members, out
        print(f"kurrentdb import: log {args.log_events} events, {args.members} members: {seconds:.2f} s, "
              f"$all pages {calls['pages']}, stream reads {calls['streams']}")
        store.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
