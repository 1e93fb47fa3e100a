"""KurrentDB / EventStoreDB adapter (``kurrentdbclient``, gRPC).

Each of our events is one KurrentDB event: same id (our ``event_id`` must be a UUID), same type,
``data`` is the canonical JSON of the payload, and ``metadata`` carries the other envelope fields
(the ``recorded_at`` text we chose, the hash and its link), so hashes are computed exactly as in
the SQL adapters and never depend on the server. ``stream_version`` is the KurrentDB stream
position and ``position`` the commit position.

Where this adapter differs from the SQL ones (DESIGN.md §2-§3):

- positions are commit positions: unique and increasing, but with (large) gaps;
- ``append_batch`` is *not* atomic across streams: every stream is checked (expected version,
  already stored ids) before the first write, but the writes are separate appends, so a conflict
  that appears between them leaves the earlier streams written (KurrentDB 25.1+ has an atomic
  ``multi_append_to_stream``; not used yet, as no such server was available to test against);
- a retried batch is recognised in its own stream only (the SQL adapters look the ids up in the
  whole log): after the expected version, or anywhere in the stream for ``ANY``, which reads it
  whole; ``find_event`` and ``stream_names`` scan the log, as KurrentDB has no index by event
  id: fine for tools and occasional look-ups, costly on hot paths;
- the server already refuses to edit events; the hash chain still lets anyone check exports.

Several services may share one server: ``?log=members`` in the URL (or ``log=``) stores the
streams as ``members:<stream>`` and ``read_all`` then returns only that log, filtered on the
server. Without it, every non-system event that carries our metadata is part of the log.

The gRPC calls block in C; under eventlet they run in ``eventlet.tpool`` so the hub keeps going.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
import uuid
from typing import Callable, Iterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kurrentdbclient import KurrentDBClient, StreamState
from kurrentdbclient import NewEvent as KdbEvent
from kurrentdbclient.client import DEFAULT_EXCLUDE_FILTER
from kurrentdbclient.exceptions import (InvalidCommitPositionError, NotFoundError,
                                        WrongCurrentVersionError)

from shared.events import Envelope, NewEvent, canonical_json
from shared.eventstore.port import ANY, ConcurrencyError, EventStore, PartialRetryError
from shared.eventstore.records import chain

#: envelope fields kept in the KurrentDB metadata (type, stream, versions and data live elsewhere)
META_FIELDS = ("event_id", "schema_version", "occurred_on", "recorded_at", "org_unit_id", "actor",
               "correlation_id", "causation_id", "hash", "prev_hash")
MARK = "dangvien"  # metadata key telling our events from anyone else's on a shared server
CHECKPOINT_TYPE = "dangvien.checkpoint"
PAGE = 1000
ANY_RETRIES = 20  # appends with expected_version=ANY re-chain on the new tail this many times


def _green() -> bool:
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and patcher.is_monkey_patched("thread")


_REAL_THREADS_FOR: set[str] = set()  # the modules already given real threads
_GRPC_PACKAGES = ("grpc", "grpc_status", "kurrentdbclient")


def _real_threads_for_grpc() -> None:
    """Under ``eventlet.monkey_patch()``: give gRPC and the client real threads again.

    gRPC's Python layer runs its streaming calls on helper threads (the channel's spin thread,
    the request-iterator consumer) and waits for them on ``threading.Condition``. Patched, those
    become green threads and green conditions: the spin thread then blocks its OS thread in C
    while the waiting call, a greenlet of the same OS thread, never runs again — every call hangs.
    Here the modules of ``grpc``, ``grpc_status`` and ``kurrentdbclient`` get the original
    ``threading``/``time`` back (as ``eventlet.tpool`` itself uses), and every call runs in a
    ``tpool`` OS thread (``_blocking``), so it neither blocks the hub nor waits on green objects.
    """
    if not _green():
        return
    import grpc._channel  # noqa: F401 (imported lazily by grpc at the first channel: rebind it too)
    import grpc._plugin_wrapping  # noqa: F401
    todo = [name for name, module in list(sys.modules.items())
            if module is not None and name not in _REAL_THREADS_FOR and name.split(".")[0] in _GRPC_PACKAGES]
    if not todo:
        return
    from eventlet import patcher
    green_threading, real_threading = sys.modules["threading"], patcher.original("threading")
    green_time, real_time = sys.modules["time"], patcher.original("time")
    swap: dict[int, object] = {id(green_threading): real_threading, id(green_time): real_time}
    for mod_green, mod_real in ((green_threading, real_threading), (green_time, real_time)):
        for name in dir(mod_real):
            green_value = getattr(mod_green, name, None)
            if callable(green_value) and green_value is not getattr(mod_real, name):
                swap[id(green_value)] = getattr(mod_real, name)
    for name in todo:
        module = sys.modules[name]
        for attr, value in list(vars(module).items()):
            if id(value) in swap:
                setattr(module, attr, swap[id(value)])
        _REAL_THREADS_FOR.add(name)


def _blocking(fn: Callable, *args, **kwargs):
    """Run a gRPC call; under eventlet in a real OS thread, so green threads keep running."""
    if _green():
        _real_threads_for_grpc()
        from eventlet import tpool
        return tpool.execute(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def split_url(url: str) -> tuple[str, str | None]:
    """Take our ``log`` query parameter out (the client refuses fields it does not know)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    log = next((v for k, v in query if k == "log"), None)
    rest = urlencode([(k, v) for k, v in query if k != "log"])
    return urlunsplit(parts._replace(query=rest)), log


def to_kdb_event(fields: dict) -> KdbEvent:
    meta = {name: fields[name] for name in META_FIELDS}
    meta[MARK] = 1
    return KdbEvent(type=fields["type"], data=canonical_json(fields["data"]).encode("utf-8"),
                    metadata=canonical_json(meta).encode("utf-8"), id=uuid.UUID(fields["event_id"]))


def to_envelope(rec, stream: str) -> Envelope | None:
    """Our envelope from a recorded event, or None when the event is not one of ours."""
    if rec.type.startswith("$") or rec.stream_name.startswith("$"):
        return None
    try:
        meta = json.loads(rec.metadata)
    except ValueError:
        return None
    if not isinstance(meta, dict) or MARK not in meta:
        return None
    fields = {name: meta.get(name) for name in META_FIELDS}
    fields["recorded_at"] = dt.datetime.fromisoformat(meta["recorded_at"].replace("Z", "+00:00"))
    return Envelope(type=rec.type, stream=stream, stream_version=rec.stream_position,
                    position=rec.commit_position, data=json.loads(rec.data), **fields)


class KurrentDBEventStore(EventStore):
    def __init__(self, url: str, log: str | None = None):
        super().__init__()
        self.url = url
        conn_url, url_log = split_url(url)
        self.log = log or url_log
        if self.log is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", self.log):
            raise ValueError(f"invalid log name: {self.log!r}")
        if self.log:
            # Server-side filter on our stream prefix: system and other logs' events never travel.
            self._filter = dict(filter_include=(re.escape(self.log + ":") + ".*",), filter_by_stream_name=True)
        else:
            self._filter = dict(filter_exclude=(*DEFAULT_EXCLUDE_FILTER, re.escape(CHECKPOINT_TYPE)))
        self._client = _blocking(KurrentDBClient, conn_url)
        self._trimmed: set[str] = set()

    # -- names -----------------------------------------------------------------------
    def _kdb_stream(self, stream: str) -> str:
        return f"{self.log}:{stream}" if self.log else stream

    def _our_stream(self, kdb_stream: str) -> str:
        return kdb_stream[len(self.log) + 1:] if self.log else kdb_stream

    def _checkpoint_stream(self, name: str) -> str:
        # Outside the log's prefix, so read_all never returns checkpoints.
        return f"dangvien-checkpoint-{self.log}:{name}" if self.log else f"dangvien-checkpoint-{name}"

    def _envelope(self, rec) -> Envelope | None:
        if rec.type == CHECKPOINT_TYPE:
            return None
        return to_envelope(rec, self._our_stream(rec.stream_name))

    # -- raw reads (each one gRPC call, materialised inside _blocking) ----------------
    def _records(self, stream: str, **kwargs) -> list:
        def read():
            try:
                return list(self._client.get_stream(stream, **kwargs))
            except NotFoundError:
                return []
        return _blocking(read)

    def _all_page(self, start: int | None, limit: int, backwards: bool = False) -> list:
        def read():
            with self._client.read_all(commit_position=start, limit=limit, backwards=backwards,
                                       **self._filter) as response:
                return list(response)
        return _blocking(read)

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        batches = [(stream, list(events), expected) for stream, events, expected in batches if events]
        # Check every stream before writing any (no cross-stream transaction: see module doc).
        # A stream's later runs in the same batch are checked when written, after its first run.
        checked: dict[str, tuple] = {}
        for stream, events, expected in batches:
            if stream not in checked:
                checked[stream] = self._tail(stream, events, expected)
        out: list[Envelope] = []
        for stream, events, expected in batches:
            stored, version, last_hash = checked.pop(stream, None) or self._tail(stream, events, expected)
            out.extend(stored if stored is not None else self._write(stream, events, expected, version, last_hash))
        if out:
            self._notify_appended()
        return out

    def _tail(self, stream: str, events: list[NewEvent], expected: int):
        """(stored envelopes of a retried batch or None, current version, last hash)."""
        kdb_stream = self._kdb_stream(stream)
        if expected == ANY:
            records = self._records(kdb_stream)  # a retry could sit anywhere in the stream
        else:
            records = self._records(kdb_stream, backwards=True, limit=1)
            if records and records[0].stream_position > expected:
                # A retry of this batch would sit right after the version it expected.
                records = self._records(kdb_stream, stream_position=expected + 1)
        ids = {uuid.UUID(e.event_id) for e in events}
        stored = [self._envelope(r) for r in records if r.id in ids]
        if stored:
            if len(stored) != len(ids):
                raise PartialRetryError(f"stream {stream}: some events of the batch are already stored")
            return stored, None, None
        if not records:
            version, last_hash = -1, None
        else:
            last = self._envelope(records[-1])
            version, last_hash = records[-1].stream_position, last.hash if last else None
        if expected != ANY and expected != version:
            raise ConcurrencyError(stream, expected, version)
        return None, version, last_hash

    def _write(self, stream: str, events: list[NewEvent], expected: int, version: int,
               last_hash: str | None) -> list[Envelope]:
        kdb_stream = self._kdb_stream(stream)
        for _ in range(ANY_RETRIES):
            rows = chain(stream, events, version, last_hash, 0)
            current = StreamState.NO_STREAM if version < 0 else version
            try:
                # Always the exact version, even for ANY: the hashes cover stream_version.
                _blocking(self._client.append_to_stream, kdb_stream,
                          events=[to_kdb_event(r) for r in rows], current_version=current)
            except WrongCurrentVersionError:
                if expected != ANY:
                    raise ConcurrencyError(stream, expected, self.stream_version(stream)) from None
                stored, version, last_hash = self._tail(stream, events, ANY)
                if stored is not None:
                    return stored  # someone else stored this very batch meanwhile
                continue
            return self._read_back(kdb_stream, version + 1, [r["event_id"] for r in rows])
        raise ConcurrencyError(stream, expected, self.stream_version(stream))

    def _read_back(self, kdb_stream: str, first_version: int, event_ids: list[str]) -> list[Envelope]:
        """The stored envelopes: the append only returns the last commit position."""
        wanted = {uuid.UUID(i) for i in event_ids}
        found = [r for r in self._records(kdb_stream, stream_position=first_version) if r.id in wanted]
        if len(found) != len(wanted):  # the server took them as a retry of events stored earlier
            found = [r for r in self._records(kdb_stream) if r.id in wanted]
        return [self._envelope(r) for r in found]

    # -- reading ---------------------------------------------------------------------
    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        records = self._records(self._kdb_stream(stream), stream_position=from_version)
        return [env for env in map(self._envelope, records) if env is not None]

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        # The server only starts reads at existing commit positions. Callers resume from
        # "last seen + 1", so start at from_position - 1 and drop what is below from_position;
        # if that is not an event either, scan from the start (correct, only slower).
        start = from_position - 1 if from_position > 1 else None
        left = limit
        while left is None or left > 0:
            try:
                page = self._all_page(start, PAGE)
            except InvalidCommitPositionError:
                if start is None:
                    raise
                start = None
                continue
            for rec in page:
                if rec.commit_position < from_position:
                    continue
                if to_position is not None and rec.commit_position > to_position:
                    return
                env = self._envelope(rec)
                if env is None:
                    continue
                yield env
                if left is not None:
                    left -= 1
                    if left == 0:
                        return
            if len(page) < PAGE:
                return
            start = page[-1].commit_position  # inclusive: dropped by the check below
            from_position = start + 1

    def _backwards(self, first_page: int = PAGE) -> Iterator:
        """Our log's records, newest first (raw: callers decide what to turn into envelopes)."""
        start, size = None, first_page
        while True:
            page = self._all_page(start, size, backwards=True)  # backwards excludes `start`
            yield from page
            if len(page) < size:
                return
            start, size = page[-1].commit_position, PAGE

    def head_position(self) -> int:
        # Polled by wait_for_append: one event is enough when the log has its own prefix.
        for rec in self._backwards(first_page=1):
            if self._envelope(rec) is not None:
                return rec.commit_position
        return 0

    def stream_version(self, stream: str) -> int:
        records = self._records(self._kdb_stream(stream), backwards=True, limit=1)
        return records[0].stream_position if records else -1

    def stream_names(self) -> Iterator[str]:
        yield from sorted({env.stream for env in self.read_all()})

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        try:
            wanted = uuid.UUID(event_id)
        except ValueError:
            return None  # never stored: KurrentDB ids are UUIDs
        if stream is not None:
            # No index by event id: a command's retry looks in the stream it writes to (cheap)
            for rec in reversed(self._records(self._kdb_stream(stream))):
                if rec.id == wanted:
                    return self._envelope(rec)
            return None
        # Newest first: a retried command looks for events it stored moments ago.
        for rec in self._backwards():
            if rec.id == wanted and (env := self._envelope(rec)) is not None:
                return env
        return None

    # -- checkpoints -----------------------------------------------------------------
    def get_checkpoint(self, name: str) -> int:
        records = self._records(self._checkpoint_stream(name), backwards=True, limit=1)
        return json.loads(records[0].data)["position"] if records else 0

    def set_checkpoint(self, name: str, position: int) -> None:
        stream = self._checkpoint_stream(name)
        event = KdbEvent(type=CHECKPOINT_TYPE, data=canonical_json({"position": position}).encode())
        _blocking(self._client.append_to_stream, stream, events=[event], current_version=StreamState.ANY)
        if stream not in self._trimmed:
            # Only the last checkpoint matters: let the server scavenge the older ones.
            _blocking(self._client.set_stream_metadata, stream, metadata={"$maxCount": 10})
            self._trimmed.add(stream)

    def close(self) -> None:
        _blocking(self._client.close)
