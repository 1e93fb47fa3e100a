"""Pure rules for party dues (đảng phí) per member per month (QĐ 342-QĐ/TW; QĐ 01-QĐ/TW from
1/2/2026): paid / unpaid / exempt (on a listed ground) / reduced (30, 50, 70 % for at most 12
months). Judged by the rules in force on the first day of the month the dues are for.
"""
from __future__ import annotations

from dataclasses import replace

import datetime as dt
from typing import Mapping

from shared.application import Decided
from shared.contracts.meetings import RecordDues
from shared.catalog.meetings import DuesRecorded
from shared.rules import Rules

from services.meetings import member_year as my
from services.meetings import rules as R
from services.meetings.domain import fmt
from services.meetings.roster import Timeline

GROUND_VI = {"party_age_50": "tuổi đảng từ 50 năm trở lên", "social_pension": "hưởng trợ cấp xã hội",
             "poor_household": "hộ nghèo", "serious_illness": "ốm đau nặng"}


def month_vi(month: str) -> str:
    y, m = month.split("-")
    return f"{m}/{y}"


def add_months(month: str, n: int) -> str:
    y, m = map(int, month.split("-"))
    k = y * 12 + m - 1 + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def party_age_years(admitted_on: dt.date, on: dt.date) -> int:
    years = on.year - admitted_on.year
    return years - 1 if (on.month, on.day) < (admitted_on.month, admitted_on.day) else years


def cell_for_month(t: Timeline, month: str) -> str | None:
    """The cell the member belongs to for that month: at its last day, else the last stint in it."""
    start = my.month_start(month)
    end = my.next_month(start)
    last = t.stint_on(end - dt.timedelta(days=1))
    if last:
        return last.org_unit_id
    overlapping = [s for s in t.stints if s.start < end and (s.end is None or s.end > start)]
    return overlapping[-1].org_unit_id if overlapping else None


def reduced_run(months: Mapping[str, my.DuesMonth], month: str) -> int:
    """Length of the run of consecutive reduced months through ``month`` (counted as reduced)."""
    n, before = 1, add_months(month, -1)
    while months.get(before) and months[before].status == "reduced":
        n, before = n + 1, add_months(before, -1)
    after = add_months(month, 1)
    while months.get(after) and months[after].status == "reduced":
        n, after = n + 1, add_months(after, 1)
    return n


def record_dues(years: Mapping[int, my.MemberYear], timeline: Timeline | None, cmd: RecordDues, today: dt.date,
                rules: Rules) -> list[Decided]:
    """``years``: the member's year records for the month's year and the years either side."""
    year = int(cmd.month[:4])
    if timeline is None:
        raise R.MEMBER_NOT_FOUND(member_id=cmd.member_id)
    cell = cell_for_month(timeline, cmd.month)
    if cell is None:
        raise R.NOT_ON_ROSTER_IN_MONTH(member_id=cmd.member_id, month=month_vi(cmd.month))
    if cmd.status != "paid" and cmd.month > f"{today.year:04d}-{today.month:02d}":
        raise R.DUES_MONTH_IN_FUTURE(month=month_vi(cmd.month), today=fmt(today))
    if cmd.status == "reduced":
        if cmd.reduction_pct not in rules.dues_reduction_rates:
            rates = ", ".join(f"{r} %" for r in rules.dues_reduction_rates)
            raise R.REDUCTION_RATE_INVALID(rates=rates)
    elif cmd.reduction_pct is not None:
        raise R.REDUCTION_WITHOUT_REDUCED()
    if cmd.status == "exempt":
        if cmd.exemption_ground not in rules.dues_exemption_grounds:
            raise R.EXEMPTION_GROUND_REQUIRED(grounds_vi=", ".join(GROUND_VI.values()), grounds=", ".join(GROUND_VI))
        if cmd.exemption_ground == "party_age_50" and timeline.admitted_on is not None:
            age = party_age_years(timeline.admitted_on, my.next_month(my.month_start(cmd.month)) - dt.timedelta(days=1))
            if age < rules.dues_exempt_party_age_years:
                raise R.PARTY_AGE_TOO_LOW(age=age, admitted=fmt(timeline.admitted_on),
                                          years=rules.dues_exempt_party_age_years)
    elif cmd.exemption_ground is not None:
        raise R.GROUND_WITHOUT_EXEMPT()
    months = {m: d for y in (year - 1, year, year + 1) for m, d in years.get(y, my.MemberYear()).dues.items()}
    if cmd.status == "reduced" and reduced_run(months, cmd.month) > rules.dues_reduction_max_months:
        raise R.REDUCTION_TOO_LONG(months=rules.dues_reduction_max_months, month=month_vi(cmd.month))
    new = my.DuesMonth(cmd.status, cmd.reduction_pct, cmd.exemption_ground)
    this_year = years.get(year, my.MemberYear())
    if this_year.dues.get(cmd.month) == new:
        return []  # already recorded so: nothing new
    stream = my.year_stream(cmd.member_id, year)
    payload = DuesRecorded(member_id=cmd.member_id, month=cmd.month, status=cmd.status,
                           reduction_pct=cmd.reduction_pct, exemption_ground=cmd.exemption_ground)
    after = replace(this_year, dues={**this_year.dues, cmd.month: new})
    return [Decided(payload, cmd.occurred_on, cell, stream=stream)] + [
        Decided(w, cmd.occurred_on, cell, stream=stream)
        for w in my.warnings_due(after, cmd.member_id, year, "unpaid_dues", rules)]
