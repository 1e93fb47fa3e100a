"""A client's ``Idempotency-Key`` names one request: sent again with the same body it is a retry
(the service finds the facts stored the first time and writes nothing), sent with another body it
is a mistake the client must hear of — answering with the first request's facts would tell it the
second one was recorded when nothing was written.

The gateway keeps, per command id (user, endpoint and key: ``service.context_of``), a digest of the
body that was accepted under it. It is written only once the service has accepted the request, so
a body refused on its content does not use the key up: corrected, it goes through under that key.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from shared.errors import DomainError
from shared.events import canonical_json
from shared.readmodel import ReadModelDB

from services.gateway import schema


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def key_reused(key: str) -> DomainError:
    return DomainError("idempotency_key_reused",
                       f"Mã Idempotency-Key «{key}» đã được dùng cho một yêu cầu khác (nội dung khác); không có gì "
                       "được ghi — hãy dùng mã mới cho yêu cầu mới, hoặc gửi lại đúng nội dung cũ",
                       f"The Idempotency-Key '{key}' was already used for a different request (other content); "
                       "nothing was written — use a new key for a new request, or resend the same content",
                       field="Idempotency-Key")


class KeyBook:
    """command id → the digest of the body accepted under it (``gw_idempotency``)."""

    def __init__(self, db: ReadModelDB):
        self.db = db
        schema.migrate(db)

    def accepted(self, command_id: str) -> str | None:
        rows = self.db.query("SELECT fingerprint FROM gw_idempotency WHERE command_id = ?", (command_id,))
        return rows[0][0] if rows else None

    def check(self, command_id: str, key: str, digest: str) -> None:
        """Raise ``idempotency_key_reused`` when the key already carried another body."""
        seen = self.accepted(command_id)
        if seen is not None and seen != digest:
            raise key_reused(key)

    def remember(self, command_id: str, key: str, digest: str) -> None:
        """Keep the digest of an accepted body; when another body got there first (two requests
        under one key at once), this one was answered with that one's facts: raise, so its sender
        hears that nothing of its own was written."""
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_idempotency (command_id, fingerprint, at) VALUES (?, ?, ?) "
                       "ON CONFLICT (command_id) DO NOTHING", (command_id, digest, at))
        self.check(command_id, key, digest)
