"""The yearly rating as the grassroots committee records it, without a database: the rated fact, the
point thresholds at both sides, the 6 months since admission at its edge, the 20 % quota, and what
each refusal names.

Written from the survivors of a mutation run of ``services/members/rating.py`` (see
docs/mutation-testing.md).
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import domain, rating
from services.members import rules as R
from shared.contracts import members as c
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date


def member(admitted_on=D(2020, 2, 3), *later) -> domain.Member:
    return domain.fold_member([fact("member.admitted", admitted_on, "C1", member_id="M1", org_unit_id="C1",
                                    birth_date="1990-05-01", sex="male"), *later])


#: four others of the grassroots organisation rated good: one "excellent" fits the quota
FOUR_GOOD = {f"M{i}": "good" for i in range(2, 6)}


def rate(level=None, points=None, year=2024, who=None, ratings=None, disciplined=(), grassroots="G1"):
    cmd = c.RateMember(member_id="M1", year=year, rating=level, points=points, occurred_on=D(year, 12, 20))
    return rating.rate(who or member(), FOUR_GOOD if ratings is None else ratings, list(disciplined), cmd,
                       rules_on(cmd.occurred_on), grassroots)


def test_the_rated_fact_is_filed_under_the_members_cell():
    [d] = rate("good")
    assert (d.payload.TYPE, d.occurred_on, d.org_unit_id) == ("member.rated", D(2024, 12, 20), "C1")
    assert (d.payload.member_id, d.payload.year, d.payload.rating, d.payload.points) == ("M1", 2024, "good", None)
    [d] = rate(points=91, year=2025)
    assert (d.payload.rating, d.payload.points) == ("excellent", 91)


def test_ratings_of_a_year_are_read_from_their_facts():
    events = [fact("member.rated", D(2024, 12, 20), "C1", member_id="M1", rating="good"),
              fact("member.rated", D(2024, 12, 20), "C1", member_id="M2", rating="excellent"),
              fact("member.record_updated", D(2024, 12, 20), "C1", member_id="M3", rating="x")]
    assert rating.fold_ratings(events) == {"M1": "good", "M2": "excellent"}


@pytest.mark.parametrize("points, level", [(100, "excellent"), (90, "excellent"), (89, "good"), (70, "good"),
                                           (69, "complete"), (50, "complete"), (49, "not_complete"),
                                           (0, "not_complete")])
def test_points_give_the_level_at_each_threshold(points, level):
    assert rating.rating_from_points(points, {"excellent": 90, "good": 70, "complete": 50}) == level
    [d] = rate(points=points, year=2025)
    assert d.payload.rating == level


def test_points_and_a_level_that_disagree_are_named():
    error = refused(lambda: rate("excellent", points=89, year=2025), R.RATING_POINTS_MISMATCH)
    assert error.message_vi == ("89 điểm tương ứng mức «Hoàn thành tốt nhiệm vụ», "
                                "không phải «Hoàn thành xuất sắc nhiệm vụ»")
    assert error.message_en == "89 points mean 'good', not 'excellent'"
    assert types(rate("good", points=89, year=2025)) == ["member.rated"]
    error = refused(lambda: rate("good", year=2025), R.POINTS_REQUIRED)
    assert "(QĐ 366" in error.message_vi


@pytest.mark.parametrize("admitted_on, rated", [(D(2024, 6, 29), True), (D(2024, 6, 30), True),
                                                (D(2024, 7, 1), False)])
def test_a_member_admitted_6_months_before_the_years_end_is_rated(admitted_on, rated):
    if rated:
        assert types(rate("good", who=member(admitted_on))) == ["member.rated"]
    else:
        error = refused(lambda: rate("good", who=member(admitted_on)), R.ADMITTED_TOO_RECENTLY)
        assert error.message_en == "Admitted on 01/07/2024: fewer than 6 months in 2024, so not rated"


def test_an_exempt_member_or_one_who_left_is_not_rated():
    exempt = member(D(2020, 2, 3), fact("member.exempted", D(2024, 1, 1), "C1", member_id="M1", ground="illness"))
    refused(lambda: rate("good", who=exempt), R.EXEMPT_NOT_RATED)
    gone = member(D(2020, 2, 3), fact("member.died", D(2024, 5, 1), "C1", member_id="M1"))
    assert refused(lambda: rate("good", who=gone), R.MEMBER_NOT_ACTIVE).message_en == "Member 'M1' died on 01/05/2024"
    # a member transferred in with no admission day is rated
    came = domain.fold_member([fact("member.transferred_in", D(2024, 11, 1), "C1", member_id="M1", org_unit_id="C1",
                                    birth_date="1990-05-01", sex="male")])
    assert types(rate("good", who=came)) == ["member.rated"]


def test_a_disciplined_member_is_capped_and_a_second_rating_refused():
    error = refused(lambda: rate("complete", disciplined=["V1"]), R.DISCIPLINED_CAPPED)
    assert error.message_vi == "Đảng viên bị kỷ luật trong năm 2024 chỉ được xếp loại «Không hoàn thành nhiệm vụ»"
    assert error.details == {"cases": ["V1"]}
    assert types(rate("not_complete", disciplined=["V1"])) == ["member.rated"]
    error = refused(lambda: rate("good", ratings={"M1": "good"}), R.ALREADY_RATED)
    assert (error.field, error.message_en) == ("year", "The member was already rated for 2024")
    refused(lambda: rate(), R.RATING_REQUIRED)


def test_excellent_is_at_most_a_fifth_of_good_or_better_counting_this_one():
    four_good = {f"M{i}": "good" for i in range(2, 6)}
    assert types(rate("excellent", ratings=four_good)) == ["member.rated"]  # 1 of 5
    three_good = {f"M{i}": "good" for i in range(2, 5)}
    error = refused(lambda: rate("excellent", ratings=three_good, grassroots="G7"), R.EXCELLENT_QUOTA_EXCEEDED)
    assert error.message_en == ("'Excellent' may not exceed 20% of those rated good in grassroots organisation "
                                "'G7' (at most 0 of 4)")
    # 2 excellent of 10 good or better: allowed; 2 of 9: refused
    eight = {**{f"M{i}": "good" for i in range(2, 10)}, "M10": "excellent"}
    assert types(rate("excellent", ratings=eight)) == ["member.rated"]
    seven = {**{f"M{i}": "good" for i in range(2, 9)}, "M10": "excellent"}
    error = refused(lambda: rate("excellent", ratings=seven), R.EXCELLENT_QUOTA_EXCEEDED)
    assert "(at most 1 of 9)" in error.message_en
    # members rated lower do not count toward the base
    lower = {**three_good, "M7": "complete", "M8": "not_complete"}
    error = refused(lambda: rate("excellent", ratings=lower), R.EXCELLENT_QUOTA_EXCEEDED)
    assert "(at most 0 of 4)" in error.message_en
    assert types(rate("good", ratings={**seven, "M11": "excellent"})) == ["member.rated"]


def test_a_rating_dated_before_the_member_came_onto_the_rolls_is_refused():
    # admitted 21/12/2024 (and so not rated for 2024 anyway): a rating dated 20/12/2024 names the date first
    error = refused(lambda: rate("good", who=member(D(2024, 12, 21))), R.BEFORE_JOINING)
    assert (error.code, error.field) == ("before_joining", "occurred_on")
