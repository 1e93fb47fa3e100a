"""Yearly quality rating (xếp loại chất lượng đảng viên; QĐ 124 → QĐ 366). Pure.

Ratings of one grassroots organisation and year live in one stream (``rating-<grassroots>-<year>``)
because the 20 % "excellent" quota is counted there: one stream read per command, and a
concurrent rating in the same organisation is caught by the expected version.
"""
from __future__ import annotations

import datetime as dt
import math

from shared.application import Decided
from shared.contracts import members as c
from shared.catalog.members import MemberRated
from shared.events import Envelope

from shared.dates import add_months, vn
from services.members import rules as R
from services.members.domain import Member, require_on_rolls

RATING_VI = {"excellent": "Hoàn thành xuất sắc nhiệm vụ", "good": "Hoàn thành tốt nhiệm vụ",
             "complete": "Hoàn thành nhiệm vụ", "not_complete": "Không hoàn thành nhiệm vụ"}


def fold_ratings(events: list[Envelope]) -> dict[str, str]:
    """member_id → rating, for one grassroots organisation and year."""
    return {e.data["member_id"]: e.data["rating"] for e in events if e.type == "member.rated"}


def rating_from_points(points: int, thresholds: dict) -> str:
    for level in ("excellent", "good", "complete"):
        if points >= thresholds[level]:
            return level
    return "not_complete"


def exempt_on(member: Member, day: dt.date) -> bool:
    """Exempt on ``day``: an exemption with no end, or one whose end date is not yet past (an
    exemption on other grounds runs out by itself, as the meetings roster counts it)."""
    if not member.exemption:
        return False
    until = member.exemption[1]
    return until is None or dt.date.fromisoformat(str(until)) >= day


def rate(member: Member, ratings: dict[str, str], disciplined_cases: list[str], cmd: c.RateMember, rules,
         grassroots_id: str) -> list[Decided]:
    require_on_rolls(member, cmd)
    if cmd.occurred_on.year < cmd.year:
        raise R.RATING_BEFORE_YEAR(year=cmd.year)
    if exempt_on(member, cmd.occurred_on):
        raise R.EXEMPT_NOT_RATED()
    year_end = dt.date(cmd.year, 12, 31)
    min_m = rules.rating_min_months_since_admission
    if member.admitted_on and member.admitted_on > add_months(year_end, -min_m):
        raise R.ADMITTED_TOO_RECENTLY(admitted=vn(member.admitted_on), months=min_m, year=cmd.year)
    rating = cmd.rating
    if rules.rating_scale == "points100":
        if cmd.points is None:
            raise R.POINTS_REQUIRED(source=rules.source("rating_scale"))
        derived = rating_from_points(cmd.points, rules.rating_points_thresholds)
        if rating is not None and rating != derived:
            raise R.RATING_POINTS_MISMATCH(points=cmd.points, derived_vi=RATING_VI[derived], rating_vi=RATING_VI[rating],
                                           derived=derived, rating=rating)
        rating = derived
    elif rating is None:
        raise R.RATING_REQUIRED()
    if disciplined_cases and rating != "not_complete":
        raise R.DISCIPLINED_CAPPED(year=cmd.year, capped_vi=RATING_VI["not_complete"],
                                   details={"cases": disciplined_cases})
    if cmd.member_id in ratings:
        raise R.ALREADY_RATED(year=cmd.year)
    if rating == "excellent":
        excellent = sum(1 for r in ratings.values() if r == "excellent") + 1
        good_or_better = sum(1 for r in ratings.values() if r in ("excellent", "good")) + 1
        allowed = math.floor(rules.rating_excellent_quota_of_good * good_or_better + 1e-9)
        if excellent > allowed:
            raise R.EXCELLENT_QUOTA_EXCEEDED(quota=f"{rules.rating_excellent_quota_of_good:.0%}",
                                             grassroots_id=grassroots_id, allowed=allowed, good=good_or_better)
    return [Decided(MemberRated(member_id=cmd.member_id, year=cmd.year, rating=rating, points=cmd.points),
                    cmd.occurred_on, member.org_unit_id)]
