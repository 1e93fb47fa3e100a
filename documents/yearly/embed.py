"""The figures travel inside the document, so the document can be checked against the history.

DOCX: a custom XML part (``customXml/itemN.xml``, kept by Word and LibreOffice when the file is
edited and saved) whose root element, in our namespace, holds the figures' JSON. PDF: the same JSON
as an attached file ``dangvien-figures.json`` (pypdf). ``flatten`` and ``diff`` name each figure
by its table, row and column, in Vietnamese, for ``dangvien audit reproduce``.
"""
from __future__ import annotations

import io
import json
import zipfile
from xml.sax.saxutils import escape

from shared.errors import DomainError

NS = "urn:dangvien:yearly-report:figures:1"
ATTACHMENT = "dangvien-figures.json"
CUSTOM_XML_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"


def xml_of(figures: dict) -> bytes:
    body = json.dumps(figures, ensure_ascii=False)  # table order kept: diffs read in it
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<figures xmlns="{NS}">{escape(body)}</figures>').encode("utf-8")


def add_to_docx(document, figures: dict) -> None:
    """A custom XML part related from the main document part (python-docx keeps unknown parts)."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    taken = {str(p.partname) for p in package.iter_parts()}
    n = 1
    while f"/customXml/item{n}.xml" in taken:
        n += 1
    part = Part(PackURI(f"/customXml/item{n}.xml"), "application/xml", xml_of(figures), package)
    document.part.relate_to(part, CUSTOM_XML_RT)


def add_to_pdf(pdf: bytes, figures: dict, title: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(ATTACHMENT, json.dumps(figures, ensure_ascii=False).encode("utf-8"))
    writer.add_metadata({"/Title": title, "/Subject": f"digest {figures.get('digest', '')}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def not_a_report(name: str) -> DomainError:
    return DomainError("not_a_yearly_report",
                       f"Tệp «{name}» không phải báo cáo năm do hệ thống tạo (không có số liệu gắn kèm)",
                       f"'{name}' is not a yearly report made by this system (no embedded figures)", field="file")


def read(data: bytes, name: str = "file") -> dict:
    """The figures embedded in a DOCX or PDF made by ``render``."""
    if data[:5] == b"%PDF-":
        from pypdf import PdfReader
        try:
            found = PdfReader(io.BytesIO(data)).attachments.get(ATTACHMENT)
        except Exception:
            found = None
        if not found:
            raise not_a_report(name)
        return json.loads(found[0].decode("utf-8"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise not_a_report(name) from None
    from xml.etree import ElementTree
    for item in archive.namelist():
        if item.startswith("customXml/item") and item.endswith(".xml") and "Props" not in item:
            root = ElementTree.fromstring(archive.read(item))
            if root.tag == f"{{{NS}}}figures":
                return json.loads(root.text or "{}")
    raise not_a_report(name)


def flatten(figures: dict) -> dict[str, dict]:
    """Every figure: ``table/row/column`` → {label, kind, value}."""
    out = {}
    for tid, table in figures.get("tables", {}).items():
        for row in table["rows"]:
            for c in table["columns"]:
                out[f"{tid}/{row['id']}/{c['key']}"] = {
                    "label": f"{table['title_vi']} › {row['label_vi']} › {c['label_vi']}",
                    "kind": c["kind"], "value": row["values"].get(c["key"])}
    return out


def diff(document: dict, now: dict) -> list[dict]:
    """The figures whose value differs (or that exist on one side only), in the document's order."""
    a, b = flatten(document), flatten(now)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        old, new = a.get(key), b.get(key)
        if old is None or new is None or old["value"] != new["value"]:
            ref = old or new
            out.append({"figure": key, "label": ref["label"], "kind": ref["kind"],
                        "document": old["value"] if old else None, "now": new["value"] if new else None})
    return out


def edited(data: bytes, figures: dict) -> list[dict]:
    """Figures whose printed value in a DOCX's tables no longer says what the embedded figures say
    (a number changed by hand after the document was made). PDFs are not read back: empty."""
    if data[:5] == b"%PDF-":
        return []
    from docx import Document

    from documents import vn
    from documents.yearly.document import visible

    tables = {}
    for t in Document(io.BytesIO(data)).tables:
        rows = [[c.text for c in r.cells] for r in t.rows]
        if rows and rows[0] and rows[0][0] == "TT":
            tables[tuple(rows[0])] = rows[1:]
    out = []
    for key in figures.get("tables", {}):
        cols, rows, first = visible(key, figures)
        printed = tables.get(tuple(["TT", first] + [c["label_vi"] for c in cols]))
        if printed is None:
            continue  # the province's template left this table out
        for row, cells in zip(rows, printed):
            for c, text in zip(cols, cells[2:]):
                want = vn.cell(row["values"].get(c["key"]), c["kind"])
                if text.strip() != want:
                    figure = (f"movement/{figures['unit']['org_unit_id']}/{row['id']}" if key == "movement"
                              else f"{key}/{row['id']}/{c['key']}")
                    out.append({"figure": figure, "label": f"{figures['tables'][key]['title_vi']} › "
                                f"{row['label_vi']} › {c['label_vi']}", "printed": text.strip(), "embedded": want})
    return out
