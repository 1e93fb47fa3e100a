"""XLSX and CSV files from a query's JSON rows.

The gateway renders them itself from what the API returned (it must not import a service), so an
export always shows exactly what the caller was allowed to read. Dates are shown dd/mm/yyyy.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}


def rows_of(result: Any) -> list[dict]:
    """A list of flat dicts from whatever shape a report has (a list, or a dict holding one)."""
    if isinstance(result, dict):
        for key in ("rows", "items", "result"):
            if isinstance(result.get(key), list):
                return rows_of(result[key])
        return [result]
    if isinstance(result, list):
        return [r if isinstance(r, dict) else {"value": r} for r in result]
    return [{"value": result}]


def columns_of(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def cell(value: Any) -> Any:
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a name is never a formula (spreadsheet injection)
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value, ensure_ascii=False)
    return value


def to_csv(rows: list[dict]) -> bytes:
    cols = columns_of(rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for r in rows:
        w.writerow([cell(r.get(c)) for c in cols])
    # BOM so that spreadsheet programs read Vietnamese diacritics as UTF-8
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "report"
    cols = columns_of(rows)
    ws.append(cols)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append([cell(r.get(c)) for c in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(result: Any, fmt: str, title: str) -> bytes:
    rows = rows_of(result)
    return to_xlsx(rows, title) if fmt == "xlsx" else to_csv(rows)
