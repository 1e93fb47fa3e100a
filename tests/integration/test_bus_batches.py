"""Event deliveries taken in batches (``shared.bus_batches``) on real RabbitMQ: the deliveries that
came while a batch was handled are the next batch, in their order; none is acked before the
method handling it returned, so a process killed mid-batch gets every one of them again; and a
batch of one queue done first never acks another queue's deliveries still being handled (one
``basic.ack`` with ``multiple`` covers every earlier delivery of the channel).

The service runs in its own process (eventlet's monkey patch) and writes each batch it starts
and finishes to a file; a ``hold-<source>`` file keeps its batches of that source from finishing.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer

from tests.support.services import rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SERVICE = '''
import json, os, sys, eventlet
eventlet.monkey_patch()
from nameko.runners import ServiceRunner
from shared.bus_batches import batch_event_handler

amqp, folder = sys.argv[1], sys.argv[2]

def note(source, what, bodies):
    with open(os.path.join(folder, "batches.log"), "a") as f:
        f.write(json.dumps({"pid": os.getpid(), "source": source, "what": what, "bodies": bodies}) + "\\n")

def handle(source, bodies):
    note(source, "start", bodies)
    while os.path.exists(os.path.join(folder, "hold-" + source)):
        eventlet.sleep(0.05)
    note(source, "done", bodies)

class Tally:
    name = "tally"

    @batch_event_handler("alpha", "#")
    def on_alpha(self, bodies):
        handle("alpha", bodies)

    @batch_event_handler("beta", "#")
    def on_beta(self, bodies):
        handle("beta", bodies)

    @batch_event_handler("gamma", "#", lazy=True)
    def on_gamma(self, bodies):  # positions only, and the last body: the others are never decoded
        handle("gamma", [b.get("position") for b in bodies] + [dict(bodies[-1])])

runner = ServiceRunner({"AMQP_URI": amqp})
runner.add_service(Tally)
runner.start()
print("tally started", flush=True)
runner.wait()
'''


class Tally:
    def __init__(self, amqp: str, folder: Path):
        self.amqp, self.folder = amqp, folder
        (folder / "tally.py").write_text(SERVICE)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Tally":
        out = self.folder / "tally.out"
        out.write_text("")
        self.proc = subprocess.Popen([sys.executable, str(self.folder / "tally.py"), self.amqp, str(self.folder)],
                                     cwd=ROOT, stdout=open(out, "w"), stderr=subprocess.STDOUT)
        wait_until(lambda: "tally started" in out.read_text() or self.proc.poll() is not None,
                   timeout=60, what="the service started")
        assert self.proc.poll() is None, out.read_text()[-3000:]
        return self

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(15)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)

    def hold(self, source: str, on: bool = True) -> None:
        path = self.folder / f"hold-{source}"
        path.write_text("") if on else path.unlink()

    def batches(self, what: str, source: str, pid: int | None = None) -> list[list[int]]:
        path = self.folder / "batches.log"
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [line["bodies"] for line in lines
                if line["what"] == what and line["source"] == source and (pid is None or line["pid"] == pid)]


def publish(amqp: str, source: str, numbers) -> None:
    """Events as the relay publishes them: persistent, on the source's topic exchange."""
    with Connection(amqp) as conn:
        producer = Producer(conn.channel(), exchange=Exchange(f"{source}.events", type="topic", durable=True),
                            serializer="json")
        for n in numbers:
            producer.publish(n, routing_key="thing.happened", delivery_mode=2)


def publish_raw(amqp: str, source: str, bodies: list[tuple[int, bytes]]) -> None:
    """Bodies as they are (JSON or not), with the position header the relay sends."""
    with Connection(amqp) as conn:
        producer = Producer(conn.channel(), exchange=Exchange(f"{source}.events", type="topic", durable=True))
        for position, body in bodies:
            producer.publish(body, routing_key="thing.happened", delivery_mode=2, content_type="application/json",
                             content_encoding="utf-8", headers={"dangvien.position": position})


def queue(vhost: str, source: str) -> tuple[int, int] | None:
    """(ready, unacked) deliveries of the handler's queue of ``source``."""
    out = subprocess.run(["rabbitmqctl", "list_queues", "-p", vhost, "-q", "name", "messages_ready",
                          "messages_unacknowledged"], capture_output=True, text=True, timeout=60, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == f"evt-{source}-#--tally.on_{source}":
            return int(parts[1]), int(parts[2])
    return None


@pytest.fixture
def tally(tmp_path):
    with rabbit_vhost() as amqp:
        t = Tally(amqp, tmp_path)
        t.vhost = amqp.rsplit("/", 1)[1]
        try:
            yield t
        finally:
            t.stop()


def test_deliveries_that_came_during_a_batch_are_the_next_batch_acked_only_after_it(tally):
    tally.hold("alpha")
    tally.start()
    publish(tally.amqp, "alpha", [0])
    wait_until(lambda: tally.batches("start", "alpha") == [[0]], what="the first batch started")
    publish(tally.amqp, "alpha", range(1, 100))
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 100), timeout=60,
               what="every delivery taken, none acked while the first batch runs")
    tally.hold("alpha", False)
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 0), timeout=60, what="every delivery acked")
    assert tally.batches("done", "alpha") == [[0], list(range(1, 100))]


def test_a_process_killed_mid_batch_gets_every_delivery_of_it_again(tally):
    tally.hold("alpha")
    tally.start()
    publish(tally.amqp, "alpha", range(20))
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 20), timeout=60, what="every delivery taken")
    wait_until(lambda: tally.batches("start", "alpha"), what="a batch started")
    tally.kill9()
    wait_until(lambda: queue(tally.vhost, "alpha") == (20, 0), timeout=60, what="every delivery back in the queue")
    tally.hold("alpha", False)
    tally.start()
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 0), timeout=60, what="every delivery acked")
    again = [n for batch in tally.batches("done", "alpha", tally.proc.pid) for n in batch]
    assert again == list(range(20))


def test_a_batch_done_never_acks_another_queue_s_deliveries_still_being_handled(tally):
    tally.hold("alpha")
    tally.start()
    publish(tally.amqp, "alpha", range(5))
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 5), timeout=60, what="alpha's deliveries taken")
    publish(tally.amqp, "beta", range(7))  # delivered after alpha's on the same channel
    wait_until(lambda: sum(map(len, tally.batches("done", "beta"))) == 7, what="beta's batches done")
    assert queue(tally.vhost, "alpha") == (0, 5)  # still unacked: alpha's batch has not returned
    tally.kill9()
    wait_until(lambda: queue(tally.vhost, "alpha") == (5, 0), timeout=60, what="alpha's deliveries back")
    tally.hold("alpha", False)
    tally.start()
    wait_until(lambda: queue(tally.vhost, "alpha") == (0, 0) and queue(tally.vhost, "beta") == (0, 0),
               timeout=60, what="every delivery acked")
    assert [n for b in tally.batches("done", "alpha", tally.proc.pid) for n in b] == list(range(5))


def test_a_lazy_handler_reads_positions_from_the_header_and_decodes_only_what_it_reads(tally):
    tally.hold("gamma")
    tally.start()
    publish_raw(tally.amqp, "gamma", [(1, b'{"position": 1, "n": "M\xc3\xb4t"}')])
    wait_until(lambda: tally.batches("start", "gamma"), what="the first batch started")
    # not even JSON: a handler that asks only their positions never decodes them
    publish_raw(tally.amqp, "gamma", [(2, b"not json"), (3, b"{broken"), (4, '{"position": 4, "n": "Bốn"}'.encode())])
    wait_until(lambda: queue(tally.vhost, "gamma") == (0, 4), timeout=60, what="every delivery taken")
    tally.hold("gamma", False)
    wait_until(lambda: queue(tally.vhost, "gamma") == (0, 0), timeout=60, what="every delivery acked")
    assert tally.batches("done", "gamma") == [[1, {"position": 1, "n": "Môt"}],
                                              [2, 3, 4, {"position": 4, "n": "Bốn"}]]
