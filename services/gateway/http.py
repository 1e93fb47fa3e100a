"""HTTP helpers of the gateway: JSON and problem+json responses, body parsing."""
from __future__ import annotations

import json
import re

from werkzeug.wrappers import Response

from shared.errors import DomainError
from shared.inputcheck import MAX_COMMAND_BYTES, InputError, decode_utf8, loads


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
    """A service's error as problem+json; its ``details`` (e.g. the invalid fields, ``errors``) are
    members of the problem, as the OpenAPI ``Problem`` schema documents them."""
    extra = {k: v for k, v in err.items()
             if k not in ("status", "code", "message_vi", "message_en", "field", "details")}
    extra.update(err.get("details") or {})
    return problem(err.get("status", 422), err["code"], err["message_vi"], err["message_en"], err.get("field"), **extra)


def problem_from_exc(exc: DomainError) -> Response:
    return problem_from_error(exc.to_dict())


def body_bytes(request, limit: int) -> bytes:
    """The request body, refused (413 problem+json) beyond ``limit`` bytes before it is read whole."""
    declared = request.content_length
    if declared is not None and declared > limit:
        _drain(request, declared)
        raise _too_large(limit)
    data = request.stream.read(limit + 1) if declared is None else request.get_data()
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _drain(request, declared: int, cap: int = 64 << 20) -> None:
    """Read (and drop) a refused body, up to ``cap``, so the client reads our 413 instead of a
    connection reset."""
    left = min(declared, cap)
    while left > 0:
        chunk = request.stream.read(min(left, 1 << 16))
        if not chunk:
            return
        left -= len(chunk)


def _too_large(limit: int) -> InputError:
    return InputError("too_large", f"Nội dung quá lớn (tối đa {limit:,} byte)", f"Body too large (at most {limit:,} bytes)")


def read_json(request) -> dict:
    """A command's JSON body: strict UTF-8, no control characters, at most MAX_DEPTH deep."""
    try:
        body = loads(decode_utf8(body_bytes(request, MAX_COMMAND_BYTES)) or "null")
    except json.JSONDecodeError as exc:
        raise DomainError("invalid_json", f"Nội dung không phải JSON hợp lệ: {exc.msg}",
                          f"Body is not valid JSON: {exc.msg}") from None
    if not isinstance(body, dict):
        raise DomainError("invalid_json", "Nội dung phải là một đối tượng JSON", "Body must be a JSON object")
    return body


def rpc_answer(answer: dict, status: int = 200) -> Response:
    """Turn a service's {'ok': ...} answer into an HTTP response."""
    if answer.get("ok"):
        body = {k: v for k, v in answer.items() if k not in ("ok", "integrity")}
        response = json_response(body.get("result", body), status=status)
        flagged(response, answer.get("integrity"))
        return response
    return problem_from_error(answer["error"])


INTEGRITY_HEADER = "X-Dangvien-Integrity"


def flagged(response: Response, flag) -> Response:
    """An answer drawn while a source store fails verification (or could not be verified) says so
    in a header too — the one place a list (the headcount tree) can carry it: ``failed`` or
    ``unverified``, then the stores (ASCII: the bilingual words are in the report's ``integrity``)."""
    if isinstance(flag, dict) and flag.get("intact") is False:
        failing, unverified = flag.get("failing_sources") or [], flag.get("unverified_sources") or []
        state = "failed" if failing else "unverified"
        response.headers[INTEGRITY_HEADER] = f"{state}; stores={','.join(failing or unverified)}"
    return response


_STATUS_WORDS = {404: ("Không có địa chỉ này", "Not found"),
                 405: ("Phương thức HTTP không được hỗ trợ ở địa chỉ này", "HTTP method not allowed here"),
                 413: ("Nội dung quá lớn", "Body too large"),
                 414: ("Địa chỉ (URL) quá dài", "URL too long"),
                 431: ("Tiêu đề HTTP quá lớn", "HTTP headers too large")}


def problem_bytes(status: int, code: str, reason: str) -> bytes:
    """A whole raw HTTP/1.0 problem+json response, for answers written before any app runs."""
    vi, en = _STATUS_WORDS[status]
    body = json.dumps({"type": f"https://dangvien.example/problems/{code}", "title": en, "status": status,
                       "code": code, "detail": f"{vi} — {en}", "message_vi": vi, "message_en": en},
                      ensure_ascii=False).encode("utf-8")
    return (f"HTTP/1.0 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


def install_problem_answers() -> None:
    """Every non-2xx answer of the HTTP server is problem+json: werkzeug's routing errors (404,
    405 with its Allow header) and eventlet's refusals of oversized request lines and headers
    (which it writes itself, empty, before any application code runs). Idempotent."""
    from eventlet import wsgi
    from nameko.web import server
    from werkzeug.exceptions import HTTPException

    if getattr(server.WsgiApp, "_dangvien_problems", False):
        return
    original_call = server.WsgiApp.__call__

    def routed(self, environ, start_response):
        adapter = self.url_map.bind_to_environ(environ)
        try:
            adapter.match()
        except HTTPException as exc:
            code = exc.code or 500
            words = _STATUS_WORDS.get(code, (exc.name, exc.name))
            response = problem(code, {404: "not_found", 405: "method_not_allowed"}.get(code, "http_error"), *words)
            if code == 405 and getattr(exc, "valid_methods", None):
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response(environ, start_response)
        except Exception:
            pass
        return original_call(self, environ, start_response)

    server.WsgiApp.__call__ = routed
    server.WsgiApp._dangvien_problems = True

    rewrites = {
        wsgi.RESPONSE_414: problem_bytes(414, "url_too_long", "Request URI Too Long"),
        b"HTTP/1.0 400 Header Line Too Long\r\nConnection: close\r\nContent-length: 0\r\n\r\n":
            problem_bytes(431, "header_too_large", "Request Header Fields Too Large"),
        b"HTTP/1.0 400 Headers Too Large\r\nConnection: close\r\nContent-length: 0\r\n\r\n":
            problem_bytes(431, "headers_too_large", "Request Header Fields Too Large"),
    }
    protocol = server.HttpOnlyProtocol
    original_handle = protocol.handle_one_request

    class _Writer:
        def __init__(self, inner):
            self._inner = inner

        def write(self, data):
            return self._inner.write(rewrites.get(bytes(data), data) if len(data) < 200 else data)

        def __getattr__(self, name):
            return getattr(self._inner, name)

    def handle_one_request(self):
        inner = self.wfile
        self.wfile = _Writer(inner)
        try:
            return original_handle(self)
        finally:
            if isinstance(self.wfile, _Writer):
                self.wfile = inner

    protocol.handle_one_request = handle_one_request


#: an integer as a query string writes it: ASCII digits, a minus sign at most — not Python's wider
#: ``int()`` (``1_000``, `` 5``, ``+5``, other scripts' digits), which would read a malformed cursor
#: as some other position
PLAIN_INT = re.compile(r"-?[0-9]{1,30}")


def query_int(args, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], its default when absent, else a bilingual 422
    naming the parameter."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not PLAIN_INT.fullmatch(raw):
        raise DomainError("invalid_input", f"«{name}» phải là số nguyên", f"'{name}' must be an integer",
                          field=name)
    value = int(raw)
    if not low <= value <= high:
        raise DomainError("invalid_input", f"«{name}» phải từ {low} đến {high:,}".replace(",", "."),
                          f"'{name}' must be {low}..{high}", field=name)
    return value
