"""The yearly report to the Standing Committee (D8) as a DOCX (python-docx) made from a template.

The template (shipped: ``mau-bao-cao-nam.docx``; a province points to its own with
``DANGVIEN_YEARLY_TEMPLATE`` or ``--template``) holds the layout and the wording; this module fills
its placeholders — ``{{name}}`` inside a paragraph, and whole-paragraph ``{{bang:…}}`` (a table),
``{{bieu_do:…}}`` (a chart), ``{{nhan_xet:…}}`` (sentences about the figures), ``{{van_ban:…}}``
(the staff's text) — writes the verification footer on every page and embeds the figures.
Numbers are written the Vietnamese way (1.234,5), dates dd/mm/yyyy.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from shared.dates import today_vn
from shared.errors import DomainError

from documents import vn
from documents.yearly import charts, embed

TEMPLATE = Path(__file__).parent / "mau-bao-cao-nam.docx"
TEMPLATE_ENV = "DANGVIEN_YEARLY_TEMPLATE"
FONT = "Times New Roman"
INLINE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
BLOCK = re.compile(r"^\s*\{\{\s*(bang|bieu_do|nhan_xet|van_ban)\s*:\s*([a-z_]+)\s*\}\}\s*$")

#: what staff write themselves; shown as a highlighted prompt until they do (or a --text file fills it)
GUIDANCE = {
    "uu_diem": "[Cán bộ soạn thảo ghi ưu điểm trong lãnh đạo, chỉ đạo, tổ chức thực hiện Chỉ thị năm {nam}.]",
    "han_che": "[Cán bộ soạn thảo ghi hạn chế, khuyết điểm, nêu rõ đơn vị chưa đạt chỉ tiêu Đề án 02, 03.]",
    "nguyen_nhan": "[Cán bộ soạn thảo ghi nguyên nhân khách quan, chủ quan; tham khảo bảng 7 về đối tượng đảng viên.]",
    "nhiem_vu": "[Cán bộ soạn thảo ghi nhiệm vụ, giải pháp năm {nam_sau}.]",
    "kien_nghi": "[Cán bộ soạn thảo ghi kiến nghị, đề xuất với Ban Thường vụ Tỉnh ủy (nếu có).]",
}


# -- the words around the figures ----------------------------------------------------------------

def _place(name: str) -> str:
    """'Đảng bộ tỉnh Tây Ninh (sau hợp nhất)' → 'Tây Ninh'."""
    name = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    m = re.match(r"(?i)đảng bộ\s+(tỉnh|thành phố)\s+(.+)$", name)
    return m.group(2) if m else name


def _signed_day(day: dt.date) -> tuple[str, str, str]:
    """HD 36: days 1–9 and months 1–2 written with a leading zero."""
    return f"{day.day:02d}", f"{day.month:02d}" if day.month <= 2 else str(day.month), str(day.year)


def context(figures: dict, texts: dict | None = None, today: dt.date | None = None) -> dict:
    unit, params = figures["unit"], figures["params"]
    year = int(params["year"])
    day, month, made = _signed_day(today or today_vn())  # the signing day in Viet Nam, not the server's
    name = unit["name"]
    if unit["kind"] == "province":
        # the whole record (no single provincial root, e.g. two provinces before their merger) has
        # no name to head the report with: left for staff to write, as the number is
        place = _place(name) if unit["org_unit_id"] else "…"
        if not unit["org_unit_id"]:
            name = name[:1].lower() + name[1:]  # 'của toàn tỉnh'
        body = {"co_quan_cap_tren": f"TỈNH ỦY {place.upper()}", "co_quan_ban_hanh": "BAN TỔ CHỨC",
                "so_ky_hieu": "…-BC/BTCTU", "co_quan_bao_cao": "Ban Tổ chức Tỉnh ủy", "dia_danh": place,
                "quyen_han_ky": "TRƯỞNG BAN", "chuc_vu_ky": ""}
    else:
        province = re.sub(r"\s*\(.*?\)\s*", " ", figures.get("province") or "Đảng bộ tỉnh").strip()
        body = {"co_quan_cap_tren": province.upper(), "co_quan_ban_hanh": unit["name"].upper(),
                "so_ky_hieu": "…-BC/…", "co_quan_bao_cao": f"Ban Thường vụ {unit['name']}",
                "dia_danh": _place(province),
                "quyen_han_ky": "T/M BAN THƯỜNG VỤ", "chuc_vu_ky": "BÍ THƯ"}
    out = {**body, "nam": str(year), "nam_sau": str(year + 1), "nam_truoc": str(year - 1),
           "ngay": day, "thang": month, "nam_lap": made, "ten_don_vi": name,
           "ngay_so_lieu": vn.date(params["as_of"]), "thoi_diem_ghi_nhan": vn.moment(params["known_at"]),
           "nhiem_ky": params["term"], "nguoi_ky": "…"}
    for key, value in (texts or {}).items():
        if key in out and isinstance(value, str):
            out[key] = value
    return out


def _with_change(value: int, change: float | None, what: str) -> str:
    if change is None:
        return f"{vn.number(value)} {what}"
    if change == 0:
        return f"{vn.number(value)} {what} (bằng {{so_sanh}})"
    word = "tăng" if change > 0 else "giảm"
    return f"{vn.number(value)} {what} ({word} {vn.number(abs(change))}% so với {{so_sanh}})"


def commentary(key: str, figures: dict) -> list[str]:
    tables, year = figures["tables"], figures["params"]["year"]
    unit = figures["unit"]["name"]
    if not figures["unit"]["org_unit_id"]:  # the whole record: 'Năm 2024, toàn tỉnh có …'
        unit = unit[:1].lower() + unit[1:]
    if key == "footnote":
        r = {row["id"]: row["values"] for row in tables["footnote"]["rows"]}
        parts = [_with_change(r[i]["year"], r[i]["year_change"], w).replace("{so_sanh}", f"năm {int(year) - 1}")
                 for i, w in (("orgs_disciplined", "tổ chức đảng bị xử lý kỷ luật"),
                              ("members_disciplined", "đảng viên bị xử lý kỷ luật"),
                              ("members_removed", "đảng viên bị xóa tên"),
                              ("members_resigned", "đảng viên xin ra khỏi Đảng"))]
        term = figures["params"]["term"]
        terms = [_with_change(r[i]["term"], r[i]["term_change"], w).replace("{so_sanh}", "nhiệm kỳ trước")
                 for i, w in (("orgs_disciplined", "tổ chức đảng bị kỷ luật"),
                              ("members_disciplined", "đảng viên bị kỷ luật"),
                              ("members_removed", "đảng viên bị xóa tên"),
                              ("members_resigned", "đảng viên xin ra khỏi Đảng"))]
        return [f"Năm {year}, {unit} có " + "; ".join(parts) + ".",
                f"Nhiệm kỳ {term} (tính đến ngày {vn.date(figures['params']['as_of'])}): " + "; ".join(terms) + "."]
    if key == "movement" and tables["movement"]["rows"]:
        v = tables["movement"]["rows"][0]["values"]
        return [f"Đầu năm có {vn.number(v['opening'])} đảng viên, cuối năm có {vn.number(v['closing'])} đảng viên. "
                f"Trong năm kết nạp {vn.number(v['admitted'])}, chuyển đến {vn.number(v['transferred_in'])}, "
                f"chuyển từ đơn vị khác trong tỉnh {vn.number(v.get('moved_in', 0))}; "
                f"chuyển đi {vn.number(v['transferred_out'])}, từ trần {vn.number(v['died'])}, xóa tên "
                f"{vn.number(v['removed'])}, xin ra khỏi Đảng {vn.number(v['resigned'])}, khai trừ "
                f"{vn.number(v['expelled'])}, chuyển sang đơn vị khác trong tỉnh {vn.number(v.get('moved_out', 0))}."]
    if key == "targets":
        rows = tables["targets"]["rows"]
        judged = [r for r in rows if r["values"]["term_met"] is not None]
        missed = [r["label_vi"] for r in judged if r["values"]["term_met"] is False]
        if not judged:
            return ["Chưa có đơn vị đăng ký chỉ tiêu nhiệm kỳ theo Đề án 02-ĐA/TU, 03-ĐA/TU."]
        text = (f"Có {vn.number(len(judged) - len(missed))}/{vn.number(len(judged))} chỉ tiêu nhiệm kỳ đã đăng ký "
                "đạt yêu cầu")
        return [text + (f"; chưa đạt: {'; '.join(missed)}." if missed else ".")]
    if key == "warnings":
        rows = {r["id"]: r["values"] for r in tables["warnings"]["rows"]}
        a, d = rows["unexcused_absences"], rows["unpaid_dues"]
        w = rows["working_away_no_contact"]["warning"] + rows["working_away_overdue"]["overdue"]
        return [f"Trong năm có {vn.number(a['warning'])} đảng viên vắng sinh hoạt không lý do 1–2 lần và "
                f"{vn.number(a['removal_ground'])} đảng viên vắng từ 3 lần trở lên; {vn.number(d['warning'])} đảng "
                f"viên chưa đóng đảng phí 1–2 tháng và {vn.number(d['removal_ground'])} đảng viên từ 3 tháng trở lên; "
                f"{vn.number(w)} trường hợp đảng viên đi làm ăn xa không liên lạc được hoặc quá hạn trở về."]
    if key == "meetings":
        rows = {r["id"]: r["values"] for r in tables["meetings"]["rows"]}
        if not rows["cells"]["value"]:
            return ["Không có chi bộ trực thuộc trong năm."]
        regular, standard = rows["regular_held"]["pct"], rows["meeting_standard"]["pct"]
        if regular is None:  # no meeting was due (a rate without a base is no figure)
            return [f"{vn.number(rows['cells']['value'])} chi bộ; trong năm không có buổi sinh hoạt thường kỳ "
                    "phải tổ chức."]
        return [f"{vn.number(rows['cells']['value'])} chi bộ; sinh hoạt thường kỳ đạt "
                f"{vn.number(regular)}% số buổi phải tổ chức"
                + (f"; {vn.number(standard)}% số buổi đạt chuẩn theo Hướng dẫn 12-HD/BTCTW." if standard is not None
                   else "; chưa tổ chức buổi sinh hoạt thường kỳ nào.")]
    return []


# -- tables ---------------------------------------------------------------------------------------

def _borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "single")
        e.set(qn("w:sz"), "4")
        e.set(qn("w:color"), "000000")
        borders.append(e)
    tbl_pr.append(borders)


def _cell(cell, text: str, size: float, bold: bool = False, align=WD_ALIGN_PARAGRAPH.RIGHT) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.first_line_indent = Cm(0)
    r = p.add_run(text)
    r.font.size, r.bold, r.font.name = Pt(size), bold, FONT


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:tblHeader")
    h.set(qn("w:val"), "true")
    tr_pr.append(h)


def _told_apart(rows: list[dict], unit_of, name_of) -> list[dict]:
    """Rows whose units share a name (grassroots committees of former districts side by side after
    a merger, each 'Đảng bộ Phường 1') show the unit's code after its name; the others as they are."""
    units: dict[str, set] = {}
    for r in rows:
        units.setdefault(name_of(r), set()).add(unit_of(r))
    out = []
    for r in rows:
        name = name_of(r)
        if len(units[name]) > 1:
            r = {**r, "label_vi": name + f" ({unit_of(r)})" + r["label_vi"][len(name):]}
        out.append(r)
    return out


def visible(key: str, figures: dict) -> tuple[list[dict], list[dict], str]:
    """What a table shows (the embedded figures keep everything): columns, rows, first header."""
    table = figures["tables"][key]
    cols, rows = table["columns"], table["rows"]
    if key == "appendix":
        rows = _told_apart(rows, lambda r: r["id"], lambda r: r["label_vi"])
    elif key == "targets":  # 'unit name — indicator', id 'unit.indicator'
        rows = _told_apart(rows, lambda r: r["id"].rsplit(".", 1)[0], lambda r: r["label_vi"].rsplit(" — ", 1)[0])
    if key == "movement":  # the report's unit, flows as rows; the appendix has each direct unit
        top = rows[0] if rows else {"values": {}}
        return ([{"key": "value", "label_vi": "Số đảng viên", "kind": "int"}],
                [{"id": c["key"], "label_vi": c["label_vi"], "values": {"value": top["values"].get(c["key"], 0)}}
                 for c in cols], "Nội dung")
    if key == "targets":  # the report's unit and every unit that registered a target
        root = figures["unit"]["org_unit_id"]
        rows = [r for r in rows if r["id"].rsplit(".", 1)[0] == root
                or r["values"]["term_target"] is not None or r["values"]["year_target"] is not None]
        return cols, rows, "Đơn vị — chỉ tiêu"
    if key == "appendix":
        return cols, rows, "Đơn vị trực thuộc"
    return cols, rows, "Nội dung"


def build_table(doc, key: str, figures: dict, width_cm: float):
    cols, rows, first = visible(key, figures)
    size = 10 if len(cols) > 6 else 11
    t = doc.add_table(rows=1, cols=len(cols) + 2)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    _borders(t)
    label_w = min(6.0, width_cm * 0.32)
    rest = (width_cm - 1.0 - label_w) / max(len(cols), 1)
    widths = [Cm(1.0), Cm(label_w)] + [Cm(rest)] * len(cols)
    for column, w in zip(t.columns, widths):
        column.width = w

    def sized(cells):
        for c, w in zip(cells, widths):
            c.width = w
        return cells

    header = sized(t.rows[0].cells)
    _repeat_header(t.rows[0])
    for cell, text in zip(header, ["TT", first] + [c["label_vi"] for c in cols]):
        _cell(cell, text, size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for n, r in enumerate(rows, 1):
        cells = sized(t.add_row().cells)
        _cell(cells[0], str(n), size, align=WD_ALIGN_PARAGRAPH.CENTER)
        _cell(cells[1], r["label_vi"], size, align=WD_ALIGN_PARAGRAPH.LEFT)
        for cell, c in zip(cells[2:], cols):
            _cell(cell, vn.cell(r["values"].get(c["key"]), c["kind"]), size)
    if not rows:
        cells = sized(t.add_row().cells)
        _cell(cells[1], "Không có số liệu", size, align=WD_ALIGN_PARAGRAPH.LEFT)
    return t


# -- filling the template -------------------------------------------------------------------------

def _paragraphs(doc):
    def walk(container):
        for p in container.paragraphs:
            yield p
        for t in getattr(container, "tables", []):
            for row in t.rows:
                for c in row.cells:
                    yield from walk(c)
    yield from walk(doc)
    for s in doc.sections:
        for part in (s.header, s.footer, s.first_page_header, s.first_page_footer):
            if not part.is_linked_to_previous:
                yield from walk(part)


def _replace_inline(p, values: dict) -> None:
    text = p.text
    if "{{" not in text:
        return
    for run in p.runs:  # a placeholder inside one run keeps that run's formatting
        if "{{" in run.text:
            run.text = INLINE.sub(lambda m: values.get(m.group(1), m.group(0)), run.text)
    if INLINE.search(p.text) and p.runs:  # split across runs (edited in Word): the first run takes all
        new = INLINE.sub(lambda m: values.get(m.group(1), m.group(0)), p.text)
        p.runs[0].text = new
        for run in p.runs[1:]:
            run.text = ""


def _usable_width(doc, paragraph) -> float:
    body = paragraph._p.getparent()
    section = doc.sections[0]
    # the section a paragraph is in is the next sectPr after it (or the body's last one)
    following = paragraph._p.xpath("following::w:sectPr")
    if following:
        for s in doc.sections:
            if s._sectPr is following[0]:
                section = s
                break
    else:
        section = doc.sections[-1]
    del body
    return (section.page_width - section.left_margin - section.right_margin) / 360000


def _insert_before(p, doc, text: str, italic: bool = False, highlight: bool = False) -> None:
    new = p.insert_paragraph_before()
    new.paragraph_format.first_line_indent = p.paragraph_format.first_line_indent or Cm(1.27)
    new.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    r = new.add_run(text)
    r.italic = italic
    if highlight:
        r.font.color.rgb = RGBColor(0x80, 0x00, 0x00)


def _fill_blocks(doc, figures: dict, values: dict, texts: dict) -> None:
    for p in doc.paragraphs:  # a template's mistake is named before any work is done
        m = BLOCK.match(p.text)
        if m and ((m.group(1) == "bang" and m.group(2) not in figures["tables"])
                  or (m.group(1) == "bieu_do" and m.group(2) not in charts.CHARTS)):
            raise unknown_placeholder(p.text)
    for p in list(doc.paragraphs):
        m = BLOCK.match(p.text)
        if not m:
            continue
        kind, key = m.groups()
        if kind == "bang":
            if key not in figures["tables"]:
                raise unknown_placeholder(p.text)
            t = build_table(doc, key, figures, _usable_width(doc, p))
            p._p.addprevious(t._tbl)
            caption = p.insert_paragraph_before()
            caption.paragraph_format.space_after = Pt(6)
            caption.paragraph_format.keep_with_next = True
            t._tbl.addprevious(caption._p)
            title = caption.add_run(figures["tables"][key]["title_vi"])
            title.bold, title.italic, title.font.size = True, True, Pt(12)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "bieu_do":
            if key not in charts.CHARTS:
                raise unknown_placeholder(p.text)
            holder = p.insert_paragraph_before()
            holder.alignment = WD_ALIGN_PARAGRAPH.CENTER
            holder.add_run().add_picture(io.BytesIO(charts.CHARTS[key](figures["tables"][key])),
                                         width=Cm(min(16.0, _usable_width(doc, p))))
        elif kind == "nhan_xet":
            for sentence in commentary(key, figures):
                _insert_before(p, doc, sentence)
        else:
            own = texts.get(key)
            if isinstance(own, str) and own.strip():
                for line in [x.strip() for x in own.splitlines() if x.strip()]:
                    _insert_before(p, doc, line)
            else:
                prompt = GUIDANCE.get(key, "[Cán bộ soạn thảo ghi nội dung.]").format(**values)
                _insert_before(p, doc, prompt, italic=True, highlight=True)
        p._p.getparent().remove(p._p)


def unknown_placeholder(text: str) -> DomainError:
    return DomainError("unknown_placeholder", f"Mẫu báo cáo có chỗ điền không biết: «{text.strip()}»",
                       f"The template has an unknown placeholder: '{text.strip()}'", field="template")


# -- the footer: every page says what it was drawn from -------------------------------------------

def _field(run_parent, instr: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    run_parent._p.append(fld)


def integrity_warning(figures: dict) -> str | None:
    """The warning a document drawn while a source store fails verification carries (None: intact)."""
    from documents.integrity import warning
    return warning(figures)


def write_warning(doc, text: str) -> None:
    """First thing of the body, bold and red: nobody signs figures from a tampered record unawares."""
    first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    p = first.insert_paragraph_before()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = p.add_run(text)
    r.bold = True
    r.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)


def footer_lines(figures: dict) -> list[str]:
    params, rm = figures["params"], figures.get("read_model") or {}
    warning = integrity_warning(figures)
    return ([warning] if warning else []) + [f"Số liệu đến ngày {vn.date(params['as_of'])} · ghi nhận đến {vn.moment(params['known_at'])}",
            f"Mã kiểm tra cơ sở dữ liệu báo cáo (SHA-256): {rm.get('checksum', '—')}",
            f"Mã số liệu của văn bản: {figures['digest']} · kiểm tra: dangvien audit reproduce <tệp>"]


def write_footer(doc, figures: dict) -> None:
    lines = footer_lines(figures)
    for i, section in enumerate(doc.sections):
        section.different_first_page_header_footer = False
        footer = section.footer
        if i > 0:
            footer.is_linked_to_previous = True
            continue
        footer.is_linked_to_previous = False
        for p in list(footer.paragraphs)[1:]:
            p._p.getparent().remove(p._p)
        first = footer.paragraphs[0]
        first.text = ""
        paragraphs = [first] + [footer.add_paragraph() for _ in lines]
        for p, text in zip(paragraphs, lines):
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            p.paragraph_format.space_after = Pt(0)
            p.paragraph_format.first_line_indent = Cm(0)
            r = p.add_run(text)
            r.font.size, r.font.name = Pt(8), FONT
        last = paragraphs[-1]
        last.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        r = last.add_run("Trang ")
        r.font.size = Pt(8)
        _field(last, "PAGE")
        r = last.add_run("/")
        r.font.size = Pt(8)
        _field(last, "NUMPAGES")


# -- the whole document ---------------------------------------------------------------------------

def template_path(template: str | Path | None = None) -> Path:
    path = Path(template or os.environ.get(TEMPLATE_ENV) or TEMPLATE)
    if not path.is_file():
        raise DomainError("template_not_found", f"Không tìm thấy mẫu báo cáo «{path}»",
                          f"Report template '{path}' not found", field="template")
    return path


def render_docx(figures: dict, template: str | Path | None = None, texts: dict | None = None,
                today: dt.date | None = None) -> bytes:
    path = template_path(template)
    try:
        doc = Document(str(path))
    except Exception:
        raise DomainError("template_unreadable", f"Mẫu báo cáo «{path.name}» không phải tệp DOCX đọc được",
                          f"Report template '{path.name}' is not a readable DOCX file", field="template") from None
    texts = dict(texts or {})
    values = context(figures, texts, today)
    _fill_blocks(doc, figures, values, texts)
    for p in _paragraphs(doc):
        _replace_inline(p, values)
    write_footer(doc, figures)
    warning = integrity_warning(figures)
    if warning:
        write_warning(doc, warning)
    props = doc.core_properties
    props.title = f"Báo cáo kết quả thực hiện Chỉ thị năm {figures['params']['year']} — {figures['unit']['name']}"
    props.subject = f"digest {figures['digest']}"
    props.author = "dangvien"
    embed.add_to_docx(doc, figures)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
