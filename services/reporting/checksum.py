"""The read model's checksum (issue 15): sha-256 over every table reports read in a generation,
rows in key order (prefix-free), each row as compact JSON and a newline: an auditor proves a replay
gives the live projection's rows by it (``Generations.checksum``). A module of its own, light to
import: a replay's second process hashes a part of it (``meeting_fold``).
"""
from __future__ import annotations

import hashlib
import json
import operator
import sqlite3

import orjson

from shared.events import canonical_json
from shared.readmodel import ReadModelDB

from services.reporting import schema


def _row_json(row) -> bytes:
    """A row as compact JSON (orjson: ~3x the standard library; the checksum's own cost)."""
    try:
        return orjson.dumps(list(row), default=_plain)
    except TypeError:
        return canonical_json(list(row)).encode("utf-8")


def _rows_json(rows: list) -> bytes:
    """``_row_json`` of each row, each followed by a newline: one orjson call per row, one join per
    page (what the checksum hashes, byte for byte)."""
    try:
        return b"\n".join(map(orjson.dumps, rows)) + b"\n"
    except TypeError:  # a value orjson does not write by itself: row by row, as ``_row_json`` does
        return b"".join(_row_json(row) + b"\n" for row in rows)


def _plain(value):
    return json.loads(canonical_json(value))


#: what the checksum reads beside ``schema.TABLES`` (which it reads whole): the day counts and the
#: early-warning spans, which reports read in their place. (table, columns, filter, order): a count
#: of zero is no count (the live projection removes them per batch, a replay never writes them); a
#: build marker counts as built or not, not its rows per partition, its version token or its latest
#: recording time: that time only tells a report known at an earlier time to count from the facts
#: instead (the same answer), and the live projection moves it by the events that change spans
#: while a rebuild takes the latest of the tables (a tree change recorded late moves one, not the
#: other). ``warn_spans`` has no key: every column orders it, an open end (NULL) first on both
#: databases. Left out: ``warn_marks`` (random tokens that only tell a cached page to read again)
#: and ``known_tree``'s tables (a past tree built on demand from ``tree_facts``, which is read).
DERIVED = (
    ("day_counts", "indicator, org_unit_id, day, n", "n <> 0", "indicator, org_unit_id, day"),
    ("day_repeats", "indicator, subject_id", "", "indicator, subject_id"),
    ("day_counts_built", "CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0 END", "", ""),
    ("day_flows_built", "CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0 END", "", ""),
    ("warn_spans", "kind, org_unit_id, member_id, from_on, to_on, due_on", "",
     "kind, org_unit_id, member_id, from_on, to_on NULLS FIRST, due_on NULLS FIRST"),
    ("warn_counts", "kind, org_unit_id, day, n", "n <> 0", "kind, org_unit_id, day"),
    ("warn_built", "CASE WHEN MIN(id) = 1 THEN 1 ELSE 0 END", "", ""),
)


def checked(prefix: str) -> list[tuple[str, str | None, str, str]]:
    """(table, columns or None for all, filter, order) of every table the checksum reads, in order."""
    return [(f"{prefix}{t}", None, "", schema.ORDER_BY[t]) for t in schema.TABLES] + \
        [(f"{prefix}{t}", columns, where, order) for t, columns, where, order in DERIVED]


def table_checksum(db: ReadModelDB, prefix: str, sqlite_json: bool = True) -> str:
    """``Generations.checksum`` of the tables of ``prefix``. On SQLite (``sqlite_json``) the JSON of
    each row is written by SQLite itself (``_sqlite_dump``), the same bytes in a third of the time."""
    return hashed(db, prefix, hashlib.sha256(), checked(prefix), sqlite_json).hexdigest()


def hashed(db: ReadModelDB, prefix: str, digest, tables: list[tuple[str, str | None, str, str]],
           sqlite_json: bool = True):
    """``digest`` updated with ``tables`` (of ``checked(prefix)``, in its order) as the checksum
    hashes them; a part of the checksum (``facts_part``, then ``derived_part``) may be hashed in
    another process (``meeting_fold``: the digest goes on where that part ends)."""
    for name, columns, where, order in tables:
        digest.update(f"#{name[len(prefix):]}\n".encode())
        dumped = _sqlite_dump(db, digest, name, columns, where, order) if sqlite_json and not db.pg else None
        if dumped is not None:
            digest = dumped
            continue
        for rows in db.scan(_select(columns or "*", name, where, order)):
            digest.update(_rows_json(rows))
    return digest


def facts_part(prefix: str) -> list[tuple[str, str | None, str, str]]:
    """The tables of the checksum a replay has finished before it derives the day counts and the
    warning spans from them (``schema.TABLES``), in order; ``derived_part``: the rest."""
    return checked(prefix)[:len(schema.TABLES)]


def derived_part(prefix: str) -> list[tuple[str, str | None, str, str]]:
    return checked(prefix)[len(schema.TABLES):]


def _select(columns: str, table: str, where: str, order: str) -> str:
    return f"SELECT {columns} FROM {table}" + (f" WHERE {where}" if where else "") + \
        (f" ORDER BY {order}" if order else "")


def _sqlite_dump(db: ReadModelDB, digest, table: str, columns: str | None, where: str, order: str):
    """``digest`` (a copy) updated with the rows of ``table`` as SQLite writes them (``json_array``:
    text, integers and NULL written as orjson writes them, byte for byte:
    ``tests/unit/reporting/test_bulk_replay.py``); None where Python must dump them: a table holding
    a REAL (a fraction in an INTEGER column, which SQLite writes with 15 digits) or a BLOB (which
    ``json_array`` refuses). ``columns`` None: every column of the table."""
    info = db.query(f"PRAGMA table_info({table})")
    named = {c.strip() for c in columns.split(",")} if columns is not None else {row[1] for row in info}
    numeric = [row[1] for row in info if row[1] in named
               and not any(k in (row[2] or "").upper() for k in ("CHAR", "CLOB", "TEXT"))]
    if columns is None:
        columns = ", ".join(row[1] for row in info)
    if numeric and db.query(f"SELECT 1 FROM {table} WHERE "
                            + " OR ".join(f"typeof({c}) = 'real'" for c in numeric) + " LIMIT 1"):
        return None
    out = digest.copy()
    try:
        for rows in db.scan(_select(f"json_array({columns})", table, where, order)):
            out.update(("\n".join(map(_first, rows)) + "\n").encode("utf-8"))
    except sqlite3.OperationalError:  # JSON cannot hold BLOB values
        return None
    return out


_first = operator.itemgetter(0)
