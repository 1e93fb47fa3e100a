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


def test_a_key_reused_for_a_different_request_is_refused_not_answered_with_the_first(system):
    """A client that sends another request under a key it already used (a batch numbering its
    requests from 1 again, a form re-sent after an edit) must hear so: answering 201 with the first
    request's facts would tell it the second fact was recorded when nothing was written."""
    key = {"Idempotency-Key": f"phieu-{uuid.uuid4().hex[:8]}"}
    first_id, second_id = (f"MK-{uuid.uuid4().hex[:6]}" for _ in range(2))
    first = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(first_id, "Hồ Văn Đầu"), key)
    assert first[0] == 201, first
    before = event_count(system.data_dir)
    status, body = system.call("POST", "/api/v1/members/admit_member", "d1_clerk",
                               admission(second_id, "Hồ Văn Sau"), key)
    assert status == 422 and body["code"] == "idempotency_key_reused", (status, body)
    assert key["Idempotency-Key"] in body["message_vi"] and key["Idempotency-Key"] in body["message_en"]
    assert "không có gì được ghi" in body["message_vi"] and "nothing was written" in body["message_en"]
    assert body["field"] == "Idempotency-Key"
    assert event_count(system.data_dir) == before
    status, body = system.call("GET", f"/api/v1/members/get_member?member_id={second_id}", "admin")
    assert status == 404, (status, body)  # the second member was not admitted
    # the very same request again is still a retry, answered as the first time
    assert system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(first_id, "Hồ Văn Đầu"),
                       key) == first
    # a request refused on its content did not use the key up: corrected, it goes through under it
    key2 = {"Idempotency-Key": f"phieu-{uuid.uuid4().hex[:8]}"}
    bad = system.call("POST", "/api/v1/members/admit_member", "d1_clerk",
                      {**admission(second_id, "Hồ Văn Sau"), "birth_date": "2030-01-01"}, key2)
    assert bad[0] == 422 and bad[1]["code"] != "idempotency_key_reused", bad
    fixed = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", admission(second_id, "Hồ Văn Sau"), key2)
    assert fixed[0] == 201, fixed
    assert event_count(system.data_dir) == before + 1


def test_a_key_is_claimed_by_the_first_body_and_freed_only_by_a_refusal(tmp_path):
    """Two bodies racing under one key: the first claim wins, the other is refused before the service
    is called. A refusal frees the key for a corrected body; a timeout does not (the body may have
    been written), so only that body may come again under it."""
    from services.gateway.idempotency import KeyBook, fingerprint
    from shared.errors import DomainError
    from shared.readmodel import ReadModelDB

    db = ReadModelDB(f"sqlite:///{tmp_path / 'gw.db'}")
    try:
        book = KeyBook(db)
        one, two = fingerprint({"member_id": "M1"}), fingerprint({"member_id": "M2"})
        assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})  # key order is no difference
        book.claim("cmd-1", "k", one)
        with pytest.raises(DomainError) as lost:
            book.claim("cmd-1", "k", two)
        assert lost.value.code == "idempotency_key_reused" and lost.value.status == 422
        book.claim("cmd-1", "k", one)  # its retry
        book.release("cmd-1", two)  # only the body holding the key frees it
        with pytest.raises(DomainError):
            book.claim("cmd-1", "k", two)
        book.release("cmd-1", one)  # refused on its content
        book.claim("cmd-1", "k", two)  # the corrected body
        book.claim("cmd-2", "k", one)  # another user's or endpoint's command id: its own
    finally:
        db.close()
