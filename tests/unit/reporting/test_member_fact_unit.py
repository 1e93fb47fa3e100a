"""A member fact counts in the unit the member belonged to on the fact's date (DOMAIN.md §2: a
report attributes each fact to the units its unit belonged to on the fact's date). A fact recorded
after the member moved on, dated before the move, stays with the unit it happened in: the
removal of a member who was later taken back elsewhere is the old cell's removal, in the term
table as in the fact rows, and the live projection and a bulk replay agree."""
from __future__ import annotations

from services.reporting.periods import parse_period
from services.reporting.term_table import term_table
from tests.unit.reporting.history import History, two_cells


def recorded_after_a_move(h: History) -> None:
    two_cells(h, ("M1", "M2"))
    # M1 moves to C2; M2, removed from C1 in 2021 (recorded late, below), is taken back in C2 in 2023
    h.add("member.transferred", "2022-01-10", {"member_id": "M1", "from_org_unit_id": "C1",
                                               "to_org_unit_id": "C2", "kind": "official"}, org_unit_id="C2")
    h.add("member.transferred_in", "2023-03-01", {"member_id": "M2", "org_unit_id": "C2", "full_name": "X",
                                                  "birth_date": "1990-01-01", "sex": "male"}, org_unit_id="C2")
    h.flush()
    # recorded after the moves; the envelope names where the member stands now (C2)
    h.add("member.working_away_started", "2021-03-01", {"member_id": "M1", "place": "Bình Dương"},
          org_unit_id="C2")
    h.add("member.rated", "2022-12-20", {"member_id": "M1", "year": 2022, "rating": "good"}, org_unit_id="C2")
    h.add("member.working_away_ended", "2022-01-10", {"member_id": "M1"}, org_unit_id="C2")  # the move's day
    h.add("member.removed", "2021-06-01", {"member_id": "M2", "ground": "abandoned_activity"}, org_unit_id="C2")
    h.flush()


EXPECTED = [("M1", "member.rated", "C2"), ("M1", "member.transferred", "C2"),
            ("M1", "member.working_away_ended", "C2"), ("M1", "member.working_away_started", "C1"),
            ("M2", "member.removed", "C1"), ("M2", "member.transferred_in", "C2")]


def fact_units(g) -> list[tuple[str, str, str]]:
    return sorted(g.db.query(f"SELECT member_id, type, org_unit_id FROM {g.prefix}member_facts "
                             "WHERE type <> 'member.admitted'"))


def removed_in(h: History, unit: str) -> int:
    table = term_table(h.view(), unit, parse_period("2021"), parse_period("2020"))
    return next(r["value"] for r in table["rows"] if r["indicator"] == "members_removed")


def test_a_fact_recorded_after_a_move_counts_where_the_member_was_on_its_date(tmp_path):
    h = History(tmp_path)
    try:
        recorded_after_a_move(h)
        g = h.generations()  # the live projection, event by event
        assert fact_units(g) == EXPECTED
        assert (removed_in(h, "C1"), removed_in(h, "C2")) == (1, 0)
    finally:
        h.close()


def test_a_bulk_replay_puts_the_fact_in_the_same_unit_as_the_live_projection(tmp_path):
    h = History(tmp_path)
    try:
        recorded_after_a_move(h)
        g = h.generations()
        live = g.checksum()
        g.replay()
        assert fact_units(g) == EXPECTED
        assert (removed_in(h, "C1"), removed_in(h, "C2")) == (1, 0)
        assert g.checksum() == live
    finally:
        h.close()
