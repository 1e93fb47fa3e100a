"""A member's record for one calendar year (stream ``absences-<member_id>-<year>``): meetings
missed, dues per month and the early warnings already raised (D0 "detect in time").

Keeping all three in one stream lets a command count and warn in one consistent step: the
warning at 1, 2 and 3 is decided together with the absence or unpaid month that reaches it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from shared.catalog.meetings import AttendanceWarningRaised
from shared.events import Envelope, stream_name
from shared.rules import Rules
from shared.events import by_type, fold as fold_events


def year_stream(member_id: str, year: int) -> str:
    return stream_name("absences", member_id, year)


@dataclass(frozen=True)
class DuesMonth:
    status: str
    reduction_pct: int | None = None
    exemption_ground: str | None = None


@dataclass(frozen=True)
class MemberYear:
    unexcused: frozenset[str] = frozenset()  # meeting ids
    excused: frozenset[str] = frozenset()
    dues: dict[str, DuesMonth] = field(default_factory=dict)  # "YYYY-MM" -> latest record
    raised: frozenset[tuple[str, int]] = frozenset()  # (kind, count)
    #: "YYYY-MM" of each month with an unexcused absence: ground (a) counts months, not meetings
    unexcused_months: frozenset[str] = frozenset()

    @property
    def unpaid_months(self) -> list[str]:
        return sorted(m for m, d in self.dues.items() if d.status == "unpaid")

    def count(self, kind: str) -> int:
        return len(self.unexcused_months) if kind == "absence" else len(self.unpaid_months)

    def with_absence(self, meeting_id: str, on: dt.date) -> "MemberYear":
        return replace(self, unexcused=self.unexcused | {meeting_id},
                       unexcused_months=self.unexcused_months | {on.isoformat()[:7]})


def _missed(state: MemberYear, e: Envelope) -> MemberYear:
    if e.data["excused"]:
        return replace(state, excused=state.excused | {e.data["meeting_id"]})
    return state.with_absence(e.data["meeting_id"], e.occurred_on)


def _dues(state: MemberYear, e: Envelope) -> MemberYear:
    d = e.data
    return replace(state, dues={**state.dues, d["month"]: DuesMonth(d["status"], d.get("reduction_pct"),
                                                                     d.get("exemption_ground"))})


evolve = by_type({
    "meeting.missed": _missed,
    "dues.recorded": _dues,
    "attendance.warning_raised": lambda state, e: replace(state, raised=state.raised | {(e.data["kind"],
                                                                                         e.data["count"])}),
})


def fold(events: list[Envelope]) -> MemberYear:
    return fold_events(evolve, MemberYear(), events)


def warnings_due(state: MemberYear, member_id: str, year: int, kind: str, rules: Rules) -> list[AttendanceWarningRaised]:
    """Warnings for each threshold the count has reached and that was not raised before.

    Thresholds: ``absence_warning_counts`` (1, 2) warn; ``removal_unexcused_months_in_year`` (3)
    is removal ground (a) of Charter art. 8. A count that later falls (a month paid late) and
    rises again does not warn twice for the same threshold.
    """
    removal = rules.removal_unexcused_months_in_year
    count = state.count(kind)
    out = []
    for k in sorted(set(rules.absence_warning_counts) | {removal}):
        if count >= k and (kind, k) not in state.raised:
            out.append(AttendanceWarningRaised(member_id=member_id, year=year, kind=kind, count=k,
                                               level="removal_ground" if k >= removal else "warning"))
    return out


def month_start(month: str) -> dt.date:
    y, m = month.split("-")
    return dt.date(int(y), int(m), 1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
