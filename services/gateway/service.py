"""The gateway (nameko HTTP): one API for people and provincial systems. Entry points only."""
from __future__ import annotations

import uuid

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.web.handlers import http

from shared.errors import DomainError
from shared.events import derived_event_id

from services.gateway import imports
from services.gateway.http import json_response, problem, problem_from_exc, read_json, rpc_answer

SERVICE = "gateway"
API = "/api/v1"


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
    import functools

    @functools.wraps(fn)
    def entry(self, request, *args, **kwargs):
        try:
            return fn(self, request, *args, **kwargs)
        except DomainError as exc:
            return problem_from_exc(exc)

    return entry


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

    @http("POST", f"{API}/org-units")
    @guarded
    def create_org_unit(self, request):
        return rpc_answer(self.members.create_org_unit(read_json(request), context_of(request, "org-units")), 201)

    @http("POST", f"{API}/members")
    @guarded
    def admit_member(self, request):
        return rpc_answer(self.members.admit_member(read_json(request), context_of(request, "members")), 201)

    @http("GET", f"{API}/reports/headcount")
    @guarded
    def headcount(self, request):
        return rpc_answer(self.reporting.headcount(request.args.get("org") or None))

    @http("POST", f"{API}/imports")
    @guarded
    def start_import(self, request):
        text = request.get_data(as_text=True)
        job_id = request.args.get("job") or self.jobs.new(0)
        if self.jobs.get(job_id) is None:
            job_id = self.jobs.new(0)
        result = imports.run_import(text, self._call, self.jobs, job_id, context_of(request, "imports"))
        if not result["ok"]:
            return problem(422, "import_refused", "Tệp nhập bị từ chối, không có dữ liệu nào được ghi",
                           "The import file was refused; nothing was written", errors=result["errors"], job=job_id)
        return json_response({**result, "job": job_id}, 201)

    @http("POST", f"{API}/imports/jobs")
    def new_import_job(self, request):
        return json_response({"job": self.jobs.new(0)}, 201)

    @http("GET", f"{API}/imports/jobs/<job_id>")
    def import_job(self, request, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            return problem(404, "job_not_found", "Không tìm thấy lượt nhập", "Import job not found")
        return json_response(job)
