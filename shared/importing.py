"""JSONL import (DESIGN.md §2): parse, validate every line with the live command's rules, and
write all or nothing.

A service receives the lines it owns and runs them, in file order, through its real use cases
against a ``BufferedStore``; only when every line passes is the buffer committed.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable, Iterable, Mapping

from pydantic import BaseModel, ValidationError

from shared.application import Context, check_deadline
from shared.buffered import BufferedStore
from shared.errors import DomainError, from_validation_error
from shared.events import catalog, derived_event_id
from shared.eventstore import EventStore

Importer = tuple[type[BaseModel], Callable]


def line_error(line: int, code: str, vi: str, en: str, field: str | None = None) -> dict:
    return {"line": line, "code": code, "message_vi": vi, "message_en": en, "field": field}


def parse_jsonl(text: str) -> tuple[list[dict], list[dict]]:
    """Lines of the file as dicts with their line number; errors for lines that are not even events."""
    known = catalog()
    lines, errors = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
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
        obj["line"] = n
        lines.append(obj)
    return lines, errors


def line_command_id(line: dict) -> str:
    return line.get("event_id") or derived_event_id(line["type"], str(line["occurred_on"]), line["data"])


def run_import(store: EventStore, importers: Mapping[str, Importer], lines: Iterable[dict], ctx: Context,
               commit: bool = True, observe: Callable[[dict], None] | None = None) -> dict:
    """Validate the lines this service owns in file order; commit them all when none failed."""
    check_deadline(ctx.deadline)
    buffer = BufferedStore(store)
    errors: list[dict] = []
    handled = 0
    for line in lines:
        if line["type"] not in importers:
            if observe:
                observe(line)
            continue
        handled += 1
        model, use_case = importers[line["type"]]
        payload = {**line["data"], "occurred_on": line["occurred_on"]}
        try:
            cmd = model.model_validate(payload)
            # a line may carry its provenance (e.g. the spreadsheet row it came from) as correlation
            meta = {"correlation_id": line["correlation_id"]} if line.get("correlation_id") else {}
            use_case(buffer, cmd, ctx.child(command_id=line_command_id(line), **meta))
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
    written = buffer.commit()
    out["written"] = len(written)
    out["head"] = store.head_position()
    return out


def _without_status(d: dict) -> dict:
    d = dict(d)
    d.pop("status", None)
    d.pop("details", None)
    return d
