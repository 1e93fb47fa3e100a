"""What an auditor relies on in ``shared.events``: the keyed hash names its scheme and key, covers
the global position exactly when the store has one, is checked with the key ring it is given and
names why it fails; one text form of the recording clock (UTC, microseconds, 'Z') whatever the
server's timezone or how the store returned it; canonical JSON of dates, ids and models; payloads
typed, versioned and upcast the same way on write and on read."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid

import pytest

from shared import events
from shared.events import (GENESIS_HASH, Envelope, EventData, NewEvent, StoredTime, by_type, canonical_json,
                           check_hash, derived_event_id, event_hash, event_type, format_recorded_at, fold,
                           model_for, stream_name, upcast, upcaster, utcnow, verify_chain)
from shared.keys import Key, Keyring

K1 = Key("k1", bytes(range(32)))
K2 = Key("k2", bytes(range(1, 33)))
RING = Keyring([K1, K2])  # k2 current
AT = dt.datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=dt.timezone.utc)


def fields(position=3, **extra) -> dict:
    base = {"event_id": "e1", "type": "member.admitted", "schema_version": 1, "stream": "member-A",
            "stream_version": 0, "position": position, "occurred_on": dt.date(2024, 3, 1), "recorded_at": AT,
            "org_unit_id": "U1", "actor": "cb-1", "correlation_id": None, "causation_id": None,
            "data": {"member_id": "A"}, "prev_hash": GENESIS_HASH}
    return {**base, **extra}


def sealed(key=K2, **extra) -> dict:
    f = fields(**extra)
    return {**f, "hash": event_hash(f, key)}


@pytest.fixture
def local_timezone(monkeypatch):
    """The server's clock set to Vietnam (UTC+7), as a deployment in Vietnam may have it."""
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the keyed hash --------------------------------------------------------------------------

def test_a_sql_stores_hash_covers_the_position_and_names_scheme_and_key():
    h = event_hash(fields(position=3), K2)
    assert h.startswith("hp:k2:") and len(h.split(":")[2]) == 64
    assert event_hash(fields(position=4), K2) != h        # moving the event changes its hash


@pytest.mark.parametrize("position", [None, 0])
def test_without_a_position_the_hash_is_unpositioned(position):
    """KurrentDB's events (its commit position is assigned after the write) carry "h:" hashes."""
    h = event_hash(fields(position=position), K2)
    assert h.startswith("h:k2:")
    assert h == event_hash(fields(position=None), K2)


def test_the_key_decides_the_hash():
    assert event_hash(fields(), K1).split(":")[2] != event_hash(fields(), K2).split(":")[2]


def test_a_right_hash_checks_with_the_key_it_names_even_when_not_current():
    assert check_hash(sealed(key=K1), RING) is None
    assert check_hash(sealed(key=K2), RING) is None


def test_an_unpositioned_hash_stays_valid_whatever_position_the_store_reports():
    f = fields(position=None)
    stored = {**f, "hash": event_hash(f, K2), "position": 977}  # KurrentDB's commit position, read back
    assert check_hash(stored, RING) is None
    assert check_hash(stored, RING, positional=True) == "unpositioned"  # not acceptable in a SQL store


@pytest.mark.parametrize("stored, code", [
    (hashlib.sha256(b"x").hexdigest(), "unkeyed"),       # anyone can recompute a plain sha-256
    ("", "unkeyed"),
    ("hp:k2", "hash"),                                   # not scheme:key:hex
    ("zz:k2:" + "0" * 64, "hash"),                       # no such scheme
    ("hp:k9:" + "0" * 64, "unknown_key"),
    ("hp:k2:" + "0" * 64, "hash"),
])
def test_a_wrong_hash_is_named_by_why(stored, code):
    assert check_hash({**fields(), "hash": stored}, RING) == code


def test_an_edited_field_fails_the_check():
    for name, value in [("actor", "someone-else"), ("recorded_at", AT + dt.timedelta(microseconds=1)),
                        ("position", 4), ("data", {"member_id": "B"}), ("prev_hash", "1" * 64)]:
        assert check_hash({**sealed(), name: value}, RING) == "hash", name


def test_verify_chain_uses_the_ring_it_is_given_and_demands_positions_when_told():
    first = Envelope(**{**sealed(), "recorded_at": AT})
    second_fields = fields(event_id="e2", stream_version=1, position=4, prev_hash=first.hash)
    second = Envelope(**second_fields, hash=event_hash(second_fields, K2))
    assert verify_chain([first, second], ring=RING) is None
    assert verify_chain([first, second], ring=Keyring([Key("k2", b"another secret, 32 bytes long..")])) == first
    relinked = second.model_copy(update={"prev_hash": GENESIS_HASH})
    assert verify_chain([first, relinked], ring=RING) == relinked

    unpositioned = [Envelope(**{**fields(position=5), "hash": event_hash(fields(position=None), K2)})]
    assert verify_chain(unpositioned, ring=RING) is None
    assert verify_chain(unpositioned, ring=RING, positional=True) == unpositioned[0]


# -- the recording clock ---------------------------------------------------------------------

def test_the_recording_clock_is_written_in_utc_whatever_the_servers_timezone(local_timezone):
    vietnam = dt.timezone(dt.timedelta(hours=7))
    assert format_recorded_at(dt.datetime(2024, 3, 1, 15, 30, tzinfo=vietnam)) == "2024-03-01T08:30:00.000000Z"
    now = utcnow()
    assert now.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text, written", [
    ("2024-03-01T08:30:15.123456Z", "2024-03-01T08:30:15.123456Z"),
    ("2024-03-01T08:30:15Z", "2024-03-01T08:30:15.000000Z"),                # no microseconds stored
    ("2024-03-01T15:30:15.123456+07:00", "2024-03-01T08:30:15.123456Z"),    # an offset stored
    ("2024-03-01T15:30:15.1+07:00", "2024-03-01T08:30:15.100000Z"),         # 27 characters, not 'Z'
])
def test_a_stored_time_read_back_hashes_in_the_one_text_form(text, written):
    value = StoredTime.parse(text)
    assert format_recorded_at(value) == written
    assert value == dt.datetime.fromisoformat(written)


# -- canonical JSON and derived ids ----------------------------------------------------------

def test_dates_ids_and_models_have_one_json_form():
    class Payload(EventData):
        day: dt.date

    assert canonical_json({"d": dt.date(2024, 3, 1), "t": AT, "u": uuid.UUID(int=1), "m": Payload(day=dt.date(2024, 3, 1))}) \
        == ('{"d":"2024-03-01","m":{"day":"2024-03-01"},"t":"2024-03-01T08:30:15.123456+00:00",'
            '"u":"00000000-0000-0000-0000-000000000001"}')
    assert canonical_json({"a": "Tây Ninh"}).encode("utf-8") == '{"a":"Tây Ninh"}'.encode("utf-8")
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        canonical_json({"x": object()})


def test_a_date_and_its_iso_text_derive_the_same_event_id():
    """A re-imported line (text) and a retried command (a date) must not write the event twice."""
    assert derived_event_id("member.admitted", dt.date(2024, 3, 1)) == derived_event_id("member.admitted", "2024-03-01")


def test_stream_names_join_kind_and_ids_with_dashes():
    assert stream_name("rating", "G1", 2024) == "rating-G1-2024"
    assert stream_name("member", "M1") == "member-M1"


# -- the catalog: types, versions, upcasting -------------------------------------------------

@pytest.fixture
def fresh_catalog(monkeypatch):
    monkeypatch.setattr(events, "_CATALOG", dict(events.catalog()))
    monkeypatch.setattr(events, "_UPCASTERS", dict(events._UPCASTERS))


def test_a_type_is_registered_once_at_version_1_unless_told(fresh_catalog):
    @event_type("test.thing_noted")
    class Noted(EventData):
        day: dt.date

    assert (Noted.TYPE, Noted.SCHEMA_VERSION) == ("test.thing_noted", 1)
    assert model_for("test.thing_noted") is Noted
    assert event_type("test.thing_noted")(Noted) is Noted  # the same class again: harmless
    with pytest.raises(ValueError, match="event type test.thing_noted registered twice"):
        @event_type("test.thing_noted")
        class Other(EventData):
            day: dt.date
    with pytest.raises(KeyError, match="test.never_registered"):
        model_for("test.never_registered")


def test_a_new_event_carries_its_types_name_version_and_json_payload(fresh_catalog):
    @event_type("test.thing_moved", version=2)
    class Moved(EventData):
        day: dt.date

    new = NewEvent.of(Moved(day=dt.date(2024, 3, 1)), dt.date(2024, 3, 2), "U1", actor="cb-1")
    assert (new.type, new.schema_version, new.org_unit_id, new.actor) == ("test.thing_moved", 2, "U1", "cb-1")
    assert new.data == {"day": "2024-03-01"} and json.loads(canonical_json(new.data)) == new.data


def test_an_old_stored_payload_is_read_as_the_current_version(fresh_catalog):
    @event_type("test.thing_renamed", version=2)
    class Renamed(EventData):
        title: str

    @upcaster("test.thing_renamed", 1)
    def v1_to_v2(data):
        return {"title": data["name"]}

    env = Envelope(**{**fields(type="test.thing_renamed", data={"name": "Chi bộ 1"}), "hash": "h:k2:0",
                      "schema_version": 1})
    assert env.payload() == Renamed(title="Chi bộ 1")
    assert upcast("test.thing_renamed", 2, {"title": "x"}) == (2, {"title": "x"})


def test_a_type_this_process_does_not_know_is_passed_through_unchanged():
    """An event of a newer service's type: read as stored, not refused."""
    assert upcast("test.from_a_newer_service", 3, {"a": 1}) == (3, {"a": 1})


def test_the_bus_message_is_the_envelopes_json():
    env = Envelope(**sealed())
    assert env.to_message() == json.loads(env.model_dump_json())
    assert env.to_message()["recorded_at"] == json.loads(env.model_dump_json())["recorded_at"]


# -- folding a history -----------------------------------------------------------------------

def test_by_type_applies_each_events_step_and_ignores_other_types():
    class E:
        def __init__(self, type_):
            self.type = type_

    evolve = by_type({"member.admitted": lambda s, e: s + [e.type], "member.died": lambda s, e: s + [e.type]})
    assert fold(evolve, [], [E("member.admitted"), E("member.rated"), E("member.died")]) == [
        "member.admitted", "member.died"]
