"""The event store port by role: every operation of a store belongs to exactly one of its four
roles (streams, log, checkpoints, leases), and every adapter plays all four."""
from __future__ import annotations

import inspect

from shared.buffered import BufferedStore
from shared.eventstore import Checkpoints, EventLog, EventStore, EventStreams, Leases
from shared.eventstore.kurrentdb import KurrentDBEventStore
from shared.eventstore.postgres import PostgresEventStore
from shared.eventstore.sqlite import SQLiteEventStore

ROLES = (EventStreams, EventLog, Checkpoints, Leases)


def operations(cls) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_each_operation_of_the_port_has_exactly_one_role():
    by_role = [operations(role) for role in ROLES]
    assert sum(len(ops) for ops in by_role) == len(set().union(*by_role))  # no operation in two roles
    assert operations(EventStore) - {"close"} == set().union(*by_role)
    assert {"append", "read_stream"} <= operations(EventStreams)
    assert {"read_all", "head_position", "subscribe"} <= operations(EventLog)


def test_every_adapter_plays_every_role():
    for adapter in (SQLiteEventStore, PostgresEventStore, KurrentDBEventStore, BufferedStore):
        assert all(issubclass(adapter, role) for role in ROLES), adapter
        assert not inspect.isabstract(adapter), adapter
