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
