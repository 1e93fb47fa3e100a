"""The counts per unit and day (``day_counts``, ``warn_counts``) take a batch's change in one
statement (``daycounts.add_counts``): each key's n summed, a row the sum brings to zero gone —
on PostgreSQL deleted at once, never written at zero first — and the live rows those of a replay,
however a burst is delivered again."""
from __future__ import annotations

import contextlib

import pytest

from services.reporting.daycounts import add_counts
from services.reporting.generations import Generations
from shared.readmodel import ReadModelDB
from tests.unit.reporting.history import History
from tests.unit.reporting.test_structure import admit

TABLE = ("CREATE TABLE IF NOT EXISTS t_counts (kind TEXT NOT NULL, org_unit_id TEXT NOT NULL, day TEXT NOT NULL, "
         "n INTEGER NOT NULL, PRIMARY KEY (kind, org_unit_id, day))")


def test_a_change_is_summed_per_key_and_a_row_brought_to_zero_is_gone(read_model):
    db = read_model
    db.executescript(TABLE)
    key = ("kind", "org_unit_id", "day")
    with db.transaction() as tx:
        add_counts(tx, "t_counts", key, [("a", "C1", "2020-01-01", 2), ("a", "C1", "2020-02-01", -1),
                                         ("b", "Chi bộ \"Một\"", "2020-01-01", 1)])
    written = ("SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
               "WHERE relname = 't_counts'")  # this backend's rows written, not yet reported
    with db.transaction(pipelined=True) as tx:
        before = tx.execute(written).fetchone() if tx.pg else None
        add_counts(tx, "t_counts", key, [("a", "C1", "2020-01-01", -2), ("a", "C1", "2020-02-01", 3),
                                         ("a", "C2", "2020-03-01", -1)])
        if tx.pg:  # the row brought to zero was deleted, not updated to zero first; the other updated once
            after = tx.execute(written).fetchone()
            assert tuple(a - b for a, b in zip(after, before)) == (1, 1, 1)
        else:
            tx.execute("DELETE FROM t_counts WHERE n = 0")
    assert sorted(db.query("SELECT kind, org_unit_id, day, n FROM t_counts")) == [
        ("a", "C1", "2020-02-01", 2), ("a", "C2", "2020-03-01", -1), ("b", "Chi bộ \"Một\"", "2020-01-01", 1)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_counts_brought_to_zero_live_and_a_burst_delivered_again_give_the_replays_rows(tmp_path, backend):
    """Members admitted (their new-member class overdue from a day: +1 there), then recognised
    official in a later burst (no class overdue any more: that row back to 0, gone; official from
    the day: +1), each burst delivered twice: the counts, the spans and the checksum are a
    replay's, and no row stands at zero."""
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            from tests.support.services import pg_database
            url = stack.enter_context(pg_database())
        else:
            url = f"sqlite:///{tmp_path}/live.read.db"
        h = History(tmp_path, None)
        stack.callback(h.close)
        h.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy", "kind": "province"})
        h.add("org_unit.created", "2015-01-01", {"org_unit_id": "D1", "name": "Huyện Một", "kind": "direct",
                                                 "parent_id": "TN"})
        for cell in ("C1", "C2"):
            h.add("org_unit.created", "2015-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}",
                                                     "kind": "grassroots_cell", "parent_id": "D1"})
        for i in range(6):
            admit(h, f"M{i}", "C1" if i % 2 else "C2", f"2020-01-{10 + i:02d}")
        h.flush()
        db = ReadModelDB(url)
        stack.callback(db.close)
        g = Generations(db, h.stores)
        g.catch_up()
        p = g.prefix
        assert db.query(f"SELECT SUM(n) FROM {p}warn_counts WHERE kind = 'new_member_class_overdue'") == [(6,)]
        for i in range(6):
            h.add("member.recognized_official", f"2020-03-{10 + i:02d}", {"member_id": f"M{i}"},
                  org_unit_id="C1" if i % 2 else "C2")
        h.flush()
        burst = [env.to_message() for env in h.stores["members"].read_all(1)][-6:]
        g.runner.burst = 1  # only what the deliveries carry
        assert g.handle_batch("members", burst[:3]) == "applied"
        assert g.handle_batch("members", burst[:3]) == "duplicate"  # delivered again
        g.runner._passed.clear()  # as a restarted process: told by the checkpoint in its transaction
        assert g.handle_batch("members", burst[:3]) == "duplicate"
        assert g.handle_batch("members", burst) == "applied"  # the first three again among them
        assert g.handle_batch("members", burst) == "duplicate"
        live = (sorted(db.query(f"SELECT kind, org_unit_id, day, n FROM {p}warn_counts")),
                sorted(db.query(f"SELECT indicator, org_unit_id, day, n FROM {p}day_counts")),
                sorted(db.query(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {p}warn_spans")))
        assert not [r for r in live[0] + live[1] if r[3] == 0]
        assert [r for r in live[0] if r[0] == "new_member_class_overdue"] == []
        assert sum(r[3] for r in live[0] if r[0] == "_official") == 6
        checksum = g.checksum()
        replayed = g.replay()
        assert replayed["checksum"] == checksum
        q = g.prefix
        assert q != p
        assert (sorted(db.query(f"SELECT kind, org_unit_id, day, n FROM {q}warn_counts")),
                sorted(db.query(f"SELECT indicator, org_unit_id, day, n FROM {q}day_counts")),
                sorted(db.query(f"SELECT kind, org_unit_id, member_id, from_on, to_on, due_on FROM {q}warn_spans"))
                ) == live
