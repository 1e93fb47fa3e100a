"""Per-subject key vault: personal fields are sealed before they reach the event store.

Decree 13/2023/NĐ-CP asks that a person's data can be erased; events are never rewritten. So
each member (or candidate) gets a random key, their personal fields are encrypted with it
(Fernet: AES-128-CBC + HMAC-SHA256), and the ciphertext is what the store keeps and the relay
publishes. Shredding deletes the key: the sealed values stay in the events (hash chains still
verify) but can no longer be opened.

The keys are *not* a read model: they cannot be rebuilt from events. They live in their own table
``personal_keys`` (by default in their own SQLite file next to the read model), which a
projection rebuild never drops. Keys and values never go to logs.

Each stored key is itself wrapped (encrypted) with a *master key* kept apart from the data
(``shared.vaultkey``: a 0600 key file outside the data directory, or a secret in the
environment), so a copy of the data directory alone opens nothing. On SQLite the vault runs with
``secure_delete`` and checkpoints its write-ahead log after a shred, so a deleted key survives in
no page of any file.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Iterable, Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.readmodel import ReadModelDB
from shared.tokens import TokenMaker

PREFIX = "sealed:v1:"
#: a subject key as stored when wrapped with the master key
WRAPPED = "wrapped:v1:"
PEPPER_SUBJECT = "__pepper__"

DDL = """
CREATE TABLE IF NOT EXISTS personal_keys (subject TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS personal_shredded (subject TEXT PRIMARY KEY)
"""


def keys_url(readmodel_url: str, override: str | None = None) -> str:
    """Where a service's vault lives: apart from its rebuildable read model — ``<service>.keys.db``
    beside it on SQLite; on PostgreSQL the ``personal_keys`` table of the same database (never
    dropped by a rebuild). ``override`` (a setting) wins."""
    if override:
        return override
    if readmodel_url.startswith("sqlite:///") and readmodel_url.endswith(".read.db"):
        return readmodel_url[: -len(".read.db")] + ".keys.db"
    return readmodel_url


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class Vault:
    def __init__(self, db: ReadModelDB, master: "MultiFernet | None" = None):
        self.db = db
        self.master = master
        self._cache: dict[str, bytes] = {}
        #: a ready cipher per key (making one parses the key: as long as sealing a value); keyed by
        #: the key itself, and dropped with it when its subject is shredded
        self._ciphers: dict[bytes, Fernet] = {}
        #: the same for sealing: Fernet tokens made with one AES context per key (``shared.tokens``)
        self._makers: dict[bytes, TokenMaker] = {}
        self._lock = threading.Lock()
        #: wraps new keys with the master key's first key (as ``master.encrypt`` does, faster)
        current = getattr(master, "current", None)
        self._wrapper = TokenMaker(current) if current else None
        db.secure_delete()
        db.executescript(DDL)
        if master is not None:
            self._wrap_legacy()

    # -- the master key -----------------------------------------------------------------------
    def _stored(self, key: str) -> str:
        if not self.master:
            return key
        wrapped = self._wrapper.token(key.encode("ascii")) if self._wrapper else self.master.encrypt(key.encode("ascii"))
        return WRAPPED + wrapped.decode("ascii")

    def _opened(self, stored: str) -> str:
        if not stored.startswith(WRAPPED):
            return stored  # written before keys were wrapped (wrapped on the next start)
        if self.master is None:
            raise MasterKeyMissing()
        return self.master.decrypt(stored[len(WRAPPED):].encode("ascii")).decode("ascii")

    def _wrap_legacy(self) -> None:
        rows = self.db.query("SELECT subject, key FROM personal_keys WHERE key NOT LIKE 'wrapped:%'")
        if rows:
            with self.db.transaction() as tx:
                for subject, key in rows:
                    tx.execute("UPDATE personal_keys SET key = ? WHERE subject = ?", (self._stored(key), subject))
            self.db.checkpoint()

    def rewrap(self) -> int:
        """Re-encrypt every stored key with the current (first) master key — the rotation step
        after a new master key was put in front of the old one; returns how many were rewrapped."""
        if self.master is None:
            raise MasterKeyMissing()
        rows = self.db.query("SELECT subject, key FROM personal_keys")
        with self.db.transaction() as tx:
            for subject, stored in rows:
                tx.execute("UPDATE personal_keys SET key = ? WHERE subject = ?",
                           (self._stored(self._opened(stored)), subject))
        self.db.checkpoint()
        return len(rows)

    # -- keys -------------------------------------------------------------------------------
    def _key(self, subject: str, create: bool) -> bytes | None:
        with self._lock:
            if subject in self._cache:
                return self._cache[subject]
        rows = self.db.query("SELECT key FROM personal_keys WHERE subject = ?", (subject,))
        if not rows and create:
            if self.is_shredded(subject):
                return None
            with self.db.transaction() as tx:
                tx.execute("INSERT INTO personal_keys (subject, key) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING",
                           (subject, self._stored(Fernet.generate_key().decode())))
            rows = self.db.query("SELECT key FROM personal_keys WHERE subject = ?", (subject,))
        if not rows:
            return None
        key = self._opened(rows[0][0]).encode()
        with self._lock:
            self._cache[subject] = key
        return key

    def is_shredded(self, subject: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM personal_shredded WHERE subject = ?", (subject,)))

    def shred(self, subject: str) -> None:
        """Delete the subject's key for good (idempotent)."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM personal_keys WHERE subject = ?", (subject,))
            tx.execute("INSERT INTO personal_shredded (subject) VALUES (?) ON CONFLICT (subject) DO NOTHING",
                       (subject,))
        with self._lock:
            key = self._cache.pop(subject, None)
            self._ciphers.pop(key, None)
            self._makers.pop(key, None)
        # the deleted key was zeroed in its page (secure_delete); now move that page out of the
        # write-ahead log and empty the log, so no file of the vault still holds the key
        self.db.checkpoint()

    # -- values -----------------------------------------------------------------------------
    def _cipher(self, key: bytes) -> Fernet:
        cipher = self._ciphers.get(key)
        if cipher is None:
            cipher = self._ciphers[key] = Fernet(key)
        return cipher

    def _maker(self, key: bytes) -> TokenMaker:
        maker = self._makers.get(key)
        if maker is None:
            maker = self._makers[key] = TokenMaker(key)
        return maker

    def seal(self, subject: str, value: str | None) -> str | None:
        if value is None or is_sealed(value):
            return value
        key = self._key(subject, create=True)
        if key is None:
            raise ShreddedError(subject)
        return PREFIX + self._maker(key).token(str(value).encode("utf-8")).decode("ascii")

    def unseal(self, subject: str, value: str | None) -> str | None:
        """The clear value; None when the subject was shredded. Clear (legacy) values pass through."""
        if not is_sealed(value):
            return value
        key = self._key(subject, create=False)
        if key is None:
            return None
        try:
            return self._cipher(key).decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            return None

    def seal_fields(self, subject: str, data: Mapping, fields: Iterable[str]) -> dict:
        out = dict(data)
        for f in fields:
            if out.get(f) is not None:
                out[f] = self.seal(subject, out[f])
        return out

    def unseal_fields(self, subject: str, data: Mapping, fields: Iterable[str]) -> dict:
        out = dict(data)
        for f in fields:
            if f in out:
                out[f] = self.unseal(subject, out[f])
        return out

    def keyed_hash(self, value: str) -> str:
        """A stable, non-reversible name for a value (e.g. a card number's reservation stream):
        HMAC with a secret pepper, since an 8-digit number's plain hash is trivially reversed."""
        pepper = self._key(PEPPER_SUBJECT, create=True)
        return hmac.new(pepper, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class MasterKeyMissing(Exception):
    """The vault's keys are wrapped and no master key was given."""


class ShreddedError(Exception):
    """Personal data of a shredded subject cannot be written again."""
