"""Projections: apply events to a read model in the same transaction as the checkpoint.

The bus is the doorbell, the store is the truth: a delivered event at or below the checkpoint
is a duplicate and is skipped; one beyond ``checkpoint + 1`` means something was missed (or
arrived out of order), so the missing events are read from the source's store first.
Positions are gap-free per source in SQLite and PostgreSQL; for KurrentDB, whose positions have
gaps, the store is read from the checkpoint up to the delivered event, which is equally safe.
"""
from __future__ import annotations

import abc
import threading
from typing import Callable, Iterable, Mapping

from shared.events import Envelope
from shared.eventstore import EventStore
from shared.readmodel import ReadModelDB, Tx

CHECKPOINT_DDL = """
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL,
    PRIMARY KEY (projection, source)
)
"""


class Projection(abc.ABC):
    """A read model: its tables, and how each event changes them."""

    name: str = ""
    #: the producing services this projection listens to
    sources: tuple[str, ...] = ()
    #: event types it cares about (None: all); others only move the checkpoint
    types: frozenset[str] | None = None

    @abc.abstractmethod
    def ddl(self) -> str:
        """CREATE TABLE IF NOT EXISTS ... statements, ';'-separated."""

    @abc.abstractmethod
    def apply(self, tx: Tx, event: Envelope) -> None:
        ...

    def tables(self) -> list[str]:
        import re
        return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", self.ddl())


class ProjectionRunner:
    def __init__(self, db: ReadModelDB, projection: Projection, stores: Mapping[str, EventStore],
                 on_applied: Callable[[str, int], None] | None = None):
        self.db, self.projection, self.stores = db, projection, stores
        self.on_applied = on_applied
        self._lock = threading.RLock()
        db.executescript(CHECKPOINT_DDL + ";" + projection.ddl())

    # -- checkpoints -----------------------------------------------------------------
    def _checkpoint(self, tx: Tx, source: str) -> int:
        """The checkpoint, locked for this transaction: replicas of a service sharing a read model
        take turns per source, so no event is applied twice (SQLite's BEGIN IMMEDIATE already
        serialises writers; PostgreSQL needs the row lock)."""
        if tx.pg:
            tx.execute("INSERT INTO projection_checkpoints (projection, source, position) VALUES (?, ?, 0) "
                       "ON CONFLICT (projection, source) DO NOTHING", (self.projection.name, source))
            return tx.scalar("SELECT position FROM projection_checkpoints WHERE projection = ? AND source = ? "
                             "FOR UPDATE", (self.projection.name, source), default=0)
        return tx.scalar("SELECT position FROM projection_checkpoints WHERE projection = ? AND source = ?",
                         (self.projection.name, source), default=0)

    def _set_checkpoint(self, tx: Tx, source: str, position: int) -> None:
        tx.execute("INSERT INTO projection_checkpoints (projection, source, position) VALUES (?, ?, ?) "
                   "ON CONFLICT (projection, source) DO UPDATE SET position = excluded.position",
                   (self.projection.name, source, position))

    def checkpoint(self, source: str) -> int:
        rows = self.db.query("SELECT position FROM projection_checkpoints WHERE projection = ? AND source = ?",
                             (self.projection.name, source))
        return rows[0][0] if rows else 0

    def _apply_all(self, tx: Tx, events: Iterable[Envelope]) -> int:
        wanted = self.projection.types
        n = 0
        for env in events:
            if wanted is None or env.type in wanted:
                self.projection.apply(tx, env)
            n += 1
        return n

    # -- the doorbell ----------------------------------------------------------------
    def handle(self, source: str, message: dict | Envelope) -> str:
        """Apply one delivered event: 'applied', 'duplicate', or 'filled' (a gap was read first)."""
        env = message if isinstance(message, Envelope) else Envelope.model_validate(message)
        with self._lock, self.db.transaction() as tx:
            seen = self._checkpoint(tx, source)
            if env.position <= seen:
                return "duplicate"
            outcome = "applied"
            if env.position > seen + 1:
                missing = list(self.stores[source].read_all(seen + 1, to_position=env.position - 1))
                self._apply_all(tx, missing)
                outcome = "filled" if missing else outcome
            self._apply_all(tx, [env])
            self._set_checkpoint(tx, source, env.position)
        if self.on_applied:
            self.on_applied(source, env.position)
        return outcome

    def catch_up(self, source: str, batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything the source has beyond the checkpoint; one transaction per batch."""
        total = 0
        store = self.stores[source]
        while True:
            with self._lock, self.db.transaction() as tx:
                seen = self._checkpoint(tx, source)
                events = list(store.read_all(seen + 1, limit=batch))
                if not events:
                    return total
                self._apply_all(tx, events)
                self._set_checkpoint(tx, source, events[-1].position)
            total += len(events)
            if progress:
                progress(len(events))
            if self.on_applied:
                self.on_applied(source, events[-1].position)

    def catch_up_all(self) -> int:
        return sum(self.catch_up(s) for s in self.projection.sources if s in self.stores)
