"""CLI: `dangvien demo --members N --years Y` — a province of a chosen size through the real services.

It builds the demo import file (org tree, members, and every area's demo facts) and sends it to
the gateway's import endpoint, so every line passes the same rules as a live command.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

console = Console()


def province_jsonl(members: int, years: int, seed: int = 2020) -> str:
    from dangvien import demo
    cells = len(demo.world(1, seed)["cells"]) + len(demo.world(1, seed).get("merged_cells", {}))
    per_cell = max(1, math.ceil(members / max(cells, 1)))
    text = demo.jsonl(per_cell, seed)
    start = demo.world(1, seed)["start"]
    end = dt.date(start.year + years, start.month, start.day)
    kept = [l for l in text.splitlines() if l and json.loads(l)["occurred_on"] < end.isoformat()]
    return "\n".join(kept) + "\n"


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(members: int = typer.Option(1000, "--members", help="Số đảng viên (approximate)"),
                 years: int = typer.Option(5, "--years", help="Số năm lịch sử"),
                 seed: int = typer.Option(2020, "--seed"),
                 output: Optional[Path] = typer.Option(None, "--output", help="Chỉ ghi tệp JSONL, không gửi"),
                 url: Optional[str] = typer.Option(None, "--url", help="Gateway URL")):
        """Sinh dữ liệu mẫu cỡ một tỉnh và nhập qua gateway (all or nothing)."""
        text = province_jsonl(members, years, seed)
        if output:
            output.write_text(text, encoding="utf-8")
            console.print(f"Đã ghi / written {output}: {text.count(chr(10))} dòng / lines")
            return
        from dangvien.cli import import_events
        path = Path(f".dangvien-demo-{members}-{years}.jsonl")
        path.write_text(text, encoding="utf-8")
        try:
            import_events(path, url)
        finally:
            path.unlink(missing_ok=True)
