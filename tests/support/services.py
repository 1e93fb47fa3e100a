"""Real infrastructure for tests: RabbitMQ vhosts, PostgreSQL databases, service processes.

The broker and database outlive each run and are shared, so every test gets its own vhost and
database and ends every process it started. Without them a laptop skips with a reason; CI sets
``DANGVIEN_REQUIRE_SERVICES=1`` and a missing service fails the run.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

RABBIT_HOST = os.environ.get("DANGVIEN_TEST_RABBIT_HOST", "127.0.0.1")
PG_ADMIN_URL = os.environ.get("DANGVIEN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def unavailable(what: str) -> None:
    if os.environ.get("DANGVIEN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (DANGVIEN_REQUIRE_SERVICES=1) but not reachable")
    pytest.skip(f"{what} not reachable; set it up or run in CI")


def port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def rabbit_vhost():
    if not port_open(RABBIT_HOST, 5672):
        unavailable("RabbitMQ (127.0.0.1:5672)")
    name = f"dv-test-{uuid.uuid4().hex[:12]}"
    subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    try:
        yield f"amqp://guest:guest@{RABBIT_HOST}:5672/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], capture_output=True)


@contextlib.contextmanager
def pg_database():
    if not port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL (127.0.0.1:5432)")
    import psycopg
    name = f"dv_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from shared import runtime
        runtime.close_all()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the test process dies, however it dies, so
    no service process outlives a killed test run (a leftover one would take other runs' messages)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "dangvien.cli", *args]


class Process:
    """One ``dangvien`` process, its output kept in a file for the failure message."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self.args = args
        self._out = open(log, "wb")
        self.proc = subprocess.Popen(args, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=_die_with_parent)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args} exited {self.proc.returncode}:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.args} did not print {text!r}:\n{self.output()[-3000:]}")

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._out.close()


def base_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGVIEN_") or k == "DANGVIEN_REQUIRE_SERVICES"}
    env.update({"DANGVIEN_LOG_FORMAT": "console", "DANGVIEN_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
                "DANGVIEN_METRICS_PORT": "0"})
    env.update(extra)
    return env


class Cluster:
    """Services as separate OS processes on a real broker (one ``dangvien serve`` each)."""

    def __init__(self, tmp: Path, amqp_uri: str, stores: dict[str, str] | None = None,
                 readmodels: dict[str, str] | None = None):
        self.tmp, self.port = tmp, free_port()
        tmp.mkdir(parents=True, exist_ok=True)
        self.env = base_env(DANGVIEN_AMQP_URI=amqp_uri, DANGVIEN_DATA_DIR=str(tmp / "data"),
                            DANGVIEN_HTTP_PORT=str(self.port), DANGVIEN_RELAY_POLL_SECONDS="0.05")
        for svc, url in (stores or {}).items():
            self.env[f"DANGVIEN_STORE_{svc.upper()}"] = url
        for svc, url in (readmodels or {}).items():
            self.env[f"DANGVIEN_READMODEL_{svc.upper()}"] = url
        self.procs: dict[str, Process] = {}
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, service: str, replica: int = 1, **env: str) -> Process:
        """Start one process of a service; ``replica`` > 1 starts another copy beside the first."""
        ops_port = free_port()
        name = service if replica == 1 else f"{service}#{replica}"
        proc = Process(cli("serve", service), {**self.env, "DANGVIEN_METRICS_PORT": str(ops_port), **env},
                       self.tmp / f"{name}.log")
        proc.ops_url = f"http://127.0.0.1:{ops_port}"
        proc.wait_for_output(f"{service} started")
        self.procs[name] = proc
        return proc

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()


def http(method: str, url: str, body=None, headers: dict | None = None, raw: bytes | None = None):
    """(status, parsed JSON body) — the way a provincial system would call the API."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            status, text = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    return status, (json.loads(text) if text else None)


def wait_until(check, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached in {timeout}s (last: {last!r})")


@contextlib.contextmanager
def embedded(tmp: Path, demo: bool = False, extra_args: tuple[str, ...] = ()):
    """``dangvien up`` as a user runs it, on a free port with its own data folder."""
    port = free_port()
    args = cli("up", "--data-dir", str(tmp / "data"), "--port", str(port), *(("--demo",) if demo else ()),
               *extra_args)
    proc = Process(args, base_env(), tmp / "up.log")
    try:
        proc.wait_for_output("http://127.0.0.1", timeout=300)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.stop()


def metric(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition, read with prometheus_client's own parser (label
    order and number format are the exposition's business)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None
