"""Date arithmetic of the rules: months, working days, and the dd/mm/yyyy users read."""
from __future__ import annotations

import calendar
import datetime as dt
from shared.dates import vn_date


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (clamped to the month's end: 31/01 + 1 month = 28/02)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``n`` working days after ``day``, Monday–Friday. [I] Public holidays are not subtracted:
    the limit then falls a little early, which errs on the side of warning in time."""
    out = day
    while n > 0:
        out += dt.timedelta(days=1)
        if out.weekday() < 5:
            n -= 1
    return out


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (age in months, probation months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


vn = vn_date  # dd/mm/yyyy, as users read dates
