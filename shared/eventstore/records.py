"""What the SQL adapters share: turning new events into hashed rows, and rows into envelopes."""
from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict

try:  # the fast decoder (chosen by measurement: python -m bench.decode); the standard library otherwise
    import orjson

    def decode_json(text):
        """A stored payload's JSON: orjson, or the standard library for what orjson refuses."""
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:  # what orjson refuses and json reads (NaN, integers over 64 bits)
            return json.loads(text)
except ImportError:  # pragma: no cover
    decode_json = json.loads
_loads = decode_json
from typing import Iterator, Sequence

from shared.events import (Envelope, GENESIS_HASH, Hasher, NewEvent, StoredTime, _canonical_fast, canonical_json,
                           format_recorded_at, utcnow)

COLUMNS = ("position", "event_id", "stream", "stream_version", "type", "schema_version",
           "occurred_on", "recorded_at", "org_unit_id", "actor", "correlation_id",
           "causation_id", "data", "hash", "prev_hash")


def chain(stream: str, events: Sequence[NewEvent], last_version: int, last_hash: str | None,
          first_position: int, hashed: bool = True) -> list[dict]:
    """Fields of each new event with its stream version, global position and keyed hash link.

    ``first_position`` 0 means the engine assigns positions after the write (KurrentDB): the
    hash then leaves the position out. ``hashed=False`` leaves the hash empty: for events
    buffered in memory, which the store chains (and hashes) again when they are written.
    Each field dict also carries ``data_json``, the payload serialised once (``canonical_json``)."""
    rows, _ = _chained(stream, events, last_version, last_hash, first_position, hashed, as_dicts=True)
    return rows


class Stamp:
    """One reading of the clock for the events chained together (a batch, or a whole commit group:
    ``now``), written once; the ``Hasher`` of the current key, looked up once; and the text of
    each event date met so far, so the events of many small batches share one text object (which
    lets ``Hasher`` re-use the piece of the hash body it is in)."""

    __slots__ = ("text", "value", "hasher", "dates")

    def __init__(self, now: dt.datetime | None = None, hashed: bool = True) -> None:
        self.text = format_recorded_at(now or utcnow())
        self.value = dt.datetime.fromisoformat(self.text[:-1] + "+00:00")  # as stored: microseconds, UTC
        self.hasher = current_hasher() if hashed else None
        self.dates: dict = {}


def chain_rows(stream: str, events: Sequence[NewEvent], last_version: int, last_hash: str | None,
               first_position: int, now: dt.datetime | Stamp | None = None,
               envelopes: bool = True) -> tuple[list[tuple], list[Envelope]]:
    """What ``chain`` computes, as the SQL adapters need it: the INSERT parameters of each event
    (``row_params`` of its fields, in ``COLUMNS`` order) and its envelope (``appended``). ``now``:
    the recording time of events without one (a batch chained piece by piece passes one reading;
    a commit group, one ``Stamp`` for all its batches). ``envelopes=False``: the rows only (the
    envelopes list is empty), for callers that need no envelope back (``append_positions``)."""
    return _chained(stream, events, last_version, last_hash, first_position, True, as_dicts=False, now=now,
                    envelopes=envelopes)


def _chained(stream, events, last_version, last_hash, first_position, hashed, as_dicts, now=None, envelopes=True):
    """One pass per event: the payload serialised once (for the hash body and the row alike), the
    hash body spliced by ``Hasher``, the envelope built from values already of the right type."""
    stamp = now if now.__class__ is Stamp else Stamp(now, hashed)  # one clock reading (and formatting) per batch
    now_text, now_value, dates = stamp.text, stamp.value, stamp.dates
    hasher = (stamp.hasher or current_hasher()) if hashed else None
    prev = last_hash or GENESIS_HASH
    version = last_version
    rows: list = []
    out: list = []
    # the events of a batch mostly share their date and recording time: each written once (the
    # same text object also lets ``Hasher`` re-use the piece of the hash body it is in)
    last_on = on_text = last_rec = rec_text = rec_value = None
    for i, ev in enumerate(events):
        version += 1
        position = first_position + i if first_position > 0 else None
        data = ev.data
        data_json = _canonical_fast(data)
        occurred_on = ev.occurred_on
        if occurred_on is not last_on:
            if occurred_on.__class__ is dt.date:  # a plain date: its text as the stamp has it
                on_text = dates.get(occurred_on)
                if on_text is None:
                    on_text = dates[occurred_on] = occurred_on.isoformat()
            else:
                on_text = occurred_on.isoformat()
            last_on = occurred_on
        recorded_at = ev.recorded_at
        if recorded_at is None:
            rec_text, rec_value, last_rec = now_text, now_value, None
        elif recorded_at is not last_rec:
            rec_text = format_recorded_at(recorded_at)
            rec_value = dt.datetime.fromisoformat(rec_text[:-1] + "+00:00") if envelopes else None
            last_rec = recorded_at
        event_id, type_, schema_version = ev.event_id, ev.type, ev.schema_version
        unit, actor, correlation, causation = ev.org_unit_id, ev.actor, ev.correlation_id, ev.causation_id
        hash_ = hasher(event_id, type_, schema_version, stream, version, on_text, rec_text, unit, actor,
                       correlation, causation, data_json, prev, position) if hashed else UNHASHED
        position = first_position + i
        if as_dicts:
            rows.append({
                "event_id": event_id, "type": type_, "schema_version": schema_version, "stream": stream,
                "stream_version": version, "occurred_on": on_text, "recorded_at": rec_text,
                "org_unit_id": unit, "actor": actor, "correlation_id": correlation, "causation_id": causation,
                "data": data, "prev_hash": prev, "position": position, "hash": hash_, "data_json": data_json})
        else:
            rows.append((position, event_id, stream, version, type_, schema_version, on_text, rec_text, unit,
                         actor, correlation, causation, data_json, hash_, prev))
            if envelopes:
                out.append(_construct({
                    "event_id": event_id, "type": type_, "schema_version": schema_version, "stream": stream,
                    "stream_version": version, "position": position,
                    "occurred_on": occurred_on if type(occurred_on) is dt.date else dt.date.fromisoformat(on_text),
                    "recorded_at": rec_value, "org_unit_id": unit, "actor": actor, "correlation_id": correlation,
                    "causation_id": causation, "data": data, "hash": hash_, "prev_hash": prev, "source": None}))
        prev = hash_
    return rows, out


_hasher: list = [None]  # the Hasher of the current key, kept between batches (one event each, in commands)


def current_hasher() -> Hasher:
    """The ``Hasher`` of this process's current integrity key: made again only when the key
    changes (a ``Hasher`` is safe to share between threads: it never changes a memo in place)."""
    from shared.keys import keyring
    key = keyring().current
    hasher = _hasher[0]
    if hasher is None or hasher.key is not key:
        hasher = _hasher[0] = Hasher(key)
    return hasher


#: the hash of a buffered event not written yet (``chain(hashed=False)``)
UNHASHED = ""


def row_params(fields: dict) -> tuple:
    """The INSERT parameters of a chained event; the payload serialised by ``chain`` is reused."""
    f = fields  # spelled out (not a loop over COLUMNS): this runs once per appended event
    data_json = f.get("data_json")
    return (f["position"], f["event_id"], f["stream"], f["stream_version"], f["type"], f["schema_version"],
            f["occurred_on"], f["recorded_at"], f["org_unit_id"], f["actor"], f["correlation_id"],
            f["causation_id"], canonical_json(f["data"]) if data_json is None else data_json, f["hash"],
            f["prev_hash"])


assert COLUMNS == ("position", "event_id", "stream", "stream_version", "type", "schema_version", "occurred_on",
                   "recorded_at", "org_unit_id", "actor", "correlation_id", "causation_id", "data", "hash",
                   "prev_hash"), "row_params, chain_rows and decode spell the columns out in this order"


def appended(fields: dict) -> Envelope:
    """The envelope of an event just chained, built from its fields without re-serialising,
    re-parsing or re-validating them (they were validated as a ``NewEvent``)."""
    rec = fields["recorded_at"]
    return _construct({
        "event_id": fields["event_id"], "type": fields["type"], "schema_version": fields["schema_version"],
        "stream": fields["stream"], "stream_version": fields["stream_version"], "position": fields["position"],
        "occurred_on": dt.date.fromisoformat(fields["occurred_on"]),
        "recorded_at": dt.datetime.fromisoformat(rec[:-1] + "+00:00") if isinstance(rec, str) else rec,
        "org_unit_id": fields["org_unit_id"], "actor": fields["actor"], "correlation_id": fields["correlation_id"],
        "causation_id": fields["causation_id"], "data": fields["data"], "hash": fields["hash"],
        "prev_hash": fields["prev_hash"], "source": None})


_FIELDS_SET = set(Envelope.model_fields)
_SET = object.__setattr__


def _construct(values: dict) -> Envelope:
    """``Envelope.model_construct`` without its per-call bookkeeping: ``values`` holds every field,
    in declaration order, already of the right type (the caller guarantees it)."""
    env = Envelope.__new__(Envelope)
    _SET(env, "__dict__", values)
    _SET(env, "__pydantic_fields_set__", _FIELDS_SET)  # shared: an Envelope is frozen, nothing adds to it
    _SET(env, "__pydantic_extra__", None)
    _SET(env, "__pydantic_private__", None)
    return env


def _copied(value):
    """A JSON value (dicts, lists and scalars, as a payload is) copied down to its immutable leaves."""
    cls = value.__class__
    if cls is dict:
        return {key: _copied(item) if item.__class__ in _CONTAINERS else item for key, item in value.items()}
    if cls is list:
        return [_copied(item) if item.__class__ in _CONTAINERS else item for item in value]
    return value


_CONTAINERS = (dict, list)


def own_copy(env: Envelope) -> Envelope:
    """An envelope equal to ``env`` whose payload the caller may change without changing ``env``'s
    (an ``Envelope`` is frozen, its payload dict is not)."""
    values = dict(env.__dict__)
    values["data"] = _copied(values["data"])
    return _construct(values)


#: the recording time last read, as (its text, its value): the events of one append share one
#: (a whole import's), so it is parsed once for them (a datetime is immutable: shared safely)
_recorded: tuple = ("", None)
#: event dates read so far, text → date (immutable); bounded: cleared when full
_dates: dict[str, dt.date] = {}
DATES_KEPT = 4096


def _recorded_at(text: str) -> dt.datetime:
    global _recorded
    last = _recorded
    if last[0] == text:
        return last[1]
    value = StoredTime.parse(text)
    _recorded = (text, value)
    return value


def _date(text: str) -> dt.date:
    value = _dates.get(text)
    if value is None:
        value = dt.date.fromisoformat(text)
        if len(_dates) >= DATES_KEPT:
            _dates.clear()
        _dates[text] = value
    return value


def decode(row: Sequence) -> Envelope:
    """A stored row as an envelope, for bulk reads (replay): the payload parsed by orjson and the
    row trusted as stored (every field was validated on append), so no model validation; a date
    or recording time met before is parsed once."""
    data, rec, on = row[12], row[7], row[6]
    return _construct({
        "event_id": row[1], "type": row[4], "schema_version": row[5], "stream": row[2],
        "stream_version": row[3], "position": row[0],
        "occurred_on": _date(on) if isinstance(on, str) else on,
        "recorded_at": _recorded_at(rec) if isinstance(rec, str) else rec,
        "org_unit_id": row[8], "actor": row[9], "correlation_id": row[10], "causation_id": row[11],
        "data": _loads(data) if isinstance(data, (str, bytes)) else data, "hash": row[13],
        "prev_hash": row[14], "source": None})


def envelope(row: Sequence) -> Envelope:
    f = dict(zip(COLUMNS, row))
    data = f["data"]
    f["data"] = json.loads(data) if isinstance(data, (str, bytes)) else data
    rec = f["recorded_at"]
    if isinstance(rec, str):
        f["recorded_at"] = dt.datetime.fromisoformat(rec.replace("Z", "+00:00"))
    return Envelope.model_validate(f)


SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM events"
PAGE = 2000
#: streams a store keeps after ``read_streams`` (a few events each: units, members)
CACHED_STREAMS = 1024


class _KeptStreams(OrderedDict):
    """Stream name -> its events as last read, least recently read first; ``lock`` guards it."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()


class SqlReads:
    """The reads both SQL adapters share; ``P`` is the driver's placeholder and ``_query(sql,
    params)`` runs one statement. Paged so neither side holds the whole log at once."""

    P = "?"
    #: positions are 1, 2, 3, ... without gaps, and known before the write (so they are hashed)
    positions_gapless = True

    def _query(self, sql: str, params: tuple = ()) -> list:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql.replace("?", self.P)

    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        rows = self._query(self._sql(f"{SELECT} WHERE stream = ? AND stream_version >= ? ORDER BY stream_version"),
                           (stream, from_version))
        return [decode(r) for r in rows]

    def read_streams(self, streams: Sequence[str], event_id: str | None = None
                     ) -> tuple[dict[str, list[Envelope]], Envelope | None]:
        """One statement for a command's reads (the port's ``read_streams``). A stream read this
        way is kept (``CACHED_STREAMS`` at most, least recently read dropped first): the next read
        asks only for its events after the kept ones — streams only grow, and a reader sees only
        committed rows — so a unit every admission reads is not sent, decoded and built again."""
        names = list(dict.fromkeys(streams))
        kept = self._kept_streams()
        with kept.lock:
            known = {name: kept[name] for name in names if name in kept}
            for name in known:
                kept.move_to_end(name)
        after = {name: known[name][-1].stream_version if name in known else -1 for name in names}
        where, params = [], []
        for name in names:
            where.append("(stream = ? AND stream_version > ?)")
            params += [name, after[name]]
        if event_id is not None:
            where.append("event_id = ?")
            params.append(event_id)
        if not where:
            return {}, None
        rows = self._query(self._sql(f"{SELECT} WHERE {' OR '.join(where)} ORDER BY position"), tuple(params))
        fresh: dict[str, list[Envelope]] = {name: [] for name in names}
        found = None
        for row in rows:
            env = decode(row)
            if env.event_id == event_id:
                found = env
            if env.stream in fresh and env.stream_version > after[env.stream]:  # not the id's row only
                fresh[env.stream].append(env)
        read: dict[str, list[Envelope]] = {}
        for name in names:
            events = [*known.get(name, ()), *fresh[name]]
            if any(env.stream_version != i for i, env in enumerate(events)):  # never expected: read it plainly
                events = self.read_stream(name)
            read[name] = events
        with kept.lock:
            for name, events in read.items():
                if events:
                    kept[name] = tuple(events)
                    kept.move_to_end(name)
            while len(kept) > CACHED_STREAMS:
                kept.popitem(last=False)
        # the kept envelopes stay the store's: the caller gets its own (a command that changes a
        # payload it read changes nothing that the next command reads)
        out = {name: [own_copy(env) for env in events] for name, events in read.items()}
        return out, (None if found is None else own_copy(found))

    def _kept_streams(self) -> "_KeptStreams":
        kept = self.__dict__.get("_kept")
        if kept is None:
            kept = self.__dict__.setdefault("_kept", _KeptStreams())
        return kept

    def read_all(self, from_position: int = 1, limit: int | None = None,
                 to_position: int | None = None) -> Iterator[Envelope]:
        upper = to_position if to_position is not None else 2 ** 62
        sql = self._sql(f"{SELECT} WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?")
        position, left = from_position, limit
        while left is None or left > 0:
            n = PAGE if left is None else min(PAGE, left)
            rows = self._query(sql, (position, upper, n))
            for r in rows:
                yield decode(r)
            if len(rows) < n:
                return
            position = rows[-1][0] + 1
            if left is not None:
                left -= len(rows)

    def event_at(self, position: int) -> tuple[int, str] | None:
        rows = self._query(self._sql("SELECT position, event_id FROM events WHERE position >= ? "
                                     "ORDER BY position LIMIT 1"), (position,))
        return (rows[0][0], rows[0][1]) if rows else None

    def read_rows(self, columns: Sequence[str], from_position: int = 1, page: int = PAGE) -> Iterator[list[tuple]]:
        """Pages of stored rows as the driver returns them, ``columns`` (of ``COLUMNS``, ``position``
        first) in position order: for bulk jobs (a replay) that decode only what they use."""
        if columns[0] != "position" or not set(columns) <= set(COLUMNS):
            raise ValueError(f"columns must be of {COLUMNS}, position first: {columns}")
        sql = self._sql(f"SELECT {', '.join(columns)} FROM events WHERE position >= ? ORDER BY position LIMIT ?")
        position = from_position
        while True:
            rows = self._query(sql, (position, page))
            if rows:
                yield rows
            if len(rows) < page:
                return
            position = rows[-1][0] + 1

    def read_rows_of_type(self, columns: Sequence[str], type_: str, first: int, last: int) -> list[tuple]:
        """The stored rows of the events of type ``type_`` from position ``first`` to ``last``,
        ``columns`` (of ``COLUMNS``) in position order: for bulk jobs that read one kind of event
        of a range apart from the rest (a replay's absences, ``bulk_replay.missed_rows``)."""
        if not set(columns) <= set(COLUMNS):
            raise ValueError(f"columns must be of {COLUMNS}: {columns}")
        return self._query(self._sql(f"SELECT {', '.join(columns)} FROM events WHERE position BETWEEN ? AND ? "
                                     "AND type = ? ORDER BY position"), (first, last, type_))

    def stream_version(self, stream: str) -> int:
        row = self._query(self._sql("SELECT MAX(stream_version) FROM events WHERE stream = ?"), (stream,))[0][0]
        return -1 if row is None else row

    def stream_names(self) -> Iterator[str]:
        for (name,) in self._query("SELECT DISTINCT stream FROM events ORDER BY stream"):
            yield name

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        rows = self._query(self._sql(f"{SELECT} WHERE event_id = ?"), (event_id,))
        return decode(rows[0]) if rows else None

    def get_checkpoint(self, name: str) -> int:
        rows = self._query(self._sql("SELECT position FROM checkpoints WHERE name = ?"), (name,))
        return rows[0][0] if rows else 0
