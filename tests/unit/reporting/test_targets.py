"""Targets (chỉ tiêu; Đề án 02/03-ĐA/TU): a unit registers a maximum for a year or a congress term.
What a clerk checks: the unit named in a refusal, the period refused on the ``period`` field, and
the registered fact's unit, period, indicator, value and date.

Written from mutation testing of ``services/reporting/domain.py`` (docs/mutation-testing.md)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import rules as R
from services.reporting.domain import register_target
from shared.contracts.reporting import RegisterTarget
from shared.errors import DomainError


def target(**fields) -> RegisterTarget:
    return RegisterTarget(**{"org_unit_id": "TN", "period": "2025", "indicator": "members_disciplined", "value": 3,
                             "occurred_on": dt.date(2025, 1, 15), **fields})


@pytest.mark.parametrize("period", ["2025", "2020-2025"])
def test_a_target_is_registered_for_a_year_or_a_term_under_its_unit(period):
    [registered] = register_target(True, target(period=period))
    assert (registered.payload.TYPE, registered.occurred_on, registered.org_unit_id) == \
        ("target.registered", dt.date(2025, 1, 15), "TN")
    p = registered.payload
    assert (p.org_unit_id, p.period, p.indicator, p.value) == ("TN", period, "members_disciplined", 3)


def test_a_target_of_an_unknown_unit_names_the_unit():
    with pytest.raises(DomainError) as refused:
        register_target(False, target(org_unit_id="TN9"))
    err = refused.value
    assert (err.code, err.field, err.status) == ("org_unit_not_found", "org_unit_id", 404)
    assert err.message_vi == "Không tìm thấy tổ chức đảng «TN9»" and isinstance(err, R.ORG_UNIT_NOT_FOUND.error)


def test_a_period_that_is_no_configured_term_is_refused_on_the_period_field():
    with pytest.raises(DomainError) as refused:
        register_target(True, target(period="2019-2024"))
    assert (refused.value.code, refused.value.field) == ("unknown_period", "period")
    assert "«2019-2024»" in refused.value.message_vi
