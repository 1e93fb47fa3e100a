"""The yearly report (D8) as staff make and check it: `dangvien up`, the CLI, a late entry, reproduce."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from docx import Document

from documents.yearly import embed
from tests.support.services import base_env, cli, embedded

pytestmark = pytest.mark.integration


def line(type_, on, data):
    return {"type": type_, "occurred_on": on, "data": data}


HISTORY = [
    line("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"}),
    line("org_unit.created", "2015-01-01", {"org_unit_id": "D1", "name": "Đảng bộ huyện Gò Dầu", "kind": "direct",
                                            "parent_id": "TN"}),
    line("org_unit.created", "2015-01-01", {"org_unit_id": "G1", "name": "Chi bộ xã Thạnh Đức",
                                            "kind": "grassroots_cell", "parent_id": "D1"}),
] + [line("member.admitted", "2016-05-0%d" % (i + 1), {"member_id": f"M{i}", "org_unit_id": "G1",
                                                        "full_name": "Võ Thị Lan", "birth_date": "1990-01-01",
                                                        "sex": "female"}) for i in range(5)] + [
    line("member.removed", "2025-03-03", {"member_id": "M0", "ground": "abandoned_activity"}),
]
LATE = [line("member.removed", "2025-06-06", {"member_id": "M1", "ground": "unpaid_dues"})]


def run(url, data_dir, *args):
    env = base_env(DANGVIEN_URL=url, DANGVIEN_DATA_DIR=str(data_dir), COLUMNS="200")
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=900)


def flat(text: str) -> str:
    """The console wraps long lines: compare words."""
    return " ".join(text.split())


def write_jsonl(path, lines):
    path.write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines), encoding="utf-8")
    return path


def test_report_then_a_late_entry_then_reproduce_names_the_changed_figures(tmp_path):
    with embedded(tmp_path) as (url, proc):
        data = tmp_path / "data"
        done = run(url, data, "import", "events", str(write_jsonl(tmp_path / "history.jsonl", HISTORY)))
        assert done.returncode == 0, done.stderr

        # bad input is named and writes nothing
        bad = run(url, data, "report", "yearly", "--year", "2025", "--format", "odt", "-o", str(tmp_path / "x.odt"))
        assert bad.returncode == 2 and "odt" in flat(bad.stderr) and not (tmp_path / "x.odt").exists()
        (tmp_path / "notes.yaml").write_text("uu_diem: Tốt\nkhong_biet: x\n", encoding="utf-8")
        bad = run(url, data, "report", "yearly", "--year", "2025", "--text", str(tmp_path / "notes.yaml"),
                  "-o", str(tmp_path / "x.docx"))
        assert bad.returncode == 2 and "khong_biet" in flat(bad.stderr) and not (tmp_path / "x.docx").exists()

        (tmp_path / "notes.yaml").write_text("uu_diem: Các chi bộ sinh hoạt đều đặn.\nnguoi_ky: Trần Văn Ký\n",
                                             encoding="utf-8")
        report = tmp_path / "bao-cao.docx"
        made = run(url, data, "report", "yearly", "--year", "2025", "--as-of", "2025-12-31", "--format", "docx",
                   "--text", str(tmp_path / "notes.yaml"), "--output", str(report))
        assert made.returncode == 0, made.stderr
        d = Document(str(report))
        body = [p.text for p in d.paragraphs]
        assert "Các chi bộ sinh hoạt đều đặn." in body and "Kính gửi: Ban Thường vụ Tỉnh ủy" in body
        figures = embed.read(report.read_bytes())
        removed = {r["id"]: r["values"] for r in figures["tables"]["footnote"]["rows"]}["members_removed"]
        assert removed["year"] == 1
        term = json.loads(run(url, data, "report", "term", "--term", "2025", "--compare", "2024", "--as-of",
                              "2025-12-31", "--format", "json").stdout)
        assert {r["indicator"]: r["value"] for r in term["rows"]}["members_removed"] == 1

        pdf = tmp_path / "bao-cao.pdf"
        if shutil.which("soffice"):
            made = run(url, data, "report", "yearly", "--year", "2025", "--as-of", "2025-12-31", "--format", "pdf",
                       "--output", str(pdf))
            assert made.returncode == 0, made.stderr
            assert pdf.read_bytes()[:5] == b"%PDF-"

        same = run(url, data, "audit", "reproduce", str(report))
        assert same.returncode == 0, same.stdout + same.stderr
        assert "khớp" in same.stdout and "figures still match" in flat(same.stdout)

        done = run(url, data, "import", "events", str(write_jsonl(tmp_path / "late.jsonl", LATE)))
        assert done.returncode == 0, done.stderr

        changed = run(url, data, "audit", "reproduce", str(report))
        assert changed.returncode == 1
        assert "figures changed" in flat(changed.stdout), changed.stdout + changed.stderr
        out = json.loads(run(url, data, "audit", "reproduce", str(report), "--format", "json").stdout)
        assert out["reproduced"] is True and out["changed_at_known_at"] == []  # the document is what was known
        by_figure = {c["figure"]: (c["document"], c["now"]) for c in out["changed_now"]}
        labels = {c["figure"]: c["label"] for c in out["changed_now"]}
        assert "Đảng viên bị xóa tên" in labels["footnote/members_removed/year"]
        assert by_figure["footnote/members_removed/year"] == (1, 2)
        assert by_figure["movement/TN/removed"] == (1, 2)
        assert "footnote/members_resigned/year" not in by_figure
        if pdf.exists():
            again = run(url, data, "audit", "reproduce", str(pdf), "--format", "json")
            assert again.returncode == 1 and json.loads(again.stdout)["reproduced"] is True

        # a number changed by hand in Word is caught too
        d = Document(str(report))
        for t in d.tables:
            if t.rows[0].cells[0].text == "TT" and t.rows[0].cells[2].text == "Năm 2025":
                cell = next(r for r in t.rows if r.cells[1].text == "Đảng viên bị xóa tên").cells[2]
                cell.paragraphs[0].runs[0].text = "0"
                break
        d.save(str(tmp_path / "sua-tay.docx"))
        out = json.loads(run(url, data, "audit", "reproduce", str(tmp_path / "sua-tay.docx"), "--format",
                             "json").stdout)
        assert [(e["figure"], e["printed"], e["embedded"]) for e in out["edited"]] == [
            ("footnote/members_removed/year", "0", "1")]
        assert out["edited"] and json.loads(run(url, data, "audit", "reproduce", str(report), "--format",
                                                "json").stdout)["edited"] == []

        stranger = tmp_path / "other.docx"
        Document().save(stranger)
        refused = run(url, data, "audit", "reproduce", str(stranger))
        assert refused.returncode == 2 and "not a yearly report" in flat(refused.stderr)
