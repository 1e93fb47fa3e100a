"""Roles × scopes × endpoints against the running embedded system: nothing outside a user's scope
is read or written, and a refusal never tells whether the thing asked for exists.

Every endpoint of every contract is probed on every field the contract scopes
(``shared.contracts.SCOPED_FIELDS``), so an endpoint or a field added later is covered as well.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import urllib.parse

import pytest

from shared.contracts import commands_of, queries_of

from tests.gateway.conftest import GHOST_MEMBER, GHOST_UNIT, OTHER_CELL, OTHER_MEMBER, OWN_CELL, OWN_MEMBER, USERS

pytestmark = pytest.mark.integration

SERVICES = ("members", "meetings", "discipline", "reporting")
SCOPED = [name for name, (_, scope) in USERS.items() if scope]


def endpoints(kind: str):
    for service in SERVICES:
        specs = commands_of(service) if kind == "command" else queries_of(service)
        for name, spec in specs.items():
            yield service, name, spec


def event_count(data_dir) -> int:
    total = 0
    for path in data_dir.glob("*.events.db"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return total


def get(system, path: str, params: dict, user: str):
    return system.call("GET", f"{path}?{urllib.parse.urlencode(params)}" if params else path, user)


def test_no_token_or_a_wrong_token_is_401_in_both_languages(system):
    for user_headers in ({}, {"Authorization": "Bearer dv_not-a-token"}):
        status, body = system.call("GET", "/api/v1/reporting/headcount", None, headers=user_headers)
        assert status == 401
        assert body["message_vi"].startswith("Chưa đăng nhập") and "token" in body["message_en"]


def test_an_expired_token_is_refused_saying_when_it_expired(system):
    token = system.user_add("client_x", "viewer", None, "--client", "--days", "30")
    system.tokens["client_x"] = token
    status, body = system.call("GET", "/api/v1/reporting/headcount", user="client_x")
    assert status == 200, body  # within its 30 days
    with sqlite3.connect(system.data_dir / "gateway.db") as db:  # thirty days later
        db.execute("UPDATE gw_users SET expires_at = ? WHERE name = 'client_x'",
                   ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat(),))
    status, body = system.call("GET", "/api/v1/reporting/headcount", user="client_x")
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert status == 401 and body["code"] == "token_expired", body
    assert f"hết hạn ngày {yesterday}" in body["message_vi"] and f"expired on {yesterday}" in body["message_en"], body
    status, body = system.call("GET", "/api/v1/reporting/headcount", user=None,
                               headers={"Authorization": "Bearer dv_not-a-token"})
    assert status == 401 and body["code"] == "unauthorized"


# -- the matrix: every endpoint × every scoped field, generated from the contracts ---------------

#: the scoped user probed on every endpoint (an administrator, so no role refusal hides a field)
PROBER = "d1_admin"
#: ids of each kind: in the prober's district, in the other district, and of nothing at all
IDS = {
    "unit": ("TN-D1-G2-C1", OTHER_CELL, GHOST_UNIT),
    "member": ("M000007", OTHER_MEMBER, GHOST_MEMBER),
    "candidate": ("QC-D1", "QC-D2", "QC-NONE"),
    "case": ("KL-D1", "KL-D2", "KL-NONE"),
    "inspection": ("KT-D1", "KT-D2", "KT-NONE"),
    "supervision": ("GS-D1", "GS-D2", "GS-NONE"),
    "meeting": ("SH-D1", "SH-D2", "SH-NONE"),
}
#: a date no service accepts: a control that passes the scope check is answered 422 and writes nothing
NOT_A_DATE = "2024-13-45"
#: parts of a problem body that name the request rather than the answer
PER_REQUEST = ("instance", "correlation_id", "request_id", "trace_id")


def variants(kind: str):
    """(kind the id names, extra payload) for a field kind; a subject is a member or a unit."""
    if kind == "subject":
        return [("member", {"subject_kind": "member"}), ("unit", {"subject_kind": "org_unit"})]
    if kind in ("members", "attendance"):
        return [("member", {})]
    return [(kind, {})]


def put(payload: dict, field: str, kind: str, ident: str) -> dict:
    if kind == "members":
        payload[field] = [ident]
    elif kind == "attendance":
        payload[field] = [{"member_id": ident, "status": "present"}]
    else:
        payload[field] = ident
    return payload


def matrix_payloads(spec, field: str, is_command: bool):
    """For one scoped field: (label, control, other, ghost) payloads; every other scoped field holds
    an id inside the scope, so only ``field`` differs."""
    from shared.contracts import SCOPED_FIELDS
    kind = SCOPED_FIELDS[field]
    for named, extra in variants(kind):
        base = {"occurred_on": NOT_A_DATE} if is_command else {}
        base.update(extra)
        for other_field in spec.scope_fields:
            if other_field == field:
                continue
            other_kind = SCOPED_FIELDS[other_field]
            if other_kind == "subject":
                other_kind = "unit" if base.get("subject_kind") == "org_unit" else "member"
                base.setdefault("subject_kind", "member")
            own = IDS["member" if other_kind in ("members", "attendance") else other_kind][0]
            if other_field in spec.creates:
                own = f"NEW-{other_field}"
            put(base, other_field, SCOPED_FIELDS[other_field], own)
        own, other, ghost = IDS[named]
        yield (f"{field}={named}", put(dict(base), field, kind, own), put(dict(base), field, kind, other),
               put(dict(base), field, kind, ghost))


def answer(system, is_command: bool, path: str, payload: dict, user: str = PROBER):
    if is_command:
        status, body = system.call("POST", path, user, payload)
    else:
        status, body = get(system, path, payload, user)
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in PER_REQUEST}
    return status, body


@pytest.fixture(scope="module")
def world(system):
    """A candidate, a discipline case, an inspection, a supervision and a meeting in each district."""
    for d, member, cell in (("D1", "M000008", "TN-D1-G2-C1"), ("D2", "M000014", OTHER_CELL)):
        calls = [
            ("members/register_candidate", {"candidate_id": f"QC-{d}", "org_unit_id": cell, "full_name": "Đỗ Văn Quần",
                                            "birth_date": "2000-01-02", "sex": "male",
                                            "introduced_by_organisation": "Đoàn xã", "occurred_on": "2024-02-01"}),
            ("discipline/apply_discipline", {"case_id": f"KL-{d}", "subject_kind": "member", "subject_id": member,
                                             "form": "reprimand", "violation_on": "2024-01-10",
                                             "occurred_on": "2024-02-01"}),
            ("discipline/open_inspection", {"inspection_id": f"KT-{d}", "kind": "regular", "body": "UBKT",
                                            "subject_kind": "member", "subject_id": member,
                                            "occurred_on": "2024-02-01"}),
            ("discipline/open_supervision", {"supervision_id": f"GS-{d}", "kind": "regular", "body": "UBKT",
                                             "subject_kind": "org_unit", "subject_id": cell,
                                             "occurred_on": "2024-02-01"}),
            ("meetings/schedule_meeting", {"meeting_id": f"SH-{d}", "org_unit_id": cell, "kind": "regular",
                                           "planned_on": "2024-03-05", "occurred_on": "2024-02-01"}),
        ]
        for path, body in calls:
            status, answer_ = system.call("POST", f"/api/v1/{path}", "admin", body)
            assert status == 201, (path, answer_)
    return IDS


def test_every_scoped_field_of_every_endpoint_refuses_elsewhere_exactly_like_nothing(system, world):
    """For every command and query and every field the contract scopes: an id in another district is
    refused with the very answer an id of nothing gets; the same call with an id inside the scope
    passes the scope check. A field naming the thing a command creates may carry a fresh id, but an
    id that already names something in another district is refused without saying it exists."""
    before = event_count(system.data_dir)
    probed = set()
    for kind in ("command", "query"):
        for service, name, spec in endpoints(kind):
            path = f"/api/v1/{service}/{name}"
            for field in spec.scope_fields:
                for label, control, other, ghost in matrix_payloads(spec, field, kind == "command"):
                    where = (path, label)
                    s_other, b_other = answer(system, kind == "command", path, other)
                    if field in spec.reaches:
                        # points outside by nature (a liaison's residence cell): another district's
                        # unit passes the scope check, and so does an unknown one (the service judges)
                        s_ghost, b_ghost = answer(system, kind == "command", path, ghost)
                        assert s_other != 403 and s_ghost != 403, (where, b_other, b_ghost)
                        probed.add((service, name, field))
                        continue
                    assert s_other == 403 and b_other["code"] == "forbidden_scope", (where, s_other, b_other)
                    s_control, b_control = answer(system, kind == "command", path, control)
                    assert s_control != 403, (where, "in-scope control refused", b_control)
                    if field in spec.creates:
                        # a fresh id is no oracle; an existing one elsewhere is refused, not "exists"
                        assert b_other["field"] == field and "exist" not in str(b_other), (where, b_other)
                        continue
                    s_ghost, b_ghost = answer(system, kind == "command", path, ghost)
                    assert (s_ghost, b_ghost) == (s_other, b_other), (where, b_other, b_ghost)
                    probed.add((service, name, field))
    # every scoped field of every contract was probed (creates fields apart)
    expected = {(s, n, f) for k in ("command", "query") for s, n, spec in endpoints(k)
                for f in spec.scope_fields if f not in spec.creates}
    assert probed == expected
    assert event_count(system.data_dir) == before


def test_endpoints_naming_nothing_in_the_tree_are_refused_to_scoped_users(system):
    for kind in ("command", "query"):
        for service, name, spec in endpoints(kind):
            if spec.scope_fields:
                continue
            status, body = answer(system, kind == "command", f"/api/v1/{service}/{name}",
                                  {"occurred_on": NOT_A_DATE} if kind == "command" else {})
            assert status == 403, (service, name, status, body)


def test_moves_across_scopes_are_refused_and_allowed_inside(system):
    today = dt.date.today().isoformat()
    before = event_count(system.data_dir)
    # into another district's cell, or naming another district as the sender: refused
    for body in ({"member_id": "M000004", "to_org_unit_id": OTHER_CELL},
                 {"member_id": "M000004", "to_org_unit_id": "TN-D1-G2-C2", "from_org_unit_id": OTHER_CELL}):
        status, refused = system.call("POST", "/api/v1/members/transfer_member", "d1_clerk",
                                      {**body, "occurred_on": today})
        assert status == 403 and refused["code"] == "forbidden_scope", refused
        assert "Chi bộ Ấp 2" not in str(refused)  # the other district's cell is never named
    # a district administrator moves its own cell under, or merges it into, another district: refused
    for path, body in (("move_org_unit", {"org_unit_id": "TN-D1-G2-C2", "parent_id": "TN-D2-G1"}),
                       ("merge_org_unit", {"org_unit_id": "TN-D1-G2-C2", "into_org_unit_id": OTHER_CELL})):
        status, refused = system.call("POST", f"/api/v1/members/{path}", "d1_admin", {**body, "occurred_on": today})
        assert status == 403 and refused["code"] == "forbidden_scope", (path, refused)
    assert event_count(system.data_dir) == before
    # inside the district: done
    status, done = system.call("POST", "/api/v1/members/transfer_member", "d1_clerk",
                               {"member_id": "M000004", "to_org_unit_id": "TN-D1-G2-C2", "occurred_on": today})
    assert status == 201, done
    # the province-wide administrator covers both districts
    status, done = system.call("POST", "/api/v1/members/transfer_member", "admin",
                               {"member_id": "M000005", "to_org_unit_id": "TN-D2-G2-C2", "occurred_on": today})
    assert status == 201, done


def test_a_district_introduces_its_member_to_the_residence_cell_of_another_district(system):
    """QĐ 213: a member working in an agency is introduced by their own party organisation to the
    cell where they live, which may lie in another district: the sending district records it. The
    member must still be the district's own, and the residence cell must exist."""
    today = dt.date.today().isoformat()
    before = event_count(system.data_dir)
    status, done = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk",
                               {"member_id": "M000006", "residence_org_unit_id": OTHER_CELL, "occurred_on": today})
    assert status == 201, done
    assert done["events"][0]["type"] == "member.liaison_introduced"
    assert done["events"][0]["data"]["residence_org_unit_id"] == OTHER_CELL
    assert event_count(system.data_dir) == before + 1
    # another district's member: still refused, as a member that does not exist is
    other = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk",
                        {"member_id": OTHER_MEMBER, "residence_org_unit_id": OWN_CELL, "occurred_on": today})
    ghost = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk",
                        {"member_id": GHOST_MEMBER, "residence_org_unit_id": OWN_CELL, "occurred_on": today})
    assert other[0] == 403 and other[1]["code"] == "forbidden_scope", other
    assert {k: v for k, v in other[1].items() if k not in PER_REQUEST} == \
        {k: v for k, v in ghost[1].items() if k not in PER_REQUEST}
    # a residence cell that does not exist: refused by the members service, nothing written
    status, refused = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk",
                                  {"member_id": "M000006", "residence_org_unit_id": GHOST_UNIT, "occurred_on": today})
    assert status in (404, 422) and refused["message_vi"] and refused["message_en"], refused
    # naming only a unit outside places nothing: a scoped user is refused
    status, refused = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk",
                                  {"residence_org_unit_id": OTHER_CELL, "occurred_on": today})
    assert status == 403 and refused["code"] == "forbidden_scope", refused
    assert event_count(system.data_dir) == before + 1


def test_ids_of_another_district_are_no_oracle_for_new_records(system, world):  # world: KL-D2 is taken
    today = dt.date.today().isoformat()
    person = {"full_name": "Phan Thị Mới", "birth_date": "1996-07-08", "sex": "female", "occurred_on": today}
    for path, body in (("admit_member", {"member_id": OTHER_MEMBER, "org_unit_id": OWN_CELL, **person}),
                       ("transfer_in", {"member_id": OTHER_MEMBER, "org_unit_id": OWN_CELL, "origin": "Tỉnh khác",
                                        **person})):
        status, refused = system.call("POST", f"/api/v1/members/{path}", "d1_clerk", body)
        assert status == 403 and refused["code"] == "forbidden_scope", refused
        assert "member_exists" not in str(refused)
    # the introducer's status in another district is not told
    status, refused = system.call("POST", "/api/v1/members/register_candidate", "d1_clerk", {
        "candidate_id": "QC-X1", "org_unit_id": OWN_CELL, "introduced_by_member_id": OTHER_MEMBER, **person})
    assert status == 403 and refused["code"] == "forbidden_scope", refused
    # a case id taken in another district: refused the same way, never "case_exists"
    status, refused = system.call("POST", "/api/v1/discipline/apply_discipline", "d1_inspector", {
        "case_id": "KL-D2", "subject_kind": "member", "subject_id": OWN_MEMBER, "form": "reprimand",
        "violation_on": "2024-01-10", "occurred_on": "2024-02-02"})
    assert status == 403 and refused["code"] == "forbidden_scope" and "case_exists" not in str(refused), refused
    # and an introducer inside the district works
    status, done = system.call("POST", "/api/v1/members/register_candidate", "d1_clerk", {
        "candidate_id": "QC-X2", "org_unit_id": OWN_CELL, "introduced_by_organisation": "Đoàn xã", **person})
    assert status == 201, done


def test_an_expulsion_cites_a_decision_about_that_member_that_expels(system, world):
    base = {"member_id": "M000008", "occurred_on": dt.date.today().isoformat()}
    # another district's case (about another member): refused like a case that does not exist
    other = system.call("POST", "/api/v1/members/expel_member", "d1_inspector", {**base, "case_id": "KL-D2"})
    ghost = system.call("POST", "/api/v1/members/expel_member", "d1_inspector", {**base, "case_id": "KL-NONE"})
    assert other[0] == 403 and other == ghost, (other, ghost)
    # province-wide: a case that does not exist, one about someone else, one that only reprimands
    status, body = system.call("POST", "/api/v1/members/expel_member", "admin", {**base, "case_id": "KL-NONE"})
    assert status == 404 and body["code"] == "case_not_found", body
    status, body = system.call("POST", "/api/v1/members/expel_member", "admin", {**base, "case_id": "KL-D2"})
    assert status == 422 and body["code"] == "case_not_about_member", body
    status, body = system.call("POST", "/api/v1/members/expel_member", "admin", {**base, "case_id": "KL-D1"})
    assert status == 422 and body["code"] == "case_not_expulsion", body


def _jsonl(*lines) -> bytes:
    import json
    return "".join(json.dumps({"type": t, "occurred_on": on, "data": d}, ensure_ascii=False) + "\n"
                   for t, on, d in lines).encode("utf-8")


def test_a_district_administrator_imports_lines_inside_the_district_only(system):
    cell = ("org_unit.created", "2024-01-02", {"org_unit_id": "TN-D1-G2-C9", "name": "Chi bộ Nhập", "kind": "cell",
                                               "parent_id": "TN-D1-G2"})
    member = ("member.admitted", "2024-01-03", {"member_id": "MI-D1-1", "org_unit_id": "TN-D1-G2-C9",
                                                "full_name": "Lâm Văn Nhập", "birth_date": "1990-01-01",
                                                "sex": "male"})
    before = event_count(system.data_dir)
    # one line reaching into another district, or to a unit that does not exist: the whole file is
    # refused, with the same answer for both, and nothing is written
    answers = []
    for elsewhere in (OTHER_CELL, GHOST_UNIT):
        moved = ("member.transferred", "2024-02-01", {"member_id": "MI-D1-1", "to_org_unit_id": elsewhere})
        status, body = _post_raw(system, "/api/v1/imports", "d1_admin", _jsonl(cell, member, moved))
        answers.append((status, {k: v for k, v in body.items() if k not in PER_REQUEST}))
    assert answers[0][0] == 403 and answers[0][1]["code"] == "forbidden_scope", answers[0]
    assert answers[0] == answers[1]
    # another district's member id re-used for a new member: refused without saying it exists
    status, body = _post_raw(system, "/api/v1/imports", "d1_admin", _jsonl(
        ("member.admitted", "2024-01-03", {**member[2], "member_id": OTHER_MEMBER, "org_unit_id": OWN_CELL})))
    assert status == 403 and "exist" not in str(body), body
    assert event_count(system.data_dir) == before
    # inside the district: a new cell and a member in it, placed through the cell the file made
    status, body = _post_raw(system, "/api/v1/imports", "d1_admin", _jsonl(cell, member))
    assert status == 201, body
    status, job = system.call("GET", f"/api/v1/import-jobs/{body['job']}", "d1_admin")
    assert status == 200 and job["state"] == "done"


def test_import_jobs_are_read_by_their_submitter_and_administrators_only(system):
    status, made = system.call("POST", "/api/v1/import-jobs", "admin")
    assert status == 201
    job = made["job"]
    assert system.call("GET", f"/api/v1/import-jobs/{job}", "admin")[0] == 200
    for user in ("d1_admin", "prov_viewer", "d1_clerk"):
        seen = system.call("GET", f"/api/v1/import-jobs/{job}", user)
        nothing = system.call("GET", "/api/v1/import-jobs/no-such-job", user)
        assert seen[0] == 404 and seen == nothing, (user, seen)


def test_reports_are_cut_to_the_users_subtree(system):
    status, rows = system.call("GET", "/api/v1/reporting/headcount", "d1_viewer")
    assert status == 200 and rows[0]["org_unit_id"] == "TN-D1"
    # every row is TN-D1 or below it (by its parents: other tests add units such as NEW-3 there)
    parent = {r["org_unit_id"]: r.get("parent_id") for r in rows}
    for unit in parent:
        while unit not in ("TN-D1", None):
            unit = parent.get(unit)
        assert unit == "TN-D1", rows
    assert any(u.startswith("TN-D1-G") for u in parent)
    status, rows = system.call("GET", "/api/v1/reporting/headcount", "cell_clerk")
    assert [r["org_unit_id"] for r in rows] == [OWN_CELL]
    status, rows = system.call("GET", "/api/v1/reporting/headcount", "prov_viewer")
    assert rows[0]["org_unit_id"] == "TN" and any(r["org_unit_id"].startswith("TN-D2") for r in rows)
    # asking for a unit inside the scope works; the province above it does not
    assert get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN-D1-G2"}, "d1_viewer")[0] == 200
    assert get(system, "/api/v1/reporting/headcount", {"org_unit_id": "TN"}, "d1_viewer")[0] == 403


def test_roles_inside_the_scope(system):
    def admit(user: str, member_id: str):
        return system.call("POST", "/api/v1/members/admit_member", user, {
            "occurred_on": (dt.date.today() - dt.timedelta(days=3)).isoformat(), "member_id": member_id,
            "org_unit_id": OWN_CELL, "full_name": "Trương Thị Phạm Vi", "birth_date": "1995-04-02", "sex": "female"})

    before = event_count(system.data_dir)
    for user in ("d1_viewer", "d1_inspector"):
        status, body = admit(user, f"MX-{user}")
        assert status == 403 and body["code"] == "forbidden_role", body
    assert event_count(system.data_dir) == before
    for user in ("d1_clerk", "cell_clerk", "d1_admin"):
        status, body = admit(user, f"MX-{user}")
        assert status == 201, (user, body)
    # creating units: administrators only, and only below their own unit
    unit = {"occurred_on": "2024-01-15", "name": "Chi bộ Mới", "kind": "cell", "parent_id": "TN-D1-G1"}
    assert system.call("POST", "/api/v1/members/create_org_unit", "d1_clerk", {**unit, "org_unit_id": "NEW-1"})[0] == 403
    assert system.call("POST", "/api/v1/members/create_org_unit", "d1_admin",
                       {**unit, "org_unit_id": "NEW-2", "parent_id": "TN-D2-G1"})[0] == 403
    status, body = system.call("POST", "/api/v1/members/create_org_unit", "d1_admin", {**unit, "org_unit_id": "NEW-3"})
    assert status == 201, body


def test_only_administrators_import_and_only_province_ones_read_the_access_log(system):
    line = b'{"type": "org_unit.created", "occurred_on": "2024-01-01", "data": {"org_unit_id": "IMP-1", ' \
           b'"name": "X", "kind": "cell", "parent_id": "TN-D2-G1"}}\n'
    for user in ("d1_admin", "d1_clerk", "prov_viewer"):
        status, _ = _post_raw(system, "/api/v1/imports", user, line)
        assert status == 403
        assert system.call("GET", "/api/v1/audit/access", user)[0] == 403
    assert system.call("GET", "/api/v1/audit/access", "admin")[0] == 200


def _post_raw(system, path, user, raw: bytes):
    from tests.support.services import http
    return http("POST", f"{system.url}{path}", None,
                {"Authorization": f"Bearer {system.tokens[user]}", "Content-Type": "application/x-ndjson"}, raw=raw)


def test_reads_of_member_records_are_recorded_with_who_and_why(system):
    status, record = get(system, "/api/v1/members/get_member", {"member_id": OWN_MEMBER, "reason": "Xét kết nạp lại"},
                         "d1_clerk")
    if status == 501:
        if os.environ.get("DANGVIEN_REQUIRE_SERVICES") == "1":
            pytest.fail("members get_member answers 501 (DANGVIEN_REQUIRE_SERVICES=1: a missing endpoint fails)")
        pytest.skip("members get_member is not implemented yet")
    assert status == 200, record
    status, log = get(system, "/api/v1/audit/access", {"member_id": OWN_MEMBER}, "admin")
    assert status == 200
    entry = next(e for e in log if e["actor"] == "d1_clerk")
    assert entry["endpoint"] == "members/get_member" and entry["reason"] == "Xét kết nạp lại"
    assert OWN_MEMBER in entry["subjects"]


def test_a_retried_command_with_the_same_idempotency_key_writes_nothing_new(system):
    body = {"occurred_on": (dt.date.today() - dt.timedelta(days=2)).isoformat(), "member_id": "MX-idem",
            "org_unit_id": OWN_CELL, "full_name": "Lê Văn Thử Lại", "birth_date": "1990-02-03", "sex": "male"}
    key = {"Idempotency-Key": "admit-MX-idem-1"}
    first = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", body, headers=key)
    assert first[0] == 201, first
    before = event_count(system.data_dir)
    again = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", body, headers=key)
    assert again == first and event_count(system.data_dir) == before


def test_a_guest_in_a_district_cell_is_not_the_districts_to_import_into(system):
    """A member of TN-D2 on temporary transfer to a TN-D1 cell attends that cell's meetings, so the
    TN-D1 administrator's file may record such a meeting; a later line of the same file acting on
    the guest's own record (which stays with TN-D2) is refused, and nothing of the file is written."""
    cell, guest, own = "TN-D1-G1-C8", "MH-D2-1", "MH-D1-1"
    person = {"full_name": "Vũ Thị Khách", "birth_date": "1991-04-05", "sex": "female"}
    for path, body in (
            ("create_org_unit", {"org_unit_id": cell, "name": "Chi bộ Khách", "kind": "cell", "parent_id": "TN-D1-G1",
                                 "occurred_on": "2024-01-02"}),
            ("admit_member", {"member_id": own, "org_unit_id": cell, **person, "occurred_on": "2024-01-05"}),
            ("admit_member", {"member_id": guest, "org_unit_id": "TN-D2-G2-C1", **person, "occurred_on": "2024-01-05"}),
            ("transfer_member", {"member_id": guest, "to_org_unit_id": cell, "kind": "temporary", "purpose": "work",
                                 "until": "2024-10-01", "occurred_on": "2024-02-01"})):
        status, answer_ = system.call("POST", f"/api/v1/members/{path}", "admin", body)
        assert status == 201, (path, answer_)
    meeting = ("meeting.held", "2024-03-05", {
        "meeting_id": "SH-KHACH-1", "org_unit_id": cell, "kind": "regular", "duration_minutes": 90,
        "attendance": [{"member_id": own, "status": "present"}, {"member_id": guest, "status": "present"}]})
    before = event_count(system.data_dir)
    for line in (("member.record_updated", "2024-03-06", {"member_id": guest, "full_name": "Tên Bị Sửa"}),
                 ("member.transferred", "2024-03-06", {"member_id": guest, "to_org_unit_id": cell})):
        status, body = _post_raw(system, "/api/v1/imports", "d1_admin", _jsonl(meeting, line))
        assert status == 403 and body["code"] == "forbidden_scope" and body["field"] == "member_id", (line, body)
    assert event_count(system.data_dir) == before
    status, record = system.call("GET", f"/api/v1/members/get_member?member_id={guest}", "admin")
    assert status == 200 and record["full_name"] == person["full_name"] and record["org_unit_id"] == "TN-D2-G2-C1"
    # the host cell's meeting alone, its guest attending: the district's to record
    status, body = _post_raw(system, "/api/v1/imports", "d1_admin", _jsonl(meeting))
    assert status == 201, body
