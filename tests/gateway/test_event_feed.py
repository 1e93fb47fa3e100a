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
