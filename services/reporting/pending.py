"""Writes of one live batch held back and sent together: one statement (or ``executemany``) per
statement and table, not one round trip per event.

Each write names its table and the key of the rows it touches. A write's result is never read
and it touches its own table only (no sub-select of another table), so writes to different
tables commute; within a table, a write is never moved before an earlier write of the same key,
so every row ends as the one-by-one order leaves it; a group holds one write per key, so its
inserts go as one multi-row statement and its updates as one joined to their rows. Whoever
reads a table with held writes ``flush``es first.
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

from shared.readmodel import Tx


class Pending:
    def __init__(self) -> None:
        #: table → groups of (sql, rows, keys), sent in this order
        self._tables: dict[str, list[tuple[str, list, set]]] = {}

    def add(self, table: str, sql: str, params: Sequence[Any], key: Hashable) -> None:
        """Hold one write. It joins the first group of the same statement that comes after the
        last group holding ``key`` (so it still runs after every earlier write of its rows, and a
        group touches each row once: one multi-row statement may send it)."""
        groups = self._tables.setdefault(table, [])
        floor = 0
        for i in range(len(groups) - 1, -1, -1):
            if key in groups[i][2]:
                floor = i + 1
                break
        for i in range(floor, len(groups)):
            if groups[i][0] == sql:
                groups[i][1].append(tuple(params))
                groups[i][2].add(key)
                return
        groups.append((sql, [tuple(params)], {key}))

    def __bool__(self) -> bool:
        return bool(self._tables)

    def flush(self, tx: Tx) -> None:
        """Send every held write (in its table's order) and forget them."""
        tables, self._tables = self._tables, {}
        for groups in tables.values():
            for sql, rows, _ in groups:
                if len(rows) == 1:
                    tx.execute(sql, rows[0])
                elif sql.startswith("INSERT"):
                    tx.insert_rows(sql, rows)
                elif sql.startswith("UPDATE"):
                    tx.update_rows(sql, rows)
                else:
                    tx.executemany(sql, rows)
