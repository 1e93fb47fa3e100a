"""Example consumer of the dangvien event feed (for provincial IT systems).

Binds its own durable queue to a service's topic exchange ``<service>.events`` with a routing-key
pattern (routing key = event type, e.g. ``member.*`` or ``org_unit.created`` or ``#``), prints each
event as one JSON line, and acknowledges it only after it was handled (at-least-once: a consumer
must skip an ``event_id`` it has already seen).

    python examples/feed_consumer.py --amqp amqp://guest:guest@127.0.0.1:5672/%2F \\
        --service members --pattern 'member.*' --queue tinh-x.members

Needs only kombu. Validate messages with the schemas in docs/events/ (``--validate``, jsonschema).

Dead letters: a message that cannot be handled (not JSON, or not valid against its schema) is
rejected without requeue, and RabbitMQ moves it to the queue ``<queue>.dead`` (the consumer's
queue is declared with ``x-dead-letter-*`` arguments): it is kept for a person to look at, and it
does not come back in an endless loop. Look at them with ``rabbitmqadmin get queue=<queue>.dead``;
after a fix, move them back with a shovel. (A durable queue declared before, without these
arguments, must be deleted and declared again: RabbitMQ refuses to change a queue's arguments.)
A consumer that notices a gap in ``position`` re-reads the log with ``GET /api/v1/events``
(docs/events/README.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kombu import Connection, Exchange, Queue

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events"


def dead_letter_queue(name: str) -> Queue:
    """Where the broker puts the messages of ``name`` that the consumer rejected."""
    return Queue(f"{name}.dead", exchange=Exchange("", type="direct"), routing_key=f"{name}.dead", durable=True,
                 auto_delete=False)


def feed_queue(service: str, pattern: str, name: str, durable: bool = True) -> Queue:
    # the exchange is declared by the producing service's relay; declaring it the same way is a no-op
    exchange = Exchange(f"{service}.events", type="topic", durable=True)
    # a named queue dead-letters through the default exchange to "<name>.dead"
    arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{name}.dead"} if name else None
    return Queue(name, exchange=exchange, routing_key=pattern, durable=durable, auto_delete=not durable,
                 queue_arguments=arguments)


class Unusable(Exception):
    """A message that no retry can make valid: it goes to the dead-letter queue."""


def validator_for(event_type: str):
    import jsonschema
    path = SCHEMAS / f"{event_type}.schema.json"
    if not path.exists():
        return None
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def event_of(body: bytes | str, validate: bool) -> dict:
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise Unusable(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise Unusable("not a JSON object")
    if validate and (v := validator_for(str(event.get("type", "")))) is not None:
        import jsonschema
        try:
            v.validate(event)
        except jsonschema.ValidationError as exc:
            raise Unusable(f"{event.get('type')}: {exc.message} at {'/'.join(map(str, exc.absolute_path))}") from None
    return event


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Print dangvien events of a routing-key pattern")
    p.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672//")
    p.add_argument("--service", default="members", help="members | meetings | discipline | reporting")
    p.add_argument("--pattern", default="#", help="routing-key pattern: an event type, 'member.*', '#'")
    p.add_argument("--queue", default=None, help="durable queue name (default: a temporary queue)")
    p.add_argument("--limit", type=int, default=0,
                   help="stop after this many messages, dead letters included (0 = run forever)")
    p.add_argument("--validate", action="store_true", help="check each event against docs/events/")
    args = p.parse_args(argv)

    queue = feed_queue(args.service, args.pattern, args.queue or "", durable=bool(args.queue))
    seen = 0
    with Connection(args.amqp) as conn:
        if args.queue:
            dead_letter_queue(args.queue)(conn.default_channel).declare()

        def handle(message):
            nonlocal seen
            seen += 1
            try:
                event = event_of(message.body, args.validate)
            except Unusable as exc:
                # never requeued: the broker moves it to <queue>.dead (a temporary queue drops it)
                print(f"dead-lettered message {message.properties.get('message_id')}: {exc}", file=sys.stderr,
                      flush=True)
                message.reject(requeue=False)
                return
            print(json.dumps(event, ensure_ascii=False), flush=True)
            message.ack()

        # the raw message (on_message): a body that is not JSON is dead-lettered here, not raised by kombu
        with conn.Consumer(queue, on_message=handle):
            while not args.limit or seen < args.limit:
                try:
                    conn.drain_events(timeout=1)
                except TimeoutError:
                    continue
    return 0


if __name__ == "__main__":
    sys.exit(main())
