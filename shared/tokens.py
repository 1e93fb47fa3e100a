"""Fernet tokens for sealing many short personal values (an import seals two per member).

A token is exactly what ``cryptography.fernet.Fernet.encrypt`` makes (version 0x80, the time,
a random 16-byte IV, AES-128-CBC of the PKCS7-padded value, HMAC-SHA256 of it all, urlsafe
base64) and ``Fernet.decrypt`` opens it: the same key, the same algorithm, the same bytes for the
same IV and time (``tests/unit/spine/test_tokens.py`` compares them). The key is split and checked
once per key, not once per value; the HMAC is the standard library's, keyed once per key and
copied for each value (a copy skips hashing the padded key again: ~1.3 of ~4.5 µs); the cipher
itself is the library's AES-CBC, never chained by hand.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16


class TokenMaker:
    """Makes Fernet tokens with one key (a Fernet key: urlsafe base64 of 32 bytes)."""

    def __init__(self, key: bytes):
        raw = base64.urlsafe_b64decode(key)
        if len(raw) != 32:
            raise ValueError("a Fernet key is 32 url-safe base64-encoded bytes")
        self._aes = algorithms.AES(raw[BLOCK:])
        #: HMAC-SHA256 keyed with the signing half, never updated itself: each token signs a copy
        self._mac = hmac.new(raw[:BLOCK], digestmod=hashlib.sha256)

    def token(self, data: bytes, at: int | None = None, iv: bytes | None = None) -> bytes:
        """``data`` sealed as Fernet would (``at``, ``iv``: fixed only to compare with Fernet)."""
        iv = os.urandom(BLOCK) if iv is None else iv
        at = int(time.time()) if at is None else at
        pad = BLOCK - len(data) % BLOCK
        encryptor = Cipher(self._aes, modes.CBC(iv)).encryptor()
        sealed = encryptor.update(data + bytes((pad,)) * pad) + encryptor.finalize()
        signed = b"\x80" + at.to_bytes(8, "big") + iv + sealed
        mac = self._mac.copy()
        mac.update(signed)
        return base64.urlsafe_b64encode(signed + mac.digest())
