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
