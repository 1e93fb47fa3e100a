"""The buffer an import runs its commands against: what it shows them is the store plus what they
appended, nothing reaches the store before ``commit``, and ``commit`` writes it in order or not
at all (a stream moved meanwhile)."""
import datetime as dt

import pytest

from shared.buffered import BufferedStore
from shared.events import NewEvent
from shared.eventstore import ANY, ConcurrencyError


def ev(i=0, kind="member.died"):
    return NewEvent(type=kind, data={"member_id": f"M{i}"}, occurred_on=dt.date(2021, 1, 1))


def stored(store):
    return [(e.position, e.stream, e.stream_version, e.data["member_id"]) for e in store.read_all()]


def test_appends_stay_in_the_buffer_until_commit(store):
    store.append("s-1", [ev(0)])
    buf = BufferedStore(store)
    got = buf.append("s-1", [ev(1), ev(2)])
    assert [(e.position, e.stream_version) for e in got] == [(2, 1), (3, 2)]
    assert buf.head_position() == 3 and buf.pending == 2 and store.head_position() == 1
    assert [e.data["member_id"] for e in buf.pending_events()] == ["M1", "M2"]
    assert [e.data["member_id"] for e in buf.read_stream("s-1")] == ["M0", "M1", "M2"]
    assert buf.stream_version("s-1") == 2 and store.stream_version("s-1") == 0


def test_a_stream_nobody_wrote_is_at_version_minus_one(store):
    buf = BufferedStore(store)
    assert buf.stream_version("s-9") == -1 and buf.read_stream("s-9") == []
    store.append("s-2", [ev()])
    assert BufferedStore(store).stream_version("s-2") == 0


def test_read_stream_from_a_version_reads_both_the_stored_and_the_buffered_part(store):
    store.append("s-1", [ev(0), ev(1)])
    buf = BufferedStore(store)
    buf.append("s-1", [ev(2), ev(3)])
    assert [e.stream_version for e in buf.read_stream("s-1", 1)] == [1, 2, 3]
    assert [e.stream_version for e in buf.read_stream("s-1", 3)] == [3]
    assert [e.stream_version for e in buf.read_stream("s-1", 0)] == [0, 1, 2, 3]


def test_an_expected_version_is_checked_against_the_buffer(store):
    store.append("s-1", [ev(0)])
    buf = BufferedStore(store)
    with pytest.raises(ConcurrencyError):
        buf.append("s-1", [ev(1)], expected_version=-1)
    buf.append("s-1", [ev(1)], expected_version=0)
    with pytest.raises(ConcurrencyError):
        buf.append("s-1", [ev(2)], expected_version=0)
    buf.append("s-1", [ev(2)], expected_version=1)
    buf.append("s-1", [ev(3)], expected_version=ANY)
    assert buf.stream_version("s-1") == 3 and buf.pending == 3


def test_events_already_appended_are_answered_not_appended_again(store):
    e0, e5 = ev(0), ev(5)
    first = store.append("s-1", [e0])
    buf = BufferedStore(store)
    again = buf.append("s-1", [e0], expected_version=-1)     # stored: found, no version check
    assert [e.event_id for e in again] == [first[0].event_id] and buf.pending == 0
    mine = buf.append("s-2", [e5])
    assert buf.append("s-2", [e5], expected_version=-1) == mine and buf.pending == 1
    with pytest.raises(ConcurrencyError):                    # one new among them: checked
        buf.append("s-2", [e5, ev(6)], expected_version=-1)
    assert buf.append("s-2", []) == [] and buf.pending == 1


def test_a_batch_of_several_streams_is_appended_in_order(store):
    buf = BufferedStore(store)
    out = buf.append_batch([("a", [ev(1)], ANY), ("b", [], ANY), ("b", [ev(2), ev(3)], -1)])
    assert [(e.stream, e.stream_version, e.position) for e in out] == [("a", 0, 1), ("b", 0, 2), ("b", 1, 3)]


def test_find_event_sees_the_buffer_then_the_store(store):
    [s] = store.append("s-1", [ev(0)])
    buf = BufferedStore(store)
    [b] = buf.append("s-2", [ev(1)])
    assert buf.find_event(b.event_id) == b and store.find_event(b.event_id) is None
    assert buf.find_event(s.event_id).event_id == s.event_id
    assert buf.find_event("nope") is None


def test_commit_writes_runs_of_each_stream_in_order_and_returns_them(store):
    store.append("a", [ev(0)])
    buf = BufferedStore(store)
    assert buf.commit() == []
    buf.append("a", [ev(1)])
    buf.append("b", [ev(2), ev(3)])
    buf.append("a", [ev(4)])
    written = buf.commit()
    assert [(e.stream, e.stream_version) for e in written] == [("a", 1), ("b", 0), ("b", 1), ("a", 2)]
    assert stored(store) == [(1, "a", 0, "M0"), (2, "a", 1, "M1"), (3, "b", 0, "M2"), (4, "b", 1, "M3"),
                             (5, "a", 2, "M4")]
    assert [e.event_id for e in written] == [e.event_id for e in buf.pending_events()]


def test_a_stream_written_meanwhile_fails_the_commit_and_nothing_is_written(store):
    store.append("a", [ev(0)])
    buf = BufferedStore(store)
    buf.append("b", [ev(1)])
    buf.append("a", [ev(2)])
    store.append("a", [ev(9)])       # a live command
    with pytest.raises(ConcurrencyError):
        buf.commit()
    assert stored(store) == [(1, "a", 0, "M0"), (2, "a", 1, "M9")]


def test_prefetch_learns_which_streams_and_ids_are_stored(store):
    [s] = store.append("old", [ev(0)])
    buf = BufferedStore(store)
    buf.prefetch(["old", "new", "new"], [s.event_id, "absent"])
    assert [e.event_id for e in buf.read_stream("old")] == [s.event_id]
    assert buf.find_event(s.event_id).event_id == s.event_id
    # what the prefetch found absent is a snapshot: written meanwhile, the buffer does not see it
    [late] = store.append("new", [ev(1)])
    assert buf.read_stream("new") == [] and buf.stream_version("new") == -1
    assert buf.find_event("absent") is None
    buf.append("new", [ev(2)])
    with pytest.raises(ConcurrencyError):
        buf.commit()


def test_prefetch_of_more_names_than_one_statement_holds_misses_none(store):
    names = [f"s-{i:03}" for i in range(1100)]
    kept = {n: store.append(n, [ev(i)])[0] for i, n in enumerate(names) if i % 250 == 249 or i == 0}
    buf = BufferedStore(store)
    buf.prefetch(names + [f"x-{i}" for i in range(10)], [e.event_id for e in kept.values()] + ["gone"] * 3)
    for name in names:
        assert len(buf.read_stream(name)) == (1 if name in kept else 0), name
    for e in kept.values():
        assert buf.find_event(e.event_id).event_id == e.event_id
    store.append("x-3", [ev()])
    assert buf.read_stream("x-3") == []      # known absent: not read again
    buf.prefetch(["x-3"])                   # nor re-learned
    assert buf.read_stream("x-3") == []


def test_reads_of_the_whole_store_and_its_checkpoints_go_to_the_store(store):
    store.append("a", [ev(0), ev(1), ev(2)])
    store.set_checkpoint("relay", 2)
    buf = BufferedStore(store)
    buf.append("b", [ev(3)])
    assert [e.position for e in buf.read_all(2)] == [2, 3]
    assert [e.position for e in buf.read_all(1, limit=2)] == [1, 2]
    assert [e.position for e in buf.read_all(1, to_position=1)] == [1]
    assert sorted(buf.stream_names()) == ["a"]
    assert buf.get_checkpoint("relay") == 2
    with pytest.raises(NotImplementedError):
        buf.set_checkpoint("relay", 3)


def test_a_refused_expected_version_names_the_stream_and_both_versions(store):
    store.append("s-1", [ev(0)])
    buf = BufferedStore(store)
    with pytest.raises(ConcurrencyError) as refused:
        buf.append("s-1", [ev(1)], expected_version=3)
    assert (refused.value.stream, refused.value.expected, refused.value.actual) == ("s-1", 3, 0)


def test_a_batch_answered_from_what_is_known_does_not_stop_the_next_one(store):
    e0 = ev(0)
    store.append("s-1", [e0])
    buf = BufferedStore(store)
    out = buf.append_batch([("s-1", [e0], ANY), ("s-2", [ev(1)], ANY)])
    assert [(e.stream, e.stream_version) for e in out] == [("s-1", 0), ("s-2", 0)] and buf.pending == 1


def test_commit_keeps_each_run_with_its_own_stream(store):
    buf = BufferedStore(store)
    for stream, i in (("a", 0), ("b", 1), ("c", 2), ("c", 3), ("b", 4)):
        buf.append(stream, [ev(i)])
    buf.commit()
    assert stored(store) == [(1, "a", 0, "M0"), (2, "b", 0, "M1"), (3, "c", 0, "M2"), (4, "c", 1, "M3"),
                             (5, "b", 1, "M4")]
    assert [e.position for e in buf.read_all()] == [1, 2, 3, 4, 5]


def test_commit_answered_with_positions_writes_what_commit_writes(store):
    store.append("a", [ev(0)])
    buf = BufferedStore(store)
    assert buf.commit(envelopes=False) == []
    buf.append("a", [ev(1)])
    buf.append("b", [ev(2), ev(3)])
    buf.append("a", [ev(4)])
    assert buf.commit_positions() == [2, 3, 4, 5]  # what a bulk import counts
    assert stored(store) == [(1, "a", 0, "M0"), (2, "a", 1, "M1"), (3, "b", 0, "M2"), (4, "b", 1, "M3"),
                             (5, "a", 2, "M4")]


def test_buffered_envelopes_are_those_the_unhashed_chain_gives(store):
    """The buffer builds its envelopes straight from the events (nothing serialised or hashed
    before ``commit``): field for field what ``chain(hashed=False)`` made of them, clocks given or
    read as stored (microseconds, UTC)."""
    from shared.buffered import buffered
    from shared.events import GENESIS_HASH, format_recorded_at
    from shared.eventstore.records import UNHASHED, appended, chain
    at = dt.datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    events = [NewEvent(type="member.died", data={"member_id": "M1", "n": i}, occurred_on=dt.date(2021, 1, 1 + i),
                       recorded_at=at, org_unit_id="C1", actor="a", correlation_id="c", causation_id="d")
              for i in range(3)]
    got = buffered("member-M1", events, 4, 11)
    want = [appended(row) for row in chain("member-M1", events, 4, None, 11, hashed=False)]
    assert [e.model_dump() for e in got] == [e.model_dump() for e in want]
    assert [(e.stream_version, e.position, e.prev_hash, e.hash) for e in got] == [
        (5, 11, GENESIS_HASH, UNHASHED), (6, 12, UNHASHED, UNHASHED), (7, 13, UNHASHED, UNHASHED)]
    assert got[0].recorded_at == at and got[0].recorded_at.utcoffset() == dt.timedelta(0)
    plain = [ev(0), ev(1)]
    unclocked = buffered("s-1", plain, -1, 1)
    assert unclocked[0].recorded_at is unclocked[1].recorded_at  # one reading per call, as chain
    clock = unclocked[0].recorded_at
    assert clock.utcoffset() == dt.timedelta(0)
    assert dt.datetime.fromisoformat(format_recorded_at(clock)[:-1] + "+00:00") == clock
    assert [e.model_dump(exclude={"recorded_at"}) for e in unclocked] == [
        e.model_dump(exclude={"recorded_at"}) for e in map(appended, chain("s-1", plain, -1, None, 1, hashed=False))]
