"""``dangvien vault new-key|rewrap`` — the key vaults' master key (shared/vaultkey.py).

Two services keep a key vault, wrapped by the same master key: members (personal fields) and
meetings (absence reasons). Rotation: ``dangvien vault new-key`` → put the new key *in front* of
the old one (``DANGVIEN_VAULT_KEY=new,old`` or two lines in the key file) → restart the members
and meetings services → ``dangvien vault rewrap`` (every stored key of both vaults re-encrypted
with the new key) → remove the old key → restart. Run on the host that holds the vaults
(``--data-dir``, ``DANGVIEN_VAULT_MEMBERS``, ``DANGVIEN_VAULT_MEETINGS``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

vault_app = typer.Typer(help="Khóa chủ của kho khóa dữ liệu cá nhân (the personal-data vault's master key)",
                        no_args_is_help=True)


@vault_app.command("new-key")
def new_key():
    """In một khóa chủ mới (print a new master key; store it as a secret, never in the data folder)."""
    from shared.vaultkey import new_key as make
    typer.echo(make())


@vault_app.command("rewrap")
def rewrap(data_dir: Optional[Path] = typer.Option(None, "--data-dir",
                                                   help="Thư mục dữ liệu (data folder; default DANGVIEN_DATA_DIR)")):
    """Mã hóa lại mọi khóa bằng khóa chủ đầu tiên (re-encrypt every stored key with the first master key)."""
    from services import meetings, members
    from shared.config import Settings
    from shared.personal import Vault
    from shared.readmodel import ReadModelDB
    from shared.vaultkey import VaultKeyError, master_key

    settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    try:
        master = master_key(settings.data_dir)
    except VaultKeyError as exc:
        typer.echo(f"Lỗi / Error: {exc}", err=True)
        raise typer.Exit(2)
    count = 0
    urls = {members.vault_url(settings.readmodel_url("members")): None,
            meetings.vault_url(settings.readmodel_url("meetings")): None}  # one database may hold both
    for url in urls:
        db = ReadModelDB(url)
        try:
            count += Vault(db, master).rewrap()
        finally:
            db.close()
    typer.echo(f"Đã mã hóa lại {count} khóa / rewrapped {count} keys")


def register(app, report_app) -> None:
    app.add_typer(vault_app, name="vault")
