"""The one export writer (documents/tables.py), read back as Excel reads it (openpyxl)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel, Field, ValidationError

from documents import tables
from shared.errors import from_validation_error

TERM = {"report": "term", "org_unit_id": "TN", "unit_name": "Đảng bộ tỉnh Tây Ninh", "as_of": "2025-12-31",
        "known_at": "2026-01-05T10:00:00Z", "structure": "current", "period_vi": "Nhiệm kỳ 2020-2025",
        "compare_vi": "Nhiệm kỳ 2015-2020",
        "rows": [{"indicator": "members_admitted", "label_vi": "Đảng viên được kết nạp", "value": 29, "previous": 26,
                  "change_pct": 11.54},
                 {"indicator": "members_removed", "label_vi": "Đảng viên bị xóa tên", "value": 3, "previous": 4,
                  "change_pct": -25.0},
                 {"indicator": "orgs_disciplined", "label_vi": "Tổ chức đảng bị xử lý kỷ luật", "value": 1,
                  "previous": 0, "change_pct": None}]}


def sheet(result, name="") -> tuple:
    ws = load_workbook(io.BytesIO(tables.to_xlsx(result, name))).active
    head = next(r[0].row for r in ws.iter_rows() if r[0].value in ("Chỉ tiêu", "Đảng viên", "Tổ chức đảng", "Cảnh báo"))
    return ws, head


def test_a_report_has_title_rows_vietnamese_headers_and_real_numbers():
    ws, h = sheet(TERM)
    assert ws.title == "Thống kê nhiệm kỳ, năm"
    assert [ws.cell(row=i, column=1).value for i in range(1, 7)] == [
        "Thống kê nhiệm kỳ, năm", "Tổ chức đảng: Đảng bộ tỉnh Tây Ninh (mã TN)",
        "Kỳ báo cáo: Nhiệm kỳ 2020-2025 — so với Nhiệm kỳ 2015-2020", "Số liệu đến ngày: 31/12/2025",
        "Dữ kiện ghi nhận đến: 17:00:00 05/01/2026 (giờ Việt Nam, UTC+7)", "Cơ cấu tổ chức: theo cơ cấu tổ chức hiện nay"]
    assert [c.value for c in ws[h]] == ["Chỉ tiêu", "Kỳ này", "Kỳ so sánh", "Tăng/giảm"]
    admitted = ws[h + 1]
    assert [c.value for c in admitted] == ["Đảng viên được kết nạp", 29, 26, pytest.approx(0.1154)]
    assert admitted[1].data_type == "n" and admitted[1].number_format == "#,##0"
    assert admitted[3].number_format == "+0.00%;-0.00%;0.00%"  # 0.1154 shows +11,54 % in a Vietnamese Excel
    assert ws.cell(row=h + 2, column=4).value == pytest.approx(-0.25)
    assert ws.cell(row=h + 3, column=4).value is None  # nothing to compare with: an empty cell, not 0


def test_the_sheet_is_ready_to_filter_scroll_and_print():
    ws, h = sheet(TERM)
    assert ws.freeze_panes == f"A{h + 1}"
    assert ws.auto_filter.ref == f"A{h}:D{h + 3}"
    assert ws.print_title_rows == f"${h}:${h}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["A"].width >= len("Tổ chức đảng bị xử lý kỷ luật")
    assert ws.column_dimensions["B"].width < ws.column_dimensions["A"].width  # widths follow the content


def test_codes_are_translated_and_units_carry_their_code():
    report = {"report": "warnings", "unit_name": "Toàn tỉnh", "year": 2025, "as_of": "2025-12-31",
              "rows": [{"list": "unpaid_dues", "label_vi": "Tháng chưa đóng đảng phí trong năm", "member_id": "M1",
                        "org_unit_id": "TN-D1-G1-C3", "unit_name": "Chi bộ Khu phố 3", "value": 3,
                        "level": "removal_ground"}]}
    ws, h = sheet(report)
    assert [c.value for c in ws[h + 1]] == ["Tháng chưa đóng đảng phí trong năm", "Chi bộ Khu phố 3", "TN-D1-G1-C3",
                                            "M1", 3, "Đủ căn cứ xóa tên"]


def test_any_list_gets_vietnamese_headers_date_cells_and_no_formulas():
    rows = [{"member_id": "M1", "full_name": "Võ Thị Lan", "admitted_on": "2021-05-03"},
            {"member_id": "M2", "full_name": "=HYPERLINK(\"http://x\")", "admitted_on": "2021-06-01"}]
    ws, h = sheet(rows, "unit_members")
    assert [c.value for c in ws[h]] == ["Đảng viên", "Họ và tên", "Ngày vào Đảng"]
    day = ws.cell(row=h + 1, column=3)
    assert day.value == dt.datetime(2021, 5, 3) and day.number_format == "dd/mm/yyyy"
    assert ws.cell(row=h + 2, column=2).data_type == "s"  # text, never evaluated


def test_csv_is_the_header_and_the_rows_with_a_bom():
    body = tables.to_csv(TERM)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == [
        "Chỉ tiêu,Kỳ này,Kỳ so sánh,Tăng/giảm (%)", "Đảng viên được kết nạp,29,26,11.54",
        "Đảng viên bị xóa tên,3,4,-25.0", "Tổ chức đảng bị xử lý kỷ luật,1,0,"]
    members = tables.to_csv([{"member_id": "M2", "full_name": "=cmd()", "admitted_on": "2021-06-01"}]).decode("utf-8-sig")
    assert members.splitlines()[1] == "M2,'=cmd(),01/06/2021"


@pytest.mark.parametrize("value,kind,text", [(11.54, "change", "+11,54 %"), (-25.0, "change", "-25 %"),
                                             (0.0, "change", "0 %"), (93.75, "percent", "93,75 %"),
                                             (1234, "int", "1.234"), (None, "change", "—"),
                                             ("2021-05-03", "date", "03/05/2021")])
def test_on_screen_only_changes_carry_a_sign(value, kind, text):
    assert tables.shown(value, kind) == text


def test_pydantic_errors_read_in_vietnamese_and_english():
    class Q(BaseModel):
        org_unit_id: str = Field(max_length=64)
        year: int

    with pytest.raises(ValidationError) as caught:
        Q(org_unit_id="X" * 65, year="abc")
    err = from_validation_error(caught.value)
    assert err.message_vi == "Giá trị của «org_unit_id» không hợp lệ: dài quá 64 ký tự"
    assert err.message_en == "Invalid value for 'org_unit_id': must have at most 64 characters"
    assert err.details["errors"][1] == {"field": "year", "message": "must be a whole number",
                                        "message_vi": "phải là số nguyên", "message_en": "must be a whole number"}
