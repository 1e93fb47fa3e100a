"""JSONL import (DESIGN.md §2): parse, validate every line with the live command's rules, and
write all or nothing.

A service receives the lines it owns and runs them, in file order, through its real use cases
against a ``BufferedStore``; only when every line passes is the buffer committed.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Callable, Iterable, Mapping

from pydantic import BaseModel, ValidationError

from shared.application import Context, check_deadline
from shared.buffered import BufferedStore
from shared.collector import settled
from shared.errors import DomainError, from_validation_error
from shared.events import Envelope, canonical_json, catalog, derived_event_id, model_for, stream_name
from shared.inputcheck import BOM, InputError, loads, split_lines
from shared.eventstore import EventStore
from shared.personal import is_sealed

Importer = tuple[type[BaseModel], Callable]


def line_error(line: int, code: str, vi: str, en: str, field: str | None = None) -> dict:
    return {"line": line, "code": code, "message_vi": vi, "message_en": en, "field": field}


def parse_jsonl(text: str) -> tuple[list[dict], list[dict]]:
    """Lines of the file as dicts with their line number; errors for lines that are not even events."""
    known = catalog()
    lines, errors = [], []
    seen: dict[str, tuple[int, str]] = {}  # explicit event_id -> (line, content summary)
    if text.startswith(BOM):  # Excel and Notepad save UTF-8 with a byte order mark
        text = text[1:]
    for n, raw in enumerate(split_lines(text), start=1):
        if not raw.strip():
            continue
        try:
            obj = loads(raw)
        except InputError as exc:
            errors.append(line_error(n, exc.code, exc.message_vi, exc.message_en, exc.field))
            continue
        except json.JSONDecodeError as exc:
            errors.append(line_error(n, "invalid_json", f"Dòng không phải JSON hợp lệ: {exc.msg}",
                                     f"Not valid JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            errors.append(line_error(n, "invalid_line", "Mỗi dòng phải là một đối tượng JSON",
                                     "Each line must be a JSON object"))
            continue
        missing = [k for k in ("type", "occurred_on", "data") if k not in obj]
        if missing:
            errors.append(line_error(n, "missing_field", f"Thiếu trường bắt buộc «{missing[0]}»",
                                     f"Missing required field '{missing[0]}'", missing[0]))
            continue
        extra = sorted(set(obj) - {"type", "occurred_on", "org_unit_id", "event_id", "data"})
        if extra:
            errors.append(line_error(n, "unknown_field", f"Trường «{extra[0]}» không được phép",
                                     f"Field '{extra[0]}' is not allowed", extra[0]))
            continue
        if obj["type"] not in known:
            errors.append(line_error(n, "unknown_type", f"Loại sự kiện không xác định «{obj['type']}»",
                                     f"Unknown event type '{obj['type']}'", "type"))
            continue
        try:
            dt.date.fromisoformat(str(obj["occurred_on"]))
        except ValueError:
            errors.append(line_error(n, "invalid_date",
                                     f"Ngày «{obj['occurred_on']}» không hợp lệ (định dạng YYYY-MM-DD)",
                                     f"Invalid date '{obj['occurred_on']}' (expected YYYY-MM-DD)", "occurred_on"))
            continue
        if not isinstance(obj["data"], dict):
            errors.append(line_error(n, "invalid_data", "«data» phải là một đối tượng JSON",
                                     "'data' must be a JSON object", "data"))
            continue
        unit = obj.get("org_unit_id")
        if unit is not None and "org_unit_id" in obj["data"] and obj["data"]["org_unit_id"] != unit:
            errors.append(line_error(n, "org_unit_mismatch",
                                     f"«org_unit_id» của dòng ({unit}) khác với «data.org_unit_id» "
                                     f"({obj['data']['org_unit_id']})",
                                     f"The line's 'org_unit_id' ({unit}) contradicts 'data.org_unit_id' "
                                     f"({obj['data']['org_unit_id']})", "org_unit_id"))
            continue
        if "event_id" in obj:
            eid = obj["event_id"]
            if not isinstance(eid, str) or not eid.strip() or len(eid) > 100:
                errors.append(line_error(n, "invalid_event_id", "«event_id» phải là một chuỗi không rỗng (tối đa 100 ký tự)",
                                         "'event_id' must be a non-empty string (at most 100 characters)", "event_id"))
                continue
            content = summary(obj["type"], obj["occurred_on"], obj["data"], unit)
            if eid in seen and seen[eid][1] != content:
                first, before = seen[eid]
                errors.append(line_error(
                    n, "event_id_conflict",
                    f"«event_id» {eid} đã dùng ở dòng {first} với nội dung khác — dòng {first}: {before}; "
                    f"dòng {n}: {content}",
                    f"'event_id' {eid} is already used on line {first} with different content — line {first}: "
                    f"{before}; line {n}: {content}", "event_id"))
                continue
            seen.setdefault(eid, (n, content))
        obj["line"] = n
        lines.append(obj)
    return lines, errors


def summary(type_: str, occurred_on, data: dict, org_unit_id: str | None = None, limit: int = 300) -> str:
    """A line's or a stored event's content in one short, comparable text."""
    text = f"{type_} {occurred_on} " + (f"[{org_unit_id}] " if org_unit_id else "") + canonical_json(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: opens a stored event's sealed personal value (``shared.personal``), or None when it cannot
OpenSealed = Callable[[Envelope, str], object]
_UNOPENED = object()


def stored_conflict(line: dict, envelopes, open_sealed: OpenSealed | None = None,
                    new: Callable[[str], bool] = lambda event_id: False, quote_stored: bool = True) -> dict | None:
    """The error when the line's explicit ``event_id`` is already stored with other content
    (a retried command finds its stored events and writes nothing: that must be the same fact).
    ``new(event_id)``: the event was made by this very file (its line, or an earlier line that
    ``parse_jsonl`` found identical), so it cannot conflict. A stored personal field is sealed
    (random ciphertext): it is compared once opened by ``open_sealed``; without it, or when it
    cannot be opened (shredded), it is not shown equal. ``quote_stored`` False (a user limited to
    part of the tree): the stored fact may lie outside it, so only the line is quoted back."""
    eid = line.get("event_id")
    env = next((e for e in envelopes or () if getattr(e, "event_id", None) == eid), None) if eid else None
    if env is None or new(eid):
        return None
    same = env.type == line["type"] and env.occurred_on.isoformat() == str(line["occurred_on"])
    if same:
        try:
            mine = model_for(line["type"]).model_validate(line["data"]).model_dump(mode="json")
            theirs = env.payload().model_dump(mode="json")
        except (KeyError, ValidationError):
            mine, theirs = line["data"], env.data
        same = all(mine.get(k) == _opened(env, theirs.get(k), open_sealed) for k in line["data"])
    if same:
        return None
    ours = summary(line["type"], line["occurred_on"], line["data"], line.get("org_unit_id"))
    if not quote_stored:
        return line_error(line["line"], "event_id_conflict",
                          f"«event_id» {eid} đã được dùng cho một sự kiện khác; hãy dùng mã khác — dòng "
                          f"{line['line']}: {ours}",
                          f"'event_id' {eid} is already used by another fact; use another id — line "
                          f"{line['line']}: {ours}", "event_id")
    stored = summary(env.type, env.occurred_on.isoformat(), env.data, env.org_unit_id)
    return line_error(line["line"], "event_id_conflict",
                      f"«event_id» {eid} đã được lưu với nội dung khác — đã lưu: {stored}; dòng {line['line']}: {ours}",
                      f"'event_id' {eid} is already stored with different content — stored: {stored}; "
                      f"line {line['line']}: {ours}", "event_id")


def _opened(env, value, open_sealed: OpenSealed | None):
    """``value`` with its sealed values opened, inside lists and objects too (a meeting's
    attendance rows each carry a sealed reason); one that cannot be opened is never equal."""
    if isinstance(value, list):
        return [_opened(env, v, open_sealed) for v in value]
    if isinstance(value, dict):
        return {k: _opened(env, v, open_sealed) for k, v in value.items()}
    if not is_sealed(value):
        return value
    clear = open_sealed(env, value) if open_sealed is not None else None
    return _UNOPENED if clear is None else clear


def unit_conflict(line: dict, envelopes) -> dict | None:
    """The error when the line's envelope ``org_unit_id`` is not the unit its event belongs to."""
    unit = line.get("org_unit_id")
    if unit is None:
        return None
    for env in envelopes or ():
        decided = getattr(env, "org_unit_id", None)
        if decided is not None and decided != unit:
            return line_error(line["line"], "org_unit_mismatch",
                              f"«org_unit_id» của dòng ({unit}) khác với tổ chức của sự kiện ({decided})",
                              f"The line's 'org_unit_id' ({unit}) contradicts the event's unit ({decided})",
                              "org_unit_id")
    return None


def quotes_stored(context: Mapping | None) -> bool:
    """Whether an import's refusals may quote what is stored: not for a user limited to part of the
    tree (the gateway marks the context ``scoped``), since an event id can name a fact elsewhere."""
    return not (context or {}).get("scoped")


def line_command_id(line: dict) -> str:
    return line.get("event_id") or derived_event_id(line["type"], str(line["occurred_on"]), line["data"])


def named_streams(lines: Iterable[dict]) -> list[str]:
    """Streams a file's lines probably touch, guessed from their ids (``member_id`` M1 → the
    stream ``member-M1``): what ``BufferedStore.prefetch`` asks the store about in bulk. A wrong
    guess costs one name in a query; a missed one is read when a command asks for it."""
    out: dict[str, None] = {}
    for line in lines:
        for key, value in line["data"].items():
            if key.endswith("_id") and isinstance(value, str) and value:
                out[stream_name(key[:-3], value)] = None
    return list(out)


#: how often ``run_import`` reports its progress (and, through ``reporter``, lets the process answer
#: its progress polls): every so many lines, or sooner once so many seconds of work went by since the
#: last report — lines slowed down (a loaded machine, a long stream read) must not freeze the bar
PROGRESS_EVERY = 1000
PROGRESS_SECONDS = 0.25
#: the clock ``run_import`` times its reports with
clock = time.monotonic


def run_import(store: EventStore, importers: Mapping[str, Importer], lines: Iterable[dict], ctx: Context,
               commit: bool = True, observe: Callable[[dict], None] | None = None,
               before_commit: Callable[[], object] | None = None,
               progress: Callable[[str, int, int], None] | None = None,
               open_sealed: OpenSealed | None = None, quote_stored: bool = True) -> dict:
    """Validate the lines this service owns in file order, through its use cases against an
    in-memory buffer; commit them all, in one batch, when none failed (``before_commit`` first:
    e.g. storing the personal-data keys the lines were sealed with). ``progress(phase, done,
    total)`` hears of it every ``PROGRESS_EVERY`` lines or ``PROGRESS_SECONDS``, whichever comes
    first ("validating"), before the write
    ("writing") and at the end, whatever the outcome ("done"). ``open_sealed`` opens stored
    personal values, to tell a line sent again under its ``event_id`` from other content;
    ``quote_stored`` False keeps the stored side out of such a refusal (``quotes_stored``)."""
    told = progress or (lambda phase, done, total: None)
    lines = list(lines)
    mine = [line for line in lines if line["type"] in importers]
    # what the lines keep alive (the buffer, its envelopes) is settled as it grows: the collector
    # walks only what came since (``shared.collector``)
    with settled() as settle:
        def report(phase: str, done: int, total: int) -> None:
            settle()
            told(phase, done, total)
        try:
            return _run(store, importers, lines, mine, ctx, commit, observe, before_commit, report, open_sealed,
                        quote_stored)
        finally:
            told("done", len(mine), len(mine))


def _run(store, importers, lines, mine, ctx, commit, observe, before_commit, report, open_sealed,
         quote_stored) -> dict:
    check_deadline(ctx.deadline)
    command_ids = [line_command_id(line) for line in mine]
    buffer = BufferedStore(store)
    buffer.prefetch(named_streams(mine), command_ids)
    errors: list[dict] = []
    handled, total = 0, len(mine)
    report("validating", 0, total)
    last = clock()
    ids = iter(command_ids)
    for line in lines:
        if line["type"] not in importers:
            if observe:
                observe(line)
            continue
        handled += 1
        now = clock()  # ~50 ns: nothing beside a line's validation
        if handled % PROGRESS_EVERY == 0 or now - last >= PROGRESS_SECONDS:
            report("validating", handled, total)
            last = now
        model, use_case = importers[line["type"]]
        payload = {**line["data"], "occurred_on": line["occurred_on"]}
        command_id = next(ids)
        try:
            cmd = model.model_validate(payload)
            # a line may carry its provenance (e.g. the spreadsheet row it came from) as correlation
            meta = {"correlation_id": line["correlation_id"]} if line.get("correlation_id") else {}
            envelopes = use_case(buffer, cmd, ctx.child(command_id=command_id, **meta))
            problem = stored_conflict(line, envelopes, open_sealed, buffer.holds, quote_stored) or unit_conflict(line, envelopes)
            if problem is not None:
                errors.append(problem)
        except ValidationError as exc:
            err = from_validation_error(exc, prefix="data")
            if err.field == "data.occurred_on":
                err.field = "occurred_on"
            errors.append({"line": line["line"], **_without_status(err.to_dict())})
        except DomainError as exc:
            errors.append({"line": line["line"], **_without_status(exc.to_dict())})
    out = {"ok": not errors, "errors": errors, "lines": handled, "new_events": buffer.pending}
    if errors or not commit:
        return out
    check_deadline(ctx.deadline)
    report("writing", handled, total)
    if before_commit is not None:
        before_commit()
    # what this commit wrote: positions after the head before it (a batch whose events another
    # upload of the same file stored meanwhile is answered with theirs, at or below that head)
    head = store.head_position()
    written = [p for p in buffer.commit_positions() if p > head]  # only counted: no envelope built
    out["written"] = len(written)
    out["head"] = store.head_position()
    return out


#: the progress of the imports running in this process, by the gateway's job id
_PROGRESS: dict[str, dict] = {}


def reporter(context: dict | None) -> Callable[[str, int, int], None] | None:
    """A ``progress`` for ``run_import`` when the gateway named its job (``import_job`` in the
    context): it keeps the count where ``progress_of`` reads it, and lets other work of the process
    run meanwhile (``time.sleep(0)`` yields under eventlet: the job's progress is then answered,
    and the broker's heartbeats, during a long validation)."""
    job = (context or {}).get("import_job")
    if not job:
        return None

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "done":
            _PROGRESS.pop(job, None)
        else:
            _PROGRESS[job] = {"phase": phase, "done": done, "total": total}
            time.sleep(0)
    return progress


def progress_of(job: str) -> dict | None:
    """How far this process's import for the job is: ``{"phase", "done", "total"}`` or None."""
    got = _PROGRESS.get(job)
    return dict(got) if got else None


def _without_status(d: dict) -> dict:
    d = dict(d)
    d.pop("status", None)
    d.pop("details", None)
    return d
