"""A district clerk's real member list through the planner: real XLSX/CSV bytes read by ``table.read``
and planned against a small system (the units under the target, the members on the roll).

What a clerk checks: a bad cell is refused naming its sheet cell (column and row) in Vietnamese and
English; an identity number keeps its leading zero or is refused, never changed silently.
"""
from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from openpyxl import Workbook

from services.gateway.sheets import table
from services.gateway.sheets.plan import Options, plan

TODAY = dt.date(2026, 12, 2)
UNITS = [{"org_unit_id": "D1", "name": "Đảng bộ Xã Một", "kind": "grassroots_committee", "parent_id": None},
         {"org_unit_id": "C1", "name": "Chi bộ Ấp Một", "kind": "cell", "parent_id": "D1"}]
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Số CCCD", "Số thẻ đảng viên", "Chi bộ"]


class System:
    def __init__(self, members=()):
        self._members = {m["member_id"]: m for m in members}

    def units(self):
        return UNITS

    def member(self, member_id):
        return self._members.get(member_id)

    def members_of(self, unit):
        return [m for m in self._members.values() if m["org_unit_id"] == unit]

    def case(self, case_id):
        return None


def xlsx(*rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(name="Nguyễn Văn An", birth="05/06/1985", cccd="079085001234", card="01000001", cell="Chi bộ Ấp Một",
        admitted="01/01/2010"):
    return [1, name, birth, "Nam", admitted, cccd, card, cell]


def planned(content: bytes, filename="ds.xlsx", members=()):
    grid = table.read(content, filename)
    return plan(grid, Options(kind="members", into="D1", filename=filename, file_hash="ab" * 32, today=TODAY),
                System(members))


def admitted(p):
    return [line["data"] for line in p.lines if line["type"] == "member.admitted"]


@pytest.mark.parametrize("birth,code", [
    ("31/02/2020", "invalid_date"), ("00/01/2020", "invalid_date"), ("32/01/1985", "invalid_date"),
    ("13/13/1985", "invalid_date"), ("05/13/1985", "ambiguous_date"), ("1/1/20", "ambiguous_date"),
    ("05/06/2085", "date_out_of_range"), ("ngày 5 tháng 6", "invalid_date"),
])
def test_a_bad_date_is_refused_naming_its_cell_in_both_languages(birth, code):
    p = planned(xlsx(["DANH SÁCH ĐẢNG VIÊN"], HEADER, row(birth=birth)))
    assert [(r["cell"], r["code"], r["field"]) for r in p.refused] == [("DS!C3", code, "birth_date")]
    assert p.refused[0]["message_vi"] and p.refused[0]["message_en"] and not p.lines


@pytest.mark.parametrize("birth", ["05/06/1985", "5/6/1985", "5/6/85", "05-06-1985", "05.06.1985", "1985-06-05",
                                   dt.datetime(1985, 6, 5), (dt.date(1985, 6, 5) - dt.date(1899, 12, 30)).days])
def test_dates_as_text_as_excel_cells_and_as_serials_read_the_same(birth):
    p = planned(xlsx(HEADER, row(birth=birth)))
    assert not p.refused
    assert admitted(p)[0]["birth_date"] == "1985-06-05"


def test_headers_with_diacritics_or_not_any_case_extra_spaces_nfd_below_title_rows():
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731 — a file made on a Mac
    header = [nfd(h) for h in ["  họ   VÀ  tên ", "NGAY SINH", "Giới Tính", "ngày vào đảng (dd/mm/yyyy)", "CHI BO"]]
    p = planned(xlsx(["ĐẢNG BỘ XÃ MỘT"], [None], header, [nfd("Nguyễn Văn An"), "05/06/1985", "Nam", "01/01/2010",
                                                             nfd("chi bộ ấp một")]))
    assert not p.refused
    (data,) = admitted(p)
    assert data["full_name"] == unicodedata.normalize("NFC", "Nguyễn Văn An") and data["org_unit_id"] == "C1"


def test_empty_trailing_rows_are_not_rows():
    p = planned(xlsx(HEADER, row(), [None] * 8, [None, "   ", None, ""], []))
    assert not p.refused and p.rows == 1 and len(admitted(p)) == 1


def test_a_cccd_written_as_text_keeps_its_leading_zero_in_xlsx_and_csv():
    assert admitted(planned(xlsx(HEADER, row())))[0]["citizen_id"] == "079085001234"
    csv = ",".join(HEADER) + "\n" + ",".join(str(v) for v in row()) + "\n"
    assert admitted(planned(csv.encode("utf-8"), "ds.csv"))[0]["citizen_id"] == "079085001234"


@pytest.mark.parametrize("cccd", [79085001234, "79085001234", "0790850012345", "07908500123A"])
def test_a_cccd_that_is_not_twelve_digits_is_refused_naming_its_cell(cccd):
    """A number cell has dropped the CCCD's leading zero: refused, not stored as another number
    (a live admission refuses anything but 12 digits)."""
    p = planned(xlsx(HEADER, row(cccd=cccd)))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!F2", "invalid_citizen_id")]
    assert "12" in p.refused[0]["message_vi"] and "12" in p.refused[0]["message_en"] and not p.lines


@pytest.mark.parametrize("card", ["1000001", "010000011", "0100000A"])
def test_a_card_number_that_is_not_eight_digits_is_refused_naming_its_cell(card):
    p = planned(xlsx(HEADER, row(card=card)))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!G2", "invalid_card_number")]


def test_a_card_typed_as_a_number_gets_its_zero_back():
    assert admitted(planned(xlsx(HEADER, row(card=1000001))))[0]["card_number"] == "01000001"


def test_the_same_cccd_twice_in_the_file_is_refused_naming_both_rows():
    p = planned(xlsx(HEADER, row(), row(name="Trần Thị Bình", card="01000002", birth="01/01/1990")))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!F3", "duplicate_in_file")]
    assert "DS!2" in p.refused[0]["message_vi"] and "DS!2" in p.refused[0]["message_en"]


def test_the_same_card_twice_in_the_file_is_refused_naming_both_rows():
    p = planned(xlsx(HEADER, row(), row(name="Trần Thị Bình", cccd="079090001234", birth="01/01/1990")))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!G3", "duplicate_in_file")]
    assert "DS!2" in p.refused[0]["message_vi"]


@pytest.mark.parametrize("cell", ["Chi bộ Ấp Khác", "C1", "Chi bộ Ấp Một Xã Khác"])
def test_a_cell_not_under_the_target_is_refused_and_nothing_planned(cell):
    p = planned(xlsx(HEADER, row(cell=cell)))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!H2", "unit_not_found")] and not p.lines


def test_a_birth_date_differing_from_the_roll_names_the_birth_date_cell():
    on_roll = {"member_id": "dv-x", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1970-01-01",
               "status": "official", "card_number": "01000001"}
    p = planned(xlsx(HEADER, row()), members=[on_roll])
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!C2", "differs_from_record")]


def test_a_member_already_on_the_roll_is_not_admitted_again():
    on_roll = {"member_id": "dv-x", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1985-06-05",
               "status": "official", "card_number": "01000001", "citizen_id": "079085001234"}
    p = planned(xlsx(HEADER, row(card="")), members=[on_roll])
    assert not p.refused and not admitted(p) and p.unchanged == 1


def test_the_same_file_planned_twice_gives_the_same_lines():
    content = xlsx(HEADER, row(), row(name="Trần Thị Bình", card="01000002", cccd="079090001234"))
    assert planned(content).lines == planned(content).lines


def test_formatted_empty_rows_below_the_list_do_not_count_against_the_row_limit(monkeypatch):
    """A clerk who put borders on the whole sheet: the file holds a styled empty cell in every row
    below the list. Those are not rows; the limit counts the rows that hold something."""
    from openpyxl.styles import Border, Side

    monkeypatch.setattr(table, "MAX_ROWS", 50)
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(HEADER)
    ws.append(row())
    thin = Border(bottom=Side(style="thin"))
    for r in range(3, 200):
        ws.cell(row=r, column=2).border = thin
    out = io.BytesIO()
    wb.save(out)
    p = planned(out.getvalue())
    assert not p.refused and p.rows == 1 and len(admitted(p)) == 1

    for r in range(3, 53):  # 52 rows holding something: over the limit, refused by name
        ws.cell(row=r, column=2, value=f"Người {r}")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(Exception) as refused:
        planned(out.getvalue())
    assert refused.value.code == "too_many_rows"


def test_the_same_card_as_a_number_cell_and_as_text_is_one_card():
    p = planned(xlsx(HEADER, row(), row(name="Trần Thị Bình", cccd="079090001234", card=1000001)))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!G3", "duplicate_in_file")]


def test_a_header_wrapped_on_two_lines_in_its_cell_is_recognised():
    header = ["STT", "Họ và\ntên", "Ngày\nsinh", "Giới\u00a0tính", "Ngày vào\nĐảng", "Số CCCD", "Số thẻ\nđảng viên",
              "Chi bộ"]
    p = planned(xlsx(header, row()))
    assert not p.refused and len(admitted(p)) == 1


def test_a_sheet_named_on_a_mac_is_found_by_the_name_typed_elsewhere():
    """A workbook saved on a Mac may hold its sheet names decomposed (NFD); ``--sheet "Năm 2024"``
    typed on Windows is composed (NFC). The same letters name the same sheet."""
    wb = Workbook()
    wb.active.title = "Khác"
    ws = wb.create_sheet(unicodedata.normalize("NFD", "Năm 2024"))
    ws.append(HEADER)
    ws.append(row())
    out = io.BytesIO()
    wb.save(out)
    grid = table.read(out.getvalue(), "ds.xlsx", unicodedata.normalize("NFC", "Năm 2024"))
    assert grid.sheet == unicodedata.normalize("NFC", "Năm 2024") and grid.ref(1, 5) == "Năm 2024!F2"


def saved(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_without_a_sheet_named_the_first_sheet_the_clerk_sees_is_read_not_a_hidden_one():
    """A workbook whose first sheet is hidden (a template, a lookup list the clerk never sees):
    "the first sheet" is the first visible one, the list the clerk looked at."""
    wb = Workbook()
    template = wb.active
    template.title = "Mẫu"
    template.append(HEADER)
    template.append(row(name="Người Mẫu", card="09999999", cccd="079000000000"))
    template.sheet_state = "hidden"
    hidden_too = wb.create_sheet("Tra cứu")
    hidden_too.append(HEADER)
    hidden_too.sheet_state = "veryHidden"
    listed = wb.create_sheet("DS")
    listed.append(HEADER)
    listed.append(row())
    p = planned(saved(wb))
    assert not p.refused and [d["full_name"] for d in admitted(p)] == ["Nguyễn Văn An"]
    assert table.read(saved(wb), "ds.xlsx").sheet == "DS"
    # named, a hidden sheet is read: the clerk asked for it
    assert table.read(saved(wb), "ds.xlsx", "Mẫu").rows[1][1] == "Người Mẫu"


def test_a_formula_the_file_holds_no_value_for_is_refused_by_name_not_read_as_an_empty_cell():
    """A list written by a program that does not compute formulas (openpyxl, a report generator)
    holds ``=DATE(1985,6,5)`` without its value. The cell is not empty: it is refused, naming the
    cell and telling the clerk to open and save the file in Excel or LibreOffice."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(HEADER)
    ws.append(row())
    second = row(name="Trần Thị Bình", card="01000002", cccd="079090001234")
    second[2] = "=DATE(1985,6,5)"
    ws.append(second)
    third = row(name=None, card="01000003", cccd="079090001235")
    third[1] = '="Lê "&"Văn Cường"'
    ws.append(third)
    p = planned(saved(wb))
    assert [(r["cell"], r["code"], r["field"]) for r in p.refused] == [
        ("DS!C3", "formula_not_computed", "birth_date"), ("DS!B4", "formula_not_computed", "full_name")]
    assert "công thức" in p.refused[0]["message_vi"] and "formula" in p.refused[0]["message_en"]
    assert "=DATE(1985,6,5)" in p.refused[0]["message_vi"]


def with_values_saved(content: bytes, values: dict[str, str]) -> bytes:
    """The workbook as Excel or LibreOffice saves it: each formula cell also holds its last value."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                for ref, value in values.items():
                    data = re.sub(rb'(<c r="' + ref.encode() + rb'"[^>]*><f>[^<]*</f>)<v></v>',
                                  rb"\1<v>" + value.encode() + rb"</v>", data)
            dst.writestr(item, data)
    return out.getvalue()


def test_a_formula_with_its_value_saved_reads_as_that_value():
    """Saved by Excel or LibreOffice, a formula cell holds its last value: that value is read."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(HEADER)
    r = row()
    r[0] = "=ROW()-1"
    r[2] = "=DATE(1985,6,5)"
    ws.append(r)
    content = with_values_saved(saved(wb), {"A2": "1", "C2": str((dt.date(1985, 6, 5) - dt.date(1899, 12, 30)).days)})
    p = planned(content)
    assert not p.refused and admitted(p)[0]["birth_date"] == "1985-06-05"


def test_a_hidden_row_of_the_list_is_refused_naming_it_not_imported_unseen():
    """A row the clerk hid (a member who left, rows filtered out) is part of the file but not of what
    the clerk looked at: whether it belongs to the list is not guessed. The file is refused naming
    the row; a hidden row above the header (a title) does not matter."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(["ĐẢNG BỘ XÃ MỘT"])
    ws.append(HEADER)
    ws.append(row())
    ws.append(row(name="Trần Thị Bình", card="01000002", cccd="079090001234"))
    ws.append(row(name="Lê Văn Cường", card="01000003", cccd="079090001235"))
    ws.row_dimensions[1].hidden = True
    ws.row_dimensions[4].hidden = True
    p = planned(saved(wb))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!4", "hidden_row")]
    assert "ẩn" in p.refused[0]["message_vi"] and "hidden" in p.refused[0]["message_en"]
    ws.row_dimensions[4].hidden = False
    p = planned(saved(wb))
    assert not p.refused and len(admitted(p)) == 3


def two_level_list(*members) -> bytes:
    """The party's member list form: a header on two rows, "Ngày, tháng, năm" merged over its
    "Sinh", "Vào Đảng", "Chính thức" columns, the other headers merged down over both rows, the
    cell's name merged down over its members' rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(["DANH SÁCH ĐẢNG VIÊN"])
    ws.merge_cells("A1:H1")
    ws.append(["STT", "Họ và tên", "Giới tính", "Ngày, tháng, năm", None, None, "Số thẻ đảng viên", "Chi bộ"])
    ws.append([None, None, None, "Sinh", "Vào Đảng", "Chính thức", None, None])
    for col in "ABCGH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:F2")
    for i, (name, birth, admitted_on, official, card) in enumerate(members, start=1):
        ws.append([i, name, "Nam", birth, admitted_on, official, card, "Chi bộ Ấp Một" if i == 1 else None])
    if len(members) > 1:
        ws.merge_cells(f"H4:H{3 + len(members)}")
    return saved(wb)


def test_the_member_list_forms_two_row_header_and_merged_cells_read_as_the_clerk_sees_them():
    content = two_level_list(("Nguyễn Văn An", "05/06/1985", "01/01/2010", "01/01/2011", "01000001"),
                             ("Trần Văn Bình", "07/08/1990", "02/02/2015", None, "01000002"))
    p = planned(content)
    assert not p.refused, p.refused
    assert p.columns == {"index": "A", "full_name": "B", "sex": "C", "birth_date": "D", "admitted_on": "E",
                         "official_on": "F", "card_number": "G", "cell": "H"}
    assert [(d["full_name"], d["birth_date"], d["org_unit_id"]) for d in admitted(p)] == [
        ("Nguyễn Văn An", "1985-06-05", "C1"), ("Trần Văn Bình", "1990-08-07", "C1")]
    assert [line["occurred_on"] for line in p.lines if line["type"] == "member.recognized_official"] == ["2011-01-01"]


def test_spaces_inside_a_name_are_one_space_and_an_invisible_character_is_refused_naming_its_cell():
    """A name pasted from a web page or a Word file: no-break spaces, two spaces in a row. The name
    is the same person's: recorded with single spaces, and the roll's record is not 'changed' by
    them. A zero-width character (invisible, it splits the name for every search) is refused."""
    p = planned(xlsx(HEADER, row(name="\u00a0Nguyễn\u00a0Văn  An ")))
    assert not p.refused and admitted(p)[0]["full_name"] == "Nguyễn Văn An"
    on_roll = {"member_id": "dv-x", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1985-06-05",
               "status": "official", "card_number": "01000001", "citizen_id": "079085001234"}
    p = planned(xlsx(HEADER, row(name="Nguyễn\u00a0Văn   An")), members=[on_roll])
    assert not p.refused and not p.lines and p.unchanged == 1
    p = planned(xlsx(HEADER, row(name="Nguy\u200bễn Văn An")))
    assert [(r["cell"], r["code"]) for r in p.refused] == [("DS!B2", "invisible_character")]
    assert "U+200B" in p.refused[0]["message_vi"] and "U+200B" in p.refused[0]["message_en"]


def test_a_hidden_column_the_list_would_read_is_refused_naming_it():
    """An old "Ngày sinh" column hidden beside the corrected one: the clerk sees one, the file holds
    two. Which one is meant is not guessed: the hidden column the list would read is refused by
    name; a hidden column the list does not read does not matter."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS"
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Chi bộ", "Điện thoại"])
    ws.append([1, "Nguyễn Văn An", "01/01/1901", "05/06/1985", "Nam", "01/01/2010", "Chi bộ Ấp Một", "0909000000"])
    ws.column_dimensions["C"].hidden = True
    ws.column_dimensions["H"].hidden = True
    p = planned(saved(wb))
    assert [(r["cell"], r["code"], r["field"]) for r in p.refused] == [("DS!C", "hidden_column", "birth_date")]
    assert not p.lines and "ẩn" in p.refused[0]["message_vi"] and "hidden" in p.refused[0]["message_en"]
    ws.delete_cols(3)
    ws.column_dimensions["C"].hidden = False
    p = planned(saved(wb))
    assert not p.refused and admitted(p)[0]["birth_date"] == "1985-06-05"
