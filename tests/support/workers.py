"""Service workers for entrypoint tests (nameko's ``worker_factory``) on real parts: SQLite event
stores and read models in a temporary folder, the projections the service runs, the key vault.
Only the relay (which publishes stored events to the bus) is left to nameko's stand-in: an
entrypoint never calls it."""
from __future__ import annotations

import copy
from pathlib import Path

from nameko.rpc import Rpc
from nameko.testing.services import worker_factory

from shared.eventstore import open_store
from shared.readmodel import ReadModelDB


def rpc_names(service_cls) -> set[str]:
    """The names of the service's RPC entrypoints."""
    return {name for name in dir(service_cls)
            if any(isinstance(e, Rpc) for e in getattr(getattr(service_cls, name), "nameko_entrypoints", ()))}


class Stores(dict):
    """One SQLite event store per service, opened on first use."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def __missing__(self, service: str):
        store = self[service] = open_store(f"sqlite:///{self.folder}/{service}.events.db")
        return store


def projecting_worker(service_cls, folder: Path, stores: Stores, **dependencies):
    """A worker of a projecting service: its own store and its ``ProjectionsProvider`` wired to a
    read model in ``folder`` and to the stores it reads."""
    provider = service_cls.projections
    service = provider.service
    # a copy of the service's own provider (a subclass may carry more than projections: a key vault)
    projections = copy.copy(provider).wire(
        ReadModelDB(f"sqlite:///{folder}/{service}.read.db"), {s: stores[s] for s in provider.sources()})
    return worker_factory(service_cls, store=stores[service], projections=projections, **dependencies)
