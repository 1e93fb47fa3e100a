"""HTTP helpers of the gateway: JSON and problem+json responses, body parsing."""
from __future__ import annotations

import json

from werkzeug.wrappers import Response

from shared.errors import DomainError


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json", headers=headers)


def problem(status: int, code: str, title_vi: str, title_en: str, field: str | None = None, **extra) -> Response:
    """RFC 9457 problem details, Vietnamese first with English beside."""
    body = {"type": f"https://dangvien.example/problems/{code}", "title": title_en, "status": status,
            "code": code, "detail": f"{title_vi} — {title_en}", "message_vi": title_vi, "message_en": title_en}
    if field:
        body["field"] = field
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/problem+json")


def problem_from_error(err: dict) -> Response:
    extra = {k: v for k, v in err.items() if k not in ("status", "code", "message_vi", "message_en", "field")}
    return problem(err.get("status", 422), err["code"], err["message_vi"], err["message_en"], err.get("field"), **extra)


def problem_from_exc(exc: DomainError) -> Response:
    return problem_from_error(exc.to_dict())


def read_json(request) -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except json.JSONDecodeError as exc:
        raise DomainError("invalid_json", f"Nội dung không phải JSON hợp lệ: {exc.msg}",
                          f"Body is not valid JSON: {exc.msg}") from None
    if not isinstance(body, dict):
        raise DomainError("invalid_json", "Nội dung phải là một đối tượng JSON", "Body must be a JSON object")
    return body


def rpc_answer(answer: dict, status: int = 200) -> Response:
    """Turn a service's {'ok': ...} answer into an HTTP response."""
    if answer.get("ok"):
        body = {k: v for k, v in answer.items() if k != "ok"}
        return json_response(body.get("result", body), status=status)
    return problem_from_error(answer["error"])
