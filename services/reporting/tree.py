"""The closure table of the organisation tree (ancestor, descendant, depth), kept by the projection.

Subtree filters in reports are one indexed join instead of a recursive walk, which matters when
~6M absences are counted for a province. A merge is a move under the successor: from then on the
merged unit and everything it held count in the successor's subtree.
"""
from __future__ import annotations

from shared.readmodel import Tx

#: the tree changes that start or end dated intervals (a creation's interval starts at ``EVER``)
DATED = ("org_unit.moved", "org_unit.merged")
#: the tables the structure's changes build (the unit rows keep names and dates of their own)
STRUCTURE = ("closure", "dclosure", "unit_spans")


def in_date_order(facts: list[tuple]) -> list[tuple]:
    """(type, occurred_on, ...) of the tree's changes, in the order that builds the structure
    as it stood: the creations as they came (each hangs under its parent from ``EVER``), then the
    moves and merges by their date (those of one day as they came), then the rest as they came
    (renames and dissolutions change no interval)."""
    created = [f for f in facts if f[0] == "org_unit.created"]
    dated = sorted((f for f in facts if f[0] in DATED), key=lambda f: f[1])  # stable: same day, as came
    return created + dated + [f for f in facts if f[0] != "org_unit.created" and f[0] not in DATED]


def clear(tx: Tx, prefix: str) -> None:
    for table in STRUCTURE:
        tx.execute(f"DELETE FROM {prefix}{table}")


def attached(prefix: str, unit: str, parent: str | None) -> list[tuple[str, tuple]]:
    """The statements that hang a new ``unit`` under ``parent`` in the closure."""
    c = f"{prefix}closure"
    out = [(f"INSERT INTO {c} (ancestor, descendant, depth) VALUES (?, ?, 0) "
            "ON CONFLICT (ancestor, descendant) DO NOTHING", (unit, unit))]
    if parent:
        out.append((f"INSERT INTO {c} (ancestor, descendant, depth) SELECT ancestor, ?, depth + 1 FROM {c} "
                    "WHERE descendant = ? ON CONFLICT (ancestor, descendant) DO NOTHING", (unit, parent)))
    return out


def run(tx: Tx, statements: list[tuple[str, tuple]]) -> None:
    for sql, params in statements:
        tx.execute(sql, params)


def in_one(tx: Tx, statements: list[tuple[str, tuple]]) -> None:
    """Run writes none of which reads what another of them writes: on PostgreSQL as one statement
    (each but the last in a ``WITH``, all seeing the tables as they stood before it, as they
    would one after the other), elsewhere one by one."""
    if not tx.pg or len(statements) < 2:
        run(tx, statements)
        return
    *first, (last, _) = statements
    sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, (s, _) in enumerate(first)) + " " + last
    tx.execute(sql, tuple(x for _, params in statements for x in params))


def move(tx: Tx, prefix: str, unit: str, new_parent: str) -> None:
    """Re-hang ``unit`` and its whole subtree under ``new_parent``."""
    c = f"{prefix}closure"
    if tx.scalar(f"SELECT 1 FROM {c} WHERE ancestor = ? AND descendant = ?", (unit, new_parent)):
        return  # would make a cycle; the members service refuses such moves anyway
    tx.execute(f"DELETE FROM {c} WHERE descendant IN (SELECT descendant FROM {c} WHERE ancestor = ?) "
               f"AND ancestor NOT IN (SELECT descendant FROM {c} WHERE ancestor = ?)", (unit, unit))
    tx.execute(f"INSERT INTO {c} (ancestor, descendant, depth) SELECT a.ancestor, d.descendant, "
               f"a.depth + d.depth + 1 FROM {c} a, {c} d WHERE a.descendant = ? AND d.ancestor = ? "
               "ON CONFLICT (ancestor, descendant) DO NOTHING", (new_parent, unit))


# -- the structure as it stood: dated intervals ------------------------------------------------
# ``dclosure`` (ancestor, descendant, from_on, to_on): ``descendant`` was inside ``ancestor``'s
# subtree on every day d with from_on <= d < to_on (to_on NULL: still). ``unit_spans`` keeps each
# unit's parent per interval. Both are written as the tree's events are applied, which must be
# their business-date order: a change recorded after one dated later (each unit has its own
# stream, so a district may report a move late) has the facts projection build them again in
# that order (``in_date_order``, ``FactsProjection.settle_tree``).

def attached_dated(prefix: str, unit: str, parent: str | None, since: str) -> list[tuple[str, tuple]]:
    """The statements that date a new unit: inside itself, and inside each of its parent's
    ancestors when the parent was."""
    dc, spans = f"{prefix}dclosure", f"{prefix}unit_spans"
    # created once: each statement checks that the unit has no span yet, the span itself last
    # (no read of its own, so a pipelined batch sends the unit's statements without waiting)
    new = f"NOT EXISTS (SELECT 1 FROM {spans} WHERE org_unit_id = ?)"
    out = [(f"INSERT INTO {dc} (ancestor, descendant, from_on, to_on) SELECT ?, ?, ?, NULL WHERE {new} "
            "ON CONFLICT (ancestor, descendant, from_on) DO NOTHING", (unit, unit, since, unit))]
    if parent:  # the parent's whole dated ancestry (a unit recorded after its parent moved keeps it)
        out.append((f"INSERT INTO {dc} (ancestor, descendant, from_on, to_on) SELECT ancestor, ?, from_on, to_on "
                    f"FROM {dc} WHERE descendant = ? AND {new} "
                    "ON CONFLICT (ancestor, descendant, from_on) DO NOTHING", (unit, parent, unit)))
    out.append((f"INSERT INTO {spans} (org_unit_id, parent_id, from_on, to_on) SELECT ?, ?, ?, NULL WHERE {new}",
                (unit, parent, since, unit)))
    return out


def move_dated(tx: Tx, prefix: str, unit: str, new_parent: str, on: str) -> None:
    """From ``on``, ``unit`` and its subtree hang under ``new_parent``: the ancestors it leaves end
    that day, the ones it joins start; ancestors common to both (the province) go on unbroken.
    A merge is such a move under the successor (what the merged unit still held counts there)."""
    dc, spans = f"{prefix}dclosure", f"{prefix}unit_spans"
    if tx.scalar(f"SELECT 1 FROM {dc} WHERE ancestor = ? AND descendant = ? AND to_on IS NULL",
                 (unit, new_parent)):
        return  # would make a cycle
    inside = f"SELECT descendant FROM {dc} WHERE ancestor = ? AND to_on IS NULL"
    kept = f"SELECT ancestor FROM {dc} WHERE descendant = ? AND to_on IS NULL"
    tx.execute(f"UPDATE {dc} SET to_on = ? WHERE to_on IS NULL AND descendant IN ({inside}) "
               f"AND ancestor NOT IN ({inside}) AND ancestor NOT IN ({kept})", (on, unit, unit, new_parent))
    tx.execute(f"INSERT INTO {dc} (ancestor, descendant, from_on, to_on) "
               f"SELECT a.ancestor, d.descendant, ?, NULL FROM {dc} a, {dc} d "
               "WHERE a.descendant = ? AND a.to_on IS NULL AND d.ancestor = ? AND d.to_on IS NULL "
               f"AND NOT EXISTS (SELECT 1 FROM {dc} z WHERE z.ancestor = a.ancestor AND z.descendant = d.descendant "
               "AND z.to_on IS NULL) "
               "ON CONFLICT (ancestor, descendant, from_on) DO UPDATE SET to_on = NULL", (on, new_parent, unit))
    tx.execute(f"UPDATE {spans} SET to_on = ? WHERE org_unit_id = ? AND to_on IS NULL", (on, unit))
    tx.execute(f"INSERT INTO {spans} (org_unit_id, parent_id, from_on, to_on) VALUES (?, ?, ?, NULL) "
               "ON CONFLICT (org_unit_id, from_on) DO UPDATE SET parent_id = excluded.parent_id, to_on = NULL",
               (unit, new_parent, on))


def hand_over_children(tx: Tx, prefix: str, unit: str, successor: str, on: str) -> None:
    """A merged unit's sub-units are listed under its successor from the merge date (the closure
    already counts them there, through the merged unit)."""
    spans = f"{prefix}unit_spans"
    kids = [r[0] for r in tx.execute(f"SELECT org_unit_id FROM {spans} WHERE parent_id = ? AND to_on IS NULL",
                                     (unit,)).fetchall()]
    for kid in kids:
        tx.execute(f"UPDATE {spans} SET to_on = ? WHERE org_unit_id = ? AND to_on IS NULL", (on, kid))
        tx.execute(f"INSERT INTO {spans} (org_unit_id, parent_id, from_on, to_on) VALUES (?, ?, ?, NULL) "
                   "ON CONFLICT (org_unit_id, from_on) DO UPDATE SET parent_id = excluded.parent_id, to_on = NULL",
                   (kid, successor, on))
