"""The envelope: canonical JSON, hash chain, derived ids, upcasting."""
import datetime as dt
import sqlite3

from shared.events import (EventData, NewEvent, canonical_json, derived_event_id, event_type, upcast,
                           upcaster, verify_chain)


def new(type_="org_unit.renamed", **data):
    return NewEvent(type=type_, data=data or {"org_unit_id": "U1", "name": "Chi bộ Ấp 1"},
                    occurred_on=dt.date(2021, 3, 4))


def test_canonical_json_is_key_order_independent_and_keeps_vietnamese():
    assert canonical_json({"b": 1, "a": "Tây Ninh"}) == canonical_json({"a": "Tây Ninh", "b": 1})
    assert "Tây Ninh" in canonical_json({"a": "Tây Ninh"})


def test_stream_is_a_hash_chain_and_an_edited_row_is_named(store):
    store.append("org_unit-U1", [new(), new(), new()], -1)
    events = store.read_stream("org_unit-U1")
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert verify_chain(events) is None

    db = sqlite3.connect(store.path)
    db.execute("UPDATE events SET data = ? WHERE stream_version = 1", ('{"name":"Sửa lén","org_unit_id":"U1"}',))
    db.commit()
    broken = verify_chain(store.read_stream("org_unit-U1"))
    assert broken is not None and broken.stream_version == 1


def test_derived_ids_are_stable_and_content_sensitive():
    a = derived_event_id("member.admitted", "2020-01-01", {"member_id": "M1"})
    assert a == derived_event_id("member.admitted", "2020-01-01", {"member_id": "M1"})
    assert a != derived_event_id("member.admitted", "2020-01-02", {"member_id": "M1"})


def test_old_payload_versions_are_upcast_on_read(monkeypatch):
    # registered for this test only: the catalog is global, and other tests (or this one run
    # again in the same process) must not find a test type in it
    from shared import events
    monkeypatch.setattr(events, "_CATALOG", dict(events._CATALOG))
    monkeypatch.setattr(events, "_UPCASTERS", dict(events._UPCASTERS))

    @event_type("test.renamed_thing", version=2)
    class Renamed(EventData):
        title: str

    @upcaster("test.renamed_thing", 1)
    def v1_to_v2(data):
        return {"title": data["name"]}

    assert upcast("test.renamed_thing", 1, {"name": "x"}) == (2, {"title": "x"})
