"""Early-warning lists (DOMAIN.md §7.4; D0 "detect in time"): what a cell secretary is shown."""
import datetime as dt

from services.reporting.early_warnings import warnings


def tree_and_members(h, *members):
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1", "kind": "grassroots_cell",
                                             "parent_id": "TN"})
    for m in members:
        h.add("member.transferred_in", "2020-02-01", {"member_id": m, "org_unit_id": "C1", "full_name": "Hồ Văn Nam",
                                                      "birth_date": "1988-01-01", "sex": "male", "origin": "Long An"})


def lists(h, on, year=2024):
    rows = warnings(h.view(as_of=on), None, year)["rows"]
    return {(r["list"], r["member_id"]) for r in rows}


def test_working_away_past_the_expected_return_and_without_contact(history):
    tree_and_members(history, "M1", "M2", "M3", "M4")
    history.add("member.working_away_started", "2024-01-10",
                {"member_id": "M1", "place": "Bình Dương", "contact": "sealed:abc", "expected_return": "2024-06-30"})
    history.add("member.working_away_started", "2024-02-01", {"member_id": "M2", "place": "TP. Hồ Chí Minh"})
    history.add("member.working_away_started", "2024-01-10",
                {"member_id": "M3", "place": "Đồng Nai", "contact": "sealed:def", "expected_return": "2024-03-01"})
    history.add("member.working_away_ended", "2024-02-20", {"member_id": "M3"})
    history.add("member.working_away_started", "2024-01-10",
                {"member_id": "M4", "place": "Long An", "contact": "sealed:ghi", "expected_return": "2024-12-31"})

    before = lists(history, dt.date(2024, 6, 30))
    assert ("working_away_overdue", "M1") not in before  # due today: not yet late
    after = lists(history, dt.date(2024, 7, 1))
    assert ("working_away_overdue", "M1") in after
    assert ("working_away_no_contact", "M2") in after and ("working_away_no_contact", "M1") not in after
    assert not {m for l, m in after if l.startswith("working_away") and m in ("M3", "M4")}  # back home / not due


def test_an_exemption_past_its_end_is_overdue_until_it_is_ended_or_renewed(history):
    """D3 (DOMAIN.md §3, §7.4): an exemption on other grounds runs to its end date; from the day
    after, until the exemption is ended (or replaced by a new exemption decision, a renewal), the
    member is on the "exemption past its end" list. Ending it later does not erase the days it
    was overdue, and a renewed exemption is judged by its own end date, not the one it replaced.
    The lists read from the facts and the pages read from the kept spans agree on every day."""
    from services.reporting import warning_pages, warning_spans
    tree_and_members(history, "M1", "M2", "M3", "M4")
    history.add("member.exempted", "2024-01-01", {"member_id": "M1", "ground": "work", "until": "2024-06-30"})
    history.add("member.exemption_ended", "2024-07-15", {"member_id": "M1"})
    history.add("member.exempted", "2024-01-01", {"member_id": "M2", "ground": "work", "until": "2024-03-31"})
    history.add("member.exempted", "2024-03-25", {"member_id": "M2", "ground": "work", "until": "2024-12-31"})
    expected = {
        "2024-03-31": set(), "2024-04-01": set(),                 # M2 renewed before its first end date
        "2024-06-30": set(), "2024-07-01": {"M1"}, "2024-07-14": {"M1"},  # M1: the day after its end, …
        "2024-07-15": set(),                                      # … until the day it is ended
        "2024-12-31": set(), "2025-01-01": {"M2"},                # M2: the day after the renewal's end
    }
    for day, members in expected.items():
        on = dt.date.fromisoformat(day)
        view = history.view(as_of=on)
        from_facts = {r["member_id"] for r in warnings(view, None, on.year)["rows"] if r["list"] == "exemption_overdue"}
        assert warning_spans.usable(view, on.year)
        from_spans = {r["member_id"] for r in warning_pages.whole(view, None, on.year)["rows"]
                      if r["list"] == "exemption_overdue"}
        assert (from_facts, from_spans) == (members, members), day
    live_and_replay_agree(history)


def live_and_replay_agree(history) -> None:
    """The live projection (events one by one) keeps the rows and spans a bulk replay writes."""
    from services.reporting.generations import Generations
    from shared.readmodel import ReadModelDB
    from tests.unit.reporting.test_bulk_replay import live
    one_by_one = live(history, f"sqlite:///{history.folder}/live.read.db")
    replayed = Generations(ReadModelDB(f"sqlite:///{history.folder}/replayed.read.db"), history.stores)
    assert replayed.replay()["checksum"] == one_by_one.checksum() == history.generations().checksum()
    one_by_one.db.close()
    replayed.db.close()


def test_two_years_not_complete_are_listed_from_the_day_the_second_rating_is_given(history):
    """Chỉ thị 28 screening (DOMAIN.md §3, §7.4): a member rated "not complete" two years running is
    on the year's screening list from the day the second such rating is given, not from the
    year's first day (the list as of a day before it cannot know it); a rating corrected later
    takes the member off from the correction's day. The facts lists and the kept spans agree."""
    from services.reporting import warning_pages, warning_spans
    tree_and_members(history, "M1", "M2", "M3")
    for member, year, on, rating in (("M1", 2024, "2024-12-20", "not_complete"),
                                     ("M1", 2025, "2025-12-15", "not_complete"),
                                     ("M2", 2024, "2025-01-10", "not_complete"),  # given late, in the next year
                                     ("M2", 2025, "2025-06-01", "not_complete"),
                                     ("M2", 2025, "2025-09-01", "complete"),      # corrected
                                     ("M3", 2024, "2024-12-20", "complete"),
                                     ("M3", 2025, "2025-12-15", "not_complete")):
        history.add("member.rated", on, {"member_id": member, "year": year, "rating": rating})
    expected = {"2025-01-09": set(), "2025-05-31": set(), "2025-06-01": {"M2"}, "2025-08-31": {"M2"},
                "2025-09-01": set(), "2025-12-14": set(), "2025-12-15": {"M1"}, "2025-12-31": {"M1"}}
    for day, members in expected.items():
        on = dt.date.fromisoformat(day)
        view = history.view(as_of=on)
        from_facts = {r["member_id"] for r in warnings(view, None, 2025)["rows"] if r["list"] == "not_complete_twice"}
        assert warning_spans.usable(view, 2025)
        from_spans = {r["member_id"] for r in warning_pages.whole(view, None, 2025)["rows"]
                      if r["list"] == "not_complete_twice"}
        assert (from_facts, from_spans) == (members, members), day
    # a past year is judged on its last day
    later = history.view(as_of=dt.date(2026, 3, 1))
    assert {r["member_id"] for r in warnings(later, None, 2025)["rows"] if r["list"] == "not_complete_twice"} == {"M1"}
    live_and_replay_agree(history)
