"""The shared calendar as users read its answers: dates written dd/mm/yyyy, month and year limits
on short months and leap days, and working-day deadlines at the edges of weekends and holidays."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.dates import (add_months, add_working_days, add_years, is_working_day, months_between, vn_date,
                          working_days_between)
from shared.holidays import days_off, holidays, make_up_days

D = dt.date


def test_dates_are_written_day_month_year_and_no_date_is_blank():
    assert vn_date(D(1996, 4, 5)) == "05/04/1996"
    assert vn_date(None) == ""


@pytest.mark.parametrize("start, months, expected", [
    (D(2024, 1, 31), 1, D(2024, 2, 29)),    # leap February: its last day
    (D(2023, 1, 31), 1, D(2023, 2, 28)),    # common February
    (D(2024, 11, 15), 3, D(2025, 2, 15)),   # across the year's end
    (D(2024, 12, 10), 1, D(2025, 1, 10)),   # December + 1 is January of the next year
    (D(2024, 3, 31), -1, D(2024, 2, 29)),   # backwards
    (D(2024, 1, 15), -1, D(2023, 12, 15)),  # backwards across the year's start
    (D(2024, 5, 30), 0, D(2024, 5, 30)),
])
def test_a_month_later_is_the_same_day_or_the_last_day_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_a_year_after_the_29th_of_february_is_the_28th_then_the_29th_again_in_a_leap_year():
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2021, 3, 1), 36 // 12) == D(2024, 3, 1)


@pytest.mark.parametrize("end, months", [
    (D(2014, 4, 4), 215),  # the day before the 18th birthday: 17 years 11 months
    (D(2014, 4, 5), 216),  # the birthday
    (D(2014, 4, 6), 216),  # the day after
    (D(1996, 4, 5), 0),
    (D(1996, 5, 4), 0),    # a day short of one month
    (D(1996, 5, 5), 1),
    (D(1997, 1, 5), 9),    # across a year's end
])
def test_whole_months_count_only_once_the_day_of_the_month_is_reached(end, months):
    assert months_between(D(1996, 4, 5), end) == months


def test_a_month_from_the_31st_counts_from_the_last_day_of_a_shorter_month_only_on_the_31st():
    assert months_between(D(2024, 1, 31), D(2024, 2, 29)) == 0
    assert months_between(D(2024, 1, 31), D(2024, 3, 31)) == 2


@pytest.mark.parametrize("start, n, due", [
    (D(2025, 6, 13), 1, D(2025, 6, 16)),   # Friday + 1 working day: Monday
    (D(2025, 6, 12), 1, D(2025, 6, 13)),   # Thursday + 1: Friday
    (D(2025, 6, 14), 1, D(2025, 6, 16)),   # from a Saturday: Monday
    (D(2025, 6, 13), 0, D(2025, 6, 13)),   # no days: the day itself
    (D(2025, 4, 25), 1, D(2025, 4, 26)),   # the make-up Saturday 26/4/2025 counts
    (D(2025, 4, 29), 1, D(2025, 5, 5)),    # 30/4, 1/5, 2/5 (moved) and the weekend skipped
    (D(2025, 1, 24), 1, D(2025, 2, 3)),    # Tết 2025
    (D(2025, 1, 2), 30, D(2025, 2, 20)),
])
def test_working_day_deadlines_skip_weekends_holidays_and_moved_days(start, n, due):
    assert add_working_days(start, n) == due


@pytest.mark.parametrize("start, end, n", [
    (D(2025, 6, 13), D(2025, 6, 13), 0),   # the same day: none (the start is not counted)
    (D(2025, 6, 12), D(2025, 6, 13), 1),   # the end is counted
    (D(2025, 6, 13), D(2025, 6, 16), 1),   # over a weekend
    (D(2025, 6, 13), D(2025, 6, 15), 0),   # ending on a Sunday
    (D(2025, 4, 25), D(2025, 5, 5), 4),    # 26/4 (make-up), 28/4, 29/4, 5/5 — not 30/4 to 2/5
    (D(2025, 6, 16), D(2025, 6, 13), 0),   # an end before the start
])
def test_working_days_between_two_dates_count_after_the_start_up_to_the_end(start, end, n):
    assert working_days_between(start, end) == n


def test_the_holidays_of_a_year_by_their_names_in_date_order():
    days = holidays(2025)
    assert days == sorted(days)
    named = dict(days)
    assert named[D(2025, 1, 1)] == "Tết Dương lịch" and named[D(2025, 4, 30)] == "Ngày Chiến thắng"
    assert named[D(2025, 5, 1)] == "Ngày Quốc tế lao động" and named[D(2025, 9, 2)] == "Quốc khánh"
    assert named[D(2025, 9, 1)] == "Quốc khánh (ngày liền kề)"
    assert named[D(2025, 4, 7)] == "Giỗ Tổ Hùng Vương"
    tet = [d for d, name in days if name == "Tết Âm lịch"]
    assert tet[0] == D(2025, 1, 25) and tet[-1] == D(2025, 2, 2) and len(tet) == 9  # both ends included


def test_before_2021_national_day_is_one_day_and_an_unlisted_year_has_only_the_solar_holidays():
    assert [d for d, _ in holidays(2020) if d.month == 9] == [D(2020, 9, 2)]
    assert [d for d, _ in holidays(2031)] == [D(2031, 1, 1), D(2031, 4, 30), D(2031, 5, 1), D(2031, 9, 2)]


def test_a_holiday_on_a_weekend_gives_the_next_working_day_off_but_not_inside_tet():
    # 2/9/2023 was a Saturday (1/9 Friday the day beside): Monday 4/9 off in lieu, not Sunday 3/9
    assert D(2023, 9, 4) in days_off(2023) and is_working_day(D(2023, 9, 5))
    # 30/4/2023 Sunday and 29/4 (Hùng Kings) Saturday: 2/5 and 3/5 off — two in lieu, one each
    assert {D(2023, 5, 2), D(2023, 5, 3)} <= days_off(2023) and D(2023, 5, 4) not in days_off(2023)
    # Tết 2025 ran over two weekends (25-26/1, 1-2/2): no day in lieu after it
    assert D(2025, 2, 3) not in days_off(2025)
    # 1/1/2022 was a Saturday: Monday 3/1 off in lieu
    assert D(2022, 1, 3) in days_off(2022)


def test_a_weekday_moved_off_and_its_make_up_saturday_belong_to_their_year_only():
    assert D(2025, 5, 2) in days_off(2025) and D(2025, 5, 2) not in days_off(2024)
    assert make_up_days(2025) == frozenset({D(2025, 4, 26)})
    assert make_up_days(2023) == frozenset()


def test_an_administrators_file_adds_days_of_its_year_and_nothing_else(tmp_path, monkeypatch):
    extra = tmp_path / "holidays.json"
    extra.write_text('{"days_off": ["2027-02-05", "2028-03-01"], "working_days": ["2027-02-20", "2028-03-04"]}',
                     encoding="utf-8")
    monkeypatch.setenv("DANGVIEN_HOLIDAYS", str(extra))
    assert D(2027, 2, 5) in days_off(2027) and D(2028, 3, 1) not in days_off(2027)
    assert make_up_days(2027) == frozenset({D(2027, 2, 20)})
    assert make_up_days(2028) == frozenset({D(2028, 3, 4)})
    assert add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 8)  # Friday 5/2 off
    assert add_working_days(D(2027, 2, 19), 1) == D(2027, 2, 20)  # Saturday 20/2 worked


def test_a_file_with_only_days_off_reads_no_working_days(tmp_path, monkeypatch):
    extra = tmp_path / "holidays.json"
    extra.write_text('{"days_off": ["2029-06-01"]}', encoding="utf-8")
    monkeypatch.setenv("DANGVIEN_HOLIDAYS", str(extra))
    assert not is_working_day(D(2029, 6, 1)) and make_up_days(2029) == frozenset()


def test_without_an_administrators_file_the_table_alone_decides(monkeypatch):
    from shared import holidays as table
    monkeypatch.delenv("DANGVIEN_HOLIDAYS", raising=False)
    # read afresh, not from what an earlier test (or import) left in the caches
    table._extra_cached.cache_clear()
    table._days_off.cache_clear()
    table._make_up_days.cache_clear()
    assert D(2025, 5, 2) in days_off(2025) and make_up_days(2025) == frozenset({D(2025, 4, 26)})
    assert days_off(2031) == frozenset({D(2031, 1, 1), D(2031, 4, 30), D(2031, 5, 1), D(2031, 9, 2)})


def test_the_file_a_caller_names_is_the_one_read_not_the_environments(tmp_path, monkeypatch):
    from shared.holidays import working_day_test
    named, other = tmp_path / "named.json", tmp_path / "other.json"
    named.write_text('{"days_off": ["2030-07-03"], "working_days": ["2030-07-06"]}', encoding="utf-8")
    other.write_text('{"days_off": ["2030-07-04"]}', encoding="utf-8")
    monkeypatch.setenv("DANGVIEN_HOLIDAYS", str(other))
    working = working_day_test(str(named))
    assert not working(D(2030, 7, 3)) and working(D(2030, 7, 6))  # the named file's Wednesday off, Saturday worked
    assert working(D(2030, 7, 4))  # the environment's file is not the one asked for
    assert not working_day_test()(D(2030, 7, 4))  # asked for nothing: the environment's file


def test_today_is_vietnams_day_at_the_edges_of_the_utc_offset(monkeypatch):
    """Vietnam is UTC+7: 16:59 UTC is still the same day there, 17:00 UTC is already the next."""
    from shared import dates
    clock = {"now": dt.datetime(2025, 3, 4, 16, 59, 59, tzinfo=dt.timezone.utc)}
    monkeypatch.setattr(dates, "utc_now", lambda: clock["now"])
    assert dates.today_vn() == dt.date(2025, 3, 4)
    clock["now"] = dt.datetime(2025, 3, 4, 17, 0, tzinfo=dt.timezone.utc)
    assert dates.today_vn() == dt.date(2025, 3, 5)


def test_the_clock_reads_utc_with_its_zone():
    """A recording time is an aware UTC time (offset 0), whatever the server's zone."""
    from shared import dates
    now = dates.utc_now()
    assert now.utcoffset() == dt.timedelta(0)
    assert abs(now - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)


def test_what_stood_on_a_day_along_a_time_line():
    """The value of the latest change begun by the day — the day a change starts included — and
    before the first change the first value; an empty line has the default."""
    from shared.dates import in_force_on
    line = [(D(2020, 1, 1), "C1"), (D(2024, 6, 3), "C2"), (D(2025, 1, 1), "C3")]
    assert in_force_on(line, D(2019, 12, 31)) == "C1"
    assert in_force_on(line, D(2024, 6, 2)) == "C1"
    assert in_force_on(line, D(2024, 6, 3)) == "C2"
    assert in_force_on(line, D(2024, 12, 31)) == "C2"
    assert in_force_on(line, D(2030, 1, 1)) == "C3"
    assert in_force_on([], D(2024, 6, 3)) is None
    assert in_force_on([], "2024-06-03", default="TN") == "TN"
    assert in_force_on([("2024-06-03", "C2")], "2024-06-03") == "C2"
