"""``dangvien rebuild <service>`` — a service's own read tables written again from the event stores.

A service rebuilds a projection by itself on start when the rows were written by other rules
than its code's (``Projection.version``); this command does it on demand (after a restore, or to
be sure), from the service's settings (``DANGVIEN_READMODEL_<SERVICE>``, ``DANGVIEN_STORE_<SOURCE>``
or ``--data-dir``). One transaction per projection: the service keeps answering from the old rows
until the new ones are complete, and an interrupted rebuild leaves them as they were. The
reporting service's read model is rebuilt by ``dangvien replay``.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()
err = Console(stderr=True)

#: the services whose projections the command rebuilds (``services.<name>.dependencies.projections``)
SERVICES = ("members", "meetings", "discipline")


def rebuild(service: str, only: Optional[str], data_dir: Optional[Path]) -> None:
    from shared.config import Settings
    from shared.eventstore import open_store
    from shared.projection import ProjectionRunner
    from shared.readmodel import ReadModelDB

    if service not in SERVICES:
        hint = " Dùng / use: dangvien replay" if service == "reporting" else ""
        err.print(f"[red]Lỗi / Error[/] dịch vụ không có bảng đọc riêng để dựng lại / no own projections to "
                  f"rebuild: {service!r} (chọn / choose: {', '.join(SERVICES)}).{hint}")
        raise typer.Exit(2)
    projections = importlib.import_module(f"services.{service}.dependencies").projections()
    chosen = [p for p in projections if only in (None, p.name)]
    if not chosen:
        err.print(f"[red]Lỗi / Error[/] không có bảng đọc / no projection {only!r} "
                  f"(chọn / choose: {', '.join(p.name for p in projections)})")
        raise typer.Exit(2)
    settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    sources = sorted({s for p in chosen for s in p.sources})
    absent = [f for f in map(_sqlite_file, [settings.readmodel_url(service), *map(settings.store_url, sources)])
              if f is not None and not f.exists()]
    if absent:  # a mistyped data folder: nothing there to rebuild, and nothing is created there
        err.print(f"[red]Lỗi / Error[/] không có dữ liệu của dịch vụ / no data of the service: "
                  f"{', '.join(map(str, absent))} không tồn tại / does not exist (--data-dir, DANGVIEN_DATA_DIR)")
        raise typer.Exit(2)
    db = ReadModelDB(settings.readmodel_url(service))
    stores = {s: open_store(settings.store_url(s)) for s in sources}
    try:
        for projection in chosen:
            runner = ProjectionRunner(db, projection, stores)
            recorded = runner.recorded_version()
            total = sum(stores[s].count_after(0) for s in projection.sources)
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                          TimeElapsedColumn(), console=err) as progress:
                task = progress.add_task(f"Đang dựng lại / rebuilding {projection.name}", total=total)
                done = runner.rebuild(progress=lambda n: progress.advance(task, n))
            console.print(f"Xong / done: {projection.name} — {done:,} sự kiện / events, phiên bản / version "
                          f"{'—' if recorded is None else recorded} → {projection.version}")
    finally:
        for store in stores.values():
            store.close()
        db.close()


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for a server's URL)."""
    return Path(url[len("sqlite:///"):].split("?", 1)[0]) if url.startswith("sqlite:///") else None


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    @app.command("rebuild")
    def rebuild_cmd(service: str = typer.Argument(..., help=f"Dịch vụ / service: {', '.join(SERVICES)}"),
                    projection: Optional[str] = typer.Option(None, "--projection",
                                                             help="Chỉ bảng đọc này / only this projection"),
                    data_dir: Optional[Path] = typer.Option(None, "--data-dir",
                                                            help="Thư mục dữ liệu (data folder; default DANGVIEN_DATA_DIR)")):
        """Dựng lại bảng đọc riêng của một dịch vụ từ kho sự kiện (rebuild a service's own projections
        from the event stores); dịch vụ vẫn trả lời từ bản cũ đến khi xong."""
        rebuild(service, projection, data_dir)
