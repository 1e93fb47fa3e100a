"""Reading the party's spreadsheets: legacy encodings, headers, dates — pure functions, no I/O."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from services.gateway.sheets import columns, legacy, values
from services.gateway.sheets.table import read

TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize("typed,unicode_", [
    ("§¶ng Céng s¶n ViÖt Nam", "Đảng Cộng sản Việt Nam"),
    ("NguyÔn V¨n Hïng", "Nguyễn Văn Hùng"),
    ("TrÇn ThÞ Mü LÖ", "Trần Thị Mỹ Lệ"),
    ("Chi bé sè 3 x· Long Hßa", "Chi bộ số 3 xã Long Hòa"),
    ("CHI Bé Sè 3 X· AN HßA", "CHI BỘ SỐ 3 XÃ AN HÒA"),  # typed with .VnTimeH: capitals from the same bytes
])
def test_tcvn3_text_becomes_unicode(typed, unicode_):
    assert legacy.detect([typed]) == "tcvn3"
    assert legacy.tcvn3_to_unicode(typed) == unicode_


@pytest.mark.parametrize("typed,unicode_", [
    ("Ñaûng Coäng saûn Vieät Nam", "Đảng Cộng sản Việt Nam"),
    ("Nguyeãn Vaên Huøng", "Nguyễn Văn Hùng"),
    ("Traàn Thò Mai", "Trần Thị Mai"),
    ("Tröôøng Ñaïi hoïc", "Trường Đại học"),
    ("Phaïm Vaên Ñöùc", "Phạm Văn Đức"),
])
def test_vni_text_becomes_unicode(typed, unicode_):
    assert legacy.detect([typed]) == "vni"
    assert legacy.vni_to_unicode(typed) == unicode_


@pytest.mark.parametrize("text", ["Nguyễn Văn Hùng", "Hoà Thành", "văn hoá", "Kinh", "Lê Thị Ánh"])
def test_unicode_text_is_left_alone(text):
    assert legacy.detect([text]) == "unicode"


def test_a_column_mixing_unicode_and_tcvn3_is_refused():
    with pytest.raises(legacy.MixedEncoding):
        legacy.detect(["Nguyễn Văn Hùng", "TrÇn ThÞ Mai"])


@pytest.mark.parametrize("header,field", [
    ("Họ và tên", "full_name"), ("HO VA TEN", "full_name"), ("ho ten", "full_name"),
    ("Ngày vào Đảng", "admitted_on"), ("Ngay vao Dang (dd/mm/yyyy)", "admitted_on"),
    ("Số thẻ đảng viên", "card_number"), ("Số lý lịch", "background_file_number"), ("Chi bộ", "cell"),
    ("Ngày chính thức", "official_on"), ("Giới tính", "sex"), ("Dân tộc", "ethnicity"),
])
def test_usual_headers_are_recognised_with_or_without_diacritics(header, field):
    assert columns._match(header) == field


def test_the_header_row_is_found_below_title_rows_and_a_mapping_names_the_rest():
    rows = [["ĐẢNG BỘ XÃ AN HÒA", None, None], [None, None, None],
            ["Tên đầy đủ", "Sinh ngày", "Phái", "Vào Đảng ngày"]]
    with pytest.raises(Exception) as info:
        columns.find_header(rows, "members")
    assert "Họ và tên" in info.value.message_vi
    at, cols = columns.find_header(rows, "members", {"full_name": "Tên đầy đủ", "admitted_on": "Vào Đảng ngày"})
    assert at == 2 and cols == {"full_name": 0, "birth_date": 1, "sex": 2, "admitted_on": 3}


@pytest.mark.parametrize("raw,expected", [
    ("05/03/1990", dt.date(1990, 3, 5)), ("5/3/1990", dt.date(1990, 3, 5)), ("5-3-1990", dt.date(1990, 3, 5)),
    ("05.03.1990", dt.date(1990, 3, 5)), ("1990-03-05", dt.date(1990, 3, 5)), ("5/3/65", dt.date(1965, 3, 5)),
    ("5/3/05", dt.date(2005, 3, 5)), (32937, dt.date(1990, 3, 5)), ("32937", dt.date(1990, 3, 5)),
    (dt.datetime(1990, 3, 5), dt.date(1990, 3, 5)), ("30/11/2026", TODAY),
])
def test_dates_as_offices_write_them(raw, expected):
    assert values.read_date(raw, TODAY) == expected


@pytest.mark.parametrize("raw,code", [
    ("31/02/1990", "invalid_date"), ("13/25/1990", "invalid_date"), ("12/25/1990", "ambiguous_date"),
    ("5/3/25", "ambiguous_date"), ("1990", "year_only"), ("01/12/2026", "date_out_of_range"),
    ("31/12/1899", "date_out_of_range"), ("hôm qua", "invalid_date"), (1.5, "invalid_date"),
])
def test_dates_that_cannot_be_read_one_way_are_refused(raw, code):
    with pytest.raises(values.BadValue) as info:
        values.read_date(raw, TODAY)
    assert info.value.code == code


def cp1258(text: str) -> bytes:
    """As Windows saves Vietnamese in code page 1258: letters it has, tones as combining marks."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in parts if m in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in tones))
            out += (base + tones).encode("cp1258")
    return out


def test_csv_in_windows_1258_and_utf8_with_bom():
    text = "Họ và tên;Ngày sinh\nNguyễn Thị Ánh Tuyết;01/02/1980\n"
    grid = read(cp1258(text), "ds.csv")
    assert grid.rows[1][0] == "Nguyễn Thị Ánh Tuyết" and grid.notes[0]["code"] == "csv_windows_1258"
    grid = read(b"\xef\xbb\xbf" + text.replace(";", ",").encode("utf-8"), "ds.csv")
    assert grid.rows[0][0] == "Họ và tên" and grid.notes == []


@pytest.mark.parametrize("content", [
    b"GIF87a\x01\x00\x01\x00\x81\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x08\x04\x00;",  # a picture
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",  # an old Excel 97 .xls
    b"\xef\xbb\xbfH\xe1\xbb;\x81\x81",  # marked UTF-8, then not UTF-8
    "Họ và tên\n".encode("utf-8") + b"\x81\x8d\x8f\x90",  # neither UTF-8 nor Windows-1258
])
def test_a_file_that_is_no_spreadsheet_is_refused_by_name_not_a_server_error(content):
    from shared.errors import DomainError

    with pytest.raises(DomainError) as refused:
        read(content, "sheet")
    err = refused.value
    assert err.code == "not_a_sheet" and err.field == "file"
    assert "không phải bảng tính" in err.message_vi and "not a readable spreadsheet" in err.message_en


@pytest.mark.parametrize("raw,ground", [
    ("Bỏ sinh hoạt đảng 3 tháng", "abandoned_activity"), ("Không đóng đảng phí", "unpaid_dues"),
    ("abandoned_activity", "abandoned_activity"), ("Tự ý trả thẻ đảng viên", "card_returned"),
])
def test_removal_grounds_in_words(raw, ground):
    assert values.read_ground(raw) == ground


def test_an_unknown_removal_ground_is_refused():
    with pytest.raises(values.BadValue):
        values.read_ground("chuyển công tác")
