"""The gateway's import job (issue 15): its progress moves while a service goes through the file,
a refused file names the faulty lines of every service, and a file the first writer refuses
writes nothing. The services are stand-ins answering as the real ones do (``import_lines``,
``import_progress``, ``positions``, ``head_position``, ``settle``)."""
from __future__ import annotations

import threading
import time

from services.gateway import imports
from shared.importing import progress_of, reporter


def line(n: int, type_: str) -> dict:
    return {"line": n, "type": type_, "occurred_on": "2020-01-01", "data": {}}


#: members' lines 1-4, meetings' lines 5-6
FILE = [line(1, "org_unit.created"), *(line(n, "member.admitted") for n in (2, 3, 4)),
        line(5, "meeting.held"), line(6, "meeting.held")]


def error(n: int) -> dict:
    return {"line": n, "code": "bad", "message_vi": "sai", "message_en": "wrong", "field": None}


class Services:
    """``call`` for the job; each service refuses the lines in ``refuse`` (when validating, or only
    when ``commit`` for those in ``refuse_on_commit``), and writes its lines otherwise."""

    def __init__(self, refuse=(), refuse_on_commit=(), on_import=None):
        self.refuse, self.refuse_on_commit, self.on_import = set(refuse), set(refuse_on_commit), on_import
        self.written: dict[str, int] = {}

    def owned(self, service, lines):
        from shared.catalog import owner_of
        return [x for x in lines if owner_of(x["type"]) == service]

    def __call__(self, service, method, *args):
        if method == "import_lines":
            lines, context, commit = args
            mine = self.owned(service, lines)
            if self.on_import:
                self.on_import(service, len(mine), context)
            bad = [x["line"] for x in mine if x["line"] in self.refuse or (commit and x["line"] in self.refuse_on_commit)]
            if bad:
                return {"ok": False, "errors": [error(n) for n in bad]}
            if commit:
                self.written[service] = self.written.get(service, 0) + len(mine)
            return {"ok": True, "errors": [], "lines": len(mine), "written": len(mine) if commit else 0,
                    "head": self.written.get(service, 0)}
        if method == "import_progress":
            return progress_of(args[0])
        if method == "positions":
            return {"ok": True, "result": dict(self.written)}
        if method == "head_position":
            return {"ok": True, "result": self.written.get(service, 0)}
        if method == "settle":
            return {"ok": True, "result": {"written": 0}}
        raise AssertionError(method)


def run(services: Services, commit: bool = True) -> tuple[dict, imports.ImportJobs, str]:
    jobs = imports.ImportJobs()
    job = jobs.new(0, "admin")
    result = imports.run_lines([dict(x) for x in FILE], [], services, jobs, job, {}, commit=commit)
    return result, jobs, job


def test_the_job_shows_how_far_a_service_has_gone_through_the_file(monkeypatch):
    monkeypatch.setattr(imports, "WATCH_EVERY", 0.01)
    seen: list[tuple[str, int]] = []
    made: list[imports.ImportJobs] = []

    def on_import(service, mine, context):
        """One line gone through; the service waits until the job shows it (at most 10 s)."""
        job = made[0].get(context["import_job"])
        before = job["done"]
        progress = reporter(context)
        progress("validating", 1, mine)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and job["done"] != before + 1:
            time.sleep(0.01)
            job = made[0].get(context["import_job"])
        seen.append((job["phase"], job["done"]))
        progress("done", mine, mine)

    original = imports.ImportJobs.__init__

    def init(self):
        original(self)
        made.append(self)
    monkeypatch.setattr(imports.ImportJobs, "__init__", init)
    result, jobs, job = run(Services(on_import=on_import))
    assert result["ok"] and result["written"] == len(FILE)
    # meetings checked first (members, the first writer, checks its lines as it writes them); then
    # members' lines, after meetings' 2; then meetings' again as they are written, after members'
    # 4 lines and the projections' steps: 3 of the 4 projecting services caught up with members'
    # events (the stand-ins apply at once) = 3/4 of the file's 6 lines, rounded down
    assert seen == [("validating:meetings", 1), ("validating:members", 2 + 1), ("validating:meetings", 2 + 4 + 4 + 1)]
    final = jobs.get(job)
    assert final["done"] == final["total"] == 2 + 2 * len(FILE) and final["state"] == "done"
    assert progress_of(job) is None  # nothing left behind once the services are done


def test_a_refused_file_names_the_faulty_lines_of_every_service():
    result, jobs, job = run(Services(refuse={3, 6}))
    assert not result["ok"] and [e["line"] for e in result["errors"]] == [3, 6]
    assert result["written"] == 0 and jobs.get(job)["state"] == "failed"


def test_a_file_the_first_writer_refuses_writes_nothing_anywhere():
    services = Services(refuse_on_commit={2})
    result, _, _ = run(services)
    assert not result["ok"] and [e["line"] for e in result["errors"]] == [2]
    assert result["written"] == 0 and not result.get("partial") and services.written == {}


def test_a_dry_run_asks_every_service_and_writes_nothing():
    services = Services(refuse={2, 5})
    result, _, _ = run(services, commit=False)
    assert [e["line"] for e in result["errors"]] == [2, 5] and services.written == {}
    services = Services()
    result, _, _ = run(services, commit=False)
    assert result["ok"] and result["dry_run"] and services.written == {}


def test_the_watcher_stops_with_the_import():
    before = threading.active_count()
    run(Services())
    assert threading.active_count() == before


class Lagging:
    """A projecting service ``behind`` events behind the head; each ``catch_up`` applies ``step``
    (0: another worker applies them meanwhile, ``step_meanwhile`` per look at the positions)."""

    def __init__(self, head: int, step: int, step_meanwhile: int = 0):
        self.head, self.at, self.step, self.meanwhile = head, 0, step, step_meanwhile
        self.catch_ups = 0

    def __call__(self, service, method, *args):
        if method == "positions":
            out = {"ok": True, "result": {"members": self.at}}
            self.at = min(self.head, self.at + self.meanwhile)
            return out
        if method == "catch_up":
            self.catch_ups += 1
            done = min(self.step, self.head - self.at)
            self.at += done
            return {"ok": True, "result": done}
        raise AssertionError(method)


def test_waiting_for_projections_calls_catch_up_until_caught_up_without_pausing_while_it_applies(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(imports.time, "sleep", pauses.append)
    svc = Lagging(head=250, step=100)
    imports.wait_caught_up(svc, {"members": 250}, ("meetings",), timeout=5)
    assert svc.at == 250 and svc.catch_ups == 3 and pauses == []


def test_waiting_pauses_only_while_another_worker_applies_the_events(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(imports.time, "sleep", pauses.append)
    svc = Lagging(head=30, step=0, step_meanwhile=10)
    imports.wait_caught_up(svc, {"members": 30}, ("meetings",), timeout=5)
    assert svc.at == 30 and len(pauses) == svc.catch_ups == 3 and all(0 < p <= 0.1 for p in pauses)
