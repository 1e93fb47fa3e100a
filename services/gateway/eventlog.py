"""``GET /api/v1/events``: a service's event log re-read from a position, for feed consumers that
missed messages (docs/events/README.md). Only the events of units in the caller's org scope; the
events as the feed publishes them (personal fields sealed); bounded pages."""
from __future__ import annotations

from shared.errors import DomainError

from services.gateway import access
from services.gateway.http import query_int

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def page_request(args, services: tuple[str, ...]) -> tuple[str, int, int]:
    """(service, after, limit) from the query string, or a bilingual 422 naming the field."""
    service = args.get("service")
    if service not in services:
        raise DomainError("invalid_input", f"«service» phải là một trong: {', '.join(services)}",
                          f"'service' must be one of: {', '.join(services)}", field="service")
    return service, query_int(args, "after", 0, 0, 2 ** 62), query_int(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def units_of(event: dict) -> list[str]:
    """The units an event concerns: its own and, for a member's official transfer, the unit the
    member left — the district the member leaves keeps a mirror of its members and must hear of it
    (the unit left is in the payload, not personal; the member's personal fields stay sealed)."""
    units = [event.get("org_unit_id")]
    if event.get("type") == "member.transferred":
        units.append((event.get("data") or {}).get("from_org_unit_id"))
    return [u for u in units if u]


def visible(scope: str | None, events: list[dict], resolver: access.Resolver) -> list[dict]:
    """The events a user of ``scope`` may read: those of a unit inside it, or leaving one (an event
    of no unit is province-wide)."""
    if scope is None:
        return events
    return [e for e in events if any(access.unit_in_scope(scope, u, resolver) for u in units_of(e))]


def page(service: str, after: int, read: dict, shown: list[dict]) -> dict:
    """The answer: ``next_after`` is the last position read (scope filtering may hide some), so a
    consumer always moves on."""
    events = read.get("events", [])
    next_after = events[-1]["position"] if events else after
    head = read.get("head_position", next_after)
    return {"service": service, "after": after, "events": shown, "next_after": next_after,
            "head_position": head, "more": next_after < head}


def members_named(events: list[dict]) -> list[str]:
    """The members whose facts the page shows (for the access log)."""
    return sorted({m for e in events if (m := (e.get("data") or {}).get("member_id"))})
