"""A spreadsheet as a grid of cells with their references: XLSX (openpyxl) or CSV.

CSV is read as UTF-8 (with or without BOM) or, when that fails, as Windows-1258 (the Vietnamese
ANSI code page older Excel versions save in); the delimiter is sniffed among ``,`` ``;`` and tab.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from shared.errors import DomainError


@dataclass
class Grid:
    sheet: str
    rows: list[list[object]]          # row-major, first row is spreadsheet row 1
    notes: list[dict] = field(default_factory=list)  # what was converted on the way (said to the user)
    hidden: set[int] = field(default_factory=set)  # 0-based indices of the rows the clerk hid
    hidden_columns: set[int] = field(default_factory=set)  # and of the columns

    def ref(self, row_index: int, col_index: int) -> str:
        """``Sheet1!F27`` for 0-based indices."""
        return f"{self.sheet}!{get_column_letter(col_index + 1)}{row_index + 1}"


MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 300_000


def read(content: bytes, filename: str, sheet: str | None = None) -> Grid:
    if not content:
        raise DomainError("empty_file", "Tệp rỗng", "The file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise DomainError("file_too_large", f"Tệp quá lớn (tối đa {MAX_BYTES // 1024 // 1024} MB)",
                          f"The file is too large (at most {MAX_BYTES // 1024 // 1024} MB)", field="file")
    if content[:2] == b"PK":
        return _xlsx(content, sheet)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError("not_xlsx", "Tệp không phải XLSX hợp lệ", "The file is not a valid XLSX workbook",
                          field="file")
    return _csv(content, filename)


def _xlsx(content: bytes, sheet: str | None) -> Grid:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise DomainError("not_xlsx", "Tệp không phải XLSX hợp lệ", "The file is not a valid XLSX workbook",
                          field="file") from None
    try:
        # names compared composed (NFC): a Mac may save them decomposed, a clerk types them composed
        named = {unicodedata.normalize("NFC", n): n for n in wb.sheetnames}
        if sheet is not None and unicodedata.normalize("NFC", sheet) not in named:
            names = ", ".join(named)
            raise DomainError("sheet_not_found", f"Không có trang tính «{sheet}» (có: {names})",
                              f"No sheet '{sheet}' (there are: {names})", field="sheet")
        ws = wb[named[unicodedata.normalize("NFC", sheet)]] if sheet else first_visible(wb)
        # Rows holding nothing (a border or a colour put on the whole sheet makes a cell in every row
        # down to 1,048,576) are not rows: they do not count against the limit, and those below the
        # last filled row are not kept. Empty rows between filled ones stay, so references hold.
        rows: list[list[object]] = []
        filled = empty = 0
        formulas, hidden, hidden_cols, merged = _scan(wb, ws)
        for row in _with_formulas(content, ws, formulas):
            cells = [_clean(v) for v in row]
            if all(v is None for v in cells):
                empty += 1
                continue
            rows.extend([] for _ in range(empty))
            empty = 0
            rows.append(cells)
            filled += 1
            if filled > MAX_ROWS:
                raise DomainError("too_many_rows", f"Trang tính có quá {MAX_ROWS:,} dòng".replace(",", "."),
                                  f"The sheet has more than {MAX_ROWS:,} rows", field="file")
        _fill_merged(rows, merged)
        return Grid(unicodedata.normalize("NFC", ws.title), rows, hidden={r for r in hidden if r < len(rows)},
                    hidden_columns=hidden_cols)
    finally:
        wb.close()


@dataclass(frozen=True)
class Uncomputed:
    """A formula cell the file holds no value for (written by a program that does not compute
    formulas): not an empty cell, and not a value to guess."""

    formula: str


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_COL = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_SPAN = re.compile(rb'\bmin="(\d+)"[^>]*\bmax="(\d+)"|\bmax="(\d+)"[^>]*\bmin="(\d+)"')
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _scan(wb, ws) -> tuple[bool, set[int], set[int], list[str]]:
    """(whether the sheet has formulas, its hidden rows and columns as 0-based indices, its merged
    ranges), from its XML: the read-only reader keeps none of them."""
    formulas, hidden, hidden_cols, merged, last = False, set(), set(), [], 0
    with wb._archive.open(ws._worksheet_path) as xml:
        tail = b""
        while chunk := xml.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")  # a tag split between chunks is read whole with the next one
            cut = cut if cut >= 0 and text.find(b">", cut) < 0 else len(text)
            text, tail = text[:cut], text[cut:]
            formulas = formulas or _FORMULA.search(text) is not None
            for tag in _ROW.findall(text):
                number = _ROW_NUMBER.search(tag)
                last = int(number[1]) if number else last + 1
                if _HIDDEN.search(tag):
                    hidden.add(last - 1)
            for tag in _COL.findall(text):
                span = _SPAN.search(tag)
                if span and _HIDDEN.search(tag):
                    low, high = (int(span[1]), int(span[2])) if span[1] else (int(span[4]), int(span[3]))
                    hidden_cols.update(range(low - 1, min(high, 16384)))
            merged += [m.decode() for m in _MERGED.findall(text)]
    return formulas, hidden, hidden_cols, merged


def _fill_merged(rows: list[list[object]], merged: list[str]) -> None:
    """A merged cell's value in every cell it covers, as the clerk sees it (a header merged over
    two rows, a cell's name merged down over its members' rows) — in rows that hold something
    else: a merge reaching below the list makes no row."""
    from openpyxl.utils.cell import range_boundaries

    width = max((len(row) for row in rows), default=0)
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        max_col = min(max_col, width)  # a merge over whole rows reaches no further than the sheet's cells
        top = rows[min_row - 1] if min_row - 1 < len(rows) else []
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for r in range(min_row - 1, min(max_row, len(rows))):
            row = rows[r]
            if not any(v is not None for v in row):
                continue
            row.extend([None] * (max_col - len(row)))
            for c in range(min_col - 1, max_col):
                if row[c] is None:
                    row[c] = value


def _with_formulas(content: bytes, ws, formulas: bool):
    """The sheet's rows of values; where a formula cell holds no value, its ``Uncomputed``. The
    formulas are read (a second pass) only from a sheet that has some."""
    values = ws.iter_rows(values_only=True)
    if not formulas:
        yield from values
        return
    from openpyxl import load_workbook
    formulas_wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        for row, written in zip(values, formulas_wb[ws.title].iter_rows(values_only=True)):
            yield [Uncomputed(str(getattr(f, "text", f))) if v is None and _is_formula(f) else v
                   for v, f in zip(row, written)]
    finally:
        formulas_wb.close()


def _is_formula(written) -> bool:
    return (isinstance(written, str) and written.startswith("=") and len(written) > 1) or \
        type(written).__name__ == "ArrayFormula"


def first_visible(wb):
    """The first sheet the clerk sees: a hidden one (a template, a lookup list) is read only when
    named. Excel keeps at least one sheet visible; the first sheet if none is."""
    return next((ws for ws in wb.worksheets if ws.sheet_state == "visible"), wb.worksheets[0])


def _clean(value):
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value.strip())
        return value or None
    return value


def not_a_sheet() -> DomainError:
    return DomainError("not_a_sheet", "Tệp không phải bảng tính đọc được (XLSX, hoặc CSV mã UTF-8 hay Windows-1258)",
                       "The file is not a readable spreadsheet (XLSX, or CSV in UTF-8 or Windows-1258)", field="file")


def _csv(content: bytes, filename: str) -> Grid:
    notes = []
    if b"\x00" in content:  # a picture, a PDF, an old .xls: text never holds a NUL byte
        raise not_a_sheet()
    try:
        if content.startswith(b"\xef\xbb\xbf"):
            text = content[3:].decode("utf-8", errors="strict")
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = content.decode("cp1258", errors="strict")
                notes.append({"code": "csv_windows_1258",
                              "message_vi": "Tệp CSV mã Windows-1258, đã chuyển sang Unicode",
                              "message_en": "CSV file in Windows-1258, converted to Unicode"})
    except UnicodeDecodeError:
        raise not_a_sheet() from None
    text = unicodedata.normalize("NFC", text)
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[_clean(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error:
        raise not_a_sheet() from None
    if len(rows) > MAX_ROWS:
        raise DomainError("too_many_rows", f"Tệp có quá {MAX_ROWS} dòng", f"The file has more than {MAX_ROWS} rows",
                          field="file")
    name = filename.rsplit("/", 1)[-1] or "csv"
    return Grid(name, rows, notes)


def is_date(value) -> bool:
    return isinstance(value, (dt.date, dt.datetime))
