"""The organisation tree as known at a past recording time (DESIGN.md §2, two clocks).

The tree tables (``schema.TREE_TABLES``) hold the tree as known now. A report as known at an
earlier time must not see units created, moved, merged or dissolved by facts recorded after it,
so the tree changes recorded by then (``tree_facts``, in the order they were applied) are applied
again into tables of their own, named by the set of changes they hold and built once: any later
report known at a time with the same changes reads the same tables.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from types import SimpleNamespace

from shared.readmodel import ReadModelDB

from services.reporting import schema, tree

_TABLE = re.compile(r"(?:TABLE IF NOT EXISTS|ON) \{p\}(\w+)")


def tree_prefix(db: ReadModelDB, prefix: str, known: str) -> str | None:
    """The prefix of the tree tables as known at ``known`` (UTC text); None when every tree
    change was recorded by then (the live tables are that tree)."""
    try:
        if not db.query(f"SELECT 1 FROM {prefix}tree_facts WHERE recorded_at > ? LIMIT 1", (known,)):
            return None
    except Exception:
        return None  # a read model built before the tree's changes were kept: the live tree
    facts = db.query(f"SELECT event_id, type, occurred_on, recorded_at, data FROM {prefix}tree_facts "
                     "WHERE recorded_at <= ? ORDER BY seq", (known,))
    key = hashlib.sha256("|".join(f[0] for f in facts).encode()).hexdigest()[:12]
    snap = f"{prefix}k{key}_"
    if not _built(db, snap):
        _build(db, snap, facts)
    return snap


def _built(db: ReadModelDB, snap: str) -> bool:
    try:
        db.query(f"SELECT 1 FROM {snap}dclosure WHERE 1 = 0")
        return True
    except Exception:
        return False


def _build(db: ReadModelDB, snap: str, facts: list) -> None:
    from services.reporting.facts import FactsProjection  # the same code that builds the live tree
    statements = [s.strip() for s in schema.ddl("{p}").split(";")
                  if s.strip() and (m := _TABLE.search(s.strip())) and m.group(1) in schema.TREE_TABLES]
    projection = FactsProjection(snap)
    with db.transaction() as tx:
        if tx.pg:  # two reports building the same tree at once: one builds, the other waits
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (snap,))
            if tx.scalar("SELECT to_regclass(?) IS NOT NULL", (f"{snap}dclosure",)):
                return
        elif tx.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", (f"{snap}dclosure",)):
            return
        for s in statements:
            tx.execute(s.replace("{p}", snap))
        # in date order, as the live tables are (a change may have been recorded after a later one)
        for type_, occurred_on, event_id, recorded_at, data in tree.in_date_order(
                [(f[1], f[2], f[0], f[3], f[4]) for f in facts]):
            projection._org_unit(tx, SimpleNamespace(
                event_id=event_id, type=type_, data=json.loads(data), occurred_on=dt.date.fromisoformat(occurred_on),
                recorded_at=dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))))


def drop_all(tx, prefix: str) -> None:
    """Drop the trees known at past times built for generation ``prefix`` (with the generation)."""
    like = prefix.replace("_", "\\_") + "k%"
    if tx.pg:
        names = [r[0] for r in tx.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                          "AND tablename LIKE ? ESCAPE '\\'", (like,)).fetchall()]
    else:
        names = [r[0] for r in tx.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name LIKE ? ESCAPE '\\'", (like,)).fetchall()]
    for name in names:
        tx.execute(f"DROP TABLE IF EXISTS {name}")
