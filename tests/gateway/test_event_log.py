"""GET /api/v1/events: a feed consumer that missed messages re-reads a service's log from a position
— in position order, only its own org scope, the events as the feed publishes them, bounded pages."""
from __future__ import annotations

import json

import pytest

from tests.gateway.conftest import FAMILY, OTHER_CELL, OWN_CELL
from tests.support.services import http

pytestmark = pytest.mark.integration


def read(system, user: str, query: str):
    return system.call("GET", f"/api/v1/events?{query}", user)


def whole_log(system, user: str, service: str = "members", limit: int = 7) -> list[dict]:
    """Every event the user may read, page by page, as a consumer catching up does."""
    out, after = [], 0
    for _ in range(1000):
        status, body = read(system, user, f"service={service}&after={after}&limit={limit}")
        assert status == 200, body
        assert len(body["events"]) <= limit
        out += body["events"]
        assert body["next_after"] >= after
        after = body["next_after"]
        if not body["more"]:
            return out
    raise AssertionError("the pages never ended")


def parents_in(log: list[dict]) -> dict[str, str | None]:
    """Each unit's parent as the log leaves it (created, then moved): other tests of the session add
    units whose ids say nothing of where they sit, so an id prefix is no test of being inside."""
    parents: dict[str, str | None] = {}
    for e in log:
        if e["type"] in ("org_unit.created", "org_unit.moved"):
            parents[e["data"]["org_unit_id"]] = e["data"].get("parent_id")
    return parents


def under(unit: str, top: str, parents: dict[str, str | None]) -> bool:
    seen = set()
    while unit is not None and unit not in seen:
        if unit == top:
            return True
        seen.add(unit)
        unit = parents.get(unit)
    return False


def test_a_province_wide_reader_pages_through_the_whole_log_in_order_without_gaps(system):
    events = whole_log(system, "prov_viewer")
    positions = [e["position"] for e in events]
    assert positions == list(range(1, len(positions) + 1))  # every position once, in order
    status, body = read(system, "prov_viewer", "service=members&after=0&limit=1")
    assert body["head_position"] >= positions[-1]
    first = events[0]
    # as the feed publishes it: the envelope with its producer
    assert first["type"] == "org_unit.created" and first["source"] == "members"
    assert {"event_id", "stream", "stream_version", "occurred_on", "recorded_at", "hash", "prev_hash",
            "data"} <= set(first)


def test_page_edges(system):
    status, one = read(system, "admin", "service=members&after=0&limit=1")
    assert status == 200 and [e["position"] for e in one["events"]] == [1] and one["next_after"] == 1
    assert one["more"] is True
    head = one["head_position"]
    # the last event: after = head - 1 gives exactly one, and nothing more
    status, last = read(system, "admin", f"service=members&after={head - 1}&limit=1000")
    assert [e["position"] for e in last["events"]] == [head] and last["more"] is False
    # at the head: an empty page that stays at the head
    status, empty = read(system, "admin", f"service=members&after={head}")
    assert status == 200 and empty["events"] == [] and empty["next_after"] == head and empty["more"] is False
    # past the head (a consumer's bookmark from elsewhere): empty too, never an error
    status, past = read(system, "admin", f"service=members&after={head + 10}")
    assert status == 200 and past["events"] == []
    # limit: 1 and 1000 are allowed, 0 and 1001 refused with the field named in both languages
    assert read(system, "admin", "service=members&limit=1000")[0] == 200
    for query, field in (("service=members&limit=0", "limit"), ("service=members&limit=1001", "limit"),
                         ("service=members&after=-1", "after"), ("service=members&after=abc", "after"),
                         ("service=nosuch", "service"), ("", "service")):
        status, body = read(system, "admin", query)
        assert status == 422 and body["field"] == field, (query, body)
        assert body["message_vi"] and body["message_en"]
    # the default page is 100 events
    status, default = read(system, "admin", "service=members")
    assert len(default["events"]) == min(100, head)


def test_a_scoped_reader_sees_only_its_units_events_and_still_moves_on(system):
    everything = whole_log(system, "admin")
    district = whole_log(system, "d1_viewer")
    assert district and len(district) < len(everything)
    parents = parents_in(everything)
    def concerns(e: dict, top: str) -> bool:  # its unit, or the unit a transferred member left
        left = (e.get("data") or {}).get("from_org_unit_id") if e["type"] == "member.transferred" else None
        return any(u and under(u, top, parents) for u in (e.get("org_unit_id"), left))

    assert all(concerns(e, "TN-D1") for e in district)
    assert [e["event_id"] for e in district] == [e["event_id"] for e in everything if concerns(e, "TN-D1")]
    cell = whole_log(system, "cell_clerk", limit=3)
    assert cell and {e["org_unit_id"] for e in cell} == {OWN_CELL}
    assert not any(e["org_unit_id"] == OTHER_CELL for e in district + cell)
    # a page whose events are all out of scope is empty but moves the consumer on
    first_other = next(e["position"] for e in everything if e.get("org_unit_id") == OTHER_CELL)
    status, page = read(system, "cell_clerk", f"service=members&after={first_other - 1}&limit=1")
    assert status == 200 and page["events"] == [] and page["next_after"] == first_other


def test_personal_data_stays_as_the_feed_publishes_it_and_reads_are_logged(system):
    events = whole_log(system, "d1_viewer")
    text = repr(events)
    assert not any(name in text for name in FAMILY)  # names are sealed in the log, never in clear
    status, log = system.call("GET", "/api/v1/audit/access?actor=d1_viewer&limit=1000", "admin")
    assert status == 200
    reads = [e for e in log if e["endpoint"] == "events/members"]
    assert any("M000001" in e["subjects"] for e in reads)


def test_no_token_no_events(system):
    status, body = read(system, None, "service=members")
    assert status == 401 and body["message_vi"]


def test_a_district_hears_of_its_member_leaving_for_another_district(system):
    """A district's feed consumer mirrors its members: an official transfer out of one of its cells
    comes in its feed (the member leaves), as it comes in the receiving district's (the member
    arrives); a third district hears of neither, and the member's personal fields stay sealed."""
    line = {"type": "member.admitted", "occurred_on": "2016-04-01",
            "data": {"member_id": "M900001", "org_unit_id": "TN-D1-G2-C2", "full_name": "Phạm Văn Đi",
                     "birth_date": "1985-01-01", "sex": "male", "demobilised": "none"}}
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                        raw=(json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
    assert status == 201, body
    status, body = system.call("POST", "/api/v1/members/transfer_member", "admin", {
        "occurred_on": "2024-03-01", "member_id": "M900001", "to_org_unit_id": "TN-D2-G2-C2", "kind": "official"})
    assert status == 201, body
    moved = body["events"][0]["event_id"]
    assert moved in [e["event_id"] for e in whole_log(system, "d1_viewer", limit=500)]
    assert moved in [e["event_id"] for e in whole_log(system, "admin", limit=500)]
    cell = whole_log(system, "cell_clerk", limit=500)  # TN-D1-G1-C1: neither end of the move
    assert moved not in [e["event_id"] for e in cell]
    shown = next(e for e in whole_log(system, "d1_viewer", limit=500) if e["event_id"] == moved)
    assert shown["data"]["from_org_unit_id"] == "TN-D1-G2-C2" and shown["org_unit_id"] == "TN-D2-G2-C2"
