"""A command's reads in one round trip (``shared.readahead``) and the streams a SQL store keeps
between them (``SqlReads.read_streams``): the same answers as reading one by one, fresher reads
after a conflict, retries still found by command id."""
import datetime as dt

import pytest

from shared.application import Context, Decided, execute
from shared.catalog.members import OrgUnitRenamed
from shared.events import NewEvent
from shared.eventstore import NO_STREAM, records
from shared.eventstore.sqlite import SQLiteEventStore
from shared.readahead import read_ahead

D = dt.date(2020, 1, 1)


def ev(i: int) -> NewEvent:
    return NewEvent(type="test.happened", data={"i": i}, occurred_on=D)


def counting(store):
    """Count the statements the store runs from now on."""
    calls = []
    real = store._query

    def query(sql, params=()):
        rows = real(sql, params)
        calls.append(len(rows))
        return rows
    store._query = query
    return calls


def rename(store, name, ctx):
    def decide(state):
        return [Decided(OrgUnitRenamed(org_unit_id="U1", name=name), D, "U1")]
    return execute(store, "org_unit-U1", lambda events: len(events), decide, ctx)


def test_the_first_reads_of_a_command_are_one_statement(store):
    unit = store.append("unit", [ev(0), ev(1)], NO_STREAM)
    calls = counting(store)
    view = read_ahead(store, ["unit", "member"], Context(command_id="cmd-1"))
    assert len(calls) == 1
    assert view.read_stream("unit") == unit and view.read_stream("member") == []
    assert view.find_event("cmd-1", "member") is None
    assert view.read_stream("unit", from_version=1) == unit[1:]  # a second read: the store's
    assert len(calls) == 2


def test_a_second_read_sees_what_was_appended_since(store):
    view = read_ahead(store, ["member"], Context(command_id="cmd-1"))
    written = store.append("member", [ev(0)], NO_STREAM)
    assert view.read_stream("member") == []  # as read ahead
    assert view.read_stream("member") == written  # then the store as it is now
    store.append("other", [NewEvent(type="test.happened", data={}, occurred_on=D, event_id="cmd-1")], NO_STREAM)
    assert view.find_event("cmd-1") is None  # as read ahead
    assert view.find_event("cmd-1").stream == "other"


def test_other_events_and_everything_else_are_the_stores(store):
    written = store.append("a", [ev(0)], NO_STREAM)
    view = read_ahead(store, ["a"], Context())
    assert view.find_event(written[0].event_id) == written[0]
    assert view.head_position() == store.head_position()


def test_a_retried_command_is_found_by_its_id_and_writes_nothing(store):
    ctx = Context(command_id="req-42")
    first = rename(read_ahead(store, ["org_unit-U1"], ctx), "Ấp 1", ctx)
    head = store.head_position()
    again = rename(read_ahead(store, ["org_unit-U1"], ctx), "Ấp 2", ctx)
    assert again == first and store.head_position() == head


def test_a_conflict_after_the_read_ahead_is_decided_again_on_the_fresh_stream(store):
    ctx = Context(command_id="req-7")
    view = read_ahead(store, ["org_unit-U1"], ctx)
    store.append("org_unit-U1", [ev(0)], NO_STREAM)  # another command got in between
    out = rename(view, "Ấp 1", ctx)
    assert [e.stream_version for e in out] == [1]
    assert [e.stream_version for e in store.read_stream("org_unit-U1")] == [0, 1]


def test_a_kept_stream_is_read_for_its_new_events_only(store):
    first = store.append("unit", [ev(0), ev(1), ev(2)], NO_STREAM)
    assert store.read_streams(["unit"]) == ({"unit": first}, None)
    calls = counting(store)
    assert store.read_streams(["unit"]) == ({"unit": first}, None)
    assert calls == [0]  # nothing sent again
    more = store.append("unit", [ev(3)], 2)
    calls.clear()
    assert store.read_streams(["unit"], first[1].event_id) == ({"unit": first + more}, first[1])
    assert calls == [2]  # the new event, and the one asked for by id (not added twice)


def test_a_kept_stream_sees_another_store_objects_appends(tmp_path):
    one, two = SQLiteEventStore(tmp_path / "e.db"), SQLiteEventStore(tmp_path / "e.db")
    try:
        written = one.append("unit", [ev(0)], NO_STREAM)
        assert one.read_streams(["unit"])[0]["unit"] == written
        more = two.append("unit", [ev(1)], 0)
        assert one.read_streams(["unit"])[0]["unit"] == written + more
    finally:
        one.close()
        two.close()


def test_the_kept_streams_are_bounded_least_recently_read_dropped(store, monkeypatch):
    monkeypatch.setattr(records, "CACHED_STREAMS", 2)
    for name in ("a", "b", "c"):
        store.append(name, [ev(0)], NO_STREAM)
    store.read_streams(["a", "b"])
    store.read_streams(["a"])  # a read again: b is now the oldest
    store.read_streams(["c"])
    assert list(store._kept_streams()) == ["a", "c"]
    store.read_streams(["nothing"])  # an empty stream is not kept
    assert list(store._kept_streams()) == ["a", "c"]


def test_a_kept_stream_out_of_step_is_read_plainly(store):
    written = store.append("unit", [ev(0), ev(1)], NO_STREAM)
    store.read_streams(["unit"])
    store._kept_streams()["unit"] = (written[1],)  # never happens: versions not 0, 1, ...
    assert store.read_streams(["unit"])[0]["unit"] == written


@pytest.mark.parametrize("event_id", [None, "x"])
def test_nothing_asked_reads_nothing(store, event_id):
    calls = counting(store)
    assert store.read_streams([], event_id) == ({}, None)
    assert len(calls) == (1 if event_id else 0)
