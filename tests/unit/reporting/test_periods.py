"""Report periods as a reader picks them (DOMAIN.md §7, §11): a year, a congress term or two dates,
the comparison period before it, the recording-clock bound, change percentages and ages — at the
edges (the first and last day, one day reversed, the turn of a term, a half hundredth).

Written from the survivors of mutation testing of ``services/reporting/periods.py``
(docs/mutation-testing.md)."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from services.reporting import rules as R
from services.reporting.periods import (ALL_KNOWN, Period, age_years, change_pct, choose_period, dates_period,
                                        known_at_key, parse_period, previous)
from shared.errors import DomainError

D = dt.date
TERMS_NAMED = "2010-2015, 2015-2020, 2020-2025, 2025-2030"


def refused(when, rule) -> DomainError:
    with pytest.raises(DomainError) as info:
        when()
    assert info.value.code == rule.code
    return info.value


def test_a_year_runs_from_the_first_of_january_to_the_thirty_first_of_december():
    assert parse_period(" 2024 ") == Period("2024", D(2024, 1, 1), D(2024, 12, 31), "year")
    assert parse_period("2024").label_vi() == "Năm 2024 (01/01/2024 – 31/12/2024)"


def test_a_term_is_the_configured_congress_term():
    term = parse_period("2020-2025")
    assert term == Period("2020-2025", D(2020, 10, 1), D(2025, 9, 30), "term")
    assert term.label_vi() == "Nhiệm kỳ 2020-2025 (01/10/2020 – 30/09/2025)"


@pytest.mark.parametrize("text", ["24", "20245", "2019-2024", "năm 2024", ""])
def test_anything_else_is_refused_naming_the_value_and_the_terms(text):
    error = refused(lambda: parse_period(text, "period"), R.UNKNOWN_PERIOD)
    assert error.field == "period"
    assert error.message_vi == (f"Kỳ báo cáo «{text.strip()}» không hợp lệ: dùng năm (2021) hoặc nhiệm kỳ đã cấu hình "
                                f"({TERMS_NAMED})")
    assert error.message_en == f"Unknown period '{text.strip()}': use a year (2021) or a configured term ({TERMS_NAMED})"


def test_two_dates_make_a_period_even_of_one_day_but_not_reversed():
    one_day = dates_period(D(2024, 3, 1), D(2024, 3, 1))
    assert one_day == Period("2024-03-01..2024-03-01", D(2024, 3, 1), D(2024, 3, 1), "dates")
    assert dates_period(D(2024, 3, 1), D(2024, 3, 31)).label_vi() == "Từ 01/03/2024 đến 31/03/2024"
    error = refused(lambda: dates_period(D(2024, 3, 1), D(2024, 2, 29)), R.PERIOD_REVERSED)
    assert (error.field, error.message_vi, error.message_en) == (
        "to", "Ngày kết thúc 29/02/2024 đứng trước ngày bắt đầu 01/03/2024",
        "End date 2024-02-29 is before start date 2024-03-01")


@pytest.mark.parametrize("as_of, end", [(D(2024, 6, 29), D(2024, 6, 29)), (D(2024, 12, 30), D(2024, 12, 30)),
                                        (D(2024, 12, 31), D(2024, 12, 31)), (D(2025, 1, 1), D(2024, 12, 31))])
def test_a_period_is_capped_at_the_day_of_the_report(as_of, end):
    assert parse_period("2024").capped(as_of) == Period("2024", D(2024, 1, 1), end, "year")


def test_the_period_before_a_year_is_the_year_before():
    assert previous(parse_period("2024")) == Period("2023", D(2023, 1, 1), D(2023, 12, 31), "year")
    assert previous(parse_period("1901")).name == "1900"


def test_nothing_comes_before_1900():
    error = refused(lambda: previous(parse_period("1900")), R.NO_PREVIOUS_PERIOD)
    assert (error.field, error.message_vi, error.message_en) == (
        "compare", "Không có kỳ so sánh trước 01/01/1900", "No comparison period before 1900-01-01")


def test_the_term_before_a_configured_term_is_the_configured_one():
    assert previous(parse_period("2020-2025")) == Period("2015-2020", D(2015, 10, 1), D(2020, 9, 30), "term")
    assert previous(parse_period("2015-2020")) == Period("2010-2015", D(2010, 10, 1), D(2015, 9, 30), "term")


def test_the_term_before_the_first_configured_one_is_as_long_and_ends_the_day_before():
    assert previous(parse_period("2010-2015")) == Period("2005-2010", D(2005, 10, 1), D(2010, 9, 30), "term")
    odd = Period("2010-2013", D(2010, 10, 1), D(2013, 9, 30), "term")
    assert previous(odd) == Period("2007-2010", D(2007, 10, 1), D(2010, 9, 30), "term")


def test_the_term_before_is_the_configured_one_even_when_congress_dates_are_irregular(monkeypatch):
    """Congresses are not always held on 1 October: the configured term ending the day before is the
    comparison term, not one computed by counting back the same number of years."""
    import services.reporting.periods as periods
    monkeypatch.setattr(periods, "TERMS", {"2015-2020": (D(2015, 10, 20), D(2020, 10, 14)),
                                           "2020-2025": (D(2020, 10, 15), D(2025, 9, 30))})
    current = periods.parse_period("2020-2025")
    assert previous(current) == Period("2015-2020", D(2015, 10, 20), D(2020, 10, 14), "term")


def test_the_period_before_two_dates_has_as_many_days_and_ends_the_day_before():
    assert previous(dates_period(D(2024, 3, 1), D(2024, 3, 31))) == \
        Period("2024-01-30..2024-02-29", D(2024, 1, 30), D(2024, 2, 29), "dates")
    assert previous(dates_period(D(2024, 3, 1), D(2024, 3, 1))) == \
        Period("2024-02-29..2024-02-29", D(2024, 2, 29), D(2024, 2, 29), "dates")


def test_a_query_picks_a_term_then_a_year_then_dates_then_the_current_year():
    today = D(2024, 6, 15)
    assert choose_period("2020-2025", 2023, D(2024, 1, 1), None, today).name == "2020-2025"
    assert choose_period(None, 2023, D(2024, 1, 1), None, today).name == "2023"
    assert choose_period(None, None, D(2024, 3, 1), None, today) == dates_period(D(2024, 3, 1), today)
    assert choose_period(None, None, None, D(2024, 3, 31), today) == dates_period(D(2024, 1, 1), D(2024, 3, 31))
    assert choose_period(None, None, None, None, today) == parse_period("2024")


def test_an_end_alone_in_an_earlier_year_starts_on_the_first_day_of_its_own_year():
    """"Up to 30/06/2023" asked in 2024 is 01/01/2023 – 30/06/2023, not refused as ending before a
    start (01/01/2024) the user never gave."""
    today = D(2024, 6, 15)
    assert choose_period(None, None, None, D(2023, 6, 30), today) == dates_period(D(2023, 1, 1), D(2023, 6, 30))
    assert choose_period(None, None, None, D(2023, 12, 31), today).start == D(2023, 1, 1)


def test_a_bad_term_or_year_names_its_own_parameter():
    assert refused(lambda: parse_period("2019-2024"), R.UNKNOWN_PERIOD).field == "term"  # the default parameter
    assert refused(lambda: choose_period("2019-2024", None, None, None, D(2024, 6, 15)), R.UNKNOWN_PERIOD).field \
        == "term"
    assert refused(lambda: choose_period(None, 20245, None, None, D(2024, 6, 15)), R.UNKNOWN_PERIOD).field == "year"


@pytest.fixture
def hanoi_clock(monkeypatch):
    """A server set to Vietnam's time (UTC+7): a time without zone must still be read as UTC."""
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_recording_bound_is_utc_text_and_a_time_without_zone_is_utc(hanoi_clock):
    assert known_at_key(None) == ALL_KNOWN == "9999-12-31T23:59:59.999999Z"
    assert known_at_key(dt.datetime(2024, 5, 1, 8, 30)) == "2024-05-01T08:30:00.000000Z"
    hanoi = dt.timezone(dt.timedelta(hours=7))
    assert known_at_key(dt.datetime(2024, 5, 1, 8, 30, tzinfo=hanoi)) == "2024-05-01T01:30:00.000000Z"


@pytest.mark.parametrize("current, prev, pct", [
    (150, 100, 50.0), (50, 100, -50.0), (100, 100, 0.0), (1, 3, -66.67), (2, 3, -33.33),
    (801, 800, 0.13), (799, 800, -0.13),  # a half hundredth goes away from zero
    (5, 0, None), (0, 0, None),
])
def test_change_percent_to_two_decimals(current, prev, pct):
    assert change_pct(current, prev) == pct


@pytest.mark.parametrize("on, age", [(D(2024, 3, 14), 17), (D(2024, 3, 15), 18), (D(2024, 3, 16), 18),
                                     (D(2024, 2, 20), 17), (D(2024, 4, 1), 18)])
def test_age_in_whole_years_turns_on_the_birthday(on, age):
    assert age_years(D(2006, 3, 15), on) == age
