"""Report tables as files people open in Excel: XLSX and CSV, the one writer behind the dashboard's
download, the API's ``/api/v1/exports/...`` and the CLI's ``--format xlsx|csv``.

Pure (report JSON → bytes), like the rest of ``documents/``: the gateway renders what the caller was
allowed to read, the CLI renders what the gateway returned, neither imports a service.

- Vietnamese sheet names and headers; codes translated (``shared.labels`` and the tables below).
- Title rows: the report, the unit with its code, the period, the as-of day, the knowledge time and
  the structure; then the header row.
- Real numbers; percentages stored as fractions (11.54 % is 0.1154, shown ``0.00%``: Excel draws
  ``11,54 %`` in a Vietnamese locale); dates as date cells shown ``dd/mm/yyyy``; recording times
  (stored in UTC) as date-time cells on Viet Nam's clock, ``dd/mm/yyyy hh:mm:ss``, their header
  saying so; coded values (event types, sources, levels, …) in Vietnamese words.
- Column widths from the content, frozen header, autofilter, header repeated on every printed page,
  landscape fitted to the page width.
- CSV: the header row and the rows only (no title lines), UTF-8 with a BOM so Excel reads the
  diacritics; numbers with a decimal point, dates dd/mm/yyyy, times dd/mm/yyyy hh:mm:ss; a text
  cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
  return) is written with a leading apostrophe.
- Drawn while a source store fails integrity verification (the report's ``integrity``, or the
  flag of the answer's envelope given as ``integrity``): every sheet names it in its title lines
  and a CSV starts with it, on a line of its own before the header (``documents.integrity``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from documents import vn
from documents.integrity import warning
from shared.labels import CODE_VI, FIELD_VI, value_vi

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}

TITLES_VI = {"term": "Thống kê nhiệm kỳ, năm", "movement": "Biến động đảng viên (Biểu 1)",
             "warnings": "Danh sách cảnh báo sớm", "evaluation": "Tiêu chí đánh giá",
             "meetings": "Chất lượng sinh hoạt chi bộ", "causes": "Nguyên nhân theo đối tượng",
             "anomalies": "Bất thường cần kiểm tra", "headcount": "Số lượng đảng viên",
             "composition": "Cơ cấu đảng viên"}

#: how a column's values are written: text, int, number, percent (percentage points), change
#: (a signed percentage change, in points), date (ISO text), met (yes/no), level / kind (codes)
UNIT = [("name", "Tổ chức đảng", "text"), ("org_unit_id", "Mã tổ chức", "text")]
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "term": [("label_vi", "Chỉ tiêu", "text"), ("value", "Kỳ này", "int"), ("previous", "Kỳ so sánh", "int"),
             ("change_pct", "Tăng/giảm", "change")],
    "movement": UNIT + [("opening", "Đầu kỳ", "int"), ("admitted", "Kết nạp", "int"),
                        ("transferred_in", "Chuyển đến (ngoài tỉnh)", "int"),
                        ("moved_in", "Chuyển đến (trong tỉnh)", "int"),
                        ("transferred_out", "Chuyển đi (ngoài tỉnh)", "int"),
                        ("moved_out", "Chuyển đi (trong tỉnh)", "int"), ("died", "Từ trần", "int"),
                        ("removed", "Xóa tên", "int"), ("resigned", "Xin ra khỏi Đảng", "int"),
                        ("expelled", "Khai trừ", "int"), ("closing", "Cuối kỳ", "int"),
                        ("reconciles", "Khớp số liệu", "met")],
    "warnings": [("label_vi", "Cảnh báo", "text"), ("unit_name", "Tổ chức đảng", "text"),
                 ("org_unit_id", "Mã tổ chức", "text"), ("member_id", "Mã đảng viên", "text"),
                 ("value", "Số lần / ngày", "int"), ("level", "Mức", "level")],
    "evaluation": UNIT + [("label_vi", "Chỉ tiêu", "text"), ("actual", "Thực hiện", "int"),
                          ("target", "Chỉ tiêu đăng ký", "int"), ("met", "Đạt", "met"),
                          ("previous", "Kỳ trước", "int"), ("change_pct", "Tăng/giảm", "change")],
    "meetings": [("name", "Chi bộ", "text"), ("org_unit_id", "Mã tổ chức", "text"),
                 ("regular_held", "Sinh hoạt thường kỳ", "int"), ("regular_expected", "Phải tổ chức", "int"),
                 ("thematic_held", "Sinh hoạt chuyên đề", "int"),
                 ("thematic_expected", "Phải tổ chức (chuyên đề)", "int"),
                 ("attendance_rate", "Tỷ lệ dự họp", "percent"), ("unexcused", "Vắng không lý do", "int"),
                 ("meetings_meeting_standard", "Buổi đạt chuẩn (HD 12)", "int"),
                 ("meetings_too_short", "Buổi quá ngắn", "int"),
                 ("meetings_absent_in_a_row", "Vắng liên tiếp", "int"),
                 ("committee_member_attended", "Buổi có cấp ủy viên cấp trên dự", "int")],
    "causes": [("label_vi", "Nhóm", "text"), ("removed", "Xóa tên", "int"), ("resigned", "Xin ra khỏi Đảng", "int"),
               ("expelled", "Khai trừ", "int"), ("disciplined", "Bị kỷ luật", "int")],
    "headcount": UNIT + [("kind", "Loại tổ chức", "kind"), ("own", "Trực tiếp", "int"),
                         ("total", "Tổng (cộng dồn cấp dưới)", "int")],
    "composition": [("label_vi", "Cơ cấu", "text"), ("value", "Số đảng viên", "int")],
    "anomalies": [("label_vi", "Bất thường", "text"), ("subject_id", "Đối tượng", "text"),
                  ("org_unit_id", "Mã tổ chức", "text"), ("occurred_on", "Ngày", "date"),
                  ("value", "Giá trị", "number"), ("limit", "Ngưỡng", "number")],
}
#: a report's second table, on its own sheet
EXTRA = {"evaluation": ("ratings", "Xếp loại", UNIT + [
    ("sub_units", "Số tổ chức trực thuộc", "int"), ("sub_units_disciplined", "Số bị kỷ luật", "int"),
    ("share_pct", "Tỷ lệ bị kỷ luật", "percent")])}

LEVELS_VI = {"warning": "Cảnh báo", "removal_ground": "Đủ căn cứ xóa tên", "overdue": "Quá hạn",
             "screening": "Diện sàng lọc"}
STRUCTURE_VI = {"as_stood": "theo cơ cấu tại thời điểm phát sinh dữ kiện", "current": "theo cơ cấu tổ chức hiện nay"}

#: headers of the fields of other queries' rows (beside ``shared.labels.FIELD_VI``)
MORE_FIELDS_VI = {"own": "Trực tiếp", "total": "Tổng", "depth": "Cấp", "value": "Giá trị", "label_vi": "Nội dung",
                  "unit_name": "Tổ chức đảng", "level": "Mức", "type": "Sự kiện", "recorded_at": "Ghi nhận lúc",
                  "occurred_on_vi": "Ngày hiệu lực", "source": "Nguồn", "actor": "Người ghi", "count": "Số lượng",
                  "subject_id": "Đối tượng", "subject_kind": "Loại đối tượng", "form": "Hình thức",
                  "post": "Chức vụ", "decided_on": "Ngày quyết định", "admitted_on": "Ngày vào Đảng",
                  "member_count": "Số đảng viên", "age": "Tuổi", "left_on": "Ngày ra khỏi Đảng",
                  # the envelope's fields (a member's audit trail, the event log)
                  "event_id": "Mã sự kiện", "stream": "Luồng sự kiện", "stream_version": "Thứ tự trong luồng",
                  "position": "Vị trí trong nhật ký", "schema_version": "Phiên bản lược đồ",
                  "correlation_id": "Mã yêu cầu", "causation_id": "Sự kiện dẫn đến",
                  "hash": "Mã băm", "prev_hash": "Mã băm trước", "data": "Nội dung",
                  # the parameters of a query, named in an export's title lines
                  "on": "Ngày", "as_of": "Số liệu đến ngày", "known_at": "Dữ kiện ghi nhận đến",
                  "structure": "Cơ cấu tổ chức", "term": "Nhiệm kỳ", "compare": "So với", "from": "Từ ngày",
                  "to": "Đến ngày", "q": "Tìm", "codes": "Mã", "limit": "Số dòng tối đa",
                  # the fields of the other lists an export draws (discipline cases, rosters, the tree, …)
                  "active": "Đang sinh hoạt", "announced_on": "Ngày công bố", "annulled_on": "Ngày hủy bỏ",
                  "appeal_pending": "Đang khiếu nại", "appealed_on": "Ngày khiếu nại",
                  "election_barred_until": "Không được bầu cử đến ngày", "lapses_on": "Ngày hết hiệu lực",
                  "original_form": "Hình thức ban đầu", "violation_on": "Ngày vi phạm",
                  "attendance_rate": "Tỷ lệ dự họp (%)", "meetings": "Các buổi sinh hoạt",
                  "regular": "Sinh hoạt thường kỳ", "thematic": "Sinh hoạt chuyên đề", "held_on": "Ngày họp",
                  "expected": "Phải dự họp", "temporary": "Sinh hoạt tạm thời", "exempt": "Miễn sinh hoạt",
                  "working_away": "Đi làm ăn xa", "children": "Tổ chức trực thuộc", "created_on": "Ngày thành lập",
                  "kind_vi": "Loại hình", "parent_name": "Cấp trên", "item": "Việc quá hạn",
                  "days_overdue": "Số ngày quá hạn", "personal_data_shredded": "Đã xóa dữ liệu cá nhân",
                  "checked_at": "Kiểm tra lúc", "checksum": "Mã kiểm tra", "generation": "Lần dựng lại",
                  "positions": "Vị trí đã đọc", "ok": "Kết quả", "sources": "Các kho sự kiện",
                  "state": "Trạng thái"}
#: parameters that are no part of what the file shows (never a title line)
UNTITLED_PARAMS = ("reason", "format", "page", "page_size")

#: the number formats of the XLSX cells
NUMBER_FORMATS = {"int": "#,##0", "number": "#,##0.##", "percent": "0.00%", "change": "+0.00%;-0.00%;0.00%",
                  "date": "dd/mm/yyyy", "moment": "dd/mm/yyyy hh:mm:ss"}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
#: what a spreadsheet runs as a formula when a cell starts with it (OWASP, "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a recording time as the CSV writes it and the screen shows it
MOMENT_SHOWN = "%d/%m/%Y %H:%M:%S"
#: the header's note on a column of recording times
VN_CLOCK = " (giờ Việt Nam)"


@dataclass
class Table:
    """One sheet: its name, the title lines above it, the columns (key, header, kind) and the rows."""
    name: str
    titles: list[str]
    columns: list[tuple[str, str, str]]
    rows: list[dict] = field(default_factory=list)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _moment(value: Any) -> dt.datetime | None:
    """An ISO recording time as a date-time on Viet Nam's clock (a spreadsheet knows no zones)."""
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return vn.local_time(value).replace(tzinfo=None)
        except (ValueError, OverflowError):  # 9999-12-31T23:59:59Z, "everything recorded", has no day there
            return None
    return None


def typed(value: Any, kind: str) -> Any:
    """The value as a spreadsheet cell holds it: numbers stay numbers, percentages become fractions,
    ISO days become dates, codes and yes/no become Vietnamese words."""
    if value is None:
        return None
    if kind in ("percent", "change"):
        return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value / 100
    if kind == "date":
        return _day(value) or value
    if kind == "moment":
        return _moment(value) or value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # a list of names or codes
        return "; ".join(CODE_VI.get(kind, {}).get(v, v) for v in value)
    if kind == "met":
        return vn.met(bool(value))
    if isinstance(value, bool):
        return vn.yes(value)
    if kind == "level" and isinstance(value, str):
        return LEVELS_VI.get(value, value)
    if kind == "kind" and isinstance(value, str):
        return value_vi("kind", value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if kind in CODE_VI and isinstance(value, str):
        return CODE_VI[kind].get(value, value)
    return value


def shown(value: Any, kind: str) -> str:
    """The value as a person reads it on screen: 1.234, 11,54 %, +5,26 % (a sign only on changes), dd/mm/yyyy."""
    if value is None:
        return vn.DASH
    if kind == "change":
        return vn.change(value) + " %"
    if kind == "percent":
        return vn.number(value) + " %"
    v = typed(value, kind)
    if isinstance(v, dt.datetime):
        return v.strftime(MOMENT_SHOWN)
    if isinstance(v, dt.date):
        return vn.date(v)
    if isinstance(v, (int, float)):
        return vn.number(v, 0 if isinstance(v, int) else 2)
    return str(v)


def _generic_kind(key: str, rows: list[dict]) -> str:
    values = [r.get(key) for r in rows if r.get(key) is not None]
    if values and all(_day(v) for v in values):
        return "date"
    if values and all(_moment(v) for v in values):
        return "moment"
    if key in CODE_VI and all(isinstance(v, str) or isinstance(v, list) for v in values):
        return key  # a coded value (or a list of them), shown in Vietnamese words
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def header_vi(key: str) -> str:
    return MORE_FIELDS_VI.get(key) or FIELD_VI.get(key) or key


def rows_of(result: Any) -> list[dict]:
    """A list of flat dicts from whatever shape a query answers (a list, or a dict holding one)."""
    if isinstance(result, dict):
        for key in ("rows", "items", "result"):
            if isinstance(result.get(key), list):
                return rows_of(result[key])
        return [result]
    if isinstance(result, list):
        return [r if isinstance(r, dict) else {"value": r} for r in result]
    return [{"value": result}]


def title_lines(report: dict) -> list[str]:
    """What the file is: the report, the unit with its code, the period, both clocks, the structure."""
    name = report.get("report", "")
    unit = report.get("unit_name") or "Toàn tỉnh"
    if report.get("org_unit_id"):
        unit += f" (mã {report['org_unit_id']})"
    lines = [TITLES_VI.get(name, name), f"Tổ chức đảng: {unit}"]
    period = report.get("period_vi") or (f"Năm {report['year']}" if report.get("year") else "") or (
        f"Xếp loại năm {report['rating_year']}" if report.get("rating_year") else "")
    if report.get("compare_vi"):
        period += f" — so với {report['compare_vi']}"
    elif report.get("compare"):
        period += f" — so với {report['compare']}"
    if period:
        lines.append(f"Kỳ báo cáo: {period}")
    if report.get("as_of"):
        lines.append(f"Số liệu đến ngày: {vn.date(report['as_of'])}")
    lines.append(f"Dữ kiện ghi nhận đến: {vn.moment(report.get('known_at'))}")
    if report.get("structure") in STRUCTURE_VI:
        lines.append(f"Cơ cấu tổ chức: {STRUCTURE_VI[report['structure']]}")
    return lines


def tables(result: Any, name: str = "", title_vi: str | None = None, params: dict | None = None,
           integrity: dict | None = None) -> list[Table]:
    """The sheets of a query's answer: a report's own layout, or the fields of any other list;
    the integrity warning (``integrity``, or the report's own) is the last title line."""
    alarm = warning(result, integrity)
    if isinstance(result, dict) and result.get("report") in COLUMNS:
        report = result["report"]
        titles = title_lines(result) + ([alarm] if alarm else [])
        out = [Table(TITLES_VI[report], titles, COLUMNS[report], list(result.get("rows") or []))]
        if report in EXTRA and result.get(EXTRA[report][0]):
            key, sheet, cols = EXTRA[report]
            out.append(Table(sheet, [f"{titles[0]} — {sheet}", *titles[1:]], cols, list(result[key])))
        return out
    rows = rows_of(result)
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    titles = [title_vi or TITLES_VI.get(name, name)]
    for key, value in (params or {}).items():
        if value not in (None, "") and key not in UNTITLED_PARAMS:
            moment = isinstance(value, str) and ISO_MOMENT.match(value)
            shown_value = vn.date(value) if _day(value) else vn.moment(value) if moment else (
                STRUCTURE_VI.get(value, str(value)) if key == "structure" else str(value))
            titles.append(f"{header_vi(key)}: {shown_value}")
    titles.append(f"Xuất lúc: {vn.moment(dt.datetime.now(dt.timezone.utc).isoformat())}")
    if alarm:
        titles.append(alarm)
    kinds = {k: "text" if k.endswith("_id") else _generic_kind(k, rows) for k in keys}
    return [Table(title_vi or TITLES_VI.get(name, name) or "Bảng", titles,
                  [(k, header_vi(k) + (VN_CLOCK if kinds[k] == "moment" else ""), kinds[k]) for k in keys], rows)]


def sheet_name(text: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Bảng"
    out, n = base, 2
    while out in taken:
        out = f"{base[:28]} ({n})"
        n += 1
    return out


def _safe_text(value: Any) -> Any:
    """A name is never a formula (spreadsheet injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _width(value: Any, kind: str) -> int:
    return len(shown(value, kind)) if value is not None else 1


def to_xlsx(result: Any, name: str = "", title_vi: str | None = None, params: dict | None = None,
            integrity: dict | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    alarm = warning(result, integrity)
    for t in tables(result, name, title_vi, params, integrity):
        ws = wb.create_sheet(sheet_name(t.name, taken))
        taken.add(ws.title)
        for i, line in enumerate(t.titles, 1):
            red = line == alarm  # the warning in bold red, as the yearly document prints it
            ws.cell(row=i, column=1, value=line).font = Font(bold=(i == 1 or red), size=14 if i == 1 else 11,
                                                             color="C00000" if red else None)
        head_row = len(t.titles) + 2
        widths = []
        for c, (_, header, kind) in enumerate(t.columns, 1):
            cell = ws.cell(row=head_row, column=c, value=header)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            widths.append(len(header))
        for r, row in enumerate(t.rows, head_row + 1):
            for c, (key, _, kind) in enumerate(t.columns, 1):
                raw = row.get(key)
                value = typed(raw, kind)
                cell = ws.cell(row=r, column=c)
                if isinstance(value, str):
                    cell.value = value
                    cell.data_type = "s"  # stored as text even when it starts like a formula
                else:
                    cell.value = value
                if kind in NUMBER_FORMATS and not isinstance(value, str):
                    cell.number_format = NUMBER_FORMATS[kind]
                widths[c - 1] = max(widths[c - 1], _width(raw, kind))
        last_col = get_column_letter(max(1, len(t.columns)))
        last_row = head_row + max(1, len(t.rows))
        for c, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), 60)
        ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
        ws.auto_filter.ref = f"A{head_row}:{last_col}{last_row}"
        ws.print_title_rows = f"{head_row}:{head_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    v = typed(value, kind) if kind not in ("percent", "change") else value  # CSV keeps percentage points
    if isinstance(v, dt.datetime):
        return v.strftime(MOMENT_SHOWN)
    if isinstance(v, dt.date):
        return vn.date(v)
    return _safe_text(v)


def to_csv(result: Any, name: str = "", title_vi: str | None = None, params: dict | None = None,
           integrity: dict | None = None) -> bytes:
    """The first table: its header row and rows, no title lines (a file other programs read as is)
    — unless the figures come from a store failing verification: then the warning comes first,
    on its own line, so neither a person nor a program takes the file as clean."""
    t = tables(result, name, title_vi, params, integrity)[0]
    buf = io.StringIO()
    w = csv.writer(buf)
    alarm = warning(result, integrity)
    if alarm:
        w.writerow([alarm])
    w.writerow([h + (" (%)" if kind in ("percent", "change") else "") for _, h, kind in t.columns])
    for row in t.rows:
        w.writerow([csv_value(row.get(k), kind) for k, _, kind in t.columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def render(result: Any, fmt: str, name: str = "", title_vi: str | None = None, params: dict | None = None,
           integrity: dict | None = None) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: xlsx | csv")
    return (to_xlsx if fmt == "xlsx" else to_csv)(result, name, title_vi, params, integrity)
