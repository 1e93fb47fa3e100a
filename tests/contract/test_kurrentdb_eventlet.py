"""The KurrentDB adapter inside ``dangvien serve``: under ``eventlet.monkey_patch()``.

Unpatched, gRPC works; patched, its helper threads become green threads and every call used to
hang. The child process below monkey-patches first (as the CLI does), then drives the adapter
against the stand-in server, which answers every call only after a delay, while a green ticker
counts how often the hub got to run. The test process itself stays unpatched.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.kurrentdb_standin import standin

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import eventlet
eventlet.monkey_patch()
import datetime as dt, json, sys, time
from shared.events import NewEvent
from shared.eventstore.kurrentdb import KurrentDBEventStore

def ev(i):
    return NewEvent(type="test.green", data={"i": i, "note": "Chi bộ ấp 3"}, occurred_on=dt.date(2024, 3, 1))

ticks = []
def ticker():
    while True:
        ticks.append(time.monotonic())
        eventlet.sleep(0.01)

def main():
    store = KurrentDBEventStore(sys.argv[1])
    out = {}
    start = time.monotonic()
    first = store.append("member-1", [ev(0), ev(1)], -1)
    end = time.monotonic()
    out["append"] = [e.stream_version for e in first]
    out["ticks_during_append"] = sum(start <= t <= end for t in ticks)
    out["read_all"] = [e.event_id for e in store.read_all()] == [e.event_id for e in first]
    out["head_is_last"] = store.head_position() == first[-1].position
    store.set_checkpoint("relay", first[0].position)
    store.set_checkpoint("relay", first[-1].position)
    store.set_checkpoint("relay", first[0].position)  # never backwards
    out["checkpoint_is_last"] = store.get_checkpoint("relay") == first[-1].position
    pool = eventlet.GreenPool(20)
    written = list(pool.imap(lambda i: store.append(f"green-{i}", [ev(i)], -1)[0], range(20)))
    out["concurrent"] = len({e.event_id for e in written})
    out["log_after"] = len(list(store.read_all()))
    out["versions"] = sorted({store.stream_version(f"green-{i}") for i in range(20)})
    out["lease"] = store.try_lease("relay")
    store.close()
    print(json.dumps(out), flush=True)

eventlet.spawn(ticker)
eventlet.sleep(0.05)
with eventlet.Timeout(120):
    main()
"""


@pytest.mark.parametrize("mode", ["multi_append", "separate"])
def test_the_adapter_works_under_eventlet_and_keeps_the_hub_running(mode):
    # every call takes 150 ms on the server: a hub blocked in C would tick 0 times meanwhile
    with standin(extra=("--delay-ms", "150")) as server:
        url = f"{server.url}&log=g{uuid.uuid4().hex[:8]}" + ("&multi_append=false" if mode == "separate" else "")
        child = subprocess.run([sys.executable, "-c", CHILD, url], cwd=ROOT, capture_output=True, text=True,
                               timeout=240)
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert out["append"] == [0, 1]
    assert out["read_all"] and out["head_is_last"] and out["checkpoint_is_last"]
    assert out["concurrent"] == 20 and out["log_after"] == 22 and out["versions"] == [0]
    assert out["lease"] is True
    assert out["ticks_during_append"] >= 5, f"the hub froze during an append: {out}"
