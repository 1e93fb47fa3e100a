"""Operations endpoints of a service process: /healthz, /readyz, /metrics (Prometheus text).

Metrics: events appended (store head), relay lag per producing store, projection lag per
(projection, source), and RPC/HTTP worker latency per entrypoint. Nothing personal is exported:
only counts, positions and entrypoint names.
"""
from __future__ import annotations

import time

from nameko.extensions import DependencyProvider
from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from shared import runtime
from shared.relay import published_position

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

disable_created_metrics()  # no *_created series: the names stay those the dashboards know
#: this process's metrics (not prometheus_client's default registry: no process_* / python_* noise)
REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY = Histogram("dangvien_worker_seconds", "Time to handle one RPC, HTTP request or event.",
                    ["service", "entrypoint"], buckets=BUCKETS, registry=REGISTRY)


class WorkerTimer(DependencyProvider):
    """Times every worker of the service it is attached to (added by the runner)."""

    def worker_setup(self, worker_ctx):
        worker_ctx.data["dangvien.started"] = time.perf_counter()

    def worker_teardown(self, worker_ctx):
        started = worker_ctx.data.get("dangvien.started")
        if started is not None:
            LATENCY.labels(worker_ctx.service_name, worker_ctx.entrypoint.method_name).observe(
                time.perf_counter() - started)


#: last value seen of each head and checkpoint: while a database does not answer, lag is computed
#: from what was last known against what is known now, so it keeps growing instead of vanishing
_last_heads: dict[str, int] = {}
_last_checkpoints: dict[tuple[str, str, str], int] = {}


class StoreCollector:
    """The gauges read at scrape time: store heads, relay and projection lag, dependencies up,
    integrity. Only counts, positions and names: nothing personal."""

    def __init__(self):
        self.settings = None

    def collect(self):
        if self.settings is None:
            return []
        return _store_gauges(self.settings) + _integrity_gauges() + _checkpoint_gauges()


STORES = StoreCollector()
REGISTRY.register(STORES)


def _store_gauges(settings) -> list[GaugeMetricFamily]:
    from shared.config import SERVICES
    stores = {svc: runtime._stores.get(settings.store_url(svc)) for svc in SERVICES}
    stores = {svc: s for svc, s in stores.items() if s is not None}
    up: dict[str, int] = {}
    appended = GaugeMetricFamily("dangvien_events_appended", "Highest position of each service's event store.",
                                 labels=["store"])
    relay_lag = GaugeMetricFamily("dangvien_relay_lag_events", "Events stored but not yet published on the bus.",
                                  labels=["store"])
    heads: dict[str, int] = {}
    for svc, store in sorted(stores.items()):
        try:
            if hasattr(store, "ping") and not store.ping():  # no backoff while it is down
                raise ConnectionError(svc)
            head = store.head_position()
            # events, not positions; from what this process's relay published when it is further
            # than the checkpoint it stored (stored at most every 0.25 s while busy)
            relayed = store.get_checkpoint("relay")
            lag = store.count_after(max(relayed, published_position(store) or relayed))
            _last_heads[svc] = heads[svc] = head
            up[f"store:{svc}"] = 1
        except Exception:
            up[f"store:{svc}"] = 0
            continue
        appended.add_metric([svc], head)
        relay_lag.add_metric([svc], lag)
    projection_lag = GaugeMetricFamily(
        "dangvien_projection_lag_events", "Events of a source not yet applied by a projection (computed from the "
        "last checkpoint seen while the read model does not answer).", labels=["projection", "source"])
    for url, db in sorted(runtime._readmodels.items()):
        ok, rows = db.ping(), None
        if ok:
            try:
                rows = db.quick_query("SELECT projection, source, position FROM projection_checkpoints")
                for projection, source, position in rows:
                    _last_checkpoints[(url, projection, source)] = position
            except Exception:  # a database without projections (the key vault), or it just went away
                rows = None
        if rows is None:
            rows = [(p, s, pos) for (u, p, s), pos in _last_checkpoints.items() if u == url]
        for name in [n for n, d in runtime.dependencies.items() if d is db] or [url.rsplit("/", 1)[-1]]:
            up[name] = int(ok)
        for projection, source, position in rows:
            head = heads.get(source, _last_heads.get(source))
            if head is not None:
                projection_lag.add_metric([projection, source],
                                          _lag(stores.get(source), source in heads, head, position))
    for name, dep in runtime.dependencies.items():
        if name not in up and hasattr(dep, "ping"):
            up[name] = int(dep.ping())
    dependency_up = GaugeMetricFamily("dangvien_dependency_up", "1 when the last query to this database answered, "
                                      "0 when it failed.", labels=["dependency"])
    for name, value in sorted(up.items()):
        dependency_up.add_metric([name], value)
    return [appended, relay_lag, projection_lag, dependency_up]


def _integrity_gauges() -> list[GaugeMetricFamily]:
    from shared import integrity_watch
    state = integrity_watch.snapshot()
    ok = GaugeMetricFamily("dangvien_integrity_ok", "1 when the store verified intact, 0 when it failed "
                           "(absent: checking).", labels=["store"])
    verified = GaugeMetricFamily("dangvien_integrity_verified_events", "Events of the store verified by this "
                                 "process.", labels=["store"])
    problems = GaugeMetricFamily("dangvien_integrity_problems", "Broken streams and store-level problems found.",
                                 labels=["store"])
    for source, s in sorted(state.items()):
        if s.get("state") in ("intact", "failed"):
            ok.add_metric([source], 1 if s["state"] == "intact" else 0)
            problems.add_metric([source], s.get("problems", 0))
        verified.add_metric([source], s.get("checked_events") or 0)
    return [ok, verified, problems]


def _checkpoint_gauges() -> list[GaugeMetricFamily]:
    from shared import checkpoints_watch
    ahead = GaugeMetricFamily("dangvien_checkpoint_ahead_of_store", "1 while a projection or relay stopped because "
                              "its source store no longer holds the event at its checkpoint (a store restored from "
                              "an older backup): rebuild the read model.", labels=["kind", "name", "source"])
    for _, s in sorted(checkpoints_watch.snapshot().items()):
        ahead.add_metric([s["kind"], s["name"], s["source"]], 1)
    return [ahead]


def metrics_text(settings) -> str:
    """The Prometheus text exposition of this process (prometheus_client)."""
    STORES.settings = settings
    return generate_latest(REGISTRY).decode("utf-8")


def _lag(store, store_up: bool, head: int, position: int) -> int:
    """Events of the source after ``position``: counted by the store when it answers (KurrentDB's
    positions have gaps), else from the last head seen."""
    if store is not None and store_up:
        try:
            return store.count_after(position)
        except Exception:
            pass
    return max(head - position, 0)


def broker_ok(amqp_uri: str, timeout: float = 2.0) -> bool:
    """Can this process open a connection to its broker vhost right now?"""
    if amqp_uri.startswith("memory://"):
        return True
    from kombu import Connection
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:
        return False


def _answers(dep) -> bool:
    try:
        if hasattr(dep, "ping"):
            return bool(dep.ping())
        dep.head_position()
        return True
    except Exception:
        return False


def ready(runner, settings=None) -> tuple[bool, dict]:
    """Ready when every container runs and every dependency answers: event stores, read models,
    the key vault, the gateway's user database and the broker."""
    checks = {}
    for container in runner.containers:
        checks[container.service_name] = bool(getattr(container, "_being_killed", False) is False
                                              and container.started)
    named = set()
    for name, dep in list(runtime.dependencies.items()):
        checks[name] = _answers(dep)
        named.add(id(dep))
    for url, store in list(runtime._stores.items()):  # stores opened outside a provider
        if id(store) not in named:
            checks[url.rsplit("/", 1)[-1]] = _answers(store)
    if settings is not None:
        checks["broker"] = broker_ok(settings.amqp_uri)
    return all(checks.values()), checks


def serve(runner, settings, host: str, port: int):
    """Start the ops HTTP server in a green thread; returns the listening socket."""
    import eventlet
    from eventlet import wsgi

    sock = eventlet.listen((host, port))
    eventlet.spawn(wsgi.server, sock, wsgi_app(runner, settings), log_output=False)
    return sock


def wsgi_app(runner, settings):
    """The ops endpoints as a WSGI application."""
    import json

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            body, status, ctype = json.dumps({"status": "ok"}), "200 OK", "application/json"
        elif path == "/readyz":
            ok, checks = ready(runner, settings)
            from shared import checkpoints_watch, integrity_watch
            # the integrity state is shown, not a readiness condition: a tampered store is for
            # people to judge (it is logged loudly and flagged on every report), not a restart loop;
            # nor is a source a projection stopped on (a restored store): a restart does not
            # rebuild it. Both are read here, with their reasons in Vietnamese and English
            body = json.dumps({"ready": ok, "checks": checks, "integrity": integrity_watch.snapshot(),
                               "checkpoints": checkpoints_watch.snapshot()}, ensure_ascii=False)
            status, ctype = ("200 OK" if ok else "503 Service Unavailable"), "application/json"
        elif path == "/metrics":
            body, status, ctype = metrics_text(settings), "200 OK", CONTENT_TYPE_PLAIN_0_0_4
        else:
            body, status, ctype = "{}", "404 Not Found", "application/json"
        data = body.encode("utf-8")
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data)))])
        return [data]

    return app
