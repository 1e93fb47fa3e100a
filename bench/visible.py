"""Command → visible in reports, distributed: one OS process per service (members, reporting,
gateway) on RabbitMQ, stores and read model on PostgreSQL, as in ``tests/integration``.

Admissions are sent through the gateway at a steady rate by ``senders`` client threads (each waits
for its answer before sending again, so the rate reached is at most senders / answer time); a watcher
polls the province headcount and notes when it reaches each count. The k-th admission's
latency is (the moment the headcount first showed k) − (the moment the k-th admission was
sent), a slight over-estimate when admissions overtake each other. Used by ``python -m bench --full``.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TREE = [
    {"occurred_on": "2020-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
    {"occurred_on": "2020-01-01", "org_unit_id": "D1", "name": "Đảng bộ Thành phố", "kind": "direct", "parent_id": "TN"},
    {"occurred_on": "2020-01-01", "org_unit_id": "G1", "name": "Chi bộ Phường 1", "kind": "grassroots_cell",
     "parent_id": "D1"},
]


def admission(member_id: str) -> dict:
    return {"occurred_on": "2021-03-01", "member_id": member_id, "org_unit_id": "G1", "full_name": "Phạm Thị Hoa",
            "birth_date": "1996-04-05", "sex": "female", "demobilised": "none"}


def measure(folder: Path, rate: float, commands: int, senders: int = 16, env: dict | None = None,
            members_processes: int = 1) -> dict:
    """p50/p99 ms from command sent to visible in the headcount, at ``rate`` commands/s asked, from
    ``senders`` threads; ``env`` is given to every service process (e.g. ``DANGVIEN_SERVICE_WORKERS``);
    ``members_processes`` members processes share the commands (replicas on one RPC queue).
    A command the gateway refuses (503 busy) is counted, not retried: the others are measured."""
    from tests.support.services import Cluster, http, pg_database, rabbit_vhost

    import contextlib
    with contextlib.ExitStack() as stack:
        amqp = stack.enter_context(rabbit_vhost())
        members_db, reporting_db = stack.enter_context(pg_database()), stack.enter_context(pg_database())
        readmodels = {"reporting": reporting_db}
        if members_processes > 1:  # replicas share members' read model and key vault: PostgreSQL, as deployed
            readmodels["members"] = stack.enter_context(pg_database())
        cluster = Cluster(folder / f"cluster-{uuid.uuid4().hex[:6]}", amqp, stores={"members": members_db},
                          readmodels=readmodels)
        try:
            for svc in ("members", "reporting", "gateway"):
                cluster.start(svc, **(env or {}))
            for replica in range(2, members_processes + 1):
                cluster.start("members", replica=replica, **(env or {}))
            token = (cluster.tmp / "data" / "admin.token")
            auth = {"Authorization": f"Bearer {token.read_text().strip()}"} if token.exists() else {}
            for unit in TREE:
                status, body = http("POST", f"{cluster.url}/api/v1/members/create_org_unit", unit, auth)
                assert status == 201, body
            sent: list[float] = [0.0] * commands
            answered: list[float] = [0.0] * commands  # when the gateway answered the k-th command
            seen: list[float | None] = [None] * commands
            refused: list[int] = []  # statuses other than 201 (503: the gateway's bulkhead was full)
            done = threading.Event()

            looks: list[float] = []  # how long each look at the headcount took (the watcher's resolution)

            def watch() -> None:
                while not done.is_set():
                    asked = time.perf_counter()
                    status, rows = http("GET", f"{cluster.url}/api/v1/reporting/headcount?org_unit_id=TN",
                                        headers=auth)
                    now = time.perf_counter()
                    looks.append((now - asked) * 1000)
                    total = rows[0]["total"] if status == 200 and rows else 0
                    for k in range(min(total, commands)):  # the k-th accepted admission is visible
                        if seen[k] is None:
                            seen[k] = now
                    if total >= commands - len(refused) and finished.is_set():
                        return
                    time.sleep(0.005)

            finished = threading.Event()  # every command answered: the count to wait for is known
            watcher = threading.Thread(target=watch)
            watcher.start()
            counter = itertools.count()
            start = time.perf_counter()

            def send(i: int) -> None:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                t = time.perf_counter()
                status, body = http("POST", f"{cluster.url}/api/v1/members/admit_member",
                                    admission(f"M{i:06d}"), auth)
                if status != 201:
                    assert status == 503, body
                    refused.append(status)
                    return
                k = next(counter)  # the k-th accepted one (in the order they were answered)
                sent[k], answered[k] = t, time.perf_counter()

            with ThreadPoolExecutor(max_workers=senders) as pool:
                list(pool.map(send, range(commands)))
            finished.set()
            watcher.join(timeout=120)
            done.set()
            accepted = commands - len(refused)
            latencies = sorted((s - t) * 1000 for s, t in zip(seen[:accepted], sent) if s is not None)
            replies = sorted((a - t) * 1000 for a, t in zip(answered[:accepted], sent) if a)
            achieved = accepted / (max(answered) - start) if accepted > 1 else rate
        finally:
            cluster.stop()
    if not latencies:
        return {"p50": None, "p99": None, "achieved_rate": achieved, "visible": 0, "refused": len(refused)}
    # the command's own answer (the members service and the gateway), apart from the projection's part
    return {"p50": _pct(latencies, 0.5), "p99": _pct(latencies, 0.99), "achieved_rate": achieved,
            "visible": len(latencies), "refused": len(refused), "look_p50": _pct(sorted(looks), 0.5),
            "look_p99": _pct(sorted(looks), 0.99), "answered_p50": _pct(replies, 0.5), "answered_p99": _pct(replies, 0.99)}


def _pct(sorted_ms: list[float], q: float) -> float | None:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))] if sorted_ms else None
