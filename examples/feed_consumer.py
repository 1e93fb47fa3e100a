"""Example consumer of the dangvien event feed (for provincial IT systems).

Binds its own durable queue to a service's topic exchange ``<service>.events`` with a routing-key
pattern (routing key = event type, e.g. ``member.*`` or ``org_unit.created`` or ``#``), prints each
event as one JSON line, and acknowledges it only after it was handled (at-least-once: a consumer
must skip an ``event_id`` it has already seen).

    python examples/feed_consumer.py --amqp amqp://guest:guest@127.0.0.1:5672/%2F \\
        --service members --pattern 'member.*' --queue tinh-x.members

Needs only kombu. Validate messages with the schemas in docs/events/ (``--validate``, jsonschema).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kombu import Connection, Exchange, Queue

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events"


def feed_queue(service: str, pattern: str, name: str, durable: bool = True) -> Queue:
    # the exchange is declared by the producing service's relay; declaring it the same way is a no-op
    exchange = Exchange(f"{service}.events", type="topic", durable=True)
    return Queue(name, exchange=exchange, routing_key=pattern, durable=durable, auto_delete=not durable)


def validator_for(event_type: str):
    import jsonschema
    path = SCHEMAS / f"{event_type}.schema.json"
    if not path.exists():
        return None
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Print dangvien events of a routing-key pattern")
    p.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672//")
    p.add_argument("--service", default="members", help="members | meetings | discipline | reporting")
    p.add_argument("--pattern", default="#", help="routing-key pattern: an event type, 'member.*', '#'")
    p.add_argument("--queue", default=None, help="durable queue name (default: a temporary queue)")
    p.add_argument("--limit", type=int, default=0, help="stop after this many events (0 = run forever)")
    p.add_argument("--validate", action="store_true", help="check each event against docs/events/")
    args = p.parse_args(argv)

    queue = feed_queue(args.service, args.pattern, args.queue or "", durable=bool(args.queue))
    seen = 0
    with Connection(args.amqp) as conn:
        def handle(body, message):
            nonlocal seen
            event = body if isinstance(body, dict) else json.loads(body)
            if args.validate and (v := validator_for(event.get("type", ""))) is not None:
                v.validate(event)  # raises: the message is not acked and will be redelivered
            print(json.dumps(event, ensure_ascii=False), flush=True)
            message.ack()
            seen += 1

        with conn.Consumer(queue, callbacks=[handle], accept=["json"]):
            while not args.limit or seen < args.limit:
                try:
                    conn.drain_events(timeout=1)
                except TimeoutError:
                    continue
    return 0


if __name__ == "__main__":
    sys.exit(main())
