"""Personal data never reaches the log, checked on what this test itself sends and reads (at the
INFO level people run), so it means the same run alone or in any order."""
from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid

import pytest

from tests.gateway.conftest import OWN_CELL
from tests.support.services import http, wait_until

pytestmark = pytest.mark.integration

NAME, BIRTH, CITIZEN = "Hồ Thị Quỳnh Như Ý", "1993-07-19", "072193004455"


def test_personal_data_never_reaches_the_log(system):
    member_id = f"MLOG-{uuid.uuid4().hex[:6]}"
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    marker = f"log-check-{uuid.uuid4().hex}"
    admitted = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", {
        "occurred_on": day, "member_id": member_id, "org_unit_id": OWN_CELL, "full_name": NAME,
        "birth_date": BIRTH, "sex": "female", "citizen_id": CITIZEN}, headers={"X-Correlation-Id": marker})
    assert admitted[0] == 201, admitted
    # read it back, list the cell, export it: the paths personal data travels on the way out
    status, record = system.call("GET", f"/api/v1/members/get_member?member_id={member_id}&reason=kiem-tra",
                                 "d1_clerk")
    assert status == 200 and record["full_name"] == NAME
    assert system.call("GET", f"/api/v1/members/unit_members?org_unit_id={OWN_CELL}", "d1_clerk")[0] == 200
    export = urllib.request.Request(f"{system.url}/api/v1/exports/members/unit_members?org_unit_id={OWN_CELL}"
                                    "&format=csv", headers={"Authorization": f"Bearer {system.tokens['d1_clerk']}"})
    with urllib.request.urlopen(export, timeout=120) as resp:
        assert resp.status == 200 and member_id in resp.read().decode("utf-8")
    # and refused input carrying personal data: a failure must not echo the body into the log
    refused = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", {
        "occurred_on": day, "member_id": member_id, "org_unit_id": OWN_CELL, "full_name": NAME,
        "birth_date": BIRTH, "sex": "female", "citizen_id": CITIZEN})
    assert refused[0] == 409, refused
    line = json.dumps({"type": "member.admitted", "occurred_on": day, "data": {
        "member_id": member_id, "org_unit_id": OWN_CELL, "full_name": NAME, "birth_date": BIRTH, "sex": "female"}},
        ensure_ascii=False)
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['admin']}",
                         "Content-Type": "application/x-ndjson"}, raw=line.encode("utf-8"))
    assert status in (400, 409, 422), body

    # the log did record this test's requests (so the check below looks at the right thing) ...
    def logged():
        log = system.proc.output()
        return log if f"/api/v1/exports/members/unit_members" in log and "/api/v1/imports" in log else None

    log = wait_until(logged, what="this test's requests in the log")
    assert "admit_member" in log
    # ... and none of the personal values it carried
    for personal in (NAME, BIRTH, "19/07/1993", CITIZEN):
        assert personal not in log, personal
