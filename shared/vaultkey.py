"""The master key of the personal-data key vault, kept apart from the data it protects.

Where it comes from, first found wins:

1. ``DANGVIEN_VAULT_KEY`` — the key(s) themselves (a secret reference in Kubernetes/compose);
2. ``DANGVIEN_VAULT_KEY_FILE`` — a file holding them, mode 0600 (or 0640 for a group), outside
   the data directory;
3. embedded mode on a workstation: ``$XDG_CONFIG_HOME/dangvien/vault.key`` (``~/.config/...``),
   made on first start with mode 0600 in a 0700 folder.

A key is a Fernet key (``dangvien vault new-key`` prints one). Several keys, comma- or
line-separated, allow rotation: the first encrypts, every one decrypts. To rotate: put a new key
in front, restart, run ``dangvien vault rewrap``, then drop the old key (docs/personal-data.md).

A key file inside the data directory, or readable by group or others, is refused: a copy of the
data directory must open nothing.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from shared.secretfile import create_once, inside, mode_of


class VaultKeyError(Exception):
    """The master key is missing, misplaced or too widely readable (message: Vietnamese — English)."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class MasterKey(MultiFernet):
    """The master keys (the first wraps, every one unwraps), the first kept as text too: the vault
    wraps a province's new keys with it in bulk (``shared.tokens``)."""

    def __init__(self, keys: list[str]):
        super().__init__([Fernet(k.encode("ascii")) for k in keys])
        self.current = keys[0].encode("ascii")


def parse(text: str) -> MultiFernet:
    keys = [k.strip() for k in text.replace(",", "\n").splitlines() if k.strip() and not k.strip().startswith("#")]
    if not keys:
        raise VaultKeyError("khóa chủ của kho khóa trống — the vault master key is empty")
    try:
        return MasterKey(keys)
    except (ValueError, UnicodeEncodeError):
        raise VaultKeyError("khóa chủ không đúng dạng Fernet (44 ký tự base64) — the vault master key is not a "
                            "Fernet key (44 base64 characters)") from None


def default_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dangvien" / "vault.key"


def key_file(data_dir: Path | None) -> Path:
    """The key file in use (the configured one, else the default), checked and made if absent."""
    explicit = os.environ.get("DANGVIEN_VAULT_KEY_FILE")
    path = Path(explicit).expanduser() if explicit else default_file()
    if data_dir is not None and inside(path, Path(data_dir)):
        raise VaultKeyError(f"tệp khóa chủ «{path}» nằm trong thư mục dữ liệu; hãy để nó ở nơi khác — the vault "
                            f"key file '{path}' is inside the data directory; keep it elsewhere")
    if not path.exists():
        if explicit:
            raise VaultKeyError(f"không có tệp khóa chủ «{path}» — no vault key file '{path}' "
                                "(dangvien vault new-key > FILE; chmod 600 FILE)")
        create_once(path, new_key() + "\n")  # another process may have made it first: keep theirs
    mode = mode_of(path)
    if mode & 0o037:  # 0600, 0400, or 0640/0440 for a group (a Kubernetes Secret volume with fsGroup)
        raise VaultKeyError(f"tệp khóa chủ «{path}» có quyền {mode:o}, người khác đọc được; chạy: chmod 600 {path} "
                            f"— the vault key file '{path}' has mode {mode:o}; run: chmod 600 {path}")
    return path


def master_key(data_dir: Path | None) -> MultiFernet:
    """The master key of the vault: from the environment, a key file, or the workstation default."""
    text = os.environ.get("DANGVIEN_VAULT_KEY")
    if text:
        return parse(text)
    return parse(key_file(data_dir).read_text())
