"""QA pass on the members' time limits and quotas (DOMAIN.md §3), as an outside tester would check
them: each limit at the end of a month, where "the same day N months later" does not exist and the
count must agree with the edge the refusal names; a candidate's steps in their order; an exemption
that ran out by its own end date.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import candidates, domain, lifecycle, rating
from services.members import rules as R
from shared.contracts import members as c
from shared.dates import add_months, add_working_days
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
DAY = dt.timedelta(days=1)
ADMITTED = fact("member.admitted", D(2015, 2, 3), "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                sex="male")
OFFICIAL = fact("member.recognized_official", D(2016, 2, 3), "C1", member_id="M1")


def member(*later) -> domain.Member:
    return domain.fold_member([ADMITTED, OFFICIAL, *later])


def unit(org_unit_id: str) -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Đơn vị {org_unit_id}", kind="cell", parent_id="G1")])


def temporary(start, until, purpose="work"):
    cmd = c.TransferMember(member_id="M1", to_org_unit_id="C2", kind="temporary", until=until, purpose=purpose,
                           occurred_on=start)
    return lifecycle.transfer(member(), unit("C2"), cmd, rules_on(start))


# --- a temporary transfer of exactly 3 months from the end of a month ----------------------------------

@pytest.mark.parametrize("start", [D(2025, 1, 31), D(2025, 11, 30), D(2023, 11, 30), D(2025, 5, 31)])
@pytest.mark.parametrize("purpose", ["work", "study"])
def test_a_temporary_transfer_of_exactly_3_months_from_a_months_end_is_accepted(start, purpose):
    """31/01 + 3 months is 30/04 (no 31/04): the refusal itself names 3 months as the shortest, and
    the longest edge (1 year, 2 years) is counted the same way."""
    three = add_months(start, 3)
    assert types(temporary(start, three, purpose)) == ["member.transferred"]
    error = refused(lambda: temporary(start, three - DAY, purpose), R.TEMPORARY_TRANSFER_LENGTH)
    assert "từ 3 tháng" in error.message_vi


def test_the_year_and_two_years_edges_from_29_february():
    start = D(2024, 2, 29)
    assert types(temporary(start, D(2025, 2, 27))) == ["member.transferred"]
    refused(lambda: temporary(start, D(2025, 2, 28)), R.TEMPORARY_TRANSFER_LENGTH)   # a full year
    assert types(temporary(start, D(2026, 2, 28), "study")) == ["member.transferred"]
    refused(lambda: temporary(start, D(2026, 3, 1), "study"), R.TEMPORARY_TRANSFER_LENGTH)


# --- abroad and exemptions at a month's end --------------------------------------------------------------

def test_abroad_and_exemption_edges_from_a_months_end():
    start, rules = D(2024, 2, 29), rules_on(D(2024, 2, 29))
    year = D(2025, 2, 28)
    away = c.StartAbroad(member_id="M1", country="Lào", expected_return=year, occurred_on=start)
    refused(lambda: lifecycle.start_abroad(member(), away, rules), R.ABROAD_NEEDS_TRANSFER)
    ok = c.StartAbroad(member_id="M1", country="Lào", expected_return=year - DAY, occurred_on=start)
    assert types(lifecycle.start_abroad(member(), ok, rules)) == ["member.abroad_started"]
    for until, allowed in ((year, True), (year + DAY, False)):
        cmd = c.ExemptMember(member_id="M1", ground="maternity", until=until, occurred_on=start)
        if allowed:
            assert types(lifecycle.exempt(member(), cmd, rules, None)) == ["member.exempted"]
        else:
            refused(lambda: lifecycle.exempt(member(), cmd, rules, None), R.EXEMPTION_TOO_LONG)
    old_age = c.ExemptMember(member_id="M1", ground="old_age", occurred_on=start)
    assert types(lifecycle.exempt(member(), old_age, rules, None)) == ["member.exempted"]


# --- re-admission, recognition -----------------------------------------------------------------------------

def test_readmission_exactly_36_months_after_a_removal_on_29_february():
    gone = member(fact("member.removed", D(2024, 2, 29), "C1", member_id="M1", ground="no_progress"))
    rules = rules_on(D(2027, 2, 28))
    refused(lambda: lifecycle.check_readmission(gone, D(2027, 2, 27), rules), R.READMISSION_TOO_SOON)
    lifecycle.check_readmission(gone, D(2027, 2, 28), rules)
    barred = member(fact("member.resigned", D(2020, 1, 2), "C1", member_id="M1"))
    refused(lambda: lifecycle.check_readmission(barred, D(2025, 1, 2), rules), R.READMISSION_NOT_ALLOWED)


# --- the candidate's decision follows the cell's resolution ------------------------------------------------

REGISTERED = fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
                  birth_date="1990-01-01", education_level="upper_secondary")
CLASS = fact("candidate.awareness_class_completed", D(2023, 6, 1), "C1", candidate_id="Q1")
VERIFIED = fact("candidate.background_verified", D(2023, 9, 1), "C1", candidate_id="Q1")
RESOLVED = fact("candidate.cell_resolution_passed", D(2024, 3, 1), "C1", candidate_id="Q1")


@pytest.mark.parametrize("on, allowed", [(D(2024, 2, 29), False), (D(2024, 3, 1), True),
                                         (add_working_days(D(2024, 3, 1), 90), True)])
def test_the_admission_decision_is_not_dated_before_the_cell_resolution(on, allowed):
    cand = candidates.fold_candidate([REGISTERED, CLASS, VERIFIED, RESOLVED])
    cmd = c.DecideAdmission(candidate_id="Q1", member_id="M1", occurred_on=on)
    if allowed:
        assert types(candidates.decide_admission(cand, cmd, rules_on(on))) == ["candidate.admission_decided"]
    else:
        error = refused(lambda: candidates.decide_admission(cand, cmd, rules_on(on)),
                        R.ADMISSION_DECISION_BEFORE_RESOLUTION)
        assert "01/03/2024" in error.message_vi and "01/03/2024" in error.message_en


# --- the candidate's age, counted in months ----------------------------------------------------------------

@pytest.mark.parametrize("on, allowed", [(D(2024, 5, 14), False), (D(2024, 5, 15), True)])
def test_eighteen_at_the_resolution(on, allowed):
    rules = rules_on(on)
    if allowed:
        domain.check_admission_age(D(2006, 5, 15), on, None, rules)
    else:
        refused(lambda: domain.check_admission_age(D(2006, 5, 15), on, None, rules), R.TOO_YOUNG)


# --- the rating -----------------------------------------------------------------------------------------

def rate(who, points=None, level=None, year=2025, on=None, ratings=None):
    on = on or D(year, 12, 20)
    cmd = c.RateMember(member_id="M1", year=year, rating=level, points=points, occurred_on=on)
    return rating.rate(who, ratings or {}, [], cmd, rules_on(on), "G1")


@pytest.mark.parametrize("points, level", [(100, "excellent"), (90, "excellent"), (89, "good"), (70, "good"),
                                           (69, "complete"), (50, "complete"), (49, "not_complete"),
                                           (0, "not_complete")])
def test_the_100_point_scale_edges(points, level):
    ratings = {f"X{i}": "good" for i in range(9)}
    [d] = rate(member(), points, ratings=ratings)
    assert d.payload.rating == level


def test_the_scale_is_the_one_in_force_on_the_rating_day():
    [d] = rate(member(), level="good", year=2024, on=D(2025, 8, 31))
    assert d.payload.rating == "good"
    refused(lambda: rate(member(), level="good", year=2025, on=D(2025, 9, 1)), R.POINTS_REQUIRED)


def test_the_excellent_are_at_most_a_fifth_of_the_good_pool_counting_themselves():
    four_good = {f"X{i}": "good" for i in range(4)}
    assert [d.payload.rating for d in rate(member(), 95, ratings=four_good)] == ["excellent"]
    three_good = {f"X{i}": "good" for i in range(3)}
    refused(lambda: rate(member(), 95, ratings=three_good), R.EXCELLENT_QUOTA_EXCEEDED)
    one_excellent = {"X0": "excellent", **{f"X{i}": "good" for i in range(1, 9)}}
    assert [d.payload.rating for d in rate(member(), 95, ratings=one_excellent)] == ["excellent"]
    refused(lambda: rate(member(), 95, ratings={"X0": "excellent", **{f"X{i}": "good" for i in range(1, 8)}}),
            R.EXCELLENT_QUOTA_EXCEEDED)


def test_six_months_since_admission_at_the_years_end():
    def new(day):
        return domain.fold_member([fact("member.admitted", day, "C1", member_id="M1", org_unit_id="C1",
                                        birth_date="1990-05-01", sex="male")])
    assert types(rate(new(D(2025, 6, 30)), 80)) == ["member.rated"]
    refused(lambda: rate(new(D(2025, 7, 1)), 80), R.ADMITTED_TOO_RECENTLY)


def test_an_exemption_that_ran_out_by_its_end_date_does_not_keep_the_member_from_the_rating():
    """Exempt on other grounds until 31/03/2024 and no end recorded: in 2025 the member is no longer
    exempt (the meetings roster counts them again from 01/04/2024)."""
    ran_out = member(fact("member.exempted", D(2023, 4, 1), "C1", member_id="M1", ground="mobile_work",
                          until="2024-03-31"))
    assert types(rate(ran_out, 80)) == ["member.rated"]
    standing = member(fact("member.exempted", D(2025, 4, 1), "C1", member_id="M1", ground="mobile_work",
                           until="2026-03-31"))
    refused(lambda: rate(standing, 80), R.EXEMPT_NOT_RATED)
    for until, exempt in (("2025-12-20", True), ("2025-12-19", False)):   # rated on 20/12/2025
        edge = member(fact("member.exempted", D(2025, 1, 2), "C1", member_id="M1", ground="maternity", until=until))
        if exempt:
            refused(lambda: rate(edge, 80), R.EXEMPT_NOT_RATED)
        else:
            assert types(rate(edge, 80)) == ["member.rated"]
    open_ended = member(fact("member.exempted", D(2020, 4, 1), "C1", member_id="M1", ground="old_age"))
    refused(lambda: rate(open_ended, 80), R.EXEMPT_NOT_RATED)


def test_a_year_not_yet_begun_is_not_rated():
    """Rated on 20/12/2025 for 2026: the year's work (and any discipline in it) is not known yet."""
    error = refused(lambda: rate(member(), 80, year=2026, on=D(2025, 12, 20)), R.RATING_BEFORE_YEAR)
    assert "2026" in error.message_vi and "2026" in error.message_en
    assert types(rate(member(), 80, year=2025, on=D(2026, 1, 15))) == ["member.rated"]


# --- re-admission only once, whatever moves came between ----------------------------------------------------

def test_a_member_readmitted_once_is_not_readmitted_again_after_a_transfer_out_and_back():
    history = [ADMITTED, OFFICIAL,
               fact("member.removed", D(2016, 6, 1), "C1", member_id="M1", ground="no_progress"),
               fact("member.admitted", D(2019, 7, 1), "C1", member_id="M1", org_unit_id="C1",
                    birth_date="1990-05-01", sex="male"),
               fact("member.transferred_out", D(2020, 9, 1), "C1", member_id="M1", destination="Tỉnh B"),
               fact("member.transferred_in", D(2021, 9, 1), "C1", member_id="M1", org_unit_id="C1",
                    birth_date="1990-05-01", sex="male", admitted_on="2019-07-01"),
               fact("member.removed", D(2022, 1, 3), "C1", member_id="M1", ground="no_progress")]
    gone = domain.fold_member(history)
    refused(lambda: lifecycle.check_readmission(gone, D(2026, 1, 5), rules_on(D(2026, 1, 5))),
            R.READMISSION_NOT_ALLOWED)


# --- working away and abroad: the expected return follows the start ---------------------------------------

@pytest.mark.parametrize("back, allowed", [(D(2025, 3, 9), False), (D(2025, 3, 10), False),
                                           (D(2025, 3, 11), True), (None, True)])
def test_the_expected_return_follows_the_start(back, allowed):
    start = D(2025, 3, 10)
    away = c.StartWorkingAway(member_id="M1", place="Bình Dương", expected_return=back, occurred_on=start)
    abroad = c.StartAbroad(member_id="M1", country="Hàn Quốc", expected_return=back, occurred_on=start)
    if allowed:
        assert types(lifecycle.start_working_away(member(), away)) == ["member.working_away_started"]
        assert types(lifecycle.start_abroad(member(), abroad, rules_on(start))) == ["member.abroad_started"]
    else:
        for step in (lambda: lifecycle.start_working_away(member(), away),
                     lambda: lifecycle.start_abroad(member(), abroad, rules_on(start))):
            error = refused(step, R.RETURN_BEFORE_START)
            assert error.field == "expected_return" and "10/03/2025" in error.message_vi


# --- the cell's resolution follows the class and the verification it needs ---------------------------------

@pytest.mark.parametrize("on, allowed", [(D(2023, 8, 31), False), (D(2023, 9, 1), True)])
def test_the_cell_resolution_is_not_dated_before_the_background_verification(on, allowed):
    cand = candidates.fold_candidate([REGISTERED, CLASS, VERIFIED])
    cmd = c.PassCellResolution(candidate_id="Q1", occurred_on=on)
    if allowed:
        assert types(candidates.pass_cell_resolution(cand, cmd, rules_on(on))) == ["candidate.cell_resolution_passed"]
    else:
        error = refused(lambda: candidates.pass_cell_resolution(cand, cmd, rules_on(on)),
                        R.RESOLUTION_BEFORE_STEPS)
        assert "01/09/2023" in error.message_vi and error.field == "occurred_on"


def test_the_cell_resolution_is_not_dated_before_the_awareness_class():
    late_class = fact("candidate.awareness_class_completed", D(2023, 10, 2), "C1", candidate_id="Q1")
    cand = candidates.fold_candidate([REGISTERED, VERIFIED, late_class])
    cmd = c.PassCellResolution(candidate_id="Q1", occurred_on=D(2023, 10, 1))
    error = refused(lambda: candidates.pass_cell_resolution(cand, cmd, rules_on(D(2023, 10, 1))),
                    R.RESOLUTION_BEFORE_STEPS)
    assert "02/10/2023" in error.message_en
