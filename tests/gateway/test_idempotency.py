"""Idempotency keys are scoped per user: a retry by the same user writes nothing new, while two
users who happen to pick the same key each get their own fact."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.gateway.conftest import OWN_CELL
from tests.gateway.test_access_matrix import event_count

pytestmark = pytest.mark.integration


def admission(member_id: str, name: str) -> dict:
    return {"occurred_on": (dt.date.today() - dt.timedelta(days=2)).isoformat(), "member_id": member_id,
            "org_unit_id": OWN_CELL, "full_name": name, "birth_date": "1990-02-03", "sex": "male"}


def member(system, member_id: str):
    return system.call("GET", f"/api/v1/members/get_member?member_id={member_id}", "d1_admin")


def test_two_users_with_the_same_key_get_two_facts(system):
    key = {"Idempotency-Key": f"phieu-{uuid.uuid4().hex[:8]}"}
    ids = [f"MK-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    before = event_count(system.data_dir)
    first = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(ids[0], "Lê Văn Một"), key)
    second = system.call("POST", "/api/v1/members/admit_member", "cell_clerk", admission(ids[1], "Lê Văn Hai"), key)
    assert first[0] == 201 and second[0] == 201, (first, second)
    assert first[1]["events"][0]["event_id"] != second[1]["events"][0]["event_id"]
    assert second[1]["events"][0]["data"]["member_id"] == ids[1]
    for member_id, name in zip(ids, ("Lê Văn Một", "Lê Văn Hai")):
        status, record = member(system, member_id)
        assert status == 200 and record["full_name"] == name
    assert event_count(system.data_dir) == before + 2


def test_the_same_user_retrying_with_the_same_key_gets_one_fact(system):
    key = {"Idempotency-Key": f"phieu-{uuid.uuid4().hex[:8]}"}
    member_id = f"MK-{uuid.uuid4().hex[:6]}"
    before = event_count(system.data_dir)
    first = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(member_id, "Đỗ Văn Ba"), key)
    again = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(member_id, "Đỗ Văn Ba"), key)
    assert first[0] == 201 and again == first
    assert event_count(system.data_dir) == before + 1
    # the same key on another endpoint is another command, not a retry of this one
    other = system.call("POST", "/api/v1/members/complete_new_member_class", "d1_clerk",
                        {"occurred_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(), "member_id": member_id},
                        key)
    assert other[0] == 201 and other[1]["events"][0]["type"] == "member.new_member_class_completed"
    assert event_count(system.data_dir) == before + 2
