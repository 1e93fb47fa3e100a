"""One concurrent writer for the contract suite, run in a thread or as its own process.

``python appender.py URL NAME N START_AT`` opens its own store on URL, waits until the wall
clock reaches START_AT (so the processes really overlap), then appends N events to its own
stream and N to the stream ``shared``, retrying the latter on version conflicts as an
application would. Prints the number of conflicts it met.
"""
from __future__ import annotations

import datetime as dt
import sys
import time

from shared.events import NewEvent
from shared.eventstore import ConcurrencyError, EventStore, open_store


def event(name: str, i: int) -> NewEvent:
    return NewEvent(type="test.appended", data={"writer": name, "i": i}, occurred_on=dt.date(2024, 5, 1))


def write(store: EventStore, name: str, n: int) -> int:
    conflicts = 0
    for i in range(n):
        store.append(f"writer-{name}", [event(name, i)], expected_version=i - 1)
        while True:
            version = store.stream_version("shared")
            try:
                store.append("shared", [event(name, i)], expected_version=version)
                break
            except ConcurrencyError:
                conflicts += 1
    return conflicts


if __name__ == "__main__":
    url, name, n, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    store = open_store(url)
    time.sleep(max(0.0, start_at - time.time()))
    print(write(store, name, n))
    store.close()
