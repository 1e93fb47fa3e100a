"""Member search through the gateway: by name (diacritics ignored), code or unit, answered only inside
the caller's scope, with no way to learn whether a member exists elsewhere, and every search in the
access log. The tree (tests/gateway/conftest.py) has the same three names in every cell."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.gateway.conftest import GHOST_MEMBER, GHOST_UNIT, OTHER_CELL, OTHER_MEMBER, OWN_CELL, OWN_MEMBER

pytestmark = pytest.mark.integration

BINH = "Trần Thị Bình"


def search(system, user, **params):
    query = urllib.parse.urlencode(params, doseq=True)
    return system.call("GET", f"/api/v1/members/search_members?{query}", user)


def test_a_province_wide_user_finds_a_name_in_every_district_without_diacritics(system):
    status, found = search(system, "prov_viewer", q="tran thi binh")
    assert status == 200, found
    units = {r["org_unit_id"] for r in found["rows"]}
    assert {r["full_name"] for r in found["rows"]} == {BINH}
    assert OWN_CELL in units and OTHER_CELL in units
    assert found["total"] == len(found["rows"]) >= 8
    # each hit names its unit and the unit's parent, so two "Chi bộ Ấp 1" are told apart
    row = next(r for r in found["rows"] if r["org_unit_id"] == OWN_CELL)
    assert row["unit_name"] == "Chi bộ Ấp 1.1.1" and row["parent_id"] == "TN-D1-G1"
    assert row["parent_name"] == "Đảng bộ Xã 1.1"


def test_a_district_user_finds_only_inside_the_district(system):
    status, found = search(system, "d1_viewer", q=BINH)
    assert status == 200, found
    assert found["rows"]
    # inside = below TN-D1 by the tree's parents (other tests add units such as NEW-3 there)
    status, tree = system.call("GET", "/api/v1/reporting/headcount", "prov_viewer")
    parent = {r["org_unit_id"]: r.get("parent_id") for r in tree}
    for unit in {r["org_unit_id"] for r in found["rows"]}:
        while unit not in ("TN-D1", None):
            unit = parent.get(unit)
        assert unit == "TN-D1", found["rows"]
    status, cell = search(system, "cell_clerk", q=BINH)
    assert status == 200 and [r["org_unit_id"] for r in cell["rows"]] == [OWN_CELL]


def test_searching_by_unit_code_or_unit_name(system):
    status, by_code = search(system, "prov_viewer", q=OTHER_CELL)
    assert status == 200 and {r["org_unit_id"] for r in by_code["rows"]} == {OTHER_CELL}
    assert len(by_code["rows"]) == 3
    status, by_name = search(system, "prov_viewer", q="ấp 2.1.1 nguyen")  # every word must match
    assert status == 200 and [(r["org_unit_id"], r["full_name"]) for r in by_name["rows"]] == \
        [(OTHER_CELL, "Nguyễn Văn An")]
    # the parent unit too: "Xã 1.2" finds the members of its cells (other tests may add cells), nobody else
    status, by_parent = search(system, "prov_viewer", q="xa 1.2", limit=500)
    assert status == 200 and {"TN-D1-G2-C1", "TN-D1-G2-C2"} <= {r["org_unit_id"] for r in by_parent["rows"]}
    assert {r["parent_id"] for r in by_parent["rows"]} == {"TN-D1-G2"}


def test_no_existence_oracle_for_members_or_units_outside_the_scope(system):
    # a member of another district and a member who does not exist: the same empty answer
    other = search(system, "d1_viewer", q=OTHER_MEMBER)
    ghost = search(system, "d1_viewer", q=GHOST_MEMBER)
    assert other[0] == ghost[0] == 200
    assert other[1] == ghost[1] == {"total": 0, "rows": []}
    # codes: only the ones in scope come back, the others are silently absent
    status, named = search(system, "d1_viewer", codes=[OWN_MEMBER, OTHER_MEMBER, GHOST_MEMBER])
    assert status == 200 and [r["member_id"] for r in named["rows"]] == [OWN_MEMBER]
    # a unit elsewhere and a unit that does not exist: the same refusal, word for word
    elsewhere = search(system, "d1_viewer", q="an", org_unit_id=OTHER_CELL)
    nowhere = search(system, "d1_viewer", q="an", org_unit_id=GHOST_UNIT)
    assert elsewhere[0] == nowhere[0] == 403
    assert elsewhere[1] == nowhere[1]
    assert elsewhere[1]["code"] == "forbidden_scope"


def test_every_search_is_in_the_access_log_with_its_reason_even_when_it_finds_nobody(system):
    reason = "Kiểm tra danh sách tìm kiếm"
    assert search(system, "d1_viewer", q="khong-co-ai-ten-nay", reason=reason)[0] == 200
    assert search(system, "d1_viewer", q="Lê Hữu Cường", reason=reason)[0] == 200
    status, log = system.call("GET", "/api/v1/audit/access?actor=d1_viewer&limit=50", "admin")
    assert status == 200
    mine = [e for e in log if e["endpoint"] == "members/search_members" and e["reason"] == reason]
    assert len(mine) == 2
    found = next(e for e in mine if e["rows"])
    assert found["subjects"] and all(s.startswith("M") for s in found["subjects"])
    assert next(e for e in mine if not e["rows"])["subjects"] == []
    # and the name searched for stays out of the process log
    assert "Lê Hữu Cường" not in system.proc.output()


def test_a_search_needs_something_to_look_for_and_says_so_in_both_languages(system):
    status, body = search(system, "prov_viewer")
    assert status == 422 and body["field"] == "q"
    assert "từ khóa" in body["message_vi"] and "search text" in body["message_en"]
    status, body = search(system, "prov_viewer", q="a")  # one letter would list everybody
    assert status == 422 and body["field"] == "q"


def test_after_shredding_the_access_log_no_longer_shows_the_name_searched_for_the_member(system):
    """The access log keeps what each search looked for, beside the members it found: once a
    member's personal data is shredded, the text of those searches is erased too — else the log
    would still pair the member's id with the name (the entries themselves stay: who, when, why)."""
    name, member = "Đinh Thị Xóa Được", "M-SHRED-1"
    line = {"type": "member.admitted", "occurred_on": "2016-03-01",
            "data": {"member_id": member, "org_unit_id": OWN_CELL, "full_name": name, "birth_date": "1981-06-07",
                     "sex": "female", "demobilised": "none"}}
    import json as _json
    from tests.support.services import http
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                        raw=(_json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
    assert status == 201, body
    reason = "Xác minh trước khi xóa dữ liệu"
    status, found = search(system, "d1_viewer", q="dinh thi xoa duoc", reason=reason)
    assert status == 200 and [r["member_id"] for r in found["rows"]] == [member], found
    assert search(system, "d1_viewer", q=name, reason=reason)[1]["rows"]
    assert search(system, "d1_viewer", q=BINH)[0] == 200
    status, log = system.call("GET", f"/api/v1/audit/access?member_id={member}", "admin")
    assert status == 200 and len(log) == 2 and {e["params"]["q"] for e in log} == {"dinh thi xoa duoc", name}

    status, body = system.call("POST", "/api/v1/members/shred_member", "admin",
                               {"member_id": member, "occurred_on": "2026-01-05"})
    assert status == 201, body
    status, log = system.call("GET", f"/api/v1/audit/access?member_id={member}", "admin")
    assert status == 200
    searches = [e for e in log if e["endpoint"] == "members/search_members"]
    assert len(searches) == 2 and all(e["reason"] == reason and e["actor"] == "d1_viewer" for e in searches)
    text = _json.dumps(log, ensure_ascii=False).lower()
    assert "xóa được" not in text and "xoa duoc" not in text, log
    # nor does any file of the data folder keep it (no old page in a write-ahead log or free space)
    for path in system.data_dir.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert name.encode() not in raw and b"dinh thi xoa duoc" not in raw, path.name
    # other members' entries keep their search text
    status, others = system.call("GET", "/api/v1/audit/access?actor=d1_viewer&limit=1000", "admin")
    assert any(e["params"].get("q") == BINH for e in others)
