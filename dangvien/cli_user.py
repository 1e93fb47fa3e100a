"""``dangvien user add|token|password|disable|enable|revoke|list|log`` — manage the gateway's users on the host.

Managing users is an administrator's task on the machine that holds the gateway's database, so
these commands open that database directly (``--data-dir`` or ``DANGVIEN_GATEWAY_DB``) instead of
going through the API. The clear token is printed once and never stored. Every change is written
to the user audit (``dangvien user log``) with who made it: ``--by`` or ``DANGVIEN_OPERATOR``,
else the account running the command.
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
    from services.gateway import UserStore, db_url
    from shared.readmodel import ReadModelDB

    folder = data_dir or Path(os.environ.get("DANGVIEN_DATA_DIR", ".dangvien"))
    return UserStore(ReadModelDB(db_url(folder)))


DaysOpt = typer.Option(None, "--days", min=1,
                       help="Mã truy cập hết hạn sau số ngày này (token expires after this many days); bỏ trống = không hết hạn")


ByOpt = typer.Option(None, "--by", help="Người thực hiện, ghi vào nhật ký (who does it, for the audit record; "
                                        "default DANGVIEN_OPERATOR or the host account)")


def _operator(by: Optional[str]) -> str:
    if by:
        return by
    if os.environ.get("DANGVIEN_OPERATOR"):
        return os.environ["DANGVIEN_OPERATOR"]
    import getpass
    try:
        return f"host:{getpass.getuser()}"
    except Exception:  # no passwd entry (a container's arbitrary uid)
        return f"host:uid{os.getuid()}"


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
        by: Optional[str] = ByOpt,
        data_dir: Optional[Path] = DataDirOpt):
    """Tạo người dùng (hoặc đổi vai trò/phạm vi) và in mã truy cập mới (create a user; prints a new token)."""
    from shared.contracts import ROLES

    if role not in ROLES:
        _fail(f"vai trò phải là một trong {', '.join(ROLES)}", f"role must be one of {', '.join(ROLES)}")
    store = _store(data_dir)
    try:
        token = store.add(name, role, scope, kind="client" if client else "person", days=days)
    except ValueError:
        _fail("tên đăng nhập chỉ gồm chữ, số và . _ - @ (tối đa 64 ký tự)",
              "the name may hold letters, digits and . _ - @ (at most 64 characters)")
    store.record(_operator(by), "add", name, f"role={role} scope={scope or '*'}" + (f" days={days}" if days else ""))
    typer.echo(token)


@user_app.command("token")
def token(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
          days: Optional[int] = DaysOpt,
          by: Optional[str] = ByOpt,
          data_dir: Optional[Path] = DataDirOpt):
    """Cấp mã truy cập mới; mã cũ hết hiệu lực (issue a new token; the old one stops working)."""
    store = _store(data_dir)
    try:
        fresh = store.rotate(name, days=days)
    except KeyError:
        _fail(f"không có người dùng «{name}»", f"no user '{name}'")
    store.record(_operator(by), "token", name, f"days={days}" if days else None)
    typer.echo(fresh)


@user_app.command("password")
def password(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
             stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (read it from stdin)"),
             by: Optional[str] = ByOpt,
             data_dir: Optional[Path] = DataDirOpt):
    """Đặt mật khẩu đăng nhập bảng điều hành (set the password for signing in with a name); phiên cũ bị đóng."""
    import sys
    if stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = typer.prompt("Mật khẩu mới (new password)", hide_input=True,
                              confirmation_prompt="Nhập lại (repeat)")
    store = _store(data_dir)
    try:
        store.set_password(name, secret)
    except KeyError:
        _fail(f"không có người dùng «{name}»", f"no user '{name}'")
    except ValueError as exc:
        vi, _, en = str(exc).partition(" — ")
        _fail(vi, en or vi)
    store.record(_operator(by), "password", name)  # never the password nor its hash
    typer.echo(f"Đã đặt mật khẩu cho «{name}» / Password set for '{name}'")


def _change(action: str, name: str, by: Optional[str], data_dir: Optional[Path], done_vi: str, done_en: str):
    store = _store(data_dir)
    try:
        if action == "revoke":
            store.revoke(name)
        else:
            store.set_disabled(name, action == "disable")
    except KeyError:
        _fail(f"không có người dùng «{name}»", f"no user '{name}'")
    store.record(_operator(by), action, name)
    typer.echo(f"{done_vi} «{name}» / {done_en} '{name}'")


@user_app.command("disable")
def disable(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
            by: Optional[str] = ByOpt, data_dir: Optional[Path] = DataDirOpt):
    """Khóa người dùng: mã truy cập ngừng hiệu lực cho đến khi mở lại (disable a user until enabled again)."""
    _change("disable", name, by, data_dir, "Đã khóa", "Disabled")


@user_app.command("enable")
def enable(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
           by: Optional[str] = ByOpt, data_dir: Optional[Path] = DataDirOpt):
    """Mở khóa người dùng (enable a disabled user; their token works again)."""
    _change("enable", name, by, data_dir, "Đã mở khóa", "Enabled")


@user_app.command("revoke")
def revoke(name: str = typer.Argument(..., help="Tên đăng nhập (user name)"),
           by: Optional[str] = ByOpt, data_dir: Optional[Path] = DataDirOpt):
    """Thu hồi mã truy cập vĩnh viễn; cấp mã mới bằng «user token» (revoke the token for good)."""
    _change("revoke", name, by, data_dir, "Đã thu hồi mã truy cập của", "Revoked the token of")


@user_app.command("log")
def log(name: Optional[str] = typer.Argument(None, help="Chỉ người dùng này (only this user)"),
        data_dir: Optional[Path] = DataDirOpt):
    """Nhật ký thay đổi người dùng: ai, làm gì, khi nào (who changed which user, when)."""
    from shared.dates import vn_date
    import datetime as dt
    for r in _store(data_dir).audit(name):
        at = dt.datetime.fromisoformat(r["at"])
        typer.echo(f"{vn_date(at.date())} {at.strftime('%H:%M:%S')} UTC\t{r['actor']}\t{r['action']}\t{r['name']}"
                   f"\t{r['detail'] or ''}")


@user_app.command("list")
def list_users(data_dir: Optional[Path] = DataDirOpt):
    """Danh sách người dùng (list users; tokens are never shown)."""
    from shared.dates import vn_date
    store = _store(data_dir)
    expiries, status = store.expiries(), store.status()
    labels = {"active": "hoạt động / active", "disabled": "đã khóa / disabled", "revoked": "đã thu hồi / revoked",
              "expired": "hết hạn / expired"}
    for u in store.all():
        until = expiries.get(u.name)
        ends = f"hết hạn / expires {vn_date(until.date())}" if until else "không hết hạn / no expiry"
        typer.echo(f"{u.name}\t{u.role}\t{u.scope or '(toàn tỉnh / province)'}\t{u.kind}\t{ends}"
                   f"\t{labels[status.get(u.name, 'active')]}")


def register(app, report_app) -> None:
    app.add_typer(user_app, name="user")
