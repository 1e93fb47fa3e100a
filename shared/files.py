"""Files the project writes are its own: mode 0600 (folders 0700), or 0640/0750 with a group.

Every process starts through ``dangvien`` (embedded ``up``, one-service ``serve``, the CLI), which
sets the process umask first (``apply_umask``): event stores, read models, the key vault, WAL
files, tokens and exports are then never readable by other local accounts. ``DANGVIEN_UMASK=027``
lets a group read (e.g. a backup account); the bits for others are always masked. A data folder
written by an older version is tightened on start (``tighten``).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT = 0o077


def umask_value() -> int:
    try:
        value = int(os.environ.get("DANGVIEN_UMASK", "077"), 8)
    except ValueError:
        value = DEFAULT
    return (value | 0o007) & 0o777  # others never read, write or enter


def apply_umask() -> int:
    """Set the process umask; return it."""
    value = umask_value()
    os.umask(value)
    return value


#: what the project writes into a data folder (only these are tightened: the folder may be shared)
OWN = ("*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.token")


def tighten(folder: Path) -> None:
    """Take away from the data folder and the project's files in it what the umask does not allow."""
    mask = umask_value()
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in [folder, *(p for pattern in OWN for p in folder.rglob(pattern))]:
        try:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & mask:
                os.chmod(path, mode & ~mask)
        except OSError:
            continue
