"""The event store contract: every adapter passes the same tests (DESIGN.md §3, §5).

The ``backend`` fixture (conftest.py) runs each test on a real SQLite file, a real PostgreSQL
database and a KurrentDB: a real server when ``KURRENTDB_URL`` is set, else the stand-in gRPC
server the tests start (tests/support/kurrentdb_standin.py).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from shared.events import GENESIS_HASH, NewEvent, canonical_json, verify_chain
from shared.eventstore import ANY, NO_STREAM, ConcurrencyError, PartialRetryError

APPENDER = Path(__file__).with_name("appender.py")


def _load_appender():
    spec = importlib.util.spec_from_file_location("contract_appender", APPENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


appender = _load_appender()


def ev(i: int = 0, **fields) -> NewEvent:
    return NewEvent(type="test.happened", data={"i": i, "note": "Đảng viên Nguyễn Thị Hường"},
                    occurred_on=dt.date(2024, 1, 15), **fields)


def fill(store, n: int, streams: int = 3, batch: int = 1) -> list:
    """Append n events spread round-robin over a few streams; returns the envelopes."""
    out = []
    for start in range(0, n, batch):
        stream = f"s-{(start // batch) % streams}"
        out += store.append(stream, [ev(i) for i in range(start, min(n, start + batch))], ANY)
    return out


def positions(store, *args, **kwargs) -> list[int]:
    return [e.position for e in store.read_all(*args, **kwargs)]


def assert_log_order(backend, found: list[int], count: int) -> None:
    assert len(found) == count and len(set(found)) == count
    if backend.gap_free:
        assert found == list(range(1, count + 1))
    else:
        assert found == sorted(found)


# ==== EventStreams: the aggregates' streams ================================================
# -- writing and reading back ------------------------------------------------------------
def test_append_and_read_back_every_field(store):
    recorded = dt.datetime(2024, 2, 1, 8, 30, 15, 123456, tzinfo=dt.timezone.utc)
    first = NewEvent(
        type="member.admitted", schema_version=2, occurred_on=dt.date(2024, 1, 31),
        org_unit_id="chi-bo-ap-3", actor="Trần Văn Bảy", correlation_id="req-1", causation_id="cmd-1",
        recorded_at=recorded,
        data={"full_name": "Lê Thị Ngọc Ánh", "birth_date": "1990-05-06", "tags": ["Tây Ninh", "ấp 3"],
              "nested": {"z": 1, "a": None, "ý": True}})
    second = ev(7)
    written = store.append("member-1", [first, second], NO_STREAM)

    back = store.read_stream("member-1")
    assert back == written
    a, b = back
    assert (a.event_id, a.type, a.schema_version, a.stream, a.stream_version) == \
        (first.event_id, "member.admitted", 2, "member-1", 0)
    assert (a.occurred_on, a.recorded_at, a.org_unit_id, a.actor, a.correlation_id, a.causation_id) == \
        (dt.date(2024, 1, 31), recorded, "chi-bo-ap-3", "Trần Văn Bảy", "req-1", "cmd-1")
    assert a.data == first.data and b.data["note"] == "Đảng viên Nguyễn Thị Hường"
    assert (a.prev_hash, b.prev_hash) == (GENESIS_HASH, a.hash)
    assert b.stream_version == 1 and b.position > a.position
    assert b.recorded_at.tzinfo is not None  # stamped by the store
    assert abs((dt.datetime.now(dt.timezone.utc) - b.recorded_at).total_seconds()) < 60
    assert list(store.read_all()) == back
    assert store.find_event(first.event_id) == a
    assert store.read_stream("member-1", from_version=1) == [b]


def test_a_second_store_object_sees_the_same_log(backend, store):
    written = fill(store, 5)
    other = backend.open()
    assert list(other.read_all()) == written
    assert other.head_position() == written[-1].position


def test_empty_store(store):
    assert store.head_position() == 0
    assert store.stream_version("nothing") == NO_STREAM
    assert store.read_stream("nothing") == []
    assert list(store.read_all()) == []
    assert list(store.stream_names()) == []
    assert store.find_event(str(uuid.uuid4())) is None
    assert store.append("x", [], NO_STREAM) == []


def test_stream_version_head_position_names_and_find_event(store):
    written = fill(store, 7, streams=3)
    assert store.stream_version("s-0") == 2 and store.stream_version("s-2") == 1
    assert store.head_position() == written[-1].position
    assert list(store.stream_names()) == ["s-0", "s-1", "s-2"]
    for env in written:
        assert store.find_event(env.event_id) == env


def test_read_streams_reads_several_streams_and_an_event_by_id_at_once(backend, store):
    a = store.append("a", [ev(0), ev(1)], NO_STREAM)
    b = store.append("b", [ev(2)], NO_STREAM)
    assert store.read_streams(["a", "b", "none", "a"], b[0].event_id) == ({"a": a, "b": b, "none": []}, b[0])
    assert store.read_streams(["a"], str(uuid.uuid4())) == ({"a": a}, None)
    more = backend.open().append("a", [ev(3)], 1)  # another process appends to a stream read before
    streams, found = store.read_streams(["a"], a[0].event_id)
    assert streams == {"a": a + more} and found == a[0]
    assert store.read_streams(["a"]) == ({"a": store.read_stream("a")}, None)


def test_a_reader_changing_the_payloads_it_read_changes_nothing_the_next_reader_sees(store):
    """The SQL stores keep the streams a command read for the next command: a command that
    changes a payload it was handed (its own fold, say) must not change what the next one reads."""
    from shared.readahead import read_ahead
    from shared.application import Context
    nested = NewEvent(type="test.happened", data={"i": 0, "posts": [{"name": "Bí thư"}]},
                      occurred_on=dt.date(2024, 1, 15))
    written = store.append("unit", [nested, ev(1)], NO_STREAM)
    for _ in range(2):  # the first read fills what the store keeps, the second is answered from it
        streams, found = store.read_streams(["unit"], written[0].event_id)
        streams["unit"][0].data["posts"][0]["name"] = "changed"
        streams["unit"][1].data["i"] = 99
        streams["unit"].append(streams["unit"][0])
        found.data["extra"] = True
    view = read_ahead(store, ["unit"], Context(command_id=written[1].event_id))
    first = view.read_stream("unit")
    first[0].data["posts"].append({"name": "changed"})
    view.find_event(written[1].event_id).data["i"] = 7
    assert store.read_streams(["unit"], written[1].event_id) == ({"unit": written}, written[1])
    assert [env.data for env in store.read_stream("unit")] == [
        {"i": 0, "posts": [{"name": "Bí thư"}]}, {"i": 1, "note": "Đảng viên Nguyễn Thị Hường"}]


# -- optimistic concurrency --------------------------------------------------------------
def test_expected_version_conflict_raises_and_writes_nothing(store):
    store.append("member-1", [ev(0)], NO_STREAM)
    head = store.head_position()
    with pytest.raises(ConcurrencyError) as err:
        store.append("member-1", [ev(1), ev(2)], NO_STREAM)
    assert (err.value.stream, err.value.expected, err.value.actual) == ("member-1", NO_STREAM, 0)
    with pytest.raises(ConcurrencyError):
        store.append("member-1", [ev(1)], 5)
    with pytest.raises(ConcurrencyError):
        store.append("member-2", [ev(1)], 0)  # the stream does not exist yet
    assert len(store.read_stream("member-1")) == 1
    assert store.read_stream("member-2") == []
    assert store.head_position() == head
    assert store.append("member-1", [ev(1)], 0)[0].stream_version == 1
    assert store.append("member-1", [ev(2)], ANY)[0].stream_version == 2


# -- idempotency -------------------------------------------------------------------------
def test_same_batch_twice_is_stored_once(store):
    batch = [ev(0), ev(1), ev(2)]
    first = store.append("member-1", batch, NO_STREAM)
    head = store.head_position()
    again = store.append("member-1", batch, NO_STREAM)  # a retry: no conflict, same envelopes
    assert again == first
    assert [e.position for e in again] == [e.position for e in first]
    assert store.read_stream("member-1") == first
    assert store.head_position() == head



def test_an_event_id_need_not_be_a_uuid(store):
    """An import line may name its fact with any id (``event_id``: a non-empty string of at most
    100 characters, e.g. a source system's row key, or an upper-case GUID): every store keeps it,
    finds it and takes the same batch again as a retry — KurrentDB, whose records need UUIDs, too."""
    ids = ["E1", "kho-2020/000123", "C3A5B1F2-7D3E-4C1A-9F0B-2D6E8A4B5C71", "x" * 100]
    batch = [ev(i, event_id=eid) for i, eid in enumerate(ids)]
    first = store.append_batch([("member-1", batch[:2], NO_STREAM), ("member-2", batch[2:], NO_STREAM)])
    assert [e.event_id for e in first] == ids
    head = store.head_position()
    for env in first:
        assert store.find_event(env.event_id) == env
        assert store.find_event(env.event_id, env.stream) == env
    assert store.find_event("c3a5b1f2-7d3e-4c1a-9f0b-2d6e8a4b5c71") is None  # another string: another id
    again = store.append_batch([("member-1", batch[:2], NO_STREAM), ("member-2", batch[2:], NO_STREAM)])
    assert again == first and store.head_position() == head
    with pytest.raises(PartialRetryError):
        store.append("member-3", [batch[0], ev(9)], ANY)
    assert [e.event_id for e in store.read_all()] == ids

def test_partly_stored_batch_is_refused(store):
    stored = ev(0)
    store.append("member-1", [stored], NO_STREAM)
    head = store.head_position()
    with pytest.raises(PartialRetryError):
        store.append("member-1", [stored, ev(1)], ANY)
    assert len(store.read_stream("member-1")) == 1
    assert store.head_position() == head


# -- append_batch ------------------------------------------------------------------------
def test_append_batch_writes_several_streams(store):
    out = store.append_batch([("a", [ev(0), ev(1)], NO_STREAM), ("b", [ev(2)], NO_STREAM)])
    assert [(e.stream, e.stream_version) for e in out] == [("a", 0), ("a", 1), ("b", 0)]
    assert [e.position for e in out] == positions(store)


def test_append_batch_with_runs_of_the_same_stream(store):
    # The buffered import writes one entry per run of consecutive events of a stream.
    out = store.append_batch([("a", [ev(0)], NO_STREAM), ("b", [ev(1)], NO_STREAM), ("a", [ev(2), ev(3)], 0)])
    assert [(e.stream, e.stream_version) for e in out] == [("a", 0), ("b", 0), ("a", 1), ("a", 2)]
    assert store.read_stream("a") == [out[0], out[2], out[3]]
    assert verify_chain(store.read_stream("a")) is None


def test_append_batch_with_a_conflict_in_its_second_stream_writes_nothing(store):
    store.append("b", [ev(0)], NO_STREAM)
    head = store.head_position()
    with pytest.raises(ConcurrencyError):
        store.append_batch([("a", [ev(1)], NO_STREAM), ("b", [ev(2)], NO_STREAM)])
    assert store.read_stream("a") == []
    assert len(store.read_stream("b")) == 1
    assert store.head_position() == head


def test_append_batch_with_a_partial_retry_in_its_second_stream_writes_nothing(store):
    old = ev(0)
    store.append("b", [old], NO_STREAM)
    with pytest.raises(PartialRetryError):
        store.append_batch([("a", [ev(1)], NO_STREAM), ("b", [old, ev(2)], ANY)])
    assert store.read_stream("a") == []


# -- hash chain --------------------------------------------------------------------------
def test_hash_chain_verifies_and_detects_an_edited_row(backend, store):
    written = store.append("member-1", [ev(0), ev(1), ev(2)], NO_STREAM)
    store.append("member-1", [ev(3)], 2)
    assert verify_chain(store.read_stream("member-1")) is None
    forged = dict(written[1].data, note="Đảng viên khác")
    if backend.immutable:
        # The server refuses edits: forge the copy a reader got instead (an edited export).
        events = backend.open().read_stream("member-1")
        events[1] = events[1].model_copy(update={"data": forged})
        bad = verify_chain(events)
    else:
        backend.tamper(written[1].event_id, canonical_json(forged))
        bad = verify_chain(backend.open().read_stream("member-1"))
    assert bad is not None and bad.event_id == written[1].event_id


# ==== EventLog: the global log ============================================================
# -- the global log ----------------------------------------------------------------------
def test_global_order_is_gap_free_and_increasing(backend, store):
    written = fill(store, 30, streams=4)
    written += store.append("batch", [ev(i) for i in range(5)], NO_STREAM)
    assert [e.position for e in written] == positions(store)
    assert_log_order(backend, positions(store), 35)


def test_read_all_from_a_position_with_limit_and_upper_bound(store):
    fill(store, 12)
    all_positions = positions(store)
    p = all_positions
    assert positions(store, p[3]) == p[3:]
    assert positions(store, p[3] + 1) == p[4:]  # "last seen + 1", as subscribers ask
    assert positions(store, p[2], to_position=p[5]) == p[2:6]
    assert positions(store, p[2], limit=3) == p[2:5]
    assert positions(store, p[2], limit=3, to_position=p[3]) == p[2:4]
    assert positions(store, p[-1] + 1) == []
    assert positions(store, limit=0) == []


def test_read_all_pages_through_a_long_log(store):
    n = 2150  # more than one page in every adapter
    written = fill(store, n, streams=5, batch=50)
    assert positions(store) == [e.position for e in written]
    assert positions(store, limit=2101) == [e.position for e in written[:2101]]
    assert positions(store, written[1000].position + 1) == [e.position for e in written[1001:]]


def test_subscribe_sees_events_appended_by_another_store_object(backend, store):
    fill(store, 2)
    got: list = []
    done = threading.Event()

    def consume():
        for env in backend.open().subscribe(poll=0.05, stop=done.is_set):
            got.append(env)
            if len(got) == 4:
                done.set()

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    time.sleep(0.3)
    late = backend.open().append("late", [ev(8), ev(9)], NO_STREAM)
    reader.join(timeout=20)
    assert done.is_set(), f"subscriber saw only {len(got)} events"
    assert got[2:] == late


# -- two writers at once -----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_concurrent_appenders_keep_positions_and_streams_contiguous(backend, mode):
    n = 60
    if mode == "threads":
        stores = [backend.open(), backend.open()]
        start = threading.Barrier(2)
        errors: list[Exception] = []

        def run(store, name):
            start.wait()
            try:
                appender.write(store, name, n)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s, name)) for s, name in zip(stores, "ab")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads) and errors == []
    else:
        backend.open()  # create the schema first; the race on creation has its own test
        start_at = str(time.time() + 2.0)
        procs = [subprocess.Popen([sys.executable, str(APPENDER), backend.url, name, str(n), start_at],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in "ab"]
        try:
            for p in procs:
                _, err = p.communicate(timeout=240)
                assert p.returncode == 0, err
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    store = backend.open()
    log = list(store.read_all())
    assert_log_order(backend, [e.position for e in log], 4 * n)
    for stream, count in (("writer-a", n), ("writer-b", n), ("shared", 2 * n)):
        events = store.read_stream(stream)
        assert [e.stream_version for e in events] == list(range(count))
        assert verify_chain(events) is None
    shared = store.read_stream("shared")
    assert sorted((e.data["writer"], e.data["i"]) for e in shared) == \
        sorted((w, i) for w in "ab" for i in range(n))


def test_stores_opened_at_once_on_a_fresh_location(backend):
    # Schema creation must survive several processes starting together.
    errors = []

    def open_and_write(i):
        try:
            backend.open().append(f"boot-{i}", [ev(i)], NO_STREAM)
        except Exception as exc:  # noqa: BLE001 (collected and reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(list(backend.open().read_all())) == 4


# -- many writers sharing one store object (group commit) ---------------------------------------
def test_sixteen_threads_on_one_store_object_keep_every_guarantee(backend, store):
    """Sixteen threads append through ONE store object, as a service's worker threads do: with
    group commit several of their batches share a transaction. Each must still be all-or-nothing
    on its own: the conflicting ones are refused, the others stored, and what each caller got
    back is exactly what a reader finds."""
    threads_n, n = 16, 15
    start = threading.Barrier(threads_n)
    returned: dict[str, list] = {}
    conflicts: list[ConcurrencyError] = []
    errors: list[Exception] = []

    def run(w: int) -> None:
        start.wait()
        try:
            got = []
            for i in range(n):
                got += store.append(f"own-{w}", [ev(w * 100 + i)], expected_version=i - 1)
                try:  # everyone claims version 0 of "contested": exactly one may win
                    got += store.append("contested", [ev(10_000 + w * 100 + i)], expected_version=NO_STREAM)
                except ConcurrencyError as exc:
                    conflicts.append(exc)
            returned[f"own-{w}"] = got
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in workers) and errors == []
    assert len(store.read_stream("contested")) == 1
    assert len(conflicts) == threads_n * n - 1
    assert all(c.expected == NO_STREAM and c.actual == 0 for c in conflicts)
    log = list(backend.open().read_all())
    assert_log_order(backend, [e.position for e in log], threads_n * n + 1)
    by_id = {e.event_id: e for e in log}
    for w in range(threads_n):
        own = store.read_stream(f"own-{w}")
        assert [e.stream_version for e in own] == list(range(n))
        assert verify_chain(own) is None
        # what each caller got back is what is stored, every field (position included)
        assert [e for e in returned[f"own-{w}"] if e.stream == f"own-{w}"] == own
        for env in returned[f"own-{w}"]:
            assert by_id[env.event_id] == env


# ==== Checkpoints (Leases: tests/contract/test_lease.py) ===================================
# -- checkpoints -------------------------------------------------------------------------
def test_checkpoints(backend, store):
    assert store.get_checkpoint("relay") == 0
    store.set_checkpoint("relay", 5)
    store.set_checkpoint("relay", 9)
    store.set_checkpoint("projection", 3)
    assert store.get_checkpoint("relay") == 9
    assert store.get_checkpoint("projection") == 3
    assert backend.open().get_checkpoint("relay") == 9  # stored, not cached
    assert list(store.read_all()) == []  # checkpoints are not events of the log
