"""Idempotency keys are scoped per user: a retry by the same user writes nothing new, while two
users who happen to pick the same key each get their own fact."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests.gateway.conftest import OWN_CELL
from tests.gateway.test_access_matrix import event_count
from tests.support.services import http

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


# -- a call never sent, the retention of claims, a key whose claim was pruned ---------------------

class _Gateway:
    """The parts of the gateway's dependency that ``command`` uses."""

    def __init__(self, db):
        from services.gateway.idempotency import KeyBook
        self.keys = KeyBook(db)
        self.rpc_timeout = 5


class _Handler:
    """A gateway worker whose backend answers from a script: ``answers`` are returned (or raised)
    one per call, and each call's payload is kept."""

    def __init__(self, db, answers):
        from services.gateway import access
        from services.gateway.auth import User
        self.gw = _Gateway(db)
        self.answers = list(answers)
        self.sent = []
        self.user = User("clerk", "administrator", None)
        self.resolver = access.Resolver(lambda unit: [], lambda member: None)

    def _user(self, request):
        return self.user

    def _resolver(self):
        return self.resolver

    def _call(self, service, method, payload, ctx):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.sent.append(payload)
        return answer

    def post(self, body: dict, key: str):
        import json

        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Request

        from services.gateway.service import GatewayService
        request = Request(EnvironBuilder(method="POST", path="/api/v1/members/admit_member",
                                         data=json.dumps(body), content_type="application/json",
                                         headers={"Idempotency-Key": key}).get_environ())
        response = GatewayService.command(self, request, "members", "admit_member")
        return response.status_code, json.loads(response.get_data(as_text=True))


def written(member_id: str, recorded_at: str | None = None) -> dict:
    at = recorded_at or dt.datetime.now(dt.timezone.utc).isoformat()
    # the shape of a command's answer from its service: {"ok": true, "events": [...]}
    return {"ok": True, "events": [{"event_id": "e1", "type": "member.admitted", "recorded_at": at,
                                    "data": {"member_id": member_id}}]}


@pytest.fixture()
def gw_db(tmp_path):
    from shared.readmodel import ReadModelDB
    db = ReadModelDB(f"sqlite:///{tmp_path / 'gw.db'}")
    yield db
    db.close()


def test_a_call_the_gateway_never_sent_leaves_the_key_free_for_a_corrected_body(gw_db):
    """503 service_busy: the backend's share of the gateway's workers was full, so the call was
    never sent and nothing was written. The clerk corrects a typo and sends again under the same
    key (the cell page keeps the key of an entry): it goes through, it is not refused as a reused key."""
    from services.gateway.service import _not_running, backend_busy
    body = admission("MK-BUSY-1", "Lê Văn Bận")
    handler = _Handler(gw_db, [backend_busy("members"), written("MK-BUSY-1")])
    status, busy = handler.post(body, "phieu-busy")
    assert status == 503 and busy["code"] == "service_busy", busy
    status, done = handler.post({**body, "full_name": "Lê Văn Bàn"}, "phieu-busy")
    assert status == 201, done
    assert handler.sent == [{**body, "full_name": "Lê Văn Bàn"}]
    # the same for a backend that is not running
    handler = _Handler(gw_db, [_not_running("members"), written("MK-BUSY-2")])
    assert handler.post(admission("MK-BUSY-2", "A"), "phieu-down")[0] == 503
    assert handler.post(admission("MK-BUSY-2", "B"), "phieu-down")[0] == 201


def test_a_timeout_keeps_the_key_for_its_own_body_only(gw_db):
    """504: the service may have written the body, so only that body may come again under the key."""
    from services.gateway.service import backend_timeout
    body = admission("MK-SLOW-1", "Lê Văn Chậm")
    handler = _Handler(gw_db, [backend_timeout("members", 5), written("MK-SLOW-1")])
    assert handler.post(body, "phieu-slow")[0] == 504
    status, refused = handler.post({**body, "full_name": "Khác"}, "phieu-slow")
    assert status == 422 and refused["code"] == "idempotency_key_reused", refused
    assert handler.post(body, "phieu-slow")[0] == 201


def test_claims_are_pruned_after_the_retry_window_cheaply(gw_db):
    from services.gateway import idempotency
    from services.gateway.idempotency import RETENTION, KeyBook, fingerprint
    tick = [0.0]
    book = KeyBook(gw_db, clock=lambda: tick[0])
    now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
    one, two = fingerprint({"n": 1}), fingerprint({"n": 2})
    assert book.claim("old", "k", one, now - RETENTION - dt.timedelta(hours=2)) is True
    assert book.claim("recent", "k", one, now - RETENTION + dt.timedelta(hours=2)) is True
    assert book.claim("recent", "k", one, now) is False  # a retry: the claim was there
    # within the window both claims hold; pruning is at most once per PRUNE_EVERY seconds
    assert book.prune(now) == 0  # not yet due (pruned at the first claim)
    tick[0] += idempotency.PRUNE_EVERY
    assert book.prune(now) == 1  # the claim older than the window
    assert book.claimed("old") is None and book.claimed("recent") == one
    with pytest.raises(Exception):
        book.claim("recent", "k", two, now)  # still remembered: another body is refused
    indexes = [r[0] for r in gw_db.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'gw_idempotency'")]
    assert "gw_idempotency_at" in indexes  # the prune reads the index, not the table


def test_a_key_whose_claim_was_pruned_is_never_answered_with_the_old_facts(gw_db):
    """A client re-uses, two months later, a key whose claim the gateway has pruned, for another
    member. The service finds the facts of the first use (same command id) and writes nothing; the
    gateway must not answer those facts as this request's: it says the key is spent, and when."""
    long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)).isoformat()
    handler = _Handler(gw_db, [written("MK-OLD-1", recorded_at=long_ago)])
    status, body = handler.post(admission("MK-NEW-2", "Lê Văn Mới"), "phieu-2-thang")
    assert status == 422 and body["code"] == "idempotency_key_expired", body
    day = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)).strftime("%d/%m/%Y")
    assert day in body["message_vi"] and day in body["message_en"] and "không có gì được ghi" in body["message_vi"]
    # a claim still kept, retried: answered with its facts as always
    handler = _Handler(gw_db, [written("MK-R-1"), written("MK-R-1", recorded_at=long_ago)])
    first = handler.post(admission("MK-R-1", "A"), "phieu-r")
    assert first[0] == 201
    assert handler.post(admission("MK-R-1", "A"), "phieu-r")[0] == 201


def test_a_gateway_crash_between_the_write_and_the_answer_is_answered_on_retry_without_a_second_fact(tmp_path):
    """The process is killed (SIGKILL) after the admission was written and before the 201 left: the
    client got no answer. Restarted, the same request under the same key gets the fact written the
    first time — one admission in the store, not two — and another body under that key is refused."""
    import json
    import os
    from pathlib import Path

    from tests.gateway.conftest import tree_lines
    from tests.gateway.test_access_matrix import event_count
    from tests.support.services import Process, base_env, cli, free_port, http

    inject = Path(__file__).resolve().parents[1] / "support" / "inject"
    data_dir, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"

    def start(log: str, **fault):
        env = base_env(**fault)
        if fault:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(inject), os.environ.get("PYTHONPATH", "")) if p)
        proc = Process(cli("up", "--data-dir", str(data_dir), "--port", str(port)), env, tmp_path / log)
        proc.wait_for_output("(Ctrl+C", timeout=300)
        return proc, {"Authorization": f"Bearer {(data_dir / 'admin.token').read_text().strip()}"}

    body = admission("M-CRASH-1", "Võ Thị Mất Trả Lời")
    key = {"Idempotency-Key": "phieu-crash-1"}
    proc, auth = start("first.log", DANGVIEN_TEST_FAULT="gateway:answer:M-CRASH-1")
    try:
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in tree_lines()[:8])
        status, made = http("POST", f"{url}/api/v1/imports", None, {**auth, "Content-Type": "application/x-ndjson"},
                            raw=text.encode("utf-8"))
        assert status == 201, made
        before = event_count(data_dir)
        with pytest.raises(Exception):  # the connection drops: no answer at all
            http("POST", f"{url}/api/v1/members/admit_member", body,
                 {**auth, **key, "Content-Type": "application/json"})
        proc.proc.wait(60)
    finally:
        proc.stop()
    assert event_count(data_dir) == before + 1  # written before the crash
    proc, auth = start("second.log")
    try:
        status, again = http("POST", f"{url}/api/v1/members/admit_member", body,
                             {**auth, **key, "Content-Type": "application/json"})
        assert status == 201, again
        assert [e["type"] for e in again["events"]] == ["member.admitted"]
        assert again["events"][0]["data"]["member_id"] == "M-CRASH-1"
        assert event_count(data_dir) == before + 1  # the retry wrote nothing
        status, other = http("POST", f"{url}/api/v1/members/admit_member", admission("M-CRASH-2", "Khác"),
                             {**auth, **key, "Content-Type": "application/json"})
        assert status == 422 and other["code"] == "idempotency_key_reused", other
        assert event_count(data_dir) == before + 1
    finally:
        proc.stop()


def task_file(member_id: str, *tasks: str) -> bytes:
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    return "".join(json.dumps({"type": "member.task_assigned", "occurred_on": day,
                               "data": {"member_id": member_id, "task": t}}, ensure_ascii=False) + "\n"
                   for t in tasks).encode("utf-8")


def post_file(system, text: bytes, key: dict, path: str = "/api/v1/imports", ctype: str = "application/x-ndjson"):
    return http("POST", f"{system.url}{path}", None,
                {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": ctype, **key}, raw=text)


def test_an_import_key_reused_for_another_file_is_refused_and_writes_nothing(system):
    """An import file is a request like a command: sent again under its key it writes nothing new;
    another file under the same key (a script that numbers its uploads from 1 again) is refused,
    naming the key, not written as if it were new — the client would otherwise believe a retry
    succeeded when it sent something else."""
    key = {"Idempotency-Key": f"tep-{uuid.uuid4().hex[:8]}"}
    first_file = task_file("M000002", f"Phụ trách tổ {uuid.uuid4().hex[:6]}")
    status, body = post_file(system, first_file, key)
    assert status == 201 and body["written"] == 1, (status, body)
    before = event_count(system.data_dir)
    other = task_file("M000003", f"Phụ trách hộ {uuid.uuid4().hex[:6]}", f"Tuyên truyền {uuid.uuid4().hex[:6]}")
    status, body = post_file(system, other, key)
    assert status == 422 and body["code"] == "idempotency_key_reused", (status, body)
    assert body["field"] == "Idempotency-Key" and key["Idempotency-Key"] in body["message_vi"]
    assert "nothing was written" in body["message_en"]
    assert event_count(system.data_dir) == before
    # the same file again is a retry: accepted, nothing new
    status, body = post_file(system, first_file, key)
    assert status == 201 and body["written"] == 0, (status, body)
    assert event_count(system.data_dir) == before
    # a file refused on its content does not use its key up: corrected, it goes through under it
    key2 = {"Idempotency-Key": f"tep-{uuid.uuid4().hex[:8]}"}
    status, body = post_file(system, task_file("M999999", "Không ai"), key2)
    assert status == 422 and body["code"] == "import_refused", (status, body)
    status, body = post_file(system, other, key2)
    assert status == 201 and body["written"] == 2, (status, body)
    assert event_count(system.data_dir) == before + 2


def test_a_sheet_key_reused_for_another_list_is_refused_and_writes_nothing(system):
    key = {"Idempotency-Key": f"bang-{uuid.uuid4().hex[:8]}"}
    path = "/api/v1/imports/sheet?kind=working_away&into=TN-D2-G2&filename=ds.csv"
    header = "Ho va ten,Ngay sinh,Noi di lam an xa,Ngay di,Chi bo\n"
    first = (header + "Trần Thị Bình,02/05/1980,Bình Dương,01/03/2025,Chi bộ Ấp 2.2.1\n").encode("utf-8")
    status, body = post_file(system, first, key, path, "text/csv")
    assert status == 201 and body["written"] == 1, (status, body)
    before = event_count(system.data_dir)
    second = (header + "Lê Hữu Cường,03/05/1980,Đồng Nai,01/03/2025,Chi bộ Ấp 2.2.1\n").encode("utf-8")
    status, body = post_file(system, second, key, path, "text/csv")
    assert status == 422 and body["code"] == "idempotency_key_reused", (status, body)
    assert event_count(system.data_dir) == before
    # the same list again is a retry; a dry run claims no key
    status, body = post_file(system, first, key, path, "text/csv")
    assert status == 201 and body["written"] == 0, (status, body)
    status, body = post_file(system, second, key, path + "&dry_run=1", "text/csv")
    assert status == 200 and body["events"] == 1, (status, body)
    assert event_count(system.data_dir) == before
