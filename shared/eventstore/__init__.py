"""Event store port and adapters. ``open_store(url)`` picks the adapter from the URL scheme:

- ``sqlite:///path/to/file.db`` (embedded default; ``?synchronous=full`` syncs every commit)
- ``postgresql://user@host:5432/db`` (psycopg 3)
- ``kurrentdb://host:2113?tls=false`` or ``esdb://...`` (KurrentDB / EventStoreDB)
"""
from shared.eventstore.port import (ANY, NO_STREAM, Checkpoints, ConcurrencyError, EventLog, EventStore,
                                    EventStoreError, EventStreams, Leases, LogInUse, PartialRetryError)


def open_store(url: str) -> EventStore:
    if url.startswith("sqlite:///"):
        from urllib.parse import parse_qsl

        from shared.eventstore.sqlite import SQLiteEventStore
        path, _, query = url[len("sqlite:///"):].partition("?")
        options = dict(parse_qsl(query))
        return SQLiteEventStore(path, **({"synchronous": options["synchronous"]} if "synchronous" in options else {}))
    if url.startswith(("postgresql://", "postgres://")):
        from shared.eventstore.postgres import PostgresEventStore
        return PostgresEventStore(url)
    if url.startswith(("kurrentdb://", "esdb://", "kurrentdb+discover://", "esdb+discover://")):
        from shared.eventstore.kurrentdb import KurrentDBEventStore
        return KurrentDBEventStore(url)
    raise ValueError(f"unknown event store URL scheme: {url.split(':', 1)[0]}")


__all__ = ["ANY", "NO_STREAM", "Checkpoints", "ConcurrencyError", "EventLog", "EventStore", "EventStoreError",
           "EventStreams", "Leases", "LogInUse", "PartialRetryError", "open_store"]
