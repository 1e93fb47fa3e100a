"""The relay publishes each stored event once per checkpoint move, routing key = event type."""
import datetime as dt
import uuid

from kombu import Connection, Queue

from shared.events import NewEvent
from shared.relay import Relay, event_exchange


def test_relay_publishes_in_order_and_moves_its_checkpoint(store):
    uri = f"memory://relay-{uuid.uuid4().hex}"
    store.append("org_unit-U1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2020, 1, 1),
                                          data={"org_unit_id": "U1", "name": "Chi bộ", "kind": "cell",
                                                "parent_id": "G1"})])
    store.append("member-M1", [NewEvent(type="member.died", occurred_on=dt.date(2020, 2, 1),
                                        data={"member_id": "M1"})])
    with Connection(uri) as conn:
        queue = Queue("feed", exchange=event_exchange("members"), routing_key="#")
        queue(conn.channel()).declare()
        relay = Relay(store, "members", uri)
        assert relay.run_once() == 2
        assert relay.checkpoint == 2 and relay.lag() == 0
        assert relay.run_once() == 0
        got = []
        with conn.Consumer(queue, callbacks=[lambda body, msg: (got.append((msg.delivery_info["routing_key"], body)), msg.ack())]):
            for _ in range(2):
                conn.drain_events(timeout=2)
    assert [k for k, _ in got] == ["org_unit.created", "member.died"]
    assert [b["position"] for _, b in got] == [1, 2]
    assert got[0][1]["source"] == "members" and got[0][1]["hash"]


def test_only_one_replica_relays_a_store(store, tmp_path):
    """Two processes' stores on one file: the second waits while the first holds the lease."""
    import subprocess
    import sys
    assert store.try_lease("relay")
    probe = f"from shared.eventstore.sqlite import SQLiteEventStore; print(SQLiteEventStore({store.path!r}).try_lease('relay'))"
    other = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert other.stdout.strip() == "False"
    store.close()
    for h in store._leases.values():
        h.close()  # the holder goes away (as a dead process would): the lease is free
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert again.stdout.strip() == "True"


def test_a_backlog_is_published_batch_by_batch_letting_other_work_run_between(store, monkeypatch):
    """An import's thousands of events: between two of the relay's batches the process's other
    work runs (under eventlet ``time.sleep(0)`` switches to it) and sees the backlog part published —
    in the embedded server, the import's answer and its progress are not held until the last one."""
    import time
    for i in range(5):
        store.append(f"member-M{i}", [NewEvent(type="member.died", occurred_on=dt.date(2020, 2, 1),
                                               data={"member_id": f"M{i}"})])
    relay = Relay(store, "members", f"memory://relay-{uuid.uuid4().hex}", batch=2)
    seen_by_others: list[int] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: seconds == 0 and seen_by_others.append(relay.checkpoint))
    relay.run_forever(lambda: relay.checkpoint == 5, poll=0.01)
    assert seen_by_others == [2, 4, 5]


def _event(i: int) -> NewEvent:
    return NewEvent(type="member.died", occurred_on=dt.date(2020, 2, 1), data={"member_id": f"M{i}"})


def _feed(conn):
    # a name of its own: kombu's memory transport keeps its queues for the whole test process
    queue = Queue(f"feed-{uuid.uuid4().hex[:8]}", exchange=event_exchange("members"), routing_key="#")
    queue(conn.channel()).declare()
    return queue


def _positions(conn, queue, count: int) -> list[int]:
    got = []
    with conn.Consumer(queue, callbacks=[lambda body, msg: (got.append(body["position"]), msg.ack())]):
        for _ in range(count):
            conn.drain_events(timeout=2)
    return got


def test_a_relay_keeping_up_one_event_at_a_time_reads_its_checkpoint_once(store):
    """While it relays, only this relay moves its checkpoint: it keeps the position it stored
    instead of reading it back before every batch (a round trip per event on PostgreSQL)."""
    uri = f"memory://relay-{uuid.uuid4().hex}"
    reads = []
    stored = store.get_checkpoint
    store.get_checkpoint = lambda name: reads.append(name) or stored(name)
    with Connection(uri) as conn:
        queue = _feed(conn)
        relay = Relay(store, "members", uri)
        for i in range(1, 6):
            store.append(f"member-M{i}", [_event(i)])
            assert relay.run_once() == 1
            assert relay.run_once() == 0
        assert _positions(conn, queue, 5) == [1, 2, 3, 4, 5]
    assert reads == ["relay"]
    store.get_checkpoint = stored
    relay.store_checkpoint()
    assert relay.checkpoint == 5  # what it kept is what it stored


def test_a_relay_keeping_up_one_event_at_a_time_stores_its_checkpoint_once_in_a_while(store, monkeypatch):
    """One event at a time (commands as they come): the checkpoint is stored at most every
    ``CHECKPOINT_SECONDS``, not once per event (a transaction each on PostgreSQL), and as soon as
    nothing more comes; a relay that died meanwhile would publish again what followed it (consumers
    skip duplicates), never skip one."""
    import shared.relay as relay_module
    uri = f"memory://relay-{uuid.uuid4().hex}"
    clock = [100.0]
    monkeypatch.setattr(relay_module.time, "monotonic", lambda: clock[0])
    writes = []
    stored = store.set_checkpoint
    store.set_checkpoint = lambda name, position: writes.append(position) or stored(name, position)
    with Connection(uri) as conn:
        queue = _feed(conn)
        relay = Relay(store, "members", uri)
        for i in range(1, 6):
            store.append(f"member-M{i}", [_event(i)])
            assert relay.run_once() == 1
            clock[0] += 0.05
        assert writes == [1]  # the first at once, the next ones within CHECKPOINT_SECONDS of it
        assert relay.checkpoint == 1 and relay.lag() == 4
        assert relay_module.published_position(store) == 5  # what its process counts as published (shared.ops)
        store.append("member-M6", [_event(6)])
        clock[0] += relay_module.CHECKPOINT_SECONDS
        assert relay.run_once() == 1
        assert writes == [1, 6]  # due again: everything published so far
        store.append("member-M7", [_event(7)])
        turns = iter(range(2))
        relay.run_forever(lambda: next(turns, None) is None, poll=0.01)  # publishes 7, then nothing comes
        assert writes == [1, 6, 7] and relay.lag() == 0
        assert _positions(conn, queue, 7) == [1, 2, 3, 4, 5, 6, 7]


def test_after_an_error_or_a_lost_lease_the_relay_starts_from_the_stored_checkpoint(store):
    """Another replica may have relayed meanwhile: the relay then trusts the store, not the
    position it kept (a stale one would only publish again, never skip)."""
    uri = f"memory://relay-{uuid.uuid4().hex}"
    with Connection(uri) as conn:
        queue = _feed(conn)
        relay = Relay(store, "members", uri)
        for i in range(1, 5):
            store.append(f"member-M{i}", [_event(i)])
        relay.batch = 1
        assert relay.run_once() == 1
        store.set_checkpoint("relay", 2)  # another replica relayed event 2 while this one was cut off
        relay.reset()  # the broker error this relay saw
        assert relay.run_once() == 1
        assert _positions(conn, queue, 2) == [1, 3]
        store.set_checkpoint("relay", 4)  # and events 4 while this relay stood by without the lease
        store.append("member-M5", [_event(5)])
        leases = iter([False, True])
        store.try_lease = lambda name: next(leases, True)
        turns = iter(range(3))
        relay.run_forever(lambda: next(turns, None) is None, poll=0.01)
        assert _positions(conn, queue, 1) == [5]
        assert relay.checkpoint == 5


def _queued(conn, queue) -> list[int]:
    """The positions waiting in ``queue``, taken without waiting for more."""
    got = []
    while (msg := queue(conn.channel()).get(no_ack=True)) is not None:
        got.append(msg.headers["dangvien.position"])
    return got


def _backlog(store, numbers) -> None:
    for i in numbers:
        store.append(f"member-M{i}", [_event(i)])


def _store_reading_queue(conn, service: str, monkeypatch) -> Queue:
    """A lazy batch handler's queue (its consumer reads the store) on ``service``'s exchange: the
    only kind the relay then knows of."""
    import shared.relay as relay_module
    monkeypatch.setattr(relay_module, "READS_THE_STORE", set())
    projection = Queue(f"evt-{service}-{uuid.uuid4().hex[:8]}", exchange=event_exchange(service), routing_key="#")
    projection(conn.channel()).declare()
    relay_module.READS_THE_STORE.add(projection.name)
    return projection


def test_when_every_subscriber_reads_the_store_a_backlog_is_announced_by_its_last_event(store, monkeypatch):
    """Embedded mode: the projections' lazy batch handlers read from the store every event up to
    the one delivered, so a batch of the backlog rings once (its last event); the checkpoint still
    moves past all of it. Another subscriber beside them (a feed, a handler taking each event)
    gets every event, as before."""
    service = f"svc{uuid.uuid4().hex[:8]}"  # an exchange of its own: memory queues outlive a test
    uri = f"memory://relay-{uuid.uuid4().hex}"
    with Connection(uri) as conn:
        projection = _store_reading_queue(conn, service, monkeypatch)
        relay = Relay(store, service, uri, batch=3)
        _backlog(store, range(1, 6))
        assert relay.run_once() == 3 and relay.run_once() == 2
        assert relay.checkpoint == 5
        assert _queued(conn, projection) == [3, 5]
        feed = Queue(f"feed-{uuid.uuid4().hex[:8]}", exchange=event_exchange(service), routing_key="#")
        feed(conn.channel()).declare()
        _backlog(store, range(6, 9))
        assert relay.run_once() == 3
        assert _queued(conn, feed) == [6, 7, 8] and _queued(conn, projection) == [6, 7, 8]


def test_a_doorbell_from_a_store_that_cannot_list_positions_reads_the_batch_and_rings_once(store, monkeypatch):
    """A store without ``read_rows`` (positions alone): the batch is read whole, still announced by
    its last event."""
    monkeypatch.setattr(type(store), "read_rows", None, raising=False)
    service = f"svc{uuid.uuid4().hex[:8]}"
    uri = f"memory://relay-{uuid.uuid4().hex}"
    with Connection(uri) as conn:
        projection = _store_reading_queue(conn, service, monkeypatch)
        relay = Relay(store, service, uri, batch=2)
        _backlog(store, range(1, 6))
        assert [relay.run_once() for _ in range(4)] == [2, 2, 1, 0]
        assert relay.checkpoint == 5 and _queued(conn, projection) == [2, 4, 5]
