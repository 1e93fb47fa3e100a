"""The integrity key ring: the secrets that key every event hash and sign every seal.

The key never lives in the data directory or in a database, so someone who can write the event
stores cannot recompute a hash. It comes from, in this order:

1. ``DANGVIEN_INTEGRITY_KEY`` — the secret itself (an environment/secret reference, e.g. a
   Kubernetes Secret): ``<key id>:<hex or base64 secret>``, several separated by ``,``;
2. ``DANGVIEN_INTEGRITY_KEY_FILE`` — a key file, mode 0600;
3. by default ``<data dir>.integrity/integrity.key`` — *beside* the data directory, never inside
   it; created (0600, 32 random bytes) the first time a process needs it.

A key file has one key per line, ``<key id> <secret as hex>``; ``#`` starts a comment. The
**last** line is the key new events are hashed with; the earlier ones stay to verify old events
(rotation appends a line: ``dangvien audit rotate-key``). Key ids are ``[A-Za-z0-9_-]{1,32}``.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from shared.secretfile import create_once, inside, mode_of

KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MIN_SECRET_BYTES = 16


class KeyError_(Exception):
    """The key ring cannot be loaded: the message says which setting and why (vi — en)."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"Key(id={self.id!r})"


class Keyring:
    def __init__(self, keys: list[Key], origin: str = ""):
        if not keys:
            raise KeyError_("Không có khóa toàn vẹn nào / no integrity key")
        self.keys = {k.id: k for k in keys}
        self.current = keys[-1]
        self.origin = origin

    def get(self, key_id: str) -> Key | None:
        return self.keys.get(key_id)

    def __repr__(self) -> str:
        return f"Keyring(current={self.current.id!r}, keys={list(self.keys)}, origin={self.origin!r})"


def _secret(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise KeyError_(f"{where}: khóa không phải hex/base64 / secret is neither hex nor base64") from None
    if len(raw) < MIN_SECRET_BYTES:
        raise KeyError_(f"{where}: khóa quá ngắn (tối thiểu {MIN_SECRET_BYTES} byte) / secret shorter than "
                        f"{MIN_SECRET_BYTES} bytes")
    return raw


def _key(key_id: str, secret: str, where: str) -> Key:
    if not KEY_ID.match(key_id):
        raise KeyError_(f"{where}: mã khóa không hợp lệ / invalid key id {key_id!r}")
    return Key(key_id, _secret(secret, where))


def parse_env(value: str) -> Keyring:
    keys = []
    for i, part in enumerate(p for p in value.split(",") if p.strip()):
        if ":" not in part:
            raise KeyError_("DANGVIEN_INTEGRITY_KEY: cần dạng <mã>:<khóa> / expected <key id>:<secret>")
        key_id, secret = part.strip().split(":", 1)
        keys.append(_key(key_id, secret, f"DANGVIEN_INTEGRITY_KEY #{i + 1}"))
    return Keyring(keys, "DANGVIEN_INTEGRITY_KEY")


def read_file(path: Path) -> Keyring:
    where = f"DANGVIEN_INTEGRITY_KEY_FILE {path}"
    try:
        mode = mode_of(path)
    except FileNotFoundError:
        raise KeyError_(f"{where}: không có tệp khóa / key file not found") from None
    if mode & 0o077:
        raise KeyError_(f"{where}: tệp khóa phải có quyền 0600 (đang là {oct(mode & 0o777)}) / key file must be "
                        f"mode 0600 (is {oct(mode & 0o777)}): chmod 600")
    keys = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise KeyError_(f"{where} dòng/line {n}: cần '<mã> <khóa>' / expected '<key id> <secret>'")
        keys.append(_key(parts[0], parts[1], f"{where} dòng/line {n}"))
    if not keys:
        raise KeyError_(f"{where}: tệp khóa rỗng / key file has no key")
    return Keyring(keys, str(path))


def new_key_line(key_id: str | None = None) -> tuple[str, str]:
    key_id = key_id or "k" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d") + secrets.token_hex(2)
    if not KEY_ID.match(key_id):
        raise KeyError_(f"mã khóa không hợp lệ / invalid key id {key_id!r}")
    return key_id, f"{key_id} {secrets.token_hex(32)}\n"


def create_file(path: Path) -> bool:
    """Create a key file with one fresh key, atomically (two processes starting at once agree on
    one key: the loser of the race reads the winner's). True when this call created it."""
    _, line = new_key_line()
    return create_once(path, "# dangvien integrity keys: the last line signs new events; keep old lines\n" + line)


def rotate_file(path: Path, key_id: str | None = None) -> str:
    """Append a new key (it becomes current); old keys stay for verifying old events."""
    ring = read_file(path)
    key_id, line = new_key_line(key_id)
    if key_id in ring.keys:
        raise KeyError_(f"mã khóa đã có / key id already used: {key_id}")
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
    return key_id


def resolve(settings=None) -> Keyring:
    """The key ring the settings name (see the module doc for the order)."""
    if settings is None:
        from shared.config import Settings
        settings = Settings()
    if settings.integrity_key is not None and settings.integrity_key.get_secret_value().strip():
        return parse_env(settings.integrity_key.get_secret_value())
    path = settings.integrity_key_path()
    if inside(path, settings.data_dir):
        raise KeyError_(f"DANGVIEN_INTEGRITY_KEY_FILE {path}: khóa không được nằm trong thư mục dữ liệu "
                        f"{settings.data_dir} / the key must not live inside the data folder")
    if not settings.integrity_key_file and not path.exists():
        if create_file(path):
            import logging
            logging.getLogger("dangvien").warning("integrity key created at %s (keep a copy apart)", path)
    return read_file(path)


_ring: Keyring | None = None
_lock = threading.Lock()


def keyring() -> Keyring:
    """This process's key ring, loaded once from the settings."""
    global _ring
    if _ring is None:
        with _lock:
            if _ring is None:
                _ring = resolve()
    return _ring


def use(ring: Keyring | None) -> None:
    """Set (or with None: forget, to load again) this process's key ring."""
    global _ring
    with _lock:
        _ring = ring
