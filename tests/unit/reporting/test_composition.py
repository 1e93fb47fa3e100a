"""Composition (DOMAIN.md §7.3) on a small history: given members who are young, demobilised,
away, abroad, exempt, on a temporary transfer, probationary and rated, when the report is drawn on a
day, then each count is what the Organisation Board would count by hand — at both edges of each
situation, and as known at a past recording time."""
from __future__ import annotations

import datetime as dt

from services.reporting.member_composition import composition

D = dt.date
UTC = dt.timezone.utc


def admit(h, member, on, unit, birth="1970-01-01", demobilised="none"):
    h.add("member.admitted", on, {"member_id": member, "org_unit_id": unit, "full_name": "Lê Văn C",
                                  "birth_date": birth, "sex": "male", "demobilised": demobilised}, org_unit_id=unit)
    if on < "2020-01-01":
        h.add("member.recognized_official", on.replace("2010", "2011"), {"member_id": member})


def recorded_the_same_day(h):
    """Every fact recorded on its own day (unless told otherwise), as a diligent clerk would."""
    add = h.add

    def same_day(type_, on, data, org_unit_id=None, recorded_at=None):
        day = dt.date.fromisoformat(on)
        add(type_, on, data, org_unit_id, recorded_at or dt.datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    h.add = same_day


def world(h):
    recorded_the_same_day(h)
    h.add("org_unit.created", "2009-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy", "kind": "province"})
    h.add("org_unit.created", "2009-01-01", {"org_unit_id": "D1", "name": "Huyện ủy 1", "kind": "direct",
                                             "parent_id": "TN"})
    h.add("org_unit.created", "2009-01-01", {"org_unit_id": "C1", "name": "Chi bộ 1", "kind": "grassroots_cell",
                                             "parent_id": "D1"})
    h.add("org_unit.created", "2009-01-01", {"org_unit_id": "C2", "name": "Chi bộ 2", "kind": "grassroots_cell",
                                             "parent_id": "TN"})
    admit(h, "M1", "2020-01-10", "C1", birth="1998-05-01", demobilised="army")
    h.add("member.recognized_official", "2021-01-10", {"member_id": "M1"})
    admit(h, "M2", "2023-06-01", "C1")
    h.add("member.recognized_official", "2024-06-01", {"member_id": "M2"})
    admit(h, "M3", "2010-01-01", "C2", demobilised="police")
    h.add("member.working_away_started", "2024-03-01", {"member_id": "M3", "place": "Bình Dương"},
          recorded_at=dt.datetime(2025, 2, 1, 3, tzinfo=UTC))  # recorded late
    admit(h, "M4", "2010-01-01", "C2")
    h.add("member.abroad_started", "2024-02-01", {"member_id": "M4", "country": "Hàn Quốc"})
    h.add("member.abroad_ended", "2024-10-01", {"member_id": "M4"})
    admit(h, "M5", "2010-01-01", "C1")
    h.add("member.transferred", "2024-05-01", {"member_id": "M5", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "temporary", "until": "2025-03-01"})
    admit(h, "M6", "2010-01-01", "C2")
    h.add("member.exempted", "2024-01-01", {"member_id": "M6", "ground": "old_age"})
    h.add("member.removed", "2024-11-01", {"member_id": "M6", "ground": "no_progress"})
    admit(h, "M7", "2024-09-01", "C2", birth="2000-02-02")
    for member, rating in (("M1", "excellent"), ("M2", "good"), ("M3", "complete"), ("M5", "not_complete")):
        h.add("member.rated", "2024-12-20", {"member_id": member, "year": 2024, "rating": rating})


def counts(report) -> dict:
    return {(r["group"], r["key"]): r["value"] for r in report["rows"]}


def test_composition_of_the_province_at_the_end_of_2024(history):
    world(history)
    c = counts(composition(history.view(as_of=D(2024, 12, 31)), None, 2024))
    assert c[("total", "members")] == 6  # M6 removed on 1/11
    assert (c[("status", "official")], c[("status", "probationary")]) == (5, 1)  # M7 admitted 1/9/2024
    assert {k: c[("category", k)] for k in ("young", "army", "police", "working_away", "abroad", "exempt",
                                            "temporary")} == \
        {"young": 2, "army": 1, "police": 1, "working_away": 1, "abroad": 0, "exempt": 0, "temporary": 1}
    assert [c[("rating", k)] for k in ("excellent", "good", "complete", "not_complete", "not_rated")] == \
        [1, 1, 1, 1, 2]


def test_a_subtree_counts_the_temporary_member_at_home(history):
    world(history)
    report = composition(history.view(as_of=D(2024, 12, 31)), "D1", 2024)
    c = counts(report)
    assert c[("total", "members")] == 3 and c[("category", "temporary")] == 1  # M1, M2, M5 (away in C2)
    assert report["unit_name"] == "Huyện ủy 1" and report["as_of_vi"] == "31/12/2024"
    assert [r["label_vi"] for r in report["rows"]][:3] == ["Tổng số đảng viên", "Đảng viên dự bị",
                                                           "Đảng viên chính thức"]


def test_each_situation_at_both_edges(history):
    world(history)

    def on(day):
        return counts(composition(history.view(as_of=day), None, 2024))
    assert on(D(2024, 9, 30))[("category", "abroad")] == 1 and on(D(2024, 10, 1))[("category", "abroad")] == 0
    assert on(D(2024, 10, 31))[("category", "exempt")] == 1 and on(D(2024, 11, 1))[("category", "exempt")] == 0
    assert on(D(2024, 10, 31))[("total", "members")] == 7 and on(D(2024, 11, 1))[("total", "members")] == 6
    assert on(D(2025, 2, 28))[("category", "temporary")] == 1 and on(D(2025, 3, 1))[("category", "temporary")] == 0
    assert on(D(2024, 5, 31))[("status", "probationary")] == 1 and on(D(2024, 6, 1))[("status", "probationary")] == 0
    assert on(D(2024, 8, 31))[("status", "probationary")] == 0 and on(D(2024, 9, 1))[("status", "probationary")] == 1
    assert on(D(2024, 12, 19))[("rating", "not_rated")] == 6  # no rating given yet


def test_as_known_at_a_past_time_the_late_record_is_not_yet_in(history):
    world(history)
    before = composition(history.view(as_of=D(2024, 12, 31), known_at=dt.datetime(2025, 1, 31, 16, 59, tzinfo=UTC)),
                         None, 2024)
    after = composition(history.view(as_of=D(2024, 12, 31), known_at=dt.datetime(2025, 2, 1, 4, tzinfo=UTC)),
                        None, 2024)
    assert counts(before)[("category", "working_away")] == 0 and counts(after)[("category", "working_away")] == 1


def test_an_exemption_on_other_grounds_counts_until_its_last_day(history):
    """DOMAIN.md §3: an exemption on other grounds is decided for at most 12 months and runs out by
    itself after its end date (the members service then expects the member at meetings again);
    the composition counts the member as exempt through that day, not after — whether or not the
    end was recorded (an end recorded earlier ends it then). One renewed before its end counts on."""
    world(history)
    admit(history, "E1", "2010-01-01", "C2")
    history.add("member.exempted", "2024-03-01", {"member_id": "E1", "ground": "maternity", "until": "2024-08-31"})
    admit(history, "E2", "2010-01-01", "C2")
    history.add("member.exempted", "2024-03-01", {"member_id": "E2", "ground": "maternity", "until": "2024-08-31"})
    history.add("member.exempted", "2024-08-20", {"member_id": "E2", "ground": "maternity", "until": "2025-02-28"})
    admit(history, "E3", "2010-01-01", "C2")
    history.add("member.exempted", "2024-03-01", {"member_id": "E3", "ground": "maternity", "until": "2024-12-31"})
    history.add("member.exemption_ended", "2024-07-01", {"member_id": "E3"})

    def exempt(day):
        return counts(composition(history.view(as_of=day), "C2", 2024))[("category", "exempt")]
    # M6 (old age, no end) is exempt until removed on 01/11/2024
    assert [exempt(D(2024, 6, 30)), exempt(D(2024, 7, 1)), exempt(D(2024, 8, 31)), exempt(D(2024, 9, 1))] == \
        [4, 3, 3, 2]
    assert [exempt(D(2024, 11, 1)), exempt(D(2025, 2, 28)), exempt(D(2025, 3, 1))] == [1, 1, 0]
