"""Nothing silently dropped or mangled (issue 12): every input case is refused with a clear
message naming the line (imports) or field, and writes nothing — or, for a UTF-8 BOM, accepted.
Limits are tested on both sides. Every non-2xx answer is application/problem+json."""
from __future__ import annotations

import json
import socket
import uuid

from shared.inputcheck import MAX_COMMAND_BYTES, MAX_DEPTH
from tests.support.services import http


def unit(uid: str, name: str = "Chi bộ thử nghiệm", **extra) -> dict:
    line = {"type": "org_unit.created", "occurred_on": "2020-01-01",
            "data": {"org_unit_id": uid, "name": name, "kind": "cell", "parent_id": "TN-D1-G1"}}
    line.update(extra)
    return line


def uid() -> str:
    return f"TN-I12-{uuid.uuid4().hex[:8]}"


def send(system, raw: bytes):
    return http("POST", f"{system.url}/api/v1/imports", None,
                {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/x-ndjson"},
                raw=raw)


def lines(*objs) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode("utf-8")


def raw_answer(system, method: str, path: str, headers: dict, body: bytes = b""):
    """(status, content type, body) without urllib's own header checks."""
    host, port = system.url.rsplit("/", 1)[-1].split(":")
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(head.encode("latin-1") + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    top, _, payload = data.partition(b"\r\n\r\n")
    status = int(top.split()[1])
    ctype = next((l.split(b":", 1)[1].strip().decode() for l in top.split(b"\r\n")
                  if l.lower().startswith(b"content-type:")), "")
    return status, ctype, payload


def is_written(system, unit_id: str) -> bool:
    """Importing the unit alone again: written 0 means it was stored before."""
    status, body = send(system, lines(unit(unit_id)))
    assert status == 201, body
    return body["written"] == 0


# -- event ids -------------------------------------------------------------------------------
def test_same_event_id_with_different_content_in_one_file_is_refused_naming_both_lines(system):
    a, b, eid = uid(), uid(), str(uuid.uuid4())
    status, body = send(system, lines(unit(a, event_id=eid), unit(a, "Tên khác", event_id=eid), unit(b)))
    assert status == 422 and body["code"] == "import_refused"
    [err] = body["errors"]
    assert err["line"] == 2 and err["code"] == "event_id_conflict" and err["field"] == "event_id"
    assert "dòng 1" in err["message_vi"] and "Chi bộ thử nghiệm" in err["message_en"] and "Tên khác" in err["message_en"]
    assert not is_written(system, b)  # nothing of the file was written


def test_exact_duplicate_lines_stay_idempotent(system):
    a, eid = uid(), str(uuid.uuid4())
    status, body = send(system, lines(unit(a, event_id=eid), unit(a, event_id=eid)))
    assert status == 201 and body["written"] == 1
    status, body = send(system, lines(unit(a, event_id=eid)))
    assert status == 201 and body["written"] == 0


def test_an_event_id_stored_with_other_content_is_refused_with_both_summaries(system):
    a, eid = uid(), str(uuid.uuid4())
    assert send(system, lines(unit(a, event_id=eid)))[0] == 201
    status, body = send(system, lines(unit(a, "Chi bộ đổi tên", event_id=eid)))
    assert status == 422
    [err] = body["errors"]
    assert err["line"] == 1 and err["code"] == "event_id_conflict"
    assert "stored" in err["message_en"] and "Chi bộ thử nghiệm" in err["message_en"]
    assert "Chi bộ đổi tên" in err["message_en"] and "đã được lưu" in err["message_vi"]



def test_a_district_administrator_is_not_shown_another_districts_fact_stored_under_the_same_event_id(system):
    """Event ids are global and files pick them freely ("E1"): a district administrator whose line
    reuses an id another district's fact is stored under hears that the id is taken, never what
    was stored there (its unit, names, people) — the province-wide administrator still sees both."""
    eid, elsewhere, mine = f"QA-E-{uuid.uuid4().hex[:8]}", uid(), uid()
    theirs = unit(elsewhere, "Chi bộ Huyện Hai bí mật", event_id=eid)
    theirs["data"]["parent_id"] = "TN-D2-G1"
    assert send(system, lines(theirs))[0] == 201
    line = unit(mine, "Chi bộ của tôi", event_id=eid)
    status, body = http("POST", f"{system.url}/api/v1/imports", None,
                        {"Authorization": f"Bearer {system.tokens['d1_admin']}",
                         "Content-Type": "application/x-ndjson"}, raw=lines(line))
    assert status == 422, body
    [err] = body["errors"]
    assert err["line"] == 1 and err["code"] == "event_id_conflict" and err["field"] == "event_id"
    text = json.dumps(body, ensure_ascii=False)
    assert elsewhere not in text and "bí mật" not in text and "TN-D2" not in text, text
    assert eid in err["message_en"] and "Chi bộ của tôi" in err["message_en"]  # its own line it may see
    assert "đã được dùng" in err["message_vi"] and "already used" in err["message_en"]
    status, body = send(system, lines(line))  # the province-wide administrator: both sides
    assert status == 422 and "bí mật" in body["errors"][0]["message_en"]

# -- text ------------------------------------------------------------------------------------
def test_invalid_utf8_is_refused_naming_the_line_never_stored_as_replacement(system):
    a, b = uid(), uid()
    raw = lines(unit(a)) + lines(unit(b, "Chi bộ ZZ")).replace(b"ZZ", b"\xff\xfe")
    status, body = send(system, raw)
    assert status == 422 and body["errors"][0]["line"] == 2 and body["errors"][0]["code"] == "invalid_utf8"
    assert "UTF-8" in body["errors"][0]["message_vi"]
    assert not is_written(system, a)


def test_a_nul_or_other_control_character_in_a_name_is_refused(system):
    for bad in ("\u0000", "\u001b", "\u0085"):
        a = uid()
        status, body = send(system, lines(unit(a, f"Chi bộ{bad}X")))
        assert status == 422, bad
        err = body["errors"][0]
        assert err["line"] == 1 and err["code"] == "control_character" and err["field"] == "data.name"
        assert f"U+{ord(bad):04X}" in err["message_en"]
        assert not is_written(system, a)
    ok = uid()  # tab is text, not a control character to refuse
    assert send(system, lines(unit(ok, "Chi bộ\tmột")))[0] == 201


def test_a_file_saved_with_a_utf8_bom_is_accepted(system):
    a = uid()
    status, body = send(system, b"\xef\xbb\xbf" + lines(unit(a, "Chi bộ có BOM")))
    assert status == 201 and body["written"] == 1


def test_line_separators_inside_strings_do_not_split_lines(system):
    a = uid()
    text = (json.dumps(unit(a, "Chi bộ\u2028một\u2029hai"), ensure_ascii=False) + "\r\n"
            + json.dumps({"type": "member.teleported", "occurred_on": "2020-01-01", "data": {}}) + "\n")
    status, body = send(system, text.encode("utf-8"))
    assert status == 422 and [e["line"] for e in body["errors"]] == [2]  # not 3 or 4
    status, body = send(system, (json.dumps(unit(a, "Chi bộ\u2028một"), ensure_ascii=False) + "\n").encode())
    assert status == 201 and body["written"] == 1


def test_an_envelope_org_unit_contradicting_the_payload_is_refused(system):
    a = uid()
    status, body = send(system, lines(unit(a, org_unit_id="TN-D2")))
    assert status == 422
    err = body["errors"][0]
    assert err["code"] == "org_unit_mismatch" and err["field"] == "org_unit_id" and "TN-D2" in err["message_en"]
    assert not is_written(system, a)
    assert send(system, lines(unit(a, org_unit_id=a)))[0] == 201  # agreeing envelope: fine


# -- JSON depth, body and header sizes ---------------------------------------------------------
def nested(depth: int):
    value: object = "x"
    for _ in range(depth - 1):
        value = [value]
    return {"name": value}  # the object itself is level 1


def test_deep_nesting_is_a_400_problem_on_commands_and_a_named_line_on_imports(system):
    path = "/api/v1/members/create_org_unit"
    status, body = system.call("POST", path, body=nested(MAX_DEPTH))
    assert status == 422 and body["code"] != "too_deep"  # at the limit: parsed, then refused by the contract
    status, body = system.call("POST", path, body=nested(MAX_DEPTH + 1))
    assert status == 400 and body["code"] == "too_deep"
    hostile = ("[" * 100_000 + "]" * 100_000).encode()
    status, ctype, payload = raw_answer(system, "POST", path, {"Authorization": f"Bearer {system.tokens['admin']}",
                                                               "Content-Type": "application/json"}, hostile)
    assert status == 400 and ctype.startswith("application/problem+json")
    assert json.loads(payload)["code"] == "too_deep"
    status, body = send(system, lines(unit(uid())) + b'{"type": "org_unit.created", "data": ' + b"[" * 100_000 + b"\n")
    assert status == 422 and body["errors"][0]["line"] == 2 and body["errors"][0]["code"] == "too_deep"


def test_a_command_body_over_the_limit_is_a_413_problem(system):
    headers = {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/json"}
    path = "/api/v1/members/create_org_unit"
    filler = json.dumps({"name": "x" * (MAX_COMMAND_BYTES - 12)}).encode()
    assert len(filler) == MAX_COMMAND_BYTES
    status, ctype, payload = raw_answer(system, "POST", path, headers, filler)
    assert status == 422 and ctype.startswith("application/problem+json")  # at the limit: read, then validated
    status, ctype, payload = raw_answer(system, "POST", path, headers, filler + b" ")
    assert status == 413 and ctype.startswith("application/problem+json")
    assert json.loads(payload)["code"] == "too_large"


def test_a_huge_header_is_a_431_problem_not_an_empty_400(system):
    status, ctype, payload = raw_answer(system, "GET", "/api/v1/me", {"Authorization": "Bearer " + "a" * 60_000})
    assert status == 431 and ctype.startswith("application/problem+json")
    assert json.loads(payload)["message_vi"]
    status, ctype, _ = raw_answer(system, "GET", "/api/v1/me", {"Authorization": "Bearer " + "a" * 8000})
    assert status == 401 and ctype.startswith("application/problem+json")  # under the line limit: an unknown token


def test_undeclared_methods_and_paths_answer_problem_json(system):
    status, ctype, payload = raw_answer(system, "DELETE", "/api/v1/imports", {})
    assert status == 405 and ctype.startswith("application/problem+json")
    assert json.loads(payload)["code"] == "method_not_allowed"
    status, ctype, payload = raw_answer(system, "PUT", "/api/v1/members/create_org_unit", {})
    assert status == 405 and ctype.startswith("application/problem+json")
    status, ctype, payload = raw_answer(system, "GET", "/no/such/page", {})
    assert status == 404 and ctype.startswith("application/problem+json")


def test_a_nul_in_a_command_field_is_refused(system):
    status, body = system.call("POST", "/api/v1/members/create_org_unit",
                               body={"org_unit_id": uid(), "name": "Chi bộ\u0000", "kind": "cell",
                                     "parent_id": "TN-D1-G1", "occurred_on": "2020-01-01"})
    assert status == 400 and body["code"] == "control_character" and body["field"] == "name"
