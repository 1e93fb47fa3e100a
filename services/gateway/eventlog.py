"""``GET /api/v1/events``: a service's event log re-read from a position, for feed consumers that
missed messages (docs/events/README.md). Only the events of units in the caller's org scope; the
events as the feed publishes them (personal fields sealed); bounded pages."""
from __future__ import annotations

import datetime as dt

from shared.errors import DomainError

from services.gateway import access
from services.gateway.access import chain_on
from services.gateway.audit import dicts_in
from services.gateway.http import query_int

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
#: the highest position a consumer may name (a bookmark past the head reads an empty page)
MAX_AFTER = 2 ** 62


def page_request(args, services: tuple[str, ...]) -> tuple[str, int, int]:
    """(service, after, limit) from the query string, or a bilingual 422 naming the field."""
    service = args.get("service")
    if service not in services:
        raise DomainError("invalid_input", f"«service» phải là một trong: {', '.join(services)}",
                          f"'service' must be one of: {', '.join(services)}", field="service")
    return service, query_int(args, "after", 0, 0, MAX_AFTER), query_int(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def units_of(event: dict) -> list[str]:
    """The units an event concerns: its own; for a unit's own event (moved, merged: filed under the
    new parent or the successor) the unit itself; for a member's official transfer, the unit the
    member left — the district the member leaves keeps a mirror of its members and must hear of it
    (the unit left is in the payload, not personal; the member's personal fields stay sealed); for
    an introduction to the residence cell (QĐ 213), that cell — the residence district must hear of
    the member introduced to it, which may be in another district (only this event names it: the
    member's other events stay with the member's own district)."""
    units = [event.get("org_unit_id")]
    data = event.get("data") or {}
    if event.get("type") == "member.transferred":
        units.append(data.get("from_org_unit_id"))
    elif event.get("type") == "member.liaison_introduced":
        units.append(data.get("residence_org_unit_id"))
    if str(event.get("type", "")).startswith("org_unit.") and data.get("org_unit_id") not in units:
        units.append(data.get("org_unit_id"))  # a move or merge is filed under the new parent/successor
    return [u for u in units if u]


def day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def concerns_scope(scope: str, event: dict, resolver: access.Resolver) -> bool:
    """Whether a reader of ``scope`` sees the event (docs/events/README.md, "Which events a scoped
    reader sees"): one of its units lies in the scope now — the whole history of a unit moved in,
    its earlier events included — or lay in it on the event's business date — a unit moved out
    keeps its past with the scope that had it, and nothing dated after it left. A move is also seen
    by the scope the unit leaves."""
    day = str(event.get("occurred_on") or "")
    for unit in units_of(event):
        if access.unit_in_scope(scope, unit, resolver):
            return True
        spans = resolver.spans(unit) if day else None
        if not spans:
            continue
        days = [day, day_before(day)] if event.get("type") == "org_unit.moved" else [day]
        if any(scope in chain_on(spans, d) for d in days):
            return True
    return False


def visible(scope: str | None, events: list[dict], resolver: access.Resolver) -> list[dict]:
    """The events a user of ``scope`` may read (``concerns_scope``; an event of no unit is
    province-wide)."""
    if scope is None:
        return events
    return [e for e in events if concerns_scope(scope, e, resolver)]


def page(service: str, after: int, read: dict, shown: list[dict]) -> dict:
    """The answer: ``next_after`` is the last position read (scope filtering may hide some), so a
    consumer always moves on."""
    events = read.get("events", [])
    next_after = events[-1]["position"] if events else after
    head = read.get("head_position", next_after)
    return {"service": service, "after": after, "events": shown, "next_after": next_after,
            "head_position": head, "more": next_after < head}


def members_named(events: list[dict]) -> list[str]:
    """The members whose facts the page shows (for the access log): every ``member_id`` of a
    payload, nested ones too (a meeting's attendance), and the member a case is about
    (``subject_kind`` member: a discipline, an inspection, a supervision)."""
    named: set[str] = set()
    for e in events:
        for d in dicts_in(e.get("data") or {}):
            if isinstance(d.get("member_id"), str):
                named.add(d["member_id"])
            if d.get("subject_kind") == "member" and isinstance(d.get("subject_id"), str):
                named.add(d["subject_id"])
    return sorted(named)
