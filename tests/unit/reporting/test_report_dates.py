"""Every report reads its days the same way (README: dates as dd/mm/yyyy or yyyy-mm-dd): ``as_of``
is that business day, and ``known_at`` given as a day is everything recorded by the end of that day
in Vietnam (UTC+7) — the yearly report to the Standing Committee included, so "as known at
15/01/2025" is the same moment in the yearly report as in the term table it is checked against."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.contracts.reporting import QUERIES

END_OF_DAY_VN = dt.datetime(2025, 1, 15, 23, 59, 59, 999999, dt.timezone(dt.timedelta(hours=7)))
DATED = sorted(name for name, spec in QUERIES.items()
               if {"as_of", "known_at"} <= set(spec.model.model_fields))


def parse(name: str, **params):
    extra = {"year": 2025} if "year" in QUERIES[name].model.model_fields else {}
    return QUERIES[name].model.model_validate({**extra, **params})


def test_the_yearly_report_is_among_the_dated_reports():
    assert "yearly" in DATED and "term" in DATED and "headcount" in DATED


@pytest.mark.parametrize("name", DATED)
@pytest.mark.parametrize("day", ["15/01/2025", "2025-01-15"])
def test_known_at_a_day_is_the_end_of_that_day_in_vietnam_in_every_report(name, day):
    assert parse(name, known_at=day).known_at == END_OF_DAY_VN


@pytest.mark.parametrize("name", DATED)
def test_as_of_takes_both_spellings_of_a_day_in_every_report(name):
    assert parse(name, as_of="31/12/2025").as_of == parse(name, as_of="2025-12-31").as_of == dt.date(2025, 12, 31)


@pytest.mark.parametrize("name", DATED)
def test_a_known_at_moment_is_kept_as_given(name):
    moment = "2025-01-15T03:04:05.123456Z"
    assert parse(name, known_at=moment).known_at == dt.datetime(2025, 1, 15, 3, 4, 5, 123456, dt.timezone.utc)
