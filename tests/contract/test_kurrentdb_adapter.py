"""What only the KurrentDB adapter has to do (the shared contract is test_eventstore_contract.py):
one log per service, ids unique across a log, forward-only checkpoints, a lease that runs out,
reconnecting after a restart or a leader change, counting lag in events, no silent loss of
credentials. Runs against the stand-in server (or ``KURRENTDB_URL`` where it is given)."""
from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from shared.config import Settings
from shared.errors import TooLarge
from shared.events import NewEvent
from shared.eventstore import NO_STREAM, PartialRetryError
from shared.eventstore import kurrentdb
from shared.eventstore.kurrentdb import KurrentDBEventStore, LogInUse
from tests.contract.conftest import with_query
from tests.support.kurrentdb_standin import standin
from tests.support.services import free_port


def ev(i: int = 0) -> NewEvent:
    return NewEvent(type="test.happened", data={"i": i}, occurred_on=dt.date(2024, 1, 15))


@pytest.fixture(params=["multi_append", "separate"])
def url(request, kurrentdb_url):
    extra = {"multi_append": "false"} if request.param == "separate" else {}
    return with_query(kurrentdb_url, log=f"t{uuid.uuid4().hex}", **extra)


@pytest.fixture
def opened():
    stores = []

    def open_(u):
        stores.append(KurrentDBEventStore(u))
        return stores[-1]
    yield open_
    for s in stores:
        s.close()


def test_a_log_belongs_to_one_service(kurrentdb_url, opened):
    log = f"t{uuid.uuid4().hex}"
    members = opened(with_query(kurrentdb_url, log=log))
    members.claim_log("members")
    members.claim_log("members")  # its own again: fine
    with pytest.raises(LogInUse, match="members"):
        opened(with_query(kurrentdb_url, log=log)).claim_log("meetings")
    opened(with_query(kurrentdb_url, log=f"{log}x")).claim_log("meetings")  # its own log: fine


def test_settings_refuse_two_services_on_one_log():
    base = "kurrentdb://kurrentdb:2113?tls=false"
    with pytest.raises(ValueError, match="DANGVIEN_STORE_MEMBERS.*DANGVIEN_STORE_MEETINGS"):
        Settings(store_members=f"{base}&log=members", store_meetings=f"{base}&log=members")
    with pytest.raises(ValueError, match="share one KurrentDB log"):
        Settings(store_members=base, store_discipline=base)  # neither has a log of its own
    ok = Settings(store_members=f"{base}&log=members", store_meetings=f"{base}&log=meetings",
                  store_discipline="kurrentdb://other:2113?tls=false&log=members")  # another server
    assert ok.store_url("meetings").endswith("log=meetings")


def test_logs_on_one_server_do_not_see_each_other(kurrentdb_url, opened):
    a = opened(with_query(kurrentdb_url, log=f"a{uuid.uuid4().hex}"))
    b = opened(with_query(kurrentdb_url, log=f"b{uuid.uuid4().hex}"))
    written = a.append("member-1", [ev(0)], NO_STREAM)
    b.append("member-1", [ev(1)], NO_STREAM)  # the same stream name in another log
    assert list(a.read_all()) == written
    assert [e.data["i"] for e in b.read_all()] == [1]
    a.set_checkpoint("relay", written[0].position)
    assert b.get_checkpoint("relay") == 0


def test_an_event_id_is_stored_once_in_the_whole_log(url, opened):
    store = opened(url)
    first = ev(0)
    stored = store.append("a", [first], NO_STREAM)
    again = store.append("b", [first], NO_STREAM)  # the same id into another stream: a no-op
    assert again == stored
    assert store.read_stream("b") == []
    with pytest.raises(PartialRetryError):
        store.append("b", [first, ev(1)], NO_STREAM)
    assert store.read_stream("b") == []
    assert store.find_event(first.event_id) == stored[0]
    assert opened(url).find_event(first.event_id) == stored[0]  # not cached: from the server



def counting_log_reads(store) -> dict:
    calls = {"pages": 0}
    real = store._all_page

    def page(*args, **kwargs):
        calls["pages"] += 1
        return real(*args, **kwargs)
    store._all_page = page
    return calls


def test_an_unknown_event_id_is_answered_from_its_marker_without_scanning_the_log(url, opened):
    """Every event is written with its id marker, so an id without one is not stored: answered
    without reading the log (a bulk import asks this of every new event — it scanned the whole
    log each time, one page per 1,000 events)."""
    store = opened(url)
    for start in range(0, 2500, 500):
        store.append_batch([(f"s-{i}", [ev(i)], NO_STREAM) for i in range(start, start + 500)])
    store = opened(url)  # what it learns about the log is learned once per store object
    calls = counting_log_reads(store)
    for _ in range(20):
        assert store.find_event(str(uuid.uuid4())) is None
    assert calls["pages"] <= 1, calls


def test_events_written_before_id_markers_are_still_found_by_id(url, opened):
    """A log begun by a version without id markers: its events are found by scanning it."""
    from shared.eventstore.records import chain
    store = opened(url)
    legacy = chain("old-1", [ev(1), ev(2)], -1, None, 0)
    store._client.append_to_stream(store._kdb_stream("old-1"), events=[kurrentdb.to_kdb_event(r) for r in legacy],
                                    current_version=kurrentdb.StreamState.NO_STREAM)
    store.append("new-1", [ev(3)], NO_STREAM)
    store = opened(url)
    for row in legacy:
        found = store.find_event(row["event_id"])
        assert found is not None and found.stream == "old-1" and found.data == row["data"]
    assert store.find_event(str(uuid.uuid4())) is None

def test_checkpoints_never_move_backwards(url, opened):
    store, other = opened(url), opened(url)
    store.set_checkpoint("relay", 900)
    other.set_checkpoint("relay", 500)  # a lagging replica
    store.set_checkpoint("relay", 900)
    assert store.get_checkpoint("relay") == other.get_checkpoint("relay") == 900
    other.set_checkpoint("relay", 901)
    assert store.get_checkpoint("relay") == 901


def test_the_lease_runs_out_unless_renewed(url, opened, monkeypatch):
    monkeypatch.setattr(kurrentdb, "LEASE_SECONDS", 1.0)
    first, second = opened(url), opened(url)
    assert first.try_lease("relay") is True
    assert second.try_lease("relay") is False
    time.sleep(0.6)
    assert first.try_lease("relay") is True  # renewed (more than half the term had passed)
    time.sleep(0.6)
    assert second.try_lease("relay") is False  # the renewal holds
    time.sleep(1.1)  # the holder stopped renewing, as a frozen or dead relay would
    assert second.try_lease("relay") is True
    assert first.try_lease("relay") is False


def test_lag_is_counted_in_events_not_positions(url, opened):
    store = opened(url)
    written = store.append("a", [ev(i) for i in range(3)], NO_STREAM)
    assert written[-1].position - written[0].position > 2  # positions are offsets with gaps
    assert store.count_after(0) == 3
    assert store.count_after(written[0].position) == 2
    assert store.count_after(written[-1].position) == 0


def test_credentials_dropped_by_tls_false_are_refused():
    with pytest.raises(ValueError, match="tls=false"):
        KurrentDBEventStore("kurrentdb://admin:changeit@127.0.0.1:1?tls=false&log=members")


def test_a_store_reconnects_after_the_server_restarts(tmp_path, opened):
    port = free_port()
    with standin(port=port, data=tmp_path / "log.jsonl") as server:
        store = opened(f"{server.url}&log=m&deadline=5")
        written = store.append("member-1", [ev(0)], NO_STREAM)
    with standin(port=port, data=tmp_path / "log.jsonl"):
        assert list(store.read_all()) == written  # a $all read after the connection broke
        assert store.append("member-1", [ev(1)], 0)[0].stream_version == 1
        assert store.head_position() > written[0].position


def test_after_a_leader_change_writes_follow_the_leader_and_reads_may_stay(opened):
    with standin() as leader:
        with standin(extra=("--role", "follower", "--leader", leader.address)) as follower:
            # configured with the old leader's address, now a follower: appends go to the leader
            store = opened(f"{follower.url}&log=m")
            written = store.append("member-1", [ev(0)], NO_STREAM)
            assert opened(f"{leader.url}&log=m").read_stream("member-1") == written
            # a reader that accepts followers reads the follower's copy (here: its own, empty log)
            reader = opened(f"{follower.url}&log=m&reads=any")
            assert list(reader.read_all()) == []
            # one that needs the leader is sent there
            assert list(opened(f"{follower.url}&log=m").read_all()) == written


def test_a_batch_larger_than_the_server_takes_is_refused_whole_with_a_clear_error(opened):
    """A real server refuses an append session over its maximum size (KurrentDB's transaction size
    limit); the store says so in both languages, with the sizes, and nothing of the batch is kept."""
    with standin(extra=("--max-append-bytes", "4000")) as server:
        store = opened(with_query(server.url, log="members"))
        store.append_batch([("s-1", [ev(1)], NO_STREAM)])
        big = [(f"s-{i}", [NewEvent(type="test.happened", data={"i": i, "pad": "x" * 200},
                                    occurred_on=dt.date(2024, 1, 15))], NO_STREAM) for i in range(2, 40)]
        for _ in range(2):  # sent again, it is refused the same way, not taken for a half-written batch
            with pytest.raises(TooLarge) as caught:
                store.append_batch(big)
            err = caught.value
            assert (err.code, err.status) == ("batch_too_large", 413)
            assert err.details["max_size"] == 4000 and err.details["size"] > 4000
            assert "tối đa 4.000 byte" in err.message_vi and "không có dữ liệu nào được ghi" in err.message_vi
            assert "at most 4,000 bytes" in err.message_en and "nothing was written" in err.message_en
            assert [e.stream for e in store.read_all()] == ["s-1"]
            assert all(store.stream_version(f"s-{i}") == -1 for i in range(2, 40))
        store.append_batch(big[:3])  # what fits is written as usual
        assert [e.stream for e in store.read_all()] == ["s-1", "s-2", "s-3", "s-4"]
