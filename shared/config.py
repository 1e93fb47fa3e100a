"""Settings from the environment (prefix ``DANGVIEN_``); one model for every process.

``.env.example`` lists exactly these fields.
"""
from __future__ import annotations

from pathlib import Path

from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.partitioning import Partition

SERVICES = ("members", "meetings", "discipline", "reporting")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANGVIEN_", extra="ignore")

    #: AMQP broker; ``memory://`` in embedded mode.
    amqp_uri: str = "memory://"
    #: folder for SQLite stores, read models and the admin token in embedded mode.
    data_dir: Path = Path(".dangvien")
    #: event store URLs per service; empty means ``sqlite:///<data_dir>/<service>.events.db``.
    store_members: str = ""
    store_meetings: str = ""
    store_discipline: str = ""
    store_reporting: str = ""
    #: read model database of each service; empty means ``sqlite:///<data_dir>/<service>.read.db``.
    readmodel_members: str = ""
    readmodel_meetings: str = ""
    readmodel_discipline: str = ""
    readmodel_reporting: str = ""
    #: gateway HTTP address.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: port of /healthz, /readyz and /metrics of every service process (0: none).
    metrics_port: int = 9100
    #: the gateway's users, tokens and access log; empty means ``sqlite:///<data_dir>/gateway.db``.
    gateway_db: str = ""
    #: this reporting process's share of the province, "i/n": it applies the facts of the direct
    #: units that hash to partition i of n into the shared read model ("0/1": all of them).
    reporting_partition: str = "0/1"
    #: how long the gateway waits for a service's answer (seconds); the deadline travels with the
    #: request and a service does not start (or append) once it has passed. Imports get their own.
    rpc_timeout_seconds: float = 30.0
    import_timeout_seconds: float = 900.0
    #: concurrent HTTP requests of the gateway; one backend service may hold at most
    #: ``gateway_backend_calls`` of them (0: 40%), so a slow one cannot starve the others.
    gateway_workers: int = 40
    gateway_backend_calls: int = 0
    #: concurrent workers (commands, queries, deliveries) of each backend service process; calls
    #: beyond them wait in the broker. Size the gateway's calls per backend to at least the workers
    #: of all its processes (docs/operations.md, "Throughput").
    service_workers: int = 10
    #: how often the relay looks at the log when nothing woke it (seconds).
    relay_poll_seconds: float = 0.2
    #: how long an event handler taking deliveries in batches lets a small batch gather more
    #: before applying it (seconds; 0: at once). A batch's own cost (its transaction, the reads of
    #: its members, the early-warning lists' recomputation) is paid once for all it holds.
    batch_gather_seconds: float = 0.01
    #: the personal-data vault's master key file (0600, outside the data folder; shared/vaultkey.py).
    #: Empty: ``DANGVIEN_VAULT_KEY`` if set, else ``$XDG_CONFIG_HOME/dangvien/vault.key``.
    vault_key_file: str = ""
    #: the integrity key itself, "<key id>:<hex secret>[,...]" (last one signs), e.g. from a
    #: secret store; wins over the key file. Never stored in the data folder or a database.
    integrity_key: SecretStr | None = None
    #: the integrity key file (mode 0600); empty means "<data_dir>.integrity/integrity.key",
    #: created on first use beside (never inside) the data folder.
    integrity_key_file: str = ""
    #: where seals (signed statements of each store's head) are kept, apart from the stores;
    #: empty means "<data_dir>.integrity/seals".
    seal_dir: str = ""
    #: how often a process re-checks new events and seals a verified head (seconds; 0: never).
    integrity_interval_seconds: float = 30.0
    #: "json" in production, "console" on a terminal.
    log_format: str = "json"
    log_level: str = "INFO"

    @field_validator("reporting_partition")
    @classmethod
    def _partition_form(cls, value: str) -> str:
        Partition.parse(value)
        return value.strip()

    @model_validator(mode="after")
    def _one_log_per_service(self):
        """Services may share one KurrentDB, never one log on it (?log=<service>): each would
        read the others' events, share their relay checkpoint and collide on stream names."""
        owners: dict[tuple, str] = {}
        for service in SERVICES:
            key = kurrentdb_log(getattr(self, f"store_{service}"))
            if key is None:
                continue
            if key in owners:
                raise ValueError(
                    f"DANGVIEN_STORE_{owners[key].upper()} và DANGVIEN_STORE_{service.upper()} dùng chung một log "
                    f"KurrentDB / share one KurrentDB log ({key[1] or 'no log='}): give each service its own "
                    f"?log=<service>")
            owners[key] = service
        return self

    @field_validator("gateway_workers", "service_workers")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("phải ít nhất 1 / must be at least 1")
        return value

    @property
    def backend_calls(self) -> int:
        """Calls the gateway has in flight to one backend at most (its bulkhead)."""
        if self.gateway_backend_calls > 0:
            return min(self.gateway_backend_calls, self.gateway_workers)
        return max(1, self.gateway_workers * 2 // 5)

    @property
    def partition(self) -> Partition:
        return Partition.parse(self.reporting_partition)

    def store_url(self, service: str) -> str:
        return getattr(self, f"store_{service}") or f"sqlite:///{self.data_dir.resolve()}/{service}.events.db"

    def integrity_dir(self) -> Path:
        return Path(f"{self.data_dir.resolve()}.integrity")

    def integrity_key_path(self) -> Path:
        return Path(self.integrity_key_file).expanduser() if self.integrity_key_file else \
            self.integrity_dir() / "integrity.key"

    def seal_path(self) -> Path:
        return Path(self.seal_dir).expanduser() if self.seal_dir else self.integrity_dir() / "seals"

    def readmodel_url(self, service: str) -> str:
        return getattr(self, f"readmodel_{service}") or f"sqlite:///{self.data_dir.resolve()}/{service}.read.db"


def load(**overrides) -> Settings:
    return Settings(**overrides)


def kurrentdb_log(url: str) -> tuple[str, str] | None:
    """(server, log) of a KurrentDB store URL; None for other stores."""
    if not url.startswith(("kurrentdb", "esdb")):
        return None
    parts = urlsplit(url)
    log = dict(parse_qsl(parts.query)).get("log", "")
    return parts.hostname or "", log
