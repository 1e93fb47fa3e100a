"""``dangvien`` — run the system and talk to it.

``up`` and ``serve`` run services (eventlet-patched processes); every other command is an HTTP
client of the gateway.
"""
from __future__ import annotations

import sys

import warnings

from shared.files import apply_umask

# before anything is written: every file this process makes is its owner's only (shared/files.py)
apply_umask()

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
if len(sys.argv) > 1 and sys.argv[1] in ("up", "serve"):
    import eventlet

    eventlet.monkey_patch()

import json
import os
import threading
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from dangvien.client import ApiError, Client

app = typer.Typer(help="Quản lý đảng viên (party member management) — dangvien", no_args_is_help=True,
                  pretty_exceptions_enable=False)
import_app = typer.Typer(help="Nhập dữ liệu (import)", no_args_is_help=True)
report_app = typer.Typer(help="Báo cáo (reports)", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")
console = Console()
err = Console(stderr=True)

UrlOpt = typer.Option(None, "--url", help="Gateway URL (default DANGVIEN_URL or http://127.0.0.1:8000)")


def fail(exc: Exception, code: int = 1):
    if isinstance(exc, ApiError):
        err.print(f"[bold red]Lỗi / Error[/] {exc}")
        for e in exc.body.get("errors", [])[:200]:
            where = f"dòng/line {e['line']}: " if "line" in e else ""
            field = f" [{e['field']}]" if e.get("field") else ""
            err.print(f"  {where}{e.get('message_vi', '')} — {e.get('message_en', '')}{field}")
    else:
        err.print(f"[bold red]Lỗi / Error[/] {exc}")
    raise typer.Exit(code)


@app.command()
def up(data_dir: Path = typer.Option(Path(".dangvien"), "--data-dir", help="Thư mục dữ liệu (data folder)"),
       port: int = typer.Option(8000, "--port"),
       host: str = typer.Option("127.0.0.1", "--host"),
       demo: bool = typer.Option(False, "--demo", help="Nạp dữ liệu mẫu (load demo data)")):
    """Chạy toàn bộ hệ thống trong một tiến trình (embedded: in-memory bus, SQLite)."""
    from dangvien import runner
    from shared.config import Settings

    os.environ["DANGVIEN_DATA_DIR"] = str(data_dir)
    settings = settings_or_exit(Settings, amqp_uri="memory://", data_dir=data_dir, http_host=host, http_port=port,
                                log_format=os.environ.get("DANGVIEN_LOG_FORMAT", "console"),
                                log_level=os.environ.get("DANGVIEN_LOG_LEVEL", "WARNING"))
    data_dir.mkdir(parents=True, exist_ok=True)
    names = runner.available_services()
    vault_key_or_exit(data_dir, names)
    svc = start_or_exit(runner, names, settings)
    url = f"http://{host}:{port}"
    console.print(f"[green]dangvien đang chạy / running[/]: {', '.join(names)}")
    if demo:
        from dangvien import demo as demo_data
        text = demo_data.jsonl()
        console.print(f"Nạp dữ liệu mẫu / loading demo data ({text.count(chr(10))} sự kiện / events)…")
        try:
            result = Client(url).post("/api/v1/imports", content=text.encode("utf-8"),
                                      headers={"Content-Type": "application/x-ndjson"})
            console.print(f"Đã ghi / written: {result.get('written', 0)} sự kiện mới / new events")
        except ApiError as exc:
            fail(exc)
        from services.gateway import demo_login
        user, token, password = demo_login(data_dir)
        console.print(f"Bảng điều khiển / dashboard: [bold]{url}/[/] — đăng nhập / login: "
                      f"[bold]{user}[/], mật khẩu / password: [bold]{password}[/] "
                      f"(hoặc mã truy cập / or token: {token})")
    console.print(f"Quản trị / administrator token: {data_dir / 'admin.token'}")
    from_env = settings.integrity_key is not None and settings.integrity_key.get_secret_value().strip()
    key_origin = "DANGVIEN_INTEGRITY_KEY" if from_env else settings.integrity_key_path()
    console.print(f"Khóa toàn vẹn / integrity key: {key_origin} — niêm phong / seals: {settings.seal_path()} "
                  f"(giữ ngoài thư mục dữ liệu / kept outside the data folder)")
    console.print(f"Mở / open: [bold]{url}[/]   (Ctrl+C để dừng / to stop)")
    sys.stdout.flush()
    runner.run_until_signalled(svc)


def start_or_exit(runner, names, settings):
    """Start the services, or name an unusable integrity key (Vietnamese and English) and exit 2."""
    from shared.keys import KeyError_
    try:
        return runner.start(names, settings)
    except KeyError_ as exc:
        err.print(f"[red]Khóa toàn vẹn không dùng được / integrity key unusable[/]: {exc}")
        raise typer.Exit(2)


def settings_or_exit(make, **values):
    """The settings, or each wrong DANGVIEN_* variable named (Vietnamese and English) and exit 2."""
    from pydantic import ValidationError
    try:
        return make(**values)
    except ValidationError as exc:
        for e in exc.errors():
            name = "DANGVIEN_" + "_".join(str(x) for x in e["loc"]).upper() if e["loc"] else "DANGVIEN_*"
            reason = str(e.get("ctx", {}).get("error") or e["msg"])
            err.print(f"[red]Cấu hình sai / invalid setting[/] {name}: {reason}")
        raise typer.Exit(2)


def vault_key_or_exit(data_dir: Path, names) -> None:
    """A service holding the key vault needs its master key: name what is wrong and exit 2."""
    if "members" not in names:
        return
    from shared.vaultkey import VaultKeyError, master_key
    try:
        master_key(data_dir)
    except VaultKeyError as exc:
        err.print(f"[red]Khóa chủ của kho khóa / vault master key[/]: {exc}")
        raise typer.Exit(2)


@app.command()
def serve(service: str = typer.Argument(..., help="members | meetings | discipline | reporting | gateway")):
    """Chạy một dịch vụ (distributed: RabbitMQ, PostgreSQL/KurrentDB), cấu hình từ DANGVIEN_*."""
    from dangvien import runner
    from shared.config import Settings

    if service not in runner.SERVICE_MODULES:
        err.print(f"[red]Dịch vụ không xác định / unknown service[/]: {service}")
        raise typer.Exit(2)
    from shared.eventstore import LogInUse
    settings = settings_or_exit(Settings)
    vault_key_or_exit(settings.data_dir, [service])
    try:
        svc = start_or_exit(runner, [service], settings)
    except LogInUse as exc:  # its store's log belongs to another service (KurrentDB)
        err.print(f"[red]Cấu hình sai / invalid setting[/] DANGVIEN_STORE_{service.upper()}: {exc}")
        raise typer.Exit(2)
    console.print(f"{service} started")
    sys.stdout.flush()
    runner.run_until_signalled(svc)


def _import_format(value: str) -> str:
    from dangvien.cli_report import format_choice
    return format_choice("text", "json")(value)


@import_app.command("events")
def import_events(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
                  format: str = typer.Option("text", "--format", callback=_import_format, metavar="text|json",
                                             help="Kết quả / result: text (một dòng tóm tắt) | json", is_eager=True),
                  url: Optional[str] = UrlOpt):
    """Nhập sự kiện từ tệp JSONL (tất cả hoặc không gì cả / all or nothing)."""
    raw = file.read_bytes()  # sent as is: the gateway checks the encoding and names the line
    total = sum(1 for line in raw.split(b"\n") if line.strip())
    client = Client(url)
    try:
        job = client.post("/api/v1/import-jobs")["job"]
    except ApiError as exc:
        fail(exc)
    try:
        result = follow_job(url, job, lambda: client.post("/api/v1/imports", content=raw, job=job,
                                                          headers={"Content-Type": "application/x-ndjson"}),
                            total, "validating")
    except Exception as exc:  # reported as the gateway said it
        fail(exc)
    if format == "json":
        console.print(json.dumps({k: v for k, v in result.items() if k != "job"}, ensure_ascii=False))
    else:
        console.print(import_summary(result))


def follow_job(url: Optional[str], job: str, send, total: Optional[int], first_phase: str):
    """``send()``'s answer, the import job it runs under drawn meanwhile as a bar on stderr: its
    phases and counts, polled (the JSONL and the sheet import alike); ``send``'s error re-raised."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = send()
        except Exception as exc:  # raised below, in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    # the job's steps: lines checked and written, then the projections applying them (the bar ends
    # once the import shows in the reports)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"),
                  console=err, transient=True) as progress:
        task = progress.add_task(phase_vi(first_phase), total=total)
        watcher = Client(url)
        while worker.is_alive():
            try:
                state = watcher.get(f"/api/v1/import-jobs/{job}")
                progress.update(task, completed=state.get("done", 0), total=state.get("total") or total,
                                description=phase_vi(state.get("phase", "")))
            except ApiError:
                pass
            worker.join(0.3)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


#: the import job's phases as people read them (the gateway's codes: ``phase`` or ``phase:service``)
PHASES_VI = {"parsing": "Đang đọc tệp / reading the file", "rows": "Đang kiểm tra từng hàng / checking rows",
             "validating": "Đang kiểm tra từng dòng / checking lines",
             "writing": "Đang ghi / writing", "reacting": "Đang xử lý hệ quả / applying consequences",
             "projecting": "Đang cập nhật số liệu báo cáo / updating the reports",
             "done": "Xong / done", "refused": "Bị từ chối / refused"}
SERVICES_VI = {"members": "tổ chức, đảng viên", "meetings": "sinh hoạt, đảng phí",
               "discipline": "kiểm tra, kỷ luật", "reporting": "báo cáo"}


def phase_vi(phase: str) -> str:
    name, _, service = (phase or "").partition(":")
    text = PHASES_VI.get(name, "Đang xử lý / working")
    return f"{text} ({SERVICES_VI.get(service, service)} / {service})" if service else text


def import_summary(result: dict) -> str:
    """One line: what the file held and what was written (a file sent again writes nothing new)."""
    lines, written = result.get("lines", 0), result.get("written", 0)
    from documents.vn import number
    text = f"Đã nhập xong / import done: {number(lines)} dòng / lines, {number(written)} sự kiện mới / new events"
    if lines and not written:
        text += " (đã có từ trước, không ghi lại / already stored, nothing written twice)"
    pending = result.get("pending_reactions")
    if pending:
        text += f"; còn chờ xử lý / still pending: {', '.join(map(str, pending))}"
    return text


@import_app.command("sheet")
def import_sheet(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
                 kind: str = typer.Option(..., "--kind", help="members | working_away | removals | discipline"),
                 into: str = typer.Option(..., "--into", help="Mã tổ chức nhận danh sách (org unit id)"),
                 sheet: Optional[str] = typer.Option(None, "--sheet", help="Tên trang tính (sheet name)"),
                 mapping: Optional[Path] = typer.Option(None, "--mapping", exists=True, dir_okay=False,
                                                        help="Tệp YAML: trường: tiêu đề cột (field: header)"),
                 create_units: bool = typer.Option(False, "--create-units", help="Tạo chi bộ/đảng bộ chưa có"),
                 on: Optional[str] = typer.Option(None, "--on", help="Ngày hiệu lực của thay đổi (dd/mm/yyyy)"),
                 dry_run: bool = typer.Option(False, "--dry-run", help="Chỉ kiểm tra, không ghi (check only)"),
                 url: Optional[str] = UrlOpt):
    """Nhập danh sách từ Excel/CSV (XLSX, CSV UTF-8/Windows-1258; chữ TCVN3/VNI được chuyển Unicode)."""
    from dangvien.sheet_report import print_sheet_result
    if kind not in ("members", "working_away", "removals", "discipline"):
        err.print(f"[red]Loại danh sách không hợp lệ / invalid --kind[/]: {kind} "
                  "(members | working_away | removals | discipline)")
        raise typer.Exit(2)
    mapping_json = None
    if mapping is not None:
        import yaml
        try:
            loaded = yaml.safe_load(mapping.read_text(encoding="utf-8-sig"))
        except yaml.YAMLError as exc:
            err.print(f"[red]Tệp ánh xạ không đọc được / unreadable mapping[/]: {exc}")
            raise typer.Exit(2)
        mapping_json = json.dumps(loaded.get("columns", loaded) if isinstance(loaded, dict) else loaded,
                                  ensure_ascii=False)
    params = {"kind": kind, "into": into, "sheet": sheet, "filename": file.name, "mapping": mapping_json,
              "create_units": "1" if create_units else None, "on": on, "dry_run": "1" if dry_run else None}
    client = Client(url)
    try:
        job = client.post("/api/v1/import-jobs")["job"]
        result = follow_job(url, job, lambda: client.post(
            "/api/v1/imports/sheet", content=file.read_bytes(), headers={"Content-Type": "application/octet-stream"},
            job=job, **params), None, "parsing")
    except ApiError as exc:
        if exc.body.get("refused") is not None or exc.body.get("columns") is not None:
            print_sheet_result(exc.body, err)
            raise typer.Exit(1)
        fail(exc)
    print_sheet_result(result, console)


#: other command groups, each module with ``register(app, report_app)``
EXTENSIONS = ("dangvien.cli_report", "dangvien.cli_user", "dangvien.cli_demo", "dangvien.cli_vault",
              "dangvien.cli_yearly", "dangvien.cli_rebuild")


def _load_extensions() -> None:
    import importlib
    for name in EXTENSIONS:  # each exists: a missing one is an error, not a command group skipped
        importlib.import_module(name).register(app, report_app)


_load_extensions()


def main():
    app()


if __name__ == "__main__":
    main()
