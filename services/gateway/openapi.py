"""The OpenAPI 3.1 document, generated from the shared contracts' pydantic models.

OpenAPI 3.1 speaks JSON Schema 2020-12, which is what pydantic emits, so the models' schemas are
used as they are; their ``$defs`` are hoisted into ``components/schemas``.
"""
from __future__ import annotations

import copy
import re
from typing import Iterable

from pydantic.json_schema import models_json_schema

from shared.contracts import commands_of, queries_of
from shared.events import Envelope

from services.gateway import eventlog
from services.gateway.responses import INT, TEXT, array, command_result_of, obj, result_of

REF = "#/components/schemas/{model}"

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; Vietnamese first, English beside (lỗi theo RFC 9457)",
    "required": ["type", "title", "status", "code", "message_vi", "message_en"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable machine-readable code"},
        "detail": {"type": "string"},
        "message_vi": {"type": "string", "description": "thông báo tiếng Việt"},
        "message_en": {"type": "string"},
        "field": {"type": ["string", "null"], "description": "the field at fault (trường bị lỗi)"},
        "errors": {"type": "array", "description": "every fault found: invalid fields of a command, refused lines "
                                                   "of an import (mọi lỗi tìm thấy)",
                   "items": {"type": "object", "properties": {
                       "field": {"type": ["string", "null"]}, "message": {"type": "string"},
                       "line": {"type": "integer", "description": "import: the line of the file"},
                       "code": {"type": "string"}, "message_vi": {"type": "string"},
                       "message_en": {"type": "string"}}}},
    },
    "additionalProperties": True,
    "examples": [{"type": "https://dangvien.example/problems/invalid_input", "title": "Missing required field "
                  "'occurred_on'", "status": 422, "code": "invalid_input",
                  "detail": "Thiếu trường bắt buộc «occurred_on» — Missing required field 'occurred_on'",
                  "message_vi": "Thiếu trường bắt buộc «occurred_on»",
                  "message_en": "Missing required field 'occurred_on'", "field": "occurred_on",
                  "errors": [{"field": "occurred_on", "message": "Field required"}]}],
}

COMMAND_RESULT = {
    "type": "object", "required": ["events"], "additionalProperties": True,
    "description": "Đã ghi: các sự kiện đã lưu (gửi lại cùng Idempotency-Key trả về đúng các sự kiện này) / the "
                   "events stored (a retry with the same Idempotency-Key answers these same events)",
    "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}},
}
EVENT_EXAMPLE = {
    "event_id": "0b6f3c2e-5a0e-5a43-9d59-2f8f4a7c1d11", "type": "org_unit.created", "schema_version": 1,
    "stream": "org_unit-TN", "stream_version": 0, "position": 1, "occurred_on": "2025-07-01",
    "recorded_at": "2025-07-01T08:00:00.000000Z", "org_unit_id": "TN", "actor": "admin",
    "correlation_id": "5f0c…", "causation_id": None,
    "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province", "parent_id": None},
    "hash": "hp:k20250701ab12:9c1e…", "prev_hash": "0" * 64, "source": "members"}


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


COMMON_ERRORS = {
    "401": _problem("Chưa đăng nhập / missing or invalid token"),
    "403": _problem("Không có quyền hoặc ngoài phạm vi / forbidden (role or org scope)"),
    "404": _problem("Không tìm thấy / not found"),
    "422": _problem("Dữ liệu không hợp lệ hoặc vi phạm quy định / invalid input or rule broken"),
}

IDEMPOTENCY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Khóa chống ghi trùng: gửi lại cùng khóa thì không ghi thêm (per user). "
                   "A retried request with the same key by the same user writes nothing new and "
                   "returns the events the first attempt stored; the same key with other content is "
                   "refused (422 idempotency_key_reused, nothing written).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
REASON = {
    "name": "reason", "in": "query", "required": False,
    "description": "Lý do truy cập dữ liệu cá nhân (ghi vào nhật ký). Why personal data is read "
                   "(recorded in the access log); the X-Reason header works too.",
    "schema": {"type": "string", "maxLength": 500},
}


def _non_null(schema: dict) -> dict:
    """A query string cannot carry null: keep the non-null alternative of ``X | None``."""
    options = schema.get("anyOf")
    if options:
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            out = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            out.update(rest[0])
            return out
    return {k: v for k, v in schema.items() if k != "default" or v is not None}


def _query_parameters(schema: dict, components: dict) -> list[dict]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": _non_null(prop),
             **({"description": prop["description"]} if "description" in prop else {})}
            for name, prop in schema.get("properties", {}).items()]


_RST = [(re.compile(r"``([^`]+)``"), r"`\1`"), (re.compile(r":(?:class|func|meth|ref|attr):`([^`]+)`"), r"`\1`")]


def plain(text: str) -> str:
    """Markdown, not reStructuredText: ``x`` becomes `x` (docstrings are written for Sphinx)."""
    for pattern, repl in _RST:
        text = pattern.sub(repl, text)
    return text


def _plain_descriptions(node) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = plain(value)
            else:
                _plain_descriptions(value)
    elif isinstance(node, list):
        for value in node:
            _plain_descriptions(value)


def _json(schema: dict, example=None) -> dict:
    body = {"schema": schema}
    if example is not None:
        body["example"] = example
    return {"application/json": body}


def _roles_text(roles: Iterable[str]) -> str:
    return "Vai trò / roles: " + ", ".join(sorted(set(roles) | {"administrator"}))


def build(services: Iterable[str], server_url: str = "/") -> dict:
    services = list(services)
    entries = []  # (service, name, kind, spec)
    for s in services:
        entries += [(s, n, "command", spec) for n, spec in commands_of(s).items()]
        entries += [(s, n, "query", spec) for n, spec in queries_of(s).items()]
    refs, defs = models_json_schema([(spec.model, "validation") for *_, spec in entries], ref_template=REF)
    components = copy.deepcopy(defs.get("$defs", {}))
    components["Problem"] = PROBLEM
    components["Event"] = {**Envelope.model_json_schema(mode="serialization", ref_template=REF),
                           "examples": [EVENT_EXAMPLE]}
    components["CommandResult"] = COMMAND_RESULT
    paths: dict = {}
    for service, name, kind, spec in entries:
        ref = refs[(spec.model, "validation")]
        op = {"operationId": f"{service}.{name}", "tags": [service],
              "summary": f"{spec.summary_vi} — {spec.summary_en}",
              "description": _roles_text(spec.roles) + (
                  f". Phạm vi theo / scoped by: {', '.join(spec.scope_fields)}" if spec.scope_fields else "")}
        if kind == "command":
            op["parameters"] = [IDEMPOTENCY]
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
            op["responses"] = {"201": {"description": "Đã ghi / recorded: the stored events",
                                       "content": _json(*command_result_of(service, name, (
                                           {"$ref": "#/components/schemas/CommandResult"},
                                           {"events": [EVENT_EXAMPLE]})))},
                               **COMMON_ERRORS, "409": _problem("Xung đột / conflict")}
            paths[f"/api/v1/{service}/{name}"] = {"post": op}
        else:
            op["parameters"] = _query_parameters(ref, components) + [REASON]
            op["responses"] = {"200": {"description": "Kết quả / result",
                                       "content": _json(*result_of(service, name))}, **COMMON_ERRORS}
            paths[f"/api/v1/{service}/{name}"] = {"get": op}
    paths.update(_fixed_paths())
    yearly = paths.get("/api/v1/reporting/yearly", {}).get("get")
    if yearly:  # the document takes the figures' own parameters
        paths["/api/v1/documents/yearly"]["get"]["parameters"] += copy.deepcopy(yearly["parameters"])
    else:
        del paths["/api/v1/documents/yearly"]
    readable = sorted({(svc, n) for svc, n, kind, _ in entries if kind == "query"})
    if readable:
        paths["/api/v1/exports/{service}/{name}"] = {"get": _export_op(readable)}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "dangvien — API quản lý đảng viên (party member management)", "version": "1",
                 "description": "Mọi lệnh và truy vấn của các dịch vụ, theo vai trò và phạm vi tổ chức. "
                                "Every command and query of the services, checked by role and org scope. "
                                "Dates are ISO (YYYY-MM-DD) on the wire and dd/mm/yyyy on screen."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "dangvien user add / user token"}}},
    }
    _plain_descriptions(doc)
    return doc


def _export_op(readable: list[tuple[str, str]]) -> dict:
    return {
        "operationId": "gateway.export", "tags": ["gateway"],
        "summary": "Xuất kết quả truy vấn ra XLSX/CSV (được ghi nhật ký) — export a query's rows (recorded)",
        "description": "The query's own parameters go in the query string as for GET /api/v1/{service}/{name}.",
        "parameters": [
            {"name": "service", "in": "path", "required": True,
             "schema": {"type": "string", "enum": sorted({s for s, _ in readable})}},
            {"name": "name", "in": "path", "required": True,
             "schema": {"type": "string", "enum": sorted({n for _, n in readable})}},
            {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["xlsx", "csv"]}},
            REASON],
        "responses": {"200": {"description": "the file", "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {}},
            "text/csv": {"schema": {"type": "string"}}}}, **COMMON_ERRORS}}


USER = obj({"name": TEXT, "role": {"enum": ["viewer", "clerk", "inspector", "administrator"]},
            "scope": {"type": ["string", "null"], "description": "the unit the user may see (null: the province)"}},
           {"kind": TEXT, "endpoints": {"type": "object", "description": "the commands and queries the role may call"}})
ACCESS_ENTRY = obj({"id": INT, "at": TEXT, "actor": TEXT, "role": TEXT, "action": {"enum": ["read", "export"]},
                    "endpoint": TEXT, "subjects": array(TEXT), "rows": INT},
                   {"params": {"type": "object"}, "reason": {"type": ["string", "null"]}})
JOB = obj({"id": TEXT, "phase": TEXT, "done": INT, "total": INT, "state": TEXT},
          description="an import's progress (its submitter and province-wide administrators only)")
IMPORTED = obj({"ok": {"const": True}, "lines": INT, "written": INT, "job": TEXT},
               {"dry_run": {"type": "boolean"}, "heads": {"type": "object"},
                "reactions": {"type": "integer", "description": "facts written in reaction (e.g. expulsions)"}})
EVENT_PAGE = obj({"service": TEXT, "after": INT, "events": array({"$ref": "#/components/schemas/Event"}),
                  "next_after": INT, "head_position": INT, "more": {"type": "boolean"}},
                 description="one page of the service's log in position order, only events of the caller's scope")


SESSION = obj({"token": TEXT, "expires_at": TEXT, "name": TEXT, "role": {"enum": ["viewer", "clerk", "inspector",
                                                                             "administrator"]},
               "scope": {"type": ["string", "null"]}},
              {"kind": TEXT}, description="a sign-in session: send the token as `Authorization: Bearer <token>`")
CREDENTIALS = obj({"name": {"type": "string", "minLength": 1, "maxLength": 64},
                   "password": {"type": "string", "minLength": 1, "maxLength": 200}})
FORM_FIELD = obj({"name": TEXT, "label_vi": TEXT, "required": {"type": "boolean"},
                  "input": {"enum": ["unit", "member", "choice", "date", "number", "yesno", "list", "text"]}},
                 {"choices": array(obj({"value": {}, "label_vi": TEXT})), "default": {}, "minimum": {"type": "number"},
                  "maximum": {"type": "number"}, "pattern": TEXT, "maxLength": INT})
FORM_ENTRY = obj({"service": TEXT, "command": TEXT, "title_vi": TEXT, "title_en": TEXT})
FORM = obj({"service": TEXT, "command": TEXT, "title_vi": TEXT, "title_en": TEXT, "roles": array(TEXT),
            "fields": array(FORM_FIELD)}, description="a command's entry form, generated from its contract")
SHEET_RESULT = obj({"ok": {"type": "boolean"}, "kind": TEXT, "into": TEXT, "file_sha256": TEXT,
                    "dry_run": {"type": "boolean"}, "job": TEXT, "written": INT, "message_vi": TEXT,
                    "message_en": TEXT}, {"sheet": {"type": ["string", "null"]}},
                   description="what the list became: rows changed and unchanged, events written")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _errors(*codes: str) -> dict:
    return {k: v for k, v in COMMON_ERRORS.items() if k in codes}


def _fixed_paths() -> dict:
    gw = {"tags": ["gateway"]}
    job_param = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
    service_param = {"name": "service", "in": "path", "required": True,
                     "schema": {"enum": ["members", "meetings", "discipline", "reporting"]}}
    name_param = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
    return {
        "/api/v1/login": {"post": {
            "operationId": "gateway.login", **gw, "security": [],
            "summary": "Đăng nhập bằng tên và mật khẩu — sign in with a name and a password",
            "description": "Answers a session token to send as `Authorization: Bearer <token>`. A wrong password "
                           "and an unknown name get the same answer; after repeated wrong tries for a name, "
                           "tries for it wait (429 with `Retry-After`).",
            "requestBody": {"required": True, "content": _json(CREDENTIALS, {"name": "d1_clerk",
                                                                             "password": "…"})},
            "responses": {"200": {"description": "signed in", "content": _json(SESSION, {
                "token": "s_3f9c…", "expires_at": "2026-12-01T20:00:00Z", "name": "d1_clerk", "role": "clerk",
                "scope": "TN-D1", "kind": "session"})},
                **_errors("401", "422"), "429": _problem("Đăng nhập sai quá nhiều lần / too many failed sign-ins")}}},
        "/api/v1/logout": {"post": {
            "operationId": "gateway.logout", **gw,
            "summary": "Đăng xuất (đóng phiên đăng nhập) — sign out (close this sign-in session)",
            "description": "API tokens are not touched: only a session from /api/v1/login is closed.",
            "responses": {"200": {"description": "signed out", "content": _json(
                obj({"signed_out": {"const": True}}), {"signed_out": True})}, **_errors("401")}}},
        "/api/v1/forms": {"get": {
            "operationId": "gateway.forms", **gw,
            "summary": "Các biểu mẫu nhập liệu vai trò được gửi — the entry forms the caller's role may send",
            "responses": {"200": {"description": "forms", "content": _json(array(FORM_ENTRY), [{
                "service": "meetings", "command": "record_meeting", "title_vi": "Ghi nhận sinh hoạt chi bộ",
                "title_en": "Record a cell meeting"}])}, **_errors("401")}}},
        "/api/v1/forms/{service}/{name}": {"get": {
            "operationId": "gateway.form", **gw,
            "summary": "Một biểu mẫu: các trường, nhãn tiếng Việt, lựa chọn — one form: fields, labels, choices",
            "parameters": [service_param, name_param],
            "responses": {"200": {"description": "the form", "content": _json(FORM, {
                "service": "members", "command": "record_death", "title_vi": "Ghi nhận đảng viên từ trần",
                "title_en": "Record a member's death", "roles": ["clerk"],
                "fields": [{"name": "occurred_on", "label_vi": "Ngày", "required": True, "input": "date"},
                           {"name": "member_id", "label_vi": "Đảng viên", "required": True, "input": "member"}]})},
                **_errors("401", "404")}}},
        "/api/v1/documents/yearly": {"get": {
            "operationId": "gateway.yearly_document", **gw,
            "summary": "Báo cáo năm gửi Ban Thường vụ (DOCX/PDF) — the yearly report document (DOCX or PDF)",
            "description": "Drawn from the figures of GET /api/v1/reporting/yearly the caller may read (its "
                           "parameters go in the query string); recorded in the access log.",
            "parameters": [{"name": "format", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["docx", "pdf"], "default": "docx"}}],
            "responses": {"200": {"description": "the document", "content": {
                DOCX: {"schema": {}}, "application/pdf": {"schema": {}}}}, **COMMON_ERRORS}}},
        "/api/v1/imports/sheet": {"post": {
            "operationId": "gateway.import_sheet", **gw,
            "summary": "Nhập danh sách từ bảng tính (XLSX/CSV), tất cả hoặc không — import a spreadsheet list, "
                       "all or nothing (province-wide administrator)",
            "description": "The body is the file itself. `kind`: members, working_away, removals or discipline; "
                           "`into`: the unit the list belongs to; `on`: the day the changes take effect "
                           "(dd/mm/yyyy); `dry_run=1` checks without writing. Progress: pass a job made with "
                           "POST /api/v1/import-jobs as `job` and poll GET /api/v1/import-jobs/{job_id} (phases "
                           "`parsing`, `rows` — rows checked of the sheet's —, then the events' as for JSONL, "
                           "`done` or `refused`).",
            "parameters": [
                {"name": "kind", "in": "query", "required": True,
                 "schema": {"enum": ["members", "working_away", "removals", "discipline"]}},
                {"name": "into", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 64}},
                {"name": "filename", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}},
                {"name": "sheet", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 100}},
                {"name": "mapping", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "a JSON object: field → column header"},
                {"name": "create_units", "in": "query", "required": False, "schema": {"enum": ["0", "1"]}},
                {"name": "on", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 10}},
                {"name": "dry_run", "in": "query", "required": False, "schema": {"enum": ["0", "1"]}},
                {"name": "job", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64}}],
            "requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}}}},
            "responses": {"200": {"description": "checked (dry run)", "content": _json(SHEET_RESULT, {
                "ok": True, "kind": "members", "into": "TN-D1-X1", "sheet": "Sheet1", "file_sha256": "9c1e…",
                "dry_run": True, "job": "5d0e…", "written": 0, "message_vi": "Kiểm tra danh sách đảng viên: 25 dòng "
                "có thay đổi, 0 dòng không đổi, 25 sự kiện", "message_en": "Checked members: 25 changed row(s), "
                "0 unchanged, 25 event(s)"})},
                          "201": {"description": "imported", "content": _json(SHEET_RESULT, {
                              "ok": True, "kind": "members", "into": "TN-D1-X1", "sheet": "Sheet1",
                              "file_sha256": "9c1e…", "dry_run": False, "job": "5d0e…", "written": 25,
                              "message_vi": "Đã nhập danh sách đảng viên: 25 dòng có thay đổi, 0 dòng không đổi, "
                                            "25 sự kiện", "message_en": "Imported members: 25 changed row(s), "
                                                                       "0 unchanged, 25 event(s)"})},
                          **COMMON_ERRORS}}},
        "/api/v1/me": {"get": {"operationId": "gateway.me", **gw,
                               "summary": "Người dùng hiện tại — the calling user",
                               "responses": {"200": {"description": "user", "content": _json(USER, {
                                   "name": "d1_clerk", "role": "clerk", "scope": "TN-D1", "kind": "token",
                                   "endpoints": {"members": {"commands": ["admit_member"],
                                                             "queries": ["get_member"]}}})},
                                             **_errors("401")}}},
        "/api/v1/audit/access": {"get": {
            "operationId": "gateway.audit_access", **gw,
            "summary": "Nhật ký truy cập dữ liệu cá nhân — personal data access log (administrator)",
            "parameters": [
                {"name": "actor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64}},
                {"name": "member_id", "in": "query", "required": False,
                 "schema": {"type": "string", "maxLength": 64}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": {"200": {"description": "entries, newest first", "content": _json(array(ACCESS_ENTRY), [{
                "id": 7, "at": "2026-11-30T08:00:00Z", "actor": "d1_clerk", "role": "clerk", "action": "read",
                "endpoint": "members/get_member", "params": {"member_id": "M000001"}, "reason": "hồ sơ chuyển",
                "subjects": ["M000001"], "rows": 1}])},
                          **_errors("401", "403", "422")}}},
        "/api/v1/imports": {"post": {
            "operationId": "gateway.import", **gw,
            "summary": "Nhập sự kiện JSONL, tất cả hoặc không — JSONL import, all or nothing (administrator)",
            "description": "One event a line, as in docs/events. Progress: create a job first "
                           "(POST /api/v1/import-jobs) and pass it as `job`, then poll "
                           "GET /api/v1/import-jobs/{job_id}.",
            "parameters": [{"name": "job", "in": "query", "required": False,
                            "schema": {"type": "string", "maxLength": 64},
                            "description": "an import job made beforehand, to follow the progress"}],
            "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": {"201": {"description": "written", "content": _json(IMPORTED, {
                "ok": True, "lines": 39, "written": 39, "job": "5d0e8f7c9a7b4f0e8d1c2b3a4f5e6d7c"})},
                **COMMON_ERRORS, "409": _problem("Ghi một phần / partly written: send the whole file again"),
                "413": _problem("Quá lớn / too large: the body over the gateway's limit, or the file over what the "
                                "event store's server writes at once (batch_too_large: nothing written, split the "
                                "file)")}}},
        "/api/v1/import-jobs": {"post": {
            "operationId": "gateway.new_import_job", **gw,
            "summary": "Tạo lượt nhập để theo dõi tiến độ — create an import job to follow (administrator)",
            "responses": {"201": {"description": "the new job's id", "content": _json(
                obj({"job": TEXT}), {"job": "5d0e8f7c9a7b4f0e8d1c2b3a4f5e6d7c"})}, **_errors("401", "403")}}},
        "/api/v1/import-jobs/{job_id}": {"get": {
            "operationId": "gateway.import_job", **gw,
            "summary": "Tiến độ một lượt nhập — an import job's progress",
            "parameters": [job_param],
            "responses": {"200": {"description": "the job", "content": _json(JOB, {
                "id": "5d0e8f7c9a7b4f0e8d1c2b3a4f5e6d7c", "phase": "writing", "done": 20, "total": 39,
                "state": "running"})}, **_errors("401", "404")}}},
        "/healthz": {"get": {
            "operationId": "gateway.healthz", **gw, "security": [],
            "summary": "Cổng đang chạy — the gateway is up (for monitoring; answers at once)",
            "responses": {"200": {"description": "up", "content": _json(obj({"status": {"const": "ok"}}),
                                                                      {"status": "ok"})}}}},
        "/openapi.json": {"get": {
            "operationId": "gateway.openapi", **gw, "security": [],
            "summary": "Tài liệu này (OpenAPI 3.1) — this document",
            "responses": {"200": {"description": "the OpenAPI document", "content": _json(
                obj({"openapi": TEXT, "info": {"type": "object"}, "paths": {"type": "object"}}),
                {"openapi": "3.1.0", "info": {"title": "dangvien", "version": "1"}, "paths": {}})}}}},
        "/labels.json": {"get": {
            "operationId": "gateway.labels", **gw, "security": [],
            "summary": "Từ tiếng Việt của mọi cột và mã — the Vietnamese words of every column and code",
            "description": "`columns`: a heading per field; `codes` and `values`: the words for each coded value, "
                           "by field; `integrity`: the words of the integrity alarm.",
            "responses": {"200": {"description": "the words", "content": _json(obj(
                {"columns": {"type": "object"}, "codes": {"type": "object"}, "values": {"type": "object"},
                 "integrity": {"type": "object"}}), {
                "columns": {"member_id": "Đảng viên"}, "codes": {"type": {"member.died": "Từ trần"}},
                "values": {"sex": {"female": "Nữ"}}, "integrity": {"title_vi": "Cảnh báo toàn vẹn dữ liệu",
                                                                  "title_en": "Integrity warning"}})}}}},
        "/api/v1/events": {"get": {
            "operationId": "gateway.events", **gw,
            "summary": "Đọc lại nhật ký sự kiện từ một vị trí — re-read a service's event log from a position",
            "description": "For feed consumers that missed messages: the events of `service` with a position "
                           "greater than `after`, in position order, as the feed publishes them (personal fields "
                           "sealed), only those of units in the caller's scope. Page on with `after` = "
                           "`next_after` while `more` is true. Roles: viewer, clerk, inspector, administrator.",
            "parameters": [
                {"name": "service", "in": "query", "required": True,
                 "schema": {"enum": ["members", "meetings", "discipline", "reporting"]}},
                {"name": "after", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "maximum": eventlog.MAX_AFTER, "default": 0},
                 "description": "the last position the consumer handled (0: from the start), in plain digits"},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": eventlog.MAX_LIMIT,
                            "default": eventlog.DEFAULT_LIMIT}}],
            "responses": {"200": {"description": "one page", "content": _json(EVENT_PAGE, {
                "service": "members", "after": 0, "events": [EVENT_EXAMPLE], "next_after": 1, "head_position": 39,
                "more": True})}, **_errors("401", "403", "422")}}},
    }
