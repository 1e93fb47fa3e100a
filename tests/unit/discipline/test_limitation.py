"""Statute of limitations (thời hiệu; QĐ 69 / QĐ 264; DOMAIN.md §5, §8): counted from the latest
violation; the limit's last day is the same calendar day N years later."""
import pytest

from shared.contracts.discipline import ConcludeInspection, OpenInspection
from shared.errors import DomainError
from services.discipline import application as app

from tests.unit.discipline.conftest import D, decide


def test_a_reprimand_on_the_last_day_of_five_years_is_allowed(desk):
    [event] = decide(desk, form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 1))
    assert event.data["violation_on"] == "2015-03-01"


def test_a_reprimand_the_day_after_five_years_is_refused_with_both_dates(desk):
    with pytest.raises(DomainError) as refused:
        decide(desk, form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 2))
    err = refused.value
    assert err.code == "time_barred" and err.field == "violation_on"
    assert "01/03/2015" in err.message_vi and "02/03/2020" in err.message_vi
    assert "01/03/2015" in err.message_en and "02/03/2020" in err.message_en


@pytest.mark.parametrize("form,years", [("warning", 10), ("dismissal", 10)])
def test_warning_and_dismissal_have_ten_years(desk, form, years):
    violation = D(2010, 5, 20)
    decide(desk, case_id="ok", form=form, post="Chi ủy viên", violation_on=violation, on=D(2010 + years, 5, 20))
    with pytest.raises(DomainError) as refused:
        decide(desk, case_id="late", form=form, post="Chi ủy viên", violation_on=violation,
               on=D(2010 + years, 5, 21))
    assert refused.value.code == "time_barred"


def test_expulsion_has_no_limit(desk):
    [event] = decide(desk, form="expulsion", violation_on=D(2011, 1, 1), on=D(2024, 1, 1))
    assert event.data["form"] == "expulsion"


def test_an_organisation_warning_has_ten_years_and_dissolution_none(desk):
    with pytest.raises(DomainError):
        decide(desk, subject_kind="org_unit", subject_id="C1", form="warning", violation_on=D(2010, 1, 1),
               on=D(2020, 1, 2))
    decide(desk, subject_kind="org_unit", subject_id="C1", form="dissolution", violation_on=D(2010, 1, 1),
           on=D(2020, 1, 2))


def test_a_newer_violation_restarts_the_clock(desk):
    with pytest.raises(DomainError):
        decide(desk, form="reprimand", violation_on=D(2012, 1, 1), on=D(2021, 3, 1))
    [event] = decide(desk, form="reprimand", violation_on=D(2012, 1, 1), later_violations=[D(2017, 6, 1)],
                     on=D(2021, 3, 1))
    assert event.data["later_violations"] == ["2017-06-01"]


def test_violations_found_by_an_inspection_restart_the_clock(desk):
    desk.run(app.open_inspection, OpenInspection, inspection_id="I1", kind="signs_of_violation",
             body="Ủy ban Kiểm tra Đảng ủy", subject_kind="member", subject_id="M1", occurred_on=D(2020, 10, 1))
    desk.run(app.conclude_inspection, ConcludeInspection, inspection_id="I1", occurred_on=D(2020, 12, 1),
             violations=[{"committed_on": "2019-02-01", "summary": "Vi phạm quy định về những điều đảng viên không được làm"}])
    [event] = decide(desk, violation_on=D(2014, 1, 1), inspection_id="I1", on=D(2021, 1, 15))
    assert event.data["inspection_id"] == "I1"


def test_a_violation_after_the_decision_date_is_refused(desk):
    with pytest.raises(DomainError) as refused:
        decide(desk, violation_on=D(2021, 3, 2), on=D(2021, 3, 1))
    assert refused.value.code == "violation_after_decision" and refused.value.field == "violation_on"
