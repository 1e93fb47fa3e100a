"""Verifying a whole event store, sealing its head, and upgrading plain-hash stores.

One pass over the log in position order checks, for every event:

- ``position``: SQL stores' global positions are contiguous from 1 (KurrentDB's only increase);
- ``version``: each stream's versions are contiguous from 0;
- ``link``: each event's ``prev_hash`` is the hash of the stream's previous event;
- ``hash``: the keyed hash (``shared.events.check_hash``), with the key id it names;

and against every **seal** (a signed statement of head position, event count and last hash, kept
outside the store): the event at the sealed position must still carry the sealed hash after
exactly the sealed number of events, and the log must reach every sealed head. So deleting the
last events, a whole stream or the whole store, reordering and position edits are all caught.

A seal names its store by the store's **identity** — the hash of its first event (``first_hash``),
which nobody can change without the key and which stays the same when the file moves, the host
is renamed or the DSN is spelled differently — never by its URL (kept in the seal for people to
read). Every seal of a source is checked: one made on another store (another first event) is
named ``seal_foreign``, and a seal whose source has no store verified ``seal_no_store``; none is
ignored. Between two reads, ``advance()`` first looks again at the last event it verified, so
events deleted or changed at the head are caught before any new seal is taken.

Stores written before keyed hashing keep their plain sha-256 events: an ``integrity.upgraded``
event (keyed) fixes them by a digest, so they can be verified but no longer recomputed unnoticed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from shared.dates import today_vn
from shared.events import (GENESIS_HASH, Envelope, NewEvent, canonical_json, check_hash, derived_event_id,
                           is_legacy, legacy_hash, utcnow)

UPGRADE_TYPE = "integrity.upgraded"
#: the hash of a record of a store's stream that is not one of ours (``shared.eventstore.kurrentdb``)
FOREIGN_HASH = "foreign"
UPGRADE_STREAM = "integrity"

#: every failed check, Vietnamese first, English beside
CHECKS: dict[str, tuple[str, str]] = {
    "hash": ("Băm có khóa không khớp: nội dung sự kiện đã bị sửa hoặc giả mạo",
             "keyed hash does not match: the event was edited or forged"),
    "link": ("Liên kết chuỗi (prev_hash) sai: sự kiện trước đó trong luồng đã bị xóa, chèn hoặc sửa",
             "chain link (prev_hash) broken: the stream's previous event was deleted, inserted or changed"),
    "version": ("Số thứ tự trong luồng không liên tục từ 0: có sự kiện bị xóa hoặc chuyển luồng",
                "stream versions are not contiguous from 0: an event was deleted or moved"),
    "position": ("Vị trí toàn cục không liên tục: có sự kiện bị xóa hoặc vị trí bị sửa",
                 "global positions are not contiguous: an event was deleted or a position edited"),
    "unkeyed": ("Băm sha-256 không khóa ở nơi phải có băm có khóa (ai cũng tính lại được)",
                "plain unkeyed sha-256 where a keyed hash is required (anyone can recompute it)"),
    "unknown_key": ("Băm dùng một khóa không có trong vòng khóa", "hashed with a key that is not in the key ring"),
    "unpositioned": ("Băm không bao gồm vị trí toàn cục (kho SQL phải có)",
                     "hash does not cover the global position (required in SQL stores)"),
    "upgrade_mismatch": ("Lịch sử trước nâng cấp khác với bản niêm phong khi nâng cấp",
                         "the history before the upgrade differs from what the upgrade sealed"),
    "not_upgraded": ("Kho còn băm sha-256 không khóa và chưa được niêm phong nâng cấp",
                     "the store has plain sha-256 hashes and was never sealed by an upgrade"),
    "seal_forged": ("Chữ ký của dấu niêm phong sai (dấu bị sửa hoặc giả)",
                    "a seal's signature is wrong (the seal was edited or forged)"),
    "seal_unknown_key": ("Dấu niêm phong ký bằng khóa không có trong vòng khóa",
                         "a seal is signed with a key that is not in the key ring"),
    "seal_truncated": ("Kho ngắn hơn dấu niêm phong: các sự kiện cuối, một luồng hoặc cả kho đã bị xóa",
                       "the log is shorter than a seal: its last events, a stream or the whole store were deleted"),
    "seal_unreadable": ("Một dòng của tệp niêm phong không đọc được (bị sửa hoặc ghi dở): kiểm tra tệp và bản sao "
                        "giữ bên ngoài",
                        "a line of the seal file is unreadable (edited or half-written): check the file and the "
                        "copy kept outside"),
    "seal_mismatch": ("Sự kiện ở vị trí đã niêm phong khác với dấu niêm phong (bị xóa, sửa hoặc sắp xếp lại)",
                      "the log at a sealed position differs from the seal (events deleted, edited or reordered)"),
    "seal_foreign": ("Dấu niêm phong của nguồn này được lập trên một kho khác (sự kiện đầu tiên khác): kho đã bị "
                     "thay thế, làm lại từ đầu hoặc sự kiện đầu tiên bị sửa. Nếu kho được tạo lại có chủ đích, "
                     "hãy lưu trữ tệp niêm phong cũ",
                     "a seal of this source was made on another store (a different first event): the store was "
                     "replaced, started again or its first event changed. If the store was re-created on purpose, "
                     "archive the old seal file"),
    "seal_no_store": ("Dấu niêm phong của một nguồn không có kho nào được kiểm tra: dấu này không được đối chiếu",
                      "a seal names a source with no store being verified: it was not checked against anything"),
    "foreign": ("Một bản ghi trong luồng của kho không mang phong bì dangvien (ghi vòng qua dịch vụ, không có băm "
                "có khóa): không ai kiểm chứng được nó, và lệnh kế tiếp của luồng này sẽ bị từ chối",
                "a record in one of the store's streams carries no dangvien envelope (written around the service, "
                "no keyed hash): nothing can vouch for it, and the stream's next command will be refused"),
    "unreadable": ("Một bản ghi sự kiện không đọc được (nội dung, ngày hoặc thời điểm ghi đã bị sửa thành dữ liệu hỏng): "
                   "không ai kiểm chứng được nó",
                   "an event row cannot be read (its payload, date or recording time was edited into something "
                   "malformed): nothing can vouch for it"),
    "head_changed": ("Sự kiện cuối cùng đã kiểm tra không còn hoặc đã khác: các sự kiện mới nhất đã bị xóa hoặc sửa "
                     "sau khi được kiểm tra",
                     "the last event verified is gone or different: the newest events were deleted or changed "
                     "after they were verified"),
}


def problem(check: str, env: Envelope | None = None, **extra) -> dict:
    vi, en = CHECKS[check]
    out = {"check": check, "message_vi": vi, "message_en": en}
    if env is not None:
        out.update(stream=env.stream, event_id=env.event_id, position=env.position,
                   stream_version=env.stream_version, type=env.type)
    out.update(extra)
    return out


def store_id(store) -> str:
    """The store's URL without credentials: what a person reads in a seal and a report (seals are
    matched by the store's identity, its first event's hash, not by this)."""
    from urllib.parse import urlsplit, urlunsplit
    url = getattr(store, "url", "") or ""
    parts = urlsplit(url)
    if parts.password or parts.username:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit(parts._replace(netloc=netloc))
    return url


# -- seals ---------------------------------------------------------------------------------------
SEAL_FIELDS = ("kind", "source", "store", "head_position", "event_count", "last_hash", "sealed_at", "key_id")
#: the store's identity: signed when present (seals made before it have none, and keep their signature)
IDENTITY = "first_hash"


def _signature(seal: Mapping, secret: bytes) -> str:
    signed = SEAL_FIELDS + ((IDENTITY,) if IDENTITY in seal else ())
    body = canonical_json({k: seal.get(k) for k in signed}).encode("utf-8")
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def first_hash(store) -> str | None:
    """The store's identity: the hash of its first event (None while it is empty)."""
    first = next(iter(store.read_all(1, limit=1)), None)
    return None if first is None else first.hash


def sign_seal(source: str, store, head_position: int, event_count: int, last_hash: str, ring=None,
              identity: str | None = None) -> dict:
    """A signed statement of the store's head; ``identity`` is the store's first hash (read from
    the store when not given). A seal of an empty store names no identity: it states nothing."""
    if ring is None:
        from shared.keys import keyring
        ring = keyring()
    seal = {"kind": SEAL_KIND, "source": source, "store": store_id(store), "head_position": head_position,
            "event_count": event_count, "last_hash": last_hash,
            "sealed_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "key_id": ring.current.id}
    if head_position > 0:
        seal[IDENTITY] = identity or first_hash(store)
    seal["signature"] = _signature(seal, ring.current.secret)
    return seal


def seal_check(seal: Mapping, ring) -> str | None:
    key = ring.get(str(seal.get("key_id")))
    if key is None:
        return "seal_unknown_key"
    return None if hmac.compare_digest(_signature(seal, key.secret), str(seal.get("signature", ""))) else "seal_forged"


SEAL_SUFFIX = ".seals.jsonl"


class SealBook:
    """Seals of each source, one JSON line each, in a folder outside the stores (append-only)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, source: str) -> Path:
        return self.folder / f"{source}{SEAL_SUFFIX}"

    def sources(self) -> list[str]:
        """The sources that have a seal file here."""
        return sorted(p.name[:-len(SEAL_SUFFIX)] for p in self.folder.glob(f"*{SEAL_SUFFIX}"))

    def load(self, source: str) -> list[dict]:
        """Every seal of the source, whatever store URL it names (the verifier matches them by the
        store's identity and names the others); a line that is not a seal comes back as
        ``{"unreadable": <line no>}`` (the verifier names it): one garbled line must neither stop
        verification nor hide the other seals."""
        path = self.path(source)
        if not path.exists():
            return []
        seals, bad = [], []
        for n, line in enumerate(path.read_bytes().decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                seal = json.loads(line)
            except ValueError:
                seal = None
            if is_seal(seal):
                seals.append(seal)
            else:
                bad.append(unreadable("line", n, path.name))
        return bad + select_seals(seals, source)

    def add(self, seal: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path(seal["source"]), "a", encoding="utf-8") as f:  # O_APPEND: one line, one write
            f.write(json.dumps(seal, ensure_ascii=False, sort_keys=True) + "\n")


SEAL_KIND = "dangvien.seal"


def is_seal(value) -> bool:
    """A JSON object of the seal kind (its signature is checked later): anything else in a seal file
    or a copy is named (``seal_unreadable``), never skipped."""
    return isinstance(value, dict) and value.get("kind") == SEAL_KIND


def unreadable(where: str, n: int, file: str | None = None) -> dict:
    """The marker of a line (``where="line"``) or bundle entry (``"entry"``) that is not a seal."""
    return {"unreadable": n, "where": where, "file": file}


def unreadable_problem(marker: Mapping) -> dict:
    """``seal_unreadable`` naming the line (or the bundle's entry) and the file, in both languages."""
    n, file = marker["unreadable"], marker.get("file")
    entry = marker.get("where") == "entry"
    vi_where, en_where = ("Mục", "Entry") if entry else ("Dòng", "Line")
    in_vi, in_en = (f" của tệp {file}", f" of {file}") if file else ("", "")
    vi, en = CHECKS["seal_unreadable"]
    return problem("seal_unreadable", **{"entry" if entry else "line": n, "file": file},
                   message_vi=f"{vi_where} {n}{in_vi} không phải một dấu niêm phong. {vi}",
                   message_en=f"{en_where} {n}{in_en} is not a seal. {en}")


def parse_seals(text: str, file: str | None = None) -> list[dict]:
    """Seals from a seal file (JSON lines) or an exported bundle (``{"seals": [...]}``, a list, a
    single seal, on one line or pretty-printed). A line (or a bundle's entry) that is not a seal
    comes back as an ``unreadable`` marker naming it (``verify_stores`` fails on it)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return []
    try:
        value = json.loads(text)  # one document: a bundle, a list or a single seal
    except ValueError:
        pass  # JSON lines
    else:
        items = value.get("seals") if isinstance(value, dict) and not is_seal(value) else value
        if isinstance(items, list):
            return [item if is_seal(item) else unreadable("entry", n, file) for n, item in enumerate(items, 1)]
        if is_seal(items):
            return [items]
    out = []
    for n, line in enumerate(text.splitlines(), 1):  # JSON lines, numbered as the file's
        if not line.strip():
            continue
        try:
            seal = json.loads(line)
        except ValueError:
            out.append(unreadable("line", n, file))
            continue
        out.append(seal if is_seal(seal) else unreadable("line", n, file))
    return out


def select_seals(seals: Iterable[dict], source: str) -> list[dict]:
    return [s for s in seals if isinstance(s, dict) and s.get("source") == source]


# -- the verifier --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unreadable:
    """A stored row that cannot be decoded into an event: what of it can be read, to name it (its
    stored hash kept: the store's identity when it is the first event, what a seal over it names)."""

    position: int
    event_id: str | None
    stream: str
    stream_version: int | None
    type: str | None
    hash: str


class StoreVerifier:
    """Checks one store's log in position order; ``advance()`` continues where it stopped, so a
    process verifies new events as they come without reading the log again."""

    def __init__(self, source: str, store, ring=None, seals: Iterable[dict] = ()):
        if ring is None:
            from shared.keys import keyring
            ring = keyring()
        self.source, self.store, self.ring = source, store, ring
        self.gapless = bool(getattr(store, "positions_gapless", False))
        #: the store can show the records of its streams that are not ours (KurrentDB): read them too
        self._reads = {"foreign": True} if getattr(store, "reads_foreign", False) is True else {}
        self.position = 0          # last position checked
        self.count = 0             # events checked
        self.last_hash = None      # hash of the event at self.position
        self.first_hash = None     # the store's identity: its first event's hash
        self._head_lost = False    # the event at self.position was gone or changed when read again
        self.streams: dict[str, tuple[int, str]] = {}   # stream -> (last version, last hash)
        self.broken: dict[str, dict] = {}               # stream -> its first problem
        self.problems: list[dict] = []                  # store-level problems (seals, upgrade)
        self.legacy_count = 0
        self.legacy_last: tuple[int, str] | None = None
        self._legacy_digest = hashlib.sha256()
        self.upgrade: Envelope | None = None
        self.keyed_seen = False
        self._legacy_first: dict[str, dict] = {}  # unkeyed, unless an upgrade seals them
        self.seals: list[dict] = []
        self._pending: list[dict] = []  # valid seals above self.position, sorted by head
        self.add_seals(seals)

    # seals -----------------------------------------------------------------------------
    def add_seals(self, seals: Iterable[dict]) -> None:
        for seal in seals:
            if "unreadable" in seal:
                self.problems.append(unreadable_problem(seal))
                continue
            bad = seal_check(seal, self.ring)
            if bad is not None:
                self.problems.append(problem(bad, seal_head=seal.get("head_position"),
                                             sealed_at=seal.get("sealed_at")))
                continue
            self.seals.append(seal)
            if seal["head_position"] <= self.position:
                self._check_passed_seal(seal)
            else:
                self._pending.append(seal)
        self._pending.sort(key=lambda s: s["head_position"])

    def _foreign(self, seal: Mapping) -> bool:
        """Made on another store: it names a first event other than this store's."""
        return seal.get(IDENTITY) is not None and self.first_hash is not None and seal[IDENTITY] != self.first_hash

    def _foreign_problem(self, seal: Mapping) -> dict:
        return problem("seal_foreign", seal_head=seal["head_position"], sealed_at=seal.get("sealed_at"),
                       seal_store=seal.get("store"), seal_first_hash=seal[IDENTITY], first_hash=self.first_hash)

    def _check_passed_seal(self, seal: dict) -> None:
        """A seal at or below what was verified already: look at the event it names again."""
        head = seal["head_position"]
        if head == 0 and seal["event_count"] == 0:
            return
        if self._foreign(seal):
            self.problems.append(self._foreign_problem(seal))
            return
        env = next(iter(self.store.read_all(head, limit=1, **self._reads)), None)
        if env is None or env.position != head or env.hash != seal["last_hash"] \
                or (self.gapless and seal["event_count"] != head):
            self.problems.append(problem("seal_mismatch", env, seal_head=head, sealed_at=seal.get("sealed_at")))

    def _meet_seals(self, env: Envelope) -> None:
        while self._pending and self._pending[0]["head_position"] <= env.position:
            seal = self._pending.pop(0)
            if self._foreign(seal):
                self.problems.append(self._foreign_problem(seal))
            elif seal["head_position"] != env.position or seal["event_count"] != self.count \
                    or seal["last_hash"] != env.hash:
                self.problems.append(problem("seal_mismatch", env, seal_head=seal["head_position"],
                                             sealed_at=seal.get("sealed_at")))

    # events ----------------------------------------------------------------------------
    def _flag(self, check: str, env: Envelope) -> None:
        if env.stream not in self.broken:
            self.broken[env.stream] = problem(check, env)

    def check(self, env: Envelope) -> None:
        if env.hash == FOREIGN_HASH:  # not one of ours: named, its place in the stream taken
            self._flag("foreign", env)
        if not self.count:
            self.first_hash = env.hash
        if self.gapless and env.position != self.position + 1:
            self._flag("position", env)
        elif env.position <= self.position:
            self._flag("position", env)
        last_version, last_hash = self.streams.get(env.stream, (-1, GENESIS_HASH))
        fields = env.model_dump()
        if env.stream_version != last_version + 1:
            self._flag("version", env)
        elif env.prev_hash != last_hash:
            self._flag("link", env)
        if env.hash == FOREIGN_HASH:
            pass
        elif is_legacy(env.hash):
            if self.keyed_seen:  # plain hashes only ever come before the first keyed event
                self._flag("unkeyed", env)
            elif legacy_hash(fields) != env.hash:
                self._flag("hash", env)
            self.legacy_count += 1
            self._legacy_first.setdefault(env.stream, problem("unkeyed", env))
            self.legacy_last = (env.position, env.hash)
            self._legacy_digest.update(legacy_line(env))
        else:
            self.keyed_seen = True
            bad = check_hash(fields, self.ring, positional=self.gapless)
            if bad is not None:
                self._flag(bad, env)
            elif env.type == UPGRADE_TYPE and self.upgrade is None:
                self._check_upgrade(env)
        # the version it should have: a wrong one (even one edited into text) is named above, and a
        # stream keeps its first problem, so the next events are checked without a crash
        self.streams[env.stream] = (last_version + 1, env.hash)
        self.position = max(self.position, env.position)
        self.count += 1
        self.last_hash = env.hash
        self._meet_seals(env)

    def _check_upgrade(self, env: Envelope) -> None:
        d = env.data
        self.upgrade = env
        if (self.legacy_last is None or d.get("legacy_head_position") != self.legacy_last[0]
                or d.get("legacy_event_count") != self.legacy_count
                or d.get("legacy_last_hash") != self.legacy_last[1]
                or d.get("legacy_digest") != self._legacy_digest.hexdigest()):
            self.problems.append(problem("upgrade_mismatch", env))

    def _events(self, start: int, limit: int | None):
        """``read_all`` from ``start``; a row that cannot be decoded (a payload, date or time edited
        into something malformed) is named ``unreadable`` and passed over, so one such edit neither
        stops the verification nor leaves the events after it unchecked."""
        position, left = start, limit
        while left is None or left > 0:
            try:
                for env in self.store.read_all(position, limit=left, **self._reads):
                    yield env
                    position = env.position + 1
                    left = None if left is None else left - 1
                return
            except Exception:
                row = self._raw_row(position)
                if row is None:
                    raise  # not a row we can name (the store is down, ...): the caller reports the error
                yield row
                position = row.position + 1
                left = None if left is None else left - 1

    def _raw_row(self, position: int):
        """The row at or after ``position`` as stored, without decoding its payload or dates (SQL
        stores); None when the store cannot give it."""
        read_rows = getattr(self.store, "read_rows", None)
        if read_rows is None:
            return None
        try:
            page = next(iter(read_rows(("position", "event_id", "stream", "stream_version", "type", "hash"),
                                       position, page=1)), [])
        except Exception:
            return None
        if not page:
            return None
        pos, event_id, stream, version, type_, hash_ = page[0]
        return Unreadable(position=pos, event_id=event_id, stream=stream, stream_version=version, type=type_,
                          hash=hash_)

    def _check_unreadable(self, row: "Unreadable") -> None:
        self._flag("unreadable", row)
        if not self.count:
            self.first_hash = row.hash
        # (a gap before it is not flagged: its stream keeps its first problem, 'unreadable')
        last_version, _ = self.streams.get(row.stream, (-1, GENESIS_HASH))
        self.streams[row.stream] = (last_version + 1, row.hash)
        self.position = max(self.position, row.position)
        self.count += 1
        self.last_hash = row.hash
        self._meet_seals(row)

    def advance(self, progress: Callable[[int], None] | None = None, pause: Callable[[], None] | None = None,
                limit: int | None = None) -> int:
        """Check the events after the last checked position; returns how many were checked. The
        last event checked is read again first: deleting or changing the newest events between two
        calls is named (``head_changed``), not passed over."""
        if self.count and not self._head_lost:
            env = next(iter(self._events(self.position, 1)), None)
            if env is None or env.position != self.position or env.hash != self.last_hash:
                self._head_lost = True
                self.problems.append(problem("head_changed", env, verified_head=self.position,
                                             verified_hash=self.last_hash))
        n = 0
        for env in self._events(self.position + 1, limit):
            if isinstance(env, Unreadable):
                self._check_unreadable(env)
            else:
                self.check(env)
            n += 1
            if n % 2000 == 0:
                if progress:
                    progress(self.count)
                if pause:
                    pause()
        return n

    # results ---------------------------------------------------------------------------
    def store_problems(self) -> list[dict]:
        out = list(self.problems)
        for seal in self._pending:  # sealed heads the log never reached
            if self._foreign(seal):
                out.append(self._foreign_problem(seal))
                continue
            out.append(problem("seal_truncated", seal_head=seal["head_position"], head_position=self.position,
                               sealed_at=seal.get("sealed_at")))
        if self.legacy_count and self.upgrade is None:
            out.append(problem("not_upgraded", legacy_events=self.legacy_count))
        return out

    def broken_streams(self) -> list[dict]:
        broken = dict(self.broken)
        if self.upgrade is None:  # nothing protects the plain hashes: each such stream is suspect
            for stream, p in self._legacy_first.items():
                if stream not in broken or broken[stream]["position"] > p["position"]:
                    broken[stream] = p
        return sorted(broken.values(), key=lambda p: p["position"])

    @property
    def ok(self) -> bool:
        return not self.broken and not self.store_problems()

    def report(self) -> dict:
        """``seals_checked`` counts the seals of this store (its identity, or none named); the
        others are ``seals_foreign`` and each is a problem."""
        mine = [s for s in self.seals if not self._foreign(s)]
        return {"source": self.source, "store": store_id(self.store), "identity": self.first_hash,
                "streams": len(self.streams),
                "events": self.count, "head_position": self.position, "last_hash": self.last_hash,
                "seals_checked": len(mine), "seals_foreign": len(self.seals) - len(mine),
                "sealed_head": max((s["head_position"] for s in mine), default=None),
                "legacy_events": self.legacy_count,
                "broken": self.broken_streams(),
                "problems": self.store_problems(), "ok": self.ok}

    def seal(self, ring=None) -> dict:
        """A signed statement of what was verified (only call when ``ok``)."""
        return sign_seal(self.source, self.store, self.position, self.count, self.last_hash or GENESIS_HASH,
                         ring or self.ring, identity=self.first_hash)


def legacy_line(env: Envelope) -> bytes:
    return (canonical_json([env.position, env.stream, env.stream_version, env.hash]) + "\n").encode("utf-8")


def verify_stores(stores: Mapping[str, object], ring=None, seals: Iterable[dict] | None = None,
                  book: SealBook | None = None) -> dict:
    """Verify every store against its seals (from ``book`` and/or ``seals``, e.g. an external copy).
    Seals of a source that has no store here are named in ``problems`` (``seal_no_store``) and
    make the answer not ok: a seal is never passed over."""
    given = list(seals or [])
    extra = [s for s in given if is_seal(s)]
    # an entry that is no seal (a marker from ``parse_seals``, or anything else given) is named
    bad = [unreadable_problem(s if isinstance(s, dict) and "unreadable" in s else unreadable("entry", n))
           for n, s in enumerate(given, 1) if not is_seal(s)]
    out = {"ok": True, "sources": [], "problems": []}
    for source, store in stores.items():
        own = book.load(source) if book is not None else []
        verifier = StoreVerifier(source, store, ring, own + select_seals(extra, source))
        verifier.advance()
        report = verifier.report()
        out["sources"].append(report)
        out["ok"] = out["ok"] and report["ok"]
    orphans: dict[str, int] = {}
    for seal in extra:
        if seal.get("source") not in stores:
            orphans[str(seal.get("source"))] = orphans.get(str(seal.get("source")), 0) + 1
    for source in (book.sources() if book is not None else []):
        if source not in stores:
            orphans[source] = orphans.get(source, 0) + len(book.load(source))
    out["problems"] = bad + [problem("seal_no_store", seal_source=source, seals=n)
                             for source, n in sorted(orphans.items())]
    out["ok"] = out["ok"] and not out["problems"]
    out["checked_at"] = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


# -- upgrade of plain-hash stores ----------------------------------------------------------------
def needs_upgrade(store) -> bool:
    """True when the log's newest event still has a plain hash (a store from before keyed hashing)."""
    head = store.head_position()
    if head <= 0:
        return False
    last = next(iter(store.read_all(head, limit=1)), None)
    return last is not None and is_legacy(last.hash)


def upgrade(store, source: str = "", ring=None) -> Envelope | None:
    """Seal a plain-hash store's history with the key: verify the old chains, then append one
    ``integrity.upgraded`` event fixing them by digest. Returns it, or None when not needed.
    Raises ``ValueError`` naming the problems when the old history is already broken."""
    if ring is None:
        from shared.keys import keyring
        ring = keyring()
    if not needs_upgrade(store):
        return None
    verifier = StoreVerifier(source, store, ring)
    verifier.advance()
    problems = list(verifier.broken.values()) + [p for p in verifier.store_problems() if p["check"] != "not_upgraded"]
    if problems:
        raise ValueError(f"{source or store_id(store)}: history broken before the upgrade: "
                         + "; ".join(f"{p['check']} at {p.get('stream')}@{p.get('stream_version')}" for p in problems))
    if verifier.upgrade is not None:
        return None
    head, last = verifier.legacy_last
    data = {"legacy_head_position": head, "legacy_event_count": verifier.legacy_count, "legacy_last_hash": last,
            "legacy_digest": verifier._legacy_digest.hexdigest(), "key_id": ring.current.id}
    event = NewEvent(type=UPGRADE_TYPE, data=data, occurred_on=today_vn(), actor="system:integrity",
                     event_id=derived_event_id("integrity.upgraded", source, head, last))
    from shared.eventstore.port import ANY
    return store.append(UPGRADE_STREAM, [event], ANY)[0]
