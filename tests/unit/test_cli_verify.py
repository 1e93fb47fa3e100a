"""``dangvien audit verify`` as an auditor reads it: seals of another store and seals whose source
has no store are shown, in Vietnamese and English, never left out."""
from __future__ import annotations

import io

from rich.console import Console

from dangvien import cli_report
from dangvien.cli_report import show_verification
from shared.integrity import problem


def test_foreign_seals_and_seals_without_a_store_are_shown(monkeypatch):
    screen = io.StringIO()
    for name in ("console", "err"):  # one wide screen: no cell wrapped
        monkeypatch.setattr(cli_report, name, Console(file=screen, width=3000))
    foreign = problem("seal_foreign", seal_head=7, sealed_at="2026-11-30T10:00:00Z",
                      seal_store="sqlite:///old/members.db")
    out = {"ok": False, "sources": [{"source": "members", "streams": 4, "events": 7, "seals_checked": 0,
                                     "seals_foreign": 1, "broken": [], "problems": [foreign]}],
           "problems": [problem("seal_no_store", seal_source="meetings", seals=3)]}
    show_verification(out)
    text = " ".join(screen.getvalue().split())
    assert "1 của kho khác / of another store" in text.replace("(+", "")
    assert "another store" in text and "kho khác" in text and "sqlite:///old/members.db" in text
    assert "không có kho nào" in text and "no store being verified" in text and "meetings (3" in text


def test_a_line_of_the_seal_copy_that_is_no_seal_is_shown_by_its_line(monkeypatch, tmp_path):
    """``audit verify --seals copy`` with a line that is not a seal: the auditor reads which line of
    which file, in both languages, and the command fails (exit 1), not a parser's English message."""
    from typer.testing import CliRunner

    from dangvien.cli import app
    from shared.integrity import parse_seals, unreadable_problem
    screen = io.StringIO()
    for name in ("console", "err"):
        monkeypatch.setattr(cli_report, name, Console(file=screen, width=3000))
    [marker] = parse_seals("[1]\n{oops\n", "seals-2026-11-30.jsonl")[1:]
    show_verification({"ok": False, "sources": [], "problems": [unreadable_problem(marker)]})
    text = " ".join(screen.getvalue().split())
    assert "Dòng 2 của tệp seals-2026-11-30.jsonl không phải một dấu niêm phong" in text
    assert "Line 2 of seals-2026-11-30.jsonl is not a seal" in text and "None" not in text
    copy = tmp_path / "copy.jsonl"
    copy.write_text("42\n", encoding="utf-8")
    sent = {}

    class Client:
        def __init__(self, url):
            pass

        def post(self, path, json_body):
            sent.update(json_body)
            return {"intact": False, "sources": [], "problems": [unreadable_problem(json_body["seals"][0])]}

    monkeypatch.setattr(cli_report, "Client", Client)
    result = CliRunner().invoke(app, ["audit", "verify", "--seals", str(copy)])
    assert result.exit_code == 1, result.output
    assert sent["seals"] == [{"unreadable": 1, "where": "line", "file": "copy.jsonl"}]


def test_a_member_trail_drawn_from_a_failing_store_is_printed_with_the_warning(monkeypatch):
    """``dangvien audit trail member M1`` printed the trail's table with no word of a store that
    fails verification (its JSON carried the flag; the table dropped it)."""
    from typer.testing import CliRunner

    from dangvien.cli import app
    flag = {"intact": False, "failing_sources": ["members"], "unverified_sources": [],
            "message_vi": "CẢNH BÁO: kho sự kiện members không qua kiểm tra toàn vẹn",
            "message_en": "WARNING: event store members fails integrity verification"}
    trail = {"member_id": "M1", "rows": [], "integrity": flag}
    screen = io.StringIO()
    for name in ("console", "err"):
        monkeypatch.setattr(cli_report, name, Console(file=screen, width=3000))
    monkeypatch.setattr(cli_report, "fetch", lambda name, url, **params: trail)
    result = CliRunner().invoke(app, ["audit", "trail", "member", "M1"])
    assert result.exit_code == 0, result.output
    text = screen.getvalue()
    assert "CẢNH BÁO: kho sự kiện members" in text and "WARNING: event store members" in text
    screen.truncate(0)
    monkeypatch.setattr(cli_report, "fetch", lambda name, url, **params: {"member_id": "M1", "rows": []})
    assert CliRunner().invoke(app, ["audit", "trail", "member", "M1"]).exit_code == 0
    assert "CẢNH BÁO" not in screen.getvalue()
