"""A transfer recorded after facts it precedes (dated 01/03, recorded after a rating dated 15/03
was already projected in the old cell) moves those facts to the new cell: a member's fact counts
in the unit the member belonged to on the fact's date (DOMAIN.md §2), whatever the order of
recording — live, event by event, and in a bulk replay, which agree row for row."""
from __future__ import annotations

from services.reporting import bulk_replay
from tests.unit.reporting.history import History, two_cells


def fact_units(g) -> list[tuple[str, str, str, str]]:
    return sorted(g.db.query(f"SELECT member_id, type, occurred_on, org_unit_id FROM {g.prefix}member_facts "
                             "WHERE type <> 'member.admitted'"))


def late_transfer(h: History) -> None:
    two_cells(h, ("M1", "M2"))
    h.add("member.rated", "2022-03-15", {"member_id": "M1", "year": 2021, "rating": "good"}, org_unit_id="C1")
    h.add("member.working_away_started", "2022-02-20", {"member_id": "M1", "place": "Bình Dương"}, org_unit_id="C1")
    h.add("member.rated", "2022-03-15", {"member_id": "M2", "year": 2021, "rating": "complete"}, org_unit_id="C1")
    h.generations()  # projected in C1, where M1 stood when they were recorded
    # recorded now, dated 01/03/2022: M1 had moved to C2 before the rating
    h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "official"}, org_unit_id="C2")
    h.flush()


EXPECTED = [("M1", "member.rated", "2022-03-15", "C2"),  # moved with the member
            ("M1", "member.transferred", "2022-03-01", "C2"),
            ("M1", "member.working_away_started", "2022-02-20", "C1"),  # before the move: stays
            ("M2", "member.rated", "2022-03-15", "C1")]  # another member: untouched


def test_a_late_transfer_moves_the_facts_it_precedes_in_the_live_projection(tmp_path):
    h = History(tmp_path)
    try:
        late_transfer(h)
        assert fact_units(h.generations()) == EXPECTED
    finally:
        h.close()


def test_a_bulk_replay_moves_them_the_same_and_agrees_with_live(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_replay, "PAGE", 2)  # the facts and the transfer on different pages
    h = History(tmp_path)
    try:
        late_transfer(h)
        g = h.generations()
        live = g.checksum()
        g.replay()
        assert fact_units(g) == EXPECTED
        assert g.checksum() == live
    finally:
        h.close()


def test_a_transfer_recorded_in_date_order_moves_nothing_back(tmp_path):
    """The usual order: nothing dated after the transfer existed yet; earlier facts stay put."""
    h = History(tmp_path)
    try:
        two_cells(h, ("M1",))
        h.add("member.rated", "2022-01-15", {"member_id": "M1", "year": 2021, "rating": "good"}, org_unit_id="C1")
        h.add("member.transferred", "2022-03-01", {"member_id": "M1", "from_org_unit_id": "C1",
                                                   "to_org_unit_id": "C2", "kind": "official"}, org_unit_id="C2")
        g = h.generations()
        assert fact_units(g) == [("M1", "member.rated", "2022-01-15", "C1"),
                                 ("M1", "member.transferred", "2022-03-01", "C2")]
        live = g.checksum()
        g.replay()
        assert g.checksum() == live
    finally:
        h.close()
