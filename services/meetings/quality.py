"""Meeting quality (chất lượng sinh hoạt chi bộ), pure: each meeting judged by the rules dated at
that meeting (HD 12-HD/BTCTW 2018; HD 42-HD/BTCTW minimum duration from 1/10/2025), and a cell's
year: meetings held against those expected (KL 18: 12 regular, 4 thematic), attendance rate,
criteria met, committee member in charge present (D4, D7).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Callable, Iterable

from shared.rules import Rules, rules_on


@dataclass(frozen=True)
class HeldMeeting:
    meeting_id: str
    org_unit_id: str
    kind: str
    held_on: dt.date
    duration_minutes: int
    combined: bool
    committee_member_attended: bool | None
    attendance: tuple[tuple[str, str], ...]  # (member_id, status) of every expected member


@dataclass(frozen=True)
class MeetingQuality:
    meeting_id: str
    kind: str
    held_on: str
    expected: int
    present: int
    excused: int
    unexcused: int
    attendance_rate: float | None
    attendance_ok: bool        # > 85 % of expected present
    nobody_unexcused: bool
    consecutive_ok: bool       # nobody absent (even excused) more than 3 meetings in a row this year
    over_consecutive: tuple[str, ...]
    duration_ok: bool          # HD 42 minimum, 0 before 1/10/2025
    min_minutes: int
    meets_standard: bool | None  # None: a thematic meeting, which HD 12's criteria do not judge
    committee_member_attended: bool | None
    rule_sources: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)


def min_minutes(m: HeldMeeting, rules: Rules) -> int:
    if m.combined:
        return rules.meeting_min_minutes_combined
    return rules.meeting_min_minutes_regular if m.kind == "regular" else 0


def assess(m: HeldMeeting, streaks: dict[str, int], rules: Rules) -> MeetingQuality:
    """Judge one meeting; ``streaks`` holds each member's consecutive absences before it and is
    updated with this meeting."""
    present = sum(1 for _, s in m.attendance if s == "present")
    excused = sum(1 for _, s in m.attendance if s == "excused")
    unexcused = sum(1 for _, s in m.attendance if s == "unexcused")
    expected = len(m.attendance)
    for member, status in m.attendance:
        streaks[member] = 0 if status == "present" else streaks.get(member, 0) + 1
    limit = rules.meeting_max_consecutive_absences
    over = tuple(sorted(member for member, _ in m.attendance if streaks[member] > limit))
    rate = Fraction(present, expected) if expected else None
    # exact fractions: 85 % of 20 is exactly 17, which does not meet "> 85 %"
    attendance_ok = rate is not None and rate > Fraction(str(rules.meeting_attendance_min_rate))
    floor = min_minutes(m, rules)
    duration_ok = m.duration_minutes >= floor
    # HD 12's standard is that of the regular meeting (DOMAIN §4), as the reports judge it
    # (services/reporting/facts.py meeting_standard): a thematic one is held, not judged
    judged = (attendance_ok and unexcused == 0 and not over and duration_ok) if m.kind == "regular" else None
    return MeetingQuality(
        m.meeting_id, m.kind, m.held_on.isoformat(), expected, present, excused, unexcused,
        round(float(rate), 4) if rate is not None else None, attendance_ok, unexcused == 0, not over, over,
        duration_ok, floor, judged,
        m.committee_member_attended,
        tuple(dict.fromkeys(rules.source(n) for n in ("meeting_attendance_min_rate", "meeting_min_minutes_regular"))))


def assess_year(meetings: Iterable[HeldMeeting], rules_for: Callable[[dt.date], Rules] = rules_on) -> list[MeetingQuality]:
    """Judge a cell's meetings of one year in date order; streaks run per kind of meeting
    (thematic meetings do not replace regular ones, KL 18) and restart each year."""
    streaks: dict[str, dict[str, int]] = {}
    out = []
    for m in sorted(meetings, key=lambda m: (m.held_on, m.meeting_id)):
        out.append(assess(m, streaks.setdefault(m.kind, {}), rules_for(m.held_on)))
    return out


def months_ended(year: int, today: dt.date) -> list[int]:
    """The months of ``year`` already over on ``today`` (from the day after their last day): a
    cell can still meet on the last day of a month, so the month is not yet "without a meeting"."""
    last = 12 if today.year > year else (today.month - 1 if today.year == year else 0)
    return list(range(1, last + 1))


def months_open(year: int, created_on: dt.date | None, closed_on: dt.date | None) -> list[int]:
    """The calendar months of ``year`` in which the cell existed on at least one day (created on
    ``created_on``; merged or dissolved on ``closed_on``, the first day it no longer exists): a
    cell is expected to meet only while it exists (as the reporting service counts it)."""
    first = max(dt.date(year, 1, 1), created_on) if created_on else dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), closed_on - dt.timedelta(days=1)) if closed_on else dt.date(year, 12, 31)
    return list(range(first.month, last.month + 1)) if last >= first else []


def cell_year(org_unit_id: str, year: int, meetings: list[HeldMeeting], today: dt.date,
              rules_for: Callable[[dt.date], Rules] = rules_on, created_on: dt.date | None = None,
              closed_on: dt.date | None = None) -> dict:
    """A cell's year: held vs expected, attendance rate, criteria met, per-meeting detail. Only
    the months (and quarters) in which the cell existed are expected, in proportion; a month (a
    quarter) is listed as without its meeting only once it is over, from the day after its last day."""
    mine = [m for m in meetings if m.held_on.year == year]
    assessed = assess_year(mine, rules_for)
    rules = rules_for(dt.date(year, 12, 31))
    regular = [q for q in assessed if q.kind == "regular"]
    thematic = [q for q in assessed if q.kind == "thematic"]
    regular_months = {m.held_on.month for m in mine if m.kind == "regular" or m.combined}
    thematic_quarters = {(m.held_on.month - 1) // 3 + 1 for m in mine if m.kind == "thematic" or m.combined}
    ended = months_ended(year, today)
    open_months = months_open(year, created_on, closed_on)
    months = [m for m in ended if m in open_months]
    expected = sum(q.expected for q in assessed)
    present = sum(q.present for q in assessed)
    with_committee = [q for q in assessed if q.committee_member_attended is not None]
    return {
        "org_unit_id": org_unit_id, "year": year,
        "regular": {"held": len(regular),
                    "expected": round(rules.meetings_regular_per_year * len(open_months) / 12),
                    "months_without": [m for m in months if m not in regular_months]},
        "thematic": {"held": len(thematic),
                     "expected": round(rules.meetings_thematic_per_year * len(open_months) / 12),
                     # a quarter the cell existed in, judged once it is over (the day after its last day)
                     "quarters_without": [q for q in sorted({(m - 1) // 3 + 1 for m in months})
                                          if q not in thematic_quarters and q * 3 <= len(ended)]},
        "attendance_rate": round(present / expected, 4) if expected else None,
        "meetings_meeting_standard": sum(1 for q in regular if q.meets_standard),
        "meetings_assessed": len(regular),
        "committee_member_attended": {"recorded": len(with_committee),
                                      "attended": sum(1 for q in with_committee if q.committee_member_attended)},
        "meetings": [q.to_dict() for q in assessed],
    }
