"""Scaling out (issue 8): two replicas of every backend service share the work through competing
consumers on RabbitMQ, one relay per store (lease), projections that apply each event once —
and the reports come out exactly as from one replica of each. Reporting split into two partitions
by direct unit (each process applying only its direct units' facts into the shared read model)
reports the same too, with members moved between the two partitions' districts."""
from __future__ import annotations

import pytest

from dangvien import demo
from shared.partitioning import Partition
from tests.support.services import Cluster, http, pg_database, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

BACKENDS = ("members", "discipline", "meetings", "reporting")
REPORTS = [
    ("headcount", {"org_unit_id": "TN"}),
    ("term", {"term": "2020-2025", "compare": "2015-2020"}),
    ("movement", {"year": "2025"}),
    ("meetings", {"year": "2025"}),
    ("warnings", {"year": "2026", "as_of": "2026-06-30"}),
    ("movement", {"year": "2026", "org_unit_id": "TN-D1-G1"}),
    ("movement", {"year": "2026", "org_unit_id": "LA-D1-G1"}),
    ("headcount", {"org_unit_id": "LA-D1-G1"}),
]
TRANSFERRED_ON = "2026-11-02"


def crossing_transfers(count: int = 2) -> list[dict]:
    """Members of district TN-D1 moved to a cell under LA-D1 (Long An's district, merged into the
    province in 2025) and the other way; the two districts belong to different partitions."""
    p = Partition(0, count)
    assert p.owner_of("TN-D1") != p.owner_of("LA-D1")
    import json
    w = demo.world(per_cell=2)
    lines = [json.loads(t) for t in demo.jsonl(per_cell=2).splitlines()]
    gone = {l["data"].get("member_id") or l["data"].get("subject_id") for l in lines
            if l["type"] in ("member.removed", "member.resigned", "member.died", "member.expelled",
                             "member.transferred_out", "member.working_away_started", "discipline.applied")}
    staying = [m for m in w["members"] if m["member_id"] not in gone]
    out = []
    for dst, src in (("TN-D1-G1-C1", "LA-D1-"), ("LA-D1-G1-C1", "TN-D1-")):
        movers = [m for m in staying if m["org_unit_id"].startswith(src) and "-G1-" not in m["org_unit_id"]][:4]
        out += [{"member_id": m["member_id"], "to_org_unit_id": dst, "occurred_on": TRANSFERRED_ON} for m in movers]
    return out


def reports_after_import(tmp_path, replicas: int, partitions: int = 1) -> dict:
    text = demo.jsonl(per_cell=2)
    with rabbit_vhost() as amqp, pg_database() as members_db, pg_database() as reporting_db:
        cluster = Cluster(tmp_path, amqp, stores={"members": members_db}, readmodels={"reporting": reporting_db})
        try:
            for service in BACKENDS:
                if service == "reporting" and partitions > 1:
                    for i in range(partitions):
                        cluster.start(service, replica=i + 1, DANGVIEN_REPORTING_PARTITION=f"{i}/{partitions}")
                    continue
                for n in range(1, replicas + 1):
                    cluster.start(service, replica=n)
            cluster.start("gateway")
            auth = {"Authorization": f"Bearer {(tmp_path / 'data' / 'admin.token').read_text().strip()}"}
            status, body = http("POST", f"{cluster.url}/api/v1/imports", raw=text.encode("utf-8"),
                                headers={**auth, "Content-Type": "application/x-ndjson"})
            assert status == 201, body
            status, before = http("GET", f"{cluster.url}/api/v1/reporting/checksum", headers=auth)
            assert status == 200, before
            moves = crossing_transfers()
            for move in moves:
                status, body = http("POST", f"{cluster.url}/api/v1/members/transfer_member", move, headers=auth)
                assert status in (200, 201), body
            wanted = before["positions"]["members"] + len(moves)
            wait_until(lambda: http("GET", f"{cluster.url}/api/v1/reporting/checksum", headers=auth)[1]
                       ["positions"]["members"] >= wanted, timeout=60, what="reporting applied the transfers")
            if partitions > 1:
                assert partition_queues(amqp, partitions) == partitions  # every partition its own queue
            out = {}
            for name, params in REPORTS:
                query = "&".join(f"{k}={v}" for k, v in params.items())
                status, rows = http("GET", f"{cluster.url}/api/v1/reporting/{name}?{query}", headers=auth)
                assert status == 200, rows
                out[f"{name}?{query}"] = rows
            return out
        finally:
            cluster.stop()


def partition_queues(amqp: str, count: int) -> int:
    """How many of the partitions' own durable queues for member events exist on the broker."""
    from kombu import Connection
    found = 0
    with Connection(amqp) as conn:
        for i in range(count):
            channel = conn.channel()
            try:
                channel.queue_declare(queue=f"evt-members-#--reporting.on_members_event-p{i}of{count}", passive=True)
                found += 1
            except Exception:
                pass
            finally:
                try:
                    channel.close()
                except Exception:
                    pass
    return found


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    return reports_after_import(tmp_path_factory.mktemp("one"), replicas=1)


def test_two_replicas_of_every_service_report_what_one_does(tmp_path, single):
    double = reports_after_import(tmp_path / "two", replicas=2)
    assert single["headcount?org_unit_id=TN"][0]["total"] > 0
    assert double == single


def test_reporting_in_two_partitions_by_direct_unit_reports_what_one_process_does(tmp_path, single):
    split = reports_after_import(tmp_path / "split", replicas=1, partitions=2)
    moved_in = {g: single[f"movement?year=2026&org_unit_id={g}"]["rows"][0] for g in ("TN-D1-G1", "LA-D1-G1")}
    assert all(row["moved_in"] == 4 for row in moved_in.values()), moved_in  # the transfers crossed partitions
    assert split == single
