"""Password hashes for people who sign in with a name and a password.

scrypt (``hashlib.scrypt``, memory-hard) with a 16-byte random salt per password, stored as
``scrypt$n$r$p$salt$hash`` (base64) so the cost can be raised later without breaking old hashes.
Checks compare in constant time, and an unknown user or a user without a password costs the same
scrypt run as a wrong password, so neither the answer nor its time tells who exists.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P, DKLEN = 2 ** 14, 8, 1, 32
MIN_LENGTH = 10
#: wrong tries for one name within LOCK_MINUTES minutes before further tries are refused
MAX_FAILURES = 5
LOCK_MINUTES = 15

_DUMMY_SALT = secrets.token_bytes(16)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=64 << 20)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt))}"


def verify(password, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; with no stored hash, the same work and False."""
    if not isinstance(password, str) or len(password) > 1024:
        password = ""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected, got = base64.b64decode(digest), _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        _derive(password, _DUMMY_SALT)  # the same cost as a real check
        return False
    return hmac.compare_digest(expected, got)


def weakness(password: str, name: str) -> str | None:
    """Why a new password is refused (Vietnamese — English), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"mật khẩu phải có ít nhất {MIN_LENGTH} ký tự — the password needs at least {MIN_LENGTH} characters"
    if len(password) > 1024:
        return "mật khẩu quá dài (tối đa 1024 ký tự) — the password is too long (at most 1024 characters)"
    if name and name.lower() in password.lower():
        return "mật khẩu không được chứa tên đăng nhập — the password must not contain the user name"
    if len(set(password)) < 4:
        return "mật khẩu quá đơn giản — the password is too simple"
    return None
