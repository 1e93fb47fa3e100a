"""The event store port, by role — ``EventStreams`` (aggregates), ``EventLog`` (the global log),
``Checkpoints``, ``Leases`` — and ``EventStore``, the four in one, with three adapters (SQLite,
PostgreSQL, KurrentDB).

Positions are global, 1-based and increasing; SQLite and PostgreSQL give them without gaps.
Stream versions are 0-based. ``expected_version`` is the version the caller last saw:
``NO_STREAM`` (-1) for a new stream, ``ANY`` to skip the check.
Appending an event whose ``event_id`` is already stored is a no-op (retries are safe).
"""
from __future__ import annotations

import abc
import threading
from typing import Iterator, Sequence

from shared.events import Envelope, NewEvent

NO_STREAM = -1
ANY = -2


class EventStoreError(Exception):
    pass


class ConcurrencyError(EventStoreError):
    """Someone appended to the stream after the caller read it."""

    def __init__(self, stream: str, expected: int, actual: int):
        super().__init__(f"stream {stream}: expected version {expected}, found {actual}")
        self.stream, self.expected, self.actual = stream, expected, actual


class PartialRetryError(EventStoreError):
    """A batch mixes already stored event ids with new ones: not a clean retry."""


class LogInUse(EventStoreError):
    """Another service already owns this store's log (``claim_log``)."""


class EventStreams(abc.ABC):
    """Role: the aggregates' streams — append with an expected version, read one stream back."""

    @abc.abstractmethod
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        """Append to several streams; atomic where the engine allows (SQL adapters)."""

    def append(self, stream: str, events: Sequence[NewEvent], expected_version: int = ANY) -> list[Envelope]:
        return self.append_batch([(stream, events, expected_version)])

    def append_positions(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[int]:
        """``append_batch`` for a caller that needs no envelope back (a bulk import): the same
        rows, checks and retries, answered with each event's global position, in batch order.
        The SQL adapters then build no envelope at all."""
        return [env.position for env in self.append_batch(batches)]

    @abc.abstractmethod
    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        ...

    def read_streams(self, streams: Sequence[str], event_id: str | None = None
                     ) -> tuple[dict[str, list[Envelope]], Envelope | None]:
        """What a command reads before it decides, at once: each named stream whole and the stored
        event with ``event_id`` (None when absent or not asked). The SQL adapters answer in one
        round trip; this default reads one after the other. What is answered is the caller's
        own: changing a payload in it changes nothing that a later read returns."""
        found = self.find_event(event_id, streams[0] if streams else None) if event_id else None
        return {name: self.read_stream(name) for name in dict.fromkeys(streams)}, found

    @abc.abstractmethod
    def stream_version(self, stream: str) -> int:
        """The last version of the stream, NO_STREAM when it has none."""

    @abc.abstractmethod
    def stream_names(self) -> Iterator[str]:
        ...

    @abc.abstractmethod
    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        """The stored event with this id. ``stream`` is a hint: engines without an index by
        event id (KurrentDB) look only there instead of scanning the log."""


class EventLog(abc.ABC):
    """Role: the global log — every event in position order, its head, waiting for more."""

    _appended: threading.Condition

    @abc.abstractmethod
    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        """Events with ``from_position <= position [<= to_position]`` in position order."""

    @abc.abstractmethod
    def head_position(self) -> int:
        """The highest stored position (0 when empty)."""

    def event_at(self, position: int) -> tuple[int, str] | None:
        """(position, event id) of the first event at or after ``position``; None past the head. A
        checkpoint's check (``shared.checkpoints_watch``): adapters answer it with one small read."""
        env = next(iter(self.read_all(position, limit=1)), None)
        return None if env is None else (env.position, env.event_id)

    def count_after(self, position: int) -> int:
        """How many events of the log come after ``position`` (lag metrics). Gap-free positions
        make it a subtraction; KurrentDB, whose positions are byte offsets, counts them."""
        return max(self.head_position() - position, 0)

    def _notify_appended(self) -> None:
        with self._appended:
            self._appended.notify_all()

    def wait_for_append(self, after_position: int, timeout: float) -> bool:
        """Block until the log passes ``after_position`` or the timeout ends.

        Appends in this process wake waiters at once; others are seen by polling.
        """
        if self.head_position() > after_position:
            return True
        with self._appended:
            self._appended.wait(timeout)
        return self.head_position() > after_position

    def subscribe(self, from_position: int = 1, poll: float = 0.2, stop=None) -> Iterator[Envelope]:
        """Endless iterator over the log from a position (catch-up, then live)."""
        position = from_position
        while stop is None or not stop():
            got = False
            for env in self.read_all(position, limit=1000):
                got = True
                position = env.position + 1
                yield env
            if not got:
                self.wait_for_append(position - 1, poll)


class Checkpoints(abc.ABC):
    """Role: named positions in the log (how far a relay or a reaction has gone)."""

    @abc.abstractmethod
    def get_checkpoint(self, name: str) -> int:
        ...

    @abc.abstractmethod
    def set_checkpoint(self, name: str, position: int) -> None:
        ...


class Leases(abc.ABC):
    """Role: who may work on the store — one relay among replicas, one service per log."""

    def try_lease(self, name: str) -> bool:
        """Take an exclusive lease named ``name``; False if another holds it. The holder calls it
        again now and then (KurrentDB's lease runs out unless renewed; the SQL ones last as long
        as the holder's process)."""
        return True

    def claim_log(self, service: str) -> None:
        """Record that ``service`` owns this store's log; raise if another service does.
        Meaningful where several services could share one server (KurrentDB)."""


class EventStore(EventStreams, EventLog, Checkpoints, Leases):
    """Port: one store plays the four roles. Adapters implement the abstract methods of each; code
    that needs one role names it (``EventStreams`` for a use case, ``EventLog`` for a projection)."""

    url: str = ""
    #: True when positions are 1, 2, 3, ... without gaps (SQL adapters): the verifier demands it
    positions_gapless: bool = False

    def __init__(self) -> None:
        self._appended = threading.Condition()

    def close(self) -> None:
        pass
