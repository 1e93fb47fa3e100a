"""nameko glue shared by the services: stores as dependencies, the relay as an extension, and
command entrypoints that answer rule failures as data instead of tracebacks.

Kept apart from domain code: only ``service.py`` modules import this.
"""
from __future__ import annotations

import functools
import inspect
import threading
import time
from typing import Callable

import structlog
from nameko.events import BROADCAST, EventHandler
from nameko.exceptions import IncorrectSignature
from nameko.extensions import DependencyProvider
from nameko import rpc as nameko_rpc
from nameko.constants import NON_PERSISTENT
from pydantic import BaseModel, ValidationError

from shared import integrity_watch
from shared.application import check_deadline
from shared.collector import settled
from shared.config import Settings
from shared.errors import DomainError, from_validation_error
from shared.events import Envelope
from shared.eventstore import EventStore, open_store
from shared.readmodel import ReadModelDB
from shared.relay import Relay
from shared import rpcwire

_stores: dict[str, EventStore] = {}
_readmodels: dict[str, ReadModelDB] = {}
#: every database this process depends on, by the name /readyz and /metrics give it
#: ("store:members", "readmodel:meetings", "vault:members", "users:gateway")
dependencies: dict[str, object] = {}
_guard = threading.Lock()

log = structlog.get_logger()


def store_at(url: str) -> EventStore:
    """One store object per URL per process (embedded mode runs every service in one process)."""
    with _guard:
        if url not in _stores:
            _stores[url] = open_store(url)
        return _stores[url]


def readmodel_at(url: str, label: tuple[str, str] | None = None) -> ReadModelDB:
    """One read model object per URL per process; ``label`` (Vietnamese, English) names it in a 503."""
    with _guard:
        if url not in _readmodels:
            _readmodels[url] = ReadModelDB(url, label)
        return _readmodels[url]


def depends_on(name: str, db) -> None:
    """Let /readyz check ``db`` (anything with ``ping()`` or ``head_position()``) as ``name``."""
    with _guard:
        dependencies[name] = db


def readmodel_label(service: str) -> tuple[str, str]:
    return (f"Cơ sở dữ liệu đọc của dịch vụ «{service}»", f"Read model database of service '{service}'")


def close_all() -> None:
    with _guard:
        for s in list(_stores.values()) + list(_readmodels.values()):
            try:
                s.close()
            except Exception:
                pass
        _stores.clear()
        _readmodels.clear()
        dependencies.clear()


#: an RPC reply is transient and published without waiting for the broker's confirm.
#:
#: A reply lives only as long as its caller waits on it (its queue is not durable and expires
#: with the caller), so writing it to disk and waiting for the broker to say so protects nothing:
#: if the broker or the connection is lost before it arrives, the caller's deadline passes and it
#: answers "may or may not have been written — send it again under the same key", exactly as when
#: the replying process dies. What must not be lost (the events) is in the store before the reply
#: is sent, and the relay publishes it persistent with confirms (``shared.relay``).
REPLIES = NON_PERSISTENT


class ReplyingRpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, answering through ``shared.rpcwire.reply`` (transient, no confirm
    wait, serialized once); the request is acked after the reply is sent."""

    def handle_result(self, message, result, exc_info):
        result, exc_info = rpcwire.reply(self.container.config, message, result, exc_info, REPLIES)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class SignatureOnce:
    """An entrypoint mix-in: nameko checks every call's arguments against the method with
    ``inspect.getcallargs``, which reads the method's signature again each time (a fifth of the
    check); here it is read once per entrypoint and each call is bound to it. Same refusals
    (``IncorrectSignature``), as ``tests/unit/spine/test_signature_once.py`` compares."""

    _signature: inspect.Signature | None = None

    def check_signature(self, args, kwargs):
        if self._signature is None:
            method = getattr(self.container.service_cls, self.method_name)
            self._signature = inspect.signature(method, follow_wrapped=False)
        try:
            self._signature.bind(None, *args, **kwargs)  # None: the service instance (unbound method)
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


class Rpc(SignatureOnce, nameko_rpc.Rpc):
    """An RPC entrypoint whose reply is transient (``REPLIES``). Every RPC of one service
    must use it: entrypoints share their consumer by class, and two consumers on the service's
    queue would each refuse the other's methods."""

    rpc_consumer = ReplyingRpcConsumer()


rpc = Rpc.decorator

#: a service's proxy to another's RPCs (the gateway's), its requests sent by ``shared.rpcwire``
RpcProxy = rpcwire.LeanRpcProxy


def settings_of(config: dict) -> Settings:
    s = config.get("DANGVIEN_SETTINGS")
    return s if isinstance(s, Settings) else Settings()


class PartitionEventHandler(EventHandler):
    """An event handler that gives each partition of a partitioned projection its own durable
    queue (``evt-members-#--reporting.on_members_event-p1of3``), so every partition sees every
    event while the replicas of one partition still compete for its queue. Unpartitioned, it is
    nameko's plain service-pool handler and keeps its queue name."""

    def setup(self):
        self._partition = settings_of(self.container.config).partition
        if not self._partition.whole:
            self.handler_type = BROADCAST  # one queue per identifier; reliable: durable, not exclusive
        super().setup()

    @property
    def broadcast_identifier(self):
        partition = getattr(self, "_partition", None)
        return partition.label if partition is not None and not partition.whole else None


partition_event_handler = PartitionEventHandler.decorator


class EventStoreProvider(DependencyProvider):
    """The service's own event store (``DANGVIEN_STORE_<SERVICE>``)."""

    def __init__(self, service: str):
        self.service = service

    def setup(self):
        self.store = store_at(settings_of(self.container.config).store_url(self.service))
        self.store.claim_log(self.service)  # refuses a log another service owns (KurrentDB)
        depends_on(f"store:{self.service}", self.store)

    def get_dependency(self, worker_ctx):
        return self.store


class SourceStoresProvider(DependencyProvider):
    """Read access to other services' stores, for filling gaps in projections."""

    def __init__(self, *services: str):
        self.services = services

    def setup(self):
        settings = settings_of(self.container.config)
        self.stores = {s: store_at(settings.store_url(s)) for s in self.services}
        for s, store in self.stores.items():
            depends_on(f"store:{s}", store)

    def get_dependency(self, worker_ctx):
        return self.stores


class ReadModelProvider(DependencyProvider):
    def __init__(self, service: str):
        self.service = service

    def setup(self):
        self.db = readmodel_at(settings_of(self.container.config).readmodel_url(self.service),
                               readmodel_label(self.service))
        depends_on(f"readmodel:{self.service}", self.db)

    def get_dependency(self, worker_ctx):
        return self.db


class RelayProvider(DependencyProvider):
    """Runs the relay of this service's store in a managed thread while the container runs."""

    def __init__(self, service: str, transform: Callable[[dict], dict] | None = None):
        self.service, self.transform = service, transform
        self._stopping = False

    def setup(self):
        settings = settings_of(self.container.config)
        self.relay = Relay(store_at(settings.store_url(self.service)), self.service,
                           self.container.config["AMQP_URI"], transform=self.transform,
                           transport_options=self.container.config.get("TRANSPORT_OPTIONS"))
        self.poll = settings.relay_poll_seconds

    def start(self):
        self._stopping = False
        self.container.spawn_managed_thread(self._run)

    def _run(self):
        self.relay.run_forever(lambda: self._stopping, poll=self.poll,
                               on_error=lambda e: log.warning("relay_error", service=self.service,
                                                              error=type(e).__name__))

    def stop(self):
        self._stopping = True

    def kill(self):
        self._stopping = True

    def get_dependency(self, worker_ctx):
        return self.relay


def _result(events: list[Envelope], extra: dict | None = None) -> dict:
    out = {"ok": True, "events": [e.to_message() for e in events]}
    if extra:
        out.update(extra)
    return out


def command(model: type[BaseModel]):
    """Wrap an RPC method: validate the payload into ``model``, answer rule failures as data.

    The method receives ``(self, cmd, ctx_dict)`` and returns a list of envelopes (or a dict).
    """

    def wrap(fn):
        @functools.wraps(fn)
        def entry(self, payload: dict, context: dict | None = None):
            try:
                check_deadline((context or {}).get("deadline"))
                cmd = model.model_validate(payload)
            except ValidationError as exc:
                return {"ok": False, "error": from_validation_error(exc).to_dict()}
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict()}
            try:
                out = fn(self, cmd, context or {})
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict()}
            if isinstance(out, dict):
                return {"ok": True, **out}
            return _result(out)

        return entry

    return wrap


def query(model: type[BaseModel] | None = None, *, within: bool = False):
    """Wrap a read RPC: validate its parameters into ``model``; failures such as 'not found' come
    back as data. The method receives ``(self, q, context)``. Every answer computed while a store
    this process watches fails verification carries the integrity flag beside its result (and
    inside it, ``within``: a report's own JSON) — ``shared.integrity_watch.flag_answer``."""

    def wrap(fn):
        @functools.wraps(fn)
        def entry(self, params: dict | None = None, context: dict | None = None):
            try:
                check_deadline((context or {}).get("deadline"))
                q = model.model_validate(params or {}) if model else (params or {})
                return integrity_watch.flag_answer({"ok": True, "result": fn(self, q, context or {})}, within)
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict()}
            except ValidationError as exc:
                return {"ok": False, "error": from_validation_error(exc).to_dict()}

        return entry

    return wrap


#: events per transaction when the import job (``catch_up``) has a projection apply a file's events:
#: fewer, larger transactions than a live batch (each has a fixed cost: checkpoints, the
#: per-stream guard, the reporting read model's end-of-batch work)
CATCH_UP_BATCH = 5000


def let_others_run(_applied: int = 0) -> None:
    """Between two batches of a long catch-up: under eventlet ``time.sleep(0)`` lets the other
    green threads of the process run (the job's ``positions`` asked meanwhile, the broker's
    heartbeats); elsewhere it costs nothing."""
    time.sleep(0)


def settling(settle: Callable[[], None]) -> Callable[[int], None]:
    """``let_others_run`` after ``settle()``: between two batches of a catch-up run in
    ``shared.collector.settled``, what stays alive is settled before the others run."""
    def between(applied: int = 0) -> None:
        settle()
        let_others_run(applied)
    return between


class SweepingProvider(DependencyProvider):
    """A provider of projections with the one sweep loop: every ``sweep_seconds`` it catches up
    (``self.catch_up()``) from the stores, the safety net for a bus delivery that never came; a
    failed sweep is logged and the next one (or a delivery) retries."""

    service: str
    sweep_seconds: float = 5.0
    _stopping = False

    def start_sweeping(self):
        self._stopping = False
        self.container.spawn_managed_thread(self._sweep)

    def _sweep(self):
        import eventlet
        while not self._stopping:
            eventlet.sleep(self.sweep_seconds)
            try:
                self.catch_up()
            except Exception as exc:
                log.warning("projection_sweep_failed", service=self.service, error=type(exc).__name__)

    def catch_up(self):
        raise NotImplementedError

    def stop(self):
        self._stopping = True

    kill = stop


class ProjectionsProvider(SweepingProvider):
    """Runs a service's projections: catch up from the source stores on start, then apply what
    the bus delivers; the sweep is the safety net for a doorbell that never rang."""

    def __init__(self, service: str, projections: Callable[[], list], sweep_seconds: float = 5.0):
        self.service, self.make, self.sweep_seconds = service, projections, sweep_seconds

    def setup(self):
        settings = settings_of(self.container.config)
        db = readmodel_at(settings.readmodel_url(self.service), readmodel_label(self.service))
        depends_on(f"readmodel:{self.service}", db)
        stores = {s: store_at(settings.store_url(s)) for s in self.sources()}
        for s, store in stores.items():
            depends_on(f"store:{s}", store)
        self.wire(db, stores)

    def sources(self) -> set[str]:
        """The services whose stores the projections read."""
        return {s for p in self.make() for s in p.sources}

    def wire(self, db, stores: dict) -> "ProjectionsProvider":
        """Run the projections on ``db`` from ``stores`` (``setup`` opens them from the settings; a
        test may pass its own)."""
        from shared.projection import ProjectionRunner
        self.db, self.stores = db, stores
        self.runners = [ProjectionRunner(db, p, stores) for p in self.make()]
        return self

    def start(self):
        self._stopping = False
        self.refresh()
        self.catch_up()
        self.start_sweeping()

    def refresh(self) -> None:
        """Rebuild, from the stores, each projection whose rows were written by other rules than
        the code's (``Projection.version``; ``ProjectionRunner.stale``): an upgrade that fixed a
        projection's rules does not keep serving the rows of the old ones."""
        for r in self.runners:
            p = r.projection
            if not r.stale():
                r.record_version()  # a new read model's rows will be the code's
                continue
            log.info("projection_rebuild_started", service=self.service, projection=p.name,
                     recorded_version=r.recorded_version(), version=p.version)
            started = time.monotonic()
            with settled() as settle:
                events = r.rebuild(progress=settling(settle), force=False)
            log.info("projection_rebuilt", service=self.service, projection=p.name, version=p.version,
                     events=events, seconds=round(time.monotonic() - started, 3))

    def catch_up(self, batch: int = 2000) -> int:
        """Apply what the stores hold beyond the checkpoints; between two transactions (of ``batch``
        events) other work of the process runs (``positions`` is answered: an import's progress)."""
        with settled() as settle:  # a file's events: the collector walks only each batch's allocations
            return sum(r.catch_up(s, batch, progress=settling(settle)) for r in self.runners
                       for s in r.projection.sources)

    def handle(self, source: str, message: dict) -> None:
        for r in self.runners:
            if source in r.projection.sources:
                r.handle(source, message)

    def handle_batch(self, source: str, messages: list) -> None:
        """A batch of deliveries (``shared.bus_batches``): one transaction per projection."""
        for r in self.runners:
            if source in r.projection.sources:
                r.handle_batch(source, messages)

    def positions(self) -> dict[str, int]:
        """The lowest checkpoint of each source over this service's projections."""
        out: dict[str, int] = {}
        for r in self.runners:
            for s in r.projection.sources:
                cp = r.checkpoint(s)
                out[s] = min(out.get(s, cp), cp)
        return out

    def get_dependency(self, worker_ctx):
        return self


#: the most events one ``read_log`` page answers
LOG_PAGE_MAX = 1000


class LogEntrypoints:
    """``read_log``: the service's own log after a position, as the relay publishes it (for the
    gateway's ``GET /api/v1/events``; the gateway filters by the caller's scope). Mix into a service
    with ``store``."""

    @rpc
    @query()
    def read_log(self, q, context):
        after, limit = int(q.get("after", 0)), min(int(q.get("limit", 100)), LOG_PAGE_MAX)
        events = []
        for env in self.store.read_all(after + 1, limit=limit):
            body = env.model_dump(mode="json")
            body["source"] = self.name
            events.append(body)
        return {"events": events, "head_position": self.store.head_position()}


class ProjectingEntrypoints(LogEntrypoints):
    """RPCs the import job uses to wait for a service's projections (``positions``, ``catch_up``)
    and the head of its own store. Mix into a service with ``store`` and ``projections``."""

    @rpc
    @query()
    def head_position(self, q, context):
        return self.store.head_position()

    @rpc
    @query()
    def positions(self, q, context):
        """How far the projections have read each source (for 'caught up' checks)."""
        return self.projections.positions()

    @rpc
    @query()
    def catch_up(self, q, context):
        """Apply what the sources hold; the import job asks it in batches of ``CATCH_UP_BATCH``."""
        return self.projections.catch_up(CATCH_UP_BATCH)
