"""A client's ``Idempotency-Key`` names one request: sent again with the same body it is a retry
(the service finds the facts stored the first time and writes nothing), sent with another body it
is a mistake the client must hear of — answering with the first request's facts would tell it the
second one was recorded when nothing was written.

The gateway keeps, per command id (user, endpoint and key: ``service.context_of``), a digest of the
body sent under it, claimed before the service is called (so two bodies racing under one key cannot
both go on). A body the service refused on its content (nothing written) frees the key again:
corrected, it goes through under that key.
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
    """command id → the digest of the body claimed under it (``gw_idempotency``)."""

    def __init__(self, db: ReadModelDB):
        self.db = db
        schema.migrate(db)

    def claimed(self, command_id: str) -> str | None:
        rows = self.db.query("SELECT fingerprint FROM gw_idempotency WHERE command_id = ?", (command_id,))
        return rows[0][0] if rows else None

    def claim(self, command_id: str, key: str, digest: str) -> None:
        """Before the call: the key is this body's from now on, or ``idempotency_key_reused`` when
        another body has it (sent earlier, or at this very moment: the first insert wins)."""
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_idempotency (command_id, fingerprint, at) VALUES (?, ?, ?) "
                       "ON CONFLICT (command_id) DO NOTHING", (command_id, digest, at))
        if self.claimed(command_id) != digest:
            raise key_reused(key)

    def release(self, command_id: str, digest: str) -> None:
        """The service refused the body (nothing was written): the key is free for a corrected one.
        Not after a timeout or a lost answer — the body may have been written, so only it may come
        again under the key."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM gw_idempotency WHERE command_id = ? AND fingerprint = ?", (command_id, digest))
