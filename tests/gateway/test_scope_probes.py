"""An independent tester's pass over org scope and personal data (DOMAIN.md §1, §9): routes a
district user might try to step out of its subtree through, against the running embedded system."""
from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request

import pytest

from tests.gateway.conftest import OTHER_CELL, OWN_CELL
from tests.gateway.test_access_matrix import event_count
from tests.support.services import http

pytestmark = pytest.mark.integration

TODAY = dt.date.today().isoformat()


def unit_ids(value) -> set[str]:
    """Every ``org_unit_id``/``parent_id`` an answer names, however deep."""
    if isinstance(value, dict):
        own = {v for k, v in value.items() if k in ("org_unit_id", "parent_id") and isinstance(v, str)}
        return own.union(*(unit_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(unit_ids(v) for v in value))
    return set()


def other_district(system) -> set[str]:
    """The units the other district holds now (other tests of the session move some around)."""
    status, body = system.call("GET", "/api/v1/reporting/headcount?org_unit_id=TN-D2", "admin")
    assert status == 200, body
    return unit_ids(body) - {"TN"}


def ids_in(value, system) -> set[str]:
    return unit_ids(value) & other_district(system)


def test_a_repeated_query_parameter_does_not_slip_another_district_past_the_check(system):
    """``?org_unit_id=A&org_unit_id=B``: the gateway must not let a list pass unchecked."""
    for path, params in (
            ("/api/v1/meetings/absences", [("member_id", "M000001"), ("year", "2024"),
                                           ("org_unit_id", OTHER_CELL), ("org_unit_id", OTHER_CELL)]),
            ("/api/v1/reporting/headcount", [("org_unit_id", "TN-D2"), ("org_unit_id", "TN-D2")]),
            ("/api/v1/members/unit_members", [("org_unit_id", OTHER_CELL), ("org_unit_id", OWN_CELL)]),
            ("/api/v1/members/org_tree", [("org_unit_id", "TN-D2"), ("org_unit_id", "TN")])):
        status, body = system.call("GET", f"{path}?{urllib.parse.urlencode(params)}", "d1_viewer")
        assert status != 200 or not ids_in(body, system), (path, status, body)


def test_a_report_without_a_unit_is_the_users_subtree_on_every_route(system):
    for path in ("/api/v1/reporting/headcount", "/api/v1/members/unit_members", "/api/v1/members/org_tree",
                 "/api/v1/members/search_members?q=Nguy%E1%BB%85n"):
        status, body = system.call("GET", path, "d1_viewer")
        assert status in (200, 403, 422), (path, status, body)
        if status == 200:
            assert not ids_in(body, system) and "M000013" not in json.dumps(body), (path, body)
    req = urllib.request.Request(f"{system.url}/api/v1/exports/reporting/headcount?format=csv",
                                 headers={"Authorization": f"Bearer {system.tokens['d1_viewer']}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        text = resp.read().decode("utf-8")
    exported = {line.split(",")[0] for line in text.splitlines()[1:] if line}
    assert "TN-D1" in exported and not exported & other_district(system), text
    for path in ("/api/v1/exports/reporting/headcount?format=csv&org_unit_id=TN-D2",
                 "/api/v1/documents/yearly?org_unit_id=TN-D2&year=2024",
                 "/api/v1/exports/members/unit_members?format=csv&org_unit_id=" + OTHER_CELL):
        status, body = system.call("GET", path, "d1_viewer")
        assert status == 403 and body["code"] == "forbidden_scope", (path, body)


def test_a_district_administrators_sheet_and_mixed_jsonl_imports_write_nothing(system):
    before = event_count(system.data_dir)
    lines = [{"type": "dues.recorded", "occurred_on": TODAY,
              "data": {"member_id": "M000002", "month": TODAY[:7], "status": "paid", "org_unit_id": OWN_CELL}},
             {"type": "dues.recorded", "occurred_on": TODAY,
              "data": {"member_id": "M000014", "month": TODAY[:7], "status": "paid", "org_unit_id": OTHER_CELL}}]
    text = "".join(json.dumps(x) + "\n" for x in lines)
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['d1_admin']}",
                         "Content-Type": "application/x-ndjson"}, raw=text.encode())
    assert status == 403 and body["code"] == "forbidden_scope", body
    csv = "member_id,month,status\nM000014,2024-01,paid\n".encode()
    status, body = http("POST", f"{system.url}/api/v1/imports/sheet?kind=members&filename=a.csv", None,
                        {"Authorization": f"Bearer {system.tokens['d1_admin']}", "Content-Type": "text/csv"}, raw=csv)
    assert status == 403, body
    assert event_count(system.data_dir) == before


def test_a_member_transferred_to_another_district_is_no_longer_the_old_districts(system):
    status, body = system.call("POST", "/api/v1/members/transfer_member", "admin",
                               {"member_id": "M000009", "to_org_unit_id": "TN-D2-G2-C1", "occurred_on": TODAY})
    assert status == 201, body
    before = event_count(system.data_dir)
    for path, payload in (("meetings/record_dues", {"member_id": "M000009", "month": TODAY[:7], "status": "paid"}),
                          ("members/start_working_away", {"member_id": "M000009", "place": "TP HCM"}),
                          ("members/rate_member", {"member_id": "M000009", "year": 2025, "rating": "good"}),):
        status, refused = system.call("POST", f"/api/v1/{path}", "d1_clerk", {**payload, "occurred_on": TODAY})
        assert status == 403 and refused["code"] == "forbidden_scope", (path, refused)
    status, refused = system.call("GET", "/api/v1/members/get_member?member_id=M000009", "d1_viewer")
    assert status == 403, refused
    assert event_count(system.data_dir) == before
    # the new district's facts about the member stay out of the old district's feed
    status, done = system.call("POST", "/api/v1/meetings/record_dues", "admin",
                               {"member_id": "M000009", "month": TODAY[:7], "status": "paid", "occurred_on": TODAY})
    assert status == 201, done
    after, seen = 0, []
    for service in ("members", "meetings"):
        after = 0
        while True:
            status, page = system.call("GET", f"/api/v1/events?service={service}&after={after}&limit=1000",
                                       "d1_viewer")
            assert status == 200, page
            seen += page["events"]
            after = page["next_after"]
            if not page["more"]:
                break
    assert any(e["type"] == "member.transferred" and e["data"]["member_id"] == "M000009" for e in seen)
    for e in seen:
        assert not (e.get("type") == "dues.recorded" and (e.get("data") or {}).get("member_id") == "M000009"), e


def test_a_working_away_contact_is_sealed_in_the_feed_like_every_personal_value(system):
    """A phone number and an address are personal data (Decree 13/2023): sealed with the member's
    key, so the feed never carries them in clear and shredding the member makes them unreadable."""
    contact = "0912 345 678, số 5 đường Lê Lợi"
    status, body = system.call("POST", "/api/v1/members/start_working_away", "d1_clerk",
                               {"member_id": "M000003", "place": "Bình Dương", "contact": contact,
                                "occurred_on": TODAY})
    assert status == 201, body
    status, page = system.call("GET", "/api/v1/events?service=members&limit=1000", "d1_viewer")
    assert status == 200
    text = json.dumps(page, ensure_ascii=False)
    for personal in ("Nguyễn Văn An", "1980-05-01", contact):
        assert personal not in text, personal
    away = [e for e in page["events"] if e["type"] == "member.working_away_started"
            and e["data"]["member_id"] == "M000003"]
    assert away and away[-1]["data"]["contact"].startswith("sealed:v1:"), away


def test_a_district_administrators_import_cannot_move_or_merge_its_units_into_another_district(system):
    before = event_count(system.data_dir)
    for line in ({"type": "org_unit.moved", "occurred_on": TODAY,
                  "data": {"org_unit_id": "TN-D1-G2-C1", "parent_id": "TN-D2-G1"}},
                 {"type": "org_unit.merged", "occurred_on": TODAY,
                  "data": {"org_unit_id": "TN-D1-G2-C1", "into_org_unit_id": OTHER_CELL}},
                 {"type": "member.transferred", "occurred_on": TODAY,
                  "data": {"member_id": "M000007", "from_org_unit_id": "TN-D1-G2-C1", "to_org_unit_id": OTHER_CELL,
                           "kind": "official"}}):
        status, body = http("POST", f"{system.url}/api/v1/imports", None,
                            {"Authorization": f"Bearer {system.tokens['d1_admin']}",
                             "Content-Type": "application/x-ndjson"}, raw=(json.dumps(line) + "\n").encode())
        assert status == 403 and body["code"] == "forbidden_scope", (line["type"], body)
        assert "Chi bộ Ấp 2" not in json.dumps(body, ensure_ascii=False)
    assert event_count(system.data_dir) == before


def test_searches_and_refused_input_leave_no_personal_value_in_the_log(system):
    name, citizen = "Hoàng Thị Lụa Probe", "079301009876"
    for path in (f"/api/v1/members/search_members?{urllib.parse.urlencode({'q': name})}",
                 f"/api/v1/members/search_members?{urllib.parse.urlencode({'q': citizen})}",
                 f"/api/v1/members/search_members?{urllib.parse.urlencode({'q': citizen, 'org_unit_id': 'TN-D2'})}"):
        status, _ = system.call("GET", path, "d1_viewer")
        assert status in (200, 403), path
    # refused on its form: a citizen id that is no id, a name too long, a birth date that is no date
    status, _ = system.call("POST", "/api/v1/members/admit_member", "d1_clerk", {
        "occurred_on": TODAY, "member_id": "MPROBE1", "org_unit_id": OWN_CELL, "full_name": name * 20,
        "birth_date": f"{citizen}-xx", "sex": "female", "citizen_id": f"{citizen}!"})
    assert status in (400, 422), status

    def logged():
        log = system.proc.output()
        return log if log.count("search_members") >= 3 and "admit_member" in log else None

    from tests.support.services import wait_until
    log = wait_until(logged, what="the probes' requests in the log")
    for personal in (name, citizen, "Ho%C3%A0ng", urllib.parse.quote(name)):
        assert personal not in log, personal


@pytest.mark.parametrize("command,event,field,body", [
    ("record_liaison_feedback", "member.liaison_feedback_recorded", "feedback", {"year": 2025}),
    ("plan_remediation", "member.remediation_planned", "items", {"year": 2025, "due_on": "2099-12-31"}),
])
def test_an_appraisal_of_a_member_is_sealed_in_the_store_and_the_feed(system, command, event, field, body):
    """The residence cell's yearly appraisal of a member (QĐ 213) and the shortcomings a
    remediation plan lists are opinions about a person — the kind of value the log never carries:
    sealed with the member's key like a health reason or a contact, so neither the store, the
    integrators' feed nor an import file holds them in clear, and shredding the member makes them
    unreadable."""
    import sqlite3
    from uuid import uuid4
    text = f"Đồng chí hay uống rượu, chưa gương mẫu nơi cư trú ({uuid4().hex[:6]})"
    if command == "record_liaison_feedback":  # the residence cell answers for a member introduced to it
        status, done = system.call("POST", "/api/v1/members/introduce_liaison", "d1_clerk", {
            "member_id": "M000002", "residence_org_unit_id": "TN-D1-G1-C2", "occurred_on": "2024-01-15"})
        assert status == 201, done
    status, done = system.call("POST", f"/api/v1/members/{command}", "d1_clerk",
                               {"member_id": "M000002", field: text, "occurred_on": TODAY, **body})
    assert status == 201, done
    assert done["events"][0]["data"][field].startswith("sealed:v1:"), done
    imported = {"type": event, "occurred_on": TODAY,
                "data": {"member_id": "M000002", field: text + " (nhập)", **body, "year": 2024}}
    for _ in range(2):  # the same file twice: written once, sealed
        status, done = http("POST", f"{system.url}/api/v1/imports", None,
                            {"Authorization": f"Bearer {system.tokens['admin']}",
                             "Content-Type": "application/x-ndjson"},
                            raw=(json.dumps(imported, ensure_ascii=False) + "\n").encode("utf-8"))
        assert status == 201, done
    assert done["written"] == 0, done
    status, page = system.call("GET", "/api/v1/events?service=members&limit=1000", "admin")
    assert status == 200 and text.split(" (")[0] not in json.dumps(page, ensure_ascii=False)
    with sqlite3.connect(system.data_dir / "members.events.db") as db:
        stored = "\n".join(str(value) for row in db.execute("SELECT * FROM events") for value in row)
    assert any(t in stored for t in ("Chi bộ Ấp 1.1.1", json.dumps("Chi bộ Ấp 1.1.1")[1:-1]))  # clear text shows
    for form in (text, json.dumps(text)[1:-1]):  # as written, or \u-escaped
        assert form.split(" (")[0] not in stored


def test_an_absence_reason_is_not_in_the_feed_in_clear(system):
    """An excused absence's reason is often a health matter ("nằm viện điều trị") — personal data the
    members service seals as ``health_reason`` in an exemption. In a meeting's attendance and in
    ``meeting.missed`` it travelled in clear to every integrator and survived shredding; now it is
    sealed in the store and the feed, and opened for a reader in scope only."""
    import sqlite3
    reason = "Nằm viện điều trị bệnh phổi"
    status, done = system.call("POST", "/api/v1/meetings/record_meeting", "admin", {
        "meeting_id": "SH-REASON-1", "org_unit_id": "TN-D1-G2-C2", "kind": "regular", "occurred_on": "2025-05-10",
        "duration_minutes": 120,
        "attendance": [{"member_id": "M000010", "status": "present"},
                       {"member_id": "M000011", "status": "excused", "reason": reason},
                       {"member_id": "M000012", "status": "present"}]})
    assert status == 201, done
    status, page = system.call("GET", "/api/v1/events?service=meetings&limit=1000", "admin")
    assert status == 200 and reason not in json.dumps(page, ensure_ascii=False)
    with sqlite3.connect(system.data_dir / "meetings.events.db") as db:
        stored = "\n".join(str(value) for row in db.execute("SELECT * FROM events") for value in row)
    assert "sealed:v1:" in stored and reason not in stored and json.dumps(reason)[1:-1] not in stored
    status, found = system.call("GET", "/api/v1/meetings/meeting?meeting_id=SH-REASON-1", "d1_viewer")
    assert status == 200 and {a["member_id"]: a.get("reason") for a in found["attendance"]} == {
        "M000010": None, "M000011": reason, "M000012": None}, found
    status, elsewhere = system.call("GET", "/api/v1/meetings/meeting?meeting_id=SH-REASON-1", "cell_clerk")
    assert status == 403 and reason not in json.dumps(elsewhere, ensure_ascii=False), elsewhere


def test_an_absence_reason_is_erased_with_the_member_and_an_import_sent_again_writes_nothing(system):
    """Imported, the reason is sealed too, and the same file sent again writes nothing (the stored
    sealed value is opened to compare). Once the members service shreds the member, the meetings
    service's key goes as well: the meeting shows the reason as erased."""
    import sqlite3
    import time
    from uuid import uuid4

    tag = uuid4().hex[:6].upper()
    cell, absent, present = f"TN-D1-G2-R{tag}", f"MR{tag}1", f"MR{tag}2"
    reason = f"Điều trị ung thư tại Bệnh viện K ({tag})"

    def send(lines):
        return http("POST", f"{system.url}/api/v1/imports", None,
                    {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                    raw="".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8"))

    status, done = send([{"type": "org_unit.created", "occurred_on": "2015-10-01",
                          "data": {"org_unit_id": cell, "name": f"Chi bộ {tag}", "kind": "cell",
                                   "parent_id": "TN-D1-G2"}}] +
                        [{"type": "member.admitted", "occurred_on": "2016-03-01",
                          "data": {"member_id": m, "org_unit_id": cell, "full_name": "Hoàng Văn Nam",
                                   "birth_date": "1970-01-01", "sex": "male", "demobilised": "none"}}
                         for m in (absent, present)])
    assert status == 201, done
    held = {"type": "meeting.held", "occurred_on": "2025-06-07", "event_id": f"EV-{tag}",
            "data": {"meeting_id": f"SH-{tag}", "org_unit_id": cell, "kind": "regular", "duration_minutes": 120,
                     "attendance": [{"member_id": absent, "status": "excused", "reason": reason},
                                    {"member_id": present, "status": "present"}]}}
    status, done = send([held])
    assert status == 201 and done["written"] >= 2, done
    status, done = send([held])
    assert status == 201 and done["written"] == 0, done
    with sqlite3.connect(system.data_dir / "meetings.events.db") as db:
        stored = "\n".join(str(value) for row in db.execute("SELECT * FROM events") for value in row)
    assert tag in stored and reason not in stored and json.dumps(reason)[1:-1] not in stored
    status, page = system.call("GET", "/api/v1/events?service=meetings&limit=1000", "admin")
    assert status == 200 and reason not in json.dumps(page, ensure_ascii=False)

    def shown():
        status, found = system.call("GET", f"/api/v1/meetings/meeting?meeting_id=SH-{tag}", "d1_viewer")
        assert status == 200, found
        return next(a for a in found["attendance"] if a["member_id"] == absent)

    assert shown() == {"member_id": absent, "status": "excused", "reason": reason}
    status, done = system.call("POST", "/api/v1/members/shred_member", "admin",
                               {"member_id": absent, "occurred_on": TODAY})
    assert status == 201, done
    deadline = time.monotonic() + 30  # the bus brings the shredding at once; the sweep within seconds
    while shown().get("reason") is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert shown() == {"member_id": absent, "status": "excused", "reason": None, "personal_data_shredded": True}
