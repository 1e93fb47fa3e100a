"""Key files kept apart from the data they protect: the checks the integrity key ring
(`shared.keys`) and the vault master key (`shared.vaultkey`) share."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in ``folder`` (symbolic links resolved): a key there would travel
    with every copy of the data."""
    try:
        path.resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def create_once(path: Path, text: str) -> bool:
    """Write a new secret file with mode 0600 in a 0700 folder, atomically: of two processes
    starting at once, one creates it and the other keeps the winner's. True when this call made it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
