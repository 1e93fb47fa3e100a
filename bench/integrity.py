"""What keyed hashing costs: the hash itself, appends, and reading/verifying the log, before
(plain sha-256, as stores were written until issue 12) and after (HMAC-SHA-256 with a key id,
covering the position).

    python bench/integrity.py [--events 20000] [--backends sqlite,postgres] [--rounds 3]

"before" runs the very same adapters with the hash function swapped back to the plain sha-256
one, so the difference is the hashing alone. Replay reads the log (what a read model rebuild
does: it never recomputes hashes); verify recomputes every hash and checks positions, versions
and links (what `dangvien audit verify` and the background check do).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.append import event, postgres_store, sqlite_store  # noqa: E402
from shared import keys  # noqa: E402
from shared.eventstore import NO_STREAM, records  # noqa: E402
from shared.events import event_hash, legacy_hash  # noqa: E402
from shared.integrity import StoreVerifier, upgrade  # noqa: E402

STREAMS = 500


@contextlib.contextmanager
def plain_hashes():
    """The store as it was before issue 12: every new event hashed with plain sha-256."""
    original = records.event_hash
    records.event_hash = legacy_hash
    try:
        yield
    finally:
        records.event_hash = original


def hash_rate(n: int) -> tuple[float, float]:
    fields = {"event_id": "e", "type": "member.rated", "schema_version": 1, "stream": "member-1",
              "stream_version": 3, "occurred_on": "2024-12-31", "recorded_at": "2024-12-31T00:00:00.000000Z",
              "org_unit_id": "chi-bo-1", "actor": "a", "correlation_id": None, "causation_id": None,
              "data": event(1).data, "prev_hash": "0" * 64, "position": 9}
    key = keys.keyring().current
    out = []
    for fn in (legacy_hash, lambda f: event_hash(f, key)):
        start = time.perf_counter()
        for _ in range(n):
            fn(fields)
        out.append(n / (time.perf_counter() - start))
    return out[0], out[1]


def append_rate(store, n: int) -> float:
    versions = [NO_STREAM] * STREAMS
    start = time.perf_counter()
    for i in range(n):
        s = i % STREAMS
        store.append(f"member-{s}", [event(i)], versions[s])
        versions[s] += 1
    return n / (time.perf_counter() - start)


def batch_rate(store, n: int, batch: int = 100) -> float:
    start = time.perf_counter()
    for b in range(n // batch):
        store.append(f"batch-{b}", [event(i) for i in range(batch)], NO_STREAM)
    return (n // batch * batch) / (time.perf_counter() - start)


def read_rate(store) -> float:
    start = time.perf_counter()
    n = sum(1 for _ in store.read_all())
    return n / (time.perf_counter() - start)


def verify_rate(store) -> tuple[float, bool]:
    start = time.perf_counter()
    v = StoreVerifier("bench", store)
    n = v.advance()
    return n / (time.perf_counter() - start), v.ok


def run(name: str, opener, n: int, rounds: int) -> None:
    """Before and after interleaved ``rounds`` times; the best of each is printed (a shared
    machine's noise only ever slows a run down)."""
    best: dict[str, list[float]] = {}
    for _ in range(rounds):
        for label, ctx in (("before (plain sha-256)", plain_hashes), ("after (HMAC-SHA-256)", contextlib.nullcontext)):
            with opener() as store:
                with ctx():
                    one = append_rate(store, n)
                    many = batch_rate(store, n)
                    replay = read_rate(store)
                if label.startswith("before"):
                    upgrade(store, "bench")  # verify then needs the upgrade seal, as a real old store would
                rate, ok = verify_rate(store)
                assert ok, f"{name} {label}: the store does not verify"
            figures = [one, many, replay, rate]
            best[label] = [max(a, b) for a, b in zip(best.get(label, figures), figures)]
    for label, (one, many, replay, rate) in best.items():
        print(f"{name:9} {label:24} append {one:8,.0f} ev/s   batch(100) {many:8,.0f} ev/s   "
              f"replay read {replay:9,.0f} ev/s   verify {rate:8,.0f} ev/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    keys.use(keys.Keyring([keys.Key("bench", os.urandom(32))], "bench"))  # never a key file in the repo
    plain, keyed = hash_rate(100_000)
    print(f"hash alone: plain sha-256 {plain:,.0f}/s ({1e6 / plain:.1f} µs), HMAC-SHA-256 {keyed:,.0f}/s "
          f"({1e6 / keyed:.1f} µs) per event")
    openers = {"sqlite": sqlite_store, "postgres": postgres_store}
    for name in args.backends.split(","):
        run(name, openers[name], args.events, args.rounds)


if __name__ == "__main__":
    main()
