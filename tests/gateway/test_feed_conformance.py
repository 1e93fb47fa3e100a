"""An integrator's acceptance of the re-read feed (``GET /api/v1/events``), every service: each
event validates against its published schema (docs/events, formats checked as a strict consumer
does), pages of any size join into the same log without a gap or a duplicate, and a page asked
again answers the same events."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.gateway.service import BACKENDS

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events"


def pages(system, service: str, limit: int, user: str = "admin") -> list[list[dict]]:
    out, after = [], 0
    for _ in range(10_000):
        status, body = system.call("GET", f"/api/v1/events?service={service}&after={after}&limit={limit}", user)
        assert status == 200, body
        assert set(body) == {"service", "after", "events", "next_after", "head_position", "more"}
        assert body["service"] == service and body["after"] == after and len(body["events"]) <= limit
        out.append(body["events"])
        if not body["more"]:
            return out
        assert body["next_after"] > after  # always moves on
        after = body["next_after"]
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("service", BACKENDS)
def test_every_event_of_every_service_validates_against_its_published_schema(system, service):
    import jsonschema

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    events = [e for page in pages(system, service, 1000) for e in page]
    for event in events:
        schema = json.loads((SCHEMAS / f"{event['type']}.schema.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema, format_checker=checker).validate(event)
        assert event["source"] == service
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions))  # increasing, each once


@pytest.mark.parametrize("service", BACKENDS)
def test_pages_of_any_size_join_into_the_same_log_and_a_retried_page_is_the_same(system, service):
    whole = [e["event_id"] for page in pages(system, service, 1000) for e in page]
    for limit in (1, 2, 7):
        assert [e["event_id"] for page in pages(system, service, limit) for e in page] == whole
    if whole:
        middle = len(whole) // 2
        query = f"/api/v1/events?service={service}&after={middle}&limit=3"
        assert system.call("GET", query, "admin") == system.call("GET", query, "admin")
