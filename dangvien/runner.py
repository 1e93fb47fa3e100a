"""Start services with nameko's runner: all in one process (embedded) or one per process."""
from __future__ import annotations

import importlib
import logging
import signal

from shared.config import Settings

SERVICE_MODULES = {
    "members": ("services.members.service", "MembersService"),
    "meetings": ("services.meetings.service", "MeetingsService"),
    "discipline": ("services.discipline.service", "DisciplineService"),
    "reporting": ("services.reporting.service", "ReportingService"),
    "gateway": ("services.gateway.service", "GatewayService"),
}


def available_services() -> list[str]:
    """Services whose module exists in this build (the project grows service by service)."""
    out = []
    for name, (module, cls) in SERVICE_MODULES.items():
        try:
            getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue
        out.append(name)
    return out


def service_class(name: str):
    module, cls = SERVICE_MODULES[name]
    return getattr(importlib.import_module(module), cls)


def nameko_config(settings: Settings) -> dict:
    from dangvien import memory_shim
    return {
        "AMQP_URI": settings.amqp_uri,
        "WEB_SERVER_ADDRESS": f"{settings.http_host}:{settings.http_port}",
        "SERIALIZER": "json",
        "TRANSPORT_OPTIONS": memory_shim.transport_options(settings.amqp_uri),
        "max_workers": settings.service_workers,
        "DANGVIEN_SETTINGS": settings,
    }


def start(names: list[str], settings: Settings):
    """Start the named services in this process; return the nameko ServiceRunner."""
    from nameko.runners import ServiceRunner

    from dangvien import memory_shim
    from shared import logging as slog
    from shared.files import apply_umask, tighten
    apply_umask()
    tighten(settings.data_dir)  # a data folder written by an older version, or before the umask
    memory_shim.apply()
    slog.configure(settings.log_format, settings.log_level)
    logging.getLogger("kombu").setLevel(logging.ERROR)  # "No hostname was supplied" on memory://
    from shared import integrity_watch, keys, ops
    keys.use(keys.resolve(settings))  # before any append: raises keys.KeyError_ naming the setting
    config = nameko_config(settings)
    size_publisher_pools(settings, names)
    runner = ServiceRunner(config)
    for name in names:
        cls = service_class(name)
        if not hasattr(cls, "ops_timer"):
            cls.ops_timer = ops.WorkerTimer()  # worker latency for /metrics, without touching services
        # the gateway mostly waits on backends: it gets more workers, shared out by per-backend
        # bulkheads (services.gateway.service), so one dead service cannot take them all
        runner.config = {**config, "max_workers": settings.gateway_workers} if name == "gateway" else config
        runner.add_service(cls)
    runner.config = config
    runner.start()
    from shared.config import SERVICES
    integrity_watch.start(settings, [n for n in names if n in SERVICES])
    if settings.metrics_port:
        try:
            ops.serve(runner, settings, settings.http_host if settings.amqp_uri.startswith("memory://") else "0.0.0.0",
                      settings.metrics_port)
        except OSError as exc:  # a second embedded instance on one host: run without ops endpoints
            logging.getLogger("dangvien").warning("ops endpoints not started on port %s: %s",
                                                  settings.metrics_port, exc)
    return runner


def size_publisher_pools(settings: Settings, names: list[str]) -> None:
    """kombu keeps at most 10 broker connections and producers per process by default; every RPC
    call and answer and every event dispatched takes one for its publish (and its confirm), so
    beyond 10 workers they would queue there: the pools get as many as the process's workers."""
    from kombu import pools
    workers = max((settings.gateway_workers if n == "gateway" else settings.service_workers for n in names),
                  default=settings.service_workers)
    if workers > pools.get_limit():
        pools.set_limit(workers)


def run_until_signalled(runner) -> None:
    import eventlet

    stopping = eventlet.event.Event()

    def on_signal(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    runner.stop()  # graceful: in-flight workers finish first
