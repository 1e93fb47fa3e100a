"""``Tx.update_rows``: many ``UPDATE … SET … WHERE …`` rows in statements joined to their values
(PostgreSQL) leave the rows that one statement per row leaves — across chunks, with integer and
text keys, NULLs and text that holds ``$``, ``%`` and quotes; rows named by no row change nothing;
a statement of another form runs row by row."""
from __future__ import annotations

import pytest

from shared.readmodel import _joined_update

UPDATE = "UPDATE t SET label = ?, note = ? WHERE k = ? AND seq = ?"


@pytest.fixture
def db(read_model):
    db = read_model
    db.executescript("CREATE TABLE t (k TEXT NOT NULL, seq INTEGER NOT NULL, label TEXT, note TEXT, "
                     "PRIMARY KEY (k, seq))")
    with db.transaction() as tx:
        tx.executemany("INSERT INTO t (k, seq, label, note) VALUES (?, ?, ?, ?)",
                       [(f"k{i}", s, "old", "n") for i in range(1500) for s in (0, 1)])
    yield db


def table(db) -> dict:
    return {(k, s): (label, note) for k, s, label, note in db.query("SELECT k, seq, label, note FROM t")}


def test_many_rows_update_as_row_by_row(db, monkeypatch):
    import shared.readmodel as readmodel
    joined = []
    monkeypatch.setattr(readmodel, "_joined_update", lambda *a: joined.append(a[-1]) or _joined_update(*a))
    rows = [(f"a ${i} 50% 'x'", None if i % 3 else "z", f"k{i}", i % 2) for i in range(1500)]  # two chunks
    rows.append(("never", "never", "k-none", 0))  # names no row
    with db.transaction(pipelined=True) as tx:
        tx.update_rows(UPDATE, rows)
        tx.update_rows(UPDATE, [("one", "o", "k5", 0)])
        tx.update_rows(UPDATE, [])
        assert tx.execute("SELECT COUNT(*) FROM t WHERE label = 'old'").fetchone() == (1500 - 1,)
    got = table(db)
    assert got[("k0", 0)] == ("a $0 50% 'x'", "z") and got[("k0", 1)] == ("old", "n")
    assert got[("k1", 1)] == ("a $1 50% 'x'", None) and got[("k1", 0)] == ("old", "n")
    assert got[("k5", 0)] == ("one", "o") and got[("k5", 1)] == ("a $5 50% 'x'", None)
    assert got[("k1499", 1)] == ("a $1499 50% 'x'", None)
    assert len(got) == 3000
    assert joined == ([1000, 501] if db.pg else [])  # PostgreSQL: one statement per chunk (width 4 → 1000 rows)


def test_another_form_runs_row_by_row(db):
    with db.transaction(pipelined=True) as tx:
        tx.update_rows("UPDATE t SET note = note || ? WHERE k = ?", [("+", "k1"), ("-", "k2")])
    got = table(db)
    assert got[("k1", 0)][1] == got[("k1", 1)][1] == "n+" and got[("k2", 0)][1] == "n-"


def test_the_joined_statement():
    assert _joined_update("t", ("a", "b"), ("k",), 2) == (
        "UPDATE t AS t_ SET a = v_.s0, b = v_.s1 FROM (VALUES ($1, $2, $3), ($4, $5, $6)) AS v_(s0, s1, k0) "
        "WHERE t_.k = v_.k0")
