"""Users and API clients of the gateway: a role, an org scope and a hashed bearer token.

Tokens are 256-bit random strings, so a plain sha-256 is enough to store them (a slow KDF
such as scrypt protects low-entropy passwords, not random keys) and lets a request find its
user by one indexed lookup. The clear token is shown once, when it is made.

The store lives in the gateway's own database (``<data_dir>/gateway.db`` or
``DANGVIEN_GATEWAY_DB``), which the CLI also opens directly: managing users is a host task.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from shared.contracts import ROLES
from shared.readmodel import ReadModelDB

NAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
ADMIN = "admin"

DDL = """
CREATE TABLE IF NOT EXISTS gw_users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, scope TEXT, kind TEXT NOT NULL,
    token_hash TEXT UNIQUE, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)
"""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    #: the org unit whose subtree the user may see; None = the whole province
    scope: str | None
    kind: str = "person"  # or "client" (another provincial system)

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "scope": self.scope, "kind": self.kind}


def db_url(data_dir: Path) -> str:
    """``DANGVIEN_GATEWAY_DB`` when set (PostgreSQL in production), else a file in the data dir."""
    return os.environ.get("DANGVIEN_GATEWAY_DB") or f"sqlite:///{Path(data_dir).resolve()}/gateway.db"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "dv_" + secrets.token_urlsafe(32)


class UserStore:
    def __init__(self, db: ReadModelDB):
        self.db = db
        db.executescript(DDL)

    def add(self, name: str, role: str, scope: str | None, kind: str = "person") -> str:
        """Create (or replace the role/scope of) a user and give them a fresh token."""
        if not NAME.match(name):
            raise ValueError(f"invalid user name {name!r}")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        token = new_token()
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_users (name, role, scope, kind, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET role = excluded.role, scope = excluded.scope, "
                       "kind = excluded.kind, token_hash = excluded.token_hash, disabled = 0",
                       (name, role, scope or None, kind, hash_token(token), now))
        return token

    def rotate(self, name: str) -> str:
        """A new token for an existing user; the old one stops working at once."""
        token = new_token()
        with self.db.transaction() as tx:
            if tx.scalar("SELECT COUNT(*) FROM gw_users WHERE name = ?", (name,), 0) == 0:
                raise KeyError(name)
            tx.execute("UPDATE gw_users SET token_hash = ? WHERE name = ?", (hash_token(token), name))
        return token

    def get(self, name: str) -> User | None:
        rows = self.db.query("SELECT name, role, scope, kind FROM gw_users WHERE name = ? AND disabled = 0", (name,))
        return User(*rows[0]) if rows else None

    def authenticate(self, token: str | None) -> User | None:
        if not token:
            return None
        rows = self.db.query("SELECT name, role, scope, kind FROM gw_users WHERE token_hash = ? AND disabled = 0",
                             (hash_token(token),))
        return User(*rows[0]) if rows else None

    def all(self) -> list[User]:
        return [User(*r) for r in self.db.query("SELECT name, role, scope, kind FROM gw_users ORDER BY name")]


def write_secret(path: Path, token: str) -> None:
    """Write a token readable by its owner only (mode 600), never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)


def ensure_admin_token(users: UserStore, data_dir: Path) -> Path:
    """Embedded mode: on first start make the province-wide administrator and write its token to
    ``<data_dir>/admin.token``; later starts keep it while it still opens the door."""
    path = Path(data_dir) / "admin.token"
    if path.exists():
        current = users.authenticate(path.read_text().strip())
        if current is not None and current.role == "administrator" and current.scope is None:
            return path
    write_secret(path, users.add(ADMIN, "administrator", None))
    return path


def demo_login(data_dir: Path, name: str = "demo") -> tuple[str, str]:
    """A province-wide read-only login for the dashboard of a demo instance: (user, token)."""
    db = ReadModelDB(db_url(data_dir))
    try:
        return name, UserStore(db).add(name, "viewer", None)
    finally:
        db.close()
