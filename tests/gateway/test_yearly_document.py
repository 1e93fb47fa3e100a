"""The yearly report (D8) from the API: the document of the caller's own subtree, recorded as an export."""
from __future__ import annotations

import io
import urllib.error
import urllib.request

from docx import Document

from documents.yearly import embed


def download(system, params: str, user: str | None = "admin"):
    req = urllib.request.Request(f"{system.url}/api/v1/documents/yearly?{params}")
    if user:
        req.add_header("Authorization", f"Bearer {system.tokens[user]}")
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_a_scoped_user_gets_the_document_of_their_own_unit(system):
    status, headers, body = download(system, "year=2025&format=docx&reason=B%C3%A1o%20c%C3%A1o%20n%C4%83m",
                                     "d1_viewer")
    assert status == 200, body[:300]
    assert headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert 'filename="bao-cao-nam-2025-TN-D1.docx"' in headers["Content-Disposition"]
    d = Document(io.BytesIO(body))
    assert d.tables[0].rows[0].cells[0].text.splitlines()[:2] == ["ĐẢNG BỘ TỈNH TÂY NINH", "ĐẢNG BỘ HUYỆN 1"]
    figures = embed.read(body)
    assert figures["params"]["org_unit_id"] == "TN-D1" and figures["params"]["year"] == 2025
    appendix = [r["id"] for r in figures["tables"]["appendix"]["rows"]]
    assert appendix == ["TN-D1-G1", "TN-D1-G2"]
    assert figures["read_model"]["checksum"] in "\n".join(p.text for p in d.sections[0].footer.paragraphs)
    status, log = system.call("GET", "/api/v1/audit/access?actor=d1_viewer", "admin")
    assert any(e["action"] == "export" and e["endpoint"] == "reporting/yearly" and e["params"]["format"] == "docx"
               and e["reason"] == "Báo cáo năm" for e in log)


def test_outside_the_scope_a_wrong_format_or_no_token_gets_no_document(system):
    status, _, body = download(system, "year=2025&format=docx&org_unit_id=TN-D2", "d1_viewer")
    assert status == 403, body[:300]
    status, _, body = download(system, "year=2025&format=odt")
    assert status == 422 and b'"field": "format"' in body
    status, _, body = download(system, "format=docx")
    assert status == 422 and b"year" in body
    status, _, body = download(system, "year=2009&format=docx")
    assert status == 422 and b"no_term_for_year" in body
    status, _, _ = download(system, "year=2025&format=docx", None)
    assert status == 401
