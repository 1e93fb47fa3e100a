"""A copy-on-write view of an event store, for all-or-nothing imports.

Commands run against it exactly as against the real store; appends stay in memory. If every
line of a file passes, ``commit`` writes the buffer to the real store in one ``append_batch``
(one transaction in the SQL adapters); otherwise it is dropped and nothing was written.
"""
from __future__ import annotations

from typing import Iterator, Sequence

from shared.events import Envelope, NewEvent
from shared.eventstore import ANY, ConcurrencyError, EventStore
from shared.eventstore.records import appended, chain


class BufferedStore(EventStore):
    def __init__(self, real: EventStore):
        super().__init__()
        self.real = real
        self._base_head = real.head_position()
        self._pending: list[tuple[str, NewEvent]] = []
        self._by_stream: dict[str, list[Envelope]] = {}
        self._by_id: dict[str, Envelope] = {}
        self._start_version: dict[str, int] = {}

    def _version(self, stream: str) -> int:
        own = self._by_stream.get(stream)
        return own[-1].stream_version if own else self.real.stream_version(stream)

    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        out = []
        for stream, events, expected in batches:
            if not events:
                continue
            known = [self.find_event(e.event_id) for e in events]
            if all(known):
                out.extend(known)
                continue
            version = self._version(stream)
            if expected != ANY and expected != version:
                raise ConcurrencyError(stream, expected, version)
            own = self._by_stream.setdefault(stream, [])
            self._start_version.setdefault(stream, version)
            # not hashed here (so no link to read either): ``commit`` chains them again in the real
            # store, which hashes them
            rows = chain(stream, events, version, None, self._base_head + len(self._pending) + 1, hashed=False)
            for ev, row in zip(events, rows):
                env = appended(row)  # from the chained fields: no re-serialising or re-parsing
                own.append(env)
                self._by_id[env.event_id] = env
                self._pending.append((stream, ev))
                out.append(env)
        return out

    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        return [e for e in self.real.read_stream(stream, from_version)] + \
            [e for e in self._by_stream.get(stream, []) if e.stream_version >= from_version]

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        yield from self.real.read_all(from_position, limit, to_position)

    def head_position(self) -> int:
        return self._base_head + len(self._pending)

    def stream_version(self, stream: str) -> int:
        return self._version(stream)

    def stream_names(self) -> Iterator[str]:
        yield from self.real.stream_names()

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        return self._by_id.get(event_id) or self.real.find_event(event_id, stream)

    def get_checkpoint(self, name: str) -> int:
        return self.real.get_checkpoint(name)

    def set_checkpoint(self, name: str, position: int) -> None:
        raise NotImplementedError("a buffered store is only for validating commands")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def pending_events(self) -> list[Envelope]:
        """What commands appended here and is not yet committed, in append order."""
        return sorted((e for evs in self._by_stream.values() for e in evs), key=lambda e: e.position)

    def commit(self) -> list[Envelope]:
        """Write the buffer in order, one batch entry per run of consecutive events of a stream."""
        batches: list[tuple[str, list[NewEvent], int]] = []
        version: dict[str, int] = dict(self._start_version)
        for stream, ev in self._pending:
            if batches and batches[-1][0] == stream:
                batches[-1][1].append(ev)
            else:
                batches.append((stream, [ev], version[stream]))
            version[stream] += 1
        return self.real.append_batch(batches) if batches else []
