"""An export as a clerk opens it (Excel with a Vietnamese locale): every cell starting like a formula
is text, recording times read as dd/mm/yyyy on Viet Nam's clock, every header and code in Vietnamese,
names with commas, quotes and line breaks come back whole."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from documents import tables
from shared.events import Envelope

#: a member's audit trail as ``reporting/audit_trail`` answers it (one row per fact)
TRAIL = {"member_id": "M1", "rows": [
    {"source": "members", "type": "member.admitted", "event_id": "e1", "stream": "member-M1", "position": 3,
     "occurred_on": "2021-01-02", "recorded_at": "2026-03-04T16:59:59.250000+00:00", "actor": "d1_clerk",
     "org_unit_id": "TN-D1", "data": {"member_id": "M1"}},
    {"source": "meetings", "type": "meeting.missed", "event_id": "e2", "stream": "meeting-X", "position": 9,
     "occurred_on": "2021-02-03", "recorded_at": "2026-03-04T17:00:00+00:00", "actor": "d1_clerk",
     "org_unit_id": "TN-D1", "data": {"member_id": "M1"}}]}


def csv_rows(result) -> list[list[str]]:
    body = tables.to_csv(result)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the diacritics
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def sheet(result):
    ws = load_workbook(io.BytesIO(tables.to_xlsx(result))).active
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == tables.header_vi(
        next(iter(tables.rows_of(result)[0]))))
    return ws, head


# OWASP "CSV injection": a cell starting with = + - @, a tab or a carriage return is run as a formula
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_no_csv_cell_starts_a_formula(start):
    name = f"{start}HYPERLINK(\"http://x\",\"y\")"
    rows = csv_rows([{"member_id": "M1", "full_name": name, "note": f"{start}1+1"}])
    assert rows[1] == ["M1", "'" + name, f"'{start}1+1"]


def test_numbers_stay_numbers_and_names_with_commas_quotes_and_line_breaks_come_back_whole():
    name = 'Lê "Tí", Văn\nB'
    rows = csv_rows([{"member_id": "M1", "full_name": name, "value": -3}])
    assert rows[1] == ["M1", name, "-3"]  # a negative number is a number, not an escaped formula


@pytest.mark.parametrize("recorded_at,vn_time", [
    ("2026-03-04T16:59:59.250000+00:00", dt.datetime(2026, 3, 4, 23, 59, 59)),  # the day before, there
    ("2026-03-04T17:00:00+00:00", dt.datetime(2026, 3, 5, 0, 0, 0)),  # already the next day in Viet Nam
    ("2026-03-04T17:00:01Z", dt.datetime(2026, 3, 5, 0, 0, 1)),
    ("2026-03-04T10:00:00", dt.datetime(2026, 3, 4, 17, 0, 0)),  # recording times without a zone are UTC
])
def test_a_recording_time_reads_as_a_day_and_time_on_viet_nams_clock(recorded_at, vn_time):
    trail = {"rows": [{**TRAIL["rows"][0], "recorded_at": recorded_at}]}
    header, row = csv_rows(trail)
    column = header.index("Ghi nhận lúc (giờ Việt Nam)")
    assert row[column] == vn_time.strftime("%d/%m/%Y %H:%M:%S")
    ws, head = sheet(trail)
    cell = ws.cell(row=head + 1, column=column + 1)
    assert cell.value == vn_time and cell.number_format == "dd/mm/yyyy hh:mm:ss"  # a date cell, not text


def test_every_envelope_field_and_event_type_of_a_trail_reads_in_vietnamese():
    for key in Envelope.model_fields:
        assert tables.header_vi(key) != key, key
    header, first, second = csv_rows(TRAIL)
    assert not set(header) & set(TRAIL["rows"][0]), header  # no column is headed by its code
    assert first[header.index("Sự kiện")] == "Kết nạp đảng viên"
    assert second[header.index("Sự kiện")] == "Vắng sinh hoạt chi bộ"
    assert second[header.index("Nguồn")] == "Sinh hoạt"


def test_a_list_of_codes_reads_as_vietnamese_words_not_json():
    rows = [{"member_id": "M1", "sex": "female", "categories": ["young", "working_away"]},
            {"member_id": "M2", "sex": "male", "categories": []}]
    header, first, second = csv_rows(rows)
    assert first[1:] == ["Nữ", "Đảng viên trẻ; Đi làm ăn xa"]
    assert second[1:] == ["Nam", ""]
    ws, head = sheet(rows)
    assert ws.cell(row=head + 1, column=3).value == "Đảng viên trẻ; Đi làm ăn xa"


def test_a_list_under_any_coded_key_is_words_too():
    rows = [{"org_unit_id": "C1", "kind": ["cell", "branch"], "level": ["warning"]},
            {"org_unit_id": "C2", "kind": [{"odd": 1}], "level": [2]}]  # never a crash, whatever the shape
    assert csv_rows(rows)[1:] == [["C1", "Chi bộ; Đảng bộ bộ phận", "Cảnh báo"],
                                  ["C2", '[{"odd": 1}]', "[2]"]]


def test_the_title_lines_give_a_knowledge_time_on_viet_nams_clock():
    titles = tables.tables([{"member_id": "M1"}], "unit_members", "Danh sách đảng viên",
                           {"org_unit_id": "C1", "on": "2026-03-04", "known_at": "2026-03-04T17:30:00Z",
                            "structure": "current"})[0].titles
    assert "Ngày: 04/03/2026" in titles
    assert "Dữ kiện ghi nhận đến: 00:30:00 05/03/2026 (giờ Việt Nam, UTC+7)" in titles
    assert "Cơ cấu tổ chức: theo cơ cấu tổ chức hiện nay" in titles


def test_every_query_parameter_an_export_names_in_its_titles_reads_in_vietnamese():
    from services.gateway.service import BACKENDS
    from shared.contracts import queries_of

    untitled = {f"{service}/{name}: {field.alias or key}"
                for service in BACKENDS for name, spec in queries_of(service).items()
                for key, field in spec.model.model_fields.items()
                if tables.header_vi(field.alias or key) == (field.alias or key)
                and (field.alias or key) not in tables.UNTITLED_PARAMS}
    assert not untitled, sorted(untitled)


def row_keys(schema: dict) -> set[str]:
    """The fields of the rows an export draws from a query's documented answer (``rows_of``); a
    report with its own layout (``report``) has its own headers."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return set().union(*(row_keys(s) for s in schema[key]))
    if schema.get("type") == "array" or "items" in schema:
        return set((schema.get("items") or {}).get("properties") or {})
    props = schema.get("properties") or {}
    if "report" in props:
        return set()
    for key in ("rows", "items", "result"):
        if key in props and (props[key].get("type") == "array" or "items" in props[key]):
            return row_keys(props[key])
    return set(props)


def test_every_field_of_every_exportable_list_has_a_vietnamese_header():
    from services.gateway.responses import result_of
    from services.gateway.service import BACKENDS
    from shared.contracts import queries_of

    english = {f"{service}/{name}: {key}" for service in BACKENDS for name in queries_of(service)
               for key in row_keys(result_of(service, name)[0]) if tables.header_vi(key) == key}
    assert not english, sorted(english)


def test_a_yes_no_field_reads_yes_or_no_only_a_target_reads_met():
    rows = [{"member_id": "M1", "expected": True, "working_away": False}]
    assert csv_rows(rows)[1] == ["M1", "Có", "Không"]  # not "Đạt" / "Không đạt": nothing was to be met
    assert tables.typed(True, "met") == "Đạt"


@pytest.mark.parametrize("known_at", ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59"])
def test_the_end_of_time_a_report_knows_everything_by_is_words_never_a_crash(known_at):
    titles = tables.tables([{"member_id": "M1"}], "unit_members", params={"known_at": known_at})[0].titles
    assert "Dữ kiện ghi nhận đến: mọi dữ kiện đã ghi nhận" in titles
    header, row = csv_rows([{"member_id": "M1", "recorded_at": known_at}])
    assert row == ["M1", known_at]  # no day on Viet Nam's clock exists for it: the text as stored
