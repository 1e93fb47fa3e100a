"""A decision counts in the unit the member belonged to on the decision day (DOMAIN.md: a case
belongs to the organisation where the violation was judged). When the stored decision does not name
its unit (older or imported cases), the reporting projection takes the member's stint on that day,
not wherever the member stands when the event is applied: a member who moved after the decision
does not take the case along, and the live projection and a bulk replay agree."""
from __future__ import annotations

from tests.unit.reporting.history import History, two_cells


def moved_after_a_decision(h: History) -> None:
    two_cells(h)
    h.add("member.transferred", "2022-01-10", {"member_id": "M1", "from_org_unit_id": "C1",
                                               "to_org_unit_id": "C2", "kind": "official"}, org_unit_id="C2")
    h.flush()
    # recorded after the move, naming no unit: decided while the member was in C1, and after it in C2
    h.add("discipline.applied", "2021-06-01", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2021-05-01"})
    h.add("discipline.applied", "2022-03-01", {"case_id": "K2", "subject_kind": "member", "subject_id": "M1",
                                               "form": "warning", "violation_on": "2022-02-01"})
    # on the day of the move itself the member is already in the new cell
    h.add("discipline.applied", "2022-01-10", {"case_id": "K3", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2021-12-01"})
    h.flush()


EXPECTED = [("K1", "C1"), ("K2", "C2"), ("K3", "C2")]


def case_units(g) -> list[tuple[str, str]]:
    return sorted(g.db.query(f"SELECT case_id, org_unit_id FROM {g.prefix}cases"))


def test_a_decision_naming_no_unit_counts_where_the_member_was_on_the_decision_day(tmp_path):
    h = History(tmp_path)
    try:
        moved_after_a_decision(h)
        g = h.generations()  # the live projection, event by event
        assert case_units(g) == EXPECTED
    finally:
        h.close()


def test_a_bulk_replay_puts_the_decision_in_the_same_unit_as_the_live_projection(tmp_path):
    h = History(tmp_path)
    try:
        moved_after_a_decision(h)
        g = h.generations()
        live = g.checksum()
        g.replay()
        assert case_units(g) == EXPECTED
        assert g.checksum() == live
    finally:
        h.close()
