"""D3 transfers (DOMAIN.md §3, §7.4): the papers are presented to the new unit within 30 working days
of an official transfer; overdue = a warning, from the day after the limit to the day they are
presented (or the member leaves the rolls). Checked as an independent tester would, on the day
before, the day of and the day after each limit, with the public holidays of 2024 in between, and
with the lists read from the facts and the pages read from the kept spans agreeing on every day.

A member transferred again before presenting the papers owes them to the latest unit only: the
new transfer replaces the time limit of the one before (as the members service's own deadline
list and its record do), so a member still within the new unit's limit is not listed, and a
member late at the latest unit is listed once, not once per transfer.
"""
import datetime as dt

from services.reporting import warning_pages, warning_spans
from services.reporting.early_warnings import warnings

from tests.unit.reporting.test_warnings import live_and_replay_agree


def province(h):
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "G1", "name": "Đảng bộ xã Long Thành",
                                             "kind": "grassroots_committee", "parent_id": "TN"})
    for cell in ("C1", "C2", "C3"):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ ấp {cell}", "kind": "cell",
                                                 "parent_id": "G1"})


def admitted(h, member, cell="C1"):
    h.add("member.admitted", "2020-01-15", {"member_id": member, "org_unit_id": cell, "full_name": "Võ Văn Tâm",
                                            "birth_date": "1990-01-01", "sex": "male"})
    h.add("member.recognized_official", "2021-01-15", {"member_id": member, "decided_on": "2021-01-20"})


def moved(h, member, on, src, dst, purpose=None):
    h.add("member.transferred", on, {"member_id": member, "from_org_unit_id": src, "to_org_unit_id": dst,
                                     "kind": "official", **({"purpose": purpose} if purpose else {})})


def overdue(h, day: str) -> tuple[list, list]:
    """(member, unit, since) of the papers overdue on ``day``: from the facts, from the spans."""
    on = dt.date.fromisoformat(day)
    view = h.view(as_of=on)
    from_facts = sorted((r["member_id"], r["org_unit_id"], r["since"]) for r in warnings(view, None, on.year)["rows"]
                        if r["list"] == "transfer_papers_overdue")
    assert warning_spans.usable(view, on.year)
    from_spans = sorted((r["member_id"], r["org_unit_id"], r.get("since")) for r in
                        warning_pages.whole(view, None, on.year)["rows"] if r["list"] == "transfer_papers_overdue")
    return from_facts, from_spans


def test_a_second_transfer_replaces_the_first_ones_time_limit(history):
    province(history)
    admitted(history, "M1")
    # C1 → C2 on 01/03/2024 (papers due 12/04/2024), then C2 → C3 on 20/03/2024 before presenting them:
    # 30 working days from 20/03/2024 skip Hùng Kings' day 18/04, 29/04 (moved), 30/04 and 01/05, and
    # count the make-up Saturday 04/05 — due 06/05/2024
    moved(history, "M1", "2024-03-01", "C1", "C2")
    moved(history, "M1", "2024-03-20", "C2", "C3")
    history.add("member.transfer_papers_presented", "2024-05-10", {"member_id": "M1", "org_unit_id": "C3"})
    late = [("M1", "C3", "06/05/2024")]
    expected = {
        "2024-04-12": [], "2024-04-13": [],  # the first transfer's limit no longer stands
        "2024-05-05": [], "2024-05-06": [],  # the day before and the day of the latest limit
        "2024-05-07": late,                  # the day after: listed once, at the unit it is due at
        "2024-05-09": late,
        "2024-05-10": [],                    # cleared the day they are presented
    }
    for day, rows in expected.items():
        assert overdue(history, day) == (rows, rows), day
    live_and_replay_agree(history)


def test_papers_due_when_the_cell_merges_are_presented_at_the_successor(history):
    """The merge asks for no papers of its own; the papers already due stay due (at the successor)
    until presented, and clear on that day."""
    province(history)
    admitted(history, "M2")
    moved(history, "M2", "2024-03-01", "C1", "C2")
    moved(history, "M2", "2024-03-10", "C2", "C3", purpose="merge")
    history.add("org_unit.merged", "2024-03-10", {"org_unit_id": "C2", "into_org_unit_id": "C3"})
    history.add("member.transfer_papers_presented", "2024-04-20", {"member_id": "M2", "org_unit_id": "C3"})
    late = [("M2", "C3", "12/04/2024")]
    for day, rows in {"2024-04-11": [], "2024-04-12": [], "2024-04-13": late, "2024-04-19": late,
                      "2024-04-20": []}.items():
        assert overdue(history, day) == (rows, rows), day
    live_and_replay_agree(history)


def test_a_member_who_dies_with_papers_overdue_leaves_the_list_that_day(history):
    province(history)
    admitted(history, "M3")
    moved(history, "M3", "2024-03-01", "C1", "C2")
    history.add("member.died", "2024-04-15", {"member_id": "M3"})
    late = [("M3", "C2", "12/04/2024")]
    for day, rows in {"2024-04-12": [], "2024-04-13": late, "2024-04-14": late, "2024-04-15": []}.items():
        assert overdue(history, day) == (rows, rows), day
    live_and_replay_agree(history)


def away(h, day: str) -> tuple[list, list]:
    """(list, member, unit) of the working-away warnings on ``day``: from the facts, from the spans."""
    on = dt.date.fromisoformat(day)
    view = h.view(as_of=on)
    kinds = ("working_away_overdue", "working_away_no_contact")
    from_facts = sorted((r["list"], r["member_id"], r["org_unit_id"]) for r in warnings(view, None, on.year)["rows"]
                        if r["list"] in kinds)
    from_spans = sorted((r["list"], r["member_id"], r["org_unit_id"]) for r in
                        warning_pages.whole(view, None, on.year)["rows"] if r["list"] in kinds)
    return from_facts, from_spans


def test_working_away_warnings_follow_the_member_and_clear_on_the_right_day(history):
    """D0/D3 "members who work away are loosely managed": away past the expected return is listed
    from the day after it, at the unit the member is in that day (moved mid-way: the new cell), off
    the list the day they come back or die; without a contact from the day they left; a new stay
    is judged by its own expected return."""
    province(history)
    for m in ("M1", "M2", "M3"):
        admitted(history, m)
    history.add("member.working_away_started", "2024-01-10",
                {"member_id": "M1", "place": "Bình Dương", "expected_return": "2024-06-30"})
    moved(history, "M1", "2024-04-01", "C1", "C2")
    history.add("member.transfer_papers_presented", "2024-04-05", {"member_id": "M1", "org_unit_id": "C2"})
    history.add("member.working_away_ended", "2024-07-20", {"member_id": "M1"})
    history.add("member.working_away_started", "2024-02-01",
                {"member_id": "M2", "place": "Đồng Nai", "contact": "sealed:x", "expected_return": "2024-05-31"})
    history.add("member.died", "2024-06-10", {"member_id": "M2"})
    history.add("member.working_away_started", "2024-03-01",
                {"member_id": "M3", "place": "Long An", "contact": "sealed:y", "expected_return": "2024-04-30"})
    history.add("member.working_away_ended", "2024-04-15", {"member_id": "M3"})
    history.add("member.working_away_started", "2024-05-01",
                {"member_id": "M3", "place": "Long An", "contact": "sealed:z", "expected_return": "2024-08-31"})
    no_contact_c1, no_contact_c2 = ("working_away_no_contact", "M1", "C1"), ("working_away_no_contact", "M1", "C2")
    m1_late, m2_late = ("working_away_overdue", "M1", "C2"), ("working_away_overdue", "M2", "C1")
    m3_late = ("working_away_overdue", "M3", "C1")
    expected = {
        "2024-01-09": [], "2024-01-10": [no_contact_c1], "2024-03-31": [no_contact_c1],
        "2024-04-01": [no_contact_c2],                       # moved mid-way: the new cell's
        "2024-05-01": [no_contact_c2],                       # M3 away again, due 31/08: not late
        "2024-05-31": [no_contact_c2], "2024-06-01": [no_contact_c2, m2_late],
        "2024-06-09": [no_contact_c2, m2_late], "2024-06-10": [no_contact_c2],  # M2 died that day
        "2024-06-30": [no_contact_c2], "2024-07-01": [m1_late, no_contact_c2],
        "2024-07-19": [m1_late, no_contact_c2], "2024-07-20": [],  # back home that day
        "2024-08-31": [], "2024-09-01": [m3_late],
    }
    for day, rows in expected.items():
        assert away(history, day) == (sorted(rows), sorted(rows)), day
    live_and_replay_agree(history)
