"""New personal-data keys made in memory during an import and stored in one transaction.

Creating a subject's key one at a time costs a transaction each (a province's file: 100,000 of
them). During an import the vault is wrapped in a ``KeyBatch``: keys already stored are read as
usual, new ones are generated here and kept only in this object, and ``flush`` stores them all
at once — called when every line has passed and *before* the events are written, so no event is
ever stored sealed with a key that is not. If the import fails, the batch is dropped and no key
was stored (nor put in the vault's cache, where another command could have used it).

A key stored meanwhile by another process for the same subject (a live command about the same
new member) is detected at ``flush``: the import then fails, writes nothing, and can be re-sent.
"""
from __future__ import annotations

from cryptography.fernet import Fernet

from shared.errors import DomainError
from shared.personal import Vault

#: subjects per ``IN (...)`` of a prefetch
CHUNK = 500


class KeyBatch(Vault):
    def __init__(self, vault: Vault):  # the vault's own database, master key, cache and lock
        self.__dict__.update(vault.__dict__)
        self.vault = vault
        self.new: dict[str, bytes] = {}
        self._ciphers = {}  # this batch's own: a key not stored yet never reaches the vault's
        self._makers = {}
        self._absent: set[str] = set()  # subjects known to have no key and not to be shredded

    def prefetch(self, subjects) -> None:
        """Learn in a few statements which of these subjects have a stored key (read into the
        vault's cache, as a use would) or were shredded; the others are new, and get their key
        without a query each. Only an optimisation: a subject not prefetched is read on first use."""
        subjects = [s for s in dict.fromkeys(subjects) if s not in self.new]
        for i in range(0, len(subjects), CHUNK):
            chunk = subjects[i:i + CHUNK]
            marks = ",".join("?" * len(chunk))
            keys = dict(self.db.query(f"SELECT subject, key FROM personal_keys WHERE subject IN ({marks})", chunk))
            gone = {s for (s,) in self.db.query(f"SELECT subject FROM personal_shredded WHERE subject IN ({marks})",
                                                chunk)}
            opened = {s: self._opened(k).encode("ascii") for s, k in keys.items()}
            with self._lock:
                self._cache.update(opened)
            self._absent.update(s for s in chunk if s not in keys and s not in gone)

    def _key(self, subject: str, create: bool) -> bytes | None:
        if subject in self.new:
            return self.new[subject]
        if subject in self._absent:
            if not create:
                return None
            key = self.new[subject] = Fernet.generate_key()
            return key
        key = self.vault._key(subject, create=False)
        if key is not None or not create or self.vault.is_shredded(subject):
            return key
        self.new[subject] = Fernet.generate_key()
        return self.new[subject]

    def flush(self) -> int:
        """Store the new keys in one transaction; returns how many."""
        if not self.new:
            return 0
        items = list(self.new.items())
        mine = {s: self._stored(k.decode("ascii")) for s, k in items}  # as written (wrapped: unique)
        with self.db.transaction() as tx:
            tx.executemany("INSERT INTO personal_keys (subject, key) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING",
                           list(mine.items()))
        stored: dict[str, str] = {}
        for i in range(0, len(items), 500):
            chunk = [s for s, _ in items[i:i + 500]]
            stored.update(self.db.query(f"SELECT subject, key FROM personal_keys WHERE subject IN "
                                        f"({','.join('?' * len(chunk))})", chunk))
        # the row reads back as written: this batch's key (opened only when it reads otherwise)
        lost = [s for s, k in items if stored.get(s) != mine[s]
                and (s not in stored or self._opened(stored[s]).encode("ascii") != k)]
        if lost:
            raise DomainError("personal_keys_changed",
                              "Khóa dữ liệu cá nhân vừa được tạo bởi một thao tác khác trong lúc nhập; không có gì "
                              "được ghi — hãy gửi lại tệp",
                              "Personal-data keys were created by another command during the import; nothing was "
                              "written — send the file again")
        with self._lock:
            self._cache.update(self.new)
        self.new = {}
        self._absent = set()
        return len(items)
