"""Builds the shipped template ``mau-bao-cao-nam.docx`` (run: ``python -m documents.yearly.build_template``).

The layout follows Hướng dẫn số 36-HD/VPTW ngày 03/4/2018 của Văn phòng Trung ương Đảng về thể thức
và kỹ thuật trình bày văn bản của Đảng: A4 paper; margins top and bottom 20–25 mm, left 30–35 mm,
right 15–20 mm; Times New Roman; "ĐẢNG CỘNG SẢN VIỆT NAM" 15 pt bold upper case with a line below,
at the top right; the issuing body 14 pt upper case at the top left (the body itself bold) with an
asterisk below; "Số …-BC/…" 14 pt; place and date 14 pt italic; the document type 15–16 pt bold; the
summary line 14 pt bold; body 13–14 pt, justified, first-line indent 1–1.27 cm; the signature's
authority line and title 14 pt bold; "Nơi nhận" 14 pt underlined (here bold italic 12 pt, as the
guidance shows it) and its list 12 pt.

A province edits the resulting file in Word or LibreOffice to use its own wording; what it must keep
are the placeholders: ``{{name}}`` inside a paragraph (replaced by text) and paragraphs holding only
``{{bang:…}}`` (a table of figures), ``{{bieu_do:…}}`` (a chart), ``{{nhan_xet:…}}`` (generated
sentences about the figures) or ``{{van_ban:…}}`` (the staff's own text: assessment, causes, tasks).
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

HERE = Path(__file__).parent
TEMPLATE = HERE / "mau-bao-cao-nam.docx"
FONT = "Times New Roman"


def _font(style, size: float) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _p(container, text: str = "", size: float = 14, bold: bool = False, italic: bool = False,
       align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, underline: bool = False, after: float = 6):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.27)
    if text:
        r = p.add_run(text)
        r.font.size, r.bold, r.italic, r.underline = Pt(size), bold, italic, underline
    return p


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.find(qn("w:tblBorders"))
    if borders is not None:
        tbl_pr.remove(borders)


def build(path: Path = TEMPLATE) -> Path:
    doc = Document()
    _font(doc.styles["Normal"], 14)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    sec.footer_distance = Mm(8)
    C = WD_ALIGN_PARAGRAPH.CENTER

    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(head)
    left, right = head.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    left.paragraphs[0].text = ""
    _p(left, "{{co_quan_cap_tren}}", 14, align=C, after=0)
    _p(left, "{{co_quan_ban_hanh}}", 14, bold=True, align=C, after=0)
    _p(left, "*", 14, align=C, after=0)
    _p(left, "Số {{so_ky_hieu}}", 14, align=C, after=0)
    left._tc.remove(left.paragraphs[0]._p)
    _p(right, "ĐẢNG CỘNG SẢN VIỆT NAM", 15, bold=True, underline=True, align=C, after=12)
    _p(right, "{{dia_danh}}, ngày {{ngay}} tháng {{thang}} năm {{nam_lap}}", 14, italic=True,
       align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    right._tc.remove(right.paragraphs[0]._p)

    _p(doc, "", after=6)
    _p(doc, "BÁO CÁO", 16, bold=True, align=C, after=0)
    _p(doc, "Kết quả thực hiện Chỉ thị số …-CT/TU của Ban Thường vụ Tỉnh ủy về tăng cường công tác "
            "quản lý đảng viên và nâng cao chất lượng đảng viên, năm {{nam}}", 14, bold=True, align=C, after=0)
    _p(doc, "-----", 14, align=C, after=6)
    _p(doc, "Kính gửi: Ban Thường vụ Tỉnh ủy", 14, align=C, after=12)

    _p(doc, "Thực hiện Chỉ thị của Ban Thường vụ Tỉnh ủy về tăng cường công tác quản lý đảng viên và "
            "nâng cao chất lượng đảng viên, Đề án số 02-ĐA/TU và Đề án số 03-ĐA/TU nhiệm kỳ 2020 - 2025, "
            "{{co_quan_bao_cao}} phối hợp với Ủy ban Kiểm tra báo cáo kết quả thực hiện năm {{nam}} của "
            "{{ten_don_vi}} như sau (số liệu tính đến ngày {{ngay_so_lieu}}, theo các dữ kiện đã ghi nhận "
            "đến {{thoi_diem_ghi_nhan}}):", indent=True)

    sections = [
        ("I. TÌNH HÌNH VÀ KẾT QUẢ THỰC HIỆN", None),
        ("1. Tổ chức đảng, đảng viên bị kỷ luật, bị xóa tên, xin ra khỏi Đảng", "footnote"),
        ("2. Biến động đảng viên", "movement"),
        ("3. Kỷ luật tổ chức đảng và đảng viên theo hình thức", "discipline"),
        ("4. Thực hiện chỉ tiêu Đề án 02-ĐA/TU và Đề án 03-ĐA/TU", "targets"),
        ("5. Cảnh báo sớm", "warnings"),
        ("6. Chất lượng sinh hoạt chi bộ", "meetings"),
        ("7. Phân tích nguyên nhân theo đối tượng đảng viên", "causes"),
    ]
    charts = {"footnote", "movement", "causes"}
    for title, key in sections:
        _p(doc, title, 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=6)
        if key:
            _p(doc, f"{{{{nhan_xet:{key}}}}}", indent=True)
            _p(doc, f"{{{{bang:{key}}}}}")
            if key in charts:
                _p(doc, f"{{{{bieu_do:{key}}}}}", align=C)
    _p(doc, "II. ĐÁNH GIÁ CHUNG", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for title, key in (("1. Ưu điểm", "uu_diem"), ("2. Hạn chế, khuyết điểm", "han_che"),
                       ("3. Nguyên nhân", "nguyen_nhan")):
        _p(doc, title, 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
        _p(doc, f"{{{{van_ban:{key}}}}}", indent=True)
    _p(doc, "III. NHIỆM VỤ, GIẢI PHÁP NĂM {{nam_sau}}", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _p(doc, "{{van_ban:nhiem_vu}}", indent=True)
    _p(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT", 14, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _p(doc, "{{van_ban:kien_nghi}}", indent=True)
    _p(doc, "", after=6)

    sign = doc.add_table(rows=1, cols=2)
    _no_borders(sign)
    left, right = sign.rows[0].cells
    left.width, right.width = Cm(8), Cm(8.5)
    _p(left, "Nơi nhận:", 12, bold=True, italic=True, underline=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    for line in ("- Ban Thường vụ Tỉnh ủy (b/c),", "- Ủy ban Kiểm tra Tỉnh ủy,", "- Ban Tổ chức Tỉnh ủy,",
                 "- Lưu Văn phòng."):
        _p(left, line, 12, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    left._tc.remove(left.paragraphs[0]._p)
    _p(right, "{{quyen_han_ky}}", 14, bold=True, align=C, after=0)
    _p(right, "{{chuc_vu_ky}}", 14, bold=True, align=C, after=0)
    _p(right, "(Ký, ghi rõ họ tên, đóng dấu)", 13, italic=True, align=C, after=60)
    _p(right, "{{nguoi_ky}}", 14, bold=True, align=C, after=0)
    right._tc.remove(right.paragraphs[0]._p)

    # the appendix on landscape pages: ten columns per direct unit
    appendix = doc.add_section()
    appendix.orientation = WD_ORIENT.LANDSCAPE
    appendix.page_width, appendix.page_height = Mm(297), Mm(210)
    appendix.top_margin, appendix.bottom_margin = Mm(30), Mm(15)
    appendix.left_margin, appendix.right_margin = Mm(20), Mm(20)
    _p(doc, "PHỤ LỤC", 14, bold=True, align=C, after=0)
    _p(doc, "Số liệu năm {{nam}} của các đơn vị trực thuộc {{ten_don_vi}}", 14, bold=True, align=C, after=0)
    _p(doc, "(Kèm theo Báo cáo số {{so_ky_hieu}})", 14, italic=True, align=C, after=6)
    _p(doc, "{{bang:appendix}}")
    doc.save(path)
    return path


if __name__ == "__main__":  # pragma: no cover
    print(build())
