"""``dangvien user add|token|list`` — manage the gateway's users on the host.

Managing users is an administrator's task on the machine that holds the gateway's database, so
these commands open that database directly (``--data-dir`` or ``DANGVIEN_GATEWAY_DB``) instead of
going through the API. The clear token is printed once and never stored.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

user_app = typer.Typer(help="Người dùng và ứng dụng (users and API clients)", no_args_is_help=True)

DataDirOpt = typer.Option(None, "--data-dir",
                          help="Thư mục dữ liệu của gateway (data folder; default DANGVIEN_DATA_DIR or .dangvien)")


def _store(data_dir: Optional[Path]):
    from services.gateway.auth import UserStore, db_url
    from shared.readmodel import ReadModelDB

    folder = data_dir or Path(os.environ.get("DANGVIEN_DATA_DIR", ".dangvien"))
    return UserStore(ReadModelDB(db_url(folder)))


DaysOpt = typer.Option(None, "--days", min=1,
                       help="Mã truy cập hết hạn sau số ngày này (token expires after this many days); bỏ trống = không hết hạn")


def _fail(vi: str, en: str) -> None:
    typer.echo(f"Lỗi / Error: {vi} — {en}", err=True)
    raise typer.Exit(2)


@user_app.command("add")
def add(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
        role: str = typer.Option(..., "--role", help="viewer | clerk | inspector | administrator"),
        scope: Optional[str] = typer.Option(None, "--scope",
                                            help="Mã tổ chức đảng được phân quyền (org unit id); bỏ trống = toàn tỉnh"),
        client: bool = typer.Option(False, "--client", help="Ứng dụng của hệ thống khác (an API client)"),
        days: Optional[int] = DaysOpt,
        data_dir: Optional[Path] = DataDirOpt):
    """Tạo người dùng (hoặc đổi vai trò/phạm vi) và in mã truy cập mới (create a user; prints a new token)."""
    from shared.contracts import ROLES

    if role not in ROLES:
        _fail(f"vai trò phải là một trong {', '.join(ROLES)}", f"role must be one of {', '.join(ROLES)}")
    try:
        token = _store(data_dir).add(name, role, scope, kind="client" if client else "person", days=days)
    except ValueError:
        _fail("tên đăng nhập chỉ gồm chữ, số và . _ - @ (tối đa 64 ký tự)",
              "the name may hold letters, digits and . _ - @ (at most 64 characters)")
    typer.echo(token)


@user_app.command("token")
def token(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
          days: Optional[int] = DaysOpt,
          data_dir: Optional[Path] = DataDirOpt):
    """Cấp mã truy cập mới; mã cũ hết hiệu lực (issue a new token; the old one stops working)."""
    try:
        typer.echo(_store(data_dir).rotate(name, days=days))
    except KeyError:
        _fail(f"không có người dùng «{name}»", f"no user '{name}'")


@user_app.command("list")
def list_users(data_dir: Optional[Path] = DataDirOpt):
    """Danh sách người dùng (list users; tokens are never shown)."""
    from shared.dates import vn_date
    store = _store(data_dir)
    expiries = store.expiries()
    for u in store.all():
        until = expiries.get(u.name)
        ends = f"hết hạn / expires {vn_date(until.date())}" if until else "không hết hạn / no expiry"
        typer.echo(f"{u.name}\t{u.role}\t{u.scope or '(toàn tỉnh / province)'}\t{u.kind}\t{ends}")


def register(app, report_app) -> None:
    app.add_typer(user_app, name="user")
