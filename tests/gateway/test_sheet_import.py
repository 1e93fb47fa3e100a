"""Onboarding from the spreadsheets a province keeps: real XLSX and CSV files made with openpyxl and
by hand, imported into the embedded system through the CLI and the API, then read back in reports.

Its own system (not the session one): these imports add members the access tests do not expect.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from openpyxl import Workbook

from services.gateway.sheets.plan import sheet_member_id, unit_id_for
from tests.gateway.conftest import running_system
from tests.unit.sheets.test_reading import cp1258
from tests.support.services import base_env, cli, http, wait_until

COMMITTEE = "TN-D1-G1"  # Đảng bộ Xã 1.1, cells "Chi bộ Ấp 1.1.1" (TN-D1-G1-C1) and "Chi bộ Ấp 1.1.2"
NEW_CELL = "Chi bộ Ấp Mới"
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def serial(d: dt.date) -> int:
    return (d - EXCEL_EPOCH).days


def people_of(tag: int) -> list[tuple]:
    """name, ethnicity (typed in TCVN3 for the second), birth, sex, admitted, official, card — each
    test its own card numbers and cell, so the tests hold in any order."""
    return [
        ("Nguyễn Văn Hùng", "Kinh", dt.date(1985, 4, 12), "Nam", dt.date(2010, 3, 3), dt.date(2011, 3, 3), f"0{tag}000001"),
        ("Trần Thị Mai", "Kh¬ me", dt.date(1990, 11, 30), "Nữ", dt.date(2015, 6, 1), dt.date(2016, 6, 1), f"0{tag}000002"),
        ("Lê Hoàng Long", "Hoa", dt.date(1978, 1, 5), "nam", dt.date(2001, 9, 2), None, f"0{tag}000003"),
    ]


def card(tag: int, i: int) -> str:
    return sheet_member_id(f"0{tag}00000{i}", "", None, "")


def members_xlsx(path, people, cell_of, bad: dict | None = None):
    """The party's member list form: two merged title rows, headers without diacritics, birth dates
    as Excel serial numbers, admission dates as real date cells, ethnicity typed in TCVN3."""
    wb = Workbook()
    ws = wb.active
    ws.title = "DS dang vien"
    ws["A1"] = "ĐẢNG BỘ XÃ 1.1"
    ws.merge_cells("A1:I1")
    ws["A2"] = "DANH SÁCH ĐẢNG VIÊN"
    ws.merge_cells("A2:I2")
    ws.append(["STT", "Ho va ten", "Ngay sinh", "Gioi tinh", "Dan toc", "NGAY VAO DANG", "Ngay chinh thuc",
               "So the dang vien", "Chi bo"])
    for i, (name, ethnicity, birth, sex, admitted, official, card) in enumerate(people):
        ws.append([i + 1, name, serial(birth), sex, ethnicity,
                   dt.datetime.combine(admitted, dt.time()), official.strftime("%d/%m/%Y") if official else None,
                   card, cell_of(i)])
    for ref, value in (bad or {}).items():
        ws[ref] = value
    wb.save(path)
    return path


def run_cli(system, *args):
    env = base_env(DANGVIEN_TOKEN=system.tokens["admin"], DANGVIEN_URL=system.url)
    return subprocess.run(cli("import", "sheet", *args), env=env, capture_output=True, text=True, timeout=300)


def api_sheet(system, content: bytes, **params):
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return http("POST", f"{system.url}/api/v1/imports/sheet?{query}", None,
                {"Authorization": f"Bearer {system.tokens['admin']}", "Content-Type": "application/octet-stream"},
                raw=content)


def member(system, member_id):
    return system.call("GET", f"/api/v1/members/get_member?member_id={member_id}&reason=test")


def headcount(system, unit):
    status, rows = system.call("GET", f"/api/v1/reporting/headcount?org_unit_id={unit}")
    assert status == 200, rows
    return {r["org_unit_id"]: r["total"] for r in rows}


def head(system) -> int:
    """Events in the members store, read from its SQLite file as an auditor would."""
    with contextlib.closing(sqlite3.connect(system.data_dir / "members.events.db")) as db:
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running_system(tmp_path_factory.mktemp("sheets")) as s:
        yield s


def test_members_list_is_onboarded_with_units_created_and_legacy_text_converted(system, tmp_path):
    path = members_xlsx(tmp_path / "danh-sach.xlsx", people_of(1), lambda i: NEW_CELL)
    before = head(system)
    dry = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units", "--dry-run")
    assert dry.returncode == 0, dry.stderr + dry.stdout
    assert "TCVN3" in dry.stdout and "3 dòng có thay đổi" in dry.stdout.replace("\n", " ")
    assert head(system) == before  # the dry run wrote nothing

    done = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units")
    assert done.returncode == 0, done.stderr + done.stdout
    cell = unit_id_for(COMMITTEE, None, NEW_CELL)
    assert headcount(system, COMMITTEE)[cell] == 3
    assert head(system) == before + 1 + 3 + 2 + 3  # the cell, 3 admissions, 2 recognitions, 3 card reservations
    status, record = member(system, card(1, 1))
    assert status == 200, record
    assert record["full_name"] == "Nguyễn Văn Hùng" and record["org_unit_id"] == cell
    assert record["birth_date"] == "1985-04-12" and record["status"] == "official"
    status, mai = member(system, card(1, 2))
    assert mai["ethnicity"] == "Khơ me"  # typed in TCVN3 (.VnTime), stored as Unicode
    status, long_ = member(system, card(1, 3))
    assert long_["status"] == "probationary" and long_["admitted_on"] == "2001-09-02"


def test_the_same_sheet_again_writes_nothing(system, tmp_path):
    path = members_xlsx(tmp_path / "danh-sach.xlsx", people_of(2), lambda i: "Chi bộ Ấp Hai")
    first = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units")
    assert first.returncode == 0, first.stderr
    before = head(system)
    status, body = api_sheet(system, path.read_bytes(), kind="members", into=COMMITTEE, create_units="1",
                             filename="danh-sach.xlsx")
    assert status == 201, body
    assert body["written"] == 0 and body["events"] == 0 and body["unchanged"] == 3
    assert head(system) == before


def test_a_later_version_of_the_list_writes_exactly_the_differences(system, tmp_path):
    v1 = run_cli(system, str(members_xlsx(tmp_path / "v1.xlsx", people_of(3), lambda i: "Chi bộ Ấp Ba")), "--kind",
                 "members", "--into", COMMITTEE, "--create-units")
    assert v1.returncode == 0, v1.stderr + v1.stdout
    people = people_of(3)
    people[0] = people[0][:1] + ("Tày",) + people[0][2:]   # ethnicity corrected
    moved = "Chi bộ Ấp 1.1.2"
    v2 = members_xlsx(tmp_path / "v2.xlsx", people, cell_of=lambda i: moved if i == 2 else "Chi bộ Ấp Ba")
    before = head(system)
    status, dry = api_sheet(system, v2.read_bytes(), kind="members", into=COMMITTEE, filename="v2.xlsx",
                            dry_run="1", on="01/11/2026")
    assert status == 200, dry
    assert sorted(c["change"] for c in dry["changes"]) == ["record_update", "transfer"]
    assert head(system) == before
    status, body = api_sheet(system, v2.read_bytes(), kind="members", into=COMMITTEE, filename="v2.xlsx",
                             on="01/11/2026")
    assert status == 201, body
    assert body["written"] == 2 and head(system) == before + 2
    status, long_ = member(system, card(3, 3))
    assert long_["org_unit_id"] == "TN-D1-G1-C2"
    status, hung = member(system, card(3, 1))
    assert hung["ethnicity"] == "Tày"


@pytest.mark.parametrize("cell,value,code", [
    ("C5", "31/02/1990", "invalid_date"),        # no such day
    ("C5", "12/25/1990", "ambiguous_date"),      # month/day order
    ("C5", "5/3/25", "ambiguous_date"),          # 1925 or 2025
    ("D5", "X", "invalid_sex"),
    ("F5", None, "missing_value"),
    ("H5", "7654322", "invalid_card_number"),  # a card one digit short: a live admission refuses it
])
def test_a_refused_sheet_names_the_cell_and_writes_nothing(system, tmp_path, cell, value, code):
    people = [("Phạm Thị Thu", "Kinh", dt.date(1992, 2, 2), "Nữ", dt.date(2018, 5, 19), None, "07654321"),
              ("Võ Văn Tám", "Kinh", dt.date(1988, 8, 8), "Nam", dt.date(2012, 5, 19), None, "07654322")]
    path = members_xlsx(tmp_path / "bad.xlsx", people, cell_of=lambda i: "Chi bộ Ấp Lỗi", bad={cell: value})
    before = head(system)
    done = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units")
    assert done.returncode == 1
    assert f"DS dang vien!{cell}" in done.stderr
    status, body = api_sheet(system, path.read_bytes(), kind="members", into=COMMITTEE, create_units="1")
    assert status == 422 and body["written"] == 0
    assert [(r["cell"], r["code"]) for r in body["refused"]] == [(f"DS dang vien!{cell}", code)]
    assert head(system) == before


def cccd_xlsx(path, cccd) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "CCCD"
    ws.append(["Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Số CCCD", "Số thẻ đảng viên", "Chi bộ"])
    ws.append(["Huỳnh Văn Bảy", "07/07/1987", "Nam", "07/07/2015", cccd, "07770001", "Chi bộ Ấp CCCD"])
    wb.save(path)
    return path.read_bytes()


def test_a_cccd_keeps_its_leading_zero_and_one_that_lost_it_is_refused(system, tmp_path):
    before = head(system)
    as_number = cccd_xlsx(tmp_path / "so.xlsx", 79087001234)  # a number cell: the leading zero is gone
    status, body = api_sheet(system, as_number, kind="members", into=COMMITTEE, create_units="1")
    assert status == 422 and body["written"] == 0
    assert [(r["cell"], r["code"]) for r in body["refused"]] == [("CCCD!E2", "invalid_citizen_id")]
    assert head(system) == before
    as_text = cccd_xlsx(tmp_path / "chu.xlsx", "079087001234")
    status, body = api_sheet(system, as_text, kind="members", into=COMMITTEE, create_units="1")
    assert status == 201, body
    status, record = member(system, sheet_member_id("07770001", "", None, ""))
    assert status == 200 and record["citizen_id"] == "079087001234"
    written = head(system)
    status, body = api_sheet(system, as_text, kind="members", into=COMMITTEE, create_units="1")  # a retried upload
    assert status == 201 and body["written"] == 0 and head(system) == written


def test_the_same_cccd_for_two_people_in_the_file_is_refused_and_nothing_written(system, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "CCCD"
    ws.append(["Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Số CCCD", "Số thẻ đảng viên", "Chi bộ"])
    ws.append(["Mai Văn Một", "07/07/1987", "Nam", "07/07/2015", "079087001299", "07770091", "Chi bộ Ấp Trùng CCCD"])
    ws.append(["Mai Thị Hai", "08/08/1988", "Nữ", "07/07/2015", "079087001299", "07770092", "Chi bộ Ấp Trùng CCCD"])
    wb.save(tmp_path / "trung.xlsx")
    before = head(system)
    status, body = api_sheet(system, (tmp_path / "trung.xlsx").read_bytes(), kind="members", into=COMMITTEE,
                             create_units="1")
    assert status == 422 and body["written"] == 0, body
    assert [(r["cell"], r["code"]) for r in body["refused"]] == [("CCCD!E3", "duplicate_in_file")]
    assert "CCCD!2" in body["refused"][0]["message_vi"] and "CCCD!2" in body["refused"][0]["message_en"]
    assert head(system) == before


def test_a_cell_of_another_district_is_refused_and_a_cell_named_on_a_mac_is_found(system, tmp_path):
    import unicodedata
    people = people_of(4)[:1]
    other = members_xlsx(tmp_path / "khac.xlsx", people, cell_of=lambda i: "Chi bộ Ấp 2.1.1")  # under TN-D2
    before = head(system)
    status, body = api_sheet(system, other.read_bytes(), kind="members", into=COMMITTEE)
    assert status == 422 and body["written"] == 0
    assert [(r["cell"], r["code"]) for r in body["refused"]] == [("DS dang vien!I4", "unit_not_found")]
    assert head(system) == before
    mac = members_xlsx(tmp_path / "mac.xlsx", [(unicodedata.normalize("NFD", people[0][0]),) + people[0][1:]],
                       cell_of=lambda i: unicodedata.normalize("NFD", "Chi bộ Ấp 1.1.1"))
    status, body = api_sheet(system, mac.read_bytes(), kind="members", into=COMMITTEE, dry_run="1")
    assert status == 200 and body["accepted"] == 1, body


def test_a_followed_job_ends_when_its_sheet_is_refused(system, tmp_path):
    """The progress a client follows (POST /import-jobs, then ``job=``) ends with the request: a
    refused sheet, or a file that is no sheet, leaves no job running for ever."""
    path = members_xlsx(tmp_path / "loi.xlsx", people_of(4), lambda i: "Chi bộ Ấp Theo Dõi", bad={"C5": "31/02/1990"})
    for content in (path.read_bytes(), b"%PDF-1.4\x00 not a sheet"):
        status, made = system.call("POST", "/api/v1/import-jobs")
        assert status == 201, made
        status, body = api_sheet(system, content, kind="members", into=COMMITTEE, create_units="1", job=made["job"])
        assert status == 422, body
        status, job = system.call("GET", f"/api/v1/import-jobs/{made['job']}")
        assert status == 200 and (job["state"], job["phase"]) == ("failed", "refused"), job


def test_duplicates_within_the_file_are_refused_naming_both_rows(system, tmp_path):
    twice = [people_of(5)[0], people_of(5)[0][:6] + ("09999999",)]
    path = members_xlsx(tmp_path / "dup.xlsx", twice, cell_of=lambda i: "Chi bộ Ấp Trùng")
    status, body = api_sheet(system, path.read_bytes(), kind="members", into=COMMITTEE, create_units="1")
    assert status == 422
    assert body["refused"][0]["code"] == "duplicate_in_file"
    assert body["refused"][0]["cell"] == "DS dang vien!5" and "DS dang vien!4" in body["refused"][0]["message_vi"]


def test_a_rule_refusal_names_the_row_and_writes_nothing(system, tmp_path):
    # official only 6 months after admission: the probation rule refuses it, as for a live command
    people = [("Đỗ Văn Sáu", "Kinh", dt.date(1991, 1, 1), "Nam", dt.date(2020, 1, 10), dt.date(2020, 7, 10), "05550001")]
    path = members_xlsx(tmp_path / "rule.xlsx", people, cell_of=lambda i: "Chi bộ Ấp Quy Định")
    before = head(system)
    status, body = api_sheet(system, path.read_bytes(), kind="members", into=COMMITTEE, create_units="1")
    assert status == 422, body
    assert body["refused"][0]["code"] == "probation_not_over"
    assert body["refused"][0]["cell"].startswith("DS dang vien!") and body["refused"][0]["cell"].endswith("4")
    assert head(system) == before


def test_windows_1258_csv_with_working_away_and_removal_lists(system, tmp_path):
    header = "Họ và tên;Ngày sinh;Giới tính;Ngày vào Đảng;Ngày chính thức;Số thẻ đảng viên;Chi bộ\n"
    rows = "Huỳnh Thị Ngọc;03/04/1987;Nữ;19/05/2009;19/05/2010;02020202;Chi bộ Ấp CSV\n" \
           "Dương Văn Phúc;7/8/83;Nam;02/09/2005;02/09/2006;02020203;Chi bộ Ấp CSV\n"
    path = tmp_path / "ds.csv"
    path.write_bytes(cp1258(header + rows))
    done = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Windows-1258" in done.stdout
    cell = unit_id_for(COMMITTEE, None, "Chi bộ Ấp CSV")
    assert headcount(system, COMMITTEE)[cell] == 2
    status, ngoc = member(system, sheet_member_id("02020202", "", None, ""))
    assert ngoc["full_name"] == "Huỳnh Thị Ngọc"
    status, phuc = member(system, sheet_member_id("02020203", "", None, ""))
    assert phuc["birth_date"] == "1983-08-07"

    away = tmp_path / "di-lam-an-xa.csv"
    away.write_text("\ufeffHọ và tên,Số thẻ đảng viên,Nơi đến,Ngày đi\nHuỳnh Thị Ngọc,02020202,TP. Hồ Chí Minh,"
                    "01/03/2026\n", encoding="utf-8")
    done = run_cli(system, str(away), "--kind", "working_away", "--into", COMMITTEE)
    assert done.returncode == 0, done.stderr + done.stdout
    status, ngoc = member(system, sheet_member_id("02020202", "", None, ""))
    assert "working_away" in ngoc["categories"]

    removals = tmp_path / "xoa-ten.csv"
    removals.write_text("Ho ten,So the,Ngay xoa ten,Ly do\nDương Văn Phúc,02020203,15/06/2026,"
                        "Bỏ sinh hoạt đảng 3 tháng\n", encoding="utf-8")
    done = run_cli(system, str(removals), "--kind", "removals", "--into", COMMITTEE)
    assert done.returncode == 0, done.stderr + done.stdout
    assert headcount(system, COMMITTEE)[cell] == 1
    again = run_cli(system, str(removals), "--kind", "removals", "--into", COMMITTEE)
    assert again.returncode == 0 and "0 sự kiện" in again.stdout


def term_value(system, indicator: str, year: int) -> int:
    status, body = system.call("GET", f"/api/v1/reporting/term?org_unit_id={COMMITTEE}&year={year}")
    assert status == 200, body
    return {r["indicator"]: r["value"] for r in body["rows"]}[indicator]


def test_a_yearly_discipline_list_reaches_the_term_table_once(system, tmp_path):
    onboard = members_xlsx(tmp_path / "ds.xlsx", people_of(6), lambda i: "Chi bộ Ấp Sáu")
    assert run_cli(system, str(onboard), "--kind", "members", "--into", COMMITTEE, "--create-units").returncode == 0
    wb = Workbook()
    ws = wb.active
    ws.title = "Ky luat 2024"
    ws["A1"] = "DANH SÁCH ĐẢNG VIÊN BỊ KỶ LUẬT NĂM 2024"
    ws.merge_cells("A1:F1")
    ws.append(["STT", "Họ và tên", "Số thẻ đảng viên", "Hình thức kỷ luật", "Ngày vi phạm", "Ngày quyết định"])
    ws.append([1, "Nguyễn Văn Hùng", f"0{6}000001", "Khiển trách", "10/01/2024", "15/03/2024"])
    ws.append([2, "Trần Thị Mai", f"0{6}000002", "Khai trừ ra khỏi Đảng", "02/02/2024", "20/04/2024"])
    path = tmp_path / "ky-luat.xlsx"
    wb.save(path)
    cell = unit_id_for(COMMITTEE, None, "Chi bộ Ấp Sáu")
    disciplined = term_value(system, "members_disciplined", 2024)
    done = run_cli(system, str(path), "--kind", "discipline", "--into", COMMITTEE)
    assert done.returncode == 0, done.stderr + done.stdout
    assert term_value(system, "members_disciplined", 2024) == disciplined + 2
    # the expulsion reaches the members service: the member leaves the rolls of her cell
    wait_until(lambda: headcount(system, COMMITTEE)[cell] == 2, timeout=60, what="expelled member off the rolls")
    again = run_cli(system, str(path), "--kind", "discipline", "--into", COMMITTEE)
    assert again.returncode == 0 and "0 sự kiện" in again.stdout
    assert term_value(system, "members_disciplined", 2024) == disciplined + 2


def test_every_event_of_a_sheet_names_its_file_and_row(system, tmp_path):
    path = members_xlsx(tmp_path / "nguon.xlsx", people_of(7)[:1], lambda i: "Chi bộ Ấp Bảy")
    assert run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units").returncode == 0
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    with contextlib.closing(sqlite3.connect(system.data_dir / "members.events.db")) as db:
        rows = db.execute("SELECT type, correlation_id FROM events WHERE correlation_id LIKE ?",
                          (f"sheet:{digest}:%",)).fetchall()
    assert sorted(t for t, _ in rows) == ["member.admitted", "member.card_reserved", "member.recognized_official"]
    assert {c for _, c in rows} == {f"sheet:{digest}:nguon.xlsx:DS dang vien!4"}


def test_headers_the_tool_does_not_know_are_named_by_a_mapping_file(system, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Tên đầy đủ", "Sinh ngày", "Phái", "Vào Đảng ngày", "Sinh hoạt tại", "Số thẻ đảng viên"])
    ws.append(["Bùi Thị Chín", "09/09/1999", "Nữ", "03/02/2021", "Chi bộ Ấp Chín", "09000001"])
    path = tmp_path / "la.xlsx"
    wb.save(path)
    refused = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units")
    assert refused.returncode == 1 and "Họ và tên" in refused.stderr
    done = run_cli(system, str(path), "--kind", "members", "--into", COMMITTEE, "--create-units",
                   "--mapping", str(EXAMPLES / "sheet-mapping.yaml"))
    assert done.returncode == 0, done.stderr + done.stdout
    status, chin = member(system, sheet_member_id("09000001", "", None, ""))
    assert chin["full_name"] == "Bùi Thị Chín" and chin["org_unit_id"] == unit_id_for(COMMITTEE, None, "Chi bộ Ấp Chín")
