"""A stand-in KurrentDB server for tests: the gRPC services ``kurrentdbclient`` calls, served
from the client's own generated protos, with an in-memory log (optionally kept in a file).

No KurrentDB server can be installed on the test machines, so the adapter is driven against
this. It implements what the adapter uses, as the real server behaves (KurrentDB 25.1):

- ``Streams.Read``: a stream or ``$all``, forwards/backwards, from a revision / commit position
  / start / end, ``count``, server-side filters (regex or prefix, on stream name or event type);
  a missing stream answers ``stream_not_found``; reading ``$all`` from a commit position that is
  no event's fails like the server (``InvalidPosition``); backwards reads exclude the position;
- ``Streams.Append`` and ``Streams.BatchAppend`` with expected revision / no stream / any /
  exists, answering wrong-expected-version as the server does;
- ``kurrentdb.protocol.v2.streams.StreamsService.AppendSession`` (multi-stream atomic append),
  unless started with ``--no-multi-append`` (then UNIMPLEMENTED, as servers before 25.1);
- ``Gossip.Read`` (one node, or the role given) for ``+discover`` URLs;
- ``requires-leader: true`` on a node started as ``--role follower`` is refused with
  "Leader info available" naming ``--leader``, like a follower of a real cluster.

Commit positions grow with gaps (as bytes do in the real log) and the log starts with a few
system events, so filtering and gap handling are exercised. ``--delay-ms`` slows every call.

Run: ``python -m tests.support.kurrentdb_standin --port 0`` prints ``listening on <port>``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf import any_pb2, empty_pb2
from google.rpc import status_pb2 as google_status_pb2
from grpc_status import rpc_status

from kurrentdbclient.protos.kurrent.rpc import errors_pb2 as kurrent_errors_pb2  # noqa: F401 (registers types)
from kurrentdbclient.protos.v1 import (gossip_pb2, gossip_pb2_grpc, shared_pb2, status_pb2, streams_pb2,
                                       streams_pb2_grpc)
from kurrentdbclient.protos.v2.streams import errors_pb2 as v2_errors_pb2
from kurrentdbclient.protos.v2.streams import streams_pb2 as v2_pb2
from kurrentdbclient.protos.v2.streams import streams_pb2_grpc as v2_grpc

ANY, NO_STREAM, EXISTS = "any", "no_stream", "exists"
ROW_OVERHEAD = 120  # bytes a record takes beside its data and metadata (positions are offsets)


@dataclass
class Record:
    id: str
    stream: str
    revision: int
    position: int
    type: str
    content_type: str
    metadata: bytes
    data: bytes
    created: int  # 100 ns ticks since the Unix epoch, as the server sends them

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "stream": self.stream, "revision": self.revision,
                           "position": self.position, "type": self.type, "content_type": self.content_type,
                           "metadata": self.metadata.decode("latin-1"), "data": self.data.decode("latin-1"),
                           "created": self.created})

    @classmethod
    def from_json(cls, line: str) -> "Record":
        f = json.loads(line)
        f["metadata"], f["data"] = f["metadata"].encode("latin-1"), f["data"].encode("latin-1")
        return cls(**f)


class WrongVersion(Exception):
    def __init__(self, stream: str, expected, actual: int):
        super().__init__(stream)
        self.stream, self.expected, self.actual = stream, expected, actual


class Log:
    """The database: every record in commit order, plus an index per stream."""

    def __init__(self, path: Path | None = None):
        self.lock = threading.Lock()
        self.records: list[Record] = []
        self.streams: dict[str, list[int]] = {}
        self.by_position: dict[int, int] = {}
        self.next_position = 0
        self._file = None
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    self._index(Record.from_json(line))
        if path is not None:
            self._file = open(path, "a", encoding="utf-8")
        if not self.records:  # a fresh server writes its own system events first
            self.write([("$epochs", ANY, [(str(uuid.uuid4()), "$epoch-information", "application/json", b"",
                                         b'{"epoch": 0}')]),
                        ("$scavenges", ANY, [(str(uuid.uuid4()), "$scavengeIndexInitialized", "application/json",
                                              b"", b"{}")])])

    def _index(self, rec: Record) -> None:
        self.by_position[rec.position] = len(self.records)
        self.streams.setdefault(rec.stream, []).append(len(self.records))
        self.records.append(rec)
        self.next_position = max(self.next_position, rec.position + ROW_OVERHEAD + len(rec.data) + len(rec.metadata))

    def revision(self, stream: str) -> int:
        idx = self.streams.get(stream)
        return self.records[idx[-1]].revision if idx else -1

    def check(self, stream: str, expected) -> int:
        current = self.revision(stream)
        ok = (expected == ANY or (expected == NO_STREAM and current == -1)
              or (expected == EXISTS and current >= 0) or expected == current)
        if not ok:
            raise WrongVersion(stream, expected, current)
        return current

    def write(self, appends: list[tuple[str, object, list[tuple]]]) -> list[Record]:
        """All or nothing: every stream is checked before anything is written (caller holds no lock)."""
        with self.lock:
            currents = [self.check(stream, expected) for stream, expected, _ in appends]
            out = []
            for (stream, _, events), current in zip(appends, currents):
                for i, (eid, etype, ctype, meta, data) in enumerate(events):
                    rec = Record(eid, stream, current + 1 + i, self.next_position, etype, ctype, meta, data,
                                 time.time_ns() // 100)
                    self._index(rec)
                    out.append(rec)
            if self._file is not None and out:
                self._file.write("".join(r.to_json() + "\n" for r in out))
                self._file.flush()
            return out


def _expected_of(options, *, v1: bool):
    which = options.WhichOneof("expected_stream_revision" if v1 else "expected_stream_position")
    if which in ("revision", "stream_position"):
        return getattr(options, which)
    return {"no_stream": NO_STREAM, "any": ANY, "stream_exists": EXISTS}[which]


def _read_event(rec: Record) -> streams_pb2.ReadResp:
    event = streams_pb2.ReadResp.ReadEvent.RecordedEvent(
        id=shared_pb2.UUID(string=rec.id),
        stream_identifier=shared_pb2.StreamIdentifier(stream_name=rec.stream.encode()),
        stream_revision=rec.revision, prepare_position=rec.position, commit_position=rec.position,
        metadata={"type": rec.type, "content-type": rec.content_type, "created": str(rec.created)},
        custom_metadata=rec.metadata, data=rec.data)
    return streams_pb2.ReadResp(event=streams_pb2.ReadResp.ReadEvent(event=event, commit_position=rec.position))


class Node:
    """What every service of the node shares: the log, its role and test knobs."""

    def __init__(self, log: Log, role: str = "leader", leader: str = "", multi_append: bool = True,
                 delay: float = 0.0, max_append_bytes: int = 0):
        self.log, self.role, self.leader, self.multi_append, self.delay = log, role, leader, multi_append, delay
        #: as a real server's maximum append (transaction) size; 0 = no limit
        self.max_append_bytes = max_append_bytes
        self.calls: dict[str, int] = {}

    def enter(self, name: str, context, writes: bool) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.delay:
            time.sleep(self.delay)
        headers = dict(context.invocation_metadata())
        if self.role != "leader" and (writes or headers.get("requires-leader") == "true"):
            host, _, port = self.leader.rpartition(":")
            context.set_trailing_metadata((("leader-endpoint-host", host), ("leader-endpoint-port", port)))
            context.abort(grpc.StatusCode.NOT_FOUND, "Leader info available")


class Streams(streams_pb2_grpc.StreamsServicer):
    def __init__(self, node: Node):
        self.node, self.log = node, node.log

    # -- Read ------------------------------------------------------------------------
    def Read(self, request, context):
        self.node.enter("Read", context, writes=False)
        o = request.options
        if o.WhichOneof("count_option") == "subscription":
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "subscriptions are not part of the stand-in")
        backwards = o.read_direction == streams_pb2.ReadReq.Options.Backwards
        count = o.count
        with self.log.lock:  # a snapshot: the answer is a consistent prefix of the log
            if o.WhichOneof("stream_option") == "stream":
                name = o.stream.stream_identifier.stream_name.decode()
                idx = self.log.streams.get(name)
                if not idx:
                    answer = [streams_pb2.ReadResp(stream_not_found=streams_pb2.ReadResp.StreamNotFound(
                        stream_identifier=o.stream.stream_identifier))]
                else:
                    recs = [self.log.records[i] for i in idx]
                    which = o.stream.WhichOneof("revision_option")
                    if backwards:
                        start = o.stream.revision if which == "revision" else len(recs) - 1
                        chosen = [r for r in reversed(recs) if r.revision <= start]
                    else:
                        start = o.stream.revision if which == "revision" else 0
                        chosen = [r for r in recs if r.revision >= start]
                    answer = [_read_event(r) for r in chosen[:count]]
            else:
                keep = self._filter(o, context)
                which = o.all.WhichOneof("all_option")
                recs = self.log.records
                if which == "position":
                    pos = o.all.position.commit_position
                    if pos not in self.log.by_position and pos != 0:
                        context.abort(grpc.StatusCode.UNKNOWN, "Unexpected FilteredReadAllResult: InvalidPosition"
                                      if keep is not None else "Unexpected ReadAllResult: InvalidPosition")
                    at = self.log.by_position.get(pos, 0)
                    chosen = reversed(recs[:at]) if backwards else recs[at:]
                elif which == "end":
                    chosen = reversed(recs) if backwards else []
                else:
                    chosen = [] if backwards else recs
                answer = []
                for r in chosen:
                    if len(answer) >= count:
                        break
                    if keep is None or keep(r):
                        answer.append(_read_event(r))
        yield from answer

    @staticmethod
    def _filter(o, context):
        if o.WhichOneof("filter_option") != "filter":
            return None
        by_stream = o.filter.WhichOneof("filter") == "stream_identifier"
        expr = o.filter.stream_identifier if by_stream else o.filter.event_type
        field = (lambda r: r.stream) if by_stream else (lambda r: r.type)
        if expr.prefix:
            prefixes = tuple(expr.prefix)
            return lambda r: field(r).startswith(prefixes)
        try:
            regex = re.compile(expr.regex)
        except re.error as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad filter regex: {exc}")
        return lambda r: regex.search(field(r)) is not None

    # -- Append ----------------------------------------------------------------------
    def Append(self, request_iterator, context):
        self.node.enter("Append", context, writes=True)
        first = next(request_iterator)
        o = first.options
        stream = o.stream_identifier.stream_name.decode()
        expected = _expected_of(o, v1=True)
        events = [(m.id.string, m.metadata["type"], m.metadata["content-type"], m.custom_metadata, m.data)
                  for m in (r.proposed_message for r in request_iterator)]
        try:
            out = self.log.write([(stream, expected, events)])
        except WrongVersion as exc:
            wev = streams_pb2.AppendResp.WrongExpectedVersion()
            if exc.actual < 0:
                wev.current_no_stream.CopyFrom(shared_pb2.Empty())
            else:
                wev.current_revision = exc.actual
            if isinstance(expected, int):
                wev.expected_revision = expected
            elif expected == ANY:
                wev.expected_any.CopyFrom(shared_pb2.Empty())
            elif expected == EXISTS:
                wev.expected_stream_exists.CopyFrom(shared_pb2.Empty())
            else:
                wev.expected_no_stream.CopyFrom(shared_pb2.Empty())
            return streams_pb2.AppendResp(wrong_expected_version=wev)
        success = streams_pb2.AppendResp.Success()
        if out:
            success.current_revision = out[-1].revision
            success.position.CopyFrom(streams_pb2.AppendResp.Position(commit_position=out[-1].position,
                                                                      prepare_position=out[-1].position))
        else:
            success.no_position.CopyFrom(shared_pb2.Empty())
            success.no_stream.CopyFrom(shared_pb2.Empty())
        return streams_pb2.AppendResp(success=success)

    def BatchAppend(self, request_iterator, context):
        self.node.enter("BatchAppend", context, writes=True)
        pending: dict[str, tuple] = {}
        for req in request_iterator:
            cid = req.correlation_id.string
            if req.HasField("options"):
                o = req.options
                pending[cid] = (o.stream_identifier.stream_name.decode(), _expected_of(o, v1=False), [])
            stream, expected, events = pending[cid]
            events.extend((m.id.string, m.metadata["type"], m.metadata["content-type"], m.custom_metadata, m.data)
                          for m in req.proposed_messages)
            if not req.is_final:
                continue
            del pending[cid]
            resp = streams_pb2.BatchAppendResp(correlation_id=req.correlation_id,
                                               stream_identifier=shared_pb2.StreamIdentifier(stream_name=stream.encode()))
            try:
                out = self.log.write([(stream, expected, events)])
            except WrongVersion as exc:
                wev = shared_pb2.WrongExpectedVersion()
                if exc.actual < 0:
                    wev.current_no_stream.CopyFrom(empty_pb2.Empty())
                else:
                    wev.current_stream_revision = exc.actual
                detail = any_pb2.Any()
                detail.Pack(wev)
                resp.error.CopyFrom(status_pb2.Status(code=9, message="WrongExpectedVersion", details=detail))
            else:
                success = streams_pb2.BatchAppendResp.Success()
                if out:
                    success.current_revision = out[-1].revision
                    success.position.CopyFrom(shared_pb2.AllStreamPosition(commit_position=out[-1].position,
                                                                           prepare_position=out[-1].position))
                else:
                    success.no_position.CopyFrom(empty_pb2.Empty())
                    success.no_stream.CopyFrom(empty_pb2.Empty())
                resp.success.CopyFrom(success)
            yield resp


def _abort_rich(context, code: grpc.StatusCode, message: str, detail) -> None:
    packed = any_pb2.Any()
    packed.Pack(detail)
    context.abort_with_status(rpc_status.to_status(
        google_status_pb2.Status(code=code.value[0], message=message, details=[packed])))


class StreamsV2(v2_grpc.StreamsServiceServicer):
    """Multi-stream atomic appends (KurrentDB 25.1+)."""

    def __init__(self, node: Node):
        self.node, self.log = node, node.log

    def AppendSession(self, request_iterator, context):
        if not self.node.multi_append:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        self.node.enter("AppendSession", context, writes=True)
        appends, seen = [], set()
        for req in request_iterator:
            if req.stream in seen:
                _abort_rich(context, grpc.StatusCode.ABORTED, f"Stream {req.stream} already in append session",
                            v2_errors_pb2.StreamAlreadyInAppendSessionErrorDetails(stream=req.stream))
            seen.add(req.stream)
            expected = req.expected_revision if req.HasField("expected_revision") else -2
            expected = {-1: NO_STREAM, -2: ANY, -4: EXISTS}.get(expected, expected)
            events = []
            for r in req.records:
                meta = {k: v.string_value for k, v in r.properties.items()}
                ctype = "application/json" if r.schema.format == v2_pb2.SCHEMA_FORMAT_JSON else "application/octet-stream"
                events.append((r.record_id, r.schema.name, ctype,
                               json.dumps(meta).encode() if meta else b"", r.data))
            appends.append((req.stream, expected, events))
        if not appends:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no append requests")
        size = sum(len(meta) + len(data) for _, _, events in appends for *_, meta, data in events)
        if self.node.max_append_bytes and size > self.node.max_append_bytes:
            _abort_rich(context, grpc.StatusCode.ABORTED,
                        f"Transaction size {size} exceeds the maximum of {self.node.max_append_bytes} bytes",
                        v2_errors_pb2.AppendTransactionSizeExceededErrorDetails(
                            size=size, max_size=self.node.max_append_bytes))
        try:
            out = self.log.write(appends)
        except WrongVersion as exc:
            exp = {NO_STREAM: -1, ANY: -2, EXISTS: -4}.get(exc.expected, exc.expected)
            _abort_rich(context, grpc.StatusCode.FAILED_PRECONDITION,
                        f"Append failed due to revision conflict in stream '{exc.stream}'. "
                        f"Expected revision: {exp}. Actual revision: {exc.actual}.",
                        v2_errors_pb2.StreamRevisionConflictErrorDetails(stream=exc.stream, expected_revision=exp,
                                                                         actual_revision=exc.actual))
        outputs = []
        for stream, _, events in appends:
            last = [r for r in out if r.stream == stream][-1] if events else None
            outputs.append(v2_pb2.AppendResponse(stream=stream, stream_revision=last.revision if last else -1,
                                                 position=last.position if last else 0))
        return v2_pb2.AppendSessionResponse(output=outputs, position=out[-1].position if out else 0)


class Gossip(gossip_pb2_grpc.GossipServicer):
    def __init__(self, node: Node, address: str):
        self.node, self.address = node, address

    def Read(self, request, context):
        self.node.calls["Gossip"] = self.node.calls.get("Gossip", 0) + 1
        host, _, port = self.address.rpartition(":")
        state = gossip_pb2.MemberInfo.Leader if self.node.role == "leader" else gossip_pb2.MemberInfo.Follower
        member = gossip_pb2.MemberInfo(instance_id=shared_pb2.UUID(string=str(uuid.uuid4())), state=state,
                                       is_alive=True, http_end_point=gossip_pb2.EndPoint(address=host, port=int(port)))
        return gossip_pb2.ClusterInfo(members=[member])


def serve(port: int = 0, data: Path | None = None, **node_options) -> tuple[grpc.Server, int, Node]:
    node = Node(Log(data), **node_options)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    streams_pb2_grpc.add_StreamsServicer_to_server(Streams(node), server)
    v2_grpc.add_StreamsServiceServicer_to_server(StreamsV2(node), server)
    gossip_pb2_grpc.add_GossipServicer_to_server(Gossip(node, f"127.0.0.1:{bound}"), server)
    server.start()
    return server, bound, node


# -- for tests: the stand-in as a separate process ------------------------------------------
class StandIn:
    """A stand-in server in its own OS process; ``url`` is how a store connects to it."""

    def __init__(self, port: int = 0, data: Path | None = None, extra: tuple[str, ...] = ()):
        args = [sys.executable, "-m", "tests.support.kurrentdb_standin", "--port", str(port)]
        if data is not None:
            args += ["--data", str(data)]
        root = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, cwd=root, start_new_session=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"stand-in KurrentDB did not start: {line}{self.proc.stderr.read()}")
        self.port = int(line.split()[-1])
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"kurrentdb://{self.address}?tls=false"

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


@contextlib.contextmanager
def standin(**kwargs):
    server = StandIn(**kwargs)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def kurrentdb_server():
    """The KurrentDB URL for a test: ``KURRENTDB_URL`` (a real server) when set, else a stand-in."""
    url = os.environ.get("KURRENTDB_URL")
    if url:
        yield url
        return
    with standin() as server:
        yield server.url


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--data", type=Path, default=None, help="keep the log in this file (survives restarts)")
    p.add_argument("--role", choices=("leader", "follower"), default="leader")
    p.add_argument("--leader", default="", help="host:port a follower names as the leader")
    p.add_argument("--no-multi-append", action="store_true", help="behave as a server before 25.1")
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--max-append-bytes", type=int, default=0, help="refuse larger append sessions, as a server does")
    a = p.parse_args(argv)
    server, port, _ = serve(a.port, a.data, role=a.role, leader=a.leader, multi_append=not a.no_multi_append,
                            delay=a.delay_ms / 1000, max_append_bytes=a.max_append_bytes)
    print(f"listening on {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
