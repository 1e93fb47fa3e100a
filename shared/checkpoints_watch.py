"""Checkpoints a source store no longer backs (a store restored from an older backup).

A projection's checkpoint (``projection_checkpoints``) and a relay's (in memory) say how far
they went in a source's log, and the projection records the id of the last event it applied.
When the log's head is below the checkpoint, or the event at the checkpoint's position is not the
one applied, the store was restored from an older copy (and perhaps written on past its old
head): events appended since take positions the checkpoint says are done, and would be skipped as
duplicates. The runner and the relay then stop and say so here, instead of skipping silently:
``/readyz`` shows the state (``shared.ops``), ``/metrics`` a gauge, and it is logged once
(``checkpoint_ahead_of_store``: names and positions only, nothing personal), until the operator
rebuilds the read model (``dangvien replay``; ``dangvien rebuild <service>``).
"""
from __future__ import annotations

import threading

import structlog

log = structlog.get_logger()

#: "projection:<name>/<source>" or "relay:<service>" -> {"state": "failed", "kind", "name",
#: "source", "checkpoint", "head", "message_vi", "message_en", "action"}
STATE: dict[str, dict] = {}
_lock = threading.Lock()


def event_at(store, position: int) -> tuple[int, str] | None:
    """(position, event id) of the first event of ``store`` at or after ``position`` (None: past its
    head): one small read (``EventLog.event_at``: on SQL, one indexed row of two columns); a log
    without it, its rows' or its events' first."""
    at = getattr(store, "event_at", None)
    if at is not None:
        return at(position)
    read_rows = getattr(store, "read_rows", None)
    if read_rows is not None:
        rows = next(iter(read_rows(["position", "event_id"], position, page=1)), [])
        return (rows[0][0], rows[0][1]) if rows else None
    env = next(iter(store.read_all(position, limit=1)), None)
    return None if env is None else (env.position, env.event_id)


def words(name: str, source: str, checkpoint: int, head: int | None, other_event: bool,
          resumed_from: int | None = None) -> tuple[str, str]:
    """The reason, in Vietnamese and in English."""
    vi, en = _reason(name, source, checkpoint, head, other_event)
    if resumed_from is None:
        return (f"{vi}; ngừng áp dụng để không bỏ sót sự kiện mới",
                f"{en}; applying stopped so that no new event is skipped")
    return (f"{vi}; phát lại từ vị trí {resumed_from} để không bỏ sót sự kiện mới",
            f"{en}; publishing again from position {resumed_from} so that no new event is skipped")


def _reason(name: str, source: str, checkpoint: int, head: int | None, other_event: bool) -> tuple[str, str]:
    if other_event:
        return (f"Kho sự kiện «{source}» đã được khôi phục từ bản sao lưu cũ: sự kiện ở vị trí {checkpoint} "
                f"không phải sự kiện «{name}» đã xử lý",
                f"Event store '{source}' was restored from an older backup: the event at position {checkpoint} "
                f"is not the one '{name}' processed")
    return (f"Kho sự kiện «{source}» đã được khôi phục từ bản sao lưu cũ: vị trí cuối của kho ({head}) "
            f"thấp hơn điểm đã xử lý của «{name}» ({checkpoint})",
            f"Event store '{source}' was restored from an older backup: its head ({head}) is below the "
            f"checkpoint of '{name}' ({checkpoint})")


def fail(key: str, kind: str, name: str, source: str, checkpoint: int, head: int | None,
         other_event: bool, action: str, resumed_from: int | None = None) -> None:
    """Record (and log, the first time) that ``name`` stopped on ``source`` (a relay: that it
    publishes again from ``resumed_from``)."""
    vi, en = words(name, source, checkpoint, head, other_event, resumed_from)
    entry = {"state": "failed", "kind": kind, "name": name, "source": source, "checkpoint": checkpoint,
             "head": head, "message_vi": vi, "message_en": en, "action": action}
    with _lock:
        known = STATE.get(key) == entry
        STATE[key] = entry
    if not known:
        log.error("checkpoint_ahead_of_store", kind=kind, name=name, source=source, checkpoint=checkpoint,
                  head=head, other_event=other_event, message_vi=vi, message_en=en, action=action)


def clear(key: str) -> None:
    with _lock:
        entry = STATE.pop(key, None)
    if entry is not None:
        log.info("checkpoint_backed_again", kind=entry["kind"], name=entry["name"], source=entry["source"])


def forget(prefix: str) -> None:
    """Drop the entries whose key starts with ``prefix`` (a read model generation replaced)."""
    with _lock:
        for key in [k for k in STATE if k.startswith(prefix)]:
            del STATE[key]


def snapshot() -> dict:
    with _lock:
        return {k: dict(v) for k, v in STATE.items()}
