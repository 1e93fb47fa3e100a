"""A copy-on-write view of an event store, for all-or-nothing imports.

Commands run against it exactly as against the real store; appends stay in memory. If every
line of a file passes, ``commit`` writes the buffer to the real store in one ``append_batch``
(one transaction in the SQL adapters); otherwise it is dropped and nothing was written.

Reads of the real store are made once: a stream read is kept for the rest of the import, and
``prefetch`` learns in a few statements which of the streams and event ids a file names are
stored at all (a province's file names ~100,000 new members: otherwise two queries each). What
the view read is a snapshot; a live command writing one of its streams meanwhile makes ``commit``
fail on the stream's version, and the import writes nothing.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import datetime as dt

from shared.events import GENESIS_HASH, Envelope, NewEvent, format_recorded_at, utcnow
from shared.eventstore import ANY, ConcurrencyError, EventStore
from shared.eventstore.records import UNHASHED, SqlReads, _construct

#: names per ``IN (...)`` of a prefetch (SQLite's default limit is 32,766 parameters)
CHUNK = 500


def buffered(stream: str, events: Sequence[NewEvent], last_version: int, first_position: int) -> list[Envelope]:
    """The envelopes ``chain(..., hashed=False)`` would give these events, built straight from
    them: a buffered event is neither serialised nor hashed (``commit`` has the store do both),
    and the recording clock is read once per call (``chain``: once per batch), as stored:
    microseconds, UTC. The first event's link is the genesis hash, the others' the empty
    (unhashed) hash before them."""
    now = utcnow()
    out = []
    prev = GENESIS_HASH
    for i, ev in enumerate(events):
        rec = ev.recorded_at
        if rec is None:
            rec = now
        else:  # as ``chain`` stores it: the text form, read back
            text = format_recorded_at(rec)
            rec = dt.datetime.fromisoformat(text[:-1] + "+00:00")
        out.append(_construct({
            "event_id": ev.event_id, "type": ev.type, "schema_version": ev.schema_version, "stream": stream,
            "stream_version": last_version + 1 + i, "position": first_position + i,
            "occurred_on": ev.occurred_on,  # a date: ``NewEvent`` validated it
            "recorded_at": rec, "org_unit_id": ev.org_unit_id, "actor": ev.actor,
            "correlation_id": ev.correlation_id, "causation_id": ev.causation_id, "data": ev.data,
            "hash": UNHASHED, "prev_hash": prev, "source": None}))
        prev = UNHASHED
    return out


class BufferedStore(EventStore):
    def __init__(self, real: EventStore):
        super().__init__()
        self.real = real
        self._base_head = real.head_position()
        self._pending: list[tuple[str, NewEvent]] = []
        self._events: list[Envelope] = []  # the buffered envelopes, in append (= position) order
        self._by_stream: dict[str, list[Envelope]] = {}
        self._by_id: dict[str, Envelope] = {}
        self._start_version: dict[str, int] = {}
        self._stored: dict[str, list[Envelope]] = {}  # the real store's streams, read once
        self._absent_ids: set[str] = set()  # event ids known not to be in the real store

    # -- what the real store holds, read once ----------------------------------------------------
    def prefetch(self, streams: Iterable[str] = (), event_ids: Iterable[str] = ()) -> None:
        """Learn in bulk which of these streams and event ids the real store holds (streams it
        lacks are then known empty, ids it lacks known new, without a query each). Only an
        optimisation: anything not prefetched is read when asked for."""
        streams = [s for s in dict.fromkeys(streams) if s not in self._stored]
        ids = [i for i in dict.fromkeys(event_ids) if i not in self._absent_ids]
        if not isinstance(self.real, SqlReads):
            return  # no bulk read in this adapter: each is read on first use
        for i in range(0, len(streams), CHUNK):
            chunk = streams[i:i + CHUNK]
            found = {s for (s,) in self.real._query(self.real._sql(
                f"SELECT DISTINCT stream FROM events WHERE stream IN ({','.join('?' * len(chunk))})"), tuple(chunk))}
            for s in chunk:
                if s not in found:
                    self._stored[s] = []
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            found = {e for (e,) in self.real._query(self.real._sql(
                f"SELECT event_id FROM events WHERE event_id IN ({','.join('?' * len(chunk))})"), tuple(chunk))}
            self._absent_ids.update(e for e in chunk if e not in found)

    def _real_stream(self, stream: str) -> list[Envelope]:
        got = self._stored.get(stream)
        if got is None:
            got = self._stored[stream] = self.real.read_stream(stream)
        return got

    def _version(self, stream: str) -> int:
        own = self._by_stream.get(stream)
        if own:
            return own[-1].stream_version
        stored = self._real_stream(stream)
        return stored[-1].stream_version if stored else -1

    # -- the store's port ------------------------------------------------------------------------
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
            # store, which hashes and serialises them
            for env, ev in zip(buffered(stream, events, version, self._base_head + len(self._pending) + 1), events):
                own.append(env)
                self._events.append(env)
                self._by_id[env.event_id] = env
                self._pending.append((stream, ev))
                out.append(env)
        return out

    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        stored = self._real_stream(stream)
        own = self._by_stream.get(stream, ())
        if from_version <= 0:
            return [*stored, *own]
        return [e for e in stored if e.stream_version >= from_version] + \
            [e for e in own if e.stream_version >= from_version]

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        yield from self.real.read_all(from_position, limit, to_position)

    def head_position(self) -> int:
        return self._base_head + len(self._pending)

    def stream_version(self, stream: str) -> int:
        return self._version(stream)

    def stream_names(self) -> Iterator[str]:
        yield from self.real.stream_names()

    def holds(self, event_id: str) -> bool:
        """Whether the event was appended to this buffer (not read from the real store)."""
        return event_id in self._by_id

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        mine = self._by_id.get(event_id)
        if mine is not None or event_id in self._absent_ids:
            return mine
        return self.real.find_event(event_id, stream)

    def get_checkpoint(self, name: str) -> int:
        return self.real.get_checkpoint(name)

    def set_checkpoint(self, name: str, position: int) -> None:
        raise NotImplementedError("a buffered store is only for validating commands")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def pending_events(self) -> list[Envelope]:
        """What commands appended here and is not yet committed, in append order."""
        return list(self._events)

    def commit(self, envelopes: bool = True) -> list:
        """Write the buffer in order, one batch entry per run of consecutive events of a stream;
        the envelopes written, or (``envelopes=False``) only their positions."""
        batches: list[tuple[str, list[NewEvent], int]] = []
        version: dict[str, int] = dict(self._start_version)
        for stream, ev in self._pending:
            if batches and batches[-1][0] == stream:
                batches[-1][1].append(ev)
            else:
                batches.append((stream, [ev], version[stream]))
            version[stream] += 1
        if not batches:
            return []
        return self.real.append_batch(batches) if envelopes else self.real.append_positions(batches)

    def commit_positions(self) -> list[int]:
        """``commit`` answered with the positions written (a bulk import only counts them)."""
        return self.commit(False)
