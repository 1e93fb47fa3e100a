"""The dated rule table (shared/rules.py, DOMAIN.md §8) as an officer checks it: the value in
force and the text it comes from on the day before, of and after each change; the QĐ 24 → QĐ 294
hand-over; a deployment's own rows; the term (nhiệm kỳ) a day falls in."""
from __future__ import annotations

import datetime as dt

import pytest

from shared import rules
from shared.rules import RULE_TABLE, rules_on, term_of

D = dt.date
ONE_DAY = dt.timedelta(days=1)


def around(day: dt.date):
    return day - ONE_DAY, day, day + ONE_DAY


# --- changes of the national texts ----------------------------------------------------------------

@pytest.mark.parametrize("name, changed_on, before, after, source_before, source_after", [
    ("rating_scale", D(2025, 9, 1), "levels", "points100", "QĐ 124-QĐ/TW", "QĐ 366-QĐ/TW"),
    ("meeting_min_minutes_regular", D(2025, 10, 1), 0, 90, "HD 12-HD/BTCTW", "HD 42-HD/BTCTW"),
    # listed in the table *after* its later row: the row valid from the later date still wins
    ("meeting_min_minutes_combined", D(2025, 10, 1), 0, 120, "HD 12-HD/BTCTW", "HD 42-HD/BTCTW"),
    ("dues_rule", D(2026, 2, 1), "QĐ 342-QĐ/TW", "QĐ 01-QĐ/TW", "QĐ 342", "QĐ 01"),
    ("discipline_rules", D(2025, 7, 1), "QĐ 22-QĐ/TW", "QĐ 296-QĐ/TW", "QĐ 22", "QĐ 296"),
])
def test_a_changed_rule_holds_until_the_day_before_and_the_new_one_from_its_day(
        name, changed_on, before, after, source_before, source_after):
    eve, day, next_day = around(changed_on)
    assert getattr(rules_on(eve), name) == before
    assert rules_on(eve).source(name) == source_before
    for d in (day, next_day, D(2030, 1, 1)):
        assert getattr(rules_on(d), name) == after
        assert rules_on(d).source(name) == source_after


def test_points_thresholds_exist_only_from_qd_366():
    with pytest.raises(AttributeError, match="rating_points_thresholds"):
        rules_on(D(2025, 8, 31)).rating_points_thresholds
    assert rules_on(D(2025, 8, 31)).source("rating_points_thresholds") == ""
    assert rules_on(D(2025, 9, 1)).rating_points_thresholds == {"excellent": 90, "good": 70, "complete": 50}
    assert rules_on(D(2025, 9, 1)).source("rating_points_thresholds") == "QĐ 366"


@pytest.mark.parametrize("name, value", [
    ("readmission_min_months", 36), ("admission_max_age_months", 720), ("transfer_papers_working_days", 30),
    ("admission_decision_extension_working_days", 30), ("temporary_study_max_months", 24),
])
def test_qd_24_is_cited_until_30_6_2025_and_qd_294_from_1_7_2025_with_the_same_value(name, value):
    eve, day, next_day = around(D(2025, 7, 1))
    assert getattr(rules_on(eve), name) == value
    assert rules_on(eve).source(name) == "QĐ 24-QĐ/TW (2021)"
    assert rules_on(D(2021, 3, 1)).source(name) == "QĐ 24-QĐ/TW (2021)"
    for d in (day, next_day):
        assert getattr(rules_on(d), name) == value
        assert rules_on(d).source(name) == "QĐ 294-QĐ/TW (2025)"


def test_a_row_citing_one_text_is_not_split():
    for d in (D(2025, 6, 30), D(2025, 7, 1)):
        assert rules_on(d).source("probation_months") == "Điều lệ Đảng, Điều 5"
        assert rules_on(d).source("admission_ceremony_working_days") == "HD 01-HD/TW"
        assert rules_on(d).source("limitation_years_member") == "QĐ 69 / QĐ 264"
    assert sum(1 for row in RULE_TABLE if row[0] == "probation_months") == 1
    assert sum(1 for row in RULE_TABLE if row[0] == "readmission_min_months") == 2


def test_the_hand_over_splits_only_rows_citing_both_texts_in_force_from_the_start():
    split = rules._dated_qd24_qd294([
        ("a", D(1900, 1, 1), 1, "QĐ 24 / QĐ 294"),
        ("b", D(2024, 1, 1), 2, "QĐ 24 / QĐ 294"),   # a later row: kept as written
        ("c", D(1900, 1, 1), 3, "QĐ 24"),
        ("d", D(1900, 1, 1), 4, "QĐ 294-QĐ/TW"),
    ])
    assert split == [
        ("a", D(1900, 1, 1), 1, "QĐ 24-QĐ/TW (2021)"),
        ("a", D(2025, 7, 1), 1, "QĐ 294-QĐ/TW (2025)"),
        ("b", D(2024, 1, 1), 2, "QĐ 24 / QĐ 294"),
        ("c", D(1900, 1, 1), 3, "QĐ 24"),
        ("d", D(1900, 1, 1), 4, "QĐ 294-QĐ/TW"),
    ]


def test_the_values_an_officer_reads_today():
    today = rules_on(D(2026, 3, 1))
    assert today.on == D(2026, 3, 1)
    assert (today.admission_min_age_months, today.probation_months, today.appeal_months) == (216, 12, 1)
    assert today.limitation_years_member == {"reprimand": 5, "warning": 10, "dismissal": 10, "expulsion": None}
    assert today.source("appeal_months") == "Điều lệ Đảng, Điều 37"
    with pytest.raises(AttributeError) as exc:
        today.no_such_rule
    assert exc.value.args == ("no_such_rule",)
    assert today.source("no_such_rule") == ""


def test_before_the_first_row_no_rule_is_in_force():
    early = rules_on(D(1899, 12, 31))
    assert dict(early.values) == {} and early.on == D(1899, 12, 31)
    assert rules_on(D(1900, 1, 1)).probation_months == 12


@pytest.mark.parametrize("day", [D(1900, 1, 1), D(2000, 5, 5), D(2025, 6, 30), D(2025, 7, 1), D(2025, 8, 31),
                                 D(2025, 9, 1), D(2025, 9, 30), D(2025, 10, 1), D(2026, 1, 31),
                                 D(2026, 2, 1), D(2040, 1, 1)])
def test_the_cached_default_table_answers_what_the_table_itself_says_on_that_day(day):
    cached = rules_on(day)
    fresh = rules_on(day, list(RULE_TABLE))
    assert cached.on == fresh.on == day
    assert dict(cached.values) == dict(fresh.values)
    assert dict(cached.sources) == dict(fresh.sources)


# --- a deployment's own rows ----------------------------------------------------------------------

def test_a_table_of_a_deployments_own_resolves_by_date_whatever_the_row_order():
    table = [
        ("quota", D(2025, 1, 1), 5, "NQ 2025"),
        ("quota", D(1900, 1, 1), 3, "NQ gốc"),
        ("quota", D(2024, 1, 1), 4, "NQ 2024"),
        ("other", D(1900, 1, 1), "x", "gốc"),
    ]
    assert rules_on(D(2023, 12, 31), table).quota == 3
    assert rules_on(D(2024, 1, 1), table).quota == 4
    assert rules_on(D(2024, 12, 31), table).quota == 4
    r = rules_on(D(2025, 1, 1), table)
    assert (r.quota, r.source("quota"), r.other, r.on) == (5, "NQ 2025", "x", D(2025, 1, 1))
    assert rules_on(D(1899, 12, 31), table).source("quota") == ""


def test_of_two_rows_from_the_same_day_the_later_one_is_in_force():
    table = [("quota", D(2024, 1, 1), 4, "first"), ("quota", D(2024, 1, 1), 7, "correction")]
    r = rules_on(D(2024, 6, 1), table)
    assert (r.quota, r.source("quota")) == (7, "correction")


def test_a_row_added_to_the_table_at_start_up_is_in_force_from_its_day():
    """A deployment adds rows at import time: the cached default table must see them, even after
    it answered for the days around them (the periods between change dates shift)."""
    days = (D(2023, 12, 31), D(2024, 1, 1), D(2025, 6, 30), D(2025, 8, 31), D(2025, 9, 1), D(2027, 1, 1))
    warm = {d: rules_on(d) for d in days}
    rows = [("meetings_thematic_per_year", D(2024, 1, 1), 6, "KL riêng của tỉnh"),
            ("meetings_thematic_per_year", D(2027, 1, 1), 8, "KL riêng 2027")]
    RULE_TABLE.extend(rows)
    try:
        assert rules_on(D(2023, 12, 31)).meetings_thematic_per_year == 4
        assert rules_on(D(2024, 1, 1)).meetings_thematic_per_year == 6
        assert rules_on(D(2024, 1, 1)).source("meetings_thematic_per_year") == "KL riêng của tỉnh"
        assert rules_on(D(2025, 6, 30)).source("readmission_min_months") == "QĐ 24-QĐ/TW (2021)"
        assert rules_on(D(2025, 8, 31)).rating_scale == "levels"
        assert rules_on(D(2025, 9, 1)).rating_scale == "points100"
        assert rules_on(D(2026, 12, 31)).meetings_thematic_per_year == 6
        assert rules_on(D(2027, 1, 1)).meetings_thematic_per_year == 8
    finally:
        for row in rows:
            RULE_TABLE.remove(row)
    for d in days:
        assert dict(rules_on(d).values) == dict(warm[d].values)
    assert rules_on(D(2027, 6, 1)).meetings_thematic_per_year == 4


# --- terms ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, term", [
    (D(2010, 9, 30), None), (D(2010, 10, 1), "2010-2015"), (D(2015, 9, 30), "2010-2015"),
    (D(2015, 10, 1), "2015-2020"), (D(2020, 9, 30), "2015-2020"), (D(2020, 10, 1), "2020-2025"),
    (D(2025, 9, 30), "2020-2025"), (D(2025, 10, 1), "2025-2030"), (D(2030, 9, 30), "2025-2030"),
    (D(2030, 10, 1), None),
])
def test_a_day_falls_in_the_term_from_1_october_to_30_september_five_years_on(day, term):
    assert term_of(day) == term
