"""``POST /api/v1/imports/sheet``: a spreadsheet list → its events, through the ordinary import.

The body is the file itself (XLSX or CSV). Options in the query string: ``kind``
(members | working_away | removals), ``into`` (the unit the list belongs to), ``filename``,
``sheet``, ``mapping`` (a JSON object field → header), ``create_units``, ``on`` (the date changes
take effect, dd/mm/yyyy or yyyy-mm-dd), ``dry_run``. The file is read in memory and not kept.
"""
from __future__ import annotations

import datetime as dt
import json
import time

from shared.dates import today_vn
from shared.errors import DomainError

from services.gateway import imports
from services.gateway.sheets import columns, table
from services.gateway.sheets.plan import Options, file_hash, plan

KINDS_VI = {"members": "danh sách đảng viên", "working_away": "danh sách đảng viên đi làm ăn xa",
            "removals": "danh sách xóa tên", "discipline": "danh sách kỷ luật"}


class RpcSystem:
    """The members service seen through RPC, as the planner needs it."""

    def __init__(self, call, into: str):
        self.call, self.into = call, into
        self._cache: dict[str, dict | None] = {}

    def _ask(self, method: str, params: dict):
        answer = self.call("members", method, params, {"actor": "gateway"})
        return answer

    def units(self) -> list[dict]:
        answer = self._ask("org_tree", {"org_unit_id": self.into})
        if not answer.get("ok"):
            raise DomainError("unit_not_found", f"Không có tổ chức đảng «{self.into}»",
                              f"No party organisation '{self.into}'", field="into")
        out, stack = [], list(answer["result"])
        while stack:
            node = stack.pop()
            out.append({k: node.get(k) for k in ("org_unit_id", "name", "kind", "parent_id")})
            stack.extend(node.get("children") or [])
        return out

    def member(self, member_id: str) -> dict | None:
        if member_id not in self._cache:
            answer = self._ask("get_member", {"member_id": member_id})
            self._cache[member_id] = answer["result"] if answer.get("ok") else None
        return self._cache[member_id]

    def case(self, case_id: str) -> dict | None:
        answer = self.call("discipline", "case", {"case_id": case_id}, {"actor": "gateway"})
        return answer["result"] if answer.get("ok") else None

    def members_of(self, org_unit_id: str) -> list[dict]:
        answer = self._ask("unit_members", {"org_unit_id": org_unit_id})
        ids = answer.get("result") or [] if answer.get("ok") else []
        return [m for m in (self.member(i) for i in ids) if m]


def options_of(args, content: bytes, today: dt.date) -> Options:
    kind = args.get("kind", "")
    if kind not in columns.KINDS:
        raise DomainError("invalid_kind", f"Loại danh sách «{kind}» không hợp lệ (members, working_away, removals, discipline)",
                          f"Unknown list kind '{kind}' (members, working_away, removals, discipline)", field="kind")
    into = (args.get("into") or "").strip()
    if not into:
        raise DomainError("missing_field", "Thiếu tổ chức nhận danh sách («into»)",
                          "Missing the receiving organisation ('into')", field="into")
    mapping = None
    if args.get("mapping"):
        try:
            mapping = json.loads(args["mapping"])
            if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
                raise ValueError
        except ValueError:
            raise DomainError("invalid_mapping", "Tệp ánh xạ cột phải là các cặp «trường: tiêu đề cột»",
                              "The column mapping must be pairs 'field: column header'", field="mapping") from None
        unknown = sorted(set(mapping) - set(columns.HEADERS))
        if unknown:
            raise DomainError("invalid_mapping", f"Tệp ánh xạ có trường không biết «{unknown[0]}»",
                              f"Unknown field '{unknown[0]}' in the mapping", field="mapping")
    on = None
    if args.get("on"):
        on = parse_day(args["on"], "on")
    return Options(kind=kind, into=into, filename=args.get("filename") or "sheet", file_hash=file_hash(content),
                   mapping=mapping, create_units=args.get("create_units") in ("1", "true", "yes"), on=on,
                   today=today)


def parse_day(text: str, field: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise DomainError("invalid_date", f"Ngày «{text}» không hợp lệ (dd/mm/yyyy)", f"Invalid date '{text}' (dd/mm/yyyy)",
                      field=field)


def import_sheet(args, content: bytes, call, jobs: imports.ImportJobs, context: dict,
                 projecting: tuple[str, ...]) -> tuple[int, dict]:
    """(HTTP status, body) for one sheet: 200 dry run, 201 written, 422 refused (nothing written)."""
    followed = args.get("job") if args.get("job") and jobs.get(args["job"]) is not None else None
    job_id = followed or jobs.new(0)
    # the job's phases, as the JSONL import's: reading the file, checking its rows, then the events'
    jobs.update(job_id, phase="parsing", done=0, total=0)
    try:
        opts = options_of(args, content, today_vn())
        grid = table.read(content, opts.filename, args.get("sheet") or None)
        result = plan(grid, opts, RpcSystem(call, opts.into), rows_checked(jobs, job_id))
    except DomainError as exc:  # the job ends, refused, as the request does
        jobs.update(job_id, phase="refused", state="failed",
                    result={"ok": False, "written": 0, "errors": [{"code": exc.code}]})
        raise
    summary = result.summary()
    dry_run = args.get("dry_run") in ("1", "true", "yes")
    body = {"kind": opts.kind, "into": opts.into, "sheet": grid.sheet, "file_sha256": opts.file_hash,
            "dry_run": dry_run, "job": job_id, **summary}
    if result.refused:
        jobs.update(job_id, total=len(result.lines), phase="refused", state="failed",
                    result={"ok": False, "written": 0, "errors": result.refused})
        return 422, {**body, "ok": False, "written": 0, "code": "sheet_refused",
                     "message_vi": f"Danh sách bị từ chối: {len(result.refused)} ô lỗi; không có dữ liệu nào được ghi",
                     "message_en": f"The list was refused: {len(result.refused)} bad cell(s); nothing was written"}
    outcome = imports.run_lines(result.lines, [], call, jobs, job_id, context, projecting, commit=not dry_run)
    if not outcome["ok"]:
        refused = [_to_cell(e, result) for e in outcome.get("errors", [])]
        return 422, {**body, "ok": False, "written": outcome.get("written", 0), "code": "sheet_refused",
                     "refused": refused,
                     "message_vi": f"Danh sách bị từ chối theo quy định: {len(refused)} dòng lỗi; không có dữ liệu "
                                   "nào được ghi",
                     "message_en": f"The list was refused by the rules: {len(refused)} row(s); nothing was written"}
    return (200 if dry_run else 201), {**body, "ok": True, "written": outcome.get("written", 0),
                                       "message_vi": f"{'Kiểm tra' if dry_run else 'Đã nhập'} "
                                                     f"{KINDS_VI[opts.kind]}: {result.accepted} dòng có thay đổi, "
                                                     f"{result.unchanged} dòng không đổi, {len(result.lines)} sự kiện",
                                       "message_en": f"{'Checked' if dry_run else 'Imported'} {opts.kind}: "
                                                     f"{result.accepted} changed row(s), {result.unchanged} unchanged, "
                                                     f"{len(result.lines)} event(s)"}


def rows_checked(jobs: imports.ImportJobs, job_id: str):
    """``plan``'s progress into the job ("rows": rows checked of the sheet's rows); each report lets
    the gateway answer the job's polls meanwhile (``time.sleep(0)`` yields under eventlet)."""
    def progress(done: int, total: int) -> None:
        jobs.update(job_id, phase="rows", done=done, total=total)
        time.sleep(0)
    return progress


def _to_cell(err: dict, result) -> dict:
    """A rule's refusal of a generated line, named by the sheet cell it came from."""
    ref = result.refs.get(err.get("line"), "")
    field = (err.get("field") or "").removeprefix("data.")
    col = result.fields.get(field) or result.fields.get({"occurred_on": "admitted_on", "org_unit_id": "cell",
                                                         "member_id": "full_name"}.get(field, ""), "")
    if ref and col:
        sheet, row = ref.rsplit("!", 1)
        ref = f"{sheet}!{col}{row}"
    return {"cell": ref or f"#{err.get('line')}", "code": err.get("code"), "message_vi": err.get("message_vi"),
            "message_en": err.get("message_en"), "field": field or None}
