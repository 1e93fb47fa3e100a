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
