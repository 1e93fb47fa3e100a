"""Users and API clients of the gateway: a role, an org scope and a hashed bearer token.

Tokens are 256-bit random strings, so a plain sha-256 is enough to store them (a slow KDF
such as scrypt protects low-entropy passwords, not random keys) and lets a request find its
user by one indexed lookup. The clear token is shown once, when it is made.

People may also sign in with their name and a password (``dangvien user password NAME``): the
password is stored as an scrypt hash with a per-user random salt (``passwords``), and a good sign-in
opens a session, a random token like the others that lasts ``SESSION_HOURS`` hours.

A token may carry an expiry date (``dangvien user add --days N``; API clients of other provincial
systems typically get one); after it the token no longer opens the door and the answer says so.
Rotating a token sets a new expiry. The store lives in the gateway's own database (``<data_dir>/gateway.db`` or
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

from services.gateway import passwords, schema

NAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
ADMIN = "admin"

#: what ``dangvien user`` may do to a user (recorded in ``gw_user_audit`` with who did it)
ACTIONS = ("add", "token", "disable", "enable", "revoke", "password")
#: how long a session opened by a password sign-in lasts
SESSION_HOURS = 12


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


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def expiry(days: int | None) -> str | None:
    """The expiry of a token made now that lasts ``days`` days (None: none)."""
    if days is None:
        return None
    if days < 1:
        raise ValueError("days must be at least 1")
    return (now_utc() + dt.timedelta(days=days)).isoformat()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "dv_" + secrets.token_urlsafe(32)


class UserStore:
    def __init__(self, db: ReadModelDB):
        self.db = db
        schema.migrate(db)  # gw_users, gw_sessions, gw_login_failures, gw_user_audit: services/gateway/schema.py

    def add(self, name: str, role: str, scope: str | None, kind: str = "person", days: int | None = None) -> str:
        """Create (or replace the role/scope of) a user and give them a fresh token, valid for
        ``days`` days if given."""
        if not NAME.match(name):
            raise ValueError(f"invalid user name {name!r}")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        token, until = new_token(), expiry(days)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_users (name, role, scope, kind, token_hash, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET role = excluded.role, scope = excluded.scope, "
                       "kind = excluded.kind, token_hash = excluded.token_hash, disabled = 0, "
                       "expires_at = excluded.expires_at",
                       (name, role, scope or None, kind, hash_token(token), now_utc().isoformat(), until))
        return token

    def rotate(self, name: str, days: int | None = None) -> str:
        """A new token for an existing user, valid for ``days`` days if given; the old one stops
        working at once."""
        token, until = new_token(), expiry(days)
        with self.db.transaction() as tx:
            if tx.scalar("SELECT COUNT(*) FROM gw_users WHERE name = ?", (name,), 0) == 0:
                raise KeyError(name)
            tx.execute("UPDATE gw_users SET token_hash = ?, expires_at = ? WHERE name = ?",
                       (hash_token(token), until, name))
        return token

    def exists(self, name: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM gw_users WHERE name = ?", (name,)))

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (no token of theirs opens the door) or enable a user again; their token is kept."""
        with self.db.transaction() as tx:
            if tx.scalar("SELECT COUNT(*) FROM gw_users WHERE name = ?", (name,), 0) == 0:
                raise KeyError(name)
            tx.execute("UPDATE gw_users SET disabled = ? WHERE name = ?", (1 if disabled else 0, name))

    def revoke(self, name: str) -> None:
        """Revoke the user's token for good (``user token`` issues a new one)."""
        with self.db.transaction() as tx:
            if tx.scalar("SELECT COUNT(*) FROM gw_users WHERE name = ?", (name,), 0) == 0:
                raise KeyError(name)
            tx.execute("UPDATE gw_users SET token_hash = NULL WHERE name = ?", (name,))

    def status(self) -> dict[str, str]:
        """name -> active | disabled | revoked | expired"""
        now = now_utc().isoformat()
        out = {}
        for name, disabled, token_hash, until in self.db.query(
                "SELECT name, disabled, token_hash, expires_at FROM gw_users"):
            out[name] = ("disabled" if disabled else "revoked" if token_hash is None
                         else "expired" if until and until <= now else "active")
        return out

    def record(self, actor: str, action: str, name: str, detail: str | None = None) -> None:
        """An audit record of a change to a user: who did it, what, to whom, when (never a token)."""
        if action not in ACTIONS:
            raise ValueError(action)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_user_audit (at, actor, action, name, detail) VALUES (?, ?, ?, ?, ?)",
                       (now_utc().isoformat(), actor, action, name, detail))

    def audit(self, name: str | None = None) -> list[dict]:
        rows = self.db.query("SELECT at, actor, action, name, detail FROM gw_user_audit "
                             + ("WHERE name = ? " if name else "") + "ORDER BY seq", (name,) if name else ())
        return [dict(zip(("at", "actor", "action", "name", "detail"), r)) for r in rows]

    def expired_on(self, token: str | None) -> dt.datetime | None:
        """When this (known, enabled) token expired, if it has."""
        if not token:
            return None
        rows = self.db.query("SELECT expires_at FROM gw_users WHERE token_hash = ? AND disabled = 0",
                             (hash_token(token),))
        if not rows or rows[0][0] is None:
            return None
        until = dt.datetime.fromisoformat(rows[0][0])
        return until if until <= now_utc() else None

    def expiries(self) -> dict[str, dt.datetime | None]:
        return {n: dt.datetime.fromisoformat(e) if e else None
                for n, e in self.db.query("SELECT name, expires_at FROM gw_users")}

    def get(self, name: str) -> User | None:
        rows = self.db.query("SELECT name, role, scope, kind FROM gw_users WHERE name = ? AND disabled = 0", (name,))
        return User(*rows[0]) if rows else None

    def authenticate(self, token: str | None) -> User | None:
        """The user a bearer token (an API token or a sign-in session's) belongs to, if it still opens."""
        if not token:
            return None
        now, digest = now_utc().isoformat(), hash_token(token)
        rows = self.db.query("SELECT name, role, scope, kind FROM gw_users WHERE token_hash = ? AND disabled = 0 "
                             "AND (expires_at IS NULL OR expires_at > ?)", (digest, now))
        if not rows:
            rows = self.db.query("SELECT u.name, u.role, u.scope, u.kind FROM gw_sessions s JOIN gw_users u "
                                 "ON u.name = s.name WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
                                 (digest, now))
        return User(*rows[0]) if rows else None

    # -- passwords and sessions ---------------------------------------------------------------
    def set_password(self, name: str, password: str) -> None:
        """Set (or replace) a user's password; every open session of theirs is closed."""
        problem = passwords.weakness(password, name)
        if problem:
            raise ValueError(problem)
        with self.db.transaction() as tx:
            if tx.scalar("SELECT COUNT(*) FROM gw_users WHERE name = ?", (name,), 0) == 0:
                raise KeyError(name)
            tx.execute("UPDATE gw_users SET password_hash = ? WHERE name = ?", (passwords.hash_password(password), name))
            tx.execute("DELETE FROM gw_sessions WHERE name = ?", (name,))

    def recent_failures(self, name: str) -> int:
        since = (now_utc() - dt.timedelta(minutes=passwords.LOCK_MINUTES)).isoformat()
        rows = self.db.query("SELECT COUNT(*) FROM gw_login_failures WHERE name = ? AND at > ?",
                             (str(name)[:64].lower(), since))
        return rows[0][0] if rows else 0

    def sign_in(self, name: str, password: str) -> tuple[str, str] | None:
        """A new session (token, expires_at) for the right name and password; None otherwise, after
        the same work whether the name exists or not (the answer tells nothing about who exists).
        A wrong try is counted against the name given; ``passwords.MAX_FAILURES`` of them within
        ``passwords.LOCK_MINUTES`` minutes lock further tries (``locked``) for that name."""
        rows = self.db.query("SELECT password_hash FROM gw_users WHERE name = ? AND disabled = 0", (name,)) \
            if isinstance(name, str) and NAME.match(name) else []
        stored = rows[0][0] if rows else None
        if not passwords.verify(password, stored):
            with self.db.transaction() as tx:
                tx.execute("INSERT INTO gw_login_failures (name, at) VALUES (?, ?)",
                           (str(name)[:64].lower(), now_utc().isoformat()))
            return None
        token, until = new_token(), (now_utc() + dt.timedelta(hours=SESSION_HOURS)).isoformat()
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM gw_sessions WHERE expires_at <= ?", (now_utc().isoformat(),))
            tx.execute("DELETE FROM gw_login_failures WHERE name = ?", (name.lower(),))
            tx.execute("INSERT INTO gw_sessions (token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)",
                       (hash_token(token), name, now_utc().isoformat(), until))
        return token, until

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.db.transaction() as tx:
                tx.execute("DELETE FROM gw_sessions WHERE token_hash = ?", (hash_token(token),))

    def all(self) -> list[User]:
        return [User(*r) for r in self.db.query("SELECT name, role, scope, kind FROM gw_users ORDER BY name")]


def write_secret(path: Path, token: str) -> None:
    """Write a token readable by its owner only (mode 600), never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)


def ensure_admin_token(users: UserStore, data_dir: Path) -> Path | None:
    """Embedded mode: on first start make the province-wide administrator and write its token to
    ``<data_dir>/admin.token``; later starts keep it while it still opens the door.

    An administrator someone disabled, revoked or let expire stays so: a restart must not undo a
    deliberate act (``dangvien user enable|token admin`` does, and leaves a line in the user log).
    Returns None in that case."""
    path = Path(data_dir) / "admin.token"
    if path.exists():
        current = users.authenticate(path.read_text().strip())
        if current is not None and current.role == "administrator" and current.scope is None:
            return path
    state = users.status().get(ADMIN)
    if state in ("disabled", "revoked", "expired"):
        return None
    write_secret(path, users.add(ADMIN, "administrator", None))
    return path


def demo_login(data_dir: Path, name: str = "demo") -> tuple[str, str, str]:
    """A province-wide read-only login for the dashboard of a demo instance: (user, token, a fresh
    random password for signing in by name)."""
    db = ReadModelDB(db_url(data_dir))
    try:
        users = UserStore(db)
        token, password = users.add(name, "viewer", None), secrets.token_urlsafe(12)
        while passwords.weakness(password, name):  # one draw in millions holds the name
            password = secrets.token_urlsafe(12)
        users.set_password(name, password)
        return name, token, password
    finally:
        db.close()
