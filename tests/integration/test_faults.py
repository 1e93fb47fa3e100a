"""Faults on the distributed mode, as an operator meets them: five ``dangvien serve`` processes on
RabbitMQ (own vhost) with PostgreSQL stores, read models and user database.

Each fault hits the cluster while a small client load runs through the gateway; then nothing is
restarted by hand (but the killed process itself, as its supervisor would) and the cluster must
come back by itself. The client works as a careful provincial system does: every command has an
Idempotency-Key, and an answer that says nothing definite (5xx, no answer at all) is sent again
under the same key until it does. Afterwards the client's log, the stores and the read models are
compared: every accepted command is stored once (0 lost, 0 duplicated), every refused one is not
stored at all (0 written after an error), no stored event is unaccounted for, and every read model
has caught up with the stores.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from shared.events import derived_event_id
from shared.eventstore import open_store
from tests.support.services import PG_ADMIN_URL, Cluster, pg_database, rabbit_vhost, wait_until

pytestmark = pytest.mark.integration

BACKENDS = ("members", "meetings", "discipline", "reporting")
TREE = [
    {"occurred_on": "2020-01-01", "org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
    {"occurred_on": "2020-01-01", "org_unit_id": "D1", "name": "Đảng bộ Thành phố", "kind": "direct",
     "parent_id": "TN"},
    {"occurred_on": "2020-01-01", "org_unit_id": "G1", "name": "Chi bộ Phường 1", "kind": "grassroots_cell",
     "parent_id": "D1"},
]
SEED_MEMBERS = ("S1", "S2", "S3")
#: one numbering for the whole module, so every command of the load is a new fact
_numbers = itertools.count(1)
#: a command nobody answers definitively in this long (while the cluster is being repaired) fails the test
PATIENCE = 150.0


def admission(member_id: str) -> dict:
    return {"occurred_on": "2021-03-01", "member_id": member_id, "org_unit_id": "G1", "full_name": "Phạm Thị Hoa",
            "birth_date": "1996-04-05", "sex": "female", "demobilised": "army"}


def send(url: str, method: str, path: str, body=None, headers=None, timeout: float = 30):
    """(status, parsed body, headers); status None when no answer came at all."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, _parse(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, _parse(exc.read()), dict(exc.headers)
    except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, OSError):
        return None, None, {}


def _parse(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


class Client:
    """A provincial system: keyed commands, sent again under the same key until the answer is definite."""

    def __init__(self, cluster):
        self.cluster = cluster
        #: every command of the module, setup included: what the stores are compared with
        self.log: list[dict] = cluster.log
        self._lock = threading.Lock()
        self.done = threading.Semaphore(0)

    def command(self, service: str, name: str, payload: dict) -> dict:
        entry = {"service": service, "name": name, "payload": payload, "key": f"fault-{uuid.uuid4()}",
                 "attempts": [], "status": None, "body": None}
        with self._lock:
            self.log.append(entry)
        give_up = time.monotonic() + PATIENCE
        pause = 0.2
        while True:
            status, body, _ = send(self.cluster.url, "POST", f"/api/v1/{service}/{name}", payload,
                                   {**self.cluster.auth, "Idempotency-Key": entry["key"]})
            entry["attempts"].append(status)
            if status is not None and status < 500:
                entry["status"], entry["body"] = status, body
                break
            if time.monotonic() > give_up:
                entry["status"], entry["body"] = status, body
                break
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        self.done.release()
        return entry

    # -- the load ------------------------------------------------------------------------------
    def next_command(self) -> tuple[str, str, dict]:
        n = next(_numbers)
        kind, i = n % 4, n // 4
        if kind == 0:
            return "members", "admit_member", admission(f"L{n}")
        if kind == 1:  # a new (member, month) each time: April 2021 onwards, one month per three
            months = 2021 * 12 + 3 + i // 3
            return "meetings", "record_dues", {"occurred_on": "2025-01-31", "member_id": SEED_MEMBERS[i % 3],
                                               "month": f"{months // 12}-{months % 12 + 1:02d}", "status": "unpaid"}
        if kind == 2:
            return "discipline", "open_inspection", {
                "occurred_on": "2024-05-01", "inspection_id": f"I{n}", "kind": "regular",
                "body": "Ủy ban Kiểm tra Đảng ủy", "subject_kind": "org_unit", "subject_id": "G1"}
        indicators = ("orgs_disciplined", "members_disciplined", "members_removed", "members_resigned")
        return "reporting", "register_target", {"occurred_on": "2024-01-01", "org_unit_id": "D1",
                                                "period": str(1930 + i), "indicator": indicators[i % 4],
                                                "value": n}

    @contextlib.contextmanager
    def load(self, commands: int = 16, parallel: int = 3):
        """Run ``commands`` commands, ``parallel`` at a time, while the body injects its fault."""
        pool = ThreadPoolExecutor(parallel)
        futures = [pool.submit(self.command, *self.next_command()) for _ in range(commands)]
        try:
            yield self
        finally:
            for f in futures:
                f.result()
            pool.shutdown()

    def wait_done(self, count: int) -> None:
        """Wait until ``count`` more commands have their answer (the load is under way)."""
        for _ in range(count):
            assert self.done.acquire(timeout=PATIENCE), "the load stalled"


# -- the cluster ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    with contextlib.ExitStack() as stack:
        amqp = stack.enter_context(rabbit_vhost())
        stores_db = stack.enter_context(pg_database())
        readmodels = {s: stack.enter_context(pg_database()) for s in BACKENDS}
        users_db = stack.enter_context(pg_database())
        cluster = Cluster(tmp, amqp, stores={s: f"{stores_db}?schema={s}" for s in BACKENDS}, readmodels=readmodels)
        cluster.env.update(DANGVIEN_GATEWAY_DB=users_db, DANGVIEN_RPC_TIMEOUT_SECONDS="10",
                           DANGVIEN_GATEWAY_WORKERS="10")
        cluster.vhost = amqp.rsplit("/", 1)[-1]
        cluster.log = []
        cluster.databases = {"stores": stores_db, "users": users_db, **readmodels}
        stack.callback(stop_all, cluster)
        for svc in (*BACKENDS, "gateway"):
            start(cluster, svc)
        token = (tmp / "data" / "admin.token").read_text().strip()
        cluster.auth = {"Authorization": f"Bearer {token}"}
        client = Client(cluster)
        for unit in TREE:
            assert client.command("members", "create_org_unit", unit)["status"] == 201
        for m in SEED_MEMBERS:
            assert client.command("members", "admit_member", admission(m))["status"] == 201
        wait_caught_up(cluster)
        yield cluster


@pytest.fixture(autouse=True)
def healthy(world):
    """Every test starts on a healthy cluster, whatever the test before it did or where it
    stopped: no limits on the vhost, every database open, every process running (a stopped one
    continued, an exited one restarted as its supervisor would), everything caught up."""
    restore(world)
    yield


def restore(cluster) -> None:
    subprocess.run(["rabbitmqctl", "clear_vhost_limits", "-p", cluster.vhost], capture_output=True, timeout=60)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for url in cluster.databases.values():
            name = url.rsplit("/", 1)[-1].split("?")[0]
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    for service, proc in list(cluster.procs.items()):
        if proc.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.proc.pid, signal.SIGCONT)
        else:
            start(cluster, service)
    wait_caught_up(cluster)


def stop_all(cluster) -> None:
    """Ask every process to stop at once, then wait for each (one by one takes minutes)."""
    for proc in cluster.procs.values():
        if proc.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.proc.pid, signal.SIGTERM)
    cluster.stop()


def start(cluster, service: str):
    """Start (or restart, as a supervisor would) one process; PGAPPNAME names its connections."""
    cluster.procs.pop(service, None)
    return cluster.start(service, PGAPPNAME=f"dv-{service}")


def metrics(proc) -> dict[str, float]:
    with urllib.request.urlopen(f"{proc.ops_url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def lags(cluster) -> dict[str, float]:
    """Every relay and projection lag of every backend process (0 everywhere = caught up)."""
    out = {}
    for svc in BACKENDS:
        for name, value in metrics(cluster.procs[svc]).items():
            if name.startswith(("dangvien_relay_lag_events", "dangvien_projection_lag_events")):
                out[f"{svc}:{name}"] = value
    return out


def not_ready(cluster) -> dict:
    """The processes whose /readyz does not say 200, with what it says (None: no answer)."""
    out = {}
    for name, proc in cluster.procs.items():
        status, body, _ = send(proc.ops_url, "GET", "/readyz", timeout=15)
        if status != 200:
            out[name] = (status, body)
    return out


def stored(cluster) -> dict[str, list]:
    """Every event of every store, by service."""
    out = {}
    for svc in BACKENDS:
        store = open_store(cluster.env[f"DANGVIEN_STORE_{svc.upper()}"])
        try:
            out[svc] = list(store.read_all())
        finally:
            store.close()
    return out


def wait_caught_up(cluster) -> None:
    deadline = time.monotonic() + PATIENCE
    while (waiting := not_ready(cluster)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not waiting, f"not ready: {waiting}\n" + "\n".join(
        f"--- {name}:\n{cluster.procs[name].output()[-3000:]}" for name in waiting)
    wait_until(lambda: (lambda l: l and not any(l.values()))(lags(cluster)), timeout=PATIENCE, interval=0.5,
               what="every relay and projection caught up")


def verify(cluster, client: Client) -> None:
    """Recovered by itself, then: client log = stores = read models."""
    wait_caught_up(cluster)
    # every part answers again: one more command per backend, answered at the first try
    probe = Client(cluster)
    for _ in range(4):
        entry = probe.command(*probe.next_command())
        assert entry["status"] == 201 and entry["attempts"] == [201], entry
    wait_caught_up(cluster)
    undecided = [e for e in client.log if e["status"] is None or e["status"] >= 500]
    assert not undecided, f"commands without a definite answer: {undecided[:3]}"
    refused = [e for e in client.log if e["status"] != 201]
    assert not refused, f"every command of the load is a new, valid fact, yet: {refused[:3]}"
    events = stored(cluster)
    ids = [e.event_id for evs in events.values() for e in evs]
    assert len(ids) == len(set(ids)), "an event is stored twice"
    answered: set[str] = set()
    for entry in client.log:
        command_id = derived_event_id("http", "admin", f"{entry['service']}/{entry['name']}", entry["key"])
        mine = {e.event_id for e in events[entry["service"]] if e.event_id == command_id}
        if entry["status"] == 201:
            got = {e["event_id"] for e in entry["body"]["events"]}
            assert got and command_id in got, entry
            assert got <= set(ids), f"accepted but lost: {entry}"
            answered |= got
        else:
            assert not mine, f"written although the client was told {entry['status']}: {entry}"
    unaccounted = [(e.type, e.stream) for evs in events.values() for e in evs if e.event_id not in answered]
    assert not unaccounted, f"stored without an accepted command (a duplicate or a write after an error): " \
                            f"{unaccounted[:5]}"
    # read models agree with the stores
    admitted = sum(1 for e in events["members"] if e.type == "member.admitted")
    status, rows, _ = send(cluster.url, "GET", "/api/v1/reporting/headcount?org_unit_id=TN", headers=cluster.auth)
    assert status == 200 and rows[0]["total"] == admitted, rows
    status, roster, _ = send(cluster.url, "GET", "/api/v1/meetings/roster?org_unit_id=G1&on=2025-06-01",
                             headers=cluster.auth)
    assert status == 200 and len(roster) == admitted, roster
    status, members, _ = send(cluster.url, "GET", "/api/v1/members/unit_members?org_unit_id=G1",
                              headers=cluster.auth)
    assert status == 200 and len(members) == admitted, members


# -- the faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize("victim", [*BACKENDS, "gateway"])
def test_kill_9_of_a_process_mid_load_loses_nothing_and_writes_nothing_twice(world, victim):
    client = Client(world)
    with client.load(commands=12):
        client.wait_done(3)
        world.procs[victim].kill9()
        start(world, victim)  # its supervisor restarts it; nothing else is touched
    verify(world, client)


def terminate_backends(application_name: str) -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = %s", (application_name,)).fetchone()[0]


@pytest.mark.parametrize("victim", [*BACKENDS, "gateway"])
def test_postgresql_connections_of_a_process_terminated_mid_load_reconnect(world, victim):
    pid = world.procs[victim].proc.pid
    client = Client(world)
    with client.load(commands=12):
        client.wait_done(2)
        killed = 0
        for _ in range(3):
            killed += terminate_backends(f"dv-{victim}")
            time.sleep(0.3)
        assert killed >= 1  # its store, read model, vault or user database connections were cut
    verify(world, client)
    assert world.procs[victim].proc.pid == pid and world.procs[victim].proc.poll() is None  # not restarted


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def test_amqp_connections_closed_mid_load_are_reopened(world):
    client = Client(world)
    with client.load(commands=16):
        client.wait_done(3)
        rabbitmqctl("close_all_connections", "--vhost", world.vhost, "fault test: connections closed")
    verify(world, client)


def test_broker_vhost_blocked_for_a_while_then_everything_resumes(world):
    client = Client(world)
    try:
        with client.load(commands=16):
            client.wait_done(3)
            rabbitmqctl("set_vhost_limits", "-p", world.vhost, '{"max-connections": 0}')
            rabbitmqctl("close_all_connections", "--vhost", world.vhost, "fault test: vhost blocked")
            gateway = world.procs["gateway"]
            wait_until(lambda: send(gateway.ops_url, "GET", "/readyz")[0] == 503, timeout=60,
                       what="the gateway reports the broker unreachable")
            assert send(gateway.ops_url, "GET", "/readyz")[1]["checks"]["broker"] is False
            time.sleep(2)
            rabbitmqctl("clear_vhost_limits", "-p", world.vhost)
    finally:
        subprocess.run(["rabbitmqctl", "clear_vhost_limits", "-p", world.vhost], capture_output=True)
    verify(world, client)


def test_a_command_sent_without_a_key_gets_one_and_sending_it_again_under_it_writes_nothing_twice(world):
    payload = admission(f"K{uuid.uuid4().hex[:6]}")
    status, first, headers = send(world.url, "POST", "/api/v1/members/admit_member", payload, world.auth)
    assert status == 201, first
    key = headers["Idempotency-Key"]
    status, again, _ = send(world.url, "POST", "/api/v1/members/admit_member", payload,
                            {**world.auth, "Idempotency-Key": key})
    assert status == 201 and again["events"] == first["events"]
    admitted = [e for e in stored(world)["members"]
                if e.type == "member.admitted" and e.data["member_id"] == payload["member_id"]]
    assert len(admitted) == 1
    world.log.append({"service": "members", "name": "admit_member", "payload": payload, "key": key,
                      "attempts": [201, 201], "status": 201, "body": first})


# -- health tells the truth; a dead dependency is a 503 naming it --------------------------------
@contextlib.contextmanager
def database_refusing(url: str):
    """The database refuses new connections and drops the open ones (a failover in progress)."""
    name = url.rsplit("/", 1)[-1].split("?")[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        yield
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_a_read_model_down_is_a_503_naming_it_and_readyz_says_so_until_it_returns(world):
    meetings = world.procs["meetings"]
    payload = {"occurred_on": "2025-01-31", "member_id": "S1", "month": "2024-12", "status": "unpaid"}
    key = {"Idempotency-Key": f"down-{uuid.uuid4()}"}
    with database_refusing(world.databases["meetings"]):
        status, body, headers = send(world.url, "POST", "/api/v1/meetings/record_dues", payload,
                                     {**world.auth, **key})
        assert status == 503 and headers["Content-Type"].startswith("application/problem+json"), body
        assert body["code"] == "dependency_unavailable"
        assert "«meetings»" in body["message_vi"] and "meetings" in body["message_en"]
        status, ready, _ = send(meetings.ops_url, "GET", "/readyz")
        assert status == 503 and ready["checks"]["readmodel:meetings"] is False
        assert ready["checks"]["store:meetings"] is True
        gauges = metrics(meetings)
        assert gauges['dangvien_dependency_up{dependency="readmodel:meetings"}'] == 0
        # the lag does not vanish while the read model cannot be asked
        assert any(k.startswith("dangvien_projection_lag_events") for k in gauges)
    # back by itself: ready again, and the same command (same key) now goes through, once
    wait_until(lambda: send(meetings.ops_url, "GET", "/readyz")[0] == 200, timeout=PATIENCE, what="meetings ready")
    status, body, _ = send(world.url, "POST", "/api/v1/meetings/record_dues", payload, {**world.auth, **key})
    assert status == 201, body
    # in the module's log, so a later test's comparison of log and stores accounts for it
    world.log.append({"service": "meetings", "name": "record_dues", "payload": payload,
                      "key": key["Idempotency-Key"], "attempts": [503, 201], "status": 201, "body": body})
    status, again, _ = send(world.url, "POST", "/api/v1/meetings/record_dues", payload, {**world.auth, **key})
    assert status == 201 and again["events"] == body["events"]
    dues = [e for e in stored(world)["meetings"]
            if e.type == "dues.recorded" and e.data["month"] == "2024-12" and e.data["member_id"] == "S1"]
    assert len(dues) == 1


def test_the_user_database_down_is_a_503_problem_not_a_text_page(world):
    gateway = world.procs["gateway"]
    with database_refusing(world.databases["users"]):
        status, body, headers = send(world.url, "GET", "/api/v1/me", headers=world.auth)
        assert status == 503 and headers["Content-Type"].startswith("application/problem+json"), body
        assert body["code"] == "dependency_unavailable" and "gateway" in body["message_en"]
        assert "Cơ sở dữ liệu người dùng" in body["message_vi"]
        status, ready, _ = send(gateway.ops_url, "GET", "/readyz")
        assert status == 503 and ready["checks"]["users:gateway"] is False
        assert send(world.url, "GET", "/healthz")[0] == 200  # alive, just not ready
    wait_until(lambda: send(world.url, "GET", "/api/v1/me", headers=world.auth)[0] == 200, timeout=PATIENCE,
               what="the gateway answers again")
    wait_until(lambda: send(gateway.ops_url, "GET", "/readyz")[0] == 200, timeout=PATIENCE,
               what="the gateway ready again")


def test_a_stopped_service_holds_only_its_share_and_its_expired_requests_are_never_written(world):
    """SIGSTOP: the process is there but answers nothing (the worst kind of dead)."""
    reporting = world.procs["reporting"]
    client = Client(world)
    stuck: list[tuple] = []

    def stuck_command(n):
        key = f"stuck-{uuid.uuid4()}"
        payload = {"occurred_on": "2024-01-01", "org_unit_id": "D1", "period": str(2150 + n),
                   "indicator": "members_removed", "value": n}
        status, body, _ = send(world.url, "POST", "/api/v1/reporting/register_target", payload,
                               {**world.auth, "Idempotency-Key": key})
        stuck.append((key, status, body))

    os.kill(reporting.proc.pid, signal.SIGSTOP)
    try:
        threads = [threading.Thread(target=stuck_command, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        # 8 requests against a bulkhead of 4 (40% of 10 workers): the extra ones are refused at once
        wait_until(lambda: sum(1 for _, s, _ in stuck if s == 503) >= 4, timeout=60, what="bulkhead refusals")
        # meanwhile the gateway still serves everything else
        assert send(world.url, "GET", "/healthz")[0] == 200
        entry = client.command("members", "admit_member", admission(f"B{uuid.uuid4().hex[:6]}"))
        assert entry["status"] == 201 and entry["attempts"] == [201]
        assert any(t.is_alive() for t in threads)  # the stuck ones are still waiting for reporting
        for t in threads:
            t.join()
    finally:
        os.kill(reporting.proc.pid, signal.SIGCONT)
    statuses = sorted(s for _, s, _ in stuck)
    assert statuses == [503] * 4 + [504] * 4, stuck
    assert all(b["code"] == "service_busy" for _, s, b in stuck if s == 503)
    assert all(b["code"] == "service_timeout" for _, s, b in stuck if s == 504)
    wait_caught_up(world)
    # the waiting requests reached reporting after their deadline: none was carried out
    store = open_store(world.env["DANGVIEN_STORE_REPORTING"])
    try:
        for key, status, _ in stuck:
            assert store.find_event(derived_event_id("http", "admin", "reporting/register_target", key)) is None
    finally:
        store.close()
