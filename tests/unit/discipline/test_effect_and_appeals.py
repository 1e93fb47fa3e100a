"""Effect (hiệu lực) and appeals (khiếu nại): lapse 12 months after announcement, the one-month
appeal limit, and outcomes upheld / changed / annulled (DOMAIN.md §5)."""
import pytest

from shared.contracts.discipline import AppealDiscipline, ChangeDiscipline, ResolveAppeal
from shared.errors import DomainError
from services.discipline import application as app
from services.discipline.effect import in_effect

from tests.unit.discipline.conftest import D, decide


def effective(desk, on, **filters):
    return {r["case_id"]: r for r in in_effect(desk.cases(**filters), on)}


def appeal(desk, on, case_id="K1", **extra):
    return desk.run(app.appeal_discipline, AppealDiscipline, case_id=case_id, occurred_on=on, **extra)


def resolve(desk, on, outcome, case_id="K1", **extra):
    return desk.run(app.resolve_appeal, ResolveAppeal, case_id=case_id, outcome=outcome, occurred_on=on,
                    decided_by="Ban Thường vụ Tỉnh ủy", **extra)


def test_a_reprimand_lapses_twelve_months_after_announcement(desk):
    decide(desk, on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    assert effective(desk, D(2021, 2, 28)) == {}
    assert effective(desk, D(2022, 3, 9))["K1"]["lapses_on"] == "2022-03-10"
    assert "K1" not in effective(desk, D(2022, 3, 10))


def test_expulsion_never_lapses(desk):
    decide(desk, form="expulsion", on=D(2021, 3, 1))
    assert effective(desk, D(2030, 1, 1))["K1"]["lapses_on"] is None


def test_a_new_violation_within_the_year_keeps_the_decision_in_effect(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", form="warning", violation_on=D(2021, 11, 1), on=D(2022, 1, 15))
    rows = effective(desk, D(2022, 6, 1), subject_id="M1")
    assert set(rows) == {"K1", "K2"}
    assert rows["K1"]["lapses_on"] == rows["K2"]["lapses_on"] == "2023-01-15"


def test_a_violation_after_the_year_does_not_revive_a_lapsed_decision(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", violation_on=D(2022, 4, 1), on=D(2022, 5, 1))
    assert set(effective(desk, D(2022, 6, 1))) == {"K2"}


def test_dismissal_bars_election_for_a_year(desk):
    decide(desk, form="dismissal", post="Bí thư chi bộ", on=D(2021, 3, 1), announced_on=D(2021, 3, 5))
    assert effective(desk, D(2021, 4, 1))["K1"]["election_barred_until"] == "2022-03-05"


def test_an_appeal_within_one_month_of_receipt_is_accepted(desk):
    decide(desk, on=D(2021, 3, 1), announced_on=D(2021, 3, 5))
    [event] = appeal(desk, D(2021, 4, 12), received_on=D(2021, 3, 12))
    assert event.type == "discipline.appealed" and event.org_unit_id == "C1"
    assert event.data["received_on"] == "2021-03-12"


def test_an_appeal_after_one_month_is_refused_with_the_dates(desk):
    decide(desk, on=D(2021, 3, 1), announced_on=D(2021, 3, 5))
    with pytest.raises(DomainError) as refused:
        appeal(desk, D(2021, 4, 6))
    err = refused.value
    assert err.code == "appeal_late" and err.field == "occurred_on"
    assert "05/03/2021" in err.message_vi and "05/04/2021" in err.message_vi and "06/04/2021" in err.message_vi
    assert desk.store.read_stream("case-K1")[-1].type == "discipline.applied"


def test_annulment_on_appeal_removes_the_case_from_in_effect(desk):
    decide(desk, on=D(2021, 3, 1))
    appeal(desk, D(2021, 3, 20))
    assert "K1" in effective(desk, D(2021, 5, 1))  # the decision applies while the appeal runs
    [event] = resolve(desk, D(2021, 6, 1), "annulled")
    assert event.type == "discipline.annulled" and event.data["on_appeal"] is True
    assert event.data["subject_id"] == "M1" and event.org_unit_id == "C1"
    assert effective(desk, D(2021, 6, 1)) == {}


def test_a_changed_form_is_what_is_in_effect_from_the_change(desk):
    decide(desk, form="warning", on=D(2021, 3, 1))
    appeal(desk, D(2021, 3, 20))
    [event] = resolve(desk, D(2021, 5, 1), "changed", form="reprimand")
    assert (event.type, event.data["form"]) == ("discipline.changed", "reprimand")
    assert effective(desk, D(2021, 4, 1))["K1"]["form"] == "warning"
    row = effective(desk, D(2021, 6, 1))["K1"]
    assert row["form"] == "reprimand" and row["lapses_on"] == "2022-05-01"  # counted from the outcome


def test_upheld_keeps_the_decision(desk):
    decide(desk, on=D(2021, 3, 1))
    appeal(desk, D(2021, 3, 20))
    [event] = resolve(desk, D(2021, 5, 1), "upheld")
    assert event.type == "discipline.upheld"
    assert effective(desk, D(2021, 6, 1))["K1"]["appeal_pending"] is False


def test_an_outcome_needs_a_pending_appeal_and_a_changed_form_must_be_allowed(desk):
    desk.admit("P1", on=D(2020, 9, 1), official_on=None)
    decide(desk, case_id="K9", subject_id="P1", form="warning", violation_on=D(2021, 1, 1))
    with pytest.raises(DomainError) as no_appeal:
        resolve(desk, D(2021, 5, 1), "upheld", case_id="K9")
    assert no_appeal.value.code == "no_pending_appeal"
    appeal(desk, D(2021, 3, 20), case_id="K9")
    with pytest.raises(DomainError) as not_allowed:
        resolve(desk, D(2021, 5, 1), "changed", case_id="K9", form="expulsion")
    assert not_allowed.value.code == "form_not_allowed"
    with pytest.raises(DomainError) as twice:
        appeal(desk, D(2021, 3, 21), case_id="K9")
    assert twice.value.code == "already_appealed"


def test_a_higher_body_can_change_a_decision_without_an_appeal(desk):
    decide(desk, form="reprimand", on=D(2021, 3, 1))
    [event] = desk.run(app.change_discipline, ChangeDiscipline, case_id="K1", form="warning",
                       occurred_on=D(2021, 7, 1))
    assert event.data["on_appeal"] is False
    assert effective(desk, D(2021, 8, 1))["K1"]["form"] == "warning"
