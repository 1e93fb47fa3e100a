"""Which units' warning counts changed (issue 15): a mark per unit, renewed whenever a delivery
changes a row of ``warn_counts`` of that unit, so a page's group sizes kept in memory are summed
again for the units marked since, not for the whole province.

``warn_marks (org_unit_id, token)``: the token of the last change of the unit's counts; the row
``''`` holds the token of the last full build (a replay), after which every size is summed again.
A generation without that row (built before the marks) is summed whole after every change.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from shared.readmodel import ReadModelDB, Tx

TABLE = "warn_marks"
EPOCH = ""

DDL = "CREATE TABLE IF NOT EXISTS {p}warn_marks (org_unit_id TEXT PRIMARY KEY, token TEXT NOT NULL)"


def ddl(prefix: str) -> str:
    return DDL.replace("{p}", prefix)


def mark(tx: Tx, p: str, units: Iterable[str]) -> None:
    """The counts of ``units`` changed in this transaction (in one order: partitions sharing a
    PostgreSQL read model lock the rows alike)."""
    token = uuid.uuid4().hex
    rows = [(u, token) for u in sorted(set(units))]
    if rows:  # each unit once: one multi-row statement (PostgreSQL)
        tx.insert_rows(f"INSERT INTO {p}warn_marks (org_unit_id, token) VALUES (?, ?) "
                       "ON CONFLICT (org_unit_id) DO UPDATE SET token = excluded.token", rows)


def renew(tx: Tx, p: str) -> None:
    """Every count was written again (a build): forget the marks, a new epoch."""
    tx.execute(f"DELETE FROM {p}warn_marks")
    tx.execute(f"INSERT INTO {p}warn_marks (org_unit_id, token) VALUES (?, ?)", (EPOCH, uuid.uuid4().hex))


def ensure(db: ReadModelDB, prefix: str) -> None:
    """A generation built before the marks: create them, with an epoch of their own."""
    db.executescript(ddl(prefix))
    if not db.query(f"SELECT 1 FROM {prefix}warn_marks WHERE org_unit_id = ?", (EPOCH,)):
        with db.transaction() as tx:
            tx.execute(f"INSERT INTO {prefix}warn_marks (org_unit_id, token) VALUES (?, ?) ON CONFLICT (org_unit_id) "
                       "DO NOTHING", (EPOCH, uuid.uuid4().hex))


def read(db: ReadModelDB, prefix: str) -> dict[str, str] | None:
    """unit → token of its last change (``''``: the epoch); None without an epoch."""
    try:
        marks = dict(db.query(f"SELECT org_unit_id, token FROM {prefix}warn_marks"))
    except Exception:  # a generation of an older version, not yet opened by this one
        return None
    return marks if EPOCH in marks else None
