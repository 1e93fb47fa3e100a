"""Events of the record itself: the upgrade of a plain-hash store to keyed hashes."""
from __future__ import annotations

from pydantic import Field

from shared.events import EventData, event_type


@event_type("integrity.upgraded")
class IntegrityUpgraded(EventData):
    """A store written with plain sha-256 chains was sealed with the integrity key: its history up
    to ``legacy_head_position`` is fixed by ``legacy_digest`` (over every old event's position,
    stream, version and hash), which this keyed event now protects. History is never rewritten."""

    legacy_head_position: int = Field(ge=1)
    legacy_event_count: int = Field(ge=1)
    legacy_last_hash: str
    legacy_digest: str
    key_id: str
