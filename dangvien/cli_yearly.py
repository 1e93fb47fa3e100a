"""CLI: the yearly report to the Standing Committee (D8) as DOCX/PDF, and checking one against the history.

``report yearly`` fetches the figures from the gateway (``reporting/yearly``, scoped to the caller)
and renders the document here, so a province's own template (``--template``) and the staff's own
text (``--text``) stay on the workstation. ``audit reproduce FILE`` reads the figures a document
carries, draws them again from the history at the document's recording time and as known now, and
names every figure that differs.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from dangvien.client import ApiError, Client
from dangvien.cli_report import format_option

console = Console()
err = Console(stderr=True)
API = "/api/v1/reporting/yearly"
#: keys a --text file may give: the staff's sections and the header/signature words
TEXT_KEYS = ("uu_diem", "han_che", "nguyen_nhan", "nhiem_vu", "kien_nghi", "so_ky_hieu", "dia_danh",
             "co_quan_cap_tren", "co_quan_ban_hanh", "co_quan_bao_cao", "quyen_han_ky", "chuc_vu_ky", "nguoi_ky")


def _bad(vi: str, en: str) -> None:
    err.print(f"[bold red]Lỗi / Error[/] {vi} — {en}")
    raise typer.Exit(2)


def read_texts(path: Path | None) -> dict:
    """The staff's text for the report (YAML or JSON: section → text); unknown keys are refused."""
    if path is None:
        return {}
    import yaml
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        _bad(f"Không đọc được tệp nội dung «{path}» ({type(exc).__name__})", f"Cannot read text file '{path}'")
    if not isinstance(data, dict):
        _bad(f"Tệp nội dung «{path}» phải là các cặp khóa: văn bản", f"Text file '{path}' must map keys to text")
    unknown = sorted(k for k in data if k not in TEXT_KEYS)
    if unknown:
        _bad(f"Tệp nội dung có khóa không biết: {', '.join(map(str, unknown))} (dùng: {', '.join(TEXT_KEYS)})",
             f"Unknown keys in the text file: {', '.join(map(str, unknown))}")
    return {k: str(v) for k, v in data.items() if v is not None}


def fetch_figures(url: str | None, **params) -> dict:
    return Client(url).get(API, **params)


def _value(v, kind: str) -> str:
    from documents import vn
    return vn.cell(v, kind) if v is not None or kind != "int" else "—"


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    from dangvien.cli import fail

    @report_app.command("yearly")
    def report_yearly(year: int = typer.Option(..., "--year", help="Năm báo cáo"),
                      org: Optional[str] = typer.Option(None, "--org", help="Mã tổ chức đảng; mặc định toàn tỉnh"),
                      as_of: Optional[str] = typer.Option(None, "--as-of", help="Số liệu đến ngày YYYY-MM-DD"),
                      known_at: Optional[str] = typer.Option(None, "--known-at",
                                                             help="Chỉ dữ kiện ghi nhận đến (ISO); mặc định: lúc tạo"),
                      term: Optional[str] = typer.Option(None, "--term", help="Nhiệm kỳ so sánh; mặc định của năm"),
                      format: str = format_option("docx", "pdf", "json"),
                      output: Optional[Path] = typer.Option(None, "--output", "-o", help="Tệp kết quả"),
                      template: Optional[Path] = typer.Option(None, "--template",
                                                              help="Mẫu DOCX của tỉnh (mặc định: mẫu kèm theo)"),
                      text: Optional[Path] = typer.Option(None, "--text", help="Tệp YAML/JSON: nội dung cán bộ soạn"),
                      url: Optional[str] = typer.Option(None, "--url", help="Gateway URL")):
        """Báo cáo năm gửi Ban Thường vụ Tỉnh ủy (D8): văn bản DOCX/PDF, số liệu tính từ lịch sử dữ kiện."""
        from documents import yearly as doc
        from documents.yearly import document

        if format not in (*doc.FORMATS, "json"):
            _bad(f"Định dạng «{format}» không hợp lệ (docx | pdf | json)", f"Unknown format '{format}'")
        if format != "json":
            try:
                document.template_path(template)
            except Exception as exc:
                fail(exc, 2)
        texts = read_texts(text)
        try:
            figures = fetch_figures(url, year=year, org_unit_id=org, as_of=as_of, known_at=known_at, term=term)
        except ApiError as exc:
            fail(exc)
        if format == "json":
            body = json.dumps(figures, ensure_ascii=False, indent=1).encode("utf-8")
        else:
            try:
                body = doc.render(figures, format, template, texts)
            except Exception as exc:
                fail(exc)
        target = output or Path(doc.filename(figures, format) if format != "json" else f"bao-cao-nam-{year}.json")
        target.write_bytes(body)
        console.print(f"Đã ghi / written: {target} ({len(body):,} bytes)")
        console.print(f"Mã số liệu / figures digest: {figures['digest']}")
        warning = document.integrity_warning(figures)
        if warning:
            console.print(f"[red]{warning}[/]")

    audit_app = next((g.typer_instance for g in app.registered_groups if g.name == "audit"), None)
    if audit_app is None:
        audit_app = typer.Typer(help="Kiểm tra (audit)", no_args_is_help=True)
        app.add_typer(audit_app, name="audit")

    @audit_app.command("reproduce")
    def audit_reproduce(file: Path = typer.Argument(..., help="Báo cáo năm (DOCX hoặc PDF) do hệ thống tạo"),
                        format: str = format_option("table", "json"),
                        url: Optional[str] = typer.Option(None, "--url", help="Gateway URL")):
        """Dựng lại số liệu của một báo cáo năm từ lịch sử dữ kiện và cho biết còn khớp không, chỉ rõ số nào đổi."""
        from documents.yearly import embed

        try:
            data = file.read_bytes()
        except OSError as exc:
            _bad(f"Không đọc được tệp «{file}» ({exc.strerror})", f"Cannot read '{file}'")
        try:
            document = embed.read(data, file.name)
        except Exception as exc:
            fail(exc, 2)
        p = document["params"]
        known = None if str(p.get("known_at", "")).startswith("9999") else p.get("known_at")
        query = dict(year=p["year"], org_unit_id=p.get("org_unit_id"), as_of=p["as_of"], term=p.get("term"))
        try:
            then = fetch_figures(url, **query, known_at=known)
            now = fetch_figures(url, **query)
        except ApiError as exc:
            fail(exc)
        at_known, since = embed.diff(document, then), embed.diff(document, now)
        edited = embed.edited(data, document)
        result = {"file": str(file), "params": p, "digest": document.get("digest"), "edited": edited,
                  "reproduced": not at_known, "changed_at_known_at": at_known,
                  "unchanged_now": not since, "changed_now": since, "known_now_at": now["params"]["known_at"]}
        if format == "json":
            console.print_json(json.dumps(result, ensure_ascii=False))
        else:
            from documents import vn
            console.print(f"Báo cáo năm {p['year']} — {document['unit']['name']} · số liệu đến {vn.date(p['as_of'])}"
                          f" · ghi nhận đến {vn.moment(p['known_at'])}")
            for title, changes, ok_vi, bad_vi in (
                    ("Tại thời điểm ghi nhận của văn bản / at the document's known-at", at_known,
                     "khớp: dựng lại đúng mọi số liệu / reproduced: every figure matches",
                     "KHÔNG KHỚP: văn bản và lịch sử khác nhau / does NOT match the history"),
                    ("Theo dữ kiện đã ghi nhận đến nay / as known now", since,
                     "số liệu vẫn khớp / figures still match",
                     "SỐ LIỆU ĐÃ THAY ĐỔI / figures changed (dữ kiện ghi nhận muộn / late entries)")):
                console.print(f"[bold]{title}[/]: " + (f"[green]{ok_vi}[/]" if not changes else f"[red]{bad_vi}[/]"))
                if changes:
                    t = Table()
                    for h in ("Số liệu / figure", "Trong văn bản / document", "Hiện nay / now"):
                        t.add_column(h, justify="left" if h.startswith("Số") else "right")
                    for c in changes:
                        t.add_row(c["label"], _value(c["document"], c["kind"]), _value(c["now"], c["kind"]))
                    console.print(t)
            if edited:
                console.print("[bold red]SỐ IN TRONG VĂN BẢN ĐÃ BỊ SỬA TAY / printed figures were edited by hand[/]")
                t = Table()
                for h in ("Số liệu / figure", "In trong văn bản / printed", "Số liệu gốc / generated"):
                    t.add_column(h, justify="left" if h.startswith("Số liệu /") else "right")
                for c in edited:
                    t.add_row(c["label"], c["printed"], c["embedded"])
                console.print(t)
        if at_known or since or edited:
            raise typer.Exit(1)
