"""A member who came into a district is the district's from the day it came, not before: on the
running system, a district may not file a fact about that member on a day the member stood in
another district (the fact would count in the other district's figures for that day)."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.gateway.conftest import OTHER_CELL, OWN_CELL
from tests.gateway.test_access_matrix import event_count
from tests.support.services import http

pytestmark = pytest.mark.integration

ARRIVED = "2024-06-03"


def removed_in(system, org: str, year: int) -> int:
    status, body = system.call("GET", f"/api/v1/reporting/movement?org_unit_id={org}&year={year}", "admin")
    assert status == 200, body
    return body["rows"][0]["removed"]


def test_a_district_files_nothing_about_a_member_on_a_day_it_stood_in_another_district(system):
    member = f"MDS-{uuid.uuid4().hex[:6]}"
    admitted = system.call("POST", "/api/v1/members/admit_member", "admin", {
        "occurred_on": "2016-03-01", "member_id": member, "org_unit_id": OTHER_CELL, "full_name": "Đặng Văn Sơn",
        "birth_date": "1985-02-03", "sex": "male"})
    assert admitted[0] == 201, admitted
    moved = system.call("POST", "/api/v1/members/transfer_member", "admin",
                        {"occurred_on": ARRIVED, "member_id": member, "to_org_unit_id": OWN_CELL})
    assert moved[0] == 201, moved
    before, removed_2020 = event_count(system.data_dir), removed_in(system, "TN-D2", 2020)

    # on days the member stood in the other district: refused like anything outside the scope
    for user, path, body in (
            ("d1_clerk", "members/remove_member", {"occurred_on": "2020-05-04", "ground": "abandoned_activity"}),
            ("d1_clerk", "members/record_death", {"occurred_on": "2024-06-02"}),
            ("d1_clerk", "members/transfer_member", {"occurred_on": "2020-05-04", "to_org_unit_id": "TN-D1-G1-C2"}),
            ("d1_clerk", "meetings/record_dues", {"occurred_on": "2024-07-01", "month": "2024-05", "status": "unpaid"}),
            ("d1_inspector", "discipline/apply_discipline", {
                "occurred_on": "2020-05-04", "case_id": f"K-{member}", "subject_kind": "member",
                "form": "reprimand", "violation_on": "2020-01-02"})):
        field = "subject_id" if path.startswith("discipline") else "member_id"
        status, refused = system.call("POST", f"/api/v1/{path}", user, {**body, field: member})
        assert status == 403 and refused["code"] == "forbidden_scope", (path, status, refused)
    # ... and in an import file of the district's administrator
    line = json.dumps({"type": "member.removed", "occurred_on": "2020-05-04",
                       "data": {"member_id": member, "ground": "abandoned_activity"}})
    status, refused = http("POST", f"{system.url}/api/v1/imports", None,
                           {"Authorization": f"Bearer {system.tokens['d1_admin']}",
                            "Content-Type": "application/x-ndjson"}, raw=line.encode("utf-8"))
    assert status == 403 and refused["code"] == "forbidden_scope", refused
    assert event_count(system.data_dir) == before
    assert removed_in(system, "TN-D2", 2020) == removed_2020

    # from the day it came, the member is the district's
    task = system.call("POST", "/api/v1/members/assign_task", "d1_clerk",
                       {"occurred_on": ARRIVED, "member_id": member, "task": "Phụ trách tổ dân cư"})
    assert task[0] == 201, task
    dues = system.call("POST", "/api/v1/meetings/record_dues", "d1_clerk",
                       {"occurred_on": "2024-07-01", "member_id": member, "month": "2024-06", "status": "paid"})
    assert dues[0] == 201, dues


def disciplined_in(system, org: str, year: int) -> int:
    status, body = system.call("GET", f"/api/v1/reporting/term?org_unit_id={org}&year={year}", "admin")
    assert status == 200, body
    return next(r["value"] for r in body["rows"] if r["indicator"] == "members_disciplined")


def test_a_decision_another_district_took_stays_its_own_after_the_member_moved(system):
    """D2 reprimanded its member in 2022 (it counts in D2's term table); the member moved to D1 in
    2024. A D1 inspector may not annul, change or appeal D2's decision: D2's 2022 figure stays."""
    member, case = f"MDC-{uuid.uuid4().hex[:6]}", f"KDC-{uuid.uuid4().hex[:6]}"
    for path, body in (("members/admit_member", {"occurred_on": "2016-03-01", "member_id": member,
                                                 "org_unit_id": OTHER_CELL, "full_name": "Võ Thị Hoa",
                                                 "birth_date": "1984-04-05", "sex": "female"}),
                       ("members/recognize_official", {"occurred_on": "2017-03-01", "member_id": member}),
                       ("discipline/apply_discipline", {"occurred_on": "2022-05-04", "case_id": case,
                                                        "subject_kind": "member", "subject_id": member,
                                                        "form": "reprimand", "violation_on": "2022-01-02"}),
                       ("members/transfer_member", {"occurred_on": ARRIVED, "member_id": member,
                                                    "to_org_unit_id": OWN_CELL})):
        done = system.call("POST", f"/api/v1/{path}", "admin", body)
        assert done[0] == 201, (path, done)
    before, figure = event_count(system.data_dir), disciplined_in(system, "TN-D2", 2022)
    assert figure >= 1
    for path, body in (("annul_discipline", {}), ("change_discipline", {"form": "warning"}),
                       ("appeal_discipline", {})):
        status, refused = system.call("POST", f"/api/v1/discipline/{path}", "d1_inspector",
                                      {"occurred_on": "2024-07-01", "case_id": case, **body})
        assert status == 403 and refused["code"] == "forbidden_scope", (path, status, refused)
    assert event_count(system.data_dir) == before
    assert disciplined_in(system, "TN-D2", 2022) == figure


def test_a_cell_moved_into_a_district_is_the_districts_from_the_day_it_moved(system):
    """A D2 cell moved under D1 on 03/06/2024: a D1 clerk may not record its meeting of May 2024 (it
    would count in D2's meeting figures for 2024); its meeting of June is D1's to record."""
    suffix = uuid.uuid4().hex[:6]
    cell, member = f"TN-D2-G2-CX{suffix}", f"MDU-{suffix}"
    for path, body in (("members/create_org_unit", {"occurred_on": "2016-01-04", "org_unit_id": cell,
                                                    "name": f"Chi bộ Ấp {suffix}", "kind": "cell",
                                                    "parent_id": "TN-D2-G2"}),
                       ("members/admit_member", {"occurred_on": "2016-03-01", "member_id": member, "org_unit_id": cell,
                                                 "full_name": "Lý Văn Tâm", "birth_date": "1986-06-07", "sex": "male"}),
                       ("members/move_org_unit", {"occurred_on": ARRIVED, "org_unit_id": cell,
                                                  "parent_id": "TN-D1-G1"})):
        done = system.call("POST", f"/api/v1/{path}", "admin", body)
        assert done[0] == 201, (path, done)
    before = event_count(system.data_dir)
    meeting = {"org_unit_id": cell, "kind": "regular", "duration_minutes": 120,
               "attendance": [{"member_id": member, "status": "present"}]}
    status, refused = system.call("POST", "/api/v1/meetings/record_meeting", "d1_clerk",
                                  {**meeting, "meeting_id": f"SH-{suffix}-5", "occurred_on": "2024-05-10"})
    assert status == 403 and refused["code"] == "forbidden_scope", refused
    assert event_count(system.data_dir) == before
    done = system.call("POST", "/api/v1/meetings/record_meeting", "d1_clerk",
                       {**meeting, "meeting_id": f"SH-{suffix}-6", "occurred_on": "2024-06-10"})
    assert done[0] == 201, done


def test_a_decision_taken_in_a_unit_before_it_was_moved_into_a_district_stays_the_old_districts(system):
    """The 2025 merger: a D2 cell is re-parented under D1 on 01/07/2025. D2 reprimanded a member of
    that cell in March 2025 and opened an inspection of it then; both count in D2's figures for 2025
    (the structure as it stood). A D1 inspector may not change, annul or appeal that decision, nor
    conclude that inspection — the case's unit now lies in D1, but it did not when the case was
    decided. A decision D1 takes after the move is D1's own."""
    suffix = uuid.uuid4().hex[:6]
    cell, case, inquiry = f"TN-D2-G2-CM{suffix}", f"KM-{suffix}", f"IM-{suffix}"
    members = [f"MDM-{suffix}-{i}" for i in range(3)]
    setup = [("members/create_org_unit", {"occurred_on": "2016-01-04", "org_unit_id": cell,
                                          "name": f"Chi bộ Ấp sáp nhập {suffix}", "kind": "cell",
                                          "parent_id": "TN-D2-G2"})]
    for i, member in enumerate(members):
        setup += [("members/admit_member", {"occurred_on": "2016-03-01", "member_id": member, "org_unit_id": cell,
                                            "full_name": f"Mai Văn {'ABC'[i]}", "birth_date": "1986-06-07",
                                            "sex": "male"}),
                  ("members/recognize_official", {"occurred_on": "2017-03-01", "member_id": member})]
    setup += [("discipline/apply_discipline", {"occurred_on": "2025-03-20", "case_id": case, "subject_kind": "member",
                                               "subject_id": members[0], "form": "reprimand",
                                               "violation_on": "2025-01-05"}),
              ("discipline/open_inspection", {"occurred_on": "2025-04-02", "inspection_id": inquiry,
                                              "kind": "regular", "body": "Ủy ban Kiểm tra Huyện ủy 2",
                                              "subject_kind": "org_unit", "subject_id": cell}),
              ("members/move_org_unit", {"occurred_on": "2025-07-01", "org_unit_id": cell, "parent_id": "TN-D1-G1"})]
    for path, body in setup:
        done = system.call("POST", f"/api/v1/{path}", "admin", body)
        assert done[0] == 201, (path, done)
    before, figure = event_count(system.data_dir), disciplined_in(system, "TN-D2", 2025)
    for path, body in (("annul_discipline", {"case_id": case}), ("change_discipline", {"case_id": case,
                                                                                       "form": "warning"}),
                       ("appeal_discipline", {"case_id": case}), ("conclude_inspection", {"inspection_id": inquiry})):
        status, refused = system.call("POST", f"/api/v1/discipline/{path}", "d1_inspector",
                                      {"occurred_on": "2025-08-01", **body})
        assert status == 403 and refused["code"] == "forbidden_scope", (path, status, refused)
    assert event_count(system.data_dir) == before
    assert disciplined_in(system, "TN-D2", 2025) == figure
    # the cell is D1's from the move: a decision D1 takes afterwards, and then changes, is its own
    own = f"KM2-{suffix}"
    done = system.call("POST", "/api/v1/discipline/apply_discipline", "d1_inspector",
                       {"occurred_on": "2025-09-10", "case_id": own, "subject_kind": "member", "subject_id": members[1],
                        "form": "reprimand", "violation_on": "2025-08-05"})
    assert done[0] == 201, done
    done = system.call("POST", "/api/v1/discipline/change_discipline", "d1_inspector",
                       {"occurred_on": "2025-09-20", "case_id": own, "form": "warning"})
    assert done[0] == 201, done
