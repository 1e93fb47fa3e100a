"""Report files (pure: report JSON → bytes): CSV with a BOM and XLSX with real numbers, Vietnamese
headings and a title row naming the unit, the period and the knowledge time (DOMAIN.md §7).

Pure functions with no service dependencies, so the CLI renders files from the JSON it received
(what the caller was allowed to read) and the gateway may reuse them as a library.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

TITLES_VI = {"term": "Thống kê nhiệm kỳ / năm", "movement": "Biến động đảng viên",
             "warnings": "Danh sách cảnh báo sớm", "evaluation": "Tiêu chí đánh giá",
             "meetings": "Chất lượng sinh hoạt chi bộ", "causes": "Nguyên nhân theo đối tượng",
             "anomalies": "Bất thường cần kiểm tra", "headcount": "Số lượng đảng viên",
             "composition": "Cơ cấu đảng viên"}

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "term": [("label_vi", "Chỉ tiêu"), ("value", "Kỳ này"), ("previous", "Kỳ so sánh"), ("change_pct", "Tăng/giảm (%)")],
    "movement": [("name", "Tổ chức đảng"), ("opening", "Đầu kỳ"), ("admitted", "Kết nạp"),
                 ("transferred_in", "Chuyển đến"), ("moved_in", "Chuyển đến (trong tỉnh)"),
                 ("transferred_out", "Chuyển đi"), ("moved_out", "Chuyển đi (trong tỉnh)"), ("died", "Từ trần"),
                 ("removed", "Xóa tên"), ("resigned", "Xin ra khỏi Đảng"), ("expelled", "Khai trừ"),
                 ("closing", "Cuối kỳ")],
    "warnings": [("label_vi", "Cảnh báo"), ("unit_name", "Tổ chức đảng"), ("member_id", "Mã đảng viên"),
                 ("value", "Số lần / ngày"), ("level", "Mức")],
    "evaluation": [("name", "Tổ chức đảng"), ("label_vi", "Chỉ tiêu"), ("actual", "Thực hiện"),
                   ("target", "Chỉ tiêu đăng ký"), ("met", "Đạt"), ("previous", "Kỳ trước"),
                   ("change_pct", "Tăng/giảm (%)")],
    "meetings": [("name", "Chi bộ"), ("regular_held", "SH thường kỳ"), ("regular_expected", "Phải tổ chức"),
                 ("thematic_held", "SH chuyên đề"), ("thematic_expected", "Phải tổ chức (chuyên đề)"),
                 ("attendance_rate", "Tỷ lệ dự họp (%)"), ("unexcused", "Vắng không lý do"),
                 ("meetings_meeting_standard", "Buổi đạt chuẩn HD 12")],
    "causes": [("label_vi", "Nhóm"), ("removed", "Xóa tên"), ("resigned", "Xin ra khỏi Đảng"),
               ("expelled", "Khai trừ"), ("disciplined", "Bị kỷ luật")],
    "headcount": [("name", "Tổ chức đảng"), ("own", "Trực tiếp"), ("total", "Tổng (cộng dồn cấp dưới)")],
    "composition": [("label_vi", "Cơ cấu"), ("value", "Số đảng viên")],
    "anomalies": [("label_vi", "Bất thường"), ("subject_id", "Đối tượng"), ("org_unit_id", "Tổ chức đảng"),
                  ("occurred_on", "Ngày"), ("value", "Giá trị"), ("limit", "Ngưỡng")],
}


LEVELS_VI = {"warning": "Cảnh báo", "removal_ground": "Đủ căn cứ xóa tên", "overdue": "Quá hạn",
             "screening": "Diện sàng lọc"}


def vn_value(value: Any) -> Any:
    if value is True:
        return "Đạt"
    if value is False:
        return "Không đạt"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula (spreadsheet injection)
    return value


def title_lines(report: dict) -> list[str]:
    """Unit, period and both clocks: an exported file says exactly what it is."""
    name = report.get("report", "")
    period = report.get("period_vi") or (f"Năm {report['year']}" if report.get("year") else "") or (
        f"Xếp loại năm {report['rating_year']}" if report.get("rating_year") else "")
    if report.get("compare_vi"):
        period += f" — so với {report['compare_vi']}"
    known = report.get("known_at")
    known_vi = f"ghi nhận đến {known}" if known else "mọi dữ kiện đã ghi nhận"
    structure = {"as_stood": "cơ cấu tổ chức tại thời điểm phát sinh", "current": "cơ cấu tổ chức hiện nay"}.get(
        report.get("structure"))
    lines = [f"{TITLES_VI.get(name, name)} — {report.get('unit_name', '')}",
             f"{period} — số liệu đến ngày {report.get('as_of_vi', '')}, {known_vi}"
             + (f", {structure}" if structure else "")]
    flag = report.get("integrity")
    if isinstance(flag, dict) and flag.get("intact") is False:
        lines.append(f"{flag.get('message_vi', '')} / {flag.get('message_en', '')}")
    return lines


def table(report: dict) -> tuple[list[str], list[list[Any]]]:
    cols = COLUMNS.get(report.get("report", ""), [])
    if not cols and report.get("rows"):
        cols = [(k, k) for k in report["rows"][0]]
    head = [h for _, h in cols]
    body = [[vn_value(LEVELS_VI.get(r.get(k), r.get(k)) if k == "level" else r.get(k)) for k, _ in cols]
            for r in report.get("rows", [])]
    return head, body


def to_csv(report: dict) -> bytes:
    head, body = table(report)
    buf = io.StringIO()
    w = csv.writer(buf)
    for line in title_lines(report):
        w.writerow([line])
    w.writerow(head)
    w.writerows(body)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheets read the diacritics as UTF-8


def to_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    head, body = table(report)
    wb = Workbook()
    ws = wb.active
    ws.title = (report.get("report") or "report")[:31]
    for i, line in enumerate(title_lines(report)):
        ws.append([line])
        ws.cell(row=i + 1, column=1).font = Font(bold=(i == 0), size=13 if i == 0 else 11)
    ws.append(head)
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    for row in body:
        ws.append(row)  # ints and floats stay numbers
    ws.column_dimensions["A"].width = 42
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
