"""Kill a relay at a chosen point of its loop, from the test side (no hook in production code).

``install(relay_module, point, nth)`` wraps the relay class of an already imported
``shared.relay`` so that the process kills itself (SIGKILL, as a power cut would) at the ``nth``
occurrence of ``point``:

- ``before_publish``: just before the n-th message is handed to the broker;
- ``after_publish``: just after the n-th message was handed over (its checkpoint not yet moved);
- ``after_checkpoint``: just after the n-th checkpoint move.

``python -m tests.support.relay_faults STORE_URL AMQP_URI SERVICE POINT N BATCH`` runs one relay
with the fault until it has nothing left to publish (exit 0) or dies (-9).
"""
from __future__ import annotations

import os
import signal
import sys
import time

POINTS = ("before_publish", "after_publish", "after_checkpoint")


def _die(grace: float) -> None:
    if grace:
        time.sleep(grace)  # let an answer already on its way leave first, as a real crash usually would
    os.kill(os.getpid(), signal.SIGKILL)


def install(relay_module, point: str, nth: int = 1, grace: float = 0.0) -> None:
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r}; one of {POINTS}")
    Relay = relay_module.Relay
    seen = {"publish": 0, "checkpoint": 0}

    def published(call):
        def wrapper(*args, **kwargs):
            seen["publish"] += 1
            if point == "before_publish" and seen["publish"] == nth:
                _die(grace)
            out = call(*args, **kwargs)
            if point == "after_publish" and seen["publish"] == nth:
                _die(grace)
            return out
        return wrapper

    original_ready = Relay._producer_ready

    def producer_ready(self):
        fresh = self._producer is None
        producer = original_ready(self)
        if fresh:
            # both ways a relay hands a message over: the raw AMQP channel and kombu's producer
            if self._confirms is not None:
                self._confirms.channel.basic_publish = published(self._confirms.channel.basic_publish)
            producer.publish = published(producer.publish)
        return producer

    original_init = Relay.__init__

    def init(self, store, *args, **kwargs):
        original_init(self, store, *args, **kwargs)
        set_checkpoint = store.set_checkpoint

        def checkpoint(name, position):
            set_checkpoint(name, position)
            if name == relay_module.CHECKPOINT:
                seen["checkpoint"] += 1
                if point == "after_checkpoint" and seen["checkpoint"] == nth:
                    _die(grace)

        store.set_checkpoint = checkpoint

    Relay._producer_ready = producer_ready
    Relay.__init__ = init


def main(argv: list[str]) -> int:
    store_url, amqp_uri, service, point, nth, batch = argv
    import shared.relay
    from shared.eventstore import open_store
    install(shared.relay, point, int(nth))
    store = open_store(store_url)
    relay = shared.relay.Relay(store, service, amqp_uri, batch=int(batch))
    while relay.run_once():
        pass
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
