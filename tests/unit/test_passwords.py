"""Password hashes: scrypt with a salt of their own, checked in constant time; no hash = no entry."""
from __future__ import annotations

from services.gateway import passwords


def test_a_hash_opens_with_its_password_only():
    stored = passwords.hash_password("mot-mat-khau-dai")
    assert stored.startswith("scrypt$16384$8$1$")
    assert passwords.verify("mot-mat-khau-dai", stored)
    assert not passwords.verify("mot-mat-khau-dai ", stored)
    assert not passwords.verify("", stored)
    assert passwords.hash_password("mot-mat-khau-dai") != stored  # salted


def test_no_stored_hash_or_a_broken_one_never_opens():
    for stored in (None, "", "plain", "md5$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"):
        assert not passwords.verify("anything-at-all", stored)
    assert not passwords.verify(None, passwords.hash_password("mot-mat-khau-dai"))


def test_weak_passwords_are_named_at_the_edges():
    assert passwords.weakness("a1b2c3d4e", "lan") is not None  # 9 characters: one short
    assert passwords.weakness("a1b2c3d4e5", "lan") is None  # 10: enough
    assert "tên đăng nhập" in passwords.weakness("lan-2026-abc", "lan")
    assert passwords.weakness("aaaaaaaaaaaa", "lan") is not None
    assert passwords.weakness("x" * 1025, "lan") is not None
