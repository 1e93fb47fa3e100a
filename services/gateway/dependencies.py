"""Adapters of the gateway: its own state (users, the access log, import jobs) as a nameko
dependency, and which backends a call can reach."""
from __future__ import annotations

import threading

import structlog
from nameko.extensions import DependencyProvider

from shared.readmodel import ReadModelDB
from shared.runtime import depends_on, settings_of

from services.gateway import imports
from services.gateway.audit import AccessLog
from services.gateway.auth import UserStore, db_url, ensure_admin_token
from services.gateway.idempotency import KeyBook

SERVICE = "gateway"
BACKENDS = ("members", "meetings", "discipline", "reporting")

log = structlog.get_logger(service=SERVICE)  # lazy: bound after shared.logging.configure() runs


class Gateway(DependencyProvider):
    """The gateway's own state: users, the access log, import jobs (one DB, ``gateway.db``)."""

    def setup(self):
        settings = settings_of(self.container.config)
        self.db = ReadModelDB(db_url(settings.data_dir), ("Cơ sở dữ liệu người dùng của cổng API",
                                                         "User database of the gateway"))
        depends_on("users:gateway", self.db)
        self.users = UserStore(self.db)
        self.access_log = AccessLog(self.db)
        self.keys = KeyBook(self.db)
        self.jobs = imports.ImportJobs()
        self.backends = running_backends(settings.amqp_uri)
        self.rpc_timeout, self.import_timeout = settings.rpc_timeout_seconds, settings.import_timeout_seconds
        # bulkheads: one backend may hold at most this many of the gateway's workers (40% unless
        # set), so requests to a dead or slow service cannot starve the others (nor the pages the
        # gateway serves itself)
        self.bulkhead = settings.backend_calls
        self.slots = {b: threading.BoundedSemaphore(self.bulkhead) for b in BACKENDS}
        if settings.amqp_uri.startswith("memory://") or not self.users.all():
            # embedded mode on a workstation: the local CLI finds this token by itself; a
            # distributed gateway does the same once, on its very first start (bootstrap, like an
            # initial admin password), and from then on users are managed with `dangvien user`
            if ensure_admin_token(self.users, settings.data_dir) is None:
                log.warning("administrator_left_disabled", hint="dangvien user enable|token admin")

    def stop(self):
        self.db.close()

    def get_dependency(self, worker_ctx):
        return self


def running_backends(amqp_uri: str) -> tuple[str, ...]:
    """The services a call can reach. On RabbitMQ an absent service raises UnknownService (the
    publish is mandatory); kombu's memory transport drops such a message and the caller waits
    forever, so in embedded mode only the services built into this process count."""
    if not amqp_uri.startswith("memory://"):
        return BACKENDS
    import importlib.util
    return tuple(s for s in BACKENDS if importlib.util.find_spec(f"services.{s}.service") is not None)
