"""A client's ``Idempotency-Key`` names one request: sent again with the same body it is a retry
(the service finds the facts stored the first time and writes nothing), sent with another body it
is a mistake the client must hear of — answering with the first request's facts would tell it the
second one was recorded when nothing was written.

The gateway keeps, per command id (user, endpoint and key: ``service.context_of``), a digest of the
body sent under it, claimed before the service is called (so two bodies racing under one key cannot
both go on). A body the service refused on its content (nothing written) frees the key again:
corrected, it goes through under that key; so does a call the gateway never sent (503
``service_busy``, ``service_unavailable``: the backend's share of workers was full, or it is not
running). A timeout, a lost answer or a gateway crash after the write keep the key: only the same
body may come again, and it gets the facts written the first time.

An import file or a spreadsheet list sent under a key is claimed the same way (its options and its
bytes), so another file under a key already used is refused before anything is read into the
stores; its lines' own derived event ids keep a retry of the same file from writing twice. A dry
run writes nothing and claims no key.

A claim is kept ``RETENTION`` (30 days, the retry window: an entry waiting in a cell's outbox on a
phone that was offline for weeks is still a retry); older claims are deleted by ``prune``, at most
once every ``PRUNE_EVERY`` seconds per gateway, through an index on the claim time. The facts
themselves keep their command id for ever, so a key sent again after its claim was pruned is not
written twice either: the service finds the old facts, and the gateway, seeing a claim it has just
made answered with facts recorded long before it, cannot tell whether the body is the same — it
answers ``idempotency_key_expired`` naming the day of the first request, never those facts as if
they were this request's.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time

from shared.errors import DomainError
from shared.events import canonical_json
from shared.readmodel import ReadModelDB

from services.gateway import schema


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def file_fingerprint(options: dict, content: bytes) -> str:
    """An uploaded file's request (an import file, a spreadsheet list): its options and its bytes."""
    return fingerprint({"options": options, "file": hashlib.sha256(content).hexdigest()})


def key_reused(key: str) -> DomainError:
    return DomainError("idempotency_key_reused",
                       f"Mã Idempotency-Key «{key}» đã được dùng cho một yêu cầu khác (nội dung khác); không có gì "
                       "được ghi — hãy dùng mã mới cho yêu cầu mới, hoặc gửi lại đúng nội dung cũ",
                       f"The Idempotency-Key '{key}' was already used for a different request (other content); "
                       "nothing was written — use a new key for a new request, or resend the same content",
                       field="Idempotency-Key")


#: how long a key's claim is kept: the window in which a client may send a request again
RETENTION = dt.timedelta(days=30)
#: prune at most this often (seconds) per gateway process
PRUNE_EVERY = 3600.0
#: facts recorded this long before a fresh claim belong to an earlier use of the key (clock skew
#: between the gateway and a service's store is far below it)
EARLIER_USE = dt.timedelta(hours=1)


def key_expired(key: str, first_on: str) -> DomainError:
    return DomainError("idempotency_key_expired",
                       f"Mã Idempotency-Key «{key}» đã được dùng cho một yêu cầu ghi ngày {first_on}, quá "
                       f"{RETENTION.days} ngày nên không còn đối chiếu được nội dung; không có gì được ghi thêm — "
                       "yêu cầu mới hãy dùng mã mới",
                       f"The Idempotency-Key '{key}' was used for a request recorded on {first_on}, more than "
                       f"{RETENTION.days} days ago, so its content can no longer be compared; nothing more was "
                       "written — use a new key for a new request",
                       field="Idempotency-Key")


def first_recorded(answer: dict) -> dt.datetime | None:
    """The earliest recording time among the events a command's answer carries (``{"ok", "events"}``;
    None: none)."""
    events = answer.get("events")
    times = []
    for e in events if isinstance(events, list) else ():
        at = e.get("recorded_at") if isinstance(e, dict) else None
        try:
            when = dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            continue
        times.append(when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc))
    return min(times) if times else None


def answered_by_an_earlier_use(answer: dict, claimed_at: dt.datetime) -> dt.datetime | None:
    """For a claim just made: the recording time of facts that predate it (an earlier use of the
    key whose claim was pruned), else None."""
    first = first_recorded(answer)
    return first if first is not None and first < claimed_at - EARLIER_USE else None


class KeyBook:
    """command id → the digest of the body claimed under it (``gw_idempotency``)."""

    def __init__(self, db: ReadModelDB, clock=time.monotonic):
        self.db = db
        schema.migrate(db)
        self.clock = clock
        self.pruned_at: float | None = None

    def claimed(self, command_id: str) -> str | None:
        rows = self.db.query("SELECT fingerprint FROM gw_idempotency WHERE command_id = ?", (command_id,))
        return rows[0][0] if rows else None

    def claim(self, command_id: str, key: str, digest: str, now: dt.datetime | None = None) -> bool:
        """Before the call: the key is this body's from now on, or ``idempotency_key_reused`` when
        another body has it (sent earlier, or at this very moment: the first insert wins). True
        when this call made the claim (no earlier attempt under the key is remembered)."""
        now = now or dt.datetime.now(dt.timezone.utc)
        self.prune(now)
        at = now.isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            fresh = tx.scalar("SELECT COUNT(*) FROM gw_idempotency WHERE command_id = ?", (command_id,), 0) == 0
            tx.execute("INSERT INTO gw_idempotency (command_id, fingerprint, at) VALUES (?, ?, ?) "
                       "ON CONFLICT (command_id) DO NOTHING", (command_id, digest, at))
        if self.claimed(command_id) != digest:
            raise key_reused(key)
        return fresh

    def prune(self, now: dt.datetime | None = None, force: bool = False) -> int:
        """Delete the claims older than ``RETENTION`` (at most once every ``PRUNE_EVERY`` seconds
        unless forced); return how many went."""
        tick = self.clock()
        if not force and self.pruned_at is not None and tick - self.pruned_at < PRUNE_EVERY:
            return 0
        self.pruned_at = tick
        cutoff = ((now or dt.datetime.now(dt.timezone.utc)) - RETENTION).isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            gone = tx.scalar("SELECT COUNT(*) FROM gw_idempotency WHERE at < ?", (cutoff,), 0)
            if gone:
                tx.execute("DELETE FROM gw_idempotency WHERE at < ?", (cutoff,))
        return int(gone)

    def release(self, command_id: str, digest: str) -> None:
        """The service refused the body (nothing was written): the key is free for a corrected one.
        Not after a timeout or a lost answer — the body may have been written, so only it may come
        again under the key."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM gw_idempotency WHERE command_id = ? AND fingerprint = ?", (command_id, digest))
