"""Issue 14: matters with no limitation period (không áp dụng thời hiệu). Given a member and a
violation long past its limit, when a decision names one of the listed grave matters, then it is
accepted; the same decision without one is refused, and the anomalies audit agrees."""
from __future__ import annotations

import pydantic
import pytest

from shared.errors import DomainError
from services.reporting.anomalies import anomalies
from services.reporting.periods import parse_period

from tests.unit.discipline.conftest import D, decide
from tests.unit.reporting.history import History


@pytest.mark.parametrize("matter", ["internal_politics", "national_interest", "illegal_diploma"])
def test_a_grave_matter_is_never_time_barred(desk, matter):
    # the day after five years, and twenty years later: both still decided
    [event] = decide(desk, form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 2), grave_matter=matter)
    assert event.data["grave_matter"] == matter
    decide(desk, case_id="K2", form="warning", violation_on=D(2003, 3, 1), on=D(2023, 3, 1), grave_matter=matter)


def test_the_same_late_decision_without_a_grave_matter_is_refused(desk):
    decide(desk, form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 1))  # last day: allowed
    with pytest.raises(DomainError) as refused:
        decide(desk, case_id="K2", form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 2))
    assert refused.value.code == "time_barred"
    assert [c.case_id for c in desk.cases()] == ["K1"]  # nothing written for K2


def test_an_unlisted_matter_is_refused_by_the_contract(desk):
    with pytest.raises(pydantic.ValidationError) as refused:
        decide(desk, form="reprimand", violation_on=D(2015, 3, 1), on=D(2020, 3, 2), grave_matter="corruption")
    assert "grave_matter" in str(refused.value)


def test_the_anomalies_audit_does_not_flag_a_grave_matter(tmp_path):
    history = History(tmp_path / "reporting")
    history.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy", "kind": "province"})
    history.add("member.admitted", "2016-01-01", {"member_id": "M1", "org_unit_id": "TN", "full_name": "Trần Văn B",
                                                  "birth_date": "1980-01-01", "sex": "male", "demobilised": "none"},
                org_unit_id="TN")
    for case_id, grave in (("K1", "internal_politics"), ("K2", None)):
        history.add("discipline.applied", "2025-06-01", {"case_id": case_id, "subject_kind": "member",
                                                         "subject_id": "M1", "form": "reprimand",
                                                         "violation_on": "2019-01-10", "grave_matter": grave},
                    org_unit_id="TN")
    report = anomalies(history.view(as_of=D(2025, 12, 31)), None, parse_period("2025"))
    history.close()
    assert [r["label_vi"].split()[2] for r in report["rows"] if r["anomaly"] == "past_limitation"] == ["K2"]
