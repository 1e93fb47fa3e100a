"""Scaling out (issue 8): two replicas of every backend service share the work through competing
consumers on RabbitMQ, one relay per store (lease), projections that apply each event once —
and the reports come out exactly as from one replica of each."""
from __future__ import annotations

import pytest

from dangvien import demo
from tests.support.services import Cluster, http, pg_database, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

BACKENDS = ("members", "discipline", "meetings", "reporting")
REPORTS = [
    ("headcount", {"org_unit_id": "TN"}),
    ("term", {"term": "2020-2025", "compare": "2015-2020"}),
    ("movement", {"year": "2025"}),
    ("meetings", {"year": "2025"}),
    ("warnings", {"year": "2026", "as_of": "2026-06-30"}),
]


def reports_after_import(tmp_path, replicas: int) -> dict:
    text = demo.jsonl(per_cell=2)
    with rabbit_vhost() as amqp, pg_database() as members_db, pg_database() as reporting_db:
        cluster = Cluster(tmp_path, amqp, stores={"members": members_db}, readmodels={"reporting": reporting_db})
        try:
            for service in BACKENDS:
                for n in range(1, replicas + 1):
                    cluster.start(service, replica=n)
            cluster.start("gateway")
            auth = {"Authorization": f"Bearer {(tmp_path / 'data' / 'admin.token').read_text().strip()}"}
            status, body = http("POST", f"{cluster.url}/api/v1/imports", raw=text.encode("utf-8"),
                                headers={**auth, "Content-Type": "application/x-ndjson"})
            assert status == 201, body
            out = {}
            for name, params in REPORTS:
                query = "&".join(f"{k}={v}" for k, v in params.items())
                status, rows = http("GET", f"{cluster.url}/api/v1/reporting/{name}?{query}", headers=auth)
                assert status == 200, rows
                out[name] = rows
            return out
        finally:
            cluster.stop()


def test_two_replicas_of_every_service_report_what_one_does(tmp_path):
    single = reports_after_import(tmp_path / "one", replicas=1)
    double = reports_after_import(tmp_path / "two", replicas=2)
    assert single["headcount"][0]["total"] > 0
    for name, _ in REPORTS:
        assert double[name] == single[name], name
