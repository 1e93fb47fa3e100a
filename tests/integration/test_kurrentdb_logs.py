"""One KurrentDB, one log per service: a service started on another service's log refuses to
run, naming the owner, and a service on its own log starts (real processes, real broker)."""
from __future__ import annotations

import uuid

import pytest

from shared.eventstore.kurrentdb import KurrentDBEventStore
from tests.support.kurrentdb_standin import kurrentdb_server
from tests.support.services import Cluster, Process, cli, rabbit_vhost

pytestmark = pytest.mark.integration


def test_a_service_refuses_a_log_another_service_owns(tmp_path):
    with rabbit_vhost() as amqp, kurrentdb_server() as url:
        sep = "&" if "?" in url else "?"
        log = f"members{uuid.uuid4().hex[:8]}"
        owner = KurrentDBEventStore(f"{url}{sep}log={log}")
        owner.claim_log("members")  # as the members service does when it starts
        owner.close()
        cluster = Cluster(tmp_path, amqp, stores={"meetings": f"{url}{sep}log={log}"})  # a copy-paste slip
        proc = Process(cli("serve", "meetings"), cluster.env, tmp_path / "meetings.log")
        try:
            assert proc.proc.wait(180) == 2
            text = proc.output()
            assert "DANGVIEN_STORE_MEETINGS" in text and "members" in text, text[-2000:]
        finally:
            proc.stop()
        # on a log of its own it starts
        cluster = Cluster(tmp_path / "ok", amqp, stores={"meetings": f"{url}{sep}log=meetings{uuid.uuid4().hex[:8]}"})
        try:
            cluster.start("meetings")
        finally:
            cluster.stop()
