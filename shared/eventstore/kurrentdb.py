"""KurrentDB / EventStoreDB adapter (``kurrentdbclient``, gRPC).

Each of our events is one KurrentDB event: same id (our ``event_id`` must be a UUID), same type,
``data`` is the canonical JSON of the payload, and ``metadata`` is ``{"dangvien": "<JSON of the
other envelope fields>"}`` (the ``recorded_at`` text we chose, the hash and its link; one string
value because multi-stream appends accept string values only), so hashes are computed exactly as
in the SQL adapters and never depend on the server. ``stream_version`` is the KurrentDB stream
position and ``position`` the commit position (unique, increasing, with large gaps).

One KurrentDB serves a deployment; each service keeps its own **log**: ``?log=members`` in the
URL stores the streams as ``members:<stream>`` and ``read_all`` returns only that log (filtered
on the server). ``claim_log(service)`` records which service owns a log and refuses another.
Our bookkeeping streams (checkpoints, leases, event ids, owner) live outside the log's prefix.

Beside the SQL adapters (docs/kurrentdb.md):

- **event ids are unique across the log**: every event also writes a tiny marker stream
  ``dangvien-id-<log>:<event id>`` with "no stream" expected, naming its stream and version, so a
  reused id anywhere is found (and ``find_event`` is two reads, not a scan);
- **multi-stream appends are atomic** on servers with ``multi_append_to_stream`` (KurrentDB
  25.1+): events and id markers go in one append session. On older servers (detected once, or
  ``?multi_append=false``) every stream is checked before the first write, but the writes are
  separate appends: a failure between them leaves the earlier streams written (a retry of the
  same batch then completes it, as the ids already stored are recognised);
- **the relay lease** is a lock stream written with expected versions: a holder renews it
  before it expires (``LEASE_SECONDS``), others take it only after it expired or was released;
- **checkpoints never move backwards**: a new value is written with the expected version of
  the last one read, and only if it is higher;
- **every call has a deadline** (``?deadline=<seconds>``, default 30) and is retried after a
  reconnect when the node is unavailable, the deadline passed or the node is no longer leader
  (then the client reconnects to the leader the node names). ``?reads=any`` lets reads of the log
  (``read_all``, ``head_position``) be served by followers too;
- ``count_after`` counts events (lag metrics), as positions are byte offsets;
- credentials in a ``tls=false`` URL would be silently dropped by the client: refused.

gRPC runs its streaming calls on helper threads; under ``eventlet.monkey_patch()`` (how
``dangvien serve`` runs) they are given real threads back and every call runs in an
``eventlet.tpool`` OS thread (``_real_threads_for_grpc``; docs/kurrentdb.md says why).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import socket
import sys
import time
import uuid
from typing import Callable, Iterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kurrentdbclient import KurrentDBClient, NewEvents, StreamState
from kurrentdbclient import NewEvent as KdbEvent
from kurrentdbclient.client import DEFAULT_EXCLUDE_FILTER
from kurrentdbclient.exceptions import (DeadlineExceededError, ExceptionThrownByHandlerError, GrpcError,
                                        InvalidCommitPositionError, MaximumAppendSizeExceededError,
                                        NodeIsNotLeaderError, NotFoundError, RecordMaxSizeExceededError,
                                        ServiceUnavailableError, TransactionMaxSizeExceededError,
                                        WrongCurrentVersionError)

from shared.errors import batch_too_large
from shared.events import Envelope, NewEvent, canonical_json
from shared.eventstore.port import ANY, NO_STREAM, ConcurrencyError, EventStore, LogInUse, PartialRetryError
from shared.eventstore.records import chain

#: envelope fields kept in the KurrentDB metadata (type, stream, versions and data live elsewhere)
META_FIELDS = ("event_id", "schema_version", "occurred_on", "recorded_at", "org_unit_id", "actor",
               "correlation_id", "causation_id", "hash", "prev_hash")
MARK = "dangvien"  # metadata key telling our events from anyone else's on a shared server
CHECKPOINT_TYPE = "dangvien.checkpoint"
LEASE_TYPE = "dangvien.lease"
ID_TYPE = "dangvien.event-id"
OWNER_TYPE = "dangvien.log-owner"
BOOKKEEPING_TYPES = (CHECKPOINT_TYPE, LEASE_TYPE, ID_TYPE, OWNER_TYPE)
PAGE = 1000
ANY_RETRIES = 20  # appends with expected_version=ANY re-chain on the new tail this many times
CALL_RETRIES = 5  # a call failing on an unavailable node / passed deadline / leader change
LEASE_SECONDS = 10.0
DEFAULT_DEADLINE = 30.0
COUNT_CAP = 1_000_000  # count_after stops counting here (a metric, not a scan of a huge log)
RETRYABLE = (ServiceUnavailableError, DeadlineExceededError, NodeIsNotLeaderError, ExceptionThrownByHandlerError)
#: the server's refusals of a write for its size (the v2 transaction, one record, a v1 append)
TOO_LARGE = (TransactionMaxSizeExceededError, RecordMaxSizeExceededError, MaximumAppendSizeExceededError)


class _PartlyWritten(PartialRetryError):
    """A server before 25.1 refused one stream of a batch for its size after earlier streams of it
    were written (appends there are not atomic across streams)."""

    def __init__(self, stream: str):
        super().__init__(f"stream {stream}: refused for its size after earlier streams of the batch were written")


def _sizes(exc: Exception) -> tuple[int | None, int | None]:
    """(size, maximum) of a size refusal, as far as the server said them."""
    size, max_size = getattr(exc, "size", None), getattr(exc, "max_size", None)
    if max_size is None:  # a v1 refusal says only "Max size is N"
        found = re.search(r"(\d+)", str(exc))
        max_size = int(found.group(1)) if found else None
    return size, max_size


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
    """Run a gRPC call; under eventlet in a real OS thread, so green threads keep running.
    (Already in such a thread, ``tpool.execute`` runs it in place.)"""
    if _green():
        _real_threads_for_grpc()
        from eventlet import tpool
        tpool.QUIET = True  # a ConcurrencyError is an answer, not a crash to print
        return tpool.execute(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def _whole(method):
    """Run a whole store operation (several gRPC calls) in one real thread: one hand-off from
    the hub instead of one per call."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        return _blocking(method, self, *args, **kwargs)
    return run


def _pause(seconds: float) -> None:
    """Sleep in the thread we are in (a real one under eventlet: never the hub's green sleep)."""
    if _green():
        from eventlet import patcher
        patcher.original("time").sleep(seconds)
    else:
        time.sleep(seconds)


OUR_OPTIONS = ("log", "reads", "deadline", "multi_append")


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """Take our own query parameters out (the client refuses fields it does not know)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in OUR_OPTIONS}
    rest = urlencode([(k, v) for k, v in query if k not in OUR_OPTIONS])
    return urlunsplit(parts._replace(query=rest)), ours


def refuse_dropped_credentials(conn_url: str) -> None:
    """The client sends a user name and password only over TLS: with ``tls=false`` it drops them
    without a word, and an insecure server would then take every call as anonymous."""
    parts = urlsplit(conn_url)
    options = {k.lower(): v.lower() for k, v in parse_qsl(parts.query)}
    if (parts.username or parts.password) and options.get("tls") == "false":
        raise ValueError(
            "KurrentDB: thông tin đăng nhập trong URL sẽ bị bỏ khi tls=false / the URL names a user and "
            "password but tls=false: the client would drop them silently. Use TLS, or remove the "
            "credentials for an insecure server.")


#: names the KurrentDB record of an event whose id is not a UUID in its canonical spelling
RECORD_ID_NAMESPACE = uuid.UUID("5b0c7d1e-2f44-5a8e-9c61-3d7f0e9a4b12")


def record_id(event_id: str) -> uuid.UUID:
    """The KurrentDB record id of our event id. KurrentDB records need UUIDs, our ids are any
    string (an import line may name its fact ``E1``, or with an upper-case GUID), so an id that is
    not a UUID as ``str(uuid)`` spells it is mapped to a name-based UUID of it. The event's own id
    stays in the metadata: it is what reads compare."""
    try:
        as_uuid = uuid.UUID(event_id)
    except ValueError:
        return uuid.uuid5(RECORD_ID_NAMESPACE, event_id)
    return as_uuid if str(as_uuid) == event_id else uuid.uuid5(RECORD_ID_NAMESPACE, event_id)


def to_kdb_event(fields: dict) -> KdbEvent:
    meta = {name: fields[name] for name in META_FIELDS}
    return KdbEvent(type=fields["type"], data=canonical_json(fields["data"]).encode("utf-8"),
                    metadata=canonical_json({MARK: canonical_json(meta)}).encode("utf-8"),
                    id=record_id(fields["event_id"]))


def to_envelope(rec, stream: str) -> Envelope | None:
    """Our envelope from a recorded event, or None when the event is not one of ours."""
    if rec.type.startswith("$") or rec.stream_name.startswith("$") or rec.type in BOOKKEEPING_TYPES:
        return None
    try:
        meta = json.loads(rec.metadata)
    except ValueError:
        return None
    if not isinstance(meta, dict) or MARK not in meta:
        return None
    if isinstance(meta[MARK], str):
        meta = json.loads(meta[MARK])
    fields = {name: meta.get(name) for name in META_FIELDS}  # (or the first format: fields at the top)
    fields["recorded_at"] = dt.datetime.fromisoformat(meta["recorded_at"].replace("Z", "+00:00"))
    return Envelope(type=rec.type, stream=stream, stream_version=rec.stream_position,
                    position=rec.commit_position, data=json.loads(rec.data), **fields)


def foreign_envelope(rec, stream: str) -> Envelope:
    """A record of one of the log's streams that carries no envelope of ours (written around the
    service), as the verifier sees it: its hash says so (``shared.integrity`` names it ``foreign``)."""
    from shared.integrity import FOREIGN_HASH
    recorded = getattr(rec, "recorded_at", None) or dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return Envelope(event_id=str(rec.id), type=str(rec.type), schema_version=0, stream=stream,
                    stream_version=rec.stream_position, position=rec.commit_position, occurred_on=recorded.date(),
                    recorded_at=recorded, data={}, hash=FOREIGN_HASH, prev_hash="")


def _json_event(type_: str, data: dict) -> KdbEvent:
    return KdbEvent(type=type_, data=canonical_json(data).encode("utf-8"))


def _current(version: int):
    return StreamState.NO_STREAM if version < 0 else version


class KurrentDBEventStore(EventStore):
    def __init__(self, url: str, log: str | None = None):
        super().__init__()
        self.url = url
        conn_url, ours = split_url(url)
        refuse_dropped_credentials(conn_url)
        self.log = log or ours.get("log")
        if self.log is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", self.log):
            raise ValueError(f"invalid log name: {self.log!r}")
        self.deadline = float(ours.get("deadline", DEFAULT_DEADLINE))
        if ours.get("reads", "leader") not in ("leader", "any"):
            raise ValueError(f"reads must be leader or any, not {ours['reads']!r}")
        #: None until the server told us whether it has multi-stream appends (25.1+)
        self._multi: bool | None = False if ours.get("multi_append") == "false" else None
        if self.log:
            # Server-side filter on our stream prefix: system and other logs' events never travel.
            self._filter = dict(filter_include=(re.escape(self.log + ":") + ".*",), filter_by_stream_name=True)
        else:
            self._filter = dict(filter_exclude=(*DEFAULT_EXCLUDE_FILTER, *map(re.escape, BOOKKEEPING_TYPES)))
        self._client = _blocking(KurrentDBClient, conn_url)
        self._reader = self._client
        if ours.get("reads") == "any":
            sep = "&" if urlsplit(conn_url).query else "?"
            self._reader = _blocking(KurrentDBClient, conn_url + sep + "NodePreference=random")
        self._trimmed: set[str] = set()
        #: None until known: whether the log holds events written before id markers existed
        self._unmarked: bool | None = None
        self._leases: dict[str, float] = {}  # lease name -> until (wall clock) while we hold it
        self._holder = f"{socket.gethostname()}:{uuid.uuid4()}"

    # -- names -----------------------------------------------------------------------
    def _kdb_stream(self, stream: str) -> str:
        return f"{self.log}:{stream}" if self.log else stream

    def _our_stream(self, kdb_stream: str) -> str:
        return kdb_stream[len(self.log) + 1:] if self.log else kdb_stream

    def _side_stream(self, kind: str, name: str) -> str:
        # Outside the log's prefix, so read_all never returns them.
        return f"dangvien-{kind}-{self.log}:{name}" if self.log else f"dangvien-{kind}-{name}"

    def _checkpoint_stream(self, name: str) -> str:
        return self._side_stream("checkpoint", name)

    def _id_stream(self, event_id: str) -> str:
        return self._side_stream("id", event_id)

    def _envelope(self, rec, foreign: bool = False) -> Envelope | None:
        env = to_envelope(rec, self._our_stream(rec.stream_name))
        if env is None and foreign and self.log and not rec.type.startswith("$"):
            return foreign_envelope(rec, self._our_stream(rec.stream_name))  # the filter: a stream of the log
        return env

    # -- every gRPC call: deadline, reconnect, retry -------------------------------------
    def _call(self, fn: Callable, client: KurrentDBClient | None = None):
        """``fn(client)`` in a real thread; retried after a reconnect when the node is unavailable,
        the deadline passed or the node is not (any more) the leader."""
        client = client or self._client
        for attempt in range(CALL_RETRIES):
            try:
                return _blocking(fn, client)
            except NodeIsNotLeaderError as exc:
                if attempt == CALL_RETRIES - 1:
                    raise
                target = f"{exc.host}:{exc.port}" if exc.host and exc.port else None
                self._reconnect(client, target)
            except RETRYABLE:
                if attempt == CALL_RETRIES - 1:
                    raise
                _pause(min(0.2 * 2 ** attempt, 2.0))
                self._reconnect(client, None)
        raise AssertionError("unreachable")

    def _reconnect(self, client: KurrentDBClient, target: str | None) -> None:
        try:
            _blocking(client.reconnect, target)
        except Exception:  # the node is still down: the next attempt reports it
            pass

    def _records(self, stream: str, reader: bool = False, **kwargs) -> list:
        def read(client):
            try:
                return list(client.get_stream(stream, timeout=self.deadline, **kwargs))
            except NotFoundError:
                return []
        return self._call(read, self._reader if reader else None)

    def _all_page(self, start: int | None, limit: int, backwards: bool = False) -> list:
        def read(client):
            with client.read_all(commit_position=start, limit=limit, backwards=backwards,
                                 timeout=self.deadline, **self._filter) as response:
                return list(response)  # materialised here: errors surface inside the retry
        return self._call(read, self._reader)

    def _append(self, stream: str, events: list[KdbEvent], current) -> int:
        return self._call(lambda c: c.append_to_stream(stream, events=events, current_version=current,
                                                       timeout=self.deadline))

    def _last(self, stream: str):
        records = self._records(stream, backwards=True, limit=1)
        return records[0] if records else None

    # -- writing ---------------------------------------------------------------------
    def append_batch(self, batches: Sequence[tuple[str, Sequence[NewEvent], int]]) -> list[Envelope]:
        batches = [(stream, list(events), expected) for stream, events, expected in batches if events]
        if not batches:
            return []
        out = self._append_batch(batches)
        self._notify_appended()  # in the caller's (green) thread: waiters are green threads
        return out

    @_whole
    def _append_batch(self, batches) -> list[Envelope]:
        careful = False
        for _ in range(ANY_RETRIES):
            try:
                out = self._append_once(batches, careful)
                break
            except _Retry:
                careful = True  # the log changed under us: check every stream and id next time
        else:
            stream = batches[0][0]
            raise ConcurrencyError(stream, batches[0][2], self.stream_version(stream))
        return out

    def _append_once(self, batches, careful: bool) -> list[Envelope]:
        """One attempt. With atomic appends the server enforces expected versions and (through the
        id markers' "no stream") unique ids, so a first attempt reads only what it needs to chain
        hashes: nothing for a new stream. After a conflict (``careful``) every stream and id is
        checked before writing, which tells a retried batch from a real conflict."""
        # One entry per stream (an append session takes each stream once): later runs of a stream
        # continue its first run, so their expected version must follow on (or be ANY).
        plan: dict[str, dict] = {}
        for stream, events, expected in batches:
            entry = plan.setdefault(stream, {"events": [], "expected": expected, "runs": []})
            entry["runs"].append((len(entry["events"]), expected))
            entry["events"].extend(events)
        ids = [e.event_id for _, events, _ in batches for e in events]
        if len(set(ids)) != len(ids):
            raise PartialRetryError("the batch names one event id twice")
        stored: dict[str, Envelope] = {}
        fast = self._multi is not False and not careful  # (unknown yet: try the atomic append)
        if not fast:
            stored = self._stored_elsewhere(ids)
            if stored and len(stored) != len(ids):
                if not self._partial_write_leftover(plan, stored):
                    raise PartialRetryError("some events of the batch are already stored")
        writes: list[tuple[str, list[dict], int]] = []
        for stream, entry in plan.items():
            if all(e.event_id in stored for e in entry["events"]):
                continue
            if fast and entry["expected"] == NO_STREAM:
                found, version, last_hash = None, -1, None  # the server refuses it if the stream exists
            else:
                found, version, last_hash = self._tail(stream, entry["events"], entry["expected"])
            if found is not None:
                stored.update((env.event_id, env) for env in found)
                continue
            for offset, expected in entry["runs"][1:]:
                if expected != ANY and expected != version + offset:
                    raise ConcurrencyError(stream, expected, version + offset)
            writes.append((stream, chain(stream, entry["events"], version, last_hash, 0), version))
        if writes:
            self._write(writes, {s: plan[s]["expected"] for s, _, _ in writes})
            stored.update(self._read_back_all(writes))
        return [stored[e.event_id] for _, events, _ in batches for e in events]

    def _read_back_all(self, writes) -> dict[str, Envelope]:
        """The envelopes just written (an append returns only the last commit position): the
        newest page of the log holds them unless others wrote a lot meanwhile; else per stream."""
        wanted = {r["event_id"] for _, rows, _ in writes for r in rows}
        found = {}
        if len(wanted) <= 5 * PAGE:
            for rec in self._all_page(None, len(wanted) + 100, backwards=True):
                if (env := self._envelope(rec)) is not None and env.event_id in wanted:
                    found[env.event_id] = env
        if len(found) == len(wanted):
            return found
        for stream, rows, version in writes:
            found.update((env.event_id, env) for env in
                         self._read_back(self._kdb_stream(stream), version + 1, [r["event_id"] for r in rows]))
        return found

    def _partial_write_leftover(self, plan, stored) -> bool:
        """Without atomic appends, a batch cut short by a failure has whole streams stored and
        others not: its retry completes it. Anything else mixing stored and new ids is refused."""
        for entry in plan.values():
            hits = sum(e.event_id in stored for e in entry["events"])
            if 0 < hits < len(entry["events"]):
                return False
        return True

    def _tail(self, stream: str, events: list[NewEvent], expected: int):
        """(stored envelopes of a retried batch or None, current version, last hash)."""
        kdb_stream = self._kdb_stream(stream)
        # newest first; for ANY, a retry of this batch would be the stream's last events
        records = self._records(kdb_stream, backwards=True, limit=len(events) if expected == ANY else 1)
        last = records[0] if records else None
        if last and expected != ANY and last.stream_position > expected:
            # A retry of this batch would sit right after the version it expected.
            records = self._records(kdb_stream, stream_position=expected + 1, limit=len(events))
        ids = {e.event_id for e in events}
        stored = [env for env in map(self._envelope, records) if env is not None and env.event_id in ids]
        if stored:
            if len(stored) != len(ids):
                raise PartialRetryError(f"stream {stream}: some events of the batch are already stored")
            return stored, None, None
        version = last.stream_position if last else -1
        env = self._envelope(last) if last else None
        if expected != ANY and expected != version:
            raise ConcurrencyError(stream, expected, version)
        return None, version, env.hash if env else None

    def _write(self, writes: list[tuple[str, list[dict], int]], expected: dict[str, int]) -> None:
        try:
            self._write_sized(writes, expected)
        except TOO_LARGE as exc:
            # The server refused the write as a whole for its size: the same write would be refused
            # again, so the caller is told what to do instead of a retry or a bare gRPC error.
            raise batch_too_large(*_sizes(exc)) from None

    def _write_sized(self, writes: list[tuple[str, list[dict], int]], expected: dict[str, int]) -> None:
        markers = [(r["event_id"], stream, r["stream_version"]) for stream, rows, _ in writes for r in rows]
        if self._multi is not False:
            requests = [NewEvents(self._kdb_stream(stream), [to_kdb_event(r) for r in rows], _current(version))
                        for stream, rows, version in writes]
            requests += [NewEvents(self._id_stream(eid), [_json_event(ID_TYPE, {"stream": s, "version": v})],
                                   StreamState.NO_STREAM) for eid, s, v in markers]
            try:
                self._call(lambda c: c.multi_append_to_stream(requests, timeout=self.deadline))
                self._multi = True
                return
            except WrongCurrentVersionError as exc:
                self._conflict(exc.stream_name, expected)
            except GrpcError as exc:
                if self._multi is None and "UNIMPLEMENTED" in str(exc):
                    self._multi = False  # a server before 25.1: separate appends from now on
                    raise _Retry(ids=True) from None
                raise
        # Separate appends (not atomic across streams, see the module doc).
        for n, (stream, rows, version) in enumerate(writes):
            try:
                self._append(self._kdb_stream(stream), [to_kdb_event(r) for r in rows], _current(version))
            except WrongCurrentVersionError:
                self._conflict(self._kdb_stream(stream), expected)
            except TOO_LARGE:
                if n:  # earlier streams are written: not "nothing written" (a retry writes the rest)
                    raise _PartlyWritten(stream) from None
                raise
        for eid, s, v in markers:
            self._append(self._id_stream(eid), [_json_event(ID_TYPE, {"stream": s, "version": v})], StreamState.ANY)

    def _conflict(self, kdb_stream: str, expected: dict[str, int]):
        """An append met a concurrent writer: start over. The next attempt's reads sort it out: a
        retried batch is recognised, ANY re-chains on the new tail, an expected version that no
        longer holds is reported; a conflict on an id marker means an id is already stored."""
        raise _Retry(ids=kdb_stream.startswith(self._side_stream("id", "")))

    def _stored_elsewhere(self, ids: list[str]) -> dict[str, Envelope]:
        """The stored events among ``ids``, wherever they are (found by their id markers)."""
        out = {}
        for eid in ids:
            env = self._by_marker(eid)
            if env is not None:
                out[eid] = env
        return out

    def _by_marker(self, event_id: str) -> Envelope | None:
        marker = self._last(self._id_stream(event_id))
        if marker is None:
            return None
        where = json.loads(marker.data)
        records = self._records(self._kdb_stream(where["stream"]), stream_position=where["version"], limit=1)
        env = self._envelope(records[0]) if records else None
        if env is not None and env.event_id == event_id:
            return env
        return None  # a marker left by a write that failed half-way: the event is not stored

    def _read_back(self, kdb_stream: str, first_version: int, event_ids: list[str]) -> list[Envelope]:
        """The stored envelopes: the append only returns the last commit position."""
        wanted = set(event_ids)
        found = [env for env in map(self._envelope, self._records(kdb_stream, stream_position=first_version,
                                                                   limit=len(wanted)))
                 if env is not None and env.event_id in wanted]
        if len(found) != len(wanted):  # the server took them as a retry of events stored earlier
            found = [env for env in map(self._envelope, self._records(kdb_stream))
                     if env is not None and env.event_id in wanted]
        return found

    # -- log ownership ---------------------------------------------------------------
    @_whole
    def claim_log(self, service: str) -> None:
        """Record that ``service`` owns this log; refuse if another service already does."""
        stream = self._side_stream("owner", "log") if self.log else "dangvien-owner-log"
        for _ in range(3):
            first = self._records(stream, limit=1)
            if first:
                owner = json.loads(first[0].data)["service"]
                if owner != service:
                    raise LogInUse(
                        f"KurrentDB log {self.log or '(no log= prefix)'} thuộc dịch vụ {owner} / belongs to the "
                        f"{owner} service, not {service}: give each service its own ?log=<service>")
                return
            try:
                self._append(stream, [_json_event(OWNER_TYPE, {"service": service})], StreamState.NO_STREAM)
                return
            except WrongCurrentVersionError:
                continue

    # -- reading ---------------------------------------------------------------------
    @_whole
    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        records = self._records(self._kdb_stream(stream), stream_position=from_version)
        return [env for env in map(self._envelope, records) if env is not None]

    #: ``read_all(foreign=True)`` also yields the records of the log's streams that are not ours
    #: (``FOREIGN_HASH``): the verifier reads so; every other reader passes over them
    reads_foreign = True

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None, foreign: bool = False) -> Iterator[Envelope]:
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
                env = self._envelope(rec, foreign)
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

    @_whole
    def event_at(self, position: int) -> tuple[int, str] | None:
        """One record read from the commit position itself (``read_all`` starts one before it, which
        is no commit position, and would scan from the start): the first of this log's at or after it."""
        try:
            page = self._all_page(position, 1)
        except InvalidCommitPositionError:
            return None  # no record starts there: not the event the checkpoint names
        for rec in page:
            env = self._envelope(rec)
            return (rec.commit_position, env.event_id if env is not None else "")
        return None

    @_whole
    def head_position(self) -> int:
        # Polled by wait_for_append: one event is enough when the log has its own prefix.
        for rec in self._backwards(first_page=1):
            if self._envelope(rec) is not None:
                return rec.commit_position
        return 0

    @_whole
    def count_after(self, position: int) -> int:
        """Events of the log after ``position`` (commit positions are byte offsets, not counts)."""
        n = 0
        for _ in self.read_all(position + 1, limit=COUNT_CAP):
            n += 1
        return n

    @_whole
    def stream_version(self, stream: str) -> int:
        last = self._last(self._kdb_stream(stream))
        return last.stream_position if last else -1

    def stream_names(self) -> Iterator[str]:
        yield from sorted({env.stream for env in self.read_all()})

    @_whole
    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        wanted = record_id(event_id)
        env = self._by_marker(event_id)
        if env is not None:
            return env
        if stream is not None:
            # Events stored before id markers existed: look in the stream the caller names
            for rec in reversed(self._records(self._kdb_stream(stream))):
                if rec.id == wanted:
                    return self._envelope(rec)
            return None
        if not self._unmarked_history():
            return None  # every event of the log has its marker: this id is not stored
        for rec in self._backwards():
            if rec.id == wanted and (env := self._envelope(rec)) is not None:
                return env
        return None

    def _unmarked_history(self) -> bool:
        """Whether the log began before id markers existed (its events are then found only by a
        scan): decided once, from the log's first event. Without it, every id not stored — each new
        event of a bulk import — cost a scan of the whole log."""
        if self._unmarked is None:
            for rec in self._all_page(None, 1):
                env = self._envelope(rec)
                self._unmarked = env is None or self._by_marker(env.event_id) is None
            if self._unmarked is None:
                self._unmarked = False  # an empty log: everything in it will have its marker
        return self._unmarked

    # -- checkpoints -----------------------------------------------------------------
    @_whole
    def get_checkpoint(self, name: str) -> int:
        last = self._last(self._checkpoint_stream(name))
        return json.loads(last.data)["position"] if last else 0

    @_whole
    def set_checkpoint(self, name: str, position: int) -> None:
        """Moves forward only: written with the version of the value it read, so a lagging writer
        (another replica, an old relay) can never put an older position back."""
        stream = self._checkpoint_stream(name)
        for _ in range(ANY_RETRIES):
            last = self._last(stream)
            if last is not None and json.loads(last.data)["position"] >= position:
                return
            try:
                self._append(stream, [_json_event(CHECKPOINT_TYPE, {"position": position})],
                             _current(last.stream_position if last else -1))
            except WrongCurrentVersionError:
                continue
            self._trim(stream)
            return
        raise ConcurrencyError(stream, -2, -2)

    def _trim(self, stream: str) -> None:
        if stream not in self._trimmed:
            # Only the last value matters: let the server scavenge the older ones.
            self._call(lambda c: c.set_stream_metadata(stream, metadata={"$maxCount": 10}, timeout=self.deadline))
            self._trimmed.add(stream)

    # -- leases ----------------------------------------------------------------------
    @_whole
    def try_lease(self, name: str) -> bool:
        """A lock stream: the holder writes ``until`` and renews it before it passes; another
        process takes the lease only once it passed (or was released), with the expected
        version of what it read, so two cannot take it at once."""
        now = time.time()
        if self._leases.get(name, 0) - now > LEASE_SECONDS / 2:
            return True
        stream = self._side_stream("lease", name)
        last = self._last(stream)
        if last is not None:
            held = json.loads(last.data)
            if held["holder"] not in (None, self._holder) and held["until"] > now:
                self._leases.pop(name, None)
                return False
        until = now + LEASE_SECONDS
        try:
            self._append(stream, [_json_event(LEASE_TYPE, {"holder": self._holder, "until": until})],
                         _current(last.stream_position if last else -1))
        except WrongCurrentVersionError:
            self._leases.pop(name, None)
            return False
        self._trim(stream)
        self._leases[name] = until
        return True

    def _release_leases(self) -> None:
        for name in list(self._leases):
            stream = self._side_stream("lease", name)
            last = self._last(stream)
            if last is not None and json.loads(last.data)["holder"] == self._holder:
                try:
                    self._append(stream, [_json_event(LEASE_TYPE, {"holder": None, "until": 0})],
                                 last.stream_position)
                except WrongCurrentVersionError:
                    pass
            self._leases.pop(name, None)

    @_whole
    def close(self) -> None:
        try:
            self._release_leases()
        except Exception:  # the server is gone: the lease runs out by itself
            pass
        if self._reader is not self._client:
            _blocking(self._reader.close)
        _blocking(self._client.close)


class _Retry(Exception):
    """Start the append over: the log changed under it (``ids``: one of its ids is stored)."""

    def __init__(self, ids: bool = False):
        super().__init__()
        self.ids = ids
