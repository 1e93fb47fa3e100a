"""Reports as known at a past time draw the tree as it was known then (issue 14).

Given a province TN with districts D1 (cell C1) and D2 (cell C2) and a town D3 (cell C3), recorded
when they were made; the 1/7/2025 restructuring — C1 moved under the province, D1 dissolved, D2
merged into D3, a new cell C9 created — recorded late, at 10/7/2025 08:00 UTC. When a report on
5/7/2025 is drawn as known at 10/7/2025 07:59:59.999999 (a moment before) the restructuring is not in
the picture; as known at 08:00 (the moment it was recorded) it is. Run on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.membership import headcount
from tests.unit.reporting.history import History, history_on

UTC = dt.timezone.utc
RECORDED = dt.datetime(2025, 7, 10, 8, 0, tzinfo=UTC)
BEFORE = RECORDED - dt.timedelta(microseconds=1)
DAY = dt.date(2025, 7, 5)


def early(on: str) -> dt.datetime:
    day = dt.date.fromisoformat(on)
    return dt.datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def history(h: History) -> History:
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy", "kind": "province"},
          recorded_at=early("2015-01-01"))
    for uid, parent, kind in (("D1", "TN", "direct"), ("D2", "TN", "direct"), ("D3", "TN", "direct"),
                              ("C1", "D1", "grassroots_cell"), ("C2", "D2", "grassroots_cell"),
                              ("C3", "D3", "grassroots_cell")):
        h.add("org_unit.created", "2015-01-01", {"org_unit_id": uid, "name": f"Đơn vị {uid}", "kind": kind,
                                                 "parent_id": parent}, recorded_at=early("2015-01-01"))
    for mid, cell in (("M1", "C1"), ("M2", "C1"), ("M3", "C2"), ("M4", "C3")):
        h.add("member.admitted", "2018-03-01", {"member_id": mid, "org_unit_id": cell, "full_name": "Lê Thị D",
                                                "birth_date": "1985-01-01", "sex": "female", "demobilised": "none"},
              org_unit_id=cell, recorded_at=early("2018-03-01"))
    h.add("org_unit.moved", "2025-07-01", {"org_unit_id": "C1", "parent_id": "TN"}, recorded_at=RECORDED)
    h.add("org_unit.dissolved", "2025-07-01", {"org_unit_id": "D1", "reason": "administrative"}, recorded_at=RECORDED)
    h.add("org_unit.merged", "2025-07-01", {"org_unit_id": "D2", "into_org_unit_id": "D3"}, recorded_at=RECORDED)
    h.add("org_unit.created", "2025-07-01", {"org_unit_id": "C9", "name": "Đơn vị C9", "kind": "grassroots_cell",
                                             "parent_id": "TN"}, recorded_at=RECORDED)
    return h


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request, tmp_path):
    with history_on(request.param, tmp_path) as hist:
        yield history(hist)


def tree(rows) -> dict:
    return {r["org_unit_id"]: (r["parent_id"], r["total"]) for r in rows}


def test_the_tree_as_known_before_the_restructuring_was_recorded(h):
    rows = tree(headcount(h.view(as_of=DAY, known_at=BEFORE), None))
    assert rows == {"TN": (None, 4), "D1": ("TN", 2), "C1": ("D1", 2), "D2": ("TN", 1), "C2": ("D2", 1),
                    "D3": ("TN", 1), "C3": ("D3", 1)}
    assert set(tree(headcount(h.view(as_of=DAY, known_at=BEFORE, structure="current"), None))) == \
        {"TN", "D1", "C1", "D2", "C2", "D3", "C3"}  # no merger, no dissolution, no C9 known yet


def test_the_tree_as_known_once_the_restructuring_was_recorded(h):
    expected = {"TN": (None, 4), "C1": ("TN", 2), "D3": ("TN", 2), "C2": ("D3", 1), "C3": ("D3", 1),
                "C9": ("TN", 0)}
    assert tree(headcount(h.view(as_of=DAY, known_at=RECORDED), None)) == expected
    assert tree(headcount(h.view(as_of=DAY), None)) == expected  # everything known: the live tables
    # a report on a day before the restructuring is the same whenever it is known
    assert tree(headcount(h.view(as_of=dt.date(2025, 6, 30), known_at=RECORDED), "D1")) == \
        {"D1": ("TN", 2), "C1": ("D1", 2)}


def test_the_tree_known_then_is_built_once_and_reused(h):
    first = h.view(as_of=DAY, known_at=BEFORE)
    again = h.view(as_of=dt.date(2024, 1, 1), known_at=BEFORE - dt.timedelta(days=30))
    assert first.tree is not None and first.tree == again.tree  # the same tree changes known
    assert h.view(as_of=DAY, known_at=RECORDED).tree is None


def test_a_replay_gives_the_same_answers_and_drops_the_old_generations_trees(h):
    before = tree(headcount(h.view(as_of=DAY, known_at=BEFORE), None))
    old = h.view(as_of=DAY, known_at=BEFORE).tree
    gens = h.generations()
    checksum = gens.checksum()
    gens.replay()
    assert gens.checksum() == checksum  # the tree's changes are replayed in the same order
    gens.replay()
    gens.replay()  # the generation before the previous one goes, with its trees known at past times
    assert tree(headcount(h.view(as_of=DAY, known_at=BEFORE), None)) == before
    with pytest.raises(Exception):
        h.db.query(f"SELECT 1 FROM {old}dclosure")
