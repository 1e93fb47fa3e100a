"""Party dues as the cell's treasurer records them, without a database: the fact and where it is
filed, each refusal and what it names, and the limits (the month not yet come, 12 reduced months in
a row, 50 years of party age) at both sides of their edges.

Written from the survivors of a mutation run of ``services/meetings/dues.py`` (see
docs/mutation-testing.md).
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.meetings import dues
from services.meetings import member_year as my
from services.meetings import rules as R
from services.meetings.roster import Stint, Timeline
from shared.contracts.meetings import RecordDues
from shared.rules import rules_on

from tests.unit.domain.given import refused, types

D = dt.date
TODAY = D(2025, 6, 15)
TIMELINE = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), None),), admitted_on=D(1975, 6, 20))


def record(month="2025-03", status="paid", years=None, timeline=TIMELINE, today=TODAY, **fields):
    cmd = RecordDues(member_id="M1", month=month, status=status, occurred_on=D(2025, 6, 10), **fields)
    return dues.record_dues(years or {}, timeline, cmd, today, rules_on(dues_month_start(month)))


def dues_month_start(month):
    return my.month_start(month)


def reduced(*months, year=2025):
    return {year: my.MemberYear(dues={m: my.DuesMonth("reduced", 50) for m in months})}


def test_the_dues_fact_goes_to_the_members_year_record_under_the_cell_of_that_month():
    [d] = record(status="reduced", reduction_pct=30)
    assert (d.payload.TYPE, d.occurred_on, d.org_unit_id, d.stream) == \
        ("dues.recorded", D(2025, 6, 10), "C1", "absences-M1-2025")
    assert (d.payload.member_id, d.payload.month, d.payload.status, d.payload.reduction_pct,
            d.payload.exemption_ground) == ("M1", "2025-03", "reduced", 30, None)
    # the same record again: nothing new
    same = {2025: my.MemberYear(dues={"2025-03": my.DuesMonth("reduced", 30)})}
    assert record(status="reduced", reduction_pct=30, years=same) == []
    assert types(record(status="reduced", reduction_pct=50, years=same)) == ["dues.recorded"]


def test_the_cell_of_the_month_is_the_one_on_its_last_day_else_the_last_one_in_it():
    moved = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), D(2025, 3, 20)), Stint("M1", "C2", D(2025, 3, 20), None)))
    assert record(timeline=moved)[0].org_unit_id == "C2"
    assert record(month="2025-02", timeline=moved)[0].org_unit_id == "C1"
    left = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), D(2025, 3, 10)), Stint("M1", "C3", D(2025, 3, 10),
                                                                                     D(2025, 3, 20))))
    assert record(timeline=left)[0].org_unit_id == "C3"
    # a stint ending on the first day of the month does not count for it; one starting the first day does
    gone = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), D(2025, 3, 1)),))
    error = refused(lambda: record(timeline=gone), R.NOT_ON_ROSTER_IN_MONTH)
    assert error.message_en == "Member 'M1' belonged to no cell in 03/2025"
    assert record(month="2025-02", timeline=gone)[0].org_unit_id == "C1"
    late = Timeline("M1", (Stint("M1", "C4", D(2025, 4, 1), None),))
    refused(lambda: record(timeline=late), R.NOT_ON_ROSTER_IN_MONTH)
    assert record(month="2025-04", timeline=late)[0].org_unit_id == "C4"
    assert dues.cell_for_month(Timeline("M1", (Stint("M1", "C5", D(2025, 3, 31), D(2025, 4, 1)),)), "2025-03") == "C5"
    assert refused(lambda: record(timeline=None), R.MEMBER_NOT_FOUND).message_en == "Member 'M1' not found"


@pytest.mark.parametrize("month, allowed", [("2025-05", True), ("2025-06", True), ("2025-07", False)])
def test_unpaid_dues_only_for_a_month_that_has_come(month, allowed):
    if allowed:
        assert types(record(month=month, status="unpaid"))[0] == "dues.recorded"
    else:
        error = refused(lambda: record(month=month, status="unpaid"), R.DUES_MONTH_IN_FUTURE)
        assert error.message_en == ("07/2025 has not come yet (today 15/06/2025); only advance payment can be "
                                    "recorded")
        assert types(record(month=month, status="paid")) == ["dues.recorded"]


def test_a_reduction_takes_a_listed_rate_only_with_reduced_status():
    error = refused(lambda: record(status="reduced", reduction_pct=40), R.REDUCTION_RATE_INVALID)
    assert error.message_en == "The dues reduction must be one of: 30 %, 50 %, 70 %"
    for pct in (30, 50, 70):
        assert types(record(status="reduced", reduction_pct=pct)) == ["dues.recorded"]
    refused(lambda: record(status="paid", reduction_pct=30), R.REDUCTION_WITHOUT_REDUCED)


@pytest.mark.parametrize("before, after, allowed", [(11, 0, True), (12, 0, False), (5, 6, True), (6, 6, False)])
def test_at_most_12_reduced_months_in_a_row_counting_both_sides(before, after, allowed):
    def shift(n):
        return dues.add_months("2025-03", n)
    months = [shift(-i) for i in range(1, before + 1)] + [shift(i) for i in range(1, after + 1)]
    years = {}
    for m in months:
        y = int(m[:4])
        years.setdefault(y, my.MemberYear(dues={}))
        years[y].dues[m] = my.DuesMonth("reduced", 50)
    if allowed:
        assert types(record(status="reduced", reduction_pct=50, years=years)) == ["dues.recorded"]
    else:
        error = refused(lambda: record(status="reduced", reduction_pct=50, years=years), R.REDUCTION_TOO_LONG)
        assert error.message_en == "Dues reduced for more than 12 months in a row (03/2025)"


def test_a_paid_month_breaks_the_reduced_run():
    years = {2024: my.MemberYear(dues={**{f"2024-{m:02d}": my.DuesMonth("reduced", 50) for m in range(4, 13)},
                                       "2024-03": my.DuesMonth("paid")}),
             2025: my.MemberYear(dues={"2025-01": my.DuesMonth("reduced", 50), "2025-02": my.DuesMonth("reduced", 50)})}
    assert dues.reduced_run({**years[2024].dues, **years[2025].dues}, "2025-03") == 12
    assert types(record(status="reduced", reduction_pct=50, years=years)) == ["dues.recorded"]


def test_an_exemption_names_its_ground():
    error = refused(lambda: record(status="exempt"), R.EXEMPTION_GROUND_REQUIRED)
    assert error.message_vi == ("Miễn đảng phí phải ghi căn cứ: tuổi đảng từ 50 năm trở lên, hưởng trợ cấp xã hội, "
                                "hộ nghèo, ốm đau nặng")
    assert error.message_en == ("An exemption from dues needs its ground: party_age_50, social_pension, "
                                "poor_household, serious_illness")
    [d] = record(status="exempt", exemption_ground="poor_household")
    assert d.payload.exemption_ground == "poor_household"
    refused(lambda: record(status="paid", exemption_ground="poor_household"), R.GROUND_WITHOUT_EXEMPT)


@pytest.mark.parametrize("admitted, allowed", [(D(1975, 3, 30), True), (D(1975, 3, 31), True),
                                               (D(1975, 4, 1), False)])
def test_party_age_of_50_years_is_reached_by_the_months_last_day(admitted, allowed):
    t = Timeline("M1", TIMELINE.stints, admitted_on=admitted)
    if allowed:
        assert types(record(status="exempt", exemption_ground="party_age_50", timeline=t)) == ["dues.recorded"]
    else:
        error = refused(lambda: record(status="exempt", exemption_ground="party_age_50", timeline=t),
                        R.PARTY_AGE_TOO_LOW)
        assert error.message_en == ("Party age 49 years (admitted 01/04/1975) is under the 50 years that exempt "
                                    "from dues")
    # no admission day known (transferred in without it): not checked
    assert types(record(status="exempt", exemption_ground="party_age_50",
                        timeline=Timeline("M1", TIMELINE.stints))) == ["dues.recorded"]


def test_party_age_in_whole_years():
    assert dues.party_age_years(D(1975, 3, 31), D(2025, 3, 30)) == 49
    assert dues.party_age_years(D(1975, 3, 31), D(2025, 3, 31)) == 50
    assert dues.party_age_years(D(1975, 3, 31), D(2025, 4, 1)) == 50
    assert dues.month_vi("2025-03") == "03/2025"
    assert (dues.add_months("2025-12", 1), dues.add_months("2025-01", -1), dues.add_months("2025-03", 12)) == \
        ("2026-01", "2024-12", "2026-03")


def test_unpaid_months_warn_in_the_members_year_record():
    [d, w] = record(status="unpaid")
    assert (w.payload.TYPE, w.payload.member_id, w.payload.year, w.payload.kind, w.payload.count, w.payload.level) == \
        ("attendance.warning_raised", "M1", 2025, "unpaid_dues", 1, "warning")
    assert (w.occurred_on, w.org_unit_id, w.stream) == (D(2025, 6, 10), "C1", "absences-M1-2025")
    two = {2025: my.MemberYear(dues={"2025-01": my.DuesMonth("unpaid"), "2025-02": my.DuesMonth("unpaid")},
                               raised=frozenset({("unpaid_dues", 1), ("unpaid_dues", 2)}))}
    assert [x.payload.count for x in record(status="unpaid", years=two)[1:]] == [3]
    # last year's unpaid months do not count for this year
    last_year = {2024: my.MemberYear(dues={"2024-11": my.DuesMonth("unpaid"), "2024-12": my.DuesMonth("unpaid")})}
    assert [x.payload.count for x in record(status="unpaid", years=last_year)[1:]] == [1]


def test_the_cell_of_the_month_when_moved_on_its_last_day_or_several_times_before_it():
    last_day = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), D(2025, 3, 31)),
                               Stint("M1", "C2", D(2025, 3, 31), None)))
    assert dues.cell_for_month(last_day, "2025-03") == "C2"
    three = Timeline("M1", (Stint("M1", "C1", D(2016, 1, 1), D(2025, 3, 5)),
                            Stint("M1", "C2", D(2025, 3, 5), D(2025, 3, 12)),
                            Stint("M1", "C3", D(2025, 3, 12), D(2025, 3, 25))))
    assert dues.cell_for_month(three, "2025-03") == "C3"


def test_a_reduced_run_across_the_new_year_counts_next_years_months():
    years = {2025: my.MemberYear(dues={f"2025-{m:02d}": my.DuesMonth("reduced", 50) for m in range(6, 12)}),
             2026: my.MemberYear(dues={f"2026-{m:02d}": my.DuesMonth("reduced", 50) for m in range(1, 7)})}
    error = refused(lambda: record(month="2025-12", status="reduced", reduction_pct=50, years=years,
                                   today=D(2026, 7, 1)), R.REDUCTION_TOO_LONG)
    assert "(12/2025)" in error.message_en
    years[2026].dues.pop("2026-06")
    assert types(record(month="2025-12", status="reduced", reduction_pct=50, years=years, today=D(2026, 7, 1))) == \
        ["dues.recorded"]


def test_the_same_exemption_recorded_again_writes_nothing_another_ground_does():
    exempt = {2025: my.MemberYear(dues={"2025-03": my.DuesMonth("exempt", None, "poor_household")})}
    assert record(status="exempt", exemption_ground="poor_household", years=exempt) == []
    assert types(record(status="exempt", exemption_ground="serious_illness", years=exempt)) == ["dues.recorded"]


def test_party_age_of_a_member_transferred_in_counts_from_the_admission_they_bring():
    """A member transferred in from another province, admitted there on 01/06/2015, has a party
    age of 9 years in 2025: not exempt from dues on party age 50 (QĐ 01-QĐ/TW)."""
    from services.meetings import roster as r
    facts = [r.fact_from("e1", 1, "member.transferred_in", D(2024, 1, 10),
                         {"member_id": "M1", "org_unit_id": "C1", "status": "official", "admitted_on": "2015-06-01"})]
    t = r.timeline("M1", [f for f in facts if f])
    assert t.admitted_on == D(2015, 6, 1)
    error = refused(lambda: record(status="exempt", exemption_ground="party_age_50", timeline=t),
                    R.PARTY_AGE_TOO_LOW)
    assert "01/06/2015" in error.message_vi and error.field == "exemption_ground"
