"""``Tx.rows_in``: the rows of a query for a list of keys — more than one IN list holds, with
parameters after the list, none at all — are the same on SQLite (IN lists of 500) and on
PostgreSQL (one array parameter), read inside a pipelined transaction after its writes."""
from __future__ import annotations

import pytest


@pytest.fixture
def db(read_model):
    db = read_model
    db.executescript("CREATE TABLE t (k TEXT NOT NULL, day TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (k, day))")
    yield db


def test_rows_of_many_keys_with_parameters_after_the_list(db):
    with db.transaction(pipelined=True) as tx:
        tx.insert_rows("INSERT INTO t (k, day, n) VALUES (?, ?, ?)",
                       [(f"m{i}", day, i) for i in range(1300) for day in ("2024-01-01", "2025-06-30")])
        keys = [f"m{i}" for i in range(0, 1300, 2)] + ["absent", "it's 50% $1"]  # over two lists of 500
        got = tx.rows_in("SELECT k, n FROM t WHERE k {keys} AND day >= ? AND day < ?", keys,
                         ("2025-01-01", "2026-01-01"))
        assert sorted(got) == sorted((f"m{i}", i) for i in range(0, 1300, 2))
        counted = tx.rows_in("SELECT k, COUNT(*) FROM t WHERE k {keys} GROUP BY k", ["m1", "m3"])
        assert sorted(counted) == [("m1", 2), ("m3", 2)]
        assert tx.rows_in("SELECT k FROM t WHERE k {keys}", []) == []


def test_keys_with_quotes_backslashes_and_braces(db):
    odd = ['a"b', "c\\d", "e'f", "NULL", " sp ", "{x,y}", "ü", ""]
    with db.transaction(pipelined=True) as tx:
        tx.insert_rows("INSERT INTO t (k, day, n) VALUES (?, ?, ?)", [(k, "2025-01-01", i) for i, k in enumerate(odd)])
        assert sorted(tx.rows_in("SELECT k, n FROM t WHERE k {keys}", odd)) == sorted((k, i) for i, k in enumerate(odd))
        assert tx.rows_in("SELECT k FROM t WHERE k {keys}", ['a"b"', "c\\\\d"]) == []
