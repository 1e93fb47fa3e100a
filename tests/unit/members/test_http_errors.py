"""Invalid commands over HTTP answer problem+json in Vietnamese and English and write nothing.

Starts ``dangvien up`` as a subprocess on a free port with a tmp data dir (the embedded system in
one process), posts with urllib, and terminates the process it started.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("dangvien")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    data = tmp_path_factory.mktemp("members-http")
    port = free_port()
    proc = subprocess.Popen([str(BIN), "up", "--data-dir", str(data), "--port", str(port)], cwd=str(data),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "DANGVIEN_LOG_LEVEL": "ERROR"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                if (data / "admin.token").exists() or _ > 100:
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                pytest.fail("dangvien up exited")
            time.sleep(0.1)
        token_file = data / "admin.token"
        token = token_file.read_text().strip() if token_file.exists() else None

        def call(method: str, path: str, body: dict | None = None):
            req = urllib.request.Request(base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
            if token:
                req.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        setup = [
            ("create_org_unit", {"occurred_on": "2015-10-01", "org_unit_id": "P", "name": "Tỉnh ủy", "kind": "province"}),
            ("create_org_unit", {"occurred_on": "2015-10-01", "org_unit_id": "G", "name": "Xã", "parent_id": "P",
                                 "kind": "grassroots_committee"}),
            ("create_org_unit", {"occurred_on": "2015-10-01", "org_unit_id": "C", "name": "Chi bộ", "parent_id": "G",
                                 "kind": "cell"}),
            ("create_org_unit", {"occurred_on": "2015-10-01", "org_unit_id": "C2", "name": "Chi bộ 2",
                                 "parent_id": "G", "kind": "cell"}),
            ("admit_member", {"occurred_on": "2020-01-15", "member_id": "A", "org_unit_id": "C",
                              "full_name": "Lê Văn A", "birth_date": "1990-01-01", "sex": "male"}),
            ("admit_member", {"occurred_on": "2020-01-15", "member_id": "B", "org_unit_id": "C",
                              "full_name": "Lê Văn B", "birth_date": "1990-01-01", "sex": "male"}),
            ("remove_member", {"occurred_on": "2021-03-01", "member_id": "B", "ground": "unpaid_dues"}),
        ]
        for name, body in setup:
            status, answer = call("POST", f"/api/v1/members/{name}", body)
            assert status == 201, answer
        yield call
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def events_of(call, member_id: str) -> tuple:
    status, record = call("GET", f"/api/v1/members/get_member?member_id={member_id}")
    return status, record


INVALID = [
    ("transfer_member", {"occurred_on": "2021-04-01", "member_id": "B", "to_org_unit_id": "C2"},
     "member_not_active", "member_id", "B"),
    ("recognize_official", {"occurred_on": "2020-04-15", "member_id": "A"}, "probation_not_over", "occurred_on", "A"),
    ("exempt_member", {"occurred_on": "2022-01-01", "member_id": "A", "ground": "mobile_work",
                       "until": "2023-07-01"}, "exemption_too_long", "until", "A"),
    ("admit_member", {"occurred_on": "2020-01-15", "member_id": "X7", "org_unit_id": "C", "full_name": "X",
                      "birth_date": "1990-01-01", "sex": "male", "card_number": "1234567"},
     "invalid_input", "card_number", "X7"),
    ("admit_member", {"occurred_on": "2020-01-15", "member_id": "X61", "org_unit_id": "C", "full_name": "X",
                      "birth_date": "1958-12-01", "sex": "male"}, "too_old", "special_age_decision", "X61"),
]


@pytest.mark.parametrize("name,body,code,field,member", INVALID, ids=[i[2] for i in INVALID])
def test_invalid_command_is_a_bilingual_problem_and_writes_nothing(api, name, body, code, field, member):
    before = events_of(api, member)
    status, problem = api("POST", f"/api/v1/members/{name}", body)
    assert status in (400, 409, 422)
    assert problem["code"] == code and problem["field"] == field
    assert problem["message_vi"] and problem["message_en"] and problem["message_vi"] != problem["message_en"]
    assert events_of(api, member) == before
