"""An RPC reply is transient and published without a publisher-confirm wait, and the gateway's
request is transient too, on real RabbitMQ.

The caller waits on its reply (its reply queue is not durable and expires with it), so a reply
written to the broker's disk, and a service waiting for the broker to say so before it acks the
request, protect nothing; what must survive (the events) is stored before the reply and published
by the relay, persistent and confirmed (``tests/integration/test_feed_consumer.py``).

A service using ``shared.runtime.rpc`` runs in its own process; the test calls it the way the
gateway does (a request on ``nameko-rpc`` with ``reply_to``) and reads the reply's properties.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from tests.support.services import Cluster, http, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SERVICE = '''
import sys, eventlet
eventlet.monkey_patch()
from nameko.runners import ServiceRunner
from shared.runtime import rpc

class Echo:
    name = "echo"

    @rpc
    def hello(self, who):
        return "xin chào " + who

runner = ServiceRunner({"AMQP_URI": sys.argv[1]})
runner.add_service(Echo)
runner.start()
print("echo started", flush=True)
runner.wait()
'''


def confirm_channels(vhost: str) -> list[str]:
    """'true'/'false' per open channel of ``vhost``: is it in publisher-confirm mode."""
    out = subprocess.run(["rabbitmqctl", "list_channels", "-q", "vhost", "confirm"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    return [line.split("\t")[1].strip() for line in out.splitlines()
            if "\t" in line and line.split("\t")[0] == vhost]


@pytest.fixture
def echo(tmp_path):
    with rabbit_vhost() as amqp:
        script = tmp_path / "echo.py"
        script.write_text(SERVICE)
        log = open(tmp_path / "echo.log", "w+")
        proc = subprocess.Popen([sys.executable, str(script), amqp], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: "echo started" in (tmp_path / "echo.log").read_text() or proc.poll() is not None,
                       timeout=60, what="the echo service started")
            assert proc.poll() is None, (tmp_path / "echo.log").read_text()[-3000:]
            yield amqp
        finally:
            proc.terminate()
            proc.wait(15)
            log.close()


def call(amqp: str, who: str):
    """One call as nameko's proxy makes it; (the reply's body, its message)."""
    with Connection(amqp) as conn:
        replies = Queue(f"reply-{uuid.uuid4().hex[:8]}", exchange=Exchange("nameko-rpc", type="topic", durable=True),
                        routing_key=f"reply-{uuid.uuid4().hex[:8]}", auto_delete=True)
        with conn.channel() as channel:
            replies = replies(channel)
            replies.declare()
            with conn.Producer(channel) as producer:
                producer.publish({"args": [who], "kwargs": {}}, exchange="nameko-rpc", routing_key="echo.hello",
                                 serializer="json", reply_to=replies.routing_key, correlation_id="c1")
            got = wait_until(lambda: replies.get(no_ack=True), timeout=30, what="the reply")
            return json.loads(got.body), got


def test_a_reply_is_transient_and_its_service_waits_for_no_confirm(echo):
    body, message = call(echo, "Tây Ninh")
    assert body == {"result": "xin chào Tây Ninh", "error": None}
    assert message.properties["correlation_id"] == "c1"
    assert message.properties["delivery_mode"] == 1  # not written to the broker's disk
    vhost = echo.rsplit("/", 1)[1]
    modes = confirm_channels(vhost)
    assert modes and "true" not in modes  # the service's channels (consumer, replies): no confirm mode


def queue_counts(vhost: str, queue: str) -> tuple[int, int]:
    """(messages, persistent messages) in one queue of ``vhost``."""
    out = subprocess.run(["rabbitmqctl", "list_queues", "-q", "-p", vhost, "name", "messages", "messages_persistent"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if parts[0] == queue:
            return int(parts[1]), int(parts[2])
    raise AssertionError(f"no queue {queue} in {out!r}")


def test_a_request_waiting_for_a_stopped_service_is_transient_and_answered_504(tmp_path):
    """members stopped (its queue stays): the gateway's request waits in the queue, not on the
    broker's disk, and the client hears 504 with the key to send it again under."""
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path / "cluster", amqp)
        try:
            members = cluster.start("members")
            cluster.start("gateway", DANGVIEN_RPC_TIMEOUT_SECONDS="2")
            members.stop()
            token = (cluster.tmp / "data" / "admin.token").read_text().strip()
            status, body = http("POST", f"{cluster.url}/api/v1/members/create_org_unit",
                                {"occurred_on": "2020-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh",
                                 "kind": "province"}, {"Authorization": f"Bearer {token}"})
            assert status == 504 and body["code"] == "service_timeout", body
            assert queue_counts(amqp.rsplit("/", 1)[1], "rpc-members") == (1, 0)
        finally:
            cluster.stop()


def consumers(vhost: str) -> dict[str, str]:
    """queue → 'true'/'false': does its consumer ack what it is given."""
    out = subprocess.run(["rabbitmqctl", "list_consumers", "-q", "-p", vhost, "queue_name", "ack_required"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return {line.split("\t")[0]: line.split("\t")[1].strip() for line in out.splitlines() if "\t" in line}


def test_the_gateway_takes_its_replies_without_acking_them_and_still_answers(tmp_path):
    """A reply's ack protects nothing (its caller is the only one waiting on it): the gateway's reply
    queue is consumed without acks, the requests a service takes are still acked after the reply,
    and an absent service is still told at once (503, not a wait)."""
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path / "cluster", amqp)
        try:
            cluster.start("members")
            cluster.start("gateway")
            auth = {"Authorization": f"Bearer {(cluster.tmp / 'data' / 'admin.token').read_text().strip()}"}
            status, body = http("POST", f"{cluster.url}/api/v1/members/create_org_unit",
                                {"occurred_on": "2020-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh",
                                 "kind": "province"}, auth)
            assert status == 201, body
            acks = consumers(amqp.rsplit("/", 1)[1])
            replies = [q for q in acks if q.startswith("rpc.reply-gateway")]
            assert replies and all(acks[q] == "false" for q in replies), acks
            assert acks["rpc-members"] == "true"  # a request is acked once it is answered
            status, body = http("GET", f"{cluster.url}/api/v1/meetings/roster?org_unit_id=TN&on=2021-01-01", headers=auth)
            assert status == 503 and body["code"] == "service_unavailable", body
        finally:
            cluster.stop()
