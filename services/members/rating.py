"""Yearly quality rating (xếp loại chất lượng đảng viên; QĐ 124 → QĐ 366). Pure.

Ratings of one grassroots organisation and year live in one stream (``rating-<grassroots>-<year>``)
because the 20 % "excellent" quota is counted there: one stream read per command, and a
concurrent rating in the same organisation is caught by the expected version.
"""
from __future__ import annotations

import datetime as dt
import math

from shared.application import Decided
from shared.catalog.members import MemberRated
from shared.errors import Conflict, DomainError
from shared.events import Envelope

from shared.dates import add_months, vn
from services.members.domain import Member, require_active_member

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


def rate(member: Member, ratings: dict[str, str], disciplined_cases: list[str], cmd, rules,
         grassroots_id: str) -> list[Decided]:
    require_active_member(member, cmd.member_id)
    if member.exemption:
        raise DomainError("exempt_not_rated", "Đảng viên được miễn công tác và sinh hoạt đảng không xếp loại chất lượng",
                          "Exempt members are not rated", field="member_id")
    year_end = dt.date(cmd.year, 12, 31)
    min_m = rules.rating_min_months_since_admission
    if member.admitted_on and member.admitted_on > add_months(year_end, -min_m):
        raise DomainError("admitted_too_recently",
                          f"Đảng viên kết nạp ngày {vn(member.admitted_on)}, chưa đủ {min_m} tháng trong năm "
                          f"{cmd.year} nên không xếp loại", f"Admitted on {vn(member.admitted_on)}: fewer than "
                          f"{min_m} months in {cmd.year}, so not rated", field="member_id")
    rating = cmd.rating
    if rules.rating_scale == "points100":
        if cmd.points is None:
            raise DomainError("points_required",
                              f"Từ ngày 01/09/2025 xếp loại theo thang 100 điểm ({rules.source('rating_scale')}); "
                              "hãy nhập số điểm", "Since 01/09/2025 ratings use the 100-point scale; give the points",
                              field="points")
        derived = rating_from_points(cmd.points, rules.rating_points_thresholds)
        if rating is not None and rating != derived:
            raise DomainError("rating_points_mismatch",
                              f"{cmd.points} điểm tương ứng mức «{RATING_VI[derived]}», không phải «{RATING_VI[rating]}»",
                              f"{cmd.points} points mean '{derived}', not '{rating}'", field="rating")
        rating = derived
    elif rating is None:
        raise DomainError("rating_required", "Hãy chọn mức xếp loại", "Give the rating level", field="rating")
    if disciplined_cases and rating != "not_complete":
        raise DomainError("disciplined_capped",
                          f"Đảng viên bị kỷ luật trong năm {cmd.year} chỉ được xếp loại «{RATING_VI['not_complete']}»",
                          f"A member disciplined in {cmd.year} is rated 'not_complete' at most", field="rating",
                          cases=disciplined_cases)
    if cmd.member_id in ratings:
        raise Conflict("already_rated", f"Đảng viên đã được xếp loại năm {cmd.year}",
                       f"The member was already rated for {cmd.year}", field="year")
    if rating == "excellent":
        excellent = sum(1 for r in ratings.values() if r == "excellent") + 1
        good_or_better = sum(1 for r in ratings.values() if r in ("excellent", "good")) + 1
        allowed = math.floor(rules.rating_excellent_quota_of_good * good_or_better + 1e-9)
        if excellent > allowed:
            raise DomainError("excellent_quota_exceeded",
                              f"Số đảng viên hoàn thành xuất sắc nhiệm vụ không vượt quá "
                              f"{rules.rating_excellent_quota_of_good:.0%} số hoàn thành tốt nhiệm vụ của tổ chức cơ sở "
                              f"«{grassroots_id}» (tối đa {allowed} trên {good_or_better})",
                              f"'Excellent' may not exceed {rules.rating_excellent_quota_of_good:.0%} of those rated "
                              f"good in grassroots organisation '{grassroots_id}' (at most {allowed} of "
                              f"{good_or_better})", field="rating")
    return [Decided(MemberRated(member_id=cmd.member_id, year=cmd.year, rating=rating, points=cmd.points),
                    cmd.occurred_on, member.org_unit_id)]
