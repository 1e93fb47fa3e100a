"""The access log of personal data (Decree 13/2023, DOMAIN.md §9): who read or exported which
members' records, when, through which endpoint, and why.

Only ids are stored (the member ids a response carried), never the personal fields themselves,
so the log does not become a second copy of the data it protects.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from shared.logging import PERSONAL_KEYS
from shared.readmodel import ReadModelDB

from services.gateway import schema


#: keys a response may carry that make it a read of personal data (the logging redaction list
#: minus the envelope's generic containers)
PERSONAL_FIELDS = frozenset(PERSONAL_KEYS - {"data", "payload"})
MAX_SUBJECTS = 1000
#: queries recorded on every call, even when the answer carries nobody (a search for a person)
ALWAYS_RECORDED = frozenset({"members/search_members"})
#: parameters of a recorded call that may hold a person's name (the search text)
FREE_TEXT_PARAMS = ("q",)
#: what stays of such a parameter once a member the call found is shredded
ERASED = "[đã xóa / erased]"


def dicts_in(value: Any) -> Iterable[dict]:
    """Every dict in ``value``, itself and nested in dicts and lists."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from dicts_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from dicts_in(v)


def personal_subjects(result: Any) -> list[str] | None:
    """Member ids of the records in ``result`` that carry personal fields; None when none does."""
    found: list[str] = []
    personal = False
    for d in dicts_in(result):
        if PERSONAL_FIELDS & d.keys():
            personal = True
            if isinstance(d.get("member_id"), str) and d["member_id"] not in found:
                found.append(d["member_id"])
    return found[:MAX_SUBJECTS] if personal else None


class AccessLog:
    def __init__(self, db: ReadModelDB):
        self.db = db
        schema.migrate(db)  # gw_access_log: services/gateway/schema.py
        db.secure_delete()  # an erased search text leaves no old bytes in the page (SQLite)

    def record(self, actor: str, role: str, action: str, endpoint: str, params: dict, reason: str | None,
               subjects: list[str], rows: int) -> None:
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO gw_access_log (at, actor, role, action, endpoint, params, reason, subjects, rows) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (at, actor, role, action, endpoint, json.dumps(params, ensure_ascii=False, default=str),
                        reason, json.dumps(subjects), rows))

    def erase_free_text(self, member_id: str) -> int:
        """After ``member_id``'s personal data is shredded: the free text of every entry that
        found them (a search by their name) is erased, so the log no longer pairs their id with
        it; who, when, which endpoint, why and whom stay. Returns the entries changed."""
        changed = 0
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT id, params FROM gw_access_log WHERE subjects LIKE ?",
                              (f'%{json.dumps(member_id)}%',)).fetchall()
            for row_id, text in rows:
                params = json.loads(text)
                if not any(params.get(k) not in (None, ERASED) for k in FREE_TEXT_PARAMS):
                    continue
                params.update({k: ERASED for k in FREE_TEXT_PARAMS if k in params})
                tx.execute("UPDATE gw_access_log SET params = ? WHERE id = ?",
                           (json.dumps(params, ensure_ascii=False), row_id))
                changed += 1
        if changed:
            self.db.checkpoint()  # nor in the write-ahead log (SQLite)
        return changed

    def search(self, actor: str | None = None, member_id: str | None = None, limit: int = 200) -> list[dict]:
        sql = "SELECT id, at, actor, role, action, endpoint, params, reason, subjects, rows FROM gw_access_log"
        where, args = [], []
        if actor:
            where.append("actor = ?")
            args.append(actor)
        if member_id:
            # subjects is a JSON array of ids: match the quoted id exactly
            where.append("subjects LIKE ?")
            args.append(f'%"{member_id}"%')
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(max(1, min(int(limit), 1000)))
        out = []
        for r in self.db.query(sql, args):
            out.append({"id": r[0], "at": r[1], "actor": r[2], "role": r[3], "action": r[4], "endpoint": r[5],
                        "params": json.loads(r[6]), "reason": r[7], "subjects": json.loads(r[8]), "rows": r[9]})
        return out
