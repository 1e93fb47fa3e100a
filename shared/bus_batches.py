"""nameko glue: event deliveries taken in batches (``batch_event_handler``).

nameko's ``event_handler`` spends, per delivery, a green thread, a worker (every dependency
injected and torn down) and one ``basic.ack`` written to the broker: after a large import the
projections skip thousands of deliveries as duplicates, and that machinery is most of what they
cost. A batch handler takes the deliveries its queue has prefetched (up to ``BATCH``) together:
the service method receives the list of their bodies in one worker, and they are acked together,
after the method returned (its transaction committed), by one ``basic.ack`` with ``multiple``.
A small batch first waits ``batch_gather_seconds`` (settings) for more deliveries to join it: at a
steady trickle of commands each delivery would otherwise be a batch of its own, paying a batch's
own cost (a transaction, its reads, the early-warning lists recomputed) alone.

A handler declared ``lazy=True`` receives each event body as a ``Delivery``, decoded when first
read: its position comes from the relay's header, and a projection handling a batch reads the body
of the latest delivery only — the store gives it the others (after an import, the thousands of
deliveries it skips as duplicates are never decoded). In embedded mode, a relay whose every
subscriber is such a handler publishes only the last event of each batch (``shared.relay``).

At least once, as before: a process killed before the ack gets the whole batch again (its
projections tell the events applied as duplicates); a method that raised is acked as nameko's
handler does (the sweep applies from the store what a failed delivery did not). Deliveries of one
queue are handed over in the order they came, one batch after another, never two at once.
"""
from __future__ import annotations

import collections
import weakref
from collections.abc import Mapping
from functools import partial

import eventlet
from amqp.exceptions import ConnectionError
from eventlet.event import Event
from kombu.transport import virtual
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from shared.relay import READS_THE_STORE
from shared.runtime import PartitionEventHandler, settings_of

#: deliveries a batch handler's queue may hold unacked (the broker's prefetch), so at most one batch
BATCH = 500
#: a batch of at least this many deliveries is applied at once, without gathering more
GATHERED = 50
#: the header in which the relay (``shared.relay``) sends the event's position
POSITION = "dangvien.position"


class Delivery(Mapping):
    """A delivery's body (a JSON object: an event), read only when needed: decoded (as kombu would have: the message's
    content type, the consumer's accepted types) when first read, except its ``position``, which
    the relay's header tells without decoding."""

    __slots__ = ("message", "_body")

    def __init__(self, message):
        self.message, self._body = message, None

    def body(self):
        if self._body is None:
            self._body = self.message.decode()
        return self._body

    def get(self, key, default=None):
        if key == "position" and self._body is None:
            position = (self.message.headers or {}).get(POSITION)
            if type(position) is int:
                return position
        return self.body().get(key, default)

    def __getitem__(self, key):
        return self.body()[key]

    def __iter__(self):
        return iter(self.body())

    def __len__(self):
        return len(self.body())

    def __repr__(self):
        return f"Delivery({self.body()!r})"


class BatchQueueConsumer(QueueConsumer):
    """The queue consumer of batch handlers (their own connection, apart from nameko's handlers
    and RPCs): each queue prefetches ``BATCH`` deliveries, handed to their handler as they come
    (no green thread each). Acks follow the channel's delivery order: a ``basic.ack`` with
    ``multiple`` acks every earlier delivery of the channel, so a batch is acked only up to the
    first delivery (of any queue of the channel) not settled yet, and the rest when that one is.
    kombu's in-memory transport (embedded mode) knows no ``multiple``: there each is acked."""

    def __init__(self):
        super().__init__()
        #: channel → (its delivery tags not acked yet, in delivery order; tag → None while open,
        #: then True when done with, False when requeued)
        self._open: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def prefetch_count(self):
        return BATCH

    def get_consumers(self, consumer_cls, channel):
        """nameko's consumers, but given the raw message (``on_message``): not decoded here."""
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=partial(self._delivered, provider),
                                    accept=self.accept)
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _delivered(self, provider, message):
        body = Delivery(message) if getattr(provider, "lazy", False) else message.decode()
        self.handle_message(provider, body, message)

    def handle_message(self, provider, body, message):
        order, state = self._open.get(message.channel) or self._open.setdefault(
            message.channel, (collections.deque(), {}))
        order.append(message.delivery_tag)
        state[message.delivery_tag] = None
        provider.take(body, message)

    def settle(self, messages: list, ack: bool = True) -> None:
        """The batch ``messages`` is done with: acked (or, ``ack`` false, requeued one by one), and
        with it every earlier delivery of its channel already settled."""
        for message in messages:
            if not ack:
                self.requeue_message(message)
            _, state = self._open.get(message.channel) or ((), {})
            if message.delivery_tag in state:
                state[message.delivery_tag] = ack
        for channel in {m.channel for m in messages}:
            self._ack_settled(channel)

    def _ack_settled(self, channel) -> None:
        order, state = self._open.get(channel) or ((), {})
        acked = []
        while order and state[order[0]] is not None:
            tag = order.popleft()
            if state.pop(tag):
                acked.append(tag)
        if not acked or not channel.connection:
            return  # nothing to ack, or the channel is gone (the broker has taken its deliveries back)
        try:
            if isinstance(channel, virtual.Channel):  # kombu's in-memory transport: one by one
                for tag in acked:
                    channel.basic_ack(tag)
            else:
                channel.basic_ack(acked[-1], multiple=True)
        except ConnectionError:  # pragma: no cover - the connection closed meanwhile: redelivered
            pass


class Batches:
    """An event handler mix-in: the method receives a list of event bodies, the deliveries that
    came while the previous batch was handled (same queue as the handler it is mixed into)."""

    queue_consumer = BatchQueueConsumer()

    def __init__(self, *args, lazy: bool = False, **kwargs):
        #: the bodies are handed over as ``Delivery`` mappings, decoded when first read
        self.lazy = lazy
        super().__init__(*args, **kwargs)

    def setup(self):
        self._waiting: list = []
        self._running = False
        self._gather = settings_of(self.container.config).batch_gather_seconds
        super().setup()
        if self.lazy:  # it reads from the store what precedes a delivery: a relay may ring once
            READS_THE_STORE.add(self.queue.name)

    def take(self, body, message) -> None:
        """A delivery, in the consumer's thread: kept for the next batch (one runs at a time)."""
        self._waiting.append((body, message))
        if not self._running:
            self._running = True
            self.container.spawn_managed_thread(self._batches, identifier=f"{self.method_name}.batches")

    def _batches(self) -> None:
        try:
            while self._waiting:
                if self._gather > 0 and len(self._waiting) < GATHERED:
                    # a small batch waits a moment: deliveries coming meanwhile join it, and what
                    # each batch costs whatever its size is paid once for them all
                    eventlet.sleep(self._gather)
                batch, self._waiting = self._waiting, []
                messages = [m for _, m in batch]
                done = Event()
                try:
                    self.container.spawn_worker(self, ([b for b, _ in batch],), {},
                                                handle_result=partial(self._handled, messages, done))
                except ContainerBeingKilled:
                    self.queue_consumer.settle(messages, ack=False)
                    continue
                done.wait()
        finally:
            self._running = False

    def _handled(self, messages, done, worker_ctx, result=None, exc_info=None):
        try:
            self.queue_consumer.settle(messages)  # committed (or failed: the sweep's then)
        finally:
            done.send()
        return result, exc_info

    def handle_message(self, body, message):  # pragma: no cover - batches only (``take``)
        raise NotImplementedError


class BatchEventHandler(Batches, EventHandler):
    """nameko's ``event_handler`` (same queue), in batches."""


class PartitionBatchEventHandler(Batches, PartitionEventHandler):
    """``shared.runtime.PartitionEventHandler`` (a queue per partition), in batches."""


batch_event_handler = BatchEventHandler.decorator
partition_batch_event_handler = PartitionBatchEventHandler.decorator
