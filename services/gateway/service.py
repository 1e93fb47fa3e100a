"""The gateway (nameko HTTP): one API for people and provincial systems. Entry points only.

Commands and queries are routed generically from the shared contracts:
``POST /api/v1/<service>/<command>`` and ``GET /api/v1/<service>/<query>``.
"""
from __future__ import annotations

import functools
import uuid

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from shared.contracts import commands_of, queries_of
from shared.errors import DomainError
from shared.events import derived_event_id

from services.gateway import imports
from services.gateway.http import json_response, problem, problem_from_exc, read_json, rpc_answer

SERVICE = "gateway"
API = "/api/v1"
BACKENDS = ("members", "meetings", "discipline", "reporting")


class Jobs(DependencyProvider):
    def setup(self):
        self.jobs = imports.ImportJobs()

    def get_dependency(self, worker_ctx):
        return self.jobs


def context_of(request, endpoint: str) -> dict:
    actor = "anonymous"
    ctx = {"actor": actor, "correlation_id": request.headers.get("X-Correlation-Id") or str(uuid.uuid4())}
    key = request.headers.get("Idempotency-Key")
    if key:
        ctx["command_id"] = derived_event_id("http", actor, endpoint, key)
    return ctx


def guarded(fn):
    """Bad input becomes problem+json, never a 500 with a traceback."""

    @functools.wraps(fn)
    def entry(self, request, *args, **kwargs):
        try:
            return fn(self, request, *args, **kwargs)
        except DomainError as exc:
            return problem_from_exc(exc)

    return entry


def unknown_endpoint(service: str, name: str):
    return problem(404, "unknown_endpoint", f"Không có chức năng «{service}/{name}»",
                   f"No endpoint '{service}/{name}'")


def query_params(request) -> dict:
    """Query string → dict; repeated keys become lists."""
    out = {}
    for key in request.args:
        values = request.args.getlist(key)
        out[key] = values if len(values) > 1 else values[0]
    return out


class GatewayService:
    name = SERVICE

    members = RpcProxy("members")
    meetings = RpcProxy("meetings")
    discipline = RpcProxy("discipline")
    reporting = RpcProxy("reporting")
    jobs = Jobs()

    def _call(self, service: str, method: str, *args):
        return getattr(getattr(self, service), method)(*args)

    @http("GET", "/healthz")
    def healthz(self, request):
        return json_response({"status": "ok"})

    @http("POST", f"{API}/<service>/<name>")
    @guarded
    def command(self, request, service, name):
        if service not in BACKENDS or name not in commands_of(service):
            return unknown_endpoint(service, name)
        answer = self._call(service, name, read_json(request), context_of(request, f"{service}/{name}"))
        return rpc_answer(answer, 201)

    @http("GET", f"{API}/<service>/<name>")
    @guarded
    def query(self, request, service, name):
        if service not in BACKENDS or name not in queries_of(service):
            return unknown_endpoint(service, name)
        return rpc_answer(self._call(service, name, query_params(request), context_of(request, "query")))

    @http("POST", f"{API}/imports")
    @guarded
    def start_import(self, request):
        text = request.get_data(as_text=True)
        job_id = request.args.get("job")
        if not job_id or self.jobs.get(job_id) is None:
            job_id = self.jobs.new(0)
        result = imports.run_import(text, self._call, self.jobs, job_id, context_of(request, "imports"))
        if not result["ok"]:
            return problem(422, "import_refused", "Tệp nhập bị từ chối, không có dữ liệu nào được ghi",
                           "The import file was refused; nothing was written", errors=result["errors"], job=job_id)
        return json_response({**result, "job": job_id}, 201)

    @http("POST", f"{API}/import-jobs")
    def new_import_job(self, request):
        return json_response({"job": self.jobs.new(0)}, 201)

    @http("GET", f"{API}/import-jobs/<job_id>")
    def import_job(self, request, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            return problem(404, "job_not_found", "Không tìm thấy lượt nhập", "Import job not found")
        return json_response(job)
