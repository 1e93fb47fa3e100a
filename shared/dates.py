"""Dates of the rules, in one place: dd/mm/yyyy as users read them, months, years and working days.

Working days (ngày làm việc) exclude Saturdays, Sundays and public holidays (DOMAIN.md §2). The
holidays are a dated table, ``shared.holidays``: the days of Labour Code 2019 art. 112 (2012
art. 115 before 2021), the lunar ones (Tết, Hùng Kings' day) by their solar dates, the day off in
lieu when a holiday falls on a weekend (art. 111(3)), and each year's moved days and make-up
Saturdays announced by the government — extendable by an administrator (``DANGVIEN_HOLIDAYS``).
Every service counts working-day deadlines with ``add_working_days`` here; none keeps a copy.
"""
from __future__ import annotations

import calendar
import datetime as dt

from shared.holidays import working_day_test


#: Vietnam's time (UTC+7, no daylight saving): the business day of every fact is a day there
VN_TIME = dt.timezone(dt.timedelta(hours=7))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today_vn() -> dt.date:
    """Today in Vietnam, whatever the server's zone (containers run in UTC): from 00:00 to 07:00 in
    Vietnam the UTC day is still yesterday, and a cell recording this morning's meeting was told it
    lies in the future."""
    return utc_now().astimezone(VN_TIME).date()


def vn_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


vn = vn_date  # dd/mm/yyyy, as users read dates


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; clamped to the month's end (31/01 + 1 month = 28/02 or 29/02)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29/02 becomes 28/02 in a common year."""
    return add_months(day, 12 * years)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (age in months, probation months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def is_working_day(day: dt.date) -> bool:
    return working_day_test()(day)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (weekends, public holidays and moved days skipped;
    make-up Saturdays count)."""
    out, working, one = day, working_day_test(), dt.timedelta(days=1)
    while n > 0:
        out += one
        if working(out):
            n -= 1
    return out


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    n, day, working, one = 0, start, working_day_test(), dt.timedelta(days=1)
    while day < end:
        day += one
        n += working(day)
    return n


def in_force_on(changes, day, default=None):
    """What stood on ``day`` along a time line of ``changes`` — ``[(start, value), ...]`` in start
    order, starts as dates or ISO texts (compared as given): the value of the latest change begun by
    then; before the first change, the first value (``default`` for an empty line)."""
    value = changes[0][1] if changes else default
    for start, then in changes:
        if start > day:
            break
        value = then
    return value
