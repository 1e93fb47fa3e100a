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
    # the live projection (events one by one) keeps the spans a bulk replay writes
    from services.reporting.generations import Generations
    from shared.readmodel import ReadModelDB
    from tests.unit.reporting.test_bulk_replay import live
    one_by_one = live(history, f"sqlite:///{history.folder}/live.read.db")
    replayed = Generations(ReadModelDB(f"sqlite:///{history.folder}/replayed.read.db"), history.stores)
    assert replayed.replay()["checksum"] == one_by_one.checksum() == history.generations().checksum()
    one_by_one.db.close()
    replayed.db.close()
