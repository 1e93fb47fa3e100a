"""What the SQL adapters share: turning new events into hashed rows, and rows into envelopes."""
from __future__ import annotations

import datetime as dt
import json
from typing import Sequence

from shared.events import (Envelope, GENESIS_HASH, NewEvent, canonical_json, event_hash,
                           format_recorded_at, utcnow)

COLUMNS = ("position", "event_id", "stream", "stream_version", "type", "schema_version",
           "occurred_on", "recorded_at", "org_unit_id", "actor", "correlation_id",
           "causation_id", "data", "hash", "prev_hash")


def chain(stream: str, events: Sequence[NewEvent], last_version: int, last_hash: str | None,
          first_position: int) -> list[dict]:
    """Fields of each new event with its stream version, global position and hash link."""
    now = utcnow()
    prev = last_hash or GENESIS_HASH
    rows = []
    for i, ev in enumerate(events):
        recorded = ev.recorded_at or now
        fields = {
            "event_id": ev.event_id, "type": ev.type, "schema_version": ev.schema_version,
            "stream": stream, "stream_version": last_version + 1 + i,
            "occurred_on": ev.occurred_on.isoformat(), "recorded_at": format_recorded_at(recorded),
            "org_unit_id": ev.org_unit_id, "actor": ev.actor,
            "correlation_id": ev.correlation_id, "causation_id": ev.causation_id,
            "data": ev.data, "prev_hash": prev,
        }
        fields["hash"] = event_hash(fields)
        fields["position"] = first_position + i
        prev = fields["hash"]
        rows.append(fields)
    return rows


def row_params(fields: dict) -> tuple:
    return tuple(canonical_json(fields[c]) if c == "data" else fields[c] for c in COLUMNS)


def envelope(row: Sequence) -> Envelope:
    f = dict(zip(COLUMNS, row))
    data = f["data"]
    f["data"] = json.loads(data) if isinstance(data, (str, bytes)) else data
    rec = f["recorded_at"]
    if isinstance(rec, str):
        f["recorded_at"] = dt.datetime.fromisoformat(rec.replace("Z", "+00:00"))
    return Envelope.model_validate(f)
