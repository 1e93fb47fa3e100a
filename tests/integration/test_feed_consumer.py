"""An external feed consumer (a provincial system with its own queue on the event exchange) gets
every event, whatever point of its loop the relay is killed at, on real RabbitMQ.

Nothing but the relay and the consumer's queue is in the picture: no reporting service that
would re-read the stores and fill a gap, so an event lost on the bus is a failed test. Delivery is
at least once: a consumer that keeps the first copy of each ``event_id`` sees the log, in order.
"""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Queue

from shared.eventstore import open_store
from shared.events import NewEvent
from shared.relay import Relay, event_exchange
from tests.support.services import pg_database, rabbit_vhost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BATCH = 3  # events 1-3, 4-6, 7: kills land inside a batch, on its edge, and in the last one


def history() -> list[tuple[str, NewEvent]]:
    out = [("org_unit-G1", NewEvent(type="org_unit.created", occurred_on=dt.date(2020, 1, 1), org_unit_id="G1",
                                    data={"org_unit_id": "G1", "name": "Chi bộ Ấp 1", "kind": "grassroots_cell"}))]
    for i in range(1, 7):
        out.append((f"member-M{i}", NewEvent(type="member.died" if i == 6 else "member.recognized_official",
                                             occurred_on=dt.date(2021, 1, i), org_unit_id="G1",
                                             data={"member_id": f"M{i}"})))
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'members.events.db'}"
    else:
        with pg_database() as url:
            yield url


@pytest.fixture(scope="module")
def amqp_uri():
    """One vhost for the module (making one costs seconds); each test has its own queue in it."""
    with rabbit_vhost() as uri:
        yield uri


def feed_queue(amqp_uri: str) -> Queue:
    """The provincial system's own durable queue, bound to every event type of the members service."""
    queue = Queue(f"province-feed-{uuid.uuid4().hex[:8]}", exchange=event_exchange("members"), routing_key="#",
                  durable=True)
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    return queue


def drain(amqp_uri: str, queue: Queue) -> list[tuple[str, dict]]:
    """Everything in the queue, as (routing key, body), acknowledged."""
    got = []
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        while (msg := bound.get(no_ack=False)) is not None:
            got.append((msg.delivery_info["routing_key"], msg.decode()))
            msg.ack()
    return got


def run_relay(store_url: str, amqp_uri: str, point: str, nth: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.support.relay_faults", store_url, amqp_uri, "members",
                           point, str(nth), str(BATCH)], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("point,nth", [
    ("before_publish", 1),     # nothing of the first batch out yet
    ("before_publish", 5),     # half of the second batch out, its checkpoint not moved
    ("after_publish", 3),      # a whole batch out, killed before its confirms and checkpoint
    ("after_publish", 7),      # the last event out, never checkpointed
    ("after_checkpoint", 1),   # first batch out and checkpointed, the rest not yet read
    ("after_checkpoint", 3),   # everything out and checkpointed: a restart has nothing to add
])
def test_every_event_reaches_an_external_consumer_after_the_relay_is_killed(amqp_uri, store_url, point, nth):
    store = open_store(store_url)
    queue = None
    try:
        stored = [env for stream, ev in history() for env in store.append(stream, [ev])]
        queue = feed_queue(amqp_uri)

        crashed = run_relay(store_url, amqp_uri, point, nth)
        assert crashed.returncode == -9, crashed.stderr  # it really died at that point

        # the relay comes back (a new process, from its stored checkpoint) and catches up
        restarted = open_store(store_url)
        relay = Relay(restarted, "members", amqp_uri, batch=BATCH)
        while relay.run_once():
            pass
        assert relay.lag() == 0
        relay.reset()
        restarted.close()

        got = drain(amqp_uri, queue)
    finally:
        store.close()
        if queue is not None:
            with Connection(amqp_uri) as conn:
                queue(conn.channel()).delete()

    first_copies: dict[str, dict] = {}
    for key, body in got:
        assert key == body["type"] and body["source"] == "members"
        first_copies.setdefault(body["event_id"], body)
    # every stored event, each with its position, in log order, nothing the store does not hold
    assert [b["event_id"] for b in first_copies.values()] == [e.event_id for e in stored]
    assert [b["position"] for b in first_copies.values()] == [e.position for e in stored]
    assert [b["data"] for b in first_copies.values()] == [e.data for e in stored]
    # at least once, not "many times": a copy is only sent again for a batch whose checkpoint never moved
    assert len(got) - len(first_copies) <= BATCH
