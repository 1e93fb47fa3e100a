"""Calendar arithmetic for time limits, and the dd/mm/yyyy form people read."""
from __future__ import annotations

import calendar
import datetime as dt
from shared.dates import vn_date


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later; the 31st falls back to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


vn = vn_date  # dd/mm/yyyy, as users read dates
