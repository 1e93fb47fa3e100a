"""The OpenAPI 3.1 document, generated from the shared contracts' pydantic models.

OpenAPI 3.1 speaks JSON Schema 2020-12, which is what pydantic emits, so the models' schemas are
used as they are; their ``$defs`` are hoisted into ``components/schemas``.
"""
from __future__ import annotations

import copy
from typing import Iterable

from pydantic.json_schema import models_json_schema

from shared.contracts import commands_of, queries_of

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
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


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
                   "returns the events the first attempt stored.",
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
                                       "content": {"application/json": {"schema": {"type": "object"}}}},
                               **COMMON_ERRORS, "409": _problem("Xung đột / conflict")}
            paths[f"/api/v1/{service}/{name}"] = {"post": op}
        else:
            op["parameters"] = _query_parameters(ref, components) + [REASON]
            op["responses"] = {"200": {"description": "Kết quả / result",
                                       "content": {"application/json": {"schema": {}}}}, **COMMON_ERRORS}
            paths[f"/api/v1/{service}/{name}"] = {"get": op}
    paths.update(_fixed_paths())
    readable = sorted({(svc, n) for svc, n, kind, _ in entries if kind == "query"})
    if readable:
        paths["/api/v1/exports/{service}/{name}"] = {"get": _export_op(readable)}
    return {
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


def _fixed_paths() -> dict:
    json_any = {"content": {"application/json": {"schema": {}}}}
    return {
        "/api/v1/me": {"get": {"operationId": "gateway.me", "tags": ["gateway"],
                               "summary": "Người dùng hiện tại — the calling user",
                               "responses": {"200": {"description": "user", **json_any},
                                             "401": COMMON_ERRORS["401"]}}},
        "/api/v1/audit/access": {"get": {
            "operationId": "gateway.audit_access", "tags": ["gateway"],
            "summary": "Nhật ký truy cập dữ liệu cá nhân — personal data access log (administrator)",
            "parameters": [
                {"name": "actor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64}},
                {"name": "member_id", "in": "query", "required": False,
                 "schema": {"type": "string", "maxLength": 64}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": {"200": {"description": "entries, newest first", **json_any},
                          **{k: v for k, v in COMMON_ERRORS.items() if k in ("401", "403", "422")}}}},
        "/api/v1/imports": {"post": {
            "operationId": "gateway.import", "tags": ["gateway"],
            "summary": "Nhập sự kiện JSONL, tất cả hoặc không — JSONL import, all or nothing (administrator)",
            "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": {"201": {"description": "written", **json_any}, **COMMON_ERRORS}}},
    }
