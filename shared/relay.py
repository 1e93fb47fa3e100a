"""The relay: tails a service's event log from a stored checkpoint and publishes each event on
the bus, then moves the checkpoint. At-least-once: a crash between publish and checkpoint
re-publishes, and consumers skip what they have seen (``shared.projection``).

The checkpoint moves only past what the broker confirmed. While events come one small batch at a
time, it is stored at most every ``CHECKPOINT_SECONDS`` (and as soon as they stop), not once per
batch: a busy relay does not commit a transaction per event, and one that dies publishes again
at most that much.

Messages go to the topic exchange ``<service>.events`` (the one nameko's ``event_handler``
listens on) with routing key = event type, persistent, with publisher confirms on AMQP.

On kombu's in-memory transport (embedded mode: every subscriber lives in this process), when every
queue bound to the exchange takes every event for a consumer that reads from the store all the
events up to the one delivered (a lazy batch handler, ``shared.bus_batches``, whose projections
handle a batch by its latest delivery: ``ProjectionRunner.handle_batch``), a batch is announced by
its last event only — the doorbell: the others would each be published, routed, wrapped and
dropped unread (after an import, thousands of them, a third of the process's work).

Restores: each round first reads the id of the event at the relay's position (one indexed read of
one row) and compares it with the event it last published there. A store restored from an older
copy under a running relay (its head below the position, or another event there: written on past
its old head) would otherwise have its new events, at positions already published, never
published. The relay then says so (``shared.checkpoints_watch``: ``/readyz``, ``/metrics``, the
log) and publishes again from the store's own checkpoint when the restored log holds it, else from
the log's start (at least once: consumers skip what they applied, and their own runners stop on
the restored positions until their read models are rebuilt).
"""
from __future__ import annotations

import json
import time

import amqp
from typing import Callable

from kombu import Connection, Exchange, Producer

from shared import checkpoints_watch
from shared.eventstore import EventStore

CHECKPOINT = "relay"
#: while events keep coming in small batches, the relay stores its checkpoint at most this often
CHECKPOINT_SECONDS = 0.25


#: what the relay of this process last had confirmed, by store (``id``): its lag (``shared.ops``)
#: counts from there when that is past the stored checkpoint
_published: dict[int, int] = {}


#: the queues of this process (kombu's in-memory transport) whose consumer reads from the store
#: every event up to the latest it is delivered (``shared.bus_batches``: lazy batch handlers)
READS_THE_STORE: set[str] = set()


def published_position(store) -> int | None:
    """The position up to which this process's relay has published ``store`` (None: not relaying it)."""
    return _published.get(id(store))


def event_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.events", type="topic", durable=True, delivery_mode=2)


class NotConfirmed(Exception):
    """The broker refused (nacked) or did not confirm a message in time."""


class _BatchConfirms:
    """Publisher confirms, waited for once per batch instead of once per message.

    Waiting for each message's ack costs a broker round trip and disk sync per event (~100/s);
    publishing a batch and then waiting until the broker has acked the last delivery tag keeps
    the same guarantee — nothing is checkpointed until the broker holds it — at batch speed.
    """

    def __init__(self, channel):
        self.channel = channel
        self.acked = 0
        self.published = 0
        self.nacked = False
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)

    def _on_ack(self, tag, multiple):
        self.acked = max(self.acked, tag)

    def _on_nack(self, tag, multiple):
        self.nacked = True

    def wait_all(self, connection, count: int, timeout: float = 30.0) -> None:
        import time
        self.published += count
        deadline = time.monotonic() + timeout
        while self.acked < self.published and not self.nacked:
            if time.monotonic() > deadline:
                raise NotConfirmed(f"broker confirmed {self.acked} of {self.published}")
            try:
                connection.drain_events(timeout=1)
            except TimeoutError:
                continue
        if self.nacked:
            raise NotConfirmed("broker nacked a message")


class Relay:
    def __init__(self, store: EventStore, service: str, amqp_uri: str, batch: int = 500,
                 on_published: Callable[[int], None] | None = None,
                 transform: Callable[[dict], dict] | None = None, transport_options: dict | None = None):
        self.store, self.service, self.amqp_uri, self.batch = store, service, amqp_uri, batch
        #: the connection's, as the process's other connections have them (e.g. kombu's in-memory
        #: transport without base64 bodies, embedded mode)
        self.transport_options = transport_options
        #: e.g. the members service unseals personal fields for authorised feed consumers
        self.transform = transform
        self.exchange = event_exchange(service)
        self.on_published = on_published
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._confirms: _BatchConfirms | None = None
        #: the position this relay last checkpointed, kept while it holds the lease (only the
        #: leaseholder moves it), so a batch does not read it back; None: read it from the store
        self._position: int | None = None
        #: the position last stored, and when (a partial batch within CHECKPOINT_SECONDS of it
        #: is stored later: when the next is due, or when the relay finds nothing more to publish)
        self._stored: int | None = None
        self._stored_at = float("-inf")
        self._full = False  # the last batch was full (a backlog): its end is stored at once
        #: the id of the event at ``_position`` this relay published (None: not known, a position
        #: read from the store: only that the log still reaches it is checked)
        self._last_id: str | None = None

    def _producer_ready(self) -> Producer:
        if self._producer is None:
            self._conn = Connection(self.amqp_uri, transport_options=self.transport_options)
            channel = self._conn.channel()
            self.exchange(channel).declare()
            self._confirms = _BatchConfirms(channel) if self.amqp_uri.startswith(("amqp", "pyamqp")) else None
            self._producer = Producer(channel, exchange=self.exchange, serializer="json")
        return self._producer

    def reset(self) -> None:
        """Drop the connection after a broker error; the next call reconnects."""
        try:
            if self._conn is not None:
                self._conn.release()
        except Exception:
            pass
        finally:
            self._conn, self._producer = None, None
            # after an error, trust only what the store holds (what was published and not yet
            # stored is published again)
            self._position = self._stored = self._last_id = None
            _published.pop(id(self.store), None)

    @property
    def checkpoint(self) -> int:
        return self.store.get_checkpoint(CHECKPOINT)

    def lag(self) -> int:
        return self.store.count_after(self.checkpoint)

    def position(self) -> int:
        """Where the next batch starts after: the position this relay last checkpointed, else the
        stored checkpoint."""
        if self._position is None:
            self._position = self._stored = self.checkpoint
        return self._position

    def run_once(self) -> int:
        """Publish what follows the checkpoint (one batch); return how many were published.

        The checkpoint moves only after the broker confirmed every message of the batch.
        """
        if not self._backed():
            self._resume()
        start = self.position() + 1
        # ringing a doorbell (known once connected): the others of the batch are counted, not read
        ringing = self._producer is not None and self._doorbell_only()
        if ringing:
            count, events = self._last_of(start)
        else:
            events = list(self.store.read_all(start, limit=self.batch))
            count = len(events)
        if not events:
            return 0
        producer = self._producer_ready()
        for env in (events[-1:] if ringing or self._doorbell_only() else events):
            body = env.model_dump(mode="json")
            body["source"] = self.service
            if self.transform:
                body = self.transform(body)
            headers = {"dangvien.position": env.position, "dangvien.source": self.service}
            if self._confirms is not None:
                # straight onto the AMQP channel: kombu's per-message overhead is most of the cost
                self._confirms.channel.basic_publish(
                    amqp.Message(json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, message_id=env.event_id, application_headers=headers),
                    exchange=self.exchange.name, routing_key=env.type)
            else:
                producer.publish(body, routing_key=env.type, delivery_mode=2, headers=headers,
                                 message_id=env.event_id)
        if self._confirms is not None:
            self._confirms.wait_all(self._conn, len(events))
        self._position = _published[id(self.store)] = events[-1].position
        self._last_id = events[-1].event_id
        full, self._full = self._full, count == self.batch
        if full or self._full or time.monotonic() - self._stored_at >= CHECKPOINT_SECONDS:
            self.store_checkpoint()
        if self.on_published:
            self.on_published(count)
        return count

    def _backed(self) -> bool:
        """Does the store still hold, at this relay's position, the event it published there?"""
        position = self.position()
        if position <= 0:
            return True
        at = checkpoints_watch.event_at(self.store, position)
        return at is not None and at[0] == position and self._last_id in (None, at[1])

    def _resume(self) -> None:
        """The store was restored from an older copy: report it, and publish again from the store's
        own checkpoint when the restored log holds it (it came back with the log), else from the start."""
        position, head, stored = self._position, self.store.head_position(), self.checkpoint
        other_event = head >= position
        resume = stored if stored < position and stored <= head else 0
        checkpoints_watch.fail(f"relay:{self.service}", "relay", f"relay {self.service}", self.service, position,
                               head, other_event, "dangvien replay; dangvien rebuild <service>", resumed_from=resume)
        self._position = self._stored = resume
        self._last_id = None
        _published.pop(id(self.store), None)

    def _last_of(self, start: int) -> tuple[int, list]:
        """(how many events the batch from ``start`` holds, its last event, alone) — the others
        read as positions only, where the store can (``read_rows``); else the whole batch."""
        read_rows = getattr(self.store, "read_rows", None)
        rows = next(iter(read_rows(["position"], start, page=self.batch)), []) if read_rows else None
        last = list(self.store.read_all(rows[-1][0], limit=1)) if rows else []
        if rows is None or (rows and not last):
            events = list(self.store.read_all(start, limit=self.batch))
            return len(events), events
        return len(rows), last

    def _doorbell_only(self) -> bool:
        """Whether the batch's last event alone tells every subscriber of it: kombu's in-memory
        transport, and every queue bound to the exchange takes every routing key for a consumer
        of this process that reads what precedes the delivery from the store (``READS_THE_STORE``)."""
        if self._confirms is not None or not self.amqp_uri.startswith("memory://"):
            return False
        try:
            table = self._producer.channel.get_table(self.exchange.name)
        except (KeyError, AttributeError):
            return False
        return bool(table) and all(key == "#" and queue in READS_THE_STORE for key, _, queue in table)

    def store_checkpoint(self) -> None:
        """Store the position published so far, if it moved since it was last stored."""
        if self._position is not None and self._position != self._stored:
            self.store.set_checkpoint(CHECKPOINT, self._position)
            self._stored, self._stored_at = self._position, time.monotonic()

    def run_forever(self, should_stop: Callable[[], bool], poll: float = 0.2,
                    on_error: Callable[[Exception], None] | None = None) -> None:
        while not should_stop():
            try:
                if not self.store.try_lease(CHECKPOINT):
                    # another replica of this service relays this store; stand by, and read its
                    # checkpoint again if this one takes over
                    self._position = self._stored = self._last_id = None
                    _published.pop(id(self.store), None)
                    time.sleep(min(poll * 10, 2.0))
                    continue
                published = self.run_once()
                if published:
                    # a backlog (an import's file) is published batch after batch: between two,
                    # the process's other work runs (under eventlet ``sleep(0)`` yields; the
                    # answers and progress of an import, requests)
                    time.sleep(0)
                if published == self.batch:
                    continue  # a full batch: more may follow at once
                # the log's end was reached: wait for the next append (at once if one came
                # meanwhile); none came: store what was published
                if not self.store.wait_for_append(self.position(), poll):
                    self.store_checkpoint()
            except Exception as exc:  # broker or store down: keep trying, nothing is lost
                if on_error:
                    on_error(exc)
                self.reset()
                time.sleep(min(poll * 5, 2.0))
        try:
            self.store_checkpoint()  # stopping: what was published is not published again
        except Exception:
            pass
