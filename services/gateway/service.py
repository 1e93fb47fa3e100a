"""The gateway (nameko HTTP): one API for people and provincial systems. Entry points only.

Commands and queries are routed generically from the shared contracts:
``POST /api/v1/<service>/<command>`` and ``GET /api/v1/<service>/<query>``; every call is
authenticated (bearer token), authorised by role and org scope (``access``), and reads of
personal data are written to the access log (``audit``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import mimetypes
import time
import uuid
from pathlib import Path

import structlog
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from shared.contracts import commands_of, queries_of
from shared.dates import vn_date
from shared.errors import DeadlineExceeded, DomainError, NotFound, Unavailable
from shared.events import derived_event_id
from shared.importing import parse_jsonl
from shared.labels import dashboard_labels
from shared.runtime import RpcProxy, SignatureOnce

from documents import tables as exports
from services.gateway import access, eventlog, forms, idempotency, imports, openapi, passwords
from services.gateway.dependencies import BACKENDS, Gateway
from services.gateway.sheets import api as sheets_api
from services.gateway.audit import ALWAYS_RECORDED, personal_subjects
from services.gateway.http import (body_bytes, flagged, install_problem_answers, json_response, problem,
                                   problem_from_exc, query_int, read_json, rpc_answer)
from shared.inputcheck import MAX_IMPORT_BYTES, InputError, decode_utf8

SERVICE = "gateway"
API = "/api/v1"
STATIC = Path(__file__).parent / "static"

log = structlog.get_logger(service=SERVICE)  # lazy: bound after shared.logging.configure() runs
install_problem_answers()  # 404/405 and oversized headers answer problem+json too


KEY_HEADER = "Idempotency-Key"

#: a request to a service is transient, as its reply is (``shared.runtime.REPLIES``): the
#: gateway waits on it with a deadline, and a request lost with the broker is answered 504 "may or
#: may not have been written — send it again under the same Idempotency-Key", as a timeout is. It
#: is still confirmed by the broker: the confirm is what tells an absent service (mandatory) apart.
REQUESTS = {"delivery_mode": NON_PERSISTENT}


def context_of(request, user, endpoint: str) -> dict:
    """The context a service receives. Every request carries a command id: from the client's
    Idempotency-Key, or from one the gateway makes up (and returns in the ``Idempotency-Key``
    response header), so a request the broker redelivers after a crash never writes twice and a
    client that got no answer can send it again under that key."""
    actor = user.name if user else "anonymous"
    ctx = {"actor": actor, "correlation_id": request.headers.get("X-Correlation-Id") or str(uuid.uuid4())}
    key = request.headers.get(KEY_HEADER)
    if not key and request.method == "POST":
        key = request.environ.setdefault("dangvien.idempotency_key", f"gw-{uuid.uuid4()}")
    elif not key:
        key = str(uuid.uuid4())
    # per user: two clerks who happen to pick the same key do not collide
    ctx["command_id"] = derived_event_id("http", actor, endpoint, key)
    if user is not None and user.scope is not None:
        ctx["scoped"] = True  # refusals quote nothing stored outside the user's part (shared.importing)
    return ctx


def backend_busy(service: str):
    return Unavailable("service_busy", f"Dịch vụ «{service}» đang quá tải hoặc không trả lời; hãy thử lại sau",
                       f"Service '{service}' is overloaded or not answering; retry later", service=service)


def backend_timeout(service: str, seconds: float):
    return DeadlineExceeded("service_timeout",
                            f"Dịch vụ «{service}» không trả lời trong {seconds:g} giây; yêu cầu có thể đã được ghi "
                            "hoặc chưa — gửi lại với cùng Idempotency-Key (không bị ghi hai lần)",
                            f"Service '{service}' did not answer within {seconds:g} s; the request may or may not "
                            "have been written — send it again with the same Idempotency-Key (never written twice)",
                            service=service)


#: 503s the gateway answers without having sent the call (the backend's share of workers is full,
#: or it is not running): nothing can have been written
NOT_SENT = ("service_busy", "service_unavailable")

#: exceptions of a service that mean "a dependency is down", not "a bug": 503, not 500
DEPENDENCY_ERRORS = {"Unavailable", "OperationalError", "InterfaceError", "UnknownService"}


def guarded(fn):
    """Bad input becomes problem+json, never a 500 with a traceback; each request logged by
    endpoint and status only (never a body: bodies carry personal data)."""

    @functools.wraps(fn)
    def entry(self, request, *args, **kwargs):
        try:
            response = fn(self, request, *args, **kwargs)
        except DomainError as exc:
            response = problem_from_exc(exc)
        except MethodNotFound:
            # the contract names an endpoint its service does not implement yet
            response = problem(501, "not_implemented", "Chức năng này chưa được triển khai",
                               "This endpoint is not implemented yet")
        except InputError as exc:
            response = problem(413 if exc.code == "too_large" else 400, exc.code, exc.message_vi, exc.message_en,
                               exc.field)
        except RemoteError as exc:
            log.error("backend_failed", path=request.path, error=exc.exc_type)
            if exc.exc_type == "DeadlineExceeded":
                response = problem(504, "deadline_exceeded", "Hết thời hạn chờ; không có dữ liệu nào được ghi",
                                   "The deadline passed; nothing was written")
            elif exc.exc_type in DEPENDENCY_ERRORS:
                part = request.path[len(API):].strip("/").split("/")[0] or SERVICE
                response = problem(503, "dependency_unavailable",
                                   f"Một cơ sở dữ liệu của dịch vụ «{part}» tạm thời không truy cập được; hãy thử "
                                   "lại sau với cùng Idempotency-Key",
                                   f"A database of service '{part}' is unreachable for now; retry later with the "
                                   "same Idempotency-Key", dependency=part)
            else:
                response = problem(500, "internal_error", "Lỗi hệ thống, vui lòng thử lại sau",
                                   "Internal error, please try again later")
        except Exception as exc:  # never nameko's text/plain 500 page
            log.error("gateway_failed", path=request.path, error=type(exc).__name__)
            response = problem(500, "internal_error", "Lỗi hệ thống, vui lòng thử lại sau",
                               "Internal error, please try again later")
        key = request.environ.get("dangvien.idempotency_key")
        if key:
            response.headers[KEY_HEADER] = key
        log.info("http", method=request.method, path=request.path, status=response.status_code)
        return response

    return entry


def _not_running(service: str):
    return Unavailable("service_unavailable", f"Dịch vụ «{service}» chưa chạy", f"Service '{service}' is not running")


def claim_key(keys: idempotency.KeyBook, request, ctx: dict, digest: str, at: dt.datetime | None = None) -> bool:
    """The client's Idempotency-Key is this request's content's from now on (``idempotency``):
    ``idempotency_key_reused`` when another content has it. True when this call made the claim;
    False when there was one already, or no key."""
    key = request.headers.get(KEY_HEADER)
    return bool(key) and keys.claim(ctx["command_id"], key, digest, at)


@contextlib.contextmanager
def key_freed_if_not_sent(keys: idempotency.KeyBook, key: str | None, ctx: dict, digest: str):
    try:
        yield
    except Unavailable as exc:
        if key and exc.code in NOT_SENT:  # never reached the service: nothing written, the key is free
            keys.release(ctx["command_id"], digest)
        raise


class Http(SignatureOnce, HttpRequestHandler):
    """nameko's HTTP entrypoint, the method's signature read once (``shared.runtime.SignatureOnce``)."""


http = Http.decorator


class InstantHttp(HttpRequestHandler):
    """An HTTP entrypoint answered on the web server's own green thread, without a nameko worker:
    ``/healthz`` answers at once even while every worker waits on a backend."""

    def handle_request(self, request):
        return json_response({"status": "ok"})


instant_http = InstantHttp.decorator


def unknown_endpoint(service: str, name: str):
    return problem(404, "unknown_endpoint", f"Không có chức năng «{service}/{name}»",
                   f"No endpoint '{service}/{name}'")


def query_params(request) -> dict:
    """Query string → dict; repeated keys become lists; ``reason`` is the gateway's, not the service's."""
    out = {}
    for key in request.args:
        if key == "reason":
            continue
        values = request.args.getlist(key)
        out[key] = values if len(values) > 1 else values[0]
    return out


def reason_of(request) -> str | None:
    reason = request.args.get("reason") or request.headers.get("X-Reason")
    return reason[:500] if reason else None


def bearer(request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


class GatewayService:
    name = SERVICE

    members = RpcProxy("members", **REQUESTS)
    meetings = RpcProxy("meetings", **REQUESTS)
    discipline = RpcProxy("discipline", **REQUESTS)
    reporting = RpcProxy("reporting", **REQUESTS)
    gw = Gateway()

    # -- plumbing -------------------------------------------------------------------------------
    def _call(self, service: str, method: str, *args):
        """One RPC with a deadline that travels in its context, inside the backend's bulkhead."""
        if service not in self.gw.backends:
            raise _not_running(service)
        seconds = self.gw.import_timeout if method == "import_lines" else self.gw.rpc_timeout
        if len(args) >= 2 and isinstance(args[1], dict):
            args = (args[0], {**args[1], "deadline": time.time() + seconds}, *args[2:])
        slot = self.gw.slots[service]
        if not slot.acquire(blocking=False):
            raise backend_busy(service)
        import eventlet
        timer = eventlet.Timeout(seconds)
        try:
            return getattr(getattr(self, service), method).call_async(*args).result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            log.warning("backend_timeout", service=service, method=method)
            raise backend_timeout(service, seconds) from None
        except UnknownService:
            raise _not_running(service) from None
        finally:
            timer.cancel()
            slot.release()

    def _user(self, request):
        token = bearer(request)
        user = self.gw.users.authenticate(token)
        if user is None:
            expired = self.gw.users.expired_on(token)
            if expired is not None:
                raise access.token_expired(vn_date(expired.date()))
            raise access.unauthorized()
        return user

    def _resolver(self) -> access.Resolver:
        """Ask the services where things are (members: unit_ancestors, locate; discipline and
        meetings: locate), ids only; before unit_ancestors exists, reporting's headcount tree."""
        cache: dict = {}

        def tree() -> dict:
            if "tree" not in cache:
                answer = self._call("reporting", "headcount", {}, {"actor": "gateway"})
                cache["tree"] = {r["org_unit_id"]: r.get("parent_id") for r in answer.get("result", [])} \
                    if answer.get("ok") else {}
            return cache["tree"]

        def ancestors(unit_id: str):
            key = ("unit", unit_id)
            if key not in cache:
                cache[key] = find_ancestors(unit_id)
            return cache[key]

        def find_ancestors(unit_id: str):
            try:
                answer = self._call("members", "unit_ancestors", {"org_unit_id": unit_id}, {"actor": "gateway"})
                return list(answer["result"]) if answer.get("ok") else None
            except (MethodNotFound, Unavailable, UnknownService):
                parents = tree()
                if unit_id not in parents:
                    return None
                out, seen, cur = [], set(), parents[unit_id]
                while cur and cur not in seen:
                    seen.add(cur)
                    out.append(cur)
                    cur = parents.get(cur)
                return out

        def located(service: str, kind: str, ident: str, on: str | None = None):
            key = ("locate", service, kind, ident, on)  # not ("unit", id): that is the unit's ancestors
            if key not in cache:
                try:
                    q = {"kind": kind, "id": ident, **({"on": on} if on else {})}
                    answer = self._call(service, "locate", q, {"actor": "gateway"})
                except (MethodNotFound, Unavailable, UnknownService):
                    answer = None  # cannot place it: a scoped user is refused (fail closed)
                cache[key] = answer.get("result") if isinstance(answer, dict) and answer.get("ok") else None
            return cache[key]

        def member_units(member_id: str):
            found = located("members", "member", member_id)
            return list(found["units"]) if isinstance(found, dict) and found.get("units") else None

        def member_unit(member_id: str):
            units = member_units(member_id)
            return units[0] if units else None

        def member_unit_on(member_id: str, day: str):
            found = located("members", "member", member_id)  # the answer member_unit already read
            if isinstance(found, dict) and isinstance(found.get("placed"), list):
                return access.placed_on(found["placed"], day)
            found = located("members", "member", member_id, day)
            return found.get("unit_on") if isinstance(found, dict) else None

        def filed(kind: str, ident: str, what: str = "org_unit_id"):
            found = located("discipline", kind, ident) if kind in access.FILED_KINDS else None
            return found.get(what) if isinstance(found, dict) else None

        def filed_day(kind: str, ident: str):
            return filed(kind, ident, "on")

        def place(kind: str, ident: str):
            if kind == "member":
                return member_units(ident)
            if kind == "candidate" or kind == "meeting":
                found = located("members" if kind == "candidate" else "meetings", kind, ident)
                return list(found["units"]) if isinstance(found, dict) and found.get("units") else None
            if kind in ("case", "inspection", "supervision"):
                found = located("discipline", kind, ident)
                if not isinstance(found, dict):
                    return None
                if found.get("subject_kind") == "org_unit":
                    unit = found.get("subject_id")
                    return [unit] if unit and ancestors(unit) is not None else None
                unit = member_unit(found.get("subject_id") or "")
                return [unit] if unit else None
            return None

        def spans(unit_id: str):
            found = located("members", "unit", unit_id)
            return [(s["from"], list(s["ancestors"])) for s in found["spans"]] \
                if isinstance(found, dict) and found.get("spans") else None

        return access.Resolver(ancestors, member_unit, place, spans, member_unit_on, filed, filed_day)

    def _run_query(self, request, service: str, name: str):
        """Authorise and run one query; return (user, params sent, the service's answer)."""
        spec = queries_of(service).get(name) if service in BACKENDS else None
        if spec is None:
            raise NotFound("unknown_endpoint", f"Không có chức năng «{service}/{name}»",
                              f"No endpoint '{service}/{name}'")
        user = self._user(request)
        params = access.authorise(user, spec, query_params(request), self._resolver(), is_query=True)
        answer = self._call(service, name, params, context_of(request, user, f"{service}/{name}"))
        return user, params, answer

    # -- pages ----------------------------------------------------------------------------------
    @instant_http("GET", "/healthz")
    def healthz(self, request):
        return json_response({"status": "ok"})

    @http("GET", "/")
    def dashboard(self, request):
        return self._static("index.html")

    @http("GET", "/static/<name>")
    def static(self, request, name):
        return self._static(name)

    @http("GET", "/static/vendor/<name>")
    def vendor(self, request, name):
        """Browser libraries installed from the npm registry by ``scripts/web_assets.py``."""
        return self._static(name, STATIC / "vendor")

    def _static(self, name: str, folder: Path = STATIC):
        path = (folder / name).resolve()
        if path.parent != folder.resolve() or not path.is_file():
            return problem(404, "not_found", "Không tìm thấy", "Not found")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), mimetype=mime, headers={"Cache-Control": "no-cache"})

    @http("GET", "/labels.json")
    def labels(self, request):
        """The Vietnamese words for every column and code the dashboard shows (``shared.labels``)."""
        return json_response(dashboard_labels())

    @http("GET", "/openapi.json")
    def openapi_json(self, request):
        return json_response(openapi.build(BACKENDS))

    @http("GET", "/docs")
    def docs(self, request):
        """Swagger UI on /openapi.json (its files: /static/vendor, installed by scripts/web_assets.py)."""
        return self._static("docs.html")

    # -- API ------------------------------------------------------------------------------------
    @http("POST", f"{API}/login")
    @guarded
    def login(self, request):
        """Sign in with a name and a password: a session token (bearer) for ``auth.SESSION_HOURS``
        hours. A wrong password and an unknown name get the same answer; after
        ``passwords.MAX_FAILURES`` wrong tries for a name, tries for it wait ``LOCK_MINUTES``."""
        body = read_json(request)
        name, password = body.get("name"), body.get("password")
        if not isinstance(name, str) or not name or not isinstance(password, str) or not password:
            raise DomainError("invalid_input", "Cần nhập tên đăng nhập và mật khẩu",
                              "Give a user name and a password", field="name" if not name else "password")
        if self.gw.users.recent_failures(name) >= passwords.MAX_FAILURES:
            refused = problem(429, "too_many_attempts",
                           f"Đăng nhập sai quá {passwords.MAX_FAILURES} lần; hãy thử lại sau "
                           f"{passwords.LOCK_MINUTES} phút",
                           f"More than {passwords.MAX_FAILURES} failed sign-ins; try again in "
                           f"{passwords.LOCK_MINUTES} minutes")
            refused.headers["Retry-After"] = str(passwords.LOCK_MINUTES * 60)
            return refused
        session = self.gw.users.sign_in(name, password)
        if session is None:
            raise access.login_failed()
        token, until = session
        user = self.gw.users.authenticate(token)
        return json_response({"token": token, "expires_at": until, **user.to_dict()})

    @http("POST", f"{API}/logout")
    @guarded
    def logout(self, request):
        """Close the sign-in session this bearer token belongs to (API tokens are not touched)."""
        self.gw.users.sign_out(bearer(request))
        return json_response({"signed_out": True})

    @http("GET", f"{API}/me")
    @guarded
    def me(self, request):
        user = self._user(request)
        allowed = {}
        for service in BACKENDS:
            for kind, specs in (("commands", commands_of(service)), ("queries", queries_of(service))):
                names = [n for n, s in specs.items() if access.role_allowed(user, s.roles)]
                if names:
                    allowed.setdefault(service, {})[kind] = names
        return json_response({**user.to_dict(), "endpoints": allowed})

    @http("POST", f"{API}/<service>/<name>")
    @guarded
    def command(self, request, service, name):
        spec = commands_of(service).get(name) if service in BACKENDS else None
        if spec is None:
            return unknown_endpoint(service, name)
        user = self._user(request)
        payload = read_json(request)
        payload = access.authorise(user, spec, payload, self._resolver(), is_query=False)
        ctx = context_of(request, user, f"{service}/{name}")
        key = request.headers.get(KEY_HEADER)
        digest, claimed_at = idempotency.fingerprint(payload), dt.datetime.now(dt.timezone.utc)
        fresh = claim_key(self.gw.keys, request, ctx, digest, claimed_at)
        with key_freed_if_not_sent(self.gw.keys, key, ctx, digest):
            answer = self._call(service, name, payload, ctx)
        if key and not answer.get("ok"):
            self.gw.keys.release(ctx["command_id"], digest)
        if key and fresh and answer.get("ok"):
            earlier = idempotency.answered_by_an_earlier_use(answer, claimed_at)
            if earlier is not None:  # the key's claim was pruned: its facts are not this body's answer
                raise idempotency.key_expired(key, vn_date(earlier.date()))
        if answer.get("ok"):  # its consequences applied (an expulsion → member.expelled), or named
            if (service, name) == ("members", "shred_member"):  # nor does the access log keep the name
                self.gw.access_log.erase_free_text(payload["member_id"])
            answer = {**answer, **imports.after_command(self._call, service, self.gw.rpc_timeout)}
        return rpc_answer(answer, 201)

    @http("GET", f"{API}/<service>/<name>")
    @guarded
    def query(self, request, service, name):
        if service not in BACKENDS or name not in queries_of(service):
            return unknown_endpoint(service, name)
        user, params, answer = self._run_query(request, service, name)
        if answer.get("ok"):
            subjects = personal_subjects(answer.get("result"))
            if subjects is None and f"{service}/{name}" in ALWAYS_RECORDED:
                subjects = []  # a search that found nobody is still a search for someone
            if subjects is not None:
                self.gw.access_log.record(user.name, user.role, "read", f"{service}/{name}", params,
                                          reason_of(request), subjects, len(subjects))
        return rpc_answer(answer)

    @http("GET", f"{API}/exports/<service>/<name>")
    @guarded
    def export(self, request, service, name):
        fmt = request.args.get("format", "xlsx")
        if fmt not in exports.FORMATS:
            raise DomainError("invalid_input", "Định dạng phải là xlsx hoặc csv", "Format must be xlsx or csv",
                              field="format")
        # the format is the gateway's parameter, not the report's
        request.args = request.args.copy()
        request.args.pop("format", None)
        user, params, answer = self._run_query(request, service, name)
        if not answer.get("ok"):
            return rpc_answer(answer)
        result = answer.get("result")
        rows = exports.rows_of(result)
        subjects = personal_subjects(result) or []
        # every export is recorded, personal or not (DOMAIN.md §9: exports are scoped and recorded)
        self.gw.access_log.record(user.name, user.role, "export", f"{service}/{name}", {**params, "format": fmt},
                                  reason_of(request), subjects, len(rows))
        spec = queries_of(service).get(name)
        body = exports.render(result, fmt, name, getattr(spec, "summary_vi", None), params,
                              integrity=answer.get("integrity"))
        filename = f"{service}-{name}.{fmt}"
        return flagged(Response(body, mimetype=exports.FORMATS[fmt].split(";")[0],
                                headers={"Content-Disposition": f'attachment; filename="{filename}"'}),
                       answer.get("integrity"))

    @http("GET", f"{API}/documents/yearly")
    @guarded
    def yearly_document(self, request):
        """The yearly report to the Standing Committee (D8) as the DOCX or PDF staff send, drawn from
        the figures the caller may read (``reporting/yearly``); the template is the province's
        (``DANGVIEN_YEARLY_TEMPLATE``) or the shipped one."""
        from documents import yearly as yearly_document

        fmt = request.args.get("format", "docx")
        if fmt not in yearly_document.FORMATS:
            raise DomainError("invalid_input", "Định dạng báo cáo năm phải là docx hoặc pdf",
                              "The yearly report's format must be docx or pdf", field="format")
        request.args = request.args.copy()
        request.args.pop("format", None)
        user, params, answer = self._run_query(request, "reporting", "yearly")
        if not answer.get("ok"):
            return rpc_answer(answer)
        figures = answer["result"]
        body = yearly_document.render(figures, fmt)
        self.gw.access_log.record(user.name, user.role, "export", "reporting/yearly", {**params, "format": fmt},
                                  reason_of(request), [], 1)
        return flagged(Response(body, mimetype=yearly_document.FORMATS[fmt],
                                headers={"Content-Disposition":
                                         f'attachment; filename="{yearly_document.filename(figures, fmt)}"'}),
                       answer.get("integrity"))

    @http("GET", f"{API}/audit/access")
    @guarded
    def audit_access(self, request):
        user = self._user(request)
        if user.role != "administrator" or user.scope is not None:
            raise access.forbidden_role(user.role)
        limit = query_int(request.args, "limit", 200, 1, 1000)
        return json_response(self.gw.access_log.search(request.args.get("actor"), request.args.get("member_id"),
                                                       limit))

    @http("GET", f"{API}/events")
    @guarded
    def events(self, request):
        """A service's log from a position, only the caller's scope (``services/gateway/eventlog``)."""
        user = self._user(request)
        service, after, limit = eventlog.page_request(request.args, BACKENDS)
        answer = self._call(service, "read_log", {"after": after, "limit": limit},
                            context_of(request, user, f"events/{service}"))
        if not answer.get("ok"):
            return rpc_answer(answer)
        read = answer["result"]
        shown = eventlog.visible(user.scope, read.get("events", []), self._resolver())
        subjects = eventlog.members_named(shown)
        if subjects:
            self.gw.access_log.record(user.name, user.role, "read", f"events/{service}",
                                      {"after": after, "limit": limit}, reason_of(request), subjects, len(shown))
        return flagged(json_response(eventlog.page(service, after, read, shown)), answer.get("integrity"))

    def _import_admin(self, request):
        user = self._user(request)
        # administrators only; a district administrator's file is checked line by line (start_import)
        if user.role != "administrator":
            raise access.forbidden_role(user.role)
        return user

    @http("POST", f"{API}/imports")
    @guarded
    def start_import(self, request):
        user = self._import_admin(request)
        raw = body_bytes(request, MAX_IMPORT_BYTES)
        try:
            text = decode_utf8(raw)
        except InputError as exc:
            line = {"line": exc.line, "code": exc.code,
                    "message_vi": exc.message_vi, "message_en": exc.message_en, "field": None}
            return problem(422, "import_refused", "Tệp nhập bị từ chối, không có dữ liệu nào được ghi",
                           "The import file was refused; nothing was written", errors=[line])
        if user.scope is not None:
            lines, _ = parse_jsonl(text)
            access.check_import(user, lines, self._resolver())
        job_id = self._job_for(request, user)
        ctx = context_of(request, user, "imports")
        key, digest = request.headers.get(KEY_HEADER), idempotency.file_fingerprint({}, raw)
        claim_key(self.gw.keys, request, ctx, digest)
        with key_freed_if_not_sent(self.gw.keys, key, ctx, digest):
            result = imports.run_import(text, self._call, self.gw.jobs, job_id, ctx, projecting=BACKENDS)
        if key and not result["ok"] and not result.get("partial"):  # refused whole: nothing written
            self.gw.keys.release(ctx["command_id"], digest)
        if not result["ok"] and result.get("partial"):
            done = ", ".join(result["committed_services"])
            return problem(409, "import_partially_written",
                           f"Tệp nhập đã được ghi một phần (dịch vụ: {done}) vì dữ liệu thay đổi giữa lúc kiểm tra "
                           "và lúc ghi; sửa các dòng lỗi rồi gửi lại cả tệp — phần đã ghi không bị ghi lại",
                           f"The import was partly written (services: {done}) because data changed between "
                           "validation and writing; fix the lines and send the whole file again — what was "
                           "written is not written twice", errors=result["errors"], job=job_id)
        if not result["ok"]:
            return problem(422, "import_refused", "Tệp nhập bị từ chối, không có dữ liệu nào được ghi",
                           "The import file was refused; nothing was written", errors=result["errors"], job=job_id)
        return json_response({**result, "job": job_id}, 201)

    @http("GET", f"{API}/forms")
    @guarded
    def forms_list(self, request):
        """The entry forms the user's role may send (generated from the command contracts)."""
        return json_response(forms.offered(self._user(request).role))

    @http("GET", f"{API}/forms/<service>/<name>")
    @guarded
    def form(self, request, service, name):
        self._user(request)
        described = forms.describe(service, name) if service in BACKENDS else None
        if described is None:
            return unknown_endpoint(service, name)
        return json_response(described)

    @http("POST", f"{API}/imports/sheet")
    @guarded
    def import_sheet(self, request):
        """A spreadsheet list (XLSX/CSV) → its events, all or nothing (``services/gateway/sheets``)."""
        user = self._import_admin(request)
        if user.scope is not None:  # a sheet's rows are not checked line by line yet: province-wide only
            raise access.forbidden_role(user.role)
        options = {k: v for k, v in request.args.to_dict().items() if k != "job"}
        args = {**options, "job": self._job_for(request, user)}
        content = request.get_data()
        ctx = context_of(request, user, "imports/sheet")
        dry_run = options.get("dry_run") in ("1", "true", "yes")  # writes nothing: claims no key
        key = None if dry_run else request.headers.get(KEY_HEADER)
        digest = idempotency.file_fingerprint(options, content)
        if key:
            claim_key(self.gw.keys, request, ctx, digest)
        try:
            status, body = sheets_api.import_sheet(args, content, self._call, self.gw.jobs, ctx, BACKENDS)
        except DomainError as exc:  # the options, the file or the tree refused it before any write
            if key and not isinstance(exc, DeadlineExceeded):
                self.gw.keys.release(ctx["command_id"], digest)
            raise
        if key and status >= 400 and not body.get("written"):  # refused whole: nothing written
            self.gw.keys.release(ctx["command_id"], digest)
        if status >= 400:
            return problem(status, body.pop("code"), body.pop("message_vi"), body.pop("message_en"), **body)
        return json_response(body, status)

    def _job_for(self, request, user) -> str:
        """The import job the request asks to follow (``job``) when this user may read it (their
        own, or any for a province-wide administrator); otherwise a new one of theirs: nobody
        writes the progress of, nor reads the answer through, another user's job."""
        job_id = request.args.get("job")
        if not job_id or self.gw.jobs.readable(job_id, user.name, user.role, user.scope) is None:
            job_id = self.gw.jobs.new(0, user.name)
        return job_id

    @http("POST", f"{API}/import-jobs")
    @guarded
    def new_import_job(self, request):
        user = self._import_admin(request)
        return json_response({"job": self.gw.jobs.new(0, user.name)}, 201)

    @http("GET", f"{API}/import-jobs/<job_id>")
    @guarded
    def import_job(self, request, job_id):
        user = self._user(request)
        # only its submitter and province-wide administrators; anyone else hears "not found"
        job = self.gw.jobs.readable(job_id, user.name, user.role, user.scope)
        if job is None:
            return problem(404, "job_not_found", "Không tìm thấy lượt nhập", "Import job not found")
        return json_response(job)
