"""Relay throughput: events/s published from a SQLite store to RabbitMQ with publisher confirms.

Usage: python bench/relay.py [--events N] [--amqp URI]
Creates its own vhost (rabbitmqctl) so it never touches other runs' queues, and removes it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from kombu import Connection, Queue

from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.relay import Relay, event_exchange


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    vhost = f"dv-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteEventStore(Path(tmp) / "members.events.db")
            day = dt.date(2021, 1, 1)
            evs = [NewEvent(type="member.died", occurred_on=day, data={"member_id": f"M{i}"}) for i in range(args.events)]
            for i in range(0, len(evs), 1000):
                store.append(f"bench-{i}", evs[i:i + 1000])
            with Connection(uri) as conn:  # a durable queue so messages are really kept
                Queue("bench", exchange=event_exchange("members"), routing_key="#", durable=True)(conn.channel()).declare()
            relay = Relay(store, "members", uri, batch=args.batch)
            t0 = time.perf_counter()
            while relay.run_once():
                pass
            took = time.perf_counter() - t0
            print(f"relay → RabbitMQ (persistent, publisher confirms): {args.events} events in {took:.2f} s "
                  f"= {args.events / took:,.0f} events/s")
            relay.reset()
            store.close()
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)


if __name__ == "__main__":
    main()
