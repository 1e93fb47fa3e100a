"""The import job: JSONL → owning services, validate everything, then commit in order and wait
until every projection has caught up (DESIGN.md §2 "Import")."""
from __future__ import annotations

import collections
import threading
import time
import uuid
from typing import Callable

import structlog

from shared.catalog import IMPORT_ORDER, owner_of
from shared.importing import parse_jsonl

Call = Callable[..., dict]  # call(service, method, *args) -> the service's answer
log = structlog.get_logger(service="gateway")


class ImportJobs:
    """Progress of running and finished imports, readable while they run — by the user who
    submitted the job (``owner``) and by administrators only (``readable``)."""

    def __init__(self):
        self._jobs: dict[str, dict] = {}
        self._owners: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def new(self, total: int, owner: str | None = None) -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._jobs[job_id] = {"id": job_id, "phase": "parsing", "done": 0, "total": total, "state": "running"}
            self._owners[job_id] = owner
        return job_id

    def owner(self, job_id: str) -> str | None:
        with self._lock:
            return self._owners.get(job_id)

    def readable(self, job_id: str, user_name: str, role: str, scope: str | None) -> dict | None:
        """The job for its submitter or a province-wide administrator; None otherwise — the same
        answer as for a job that does not exist."""
        job = self.get(job_id)
        if job is None:
            return None
        if self.owner(job_id) == user_name or (role == "administrator" and scope is None):
            return job
        return None

    def update(self, job_id: str, **changes) -> None:
        """Change the job. ``done`` counts the lines' steps (checked, written); ``projected`` the
        steps of the projections catching up on what was written: the job shows their sum."""
        with self._lock:
            job = self._jobs[job_id]
            if "done" in changes:
                job["lines_done"] = changes.pop("done")
            job.update(changes)
            job["done"] = job.get("lines_done", 0) + job.get("projected", 0)

    def get(self, job_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return {k: v for k, v in job.items() if k != "lines_done"} if job else None


def run_import(text: str, call: Call, jobs: ImportJobs, job_id: str, context: dict,
               projecting: tuple[str, ...] = ("members", "meetings", "discipline", "reporting"),
               timeout: float = 600.0) -> dict:
    lines, errors = parse_jsonl(text)
    return run_lines(lines, errors, call, jobs, job_id, context, projecting, timeout)


def run_lines(lines: list[dict], errors: list[dict], call: Call, jobs: ImportJobs, job_id: str, context: dict,
              projecting: tuple[str, ...] = ("members", "meetings", "discipline", "reporting"),
              timeout: float = 600.0, commit: bool = True) -> dict:
    """Import lines already parsed (a JSONL file's, or a spreadsheet's): validate in every owning
    service, then — when ``commit`` and nothing failed — write in order and wait for projections."""
    jobs.update(job_id, total=len(lines) + len(errors), phase="validating")
    if not errors:
        for line in lines:
            try:
                owner_of(line["type"])
            except KeyError:
                errors.append({"line": line["line"], "code": "no_owner", "field": "type",
                               "message_vi": f"Chưa có dịch vụ nhận loại «{line['type']}»",
                               "message_en": f"No service takes type '{line['type']}' yet"})
    per_owner: dict[str, int] = {}  # the lines each service owns (a type's owner looked up once)
    if not errors:
        for type_, n in collections.Counter(line["type"] for line in lines).items():
            per_owner[owner_of(type_)] = per_owner.get(owner_of(type_), 0) + n
    owners = [s for s in IMPORT_ORDER if per_owner.get(s)]
    # Every owner validates before anything is written. The first to write validates again as it
    # writes, and nothing is written before it: so when committing, its dry run is skipped (a
    # province's file is mostly members' lines — validating them once instead of twice).
    context = {**context, "import_job": job_id}  # the services report their progress under it
    owned = {s: per_owner[s] for s in owners}
    first_writes = commit and bool(owners)
    # The bar's steps: the lines the other owners check before anything is written, every line
    # written (its writer checks it again as it writes), then as many steps again for the
    # projections applying what was written — the bar ends once the import is in the reports.
    ahead = sum(owned[s] for s in owners[1:]) if first_writes else 0
    if first_writes:
        jobs.update(job_id, total=ahead + 2 * len(lines), projected=0)
    checked = 0
    for service in owners[1:] if first_writes else owners:
        answer = watched(call, jobs, job_id, "validating", service, checked, lines, context, False)
        errors.extend(answer.get("errors", []))
        checked += owned[service]
    if errors and first_writes:  # refused anyway: the user hears of every line at once
        errors.extend(watched(call, jobs, job_id, "validating", owners[0], checked, lines, context,
                              False).get("errors", []))
    if errors:
        errors.sort(key=lambda e: e["line"])
        result = {"ok": False, "errors": errors, "written": 0}
        jobs.update(job_id, phase="refused", state="failed", result=result)
        return result
    if not commit:
        result = {"ok": True, "lines": len(lines), "written": 0, "dry_run": True}
        jobs.update(job_id, phase="done", state="done", done=len(lines), result=result)
        return result
    written = 0
    heads: dict[str, int] = {}
    catching = CatchingUp(projecting, lambda share: jobs.update(job_id, projected=max(0, min(
        len(lines) - 1, int(share * len(lines))))))  # the last step: once every projection is done
    for service in owners:
        done = ahead + sum(owned[s] for s in heads)
        jobs.update(job_id, phase=f"writing:{service}", done=done)
        answer = watched(call, jobs, job_id, "writing", service, done, lines, context, True)
        if not answer.get("ok") and not heads:  # the first writer refused: nothing was written
            errors = sorted(answer.get("errors", []), key=lambda e: e["line"])
            result = {"ok": False, "errors": errors, "written": 0}
            jobs.update(job_id, phase="refused", state="failed", result=result)
            return result
        if not answer.get("ok"):
            # Validation passed for every service before anything was written, so this is rare
            # (the state moved between validation and commit). Services before this one have
            # committed; the file is safe to send again once fixed: their lines write nothing twice.
            result = {"ok": False, "errors": answer.get("errors", []), "written": written,
                      "committed_services": list(heads), "partial": bool(heads)}
            jobs.update(job_id, phase="refused", state="failed", result=result)
            return result
        written += answer.get("written", 0)
        heads[service] = answer.get("head", 0)
        jobs.update(job_id, done=ahead + sum(owned[s] for s in heads))
        # reacting services are waited for once, after all writes, in ``settle``
        wait_caught_up(call, heads, tuple(p for p in projecting if p not in REACTING), timeout,
                       lambda p: jobs.update(job_id, phase=p), catching.seen)
    reactions, pending = settle(call, projecting, timeout, lambda p: jobs.update(job_id, phase=p), seen=catching.seen)
    result = {"ok": True, "lines": len(lines), "written": written, "heads": heads, "reactions": reactions}
    if pending:
        result["pending_reactions"] = pending
    jobs.update(job_id, phase="done", state="done", done=ahead + len(lines), projected=len(lines), result=result)
    return result


class CatchingUp:
    """How far the projecting services have applied what the import wrote, as a share in [0, 1]
    told to ``show`` whenever it grows: each service counts alike, and within one, the events
    between the positions first seen in this import and the stores' heads. A head that grows
    later (the next service's write, a reaction) never moves the share back; a service not seen
    yet counts as not started."""

    def __init__(self, services: tuple[str, ...], show: Callable[[float], None]):
        self.services, self.show = services, show
        self.first: dict[tuple[str, str], int] = {}
        self.at: dict[tuple[str, str], int] = {}
        self.heads: dict[str, int] = {}
        self.share = 0.0
        self._lock = threading.Lock()  # told by the job's thread and by a watcher

    def seen(self, service: str, positions: dict[str, int], heads: dict[str, int]) -> None:
        with self._lock:
            self._seen(service, positions, heads)

    def _seen(self, service: str, positions: dict[str, int], heads: dict[str, int]) -> None:
        self.heads.update(heads)
        for source, position in positions.items():
            if source in self.heads:
                self.first.setdefault((service, source), min(position, self.heads[source]))
                self.at[(service, source)] = position
        share = sum(self._share_of(s) for s in self.services) / max(1, len(self.services))
        if share > self.share:
            self.share = share
            self.show(share)

    def _share_of(self, service: str) -> float:
        pairs = [(source, first) for (s, source), first in self.first.items() if s == service]
        if not pairs:
            return 0.0
        need = sum(self.heads[source] - first for source, first in pairs)
        got = sum(min(self.at[(service, source)], self.heads[source]) - first for source, first in pairs)
        return got / need if need > 0 else 1.0


def watched(call: Call, jobs: ImportJobs, job_id: str, phase: str, service: str, before: int, *args) -> dict:
    """``import_lines`` on one service, its progress copied into the job meanwhile (every half
    second: ``done`` = the lines of the services before it + the lines it has gone through)."""
    stop = threading.Event()

    def watch():
        while not stop.wait(WATCH_EVERY):
            try:
                got = call(service, "import_progress", job_id)
            except Exception:  # noqa: BLE001 — only the bar stops moving; the import goes on
                continue
            if got and not stop.is_set():  # a writer validates its lines again first: say so
                now = got["phase"] if got.get("phase") in ("validating", "writing") else phase
                jobs.update(job_id, phase=f"{now}:{service}", done=before + got["done"])

    jobs.update(job_id, phase=f"{phase}:{service}", done=before)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return call(service, "import_lines", *args)
    finally:
        stop.set()
        watcher.join()


#: how often (seconds) a running import's progress is asked for
WATCH_EVERY = 0.5

#: services that react to other services' events (members: expulsion → member.expelled)
REACTING = ("members",)
#: services whose events cause those reactions: a command to one returns once they are applied
CAUSING = ("discipline",)
STORES = ("members", "meetings", "discipline", "reporting")


def settle(call: Call, projecting: tuple[str, ...], timeout: float,
           phase: Callable[[str], None] = lambda p: None, rounds: int = 5,
           seen: Seen | None = None) -> tuple[int, list[str]]:
    """Wait for the consequences: each reacting service applies the reactions due now, then every
    projection catches up with the stores' new heads — again while reactions still write. Returns
    (events the reactions wrote, services whose reactions could not be confirmed)."""
    total, pending = 0, []
    for _ in range(rounds):
        written, pending = 0, []
        for service in REACTING:
            phase(f"reacting:{service}")
            try:
                answer = call(service, "settle", {}, {})
            except Exception as exc:
                if _is_absent(exc):
                    pending.append(service)
                    continue
                raise
            written += (answer.get("result") or {}).get("written", 0) if answer.get("ok") else 0
        heads = {}
        for source in STORES:
            try:
                answer = call(source, "head_position", {}, {})
            except Exception as exc:
                if _is_absent(exc):
                    continue
                raise
            if answer.get("ok"):
                heads[source] = answer["result"]
        wait_caught_up(call, heads, projecting, timeout, phase, seen)
        total += written
        if not written:
            break
    return total, pending


def after_command(call: Call, service: str, timeout: float,
                  projecting: tuple[str, ...] = ("members", "meetings", "discipline", "reporting")) -> dict:
    """What a command's answer adds about its consequences: a command to a service whose events
    cause reactions returns once they are applied and projected (``reactions``: events written), or
    names what could not be confirmed in time (``pending_reactions``), as an import does."""
    if service not in CAUSING:
        return {}
    try:
        reactions, pending = settle(call, projecting, timeout)
    except Exception as exc:  # the command is written: a slow or busy reader must not turn it into an error
        log.warning("reactions_pending", service=service, reason=type(exc).__name__)
        return {"pending_reactions": list(REACTING) + ["projections"]}
    return {"reactions": reactions, **({"pending_reactions": pending} if pending else {})}


#: told of a projecting service's positions as they are seen: (service, positions, heads)
Seen = Callable[[str, dict, dict], None]


def wait_caught_up(call: Call, heads: dict[str, int], projecting: tuple[str, ...], timeout: float,
                   phase: Callable[[str], None] = lambda p: None, seen: Seen | None = None) -> None:
    """Block until every projecting service has applied each source up to its head (``seen``
    hears of its positions meanwhile, every ``WATCH_EVERY`` seconds while it catches up)."""
    deadline = time.monotonic() + timeout
    for service in projecting:
        while True:
            try:
                answer = call(service, "positions", {}, {})
            except Exception as exc:
                # a service that is not running, or keeps no projections, has nothing to wait for
                if _is_absent(exc):
                    break
                raise
            positions = answer.get("result", {}) if answer.get("ok") else {}
            if seen is not None:
                seen(service, positions, heads)
            behind = {s: h for s, h in heads.items() if s in positions and positions[s] < h}
            if not behind:
                break
            phase(f"projecting:{service}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} did not catch up with {behind}")
            applied = 0
            try:
                answer = catching_up(call, service, heads, seen)
                applied = (answer.get("result") or 0) if answer.get("ok") else 0
            except Exception as exc:
                if not _is_absent(exc):
                    raise
            if not applied:  # nothing left for this call to apply (another worker is at it): wait a little
                time.sleep(0.05)


def catching_up(call: Call, service: str, heads: dict[str, int], seen: Seen | None) -> dict:
    """``catch_up`` on the service; its positions asked every ``WATCH_EVERY`` seconds meanwhile
    and told to ``seen`` (the service answers between two of its batches)."""
    if seen is None:
        return call(service, "catch_up", {}, {})
    stop = threading.Event()

    def watch():
        while not stop.wait(WATCH_EVERY):
            try:
                answer = call(service, "positions", {}, {})
            except Exception:  # noqa: BLE001 — only the bar stops moving; the catch-up goes on
                continue
            if answer.get("ok") and not stop.is_set():
                seen(service, answer["result"], heads)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return call(service, "catch_up", {}, {})
    finally:
        stop.set()
        watcher.join()


def _is_absent(exc: Exception) -> bool:
    from nameko.exceptions import MethodNotFound, UnknownService
    return isinstance(exc, (MethodNotFound, UnknownService)) or getattr(exc, "code", "") == "service_unavailable"
