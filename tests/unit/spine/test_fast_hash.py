"""The fast append path writes exactly the bytes the simple one did: the payload text
(``_canonical_fast`` against ``json.dumps``, orjson or not), the hash body (``Hasher`` against
``_hash_body``) and so every stored hash, for any payload a caller can hand in."""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.events import (EVENT_ID_NAMESPACE, HASHED_FIELDS, Hasher, NewEvent, _canonical_fast, _default, _hash_body,
                           canonical_json, derived_event_id, event_hash)
from shared.eventstore.records import appended, chain, chain_rows, row_params
from shared.keys import Key


def reference_json(value) -> str:
    """canonical_json as it was written before the fast path: ``json.dumps`` on each call."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def reference_hash(fields: dict, key: Key) -> str:
    """event_hash as it was written before: the body by ``_hash_body``, HMAC by ``hmac.new``."""
    position = fields.get("position")
    positional = isinstance(position, int) and position > 0
    scheme = "hp" if positional else "h"
    body = json.dumps({name: ({**fields, "position": position if positional else None, "scheme": scheme,
                               "key_id": key.id}).get(name) for name in HASHED_FIELDS},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return f"{scheme}:{key.id}:{hmac.new(key.secret, body, hashlib.sha256).hexdigest()}"


# Vietnamese letters, every control character, quotes, backslashes, astral and private-use
# characters, the line and paragraph separators, and keys that sort differently in UTF-16
text = st.text(alphabet=st.one_of(
    st.sampled_from("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĐ Tây Ninh \"\\/\u2028\u2029\ufeff\ud7ff\ue000\uffff😀𝄞"),
    st.characters(max_codepoint=0x1f), st.characters(blacklist_categories=("Cs",))), max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), text,
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),  # beyond 64 bits: orjson refuses, json writes them
    st.floats(allow_nan=True, allow_infinity=True),  # exponent forms differ between the two writers
    st.sampled_from([1e16, 1e-5, 1e-7, 5e-324, -0.0, 1.0, 1e22, 123456789012345678.0]))
payloads = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=5)), max_leaves=25)


class Colour(str, enum.Enum):
    RED = "đỏ"


class Rank(enum.IntEnum):
    ONE = 1


@given(st.dictionaries(text, payloads, max_size=6))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@example({"note": "Hoàn thành tốt", "year": 2024, "nested": [{"b": 1, "a": [None, True]}], "n": 2 ** 64})
@example({"\ud7ff": 1, "\ue000": 2, "😀": 3, "\uffff": 4, "a": 1.5e300, "b": float("nan")})
@example({"enum": Colour.RED, "int": Rank.ONE, "when": dt.date(2024, 1, 2), "id": uuid.UUID(int=5)})
@example({"int keys": {2: "b", 1: "a"}, "enum key": {Colour.RED: 1}, "tuple": (1, "ă"), "str subclass": Colour.RED})
def test_the_payload_text_is_json_dumps_exactly(data):
    assert outcome(_canonical_fast, data) == outcome(reference_json, data) == outcome(canonical_json, data)


def outcome(write, value):
    """The text written, or the kind of error raised (what reaches the caller)."""
    try:
        return write(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


def reference_event_id(*parts) -> str:
    """derived_event_id as it was written before the fast path: a version-5 ``UUID``."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, json.dumps(list(parts), sort_keys=True, separators=(",", ":"),
                                                         ensure_ascii=False, default=_default)))


@given(st.lists(st.one_of(payloads, st.dates()), max_size=4))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@example(["member.admitted", "2020-02-03", {"member_id": "M1", "full_name": "Trần Thị Bình", "n": 2 ** 64}])
@example(["import-job", 3, {"when": dt.date(2024, 1, 2), "enum": Colour.RED, "id": uuid.UUID(int=5)}, 1.5e300])
@example(["\ud800"])  # a lone surrogate: no UTF-8 text, refused by both
def test_a_derived_event_id_is_the_version_5_uuid_of_its_parts(parts):
    def outcome_of(derive):
        try:
            return derive(*parts)
        except (TypeError, ValueError) as exc:
            return type(exc)
    assert outcome_of(derived_event_id) == outcome_of(reference_event_id)


fields = st.fixed_dictionaries({
    "event_id": text, "type": text, "schema_version": st.integers(-5, 2 ** 40), "stream": text,
    "stream_version": st.integers(0, 2 ** 40), "occurred_on": text, "recorded_at": text,
    "org_unit_id": st.none() | text, "actor": st.none() | text, "correlation_id": st.none() | text,
    "causation_id": st.none() | text, "data": st.dictionaries(text, payloads, max_size=4), "prev_hash": text,
    "position": st.none() | st.integers(-3, 2 ** 62)})
keys = st.builds(Key, st.text(alphabet="abcdefk0123456789", min_size=1, max_size=12),
                 st.binary(min_size=16, max_size=130))  # longer than a SHA-256 block too


@given(fields, keys)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_hash_is_the_simple_paths_hash(f, key):
    simple = reference_hash(f, key)
    assert event_hash(f, key) == simple
    fast = Hasher(key)(f["event_id"], f["type"], f["schema_version"], f["stream"], f["stream_version"],
                       f["occurred_on"], f["recorded_at"], f["org_unit_id"], f["actor"], f["correlation_id"],
                       f["causation_id"], canonical_json(f["data"]), f["prev_hash"], f["position"])
    assert fast == simple


def test_nesting_deeper_than_orjson_goes_falls_back_to_json():
    deep: list = []
    for _ in range(300):  # orjson stops at 255 levels
        deep = [deep, {"b": "ă", "a": 1}]
    assert _canonical_fast({"deep": deep}) == reference_json({"deep": deep})


def test_a_payload_json_cannot_write_fails_alike():
    for bad in ({"x": {1, 2}}, {"x": object()}, {"surrogate": "\ud800"}):
        with pytest.raises((TypeError, UnicodeEncodeError)):
            reference_json(bad).encode("utf-8")
        with pytest.raises((TypeError, UnicodeEncodeError)):
            _canonical_fast(bad).encode("utf-8")


def simple_rows(stream, events, last_version, last_hash, first_position, key):
    """The rows and envelopes as the store built them before: a fields dict per event, hashed by
    ``_hash_body`` + ``hmac.new``, the payload serialised by ``json.dumps``."""
    rows, envelopes = [], []
    prev = last_hash or "0" * 64
    for i, ev in enumerate(events):
        f = {"event_id": ev.event_id, "type": ev.type, "schema_version": ev.schema_version, "stream": stream,
             "stream_version": last_version + 1 + i, "occurred_on": ev.occurred_on.isoformat(),
             "recorded_at": ev.recorded_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
             "org_unit_id": ev.org_unit_id, "actor": ev.actor, "correlation_id": ev.correlation_id,
             "causation_id": ev.causation_id, "data": ev.data, "prev_hash": prev,
             "position": first_position + i if first_position > 0 else None}
        f["hash"] = reference_hash(f, key)
        f["position"] = first_position + i
        prev = f["hash"]
        rows.append((f["position"], f["event_id"], f["stream"], f["stream_version"], f["type"], f["schema_version"],
                     f["occurred_on"], f["recorded_at"], f["org_unit_id"], f["actor"], f["correlation_id"],
                     f["causation_id"], reference_json(f["data"]), f["hash"], f["prev_hash"]))
        envelopes.append(appended(f))
    return rows, envelopes


events_ = st.lists(st.builds(
    NewEvent, type=text, data=st.dictionaries(text, payloads, max_size=4),
    occurred_on=st.dates(), org_unit_id=st.none() | text, actor=st.none() | text,
    correlation_id=st.none() | text, causation_id=st.none() | text, event_id=text,
    schema_version=st.integers(1, 5),
    recorded_at=st.datetimes(min_value=dt.datetime(1900, 1, 2), timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=7))]))),
    min_size=1, max_size=5)


@given(events_, st.integers(-1, 50), st.none() | st.just("hp:k:" + "a" * 64), st.sampled_from([0, 1, 77]), keys)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_fast_rows_and_envelopes_are_the_simple_ones(monkeypatch_key, events, last_version, last_hash, first, key):
    monkeypatch_key(key)
    try:
        expected_rows, expected_envelopes = simple_rows("member-1", events, last_version, last_hash, first, key)
    except UnicodeEncodeError:  # a lone surrogate: neither path can store it
        with pytest.raises(UnicodeEncodeError):
            chain_rows("member-1", events, last_version, last_hash, first)
        return
    rows, envelopes = chain_rows("member-1", events, last_version, last_hash, first)
    assert rows == expected_rows
    assert [e.model_dump() for e in envelopes] == [e.model_dump() for e in expected_envelopes]
    assert [row_params(f) for f in chain("member-1", events, last_version, last_hash, first)] == expected_rows
    assert chain_rows("member-1", events, last_version, last_hash, first, envelopes=False) == (expected_rows, [])
    # a batch whose events share their date and recording time (the very objects, or equal ones),
    # as a command's or an import's do: each event still gets its own row
    on, rec = events[0].occurred_on, events[0].recorded_at
    sharing = [e.model_copy(update={"occurred_on": on if i % 2 else dt.date(on.year, on.month, on.day),
                                    "recorded_at": rec if i % 3 else e.recorded_at}) for i, e in enumerate(events)]
    expected_rows, _ = simple_rows("member-1", sharing, last_version, last_hash, first, key)
    assert chain_rows("member-1", sharing, last_version, last_hash, first)[0] == expected_rows
    assert chain_rows("member-1", sharing, last_version, last_hash, first, envelopes=False)[0] == expected_rows


@pytest.fixture
def monkeypatch_key():
    """Make ``key`` the process's current integrity key for the test (hypothesis calls it often)."""
    from shared import keys
    from shared.keys import Keyring
    before = keys.keyring()

    def use(key):
        keys.use(Keyring([key]))

    yield use
    keys.use(before)


shared_text = st.sampled_from(["chi-bo-1", "chi-bo-2", "ă\"\\"])  # values consecutive events share
shared = {
    "type": shared_text, "schema_version": st.sampled_from([1, 2, True]), "stream": shared_text,
    "occurred_on": st.sampled_from(["2024-12-31", "2025-01-01", dt.date(2024, 12, 31)]),
    "recorded_at": st.sampled_from(["2025-01-01T00:00:00.000000Z",
                                    dt.datetime(2025, 1, 1, 7, tzinfo=dt.timezone(dt.timedelta(hours=7)))]),
    "org_unit_id": st.none() | shared_text, "actor": st.none() | shared_text | st.just(["a", "list"]),
    "correlation_id": st.none() | shared_text, "causation_id": st.none() | shared_text,
    "position": st.none() | st.sampled_from([0, -1, True]) | st.integers(1, 2 ** 62)}
#: each event: what differs from the event before it (the first: from ``first``)
changes = st.fixed_dictionaries({"event_id": text, "stream_version": st.integers(0, 2 ** 40), "prev_hash": text,
                                 "data": st.dictionaries(text, payloads, max_size=3)}, optional=shared)


@given(st.fixed_dictionaries(shared), st.lists(changes, min_size=1, max_size=12), keys)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_one_hasher_over_a_batch_gives_each_event_its_own_hash(first, batch, key):
    """A ``Hasher`` re-uses the pieces of the body the previous event had: every event of a batch
    (one field or several changed since the event before, the same objects or equal ones, a list
    mutated in between) still gets the simple path's hash."""
    hasher = Hasher(key)
    mutable = ["a", "list"]
    f = first
    for i, change in enumerate(batch):
        f = {**f, **change}
        if f["actor"] == ["a", "list"] or f["actor"] is mutable:
            mutable.append(i)  # the very same list object, changed since the last event that had it
            f["actor"] = mutable
        fast = hasher(f["event_id"], f["type"], f["schema_version"], f["stream"], f["stream_version"],
                      f["occurred_on"], f["recorded_at"], f["org_unit_id"], f["actor"], f["correlation_id"],
                      f["causation_id"], canonical_json(f["data"]), f["prev_hash"], f["position"])
        assert fast == event_hash(f, key)  # the simple path (dates written as text by ``_hash_body``)


ORDER = ("event_id", "type", "schema_version", "stream", "stream_version", "occurred_on", "recorded_at",
         "org_unit_id", "actor", "correlation_id", "causation_id", "data", "prev_hash", "position")


@pytest.mark.parametrize("name, before, after", [
    ("type", "member.rated", "member.moved"), ("schema_version", 1, 2), ("stream", "member-1", "member-2"),
    ("occurred_on", dt.date(2024, 12, 31), dt.date(2025, 1, 1)), ("recorded_at", "2025-01-01T00:00:00.000000Z",
                                                                  "2025-01-02T00:00:00.000000Z"),
    ("org_unit_id", "chi-bo-1", None), ("actor", None, "clerk"), ("correlation_id", "c-1", "c-2"),
    ("causation_id", None, "c-1"), ("position", 5, None)])
def test_an_event_differing_from_the_one_before_in_one_field_gets_its_own_hash(name, before, after):
    key = Key("k1", b"s" * 32)
    hasher = Hasher(key)
    first = {"event_id": "e-1", "type": "member.rated", "schema_version": 1, "stream": "member-1",
             "stream_version": 0, "occurred_on": dt.date(2024, 12, 31), "recorded_at": "2025-01-01T00:00:00.000000Z",
             "org_unit_id": "chi-bo-1", "actor": None, "correlation_id": "c-1", "causation_id": None,
             "data": {"a": 1}, "prev_hash": "0" * 64, "position": 5, name: before}
    second = {**first, "event_id": "e-2", "stream_version": 1, name: after}
    for f in (first, second, first):
        args = [canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]
        assert hasher(*args) == event_hash(f, key)


def test_without_a_key_both_hash_with_the_process_current_key(monkeypatch_key):
    key = Key("k-now", b"n" * 32)
    monkeypatch_key(key)
    f = {"event_id": "e-1", "type": "member.rated", "schema_version": 1, "stream": "member-1",
         "stream_version": 0, "occurred_on": "2024-12-31", "recorded_at": "2025-01-01T00:00:00.000000Z",
         "org_unit_id": "chi-bo-1", "actor": None, "correlation_id": None, "causation_id": None,
         "data": {"a": 1}, "prev_hash": "0" * 64, "position": 1}
    expected = reference_hash(f, key)
    assert event_hash(f) == expected
    assert Hasher()(*[canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]) == expected


@pytest.mark.parametrize("size", [63, 64, 65])
def test_a_key_of_a_whole_block_is_used_as_it_is(size):
    """RFC 2104: only a key longer than SHA-256's 64-byte block is hashed first."""
    key = Key("k-block", bytes(range(size)))
    f = {"event_id": "e-1", "type": "t", "schema_version": 1, "stream": "s", "stream_version": 0,
         "occurred_on": "2024-12-31", "recorded_at": "2025-01-01T00:00:00.000000Z", "org_unit_id": None,
         "actor": None, "correlation_id": None, "causation_id": None, "data": {}, "prev_hash": "0" * 64,
         "position": 3}
    assert Hasher(key)(*[canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]) == reference_hash(f, key)


def test_the_append_path_keeps_one_hasher_per_key(monkeypatch_key):
    from shared.eventstore.records import current_hasher
    first, second = Key("k-a", b"a" * 32), Key("k-b", b"b" * 32)
    monkeypatch_key(first)
    hasher = current_hasher()
    assert hasher.key is first and current_hasher() is hasher  # kept between batches
    monkeypatch_key(second)  # a rotated key: a new Hasher, with it
    assert current_hasher().key is second and current_hasher() is not hasher


MEMO_FIELDS = ("actor", "causation_id", "correlation_id", "occurred_on", "org_unit_id", "recorded_at",
               "schema_version", "scheme", "stream", "type")


@pytest.mark.parametrize("changed", [name for name in MEMO_FIELDS if name != "scheme"])
def test_a_field_taking_the_very_object_another_field_had_gets_its_own_hash(changed):
    """The memo of body pieces is matched field by field: an event whose ``changed`` field is now
    the very object another field held in the event before still gets its own hash."""
    from shared.events import POSITIONAL
    key = Key("k1", b"s" * 32)
    for other in MEMO_FIELDS:
        if other == changed:
            continue
        hasher = Hasher(key)
        shared = POSITIONAL if other == "scheme" else "".join(["shared-", other])  # a new object
        first = {"event_id": "e-1", "type": "member.rated", "schema_version": 1, "stream": "member-1",
                 "stream_version": 0, "occurred_on": "2024-12-31", "recorded_at": "2025-01-01T00:00:00.000000Z",
                 "org_unit_id": "chi-bo-1", "actor": None, "correlation_id": "c-1", "causation_id": None,
                 "data": {"a": 1}, "prev_hash": "0" * 64, "position": 5, changed: "".join(["old-", changed])}
        if other != "scheme":
            first[other] = shared
        second = {**first, "event_id": "e-2", "stream_version": 1, changed: shared}
        for f in (first, second):
            args = [canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]
            assert hasher(*args) == event_hash(f, key), (changed, other)


def test_fields_that_are_not_text_are_written_as_the_simple_path_writes_them():
    """The id and the link are text in every store; a caller handing in something else (an int id,
    no link) gets the simple path's hash, not an error or another text."""
    key = Key("k1", b"s" * 32)
    for link, version in ((None, 0), (0, "0"), ("0" * 64, True)):
        f = {"event_id": 7, "type": "t", "schema_version": 1, "stream": "s", "stream_version": version,
             "occurred_on": "2024-12-31", "recorded_at": "2025-01-01T00:00:00.000000Z", "org_unit_id": None,
             "actor": None, "correlation_id": None, "causation_id": None, "data": {}, "prev_hash": link,
             "position": 3}
        assert Hasher(key)(*[canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]) == event_hash(f, key)


def test_the_scheme_changing_to_the_object_the_stream_was_gets_its_own_hash():
    from shared.events import POSITIONAL
    key = Key("k1", b"s" * 32)
    hasher = Hasher(key)
    first = {"event_id": "e-1", "type": "t", "schema_version": 1, "stream": POSITIONAL, "stream_version": 0,
             "occurred_on": "2024-12-31", "recorded_at": "2025-01-01T00:00:00.000000Z", "org_unit_id": None,
             "actor": None, "correlation_id": None, "causation_id": None, "data": {}, "prev_hash": "0" * 64,
             "position": None}
    for f in (first, {**first, "event_id": "e-2", "position": 4}):  # unpositioned, then positioned
        assert hasher(*[canonical_json(f[n]) if n == "data" else f[n] for n in ORDER]) == event_hash(f, key)
