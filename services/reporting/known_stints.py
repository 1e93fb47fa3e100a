"""The membership stints as known at a past recording time (DESIGN.md §2, two clocks).

The stints table holds each member's stints threaded in date order from every fact recorded
(``facts.threaded``), with the recording time of each start and end, so a report as known at an
earlier time filters them by those times. That filter gives the stints as they were known then
only while the facts recorded later came in date order. For a member with a fact recorded later
but dated before what was known (a transfer dated before a removal already recorded), the stints
were threaded again and the filter no longer gives the earlier picture: those members' stints are
threaded again from the facts recorded by then, into tables of their own, named by those facts
and built once (dropped with their generation, as the trees known at past times are).
"""
from __future__ import annotations

import hashlib
import json

from shared.readmodel import ReadModelDB

COLUMNS = "member_id, seq, org_unit_id, from_on, from_kind, from_unit, from_rec, to_on, to_kind, to_unit, to_rec"


def stints_as_known(db: ReadModelDB, prefix: str, known: str) -> str | None:
    """SQL standing for the stints table as known at ``known`` (UTC text): a parenthesised query
    taking the members whose later facts came out of date order from tables of their own; None
    when the stints table itself serves (its recording times filter it)."""
    from services.reporting.facts import SHAPING  # the same rules that threaded them
    mf, marks = f"{prefix}member_facts", ",".join("?" * len(SHAPING))
    try:
        members = sorted(r[0] for r in db.query(
            f"SELECT DISTINCT late.member_id FROM {mf} late WHERE late.type IN ({marks}) AND late.recorded_at > ? "
            f"AND late.occurred_on < (SELECT MAX(f.occurred_on) FROM {mf} f WHERE f.member_id = late.member_id "
            f"AND f.type IN ({marks}) AND f.recorded_at <= ?)", (*SHAPING, known, *SHAPING, known)))
    except Exception:
        return None  # a read model without the member facts yet
    if not members:
        return None
    facts = shaping_facts(db, prefix, members, known)
    key = hashlib.sha256("|".join(f"{m}:{','.join(sorted(f[3] for f in facts[m]))}" for m in members)
                         .encode()).hexdigest()[:12]
    snap = f"{prefix}ks{key}_"
    _build(db, snap, facts)
    return (f"(SELECT {COLUMNS} FROM {prefix}stints WHERE member_id NOT IN (SELECT member_id FROM {snap}members) "
            f"UNION ALL SELECT {COLUMNS} FROM {snap}stints)")


def shaping_facts(db: ReadModelDB, prefix: str, members: list[str], known: str) -> dict[str, list[tuple]]:
    """Member → the facts recorded by ``known`` that shape their stints, as ``facts.threaded``
    takes them."""
    from services.reporting.facts import SHAPING, shapes_stints
    mf, marks = f"{prefix}member_facts", ",".join("?" * len(SHAPING))
    facts: dict[str, list[tuple]] = {m: [] for m in members}
    for i in range(0, len(members), 500):
        chunk = members[i:i + 500]
        for m, t, on, rec, eid, unit, detail in db.query(
                f"SELECT member_id, type, occurred_on, recorded_at, event_id, org_unit_id, detail FROM {mf} "
                f"WHERE member_id IN ({','.join('?' * len(chunk))}) AND type IN ({marks}) AND recorded_at <= ?",
                (*chunk, *SHAPING, known)):
            d = json.loads(detail or "{}")
            if shapes_stints(t, d.get("kind")):
                facts[m].append((t, on, rec, eid, unit, d.get("from_org_unit_id")))
    return facts


def _build(db: ReadModelDB, snap: str, facts: dict[str, list[tuple]]) -> None:
    from services.reporting.facts import threaded
    with db.transaction() as tx:
        if tx.pg:  # two reports building the same tables at once: one builds, the other waits
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (snap,))
            if tx.scalar("SELECT to_regclass(?) IS NOT NULL", (f"{snap}stints",)):
                return
        elif tx.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", (f"{snap}stints",)):
            return
        tx.execute(f"CREATE TABLE {snap}members (member_id TEXT PRIMARY KEY)")
        tx.execute(f"CREATE TABLE {snap}stints (member_id TEXT NOT NULL, seq INTEGER NOT NULL, org_unit_id TEXT, "
                   "from_on TEXT, from_kind TEXT, from_unit TEXT, from_rec TEXT, to_on TEXT, to_kind TEXT, "
                   "to_unit TEXT, to_rec TEXT, PRIMARY KEY (member_id, seq))")
        tx.executemany(f"INSERT INTO {snap}members (member_id) VALUES (?)", [(m,) for m in facts])
        rows = [(m, seq, *s) for m, items in facts.items() for seq, s in enumerate(threaded(items))]
        if rows:
            tx.executemany(f"INSERT INTO {snap}stints ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
