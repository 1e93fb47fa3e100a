"""The event feed as a provincial system sees it: real RabbitMQ (own vhost), members and gateway as
separate processes, a command through the HTTP API, and the example consumer receiving the event
with the shape documented in docs/events/."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import Cluster, http, rabbit_vhost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "events" / "org_unit.created.schema.json"


def test_an_external_consumer_receives_the_documented_event(tmp_path):
    import jsonschema
    from kombu import Connection

    sys.path.insert(0, str(ROOT / "examples"))
    from feed_consumer import feed_queue

    with rabbit_vhost() as amqp_uri:
        queue_name = "provincial-system.org-units"
        # the provincial system binds its queue first, so nothing published later is missed
        with Connection(amqp_uri) as conn:
            feed_queue("members", "org_unit.created", queue_name)(conn.default_channel).declare()
        cluster = Cluster(tmp_path, amqp_uri)
        try:
            cluster.start("members")
            cluster.start("gateway")
            token = (tmp_path / "data" / "admin.token").read_text().strip()
            status, body = http("POST", f"{cluster.url}/api/v1/members/create_org_unit",
                                {"occurred_on": "2025-07-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh",
                                 "kind": "province"},
                                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert status == 201, body
            consumer = subprocess.run(
                [sys.executable, str(ROOT / "examples" / "feed_consumer.py"), "--amqp", amqp_uri, "--service",
                 "members", "--pattern", "org_unit.created", "--queue", queue_name, "--limit", "1", "--validate"],
                capture_output=True, text=True, timeout=120)
            assert consumer.returncode == 0, consumer.stderr
            event = json.loads(consumer.stdout.strip().splitlines()[-1])
        finally:
            cluster.stop()

    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(event)
    assert event["type"] == "org_unit.created" and event["source"] == "members"
    assert event["data"] == {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province",
                             "parent_id": None}
    assert event["occurred_on"] == "2025-07-01" and event["actor"] == "admin"
    scheme, key_id, digest = event["hash"].split(":")  # keyed: "hp:<key id>:<hmac-sha256 hex>"
    assert scheme == "hp" and key_id and len(digest) == 64 and event["stream_version"] == 0


def test_the_published_schemas_are_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "export_event_schemas.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, "run scripts/export_event_schemas.py:\n" + done.stderr


def test_a_message_that_fails_validation_goes_to_the_dead_letter_queue_not_round_and_round():
    """Real RabbitMQ: an invalid event and a body that is not JSON, then a valid event. The example
    consumer prints the valid one, rejects the two others without requeue, and the broker moves them
    to <queue>.dead, where they wait for a person; nothing is redelivered to the consumer."""
    from kombu import Connection, Exchange, Producer

    sys.path.insert(0, str(ROOT / "examples"))
    from feed_consumer import dead_letter_queue, feed_queue

    valid = {"event_id": "6f1c1c7e-0000-5000-8000-000000000001", "type": "org_unit.created", "schema_version": 1,
             "stream": "org_unit-TN", "stream_version": 0, "position": 1, "occurred_on": "2025-07-01",
             "recorded_at": "2025-07-01T08:00:00Z", "org_unit_id": "TN", "actor": "admin",
             "correlation_id": None, "causation_id": None,
             "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province", "parent_id": None},
             "hash": "hp:k1:" + "a" * 64, "prev_hash": "0" * 64, "source": "members"}
    invalid = {**valid, "event_id": "6f1c1c7e-0000-5000-8000-000000000002", "position": 2,
               "data": {"org_unit_id": "TN-D1", "kind": "no-such-kind"}}  # no name, unknown kind
    queue_name = "provincial-system.dead-letters"
    with rabbit_vhost() as amqp_uri:
        with Connection(amqp_uri) as conn:
            channel = conn.default_channel
            feed_queue("members", "org_unit.*", queue_name)(channel).declare()
            producer = Producer(channel, exchange=Exchange("members.events", type="topic", durable=True))
            producer.publish(invalid, routing_key="org_unit.created", message_id=invalid["event_id"],
                             delivery_mode=2)
            producer.publish(b"{not json", routing_key="org_unit.created", message_id="garbage",
                             content_type="application/json", content_encoding="utf-8", delivery_mode=2)
            producer.publish(valid, routing_key="org_unit.created", message_id=valid["event_id"], delivery_mode=2)
        consumer = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "feed_consumer.py"), "--amqp", amqp_uri, "--service", "members",
             "--pattern", "org_unit.*", "--queue", queue_name, "--limit", "3", "--validate"],
            capture_output=True, text=True, timeout=120)
        assert consumer.returncode == 0, consumer.stderr
        printed = [json.loads(line) for line in consumer.stdout.splitlines() if line.strip()]
        assert [e["event_id"] for e in printed] == [valid["event_id"]]
        assert consumer.stderr.count("dead-lettered") == 2 and "not JSON" in consumer.stderr
        with Connection(amqp_uri) as conn:
            channel = conn.default_channel
            dead = dead_letter_queue(queue_name)(channel)
            letters = []
            while (message := dead.get(no_ack=True)) is not None:
                letters.append(message)
            # the main queue is empty: the two were not put back for an endless loop
            assert feed_queue("members", "org_unit.*", queue_name)(channel).get(no_ack=True) is None
        assert [m.properties.get("message_id") for m in letters] == [invalid["event_id"], "garbage"]
        death = letters[0].headers["x-death"][0]
        assert death["reason"] == "rejected" and death["queue"] == queue_name
        assert json.loads(letters[0].body)["data"]["kind"] == "no-such-kind"  # kept whole, for a person
