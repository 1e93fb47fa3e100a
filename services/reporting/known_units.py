"""Where members' facts and decisions counted as known at a past recording time (DESIGN.md §2).

A transfer recorded late, dated before facts already recorded, moves those facts and the member's
discipline decisions to the unit the member stood in on their dates (``FactsProjection._refile``):
``member_facts.org_unit_id`` and ``cases.org_unit_id`` then hold where they count now. A report as
known at a time before that transfer was recorded must count them where they counted then: for the
members with such a fact recorded after that time, each fact and decision recorded by then is
placed again by the member's stints as known then (``known_stints.shaping_facts``, threaded by the
same rules), and where that differs from the table, the unit is taken from a table of its own,
named by its content and built once (dropped with its generation, as the trees known at past times).
"""
from __future__ import annotations

import hashlib

from shared.readmodel import ReadModelDB

from services.reporting.known_stints import shaping_facts

FACT_COLUMNS = ("event_id", "member_id", "type", "occurred_on", "recorded_at", "org_unit_id", "detail", "actor")
CASE_COLUMNS = ("case_id", "event_id", "subject_kind", "subject_id", "org_unit_id", "form", "decided_on",
                "violation_on", "recorded_at", "annulled_on", "annulled_rec", "forms")


def unit_on(stints: list[list], day: str) -> str | None:
    """As ``FactsProjection.unit_on``: the unit of the latest stint begun by ``day``, else of the last."""
    for stint in reversed(stints):
        if stint[1] <= day:
            return stint[0]
    return stints[-1][0] if stints else None


def units_as_known(db: ReadModelDB, prefix: str, known: str) -> dict[str, str]:
    """``{"member_facts": SQL, "cases": SQL}`` standing for those tables as known at ``known`` (UTC
    text), for the tables whose units moved since; empty when the tables serve as they are."""
    from services.reporting.facts import REFILED_NOT, SHAPING, threaded
    mf, cases = f"{prefix}member_facts", f"{prefix}cases"
    shaping, kept = ",".join("?" * len(SHAPING)), ",".join("?" * len(REFILED_NOT))
    try:  # members with a fact shaping their stints recorded later, dated by what was known of them
        members = sorted(r[0] for r in db.query(
            f"SELECT DISTINCT late.member_id FROM {mf} late WHERE late.type IN ({shaping}) AND late.recorded_at > ? "
            f"AND (late.occurred_on <= (SELECT MAX(f.occurred_on) FROM {mf} f WHERE f.member_id = late.member_id "
            f"AND f.type NOT IN ({kept}) AND f.recorded_at <= ?) OR late.occurred_on <= (SELECT MAX(c.decided_on) "
            f"FROM {cases} c WHERE c.subject_kind = 'member' AND c.subject_id = late.member_id "
            "AND c.recorded_at <= ?))", (*SHAPING, known, *REFILED_NOT, known, known)))
    except Exception:
        return {}  # a read model without the member facts yet
    if not members:
        return {}
    stints = {m: threaded(facts) for m, facts in shaping_facts(db, prefix, members, known).items()}
    moved: list[tuple[str, str, str]] = []
    for i in range(0, len(members), 500):
        chunk = members[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for event_id, member, on, unit in db.query(
                f"SELECT event_id, member_id, occurred_on, org_unit_id FROM {mf} WHERE member_id IN ({marks}) "
                f"AND type NOT IN ({kept}) AND recorded_at <= ?", (*chunk, *REFILED_NOT, known)):
            then = unit_on(stints[member], on)
            if then and then != unit:
                moved.append(("fact", event_id, then))
        for case_id, member, on, unit in db.query(
                f"SELECT case_id, subject_id, decided_on, org_unit_id FROM {cases} WHERE subject_kind = 'member' "
                f"AND subject_id IN ({marks}) AND recorded_at <= ?", (*chunk, known)):
            then = unit_on(stints[member], on)
            if then and then != unit:
                moved.append(("case", case_id, then))
    if not moved:
        return {}
    moved.sort()
    snap = f"{prefix}ku{hashlib.sha256(repr(moved).encode()).hexdigest()[:12]}_units"
    _build(db, snap, moved)
    out = {}
    for table, kind, columns in (("member_facts", "fact", FACT_COLUMNS), ("cases", "case", CASE_COLUMNS)):
        if any(m[0] == kind for m in moved):
            picked = ", ".join("COALESCE(o.org_unit_id, t.org_unit_id) AS org_unit_id" if c == "org_unit_id"
                               else f"t.{c}" for c in columns)
            out[table] = (f"(SELECT {picked} FROM {prefix}{table} t LEFT JOIN {snap} o "
                          f"ON o.kind = '{kind}' AND o.id = t.{columns[0]}) AS {table}")
    return out


def _build(db: ReadModelDB, snap: str, moved: list[tuple[str, str, str]]) -> None:
    with db.transaction() as tx:
        if tx.pg:  # two reports building the same table at once: one builds, the other waits
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (snap,))
            if tx.scalar("SELECT to_regclass(?) IS NOT NULL", (snap,)):
                return
        elif tx.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", (snap,)):
            return
        tx.execute(f"CREATE TABLE {snap} (kind TEXT NOT NULL, id TEXT NOT NULL, org_unit_id TEXT NOT NULL, "
                   "PRIMARY KEY (kind, id))")
        tx.executemany(f"INSERT INTO {snap} (kind, id, org_unit_id) VALUES (?, ?, ?)", moved)
