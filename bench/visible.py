"""Command → visible in reports, distributed: one OS process per service (members, reporting,
gateway) on RabbitMQ, stores and read model on PostgreSQL, as in ``tests/integration``.

Admissions are sent through the gateway at a steady rate by ``senders`` client threads (each waits
for its answer before sending again, so the rate reached is at most senders / answer time); a watcher
polls the province headcount and notes when it reaches each count. The k-th admission's
latency is (the moment the headcount first showed k) − (the moment the k-th admission was
sent), a slight over-estimate when admissions overtake each other. Used by ``python -m bench --full``.

CPU time is counted per process from ``/proc/<pid>/stat`` over the sending and until the last
admission is visible (``cpu_ms_per_command``): each service process, the PostgreSQL backends
serving the bench's own databases, and the broker (shared with every other vhost on the machine,
so only a rough figure). Steadier than wall-clock on a shared machine.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_TICK = None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process so far (``None`` if it is gone or unreadable)."""
    global _TICK
    import os
    if _TICK is None:
        _TICK = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of stat)


def _pg_backends(databases: list[str]) -> list[int]:
    """The PostgreSQL server processes connected to ``databases`` (by database name)."""
    import psycopg
    from tests.support.services import PG_ADMIN_URL
    names = [url.rsplit("/", 1)[1] for url in databases]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (names,))]


def _broker_pids() -> list[int]:
    import subprocess
    out = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class CpuMeter:
    """CPU seconds per named group of processes between ``start()`` and ``stop()``; a PostgreSQL
    backend that appears meanwhile counts from zero, one that ends is left out (pools keep theirs)."""

    def __init__(self, groups):
        self.groups = groups  # callable → {name: [pid, ...]}

    def _read(self) -> dict[str, dict[int, float]]:
        return {name: {pid: t for pid in pids if (t := cpu_seconds(pid)) is not None}
                for name, pids in self.groups().items()}

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        return {name: sum(t - self.before.get(name, {}).get(pid, 0.0) for pid, t in pids.items())
                for name, pids in after.items()}

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
            databases = [members_db, reporting_db, *readmodels.values()]
            meter = CpuMeter(lambda: {**{name: [p.proc.pid] for name, p in cluster.procs.items()},
                                      "postgresql": _pg_backends(list(dict.fromkeys(databases))),
                                      "broker (shared)": _broker_pids()})
            meter.start()
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
            cpu = meter.stop()
            batches = _batches(cluster)
            accepted = commands - len(refused)
            latencies = sorted((s - t) * 1000 for s, t in zip(seen[:accepted], sent) if s is not None)
            replies = sorted((a - t) * 1000 for a, t in zip(answered[:accepted], sent) if a)
            achieved = accepted / (max(answered) - start) if accepted > 1 else rate
        finally:
            cluster.stop()
    cpu_ms = {name: round(seconds * 1000 / max(1, commands - len(refused)), 2) for name, seconds in cpu.items()}
    if not latencies:
        return {"p50": None, "p99": None, "achieved_rate": achieved, "visible": 0, "refused": len(refused),
                "cpu_ms_per_command": cpu_ms}
    # the command's own answer (the members service and the gateway), apart from the projection's part
    return {"p50": _pct(latencies, 0.5), "p99": _pct(latencies, 0.99), "achieved_rate": achieved,
            "visible": len(latencies), "refused": len(refused), "look_p50": _pct(sorted(looks), 0.5),
            "look_p99": _pct(sorted(looks), 0.99), "answered_p50": _pct(replies, 0.5), "answered_p99": _pct(replies, 0.99),
            "cpu_ms_per_command": cpu_ms, "batches": batches}


def _batches(cluster) -> dict[str, int | None]:
    """Batches of deliveries each process's projections took from the bus (its workers of the
    members events, on its metrics port): fewer for the same commands, less paid per batch."""
    from tests.support.services import metric
    import urllib.request
    out: dict[str, int | None] = {}
    for name, entrypoint in (("reporting", "on_members_event"), ("members", "on_own_event")):
        proc = cluster.procs.get(name)
        try:
            with urllib.request.urlopen(f"{proc.ops_url}/metrics", timeout=10) as resp:
                text = resp.read().decode()
            n = metric(text, "dangvien_worker_seconds_count", entrypoint=entrypoint)
            out[name] = None if n is None else int(n)
        except Exception:  # noqa: BLE001 - a figure, not the measure
            out[name] = None
    return out


def _pct(sorted_ms: list[float], q: float) -> float | None:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))] if sorted_ms else None
