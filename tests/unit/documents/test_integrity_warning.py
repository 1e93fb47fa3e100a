"""Every export of figures drawn while a source store fails integrity verification carries the
bilingual warning — the headcount tree in list form as well as the reports, CSV as well as XLSX —
through one function (``documents.integrity``), the one the yearly DOCX/PDF uses too."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from documents import tables
from documents.integrity import warning
from documents.yearly.document import integrity_warning

FLAG = {"intact": False, "failing_sources": ["members"], "unverified_sources": [],
        "message_vi": "CẢNH BÁO: kho sự kiện members không qua kiểm tra toàn vẹn — số liệu có thể đã bị sửa",
        "message_en": "WARNING: event store members fails integrity verification — figures may have been tampered with"}
LINE = f"{FLAG['message_vi']} / {FLAG['message_en']}"
#: reporting/headcount without pages: a list (its flag rides in the answer's envelope)
TREE = [{"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province", "own": 0, "total": 3, "depth": 0},
        {"org_unit_id": "G1", "name": "Chi bộ xã Thạnh Đức", "kind": "grassroots_cell", "own": 3, "total": 3,
         "depth": 1}]
REPORT = {"report": "headcount", "org_unit_id": "TN", "unit_name": "Đảng bộ tỉnh", "as_of": "2025-12-31",
          "rows": TREE}


def csv_lines(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_titles(body: bytes) -> list:
    ws = load_workbook(io.BytesIO(body)).active
    return [ws.cell(row=i, column=1) for i in range(1, 12)]


def test_the_headcount_tree_exported_while_a_store_fails_says_so_in_csv_and_xlsx():
    for fmt in ("csv", "xlsx"):
        body = tables.render(TREE, fmt, "headcount", "Số lượng đảng viên", {"org_unit_id": "TN"}, integrity=FLAG)
        if fmt == "csv":
            lines = csv_lines(body)
            assert lines[0] == [LINE] and lines[1][:2] == ["Tổ chức đảng", "Tên"]  # then the header, the rows
            assert len(lines) == 2 + len(TREE)
        else:
            cell = next(c for c in xlsx_titles(body) if c.value == LINE)
            assert cell.font.bold and cell.font.color.rgb.endswith("C00000")


def test_a_report_csv_carries_the_warning_the_report_holds():
    lines = csv_lines(tables.to_csv({**REPORT, "integrity": FLAG}))
    assert lines[0] == [LINE] and lines[1][0] == "Tổ chức đảng"
    assert LINE in [c.value for c in xlsx_titles(tables.to_xlsx({**REPORT, "integrity": FLAG}))]


def test_intact_figures_have_no_warning_line():
    for result, flag in ((TREE, None), (REPORT, None), ({**REPORT, "integrity": None}, None),
                         (TREE, {"intact": True})):
        assert csv_lines(tables.render(result, "csv", "headcount", integrity=flag))[0][0] == "Tổ chức đảng"
        assert not any("CẢNH BÁO" in str(c.value) for c in xlsx_titles(tables.render(result, "xlsx", "headcount",
                                                                                        integrity=flag)))


def test_the_yearly_document_and_the_exports_print_the_same_line():
    assert warning(REPORT, FLAG) == warning({**REPORT, "integrity": FLAG}) == LINE
    assert integrity_warning({"integrity": FLAG}) == LINE and integrity_warning({}) is None
    assert warning(TREE) is None and warning(REPORT, {"intact": True}) is None
