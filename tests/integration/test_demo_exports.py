"""The demo as a user starts it (``dangvien up --demo``): every term it shows has admissions,
removals, transfers and discipline in plausible proportions; and the one export writer's files, as
the API, the CLI and the dashboard's download produce them, open in Excel as staff expect."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import urllib.parse

import pytest
from openpyxl import load_workbook

from dangvien import demo
from shared.rules import TERMS
from tests.support.services import base_env, cli, embedded, free_port, http

pytestmark = pytest.mark.integration

#: the terms the dashboard offers
DEMO_TERMS = ("2015-2020", "2020-2025", "2025-2030")
ENGLISH_KEYS = {"indicator", "label_vi", "change_pct", "value", "previous", "org_unit_id", "name", "opening"}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    with embedded(tmp, demo=True) as (url, proc):
        proc.wait_for_output("(Ctrl+C", timeout=300)
        token = (tmp / "data" / "admin.token").read_text().strip()
        yield url, token, tmp


def get(system, path, **params):
    url, token, _ = system
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    status, body = http("GET", f"{url}{path}?{query}", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    return body


def get_bytes(system, path, **params) -> bytes:
    import urllib.request
    url, token, _ = system
    req = urllib.request.Request(f"{url}{path}?{urllib.parse.urlencode(params)}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200
        return resp.read()


def run(system, *args, url=None):
    base, _, tmp = system
    env = base_env(DANGVIEN_URL=url or base, DANGVIEN_DATA_DIR=str(tmp / "data"))
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=300)


def lived_years(term: str) -> float:
    """The part of a term the demo's data covers (its last month is ``demo.WINDOW[1]``)."""
    start, end = TERMS[term]
    return (min(end, demo.WINDOW[1]) - start).days / 365.25


@pytest.mark.parametrize("term", DEMO_TERMS)
def test_every_demo_term_has_admissions_removals_transfers_and_discipline(system, term):
    table = {r["indicator"]: r["value"] for r in get(system, "/api/v1/reporting/term", term=term)["rows"]}
    assert table["members_admitted"] > 0 and table["members_removed"] > 0
    assert table["members_disciplined"] > 0 and table["orgs_disciplined"] > 0
    rows = get(system, "/api/v1/reporting/movement", term=term)["rows"]
    opening = sum(r["opening"] for r in rows)
    assert sum(r["transferred_in"] for r in rows) > 0 and sum(r["transferred_out"] for r in rows) > 0
    years = lived_years(term)
    # admissions: 2–5 % of the members a year (nationally about 200,000 a year for 5.1–5.3 million
    # members in 2016–2020, Văn kiện Đại hội XIII; see dangvien/demo.py)
    assert 0.02 <= table["members_admitted"] / opening / years <= 0.05, (table, opening, years)
    # removals: Tây Ninh's footnote 1 gives 424 in a term for some 45,000 members (0.19 % a year);
    # the demo keeps them below 1 % a year
    assert table["members_removed"] / opening / years <= 0.01, (table, opening, years)
    # discipline: 633 members in a term (0.3 % a year); a visible demo stays below 3 % a year
    assert table["members_disciplined"] / opening / years <= 0.03, (table, opening, years)


def header_row(ws) -> int:
    for row in ws.iter_rows():
        if row[0].value in ("Chỉ tiêu", "Tổ chức đảng"):
            return row[0].row
    raise AssertionError("no header row")


def check_term_workbook(body: bytes, report: dict) -> None:
    """What a member of staff checks in Excel (and what openpyxl reads of it)."""
    wb = load_workbook(io.BytesIO(body))
    ws = wb["Thống kê nhiệm kỳ, năm"]  # a Vietnamese sheet name
    h = header_row(ws)
    titles = [ws.cell(row=i, column=1).value for i in range(1, h)]
    assert titles[0] == "Thống kê nhiệm kỳ, năm"
    assert any(t and t.startswith("Tổ chức đảng: ") and "(mã " in t for t in titles)  # the unit with its code
    assert any(t and "Nhiệm kỳ 2020-2025" in t for t in titles)
    assert any(t and t.startswith("Số liệu đến ngày: ") for t in titles)
    assert any(t and t.startswith("Dữ kiện ghi nhận đến: ") for t in titles)
    assert any(t and t.startswith("Cơ cấu tổ chức: ") for t in titles)
    headers = [c.value for c in ws[h]]
    assert headers == ["Chỉ tiêu", "Kỳ này", "Kỳ so sánh", "Tăng/giảm"]
    assert not ENGLISH_KEYS & set(headers)
    assert ws.freeze_panes == f"A{h + 1}"
    assert ws.auto_filter.ref == f"A{h}:D{h + len(report['rows'])}"
    assert ws.print_title_rows == f"${h}:${h}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    longest = max(len(r["label_vi"]) for r in report["rows"])
    assert ws.column_dimensions["A"].width >= longest  # the labels fit
    for i, r in enumerate(report["rows"], h + 1):
        label, value, previous, change = (ws.cell(row=i, column=c) for c in range(1, 5))
        assert label.value == r["label_vi"]
        assert isinstance(value.value, int) and value.value == r["value"]  # a real number, not text
        assert isinstance(previous.value, int) and previous.value == r["previous"]
        if r["change_pct"] is None:
            assert change.value is None
        else:  # 11.54 % is stored 0.1154 and shown with a percent format
            assert change.value == pytest.approx(r["change_pct"] / 100)
            assert "%" in change.number_format and change.number_format.startswith("+")


def test_the_api_export_is_an_excel_grade_file(system):
    report = get(system, "/api/v1/reporting/term", term="2020-2025", org_unit_id="TN")
    assert any(r["change_pct"] not in (None, 0) for r in report["rows"])
    body = get_bytes(system, "/api/v1/exports/reporting/term", term="2020-2025", org_unit_id="TN", format="xlsx")
    check_term_workbook(body, report)
    text = get_bytes(system, "/api/v1/exports/reporting/term", term="2020-2025", org_unit_id="TN", format="csv")
    assert text.startswith("\ufeff".encode("utf-8"))  # Excel reads the diacritics as UTF-8
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0] == ["Chỉ tiêu", "Kỳ này", "Kỳ so sánh", "Tăng/giảm (%)"]  # no title lines above
    assert len(rows) == 1 + len(report["rows"])


def test_the_dashboards_download_is_the_same_writer(system):
    """The request the dashboard's "Tải XLSX" button sends for the unit list (dashboard.js)."""
    day = dt.date.today().isoformat()
    body = get_bytes(system, "/api/v1/exports/reporting/headcount_report", org_unit_id="TN", structure="as_stood",
                     as_of=day, format="xlsx", reason="")
    report = get(system, "/api/v1/reporting/headcount_report", org_unit_id="TN", structure="as_stood", as_of=day)
    ws = load_workbook(io.BytesIO(body))["Số lượng đảng viên"]
    h = header_row(ws)
    assert [c.value for c in ws[h]] == ["Tổ chức đảng", "Mã tổ chức", "Loại tổ chức", "Trực tiếp",
                                        "Tổng (cộng dồn cấp dưới)"]
    assert ws.freeze_panes == f"A{h + 1}" and ws.auto_filter.ref.startswith(f"A{h}:")
    first = report["rows"][0]
    assert [c.value for c in ws[h + 1]] == [first["name"], "TN", "Tỉnh ủy", first["own"], first["total"]]
    assert ws.cell(row=h + 1, column=5).number_format == "#,##0"
    assert any(t.value == f"Số liệu đến ngày: {dt.date.today():%d/%m/%Y}" for t in ws["A"][:h])


def test_the_cli_writes_the_same_file_and_a_table_with_signs_only_on_changes(system, tmp_path):
    report = get(system, "/api/v1/reporting/term", term="2020-2025", org_unit_id="TN")
    out = tmp_path / "term.xlsx"
    done = run(system, "report", "term", "--term", "2020-2025", "--org", "TN", "--format", "xlsx", "-o", str(out))
    assert done.returncode == 0, done.stderr
    check_term_workbook(out.read_bytes(), report)

    done = run(system, "report", "headcount", "--org", "TN", "--format", "csv", "-o", str(tmp_path / "h.csv"))
    assert done.returncode == 0, done.stderr
    head = (tmp_path / "h.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head == "Tổ chức đảng,Mã tổ chức,Loại tổ chức,Trực tiếp,Tổng (cộng dồn cấp dưới)"

    table = run(system, "report", "term", "--term", "2020-2025", "--org", "TN")
    assert table.returncode == 0, table.stderr
    [line] = [l for l in table.stdout.splitlines() if "Đảng viên được kết nạp" in l]
    cells = [c.strip() for c in line.split("│") if c.strip()]
    row = next(r for r in report["rows"] if r["indicator"] == "members_admitted")
    assert cells[1] == str(row["value"]) and cells[2] == str(row["previous"])  # counts carry no sign
    change = f"{abs(row['change_pct']):.2f}".rstrip("0").rstrip(".").replace(".", ",")
    assert cells[3] == ("+" if row["change_pct"] > 0 else "-") + change + " %"


def test_the_cli_refuses_a_bad_format_before_asking_the_server(system, tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: a query would fail differently
    for args in (("report", "term", "--term", "2020-2025"), ("report", "headcount"), ("audit", "verify"),
                 ("report", "yearly", "--year", "2025")):
        done = run(system, *args, "--format", "pdfx", "-o", str(tmp_path / "x"), url=nowhere) \
            if args[1] != "verify" else run(system, *args, "--format", "pdfx", url=nowhere)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        flat = " ".join(done.stderr.split())
        assert "định dạng «pdfx» không hợp lệ" in flat and "invalid format 'pdfx'" in flat, flat
        assert "Không kết nối" not in flat and not (tmp_path / "x").exists()


def test_an_unreachable_server_is_named_in_both_languages(system):
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = run(system, "report", "term", "--term", "2020-2025", url=nowhere)
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1
    assert f"Không kết nối được máy chủ {nowhere}" in flat and f"Cannot reach the server at {nowhere}" in flat
    assert "HTTP 0" not in flat


def test_a_validation_error_reads_in_vietnamese_and_english(system):
    done = run(system, "report", "term", "--term", "2020-2025", "--org", "X" * 300)
    flat = " ".join(done.stderr.split())
    assert done.returncode == 1, flat
    vi, _, en = flat.partition(" — ")
    assert "không hợp lệ" in vi and "org_unit_id" in vi
    assert "String should" not in vi and "characters" not in vi  # no pydantic English inside the Vietnamese
    assert "Invalid value for 'org_unit_id'" in en


def test_the_import_shows_vietnamese_progress_and_ends_in_one_line(system, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"type": "org_unit.created", "occurred_on": "2024-01-02",
                                "data": {"org_unit_id": "TN-DEMO-X", "name": "Chi bộ Khu phố Mới", "kind": "cell",
                                         "parent_id": "TN-D1-G1"}}, ensure_ascii=False) + "\n", encoding="utf-8")
    done = run(system, "import", "events", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == ["Đã nhập xong / import done: 1 dòng / lines, 1 sự kiện mới / new events"]
    again = run(system, "import", "events", str(path), "--format", "json")
    assert json.loads(again.stdout)["written"] == 0
    bad = run(system, "import", "events", str(path), "--format", "xml")
    assert bad.returncode == 2 and "invalid format 'xml'" in " ".join(bad.stderr.split())
