"""``Tx.insert_rows``: many rows in multi-row statements (PostgreSQL) leave the rows that one
statement per row leaves — across chunks, with ON CONFLICT, with text that holds ``$``, ``%``
and quotes — and the connection still answers reads afterwards in the same pipelined transaction."""
from __future__ import annotations

import pytest


INSERT = ("INSERT INTO t (k, label, n) VALUES (?, ?, ?) "
          "ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n, label = excluded.label")


@pytest.fixture
def db(read_model):
    db = read_model
    db.executescript("CREATE TABLE t (k TEXT PRIMARY KEY, label TEXT, n INTEGER NOT NULL)")
    yield db


def test_many_rows_in_chunks_update_as_row_by_row(db):
    first = [(f"k{i}", f"a ${i} 50% 'x'", i) for i in range(2500)]  # over two chunks of 1000
    again = [(f"k{i}", "b", 1) for i in range(0, 2500, 7)]
    with db.transaction(pipelined=True) as tx:
        tx.insert_rows(INSERT, first)
        tx.insert_rows(INSERT, again)
        assert tx.execute("SELECT COUNT(*), SUM(n) FROM t").fetchone() == (2500, sum(range(2500)) + len(again))
    rows = dict((k, (label, n)) for k, label, n in db.query("SELECT k, label, n FROM t"))
    assert rows["k1"] == ("a $1 50% 'x'", 1)
    assert rows["k7"] == ("b", 8) and rows["k2498"] == ("a $2498 50% 'x'", 2498)


def test_one_row_and_no_rows(db):
    with db.transaction(pipelined=True) as tx:
        tx.insert_rows(INSERT, [])
        tx.insert_rows(INSERT, [("k", "one", 5)])
    assert db.query("SELECT k, label, n FROM t") == [("k", "one", 5)]
