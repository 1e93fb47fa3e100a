"""Pure report arithmetic: periods (year, term, dates), the two clocks, change percentages.

No I/O. Errors name the parameter at fault, in Vietnamese and English (DOMAIN.md §7, §11).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from shared.dates import vn_date
from shared.errors import DomainError
from shared.events import format_recorded_at
from shared.rules import TERMS

from services.reporting import rules as R

#: "known at the end of time": no filter on the recording clock
ALL_KNOWN = "9999-12-31T23:59:59.999999Z"


@dataclass(frozen=True)
class Period:
    """A business period: a calendar year, a term (nhiệm kỳ) or an explicit date range."""

    name: str
    start: dt.date
    end: dt.date
    kind: str  # year | term | dates

    def label_vi(self) -> str:
        if self.kind == "dates":
            return f"Từ {vn_date(self.start)} đến {vn_date(self.end)}"
        words = {"year": "Năm", "term": "Nhiệm kỳ"}
        return f"{words[self.kind]} {self.name} ({vn_date(self.start)} – {vn_date(self.end)})"

    def capped(self, as_of: dt.date) -> "Period":
        """The part of the period already lived on ``as_of`` (later facts are not yet true)."""
        return Period(self.name, self.start, min(self.end, as_of), self.kind)




def unknown_period(field: str, value: str) -> DomainError:
    return R.UNKNOWN_PERIOD(value=value, terms=", ".join(TERMS), field=field)


def parse_period(text: str, field: str = "term") -> Period:
    text = str(text).strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    if text in TERMS:
        start, end = TERMS[text]
        return Period(text, start, end, "term")
    raise unknown_period(field, text)


def dates_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise R.PERIOD_REVERSED(end_vi=vn_date(end), start_vi=vn_date(start), end=end.isoformat(),
                                start=start.isoformat())
    return Period(f"{start.isoformat()}..{end.isoformat()}", start, end, "dates")


def previous(period: Period) -> Period:
    """The comparison period by default: the year or term just before, or as many days before."""
    if period.start.year <= 1900:
        raise R.NO_PREVIOUS_PERIOD(start_vi=vn_date(period.start), start=period.start.isoformat())
    if period.kind == "year":
        return parse_period(str(period.start.year - 1))
    if period.kind == "term":
        for name, (start, end) in TERMS.items():
            if end == period.start - dt.timedelta(days=1):
                return Period(name, start, end, "term")
        a, b = (int(x) for x in period.name.split("-"))
        span = b - a
        return Period(f"{a - span}-{a}", dt.date(period.start.year - span, period.start.month, period.start.day),
                      period.start - dt.timedelta(days=1), "term")
    days = (period.end - period.start).days + 1
    return dates_period(period.start - dt.timedelta(days=days), period.start - dt.timedelta(days=1))


def choose_period(term: str | None, year: int | None, start: dt.date | None, end: dt.date | None,
                  default: dt.date) -> Period:
    """One period from the query's parameters; the year of ``default`` when none is given (dates:
    up to ``default`` from a start alone, from the first day of the end's year for an end alone)."""
    if term:
        return parse_period(term, "term")
    if year:
        return parse_period(str(year), "year")
    if start or end:
        end = end or default  # an end alone: from the first day of its own year
        return dates_period(start or dt.date(end.year, 1, 1), end)
    return parse_period(str(default.year), "year")


def known_at_key(known_at: dt.datetime | None) -> str:
    """The recording-clock bound as stored (UTC text), so SQL compares strings in time order."""
    if known_at is None:
        return ALL_KNOWN
    if known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=dt.timezone.utc)
    return format_recorded_at(known_at)


def change_pct(current: int, prev: int) -> float | None:
    """(current − previous) / previous × 100, half away from zero to 2 decimals; None when previous is 0."""
    if not prev:
        return None
    return half_up((Fraction(current) - prev) / prev * 100)


def percent(part: int | float, whole: int | float) -> float | None:
    """part / whole × 100 (a rate, a share), half away from zero to 2 decimals as every percentage
    of the reports (1 of 32 is 3,13 %, not 3,12 %); None when there is no base (whole 0)."""
    if not whole:
        return None
    return half_up(_exact(part) * 100 / _exact(whole))


def mean(values: list[float]) -> float | None:
    """The average of figures already rounded to 2 decimals, rounded the same way; None for none."""
    return half_up(sum(map(_exact, values)) / len(values)) if values else None


def half_up(value: Fraction) -> float:
    """``value`` rounded half away from zero to 2 decimals (exactly: no binary rounding first)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _exact(x: int | float) -> Fraction:
    return Fraction(x) if isinstance(x, int) else Fraction(str(x))  # 12.35 as written, not its binary value


def age_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
