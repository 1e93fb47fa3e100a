"""KurrentDB adapter latency and throughput, plain and under eventlet (how ``dangvien serve`` runs).

    python bench/kurrentdb_eventlet.py [--appends 300] [--green 20] [--log-events 3000]

Against ``KURRENTDB_URL`` when set, else against the stand-in gRPC server of the tests
(tests/support/kurrentdb_standin.py, its own process): then the figures measure the client, the
adapter and the eventlet hand-off, not a real server's disk. Each run prints, for a plain
process and for a monkey-patched one:

- single-event appends with the expected version, one after the other: latency p50/p95;
- ``--green`` green threads appending at once (eventlet) or as many OS threads (plain): events/s;
- ``read_stream`` of a short stream and ``head_position``: latency p50;
- ``read_all`` over the log: events/s.

It also times a local socket round trip between two processes (pickled 1 KiB request, as a
separate "store process" design would make per call), for docs/kurrentdb.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(url: str, appends: int, green: int, log_events: int, patched: bool) -> dict:
    import datetime as dt

    from shared.events import NewEvent
    from shared.eventstore.kurrentdb import KurrentDBEventStore

    def ev(i):
        return NewEvent(type="bench.appended", data={"i": i, "note": "Đảng viên"}, occurred_on=dt.date(2024, 1, 1))

    store = KurrentDBEventStore(f"{url}&log=b{uuid.uuid4().hex[:10]}")
    lat = []
    for i in range(appends):
        t = time.perf_counter()
        store.append(f"s-{i % 50}", [ev(i)], i // 50 - 1)
        lat.append(time.perf_counter() - t)
    out = {"append_p50_ms": statistics.median(lat) * 1000,
           "append_p95_ms": statistics.quantiles(lat, n=20)[18] * 1000}

    per = max(1, appends // green)

    def worker(w):
        for i in range(per):
            store.append(f"w{w}-{i}", [ev(i)], -1)
    t = time.perf_counter()
    if patched:
        import eventlet
        pool = eventlet.GreenPool(green)
        for w in range(green):
            pool.spawn(worker, w)
        pool.waitall()
    else:
        import threading
        threads = [threading.Thread(target=worker, args=(w,)) for w in range(green)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    out[f"concurrent_{green}_appends_per_s"] = green * per / (time.perf_counter() - t)

    lat = []
    for i in range(100):
        t = time.perf_counter()
        store.read_stream(f"s-{i % 50}")
        lat.append(time.perf_counter() - t)
    out["read_stream_p50_ms"] = statistics.median(lat) * 1000
    lat = []
    for _ in range(100):
        t = time.perf_counter()
        store.head_position()
        lat.append(time.perf_counter() - t)
    out["head_position_p50_ms"] = statistics.median(lat) * 1000

    missing = log_events - (appends + green * per)
    for start in range(0, max(missing, 0), 100):
        store.append(f"bulk-{start}", [ev(i) for i in range(min(100, missing - start))], -1)
    t = time.perf_counter()
    n = sum(1 for _ in store.read_all())
    out["read_all_events"] = n
    out["read_all_events_per_s"] = n / (time.perf_counter() - t)
    store.close()
    return out


def socket_hop(rounds: int = 2000) -> float:
    """µs per request/response over a Unix socket to another process (pickled 1 KiB)."""
    import pickle
    import socket
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        while True:
            data = b.recv(65536)
            if not data:
                os._exit(0)
            b.sendall(pickle.dumps(pickle.loads(data)))
    b.close()
    payload = {"op": "append", "stream": "member-1", "events": ["x" * 1024]}
    t = time.perf_counter()
    for _ in range(rounds):
        a.sendall(pickle.dumps(payload))
        pickle.loads(a.recv(65536))
    took = time.perf_counter() - t
    a.close()
    os.waitpid(pid, 0)
    return took / rounds * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--appends", type=int, default=300)
    p.add_argument("--green", type=int, default=20)
    p.add_argument("--log-events", type=int, default=3000)
    p.add_argument("--child", choices=("plain", "eventlet"), help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        if a.child == "eventlet":
            import eventlet
            eventlet.monkey_patch()
        print(json.dumps(measure(a.url, a.appends, a.green, a.log_events, a.child == "eventlet")))
        return
    from tests.support.kurrentdb_standin import kurrentdb_server
    with kurrentdb_server() as url:
        url = url if "?" in url else url + "?"
        print(f"server: {'KURRENTDB_URL' if os.environ.get('KURRENTDB_URL') else 'stand-in'}")
        for mode in ("plain", "eventlet"):
            run = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url,
                                  "--appends", str(a.appends), "--green", str(a.green),
                                  "--log-events", str(a.log_events)],
                                 capture_output=True, text=True, cwd=ROOT)
            if run.returncode != 0:
                raise SystemExit(run.stderr[-3000:])
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{mode:9}", "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in figures.items()))
    print(f"socket hop to another process (pickled 1 KiB, round trip): {socket_hop():.0f} µs")


if __name__ == "__main__":
    main()
