"""Ids of the wrong kind, or of nobody: a list of members that names a unit, a member not on the
rolls, or nobody at all is refused naming the list, in both languages, and writes nothing — also for
a province-wide user, whom no scope check stops, and in an import file."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.gateway.test_access_matrix import event_count
from tests.support.services import http

pytestmark = pytest.mark.integration

CELL = "TN-D1-G2-C1"  # members M000007–M000009


def dialogue(*member_ids: str, year: int = 2025) -> dict:
    return {"org_unit_id": CELL, "year": year, "occurred_on": f"{year}-06-15", "member_ids": list(member_ids)}


@pytest.mark.parametrize("wrong", ["TN-D1", "M999999", "TN-D1-G2-C1"])
def test_a_yearly_dialogue_lists_members_on_the_rolls_only(system, wrong):
    before = event_count(system.data_dir)
    status, body = system.call("POST", "/api/v1/members/hold_dialogue", "admin", dialogue("M000007", wrong))
    assert status in (404, 422) and body["field"] == "member_ids", (status, body)
    assert wrong in body["message_vi"] and wrong in body["message_en"]
    assert event_count(system.data_dir) == before


def test_a_dialogue_dated_before_a_listed_member_joined_is_refused(system):
    before = event_count(system.data_dir)
    status, body = system.call("POST", "/api/v1/members/hold_dialogue", "admin", dialogue("M000008", year=2015))
    assert status == 422 and body["code"] == "before_joining", (status, body)
    assert "03/2016" in body["message_vi"]  # admitted 02/03/2016, shown dd/mm/yyyy
    assert event_count(system.data_dir) == before


def test_an_imported_dialogue_naming_a_unit_as_a_member_is_refused_with_its_line(system):
    before = event_count(system.data_dir)
    line = {"type": "org_unit.dialogue_held", "occurred_on": "2025-06-16",
            "data": {"org_unit_id": CELL, "year": 2025, "member_ids": ["M000009", "TN-D2"]}}
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                        raw=(json.dumps(line) + "\n").encode("utf-8"))
    assert status == 422 and body["code"] == "import_refused", (status, body)
    assert body["errors"][0]["line"] == 1 and body["errors"][0]["field"] == "member_ids", body
    assert event_count(system.data_dir) == before


def test_a_dialogue_with_members_on_the_rolls_is_recorded(system):
    status, body = system.call("POST", "/api/v1/members/hold_dialogue", "admin", dialogue("M000007", "M000009"))
    assert status == 201 and body["events"][0]["data"]["member_ids"] == ["M000007", "M000009"], (status, body)


@pytest.mark.parametrize("given", ["TN-D1-G2-C2", "M000001"])
def test_transfer_papers_are_presented_at_the_unit_they_are_due_at_or_refused(system, given):
    """An official transfer makes the papers due at the receiving cell (within 30 working days). A
    presentation naming another unit — the cell the member left, or an id that is no unit at all —
    is refused naming ``org_unit_id``, not recorded as if presented where they were due."""
    member = f"MWP-{uuid.uuid4().hex[:6]}"
    for path, body in (("members/admit_member", {"occurred_on": "2016-03-01", "member_id": member,
                                                 "org_unit_id": "TN-D1-G2-C2", "full_name": "Đinh Văn Giấy",
                                                 "birth_date": "1985-02-03", "sex": "male"}),
                       ("members/transfer_member", {"occurred_on": "2025-05-05", "member_id": member,
                                                    "to_org_unit_id": "TN-D1-G1-C2"})):
        done = system.call("POST", f"/api/v1/{path}", "admin", body)
        assert done[0] == 201, (path, done)
    before = event_count(system.data_dir)
    papers = {"occurred_on": "2025-05-12", "member_id": member}
    status, body = system.call("POST", "/api/v1/members/present_transfer_papers", "admin",
                               {**papers, "org_unit_id": given})
    assert status == 422 and body["field"] == "org_unit_id", (status, body)
    assert given in body["message_vi"] and "TN-D1-G1-C2" in body["message_en"]
    assert event_count(system.data_dir) == before
    status, body = system.call("POST", "/api/v1/members/present_transfer_papers", "admin",
                               {**papers, "org_unit_id": "TN-D1-G1-C2"})
    assert status == 201 and body["events"][0]["data"]["org_unit_id"] == "TN-D1-G1-C2", (status, body)
