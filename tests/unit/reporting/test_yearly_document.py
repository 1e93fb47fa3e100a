"""The yearly report to the Standing Committee (D8) as the document staff send: DOCX read back with
python-docx; PDF (LibreOffice) rendered to PNG with pdftoppm and read with pdftotext."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from documents import vn
from documents import yearly as doc
from documents.yearly import document as docx_writer
from documents.yearly import embed
from services.reporting import yearly
from services.reporting.periods import parse_period
from services.reporting.term_table import term_table
from shared.errors import DomainError
from tests.unit.reporting.history import History
from tests.unit.reporting.yearly_history import province

AS_OF = dt.date(2025, 12, 31)
CHECKSUM = "c0ffee" * 10 + "beef"


def figures_of(h, org=None, directs=2):
    province(h, directs=directs)
    g = h.generations()
    f = yearly.figures(h.view(as_of=AS_OF, known_at=dt.datetime.now(dt.timezone.utc)), org, 2025)
    f["read_model"] = {"checksum": g.checksum(), "generation": "1"}
    return f


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One province, its figures and the DOCX, shared by the read-back tests (rendering takes seconds)."""
    h = History(tmp_path_factory.mktemp("yearly"))
    f = figures_of(h)
    yield h, f, doc.render(f, "docx")
    h.close()


def all_text(d) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    for s in d.sections:
        parts += [p.text for p in s.footer.paragraphs]
    return "\n".join(parts)


def table_with(d, first_header: str, title_cell: str):
    for t in d.tables:
        if t.rows[0].cells[0].text == first_header and any(title_cell in c.text for c in t.rows[0].cells):
            return t
    raise AssertionError(f"no table headed {title_cell!r}")


def test_docx_reads_back_as_a_party_report(made):
    history, f, data = made
    d = Document(io.BytesIO(data))
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert header[0].splitlines() == ["TỈNH ỦY TÂY NINH", "BAN TỔ CHỨC", "*", "Số …-BC/BTCTU"]
    right = header[1].splitlines()
    assert right[0] == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert re.fullmatch(r"Tây Ninh, ngày \d\d tháng (0[12]|[3-9]|1[012]) năm \d{4}", right[1])
    body = [p.text for p in d.paragraphs]
    assert "BÁO CÁO" in body
    assert any(t.startswith("Kết quả thực hiện Chỉ thị") and t.endswith("năm 2025") for t in body)
    assert "Kính gửi: Ban Thường vụ Tỉnh ủy" in body
    headings = ["I. TÌNH HÌNH VÀ KẾT QUẢ THỰC HIỆN", "1. Tổ chức đảng, đảng viên bị kỷ luật, bị xóa tên, xin ra khỏi Đảng",
                "2. Biến động đảng viên", "3. Kỷ luật tổ chức đảng và đảng viên theo hình thức",
                "4. Thực hiện chỉ tiêu Đề án 02-ĐA/TU và Đề án 03-ĐA/TU", "5. Cảnh báo sớm",
                "6. Chất lượng sinh hoạt chi bộ", "7. Phân tích nguyên nhân theo đối tượng đảng viên",
                "II. ĐÁNH GIÁ CHUNG", "III. NHIỆM VỤ, GIẢI PHÁP NĂM 2026", "IV. KIẾN NGHỊ, ĐỀ XUẤT", "PHỤ LỤC"]
    positions = [body.index(h) for h in headings]
    assert positions == sorted(positions)
    sign = "\n".join(c.text for c in d.tables[-2].rows[0].cells)
    assert "Nơi nhận:" in sign and "TRƯỞNG BAN" in sign
    text = all_text(d)
    assert "{{" not in text and "}}" not in text
    assert "Năm 2025, Đảng bộ tỉnh Tây Ninh có 1 tổ chức đảng bị xử lý kỷ luật" in text
    assert "3 đảng viên bị xóa tên (tăng 200% so với năm 2024)" in text


def test_the_footnote_table_shows_report_terms_numbers(made):
    history, f, data = made
    d = Document(io.BytesIO(data))
    v = history.view(as_of=AS_OF)
    by_year = term_table(v, "TN", parse_period("2025"), parse_period("2024"))["rows"]
    by_term = term_table(v, "TN", parse_period("2020-2025"), parse_period("2015-2020"))["rows"]
    t = table_with(d, "TT", "Năm 2025")
    assert [c.text for c in t.rows[0].cells] == ["TT", "Nội dung", "Năm 2025", "Năm 2024", "Tăng/giảm (%)",
                                                 "Nhiệm kỳ 2020-2025", "Nhiệm kỳ 2015-2020", "Tăng/giảm (%)"]
    rows = {r.cells[1].text: [c.text for c in r.cells[2:]] for r in t.rows[1:]}
    for y, term in zip(by_year, by_term):
        assert rows[y["label_vi"]] == [vn.number(y["value"]), vn.number(y["previous"]), vn.change(y["change_pct"]),
                                       vn.number(term["value"]), vn.number(term["previous"]),
                                       vn.change(term["change_pct"])]
    assert rows["Đảng viên bị xóa tên"][:3] == ["3", "1", "+200"]


def test_every_page_footer_carries_as_of_known_at_and_checksum(made):
    history, f, data = made
    d = Document(io.BytesIO(data))
    assert len(d.sections) == 2  # portrait body, landscape appendix
    first = "\n".join(p.text for p in d.sections[0].footer.paragraphs)
    assert f["read_model"]["checksum"] in first and f["digest"] in first
    assert "Số liệu đến ngày 31/12/2025" in first and vn.moment(f["params"]["known_at"]) in first
    assert all(s.footer.is_linked_to_previous for s in d.sections[1:])  # same footer on the appendix's pages
    sec = d.sections[0]  # Hướng dẫn 36-HD/VPTW: A4, margins top/bottom 20, left 30, right 15 mm
    mm = [round(x.mm) for x in (sec.page_width, sec.page_height, sec.top_margin, sec.bottom_margin, sec.left_margin,
                                sec.right_margin)]
    assert mm == [210, 297, 20, 20, 30, 15]
    assert d.styles["Normal"].font.name == "Times New Roman"


def test_the_document_carries_its_figures(made):
    history, f, data = made
    assert embed.read(data) == f
    assert embed.diff(embed.read(data), f) == []
    with pytest.raises(DomainError) as e:
        embed.read(b"PK not really a zip", "x.docx")
    assert e.value.code == "not_a_yearly_report"


def test_staff_text_and_header_words_fill_the_template(history):
    f = figures_of(history)
    texts = {"uu_diem": "Các cấp ủy đã quán triệt Chỉ thị.\nRà soát đảng viên đi làm ăn xa.",
             "nguoi_ky": "Nguyễn Văn Ký", "so_ky_hieu": "125-BC/BTCTU"}
    d = Document(io.BytesIO(doc.render(f, "docx", texts=texts)))
    body = [p.text for p in d.paragraphs]
    i = body.index("1. Ưu điểm")
    assert body[i + 1:i + 3] == ["Các cấp ủy đã quán triệt Chỉ thị.", "Rà soát đảng viên đi làm ăn xa."]
    assert "Số 125-BC/BTCTU" in d.tables[0].rows[0].cells[0].text
    assert "Nguyễn Văn Ký" in d.tables[-2].rows[0].cells[1].text
    # without their text, staff see where to write
    plain = [p.text for p in Document(io.BytesIO(doc.render(f, "docx"))).paragraphs]
    assert plain[plain.index("1. Ưu điểm") + 1].startswith("[Cán bộ soạn thảo ghi ưu điểm")


def test_a_direct_unit_signs_for_its_standing_committee(history):
    f = figures_of(history, org="D1")
    d = Document(io.BytesIO(doc.render(f, "docx")))
    left = d.tables[0].rows[0].cells[0].text.splitlines()
    assert left[:2] == ["ĐẢNG BỘ TỈNH TÂY NINH", "ĐẢNG BỘ HUYỆN SỐ 1"]
    sign = d.tables[-2].rows[0].cells[1].text
    assert "T/M BAN THƯỜNG VỤ" in sign and "BÍ THƯ" in sign


def test_a_province_template_is_used_and_a_bad_one_is_named(history, tmp_path, monkeypatch):
    f = figures_of(history)
    own = Document(str(docx_writer.TEMPLATE))
    own.add_paragraph("Mẫu riêng của Tỉnh ủy: {{ten_don_vi}} năm {{nam}}")
    path = tmp_path / "mau-tinh.docx"
    own.save(path)
    monkeypatch.setenv(docx_writer.TEMPLATE_ENV, str(path))
    d = Document(io.BytesIO(doc.render(f, "docx")))
    assert "Mẫu riêng của Tỉnh ủy: Đảng bộ tỉnh Tây Ninh năm 2025" in [p.text for p in d.paragraphs]
    own.add_paragraph("{{bang:khong_co}}")
    own.save(path)
    with pytest.raises(DomainError) as e:
        doc.render(f, "docx")
    assert e.value.code == "unknown_placeholder" and "khong_co" in e.value.message_vi
    (tmp_path / "hong.docx").write_bytes(b"not a docx")
    with pytest.raises(DomainError) as e:
        doc.render(f, "docx", template=tmp_path / "hong.docx")
    assert e.value.code == "template_unreadable"
    with pytest.raises(DomainError) as e:
        doc.render(f, "docx", template=tmp_path / "none.docx")
    assert e.value.code == "template_not_found"
    with pytest.raises(DomainError) as e:
        doc.render(f, "odt")
    assert e.value.field == "format"


# -- PDF: LibreOffice, poppler ---------------------------------------------------------------------

def need_pdf_tools():
    missing = [t for t in ("soffice", "pdftoppm", "pdftotext", "pdfinfo", "pdffonts", "fc-list") if not shutil.which(t)]
    if missing:
        if os.environ.get("DANGVIEN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"missing {missing}: run scripts/ensure-services.sh")
        pytest.skip(f"missing {missing}")


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def pages_of(pdf: Path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(pdf))).group(1))


def test_pdf_renders_vietnamese_with_its_footer_on_every_page(made, tmp_path):
    need_pdf_tools()
    history, f, data = made
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(doc.render(f, "pdf"))
    n = pages_of(pdf)
    assert 3 <= n <= 12
    run("pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page"))
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == n and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    text = run("pdftotext", "-layout", str(pdf), "-")
    for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "TỈNH ỦY TÂY NINH", "Kính gửi: Ban Thường vụ Tỉnh ủy", "BÁO CÁO",
                  "Đảng viên bị xóa tên", "xin ra khỏi Đảng", "Nơi nhận:", "PHỤ LỤC"):
        assert words in text, words
    assert "\ufffd" not in text and "□" not in text
    for i in range(1, n + 1):  # the footer on each page, the checksum whole on one line
        page = run("pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-")
        assert f["read_model"]["checksum"] in page and "Số liệu đến ngày 31/12/2025" in page, i
        assert f"Trang{i}/{n}" in re.sub(r"\s+", "", page), i
    # every font embedded, each a Times-compatible serif whose file has a glyph for every letter used
    fonts = [line.split()[0] for line in run("pdffonts", str(pdf)).splitlines()[2:]]
    assert fonts and all(re.search(r"(LiberationSerif|TimesNewRoman|Tinos)", name) for name in fonts), fonts
    assert all(line.split()[-5] == "yes" for line in run("pdffonts", str(pdf)).splitlines()[2:])
    letters = sorted({ch for ch in text if ord(ch) > 127 and ch.isalpha()})
    assert "ộ" in letters and "ử" in letters
    charset = " ".join(f"{ord(ch):x}" for ch in letters)
    assert run("fc-list", f"Liberation Serif:charset={charset}", "family").strip(), letters
    assert embed.read(pdf.read_bytes()) == f


def test_pdf_of_a_province_with_a_hundred_direct_units_stays_a_readable_length(history, tmp_path):
    """New Tây Ninh has 100 committees directly under the province (DOMAIN.md §10)."""
    need_pdf_tools()
    province(history, directs=100)
    g = history.generations()
    f = yearly.figures(history.view(as_of=AS_OF), None, 2025)
    f["read_model"] = {"checksum": g.checksum(), "generation": "1"}
    assert len(f["tables"]["appendix"]["rows"]) == 100
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(doc.render(f, "pdf"))
    n = pages_of(pdf)
    assert 5 <= n <= 25, n
    last = run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-")
    assert "Đảng bộ huyện Số 99" in run("pdftotext", "-layout", str(pdf), "-") and f["digest"] in last


def test_a_number_edited_by_hand_is_named(made, tmp_path):
    history, f, data = made
    assert embed.edited(data, f) == []
    d = Document(io.BytesIO(data))
    t = next(t for t in d.tables if t.rows[0].cells[0].text == "TT" and t.rows[0].cells[2].text == "Năm 2025")
    row = next(r for r in t.rows if r.cells[1].text == "Đảng viên bị xóa tên")
    row.cells[2].paragraphs[0].runs[0].text = "2"
    out = io.BytesIO()
    d.save(out)
    assert [(e["figure"], e["printed"], e["embedded"]) for e in embed.edited(out.getvalue(), f)] == [
        ("footnote/members_removed/year", "2", "3")]


def test_a_document_drawn_while_a_store_fails_verification_says_so_first_and_on_every_page(made):
    """The yearly report is signed and sent to the Standing Committee: figures drawn from a record
    that fails its integrity check must say so where the reader starts, and in the footer."""
    from shared.integrity_watch import flag as integrity_header
    from shared import integrity_watch

    _, f, clean = made
    assert "CẢNH BÁO" not in all_text(Document(io.BytesIO(clean)))
    integrity_watch._set("members", state="failed")
    try:
        flag = integrity_header()
    finally:
        integrity_watch.STATE.pop("members", None)
    d = Document(io.BytesIO(doc.render({**f, "integrity": flag}, "docx")))
    first = next(p for p in d.paragraphs if p.text.strip())
    assert first.text.startswith("CẢNH BÁO: kho sự kiện members") and "WARNING: event store members" in first.text
    assert first.runs[0].bold
    footer = "\n".join(p.text for p in d.sections[0].footer.paragraphs)
    assert "CẢNH BÁO: kho sự kiện members" in footer and "tampered" in footer


# -- read as the signer reads it (session 11 QA) ----------------------------------------------------

def _bundle(unit=None, **tables) -> dict:
    """Figures with only what the sentence or table under test reads."""
    return {"params": {"year": 2025, "term": "2020-2025", "as_of": "2025-12-31", "known_at": "2026-01-05T00:00:00Z"},
            "unit": unit or {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
            "province": (unit or {}).get("name", "Đảng bộ tỉnh Tây Ninh"), "tables": tables}


def test_the_movement_sentence_adds_up_with_moves_inside_the_province():
    """A district (or the province after a merger) gains and loses members by moves between units of
    the province: the sentence names them, so opening + in − out = closing as the signer checks."""
    v = {"opening": 281, "admitted": 13, "transferred_in": 3, "moved_in": 96, "transferred_out": 2, "died": 3,
         "removed": 2, "resigned": 0, "expelled": 1, "moved_out": 0, "closing": 385}
    f = _bundle(movement={"rows": [{"id": "TN", "label_vi": "Tây Ninh", "values": v}]})
    [text] = docx_writer.commentary("movement", f)
    assert "chuyển từ đơn vị khác trong tỉnh 96" in text
    numbers = [int(n.replace(".", "")) for n in re.findall(r"\d[\d.]*", text)]
    opening, closing, *flows = numbers
    assert (opening, closing) == (281, 385)
    ins, outs = flows[:3], flows[3:]
    assert opening + sum(ins) - sum(outs) == closing


def test_the_meetings_sentence_of_a_unit_without_meetings_prints_no_empty_percentage():
    """An empty district (no cells, no meetings due) reads as such, not '—% số buổi'."""
    rows = [{"id": "cells", "label_vi": "Số chi bộ", "values": {"value": 0, "of": None, "pct": None}},
            {"id": "regular_held", "label_vi": "", "values": {"value": 0, "of": 0, "pct": None}},
            {"id": "meeting_standard", "label_vi": "", "values": {"value": 0, "of": 0, "pct": None}}]
    [text] = docx_writer.commentary("meetings", _bundle(meetings={"rows": rows}))
    assert "—" not in text and "%" not in text
    assert text.startswith("Không có chi bộ")


def test_direct_units_of_the_same_name_are_told_apart_by_their_code():
    """After a merger grassroots committees of former districts stand side by side under the province
    and several are called 'Đảng bộ Phường 1': each such row carries its code, the others do not."""
    cols = [{"key": "closing", "label_vi": "Đảng viên cuối kỳ", "kind": "int"}]
    rows = [{"id": i, "label_vi": n, "values": {"closing": 1}} for i, n in
            (("TN-D1-G1", "Đảng bộ Phường 1"), ("TN-D2-G1", "Đảng bộ Phường 1"), ("TN-D1-G3", "Đảng bộ Xã Tân Bình"))]
    targets = [{"id": f"{i}.members_removed", "label_vi": f"{n} — Đảng viên bị xóa tên",
                "values": {"term_target": 1, "year_target": None}} for i, n in
               (("TN-D1-G1", "Đảng bộ Phường 1"), ("TN-D2-G1", "Đảng bộ Phường 1"), ("TN-D1-G3", "Đảng bộ Xã Tân Bình"))]
    f = _bundle(appendix={"columns": cols, "rows": rows}, targets={"columns": cols, "rows": targets})
    _, shown, _ = docx_writer.visible("appendix", f)
    assert [r["label_vi"] for r in shown] == ["Đảng bộ Phường 1 (TN-D1-G1)", "Đảng bộ Phường 1 (TN-D2-G1)",
                                              "Đảng bộ Xã Tân Bình"]
    _, shown, _ = docx_writer.visible("targets", f)
    assert [r["label_vi"] for r in shown] == ["Đảng bộ Phường 1 (TN-D1-G1) — Đảng viên bị xóa tên",
                                              "Đảng bộ Phường 1 (TN-D2-G1) — Đảng viên bị xóa tên",
                                              "Đảng bộ Xã Tân Bình — Đảng viên bị xóa tên"]
    assert rows[0]["label_vi"] == "Đảng bộ Phường 1"  # the embedded figures keep the unit's own name


def test_a_report_on_the_whole_record_names_no_province_called_toan_tinh():
    """Before a merger the record holds two provinces (no single root): the report covers the whole
    record, 'Toàn tỉnh'. The header and the place are then left for staff to write (as the number
    is), never 'TỈNH ỦY TOÀN TỈNH' or 'Toàn tỉnh, ngày …'."""
    whole = {"org_unit_id": None, "name": "Toàn tỉnh", "kind": "province"}
    values = docx_writer.context(_bundle(whole), today=dt.date(2026, 1, 5))
    assert values["co_quan_cap_tren"] == "TỈNH ỦY …" and values["dia_danh"] == "…"
    assert "TOÀN TỈNH" not in values["co_quan_cap_tren"]
    assert values["ten_don_vi"] == "toàn tỉnh"  # 'báo cáo kết quả … của toàn tỉnh như sau'
    zero = {"year": 0, "year_change": None, "term": 0, "term_change": None}
    footnote = {"rows": [{"id": i, "label_vi": "", "values": zero} for i in
                         ("orgs_disciplined", "members_disciplined", "members_removed", "members_resigned")]}
    assert docx_writer.commentary("footnote", _bundle(whole, footnote=footnote))[0].startswith("Năm 2025, toàn tỉnh có 0")
    own = docx_writer.context(_bundle(whole), {"co_quan_cap_tren": "TỈNH ỦY TÂY NINH", "dia_danh": "Tây Ninh"},
                              today=dt.date(2026, 1, 5))
    assert (own["co_quan_cap_tren"], own["dia_danh"]) == ("TỈNH ỦY TÂY NINH", "Tây Ninh")


@pytest.mark.parametrize("utc, signed", [
    ("2025-12-31T16:59:59", ("31", "12", "2025")),  # 23:59:59 in Viet Nam: still 31/12
    ("2025-12-31T17:00:00", ("01", "01", "2026")),  # 00:00 on 01/01 in Viet Nam (UTC+7)
    ("2026-01-01T06:59:59", ("01", "01", "2026")),
])
def test_the_report_is_dated_the_day_it_is_made_in_viet_nam_whatever_the_servers_clock(monkeypatch, utc, signed):
    """D8: '…, ngày … tháng … năm …' is the day in Viet Nam (UTC+7) the report is made — a report
    made at 06:00 on 01/01/2026 in Tây Ninh, on a server whose clock runs in UTC (still 31/12/2025
    there), is dated 01/01/2026, not the day before."""
    import shared.dates
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.timezone.utc)
    monkeypatch.setattr(shared.dates, "utc_now", lambda: now)
    values = docx_writer.context(_bundle())
    assert (values["ngay"], values["thang"], values["nam_lap"]) == signed
