"""The import job's progress covers the projections catching up (issue 15): polled while a real
import runs (separate processes on RabbitMQ), the job's ``done`` never goes back, moves while the
projections apply the file's events, and reaches ``total`` only once the import shows in the
reports — a headcount read right after seeing the end counts every imported member."""
from __future__ import annotations

import json
import threading

import pytest

from tests.integration.test_import_settles import a_cell_admitting
from tests.support.services import Cluster, http, rabbit_vhost

pytestmark = pytest.mark.integration

MEMBERS = 1500  # enough that the reports take a while to catch up after the write


def lines() -> list[dict]:
    return a_cell_admitting(MEMBERS)


def headcount(url: str, auth: dict) -> int | None:
    status, rows = http("GET", f"{url}/api/v1/reporting/headcount?org_unit_id=TN", headers=auth)
    return rows[0]["total"] if status == 200 and rows else None


def test_the_progress_reaches_the_end_only_once_the_import_is_in_the_reports(tmp_path):
    file = lines()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in file) + "\n"
    with rabbit_vhost() as amqp:
        cluster = Cluster(tmp_path, amqp)
        try:
            for svc in ("members", "meetings", "discipline", "reporting", "gateway"):
                cluster.start(svc)
            auth = {"Authorization": f"Bearer {(tmp_path / 'data' / 'admin.token').read_text().strip()}"}
            status, job = http("POST", f"{cluster.url}/api/v1/import-jobs", body={}, headers=auth)
            assert status in (200, 201), job
            outcome: dict = {}

            def send():
                outcome["answer"] = http("POST", f"{cluster.url}/api/v1/imports?job={job['job']}",
                                         raw=text.encode("utf-8"),
                                         headers={**auth, "Content-Type": "application/x-ndjson"})

            sender = threading.Thread(target=send)
            sender.start()
            seen: list[dict] = []
            counted_at_end: list[int | None] = []
            while True:
                running = sender.is_alive()
                status, state = http("GET", f"{cluster.url}/api/v1/import-jobs/{job['job']}", headers=auth)
                assert status == 200, state
                seen.append(state)
                if state["total"] and state["done"] >= state["total"]:
                    counted_at_end.append(headcount(cluster.url, auth))
                if not running:
                    break
                sender.join(0.05)
            status, body = outcome["answer"]
            assert status == 201, json.dumps(body, ensure_ascii=False)
            done = [s["done"] for s in seen]
            assert done == sorted(done), done  # never goes back
            final = seen[-1]
            assert final["state"] == "done" and final["done"] == final["total"] == 2 * len(file), final
            # the bar's second half: the projections' steps, seen moving while the import waited for them
            assert any(len(file) < s["done"] < s["total"] and s["phase"].startswith("projecting") for s in seen), \
                [(s["phase"], s["done"]) for s in seen]
            # whenever the bar was seen at its end, the reports already held the whole file
            assert counted_at_end and all(n == MEMBERS for n in counted_at_end), counted_at_end
        finally:
            cluster.stop()
