"""The closure table of the organisation tree (ancestor, descendant, depth), kept by the projection.

Subtree filters in reports are one indexed join instead of a recursive walk, which matters when
~6M absences are counted for a province. A merge is a move under the successor: from then on the
merged unit and everything it held count in the successor's subtree.
"""
from __future__ import annotations

from shared.readmodel import Tx


def attach(tx: Tx, prefix: str, unit: str, parent: str | None) -> None:
    c = f"{prefix}closure"
    tx.execute(f"INSERT INTO {c} (ancestor, descendant, depth) VALUES (?, ?, 0) "
               "ON CONFLICT (ancestor, descendant) DO NOTHING", (unit, unit))
    if parent:
        tx.execute(f"INSERT INTO {c} (ancestor, descendant, depth) SELECT ancestor, ?, depth + 1 FROM {c} "
                   "WHERE descendant = ? ON CONFLICT (ancestor, descendant) DO NOTHING", (unit, parent))


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
