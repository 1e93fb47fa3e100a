"""The distributed way: one OS process per service on a real RabbitMQ (own vhost).

command → event → relay → bus → projection → visible at the gateway; a relay killed between
append and publish loses nothing and duplicates nothing; a message delivered twice counts once.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from shared.eventstore import open_store
from shared.relay import event_exchange
from tests.support.kurrentdb_standin import kurrentdb_server
from tests.support.services import Cluster, http, metric, pg_database, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

TREE = [
    {"occurred_on": "2020-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
    {"occurred_on": "2020-01-01", "org_unit_id": "D1", "name": "Đảng bộ Thành phố", "kind": "direct", "parent_id": "TN"},
    {"occurred_on": "2020-01-01", "org_unit_id": "G1", "name": "Chi bộ Phường 1", "kind": "grassroots_cell",
     "parent_id": "D1"},
]


def admission(member_id: str) -> dict:
    return {"occurred_on": "2021-03-01", "member_id": member_id, "org_unit_id": "G1", "full_name": "Phạm Thị Hoa",
            "birth_date": "1996-04-05", "sex": "female", "demobilised": "army"}


def headcount(cluster) -> int | None:
    """The province's headcount, or None while reporting cannot answer yet (the waits retry)."""
    status, rows = http("GET", f"{cluster.url}/api/v1/reporting/headcount?org_unit_id=TN", headers=cluster.auth)
    if status != 200 or not rows:
        return None
    return rows[0]["total"]


def reporting_ready(cluster) -> bool:
    """Reporting answers and has caught up with the members store (the tree is there, nobody yet)."""
    return headcount(cluster) == 0


def relay_fault(point: str) -> dict:
    """Environment that makes the started process's relay kill itself at ``point`` (injected from
    tests/support/inject: the production relay has no fault hook)."""
    inject = Path(__file__).resolve().parents[1] / "support" / "inject"
    path = os.pathsep.join(p for p in (str(inject), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "DANGVIEN_TEST_FAULT": f"relay:{point}"}


def admin_token(cluster) -> dict:
    path = cluster.tmp / "data" / "admin.token"
    return {"Authorization": f"Bearer {path.read_text().strip()}"} if path.exists() else {}


@pytest.fixture(params=["sqlite", "postgresql", "kurrentdb"])
def cluster(request, tmp_path):
    with rabbit_vhost() as amqp:
        if request.param == "kurrentdb":
            # one KurrentDB (the stand-in, or KURRENTDB_URL) with a log per service, as deployed
            with kurrentdb_server() as url:
                run = uuid.uuid4().hex[:8]
                stores = {svc: f"{url}{'&' if '?' in url else '?'}log={svc}{run}"
                          for svc in ("members", "meetings", "discipline", "reporting")}
                c = Cluster(tmp_path, amqp, stores=stores)
                c.kind = request.param
                yield c
                c.stop()
        elif request.param == "postgresql":
            with pg_database() as members_db, pg_database() as reporting_db:
                c = Cluster(tmp_path, amqp, stores={"members": members_db}, readmodels={"reporting": reporting_db})
                yield c
                c.stop()
        else:
            c = Cluster(tmp_path, amqp)
            yield c
            c.stop()


def start_all(cluster):
    for svc in ("members", "reporting", "gateway"):
        cluster.start(svc)
    cluster.auth = admin_token(cluster)
    for unit in TREE:
        status, body = http("POST", f"{cluster.url}/api/v1/members/create_org_unit", unit, cluster.auth)
        assert status == 201, body


def test_command_reaches_the_report_through_real_processes(cluster):
    start_all(cluster)
    status, body = http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M1"), cluster.auth)
    assert status == 201, body
    assert body["events"][0]["type"] == "member.admitted"
    assert wait_until(lambda: headcount(cluster) == 1, what="headcount 1")


def test_each_process_reports_health_readiness_and_lag(cluster):
    start_all(cluster)
    http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M1"), cluster.auth)
    wait_until(lambda: headcount(cluster) == 1, what="headcount 1")
    members = cluster.procs["members"].ops_url
    assert http("GET", f"{members}/healthz")[0] == 200
    status, ready = http("GET", f"{members}/readyz")
    assert status == 200 and ready["ready"] is True
    import urllib.request
    metrics = urllib.request.urlopen(f"{members}/metrics", timeout=10).read().decode()
    if getattr(cluster, "kind", "") != "kurrentdb":  # (KurrentDB positions are byte offsets)
        assert metric(metrics, "dangvien_events_appended", store="members") == 4  # three units, one admission
    assert metric(metrics, "dangvien_events_appended", store="members") is not None
    assert metric(metrics, "dangvien_relay_lag_events", store="members") == 0
    assert metric(metrics, "dangvien_worker_seconds_count", service="members", entrypoint="admit_member") == 1
    reporting = urllib.request.urlopen(f"{cluster.procs['reporting'].ops_url}/metrics", timeout=10).read().decode()
    assert "dangvien_projection_lag_events" in reporting


def test_relay_killed_before_publish_loses_nothing_and_duplicates_nothing(cluster):
    start_all(cluster)
    wait_until(lambda: reporting_ready(cluster), what="reporting answering with headcount 0")
    members = cluster.procs.pop("members")
    members.stop()
    # the next members process dies (kill -9 by itself) right after the append, before publishing
    faulty = cluster.start("members", **relay_fault("before_publish"))
    status, body = http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M1"), cluster.auth)
    assert status == 201, body  # the append committed and the answer left before the relay ran
    wait_until(lambda: faulty.proc.poll() is not None, what="faulty relay dead")
    assert faulty.proc.returncode == -9
    cluster.start("members")  # restart: the relay resumes from its checkpoint
    assert wait_until(lambda: headcount(cluster) == 1, what="headcount 1")


def test_relay_killed_after_publish_republishes_and_the_projection_counts_once(cluster):
    start_all(cluster)
    members = cluster.procs.pop("members")
    members.stop()
    faulty = cluster.start("members", **relay_fault("after_publish"))
    http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M1"), cluster.auth)
    wait_until(lambda: faulty.proc.poll() is not None, what="faulty relay dead")
    cluster.start("members")
    wait_until(lambda: headcount(cluster) == 1, what="headcount 1")
    http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M2"), cluster.auth)
    assert wait_until(lambda: headcount(cluster) == 2, what="headcount 2")


def test_the_same_bus_message_twice_is_counted_once(cluster):
    start_all(cluster)
    http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M1"), cluster.auth)
    wait_until(lambda: headcount(cluster) == 1, what="headcount 1")
    store = open_store(cluster.env.get("DANGVIEN_STORE_MEMBERS") or
                       f"sqlite:///{cluster.tmp / 'data' / 'members.events.db'}")
    admitted = [e for e in store.read_all() if e.type == "member.admitted"][0]
    store.close()
    with Connection(cluster.env["DANGVIEN_AMQP_URI"]) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(2):
            producer.publish({**admitted.to_message(), "source": "members"}, exchange=event_exchange("members"),
                             routing_key=admitted.type, declare=[event_exchange("members")])
    # a later command proves the duplicates were processed before we look
    http("POST", f"{cluster.url}/api/v1/members/admit_member", admission("M2"), cluster.auth)
    wait_until(lambda: headcount(cluster) == 2, what="headcount 2")
    assert headcount(cluster) == 2
