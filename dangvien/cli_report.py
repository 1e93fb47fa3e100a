"""CLI: the directive's reports, replay and audit — all over HTTP to the gateway.

Files (csv/xlsx) are built here from the JSON the gateway returned, with ``documents.tables`` (the
one writer the gateway's exports use too; the CLI is not a service).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dangvien.client import ApiError, Client

console = Console()
err = Console(stderr=True)

API = "/api/v1/reporting"


def headcount_report(params: dict, url: str | None) -> dict:
    """The headcount (a list of units) as a report: on --as-of, or the end of the chosen period."""
    return fetch("headcount_report", url, **params)


def _fail(exc: Exception):
    from dangvien.cli import fail
    fail(exc)


FORMATS = ("table", "json", "csv", "xlsx")


def format_choice(*choices: str):
    """A --format checked when the command line is read (before any query runs), refused in both
    languages with the choices named."""
    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            err.print(f"[red]--format: định dạng «{value}» không hợp lệ — chọn một trong: {' | '.join(choices)} / "
                      f"invalid format '{value}': choose one of {' | '.join(choices)}[/]")
            raise typer.Exit(2)
        return value
    return check


def format_option(*choices: str):
    return typer.Option(choices[0], "--format", callback=format_choice(*choices), metavar="|".join(choices),
                        help="Định dạng / format: " + " | ".join(choices), is_eager=True)


def _options():
    return dict(
        org=typer.Option(None, "--org", help="Mã tổ chức đảng (org unit id); mặc định toàn tỉnh"),
        as_of=typer.Option(None, "--as-of", help="Số liệu đến ngày dd/mm/yyyy hoặc yyyy-mm-dd (business date)"),
        known_at=typer.Option(None, "--known-at", help="Chỉ dữ kiện ghi nhận đến ngày (dd/mm/yyyy, hết ngày) "
                                                     "hoặc thời điểm ISO (recording time)"),
        format=format_option(*FORMATS),
        output=typer.Option(None, "--output", "-o", help="Tệp kết quả cho csv/xlsx"),
        url=typer.Option(None, "--url", help="Gateway URL"),
    )


def day_text(value: str | None, option: str) -> str | None:
    """dd/mm/yyyy or yyyy-mm-dd → yyyy-mm-dd; anything else is refused naming the option."""
    if value is None:
        return None
    import datetime as dt
    import re
    text = value.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        err.print(f"[red]{option}: ngày không hợp lệ «{value}» — dùng dd/mm/yyyy hoặc yyyy-mm-dd / "
                  f"invalid date '{value}': use dd/mm/yyyy or yyyy-mm-dd[/]")
        raise typer.Exit(2)


def moment_text(value: str | None) -> str | None:
    """--known-at: a day (either format: everything recorded by its end) or an ISO timestamp."""
    if value is None or "T" in value or ":" in value:
        return value
    return day_text(value, "--known-at")


def fetch(name: str, url: str | None, **params) -> dict:
    try:
        return Client(url).get(f"{API}/{name}", **params)
    except ApiError as exc:
        _fail(exc)


def show_verification(out: dict) -> None:
    t = Table(title="Kiểm tra toàn vẹn / integrity verification")
    for h in ("Nguồn / source", "Luồng / streams", "Sự kiện / events", "Niêm phong / seals",
              "Sự kiện hỏng đầu tiên mỗi luồng / first bad event per stream"):
        t.add_column(h)
    for s in out["sources"]:
        lines = [f"{b['stream']} #{b['stream_version']} vị trí/position {b['position']} ({b['event_id']}): "
                 f"{b['message_vi']} — {b['message_en']}" for b in s["broken"]]
        lines += [f"{p['message_vi']} — {p['message_en']}"
                  + (f" (niêm phong/seal @ {p['seal_head']})" if p.get("seal_head") is not None else "")
                  + (f" (kho/store {p['seal_store']})" if p.get("seal_store") else "")
                  for p in s.get("problems", [])]
        seals = str(s.get("seals_checked", 0))
        if s.get("seals_foreign"):
            seals += f" (+{s['seals_foreign']} của kho khác / of another store)"
        t.add_row(s["source"], str(s["streams"]), str(s["events"]), seals, "\n".join(lines) or "nguyên vẹn / intact")
    console.print(t)
    # seals naming a source with no store here: never passed over in silence
    for p in out.get("problems", []):  # and a line of a seal copy that is no seal: named by its line
        where = "" if p["check"] == "seal_unreadable" else \
            f": {p.get('seal_source')} ({p.get('seals')} dấu niêm phong / seals)"
        err.print(f"[bold red]{p['message_vi']} — {p['message_en']}{where}[/]")


def show(report: dict, fmt: str, output: Path | None) -> None:
    from documents import tables

    if fmt == "json":
        console.print_json(json.dumps(report, ensure_ascii=False))
        return
    if fmt in tables.FORMATS:
        body = tables.render(report, fmt, report.get("report", ""))
        target = output or Path(f"{report.get('report', 'report')}.{fmt}")
        target.write_bytes(body)
        console.print(f"Đã ghi / written: {target} ({len(body)} bytes)")
        return
    [sheet, *more] = tables.tables(report, report.get("report", ""))
    lines = sheet.titles
    t = Table(title=lines[0], caption="\n".join(lines[1:]))
    if isinstance(report.get("integrity"), dict) and report["integrity"].get("intact") is False:
        err.print(f"[bold red]{lines[-1]}[/]")
    for i, (_, header, kind) in enumerate(sheet.columns):
        t.add_column(header, justify="left" if kind in ("text", "level", "kind", "met") else "right")
    for row in sheet.rows:
        t.add_row(*[tables.shown(row.get(key), kind) for key, _, kind in sheet.columns])
    # piped to a file or another program: whole names on one line, however wide the table
    (console if console.is_terminal else Console(width=max(console.width, 200))).print(t)


STRUCTURE_HELP = ("Cơ cấu tổ chức: as_stood (mặc định — theo cơ cấu tại ngày phát sinh dữ kiện) | current "
                  "(dồn lịch sử về đơn vị hiện nay)")


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    o = _options()

    def report_command(name: str, doc: str):
        """Every report takes the same options (issue 14): one period (--term | --year | --from/--to),
        --compare, --org, --as-of, --known-at, --structure, --format, --output."""
        def command(term: Optional[str] = typer.Option(None, "--term", help="Nhiệm kỳ (2020-2025) hoặc năm (2021)"),
                    year: Optional[int] = typer.Option(None, "--year", help="Năm"),
                    from_: Optional[str] = typer.Option(None, "--from", help="Từ ngày dd/mm/yyyy hoặc yyyy-mm-dd"),
                    to: Optional[str] = typer.Option(None, "--to", help="Đến ngày dd/mm/yyyy hoặc yyyy-mm-dd"),
                    compare: Optional[str] = typer.Option(None, "--compare", help="Kỳ so sánh (mặc định: kỳ trước)"),
                    org: Optional[str] = o["org"], as_of: Optional[str] = o["as_of"],
                    known_at: Optional[str] = o["known_at"],
                    structure: Optional[str] = typer.Option(None, "--structure", help=STRUCTURE_HELP),
                    format: str = o["format"], output: Optional[Path] = o["output"],
                    url: Optional[str] = o["url"]):
            chosen = [x for x in (term, year, from_ or to) if x]
            if len(chosen) > 1:
                err.print("[red]Chỉ chọn một kỳ: --term, --year hoặc --from/--to / "
                          "choose one period: --term, --year or --from/--to[/]")
                raise typer.Exit(2)
            if structure is not None and structure not in ("as_stood", "current"):
                err.print(f"[red]--structure: «{structure}» không hợp lệ — as_stood | current[/]")
                raise typer.Exit(2)
            params = {"term": term, "year": year, "from": day_text(from_, "--from"), "to": day_text(to, "--to"),
                      "compare": compare, "org_unit_id": org, "as_of": day_text(as_of, "--as-of"),
                      "known_at": moment_text(known_at), "structure": structure}
            if name == "headcount":
                show(headcount_report(params, url), format, output)
                return
            if name in ("term", "evaluation") or not compare:
                show(fetch(name, url, **params), format, output)
                return
            # the other reports side by side: this period and the comparison period
            current = fetch(name, url, **params)
            other = fetch(name, url, **{**params, "term": compare, "year": None, "from": None, "to": None,
                                        "compare": None})
            show(current, format, output)
            show(other, format, None if output is None else output.with_name(f"{output.stem}.compare{output.suffix}"))
        command.__doc__ = doc
        report_app.command(name)(command)

    report_command("term", "Bảng thống kê nhiệm kỳ/năm (chú thích 1 của Chỉ thị) với tỷ lệ tăng/giảm.")
    report_command("headcount", "Số đảng viên theo tổ chức, cộng dồn cấp dưới, tại ngày --as-of "
                                "(hoặc cuối kỳ đã chọn).")
    report_command("movement", "Biến động đảng viên (Biểu 1): đầu kỳ, tăng, giảm, cuối kỳ — khớp từng đơn vị.")
    report_command("warnings", "Danh sách cảnh báo sớm: vắng họp, nợ đảng phí, quá hạn công nhận...")
    report_command("evaluation", "Tiêu chí đánh giá: thực hiện so với chỉ tiêu, tăng/giảm so với kỳ trước.")
    report_command("meetings", "Chất lượng sinh hoạt chi bộ (HD 12-HD/BTCTW).")
    report_command("causes", "Nguyên nhân: xóa tên, xin ra, khai trừ, kỷ luật theo đối tượng và tuổi đảng.")
    report_command("composition", "Cơ cấu đảng viên tại ngày --as-of (hoặc cuối kỳ): đảng viên trẻ, xuất ngũ, "
                                  "đi làm ăn xa, ở nước ngoài, miễn sinh hoạt, sinh hoạt tạm thời; dự bị/chính thức; "
                                  "xếp loại năm.")
    report_command("anomalies", "Bất thường cần kiểm tra: xóa tên thiếu căn cứ, ghi nhận muộn, quá thời hiệu.")

    @app.command("replay")
    def replay(url: Optional[str] = typer.Option(None, "--url", help="Gateway URL"),
               wait: bool = typer.Option(True, "--wait/--no-wait", help="Chờ xong và hiện tiến độ")):
        """Dựng lại toàn bộ số liệu báo cáo từ kho sự kiện, rồi chuyển sang bản mới (không dừng truy vấn)."""
        client = Client(url)
        try:
            client.post(f"{API}/replay", json_body={})
        except ApiError as exc:
            _fail(exc)
        if not wait:
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=err) as progress:
            task = progress.add_task("Đang dựng lại / replaying", total=None)
            while True:
                state = client.get(f"{API}/replay_status")
                progress.update(task, completed=state.get("done", 0), total=state.get("total") or None)
                if state.get("state") in ("done", "failed"):
                    break
                time.sleep(0.3)
        if state["state"] == "failed":
            err.print(f"[red]Dựng lại thất bại / replay failed[/]: {state.get('error')}")
            raise typer.Exit(1)
        console.print(f"Xong / done: {state['done']:,} sự kiện / events, {state.get('events_per_second', 0):,.0f} "
                      f"sự kiện/giây, thế hệ / generation {state['generation']}")
        console.print(f"Mã kiểm tra / checksum: {state.get('checksum')}")

    audit_app = typer.Typer(help="Kiểm tra (audit)", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("trail")
    def audit_trail(kind: str = typer.Argument(..., help="member"), subject: str = typer.Argument(...),
                    format: str = format_option("table", "json"),
                    url: Optional[str] = typer.Option(None, "--url")):
        """Mọi dữ kiện về một đảng viên, với cả hai mốc thời gian, người ghi và nguồn."""
        if kind != "member":
            err.print("[red]Chỉ hỗ trợ / only supported[/]: audit trail member ID")
            raise typer.Exit(2)
        out = fetch("audit_trail", url, member_id=subject)
        if format == "json":
            console.print_json(json.dumps(out, ensure_ascii=False))
            return
        t = Table(title=f"Lịch sử dữ kiện — đảng viên {subject}")
        for h in ("Ngày hiệu lực", "Ghi nhận lúc", "Sự kiện", "Nguồn", "Người ghi", "Tổ chức"):
            t.add_column(h)
        for r in out["rows"]:
            t.add_row(r["occurred_on_vi"], r["recorded_at"], r["type"], r["source"], r["actor"] or "",
                      r["org_unit_id"] or "")
        from documents.integrity import warning
        alarm = warning(out)  # drawn from a store that fails verification: the auditor reads it first
        if alarm:
            err.print(f"[bold red]{alarm}[/]")
        console.print(t)

    @audit_app.command("verify")
    def audit_verify(format: str = format_option("table", "json"),
                     seals: Optional[Path] = typer.Option(None, "--seals", exists=True, dir_okay=False,
                                                          help="Tệp niêm phong giữ bên ngoài (audit seal --output)"),
                     url: Optional[str] = typer.Option(None, "--url")):
        """Kiểm tra mọi kho sự kiện: băm có khóa, chuỗi, vị trí, thứ tự trong luồng và các dấu niêm phong;
        chỉ ra sự kiện hỏng đầu tiên của mỗi luồng và phép kiểm tra không đạt."""
        if seals is not None:
            from shared.integrity import parse_seals
            try:
                body = {"seals": parse_seals(seals.read_text(encoding="utf-8"), seals.name)}
            except (ValueError, UnicodeDecodeError) as exc:
                err.print(f"[red]Tệp niêm phong không đọc được / unreadable seal file[/] {seals}: {exc}")
                raise typer.Exit(2)
            try:
                out = Client(url).post(f"{API}/audit_verify_seals", json_body=body)
            except ApiError as exc:
                _fail(exc)
        else:
            out = fetch("audit_verify", url)
        if format == "json":
            console.print_json(json.dumps(out, ensure_ascii=False))
        else:
            show_verification(out)
        if not out.get("ok", out.get("intact")):
            raise typer.Exit(1)

    @audit_app.command("seal")
    def audit_seal(output: Path = typer.Option(..., "--output", "-o", help="Tệp niêm phong (JSON) để giữ bên ngoài"),
                   url: Optional[str] = typer.Option(None, "--url")):
        """Niêm phong mọi kho nguyên vẹn ngay bây giờ và ghi các dấu niêm phong ra tệp, để giữ một bản
        ngoài máy chủ của tỉnh (Ủy ban Kiểm tra). Kho không nguyên vẹn không được niêm phong."""
        try:
            out = Client(url).post(f"{API}/audit_seal", json_body={})
        except ApiError as exc:
            _fail(exc)
        output.write_text(json.dumps({"seals": out["seals"]}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        for s in out["seals"]:
            console.print(f"{s['source']}: vị trí / position {s['head_position']:,}, {s['event_count']:,} sự kiện / "
                          f"events, khóa / key {s['key_id']}, lúc / at {s['sealed_at']}")
        console.print(f"Đã ghi / written: {output}")
        if not out.get("intact", False):
            show_verification(out)
            raise typer.Exit(1)

    @audit_app.command("rotate-key")
    def audit_rotate_key(key_file: Optional[Path] = typer.Option(None, "--key-file",
                                                                help="Mặc định / default DANGVIEN_INTEGRITY_KEY_FILE")):
        """Thêm khóa toàn vẹn mới (dùng cho sự kiện mới); khóa cũ được giữ để kiểm tra sự kiện cũ.
        Khởi động lại các tiến trình để dùng khóa mới."""
        from shared import keys
        from shared.config import Settings
        path = key_file or Settings().integrity_key_path()
        try:
            new_id = keys.rotate_file(path)
        except keys.KeyError_ as exc:
            err.print(f"[red]Lỗi / Error[/] {exc}")
            raise typer.Exit(2)
        console.print(f"Khóa mới / new key: {new_id} — {path}. Khởi động lại dịch vụ / restart the services.")
