"""The event envelope, the catalog registry, upcasting, canonical JSON and hashing.

Every store and the bus carry the same envelope (DESIGN.md §2). Payload models live in
``shared.catalog`` and register themselves here with ``@event_type("member.admitted")``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from json.encoder import encode_basestring as _encode_str
from typing import Any, Callable, ClassVar, Iterable

from pydantic import BaseModel, ConfigDict, Field

GENESIS_HASH = "0" * 64
EVENT_ID_NAMESPACE = uuid.UUID("6f1d1a52-4a0e-4c83-9a51-0d8b7a8a2d10")


class EventData(BaseModel):
    """Base of every payload model: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    #: payload fields holding personal data (Decree 13/2023): sealed per subject in the store.
    PERSONAL: ClassVar[tuple[str, ...]] = ()


_CATALOG: dict[str, type[EventData]] = {}
_UPCASTERS: dict[tuple[str, int], Callable[[dict], dict]] = {}


def event_type(name: str, version: int = 1):
    """Class decorator registering a payload model under its published type name."""

    def register(cls: type[EventData]) -> type[EventData]:
        if name in _CATALOG and _CATALOG[name] is not cls:
            raise ValueError(f"event type {name} registered twice")
        cls.TYPE = name
        cls.SCHEMA_VERSION = version
        _CATALOG[name] = cls
        return cls

    return register


def upcaster(name: str, from_version: int):
    """Register a function turning payload ``from_version`` into ``from_version + 1``."""

    def register(fn: Callable[[dict], dict]):
        _UPCASTERS[(name, from_version)] = fn
        return fn

    return register


def catalog() -> dict[str, type[EventData]]:
    import shared.catalog  # noqa: F401  (registers every published type)

    return dict(_CATALOG)


def model_for(type_name: str) -> type[EventData]:
    types = catalog()
    if type_name not in types:
        raise KeyError(type_name)
    return types[type_name]


def upcast(type_name: str, version: int, data: dict) -> tuple[int, dict]:
    """Bring a stored payload up to the current schema version of its type."""
    current = catalog()[type_name].SCHEMA_VERSION if type_name in _CATALOG else version
    while version < current:
        data = _UPCASTERS[(type_name, version)](data)
        version += 1
    return version, data


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept (hashes depend on it)."""
    return _ENCODER.encode(value)


def _canonical_fast(value: Any) -> str:
    """``canonical_json(value)``, by orjson when the value holds only what orjson writes exactly as
    ``json`` does (str, int, bool, None in dicts with str keys and lists); otherwise (floats, whose
    exponent form differs; subclasses and enums; dates; ints beyond 64 bits, which orjson refuses)
    by ``json`` itself. Same text for every value: tests/unit/spine/test_fast_hash.py proves it."""
    if _orjson is not None and _plain(value):
        try:
            return _orjson.dumps(value, option=_SORT_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError: a too deep nesting or a too big int
            pass
    return _ENCODER.encode(value)


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _plain(item)):
                return False
        return True
    if kind is list:
        for item in value:
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    return kind in _SCALARS


_SCALARS = frozenset({str, int, bool, type(None)})


def _default(value: Any):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


#: what ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
#: default=_default)`` builds on every call, built once (the same encoder: the same text)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)
try:
    import orjson as _orjson
    _SORT_KEYS = _orjson.OPT_SORT_KEYS
except ImportError:  # pragma: no cover
    _orjson = None


def derived_event_id(*parts: Any) -> str:
    """A stable id from content, so a retried command or re-imported line writes nothing new:
    ``str(uuid.uuid5(EVENT_ID_NAMESPACE, canonical_json(list(parts))))``, built without the
    ``UUID`` object and with ``_canonical_fast`` (an import derives one per line; the same text:
    tests/unit/spine/test_fast_hash.py)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + _canonical_fast(list(parts)).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class NewEvent(BaseModel):
    """What a service asks the store to append; the store fills stream position, clocks, hashes."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: dict
    occurred_on: dt.date
    org_unit_id: str | None = None
    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    schema_version: int = 1
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    recorded_at: dt.datetime | None = None  # None: the store stamps "now"

    @classmethod
    def of(cls, payload: EventData, occurred_on: dt.date, org_unit_id: str | None = None, **meta) -> "NewEvent":
        return cls(
            type=payload.TYPE,
            schema_version=payload.SCHEMA_VERSION,
            data=payload.model_dump(mode="json"),
            occurred_on=occurred_on,
            org_unit_id=org_unit_id,
            **meta,
        )


class Envelope(BaseModel):
    """A stored event, identical in every store and on the bus (DESIGN.md §2)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    type: str
    schema_version: int
    stream: str
    stream_version: int
    position: int
    occurred_on: dt.date
    recorded_at: dt.datetime
    org_unit_id: str | None = None
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict
    #: "hp:<key id>:<hex>" HMAC-SHA-256 with the integrity key over every field above, the
    #: position included ("h:..." without it, KurrentDB); 64 hex digits (plain sha-256) in events
    #: written before keyed hashing (docs/integrity.md)
    hash: str = Field(description="keyed hash 'hp:<key id>:<hmac-sha256 hex>' (64-hex plain sha-256 before "
                                  "keyed hashing); see docs/integrity.md")
    prev_hash: str = Field(description="the stream's previous event's hash (64 zeros for the first)")
    source: str | None = None  # producing service; set by the relay, not hashed

    def payload(self) -> EventData:
        """The typed payload, upcast to the current schema version."""
        _, data = upcast(self.type, self.schema_version, self.data)
        return model_for(self.type).model_validate(data)

    def to_message(self) -> dict:
        return json.loads(canonical_json(self.model_dump(mode="json")))


#: the fields of the plain sha-256 chain of stores written before keyed hashing (verify only)
LEGACY_FIELDS = (
    "event_id", "type", "schema_version", "stream", "stream_version", "occurred_on",
    "recorded_at", "org_unit_id", "actor", "correlation_id", "causation_id", "data", "prev_hash",
)
#: keyed hashes also cover the global position (SQL stores know it before the write) and the
#: hash scheme and key id, so none of them can be changed without the key
HASHED_FIELDS = LEGACY_FIELDS + ("position", "scheme", "key_id")
#: "hp": HMAC-SHA-256 covering the position (SQLite, PostgreSQL); "h": without it (KurrentDB,
#: whose commit position is assigned by the server after the write, and which cannot be edited)
POSITIONAL, UNPOSITIONED = "hp", "h"


class StoredTime(dt.datetime):
    """A recording time read back from a store, carrying the text it was stored as, so that
    ``format_recorded_at`` (called for every event a projection applies) need not re-format it."""

    __slots__ = ("text",)

    @classmethod
    def parse(cls, text: str) -> dt.datetime:
        value = cls.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if len(text) == 27 and text[-1] == "Z":  # exactly the form format_recorded_at writes
            value.text = text
        return value


def format_recorded_at(value: dt.datetime) -> str:
    """One text form for the recording clock in every store (microseconds, UTC, 'Z')."""
    text = getattr(value, "text", None)
    if text is not None:
        return text
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash_body(fields: dict, names: tuple[str, ...]) -> bytes:
    body = {}
    for name in names:
        value = fields.get(name)
        if isinstance(value, dt.datetime):
            value = format_recorded_at(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        body[name] = value
    return canonical_json(body).encode("utf-8")


def legacy_hash(fields: dict) -> str:
    """The plain sha-256 of stores written before keyed hashing: only to verify their old events."""
    return hashlib.sha256(_hash_body(fields, LEGACY_FIELDS)).hexdigest()


def event_hash(fields: dict, key=None) -> str:
    """THE hash of an event: HMAC-SHA-256 with the current integrity key, ``<scheme>:<key id>:<hex>``.

    ``fields`` are the envelope fields (``prev_hash`` included: a chain); ``position`` is covered
    when it is an int > 0 (SQL stores), left out as None otherwise (KurrentDB). ``key`` defaults to
    this process's current key (``shared.keys``). Call it once per event.
    """
    if key is None:
        from shared.keys import keyring
        key = keyring().current
    position = fields.get("position")
    positional = isinstance(position, int) and position > 0
    scheme = POSITIONAL if positional else UNPOSITIONED
    body = _hash_body({**fields, "position": position if positional else None, "scheme": scheme,
                       "key_id": key.id}, HASHED_FIELDS)
    return f"{scheme}:{key.id}:{hmac.new(key.secret, body, hashlib.sha256).hexdigest()}"


class Hasher:
    """``event_hash`` for many events under one key, without a fields dict per event: the payload
    arrives already serialised (``data_json``, the text that is also stored), the other fields are
    spliced into the body in its sorted-key order, and the HMAC starts from the key's precomputed
    pads. The body bytes are exactly ``_hash_body``'s (tests/unit/spine/test_fast_hash.py)."""

    __slots__ = ("key", "_key_id", "_inner", "_outer", "_tags", "_memo", "_stream")

    def __init__(self, key=None) -> None:
        if key is None:
            from shared.keys import keyring
            key = keyring().current
        self.key = key
        self._key_id = _field_json(key.id)
        secret = key.secret
        if len(secret) > _SHA256_BLOCK:  # RFC 2104: a long key is hashed first (as hmac.new does)
            secret = hashlib.sha256(secret).digest()
        secret = secret.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(secret.translate(hmac.trans_36))
        self._outer = hashlib.sha256(secret.translate(hmac.trans_5C))
        self._tags = {scheme: f"{scheme}:{key.id}:" for scheme in (POSITIONAL, UNPOSITIONED)}
        #: the body's pieces the last event had (see ``_pieces``): the fields they were written
        #: from, then the pieces; consecutive events of a batch share most of them
        self._memo: list = [_MISS] * 13
        #: the last stream and its text, apart from the memo: single-event appends of a commit
        #: group share everything else but their streams (one memo for all of them)
        self._stream: tuple = (_MISS, "")

    def __call__(self, event_id, type_, schema_version, stream, stream_version, occurred_on, recorded_at,
                 org_unit_id, actor, correlation_id, causation_id, data_json: str, prev_hash, position) -> str:
        """THE hash (``event_hash``) of the event with these fields; ``data_json`` is
        ``canonical_json(data)``."""
        positional = isinstance(position, int) and position > 0
        scheme = POSITIONAL if positional else UNPOSITIONED
        m = self._memo
        if not (actor is m[0] and causation_id is m[1] and correlation_id is m[2] and occurred_on is m[3]
                and org_unit_id is m[4] and recorded_at is m[5] and schema_version is m[6] and scheme is m[7]
                and type_ is m[8]):
            m = self._pieces(type_, schema_version, occurred_on, recorded_at, org_unit_id, actor,
                             correlation_id, causation_id, scheme)
        e, f = _encode_str, _field_json  # a str straight to the C escaper, an int by its repr
        last = self._stream
        if stream is last[0]:
            stream_text = last[1]
        else:
            stream_text = e(stream) if stream.__class__ is str else f(stream)
            if stream.__class__ is str:  # immutable: its text may be kept for as long as the object is
                self._stream = (stream, stream_text)
        body = (f'{m[9]}{data_json},"event_id":{e(event_id) if event_id.__class__ is str else f(event_id)}{m[10]}'
                f'{(position if position.__class__ is int else f(position)) if positional else "null"},'
                f'"prev_hash":{e(prev_hash) if prev_hash.__class__ is str else f(prev_hash)}{m[11]}'
                f'{stream_text},"stream_version":'
                f'{stream_version if stream_version.__class__ is int else f(stream_version)}{m[12]}')
        inner = self._inner.copy()
        inner.update(body.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return self._tags[scheme] + outer.hexdigest()

    def _pieces(self, type_, schema_version, occurred_on, recorded_at, org_unit_id, actor, correlation_id,
                causation_id, scheme) -> list:
        """The body in the pieces between the fields that differ from event to event (payload, id,
        position, link, stream, stream version), remembered with the very objects they were written
        from (immutable ones only: anything else is written again for every event)."""
        f = _field_json
        pieces = [f'{{"actor":{f(actor)},"causation_id":{f(causation_id)},"correlation_id":{f(correlation_id)},"data":',
                  f',"key_id":{self._key_id},"occurred_on":{f(occurred_on)},"org_unit_id":{f(org_unit_id)},"position":',
                  f',"recorded_at":{f(recorded_at)},"schema_version":{f(schema_version)},"scheme":"{scheme}",'
                  f'"stream":',
                  f',"type":{f(type_)}}}']
        fields = [actor, causation_id, correlation_id, occurred_on, org_unit_id, recorded_at, schema_version, scheme,
                  type_]
        if all(value.__class__ in _IMMUTABLE for value in fields):
            self._memo = memo = fields + pieces
            return memo
        self._memo = [_MISS] * 13
        return [_MISS] * 9 + pieces


#: no field is this object: a memo holding it matches no event
_MISS = object()
#: the field types whose written text a memo may keep for as long as it holds the very object
_IMMUTABLE = frozenset({str, int, type(None), dt.date, dt.datetime})


_SHA256_BLOCK = 64
#: the order ``Hasher`` writes the fields in: canonical JSON sorts the keys
assert tuple(sorted(HASHED_FIELDS)) == (
    "actor", "causation_id", "correlation_id", "data", "event_id", "key_id", "occurred_on", "org_unit_id",
    "position", "prev_hash", "recorded_at", "schema_version", "scheme", "stream", "stream_version", "type")
assert POSITIONAL.isalnum() and UNPOSITIONED.isalnum()  # spliced in as they are


def _field_json(value: Any) -> str:
    """One top-level field of the hash body as ``_hash_body`` writes it (dates as text)."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, dt.datetime):
        value = format_recorded_at(value)
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return _ENCODER.encode(value)


def is_legacy(hash_value: str) -> bool:
    return ":" not in hash_value


def check_hash(fields: dict, ring=None, positional: bool | None = None) -> str | None:
    """Why the stored ``fields["hash"]`` is wrong, or None when it is right.

    Codes: ``unkeyed`` (a plain sha-256: only valid for events sealed by the upgrade, checked by
    the verifier), ``unknown_key``, ``unpositioned`` (a SQL store's event hashed without its
    position), ``hash``. ``positional`` True demands the position be covered.
    """
    stored = fields.get("hash") or ""
    if is_legacy(stored):
        return "unkeyed"
    try:
        scheme, key_id, _ = stored.split(":", 2)
    except ValueError:
        return "hash"
    if scheme not in (POSITIONAL, UNPOSITIONED):
        return "hash"
    if positional and scheme != POSITIONAL:
        return "unpositioned"
    if ring is None:
        from shared.keys import keyring
        ring = keyring()
    key = ring.get(key_id)
    if key is None:
        return "unknown_key"
    if scheme == UNPOSITIONED:
        fields = {**fields, "position": None}
    return None if hmac.compare_digest(event_hash(fields, key), stored) else "hash"


def fold(evolve: Callable, initial, events: Iterable):
    """A state from its history: ``evolve`` applied to each event in order, starting at ``initial``."""
    state = initial
    for event in events:
        state = evolve(state, event)
    return state


def stream_name(kind: str, *ids) -> str:
    """The one way to name a stream: its kind, then the ids that make it one, joined by "-"
    (``member-M1``, ``rating-G1-2024``). Stored names are facts: a name never changes."""
    return "-".join((kind, *(str(i) for i in ids)))


def by_type(steps: dict[str, Callable]) -> Callable:
    """An ``evolve`` that dispatches on the event type: ``steps[type](state, event)``; a type with no
    step leaves the state as it is (a newer event type, or one that does not concern the state)."""
    def evolve(state, event):
        step = steps.get(event.type)
        return step(state, event) if step is not None else state
    return evolve


def verify_chain(events: Iterable[Envelope], ring=None, positional: bool | None = None) -> Envelope | None:
    """Return the first event of a stream whose keyed hash or link is wrong, or None when intact.

    Plain (unkeyed) hashes fail here; the store verifier (``shared.integrity``) accepts them only
    for the events an upgrade seal covers.
    """
    prev = GENESIS_HASH
    for env in events:
        if env.prev_hash != prev or check_hash(env.model_dump(), ring, positional) is not None:
            return env
        prev = env.hash
    return None
