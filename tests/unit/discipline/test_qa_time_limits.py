"""QA pass on the discipline rules with time limits (DOMAIN.md §5), at their edges: what a later
case's violations do to an earlier decision's 12 months, what a change of form does to the
dismissal's bar on election, the one-month appeal from a month's end, the limitation's anniversary
for an organisation."""
import pytest

from shared.contracts.discipline import AppealDiscipline, ChangeDiscipline, ResolveAppeal
from shared.errors import DomainError
from services.discipline import application as app
from services.discipline.effect import in_effect, lapse_days, view

from tests.unit.discipline.conftest import D, decide


def effective(desk, on, subject_id="M1"):
    return {r["case_id"]: r for r in in_effect(desk.cases(subject_id=subject_id), on)}


# -- a new violation within the 12 months ---------------------------------------------------------

def refusal(desk, **decision) -> str:
    """The code of the refusal a decision meets (it must be refused)."""
    with pytest.raises(DomainError) as refused:
        decide(desk, **decision)
    return refused.value.code


def test_a_later_case_keeps_an_earlier_decision_in_effect_by_any_violation_it_disciplines_in_the_year(desk):
    """K2 disciplines a violation of 01/06/2021, inside K1's year, together with one of 01/04/2022
    (after K1's year): the violation of 01/06/2021 is a new violation within the 12 months, so K1
    does not lapse on 01/03/2022 — whichever of K2's violations is the latest."""
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", violation_on=D(2021, 6, 1), later_violations=[D(2022, 4, 1)], on=D(2022, 5, 1))
    assert effective(desk, D(2022, 3, 15))["K1"]["lapses_on"] == "2023-05-01"
    assert set(effective(desk, D(2022, 5, 1))) == {"K1", "K2"}


def test_a_later_cases_violations_outside_the_year_do_not_extend_it(desk):
    """Both of K2's violations fall outside K1's year (one before its announcement, one after its
    lapse day): K1 lapses on its own day."""
    decide(desk, case_id="K1", on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    decide(desk, case_id="K2", violation_on=D(2021, 3, 10), later_violations=[D(2022, 3, 10)], on=D(2022, 4, 1))
    assert effective(desk, D(2022, 3, 9))["K1"]["lapses_on"] == "2022-03-10"
    assert "K1" not in effective(desk, D(2022, 3, 10))


# -- the dismissal's bar when the form changes ---------------------------------------------------

def test_a_dismissal_changed_on_appeal_to_a_warning_bars_election_only_until_the_change(desk):
    """"Changed" replaces the form: from the change the member is warned, not dismissed, so the
    one-year bar on election stops there (it applied meanwhile: the decision applies during the appeal)."""
    decide(desk, case_id="K1", form="dismissal", post="Bí thư chi bộ", on=D(2021, 3, 1))
    desk.run(app.appeal_discipline, AppealDiscipline, case_id="K1", occurred_on=D(2021, 3, 10))
    assert effective(desk, D(2021, 3, 20))["K1"]["election_barred_until"] == "2022-03-01"
    desk.run(app.resolve_appeal, ResolveAppeal, case_id="K1", outcome="changed", form="warning",
             occurred_on=D(2021, 4, 1), decided_by="Ban Thường vụ Tỉnh ủy")
    row = effective(desk, D(2021, 5, 1))["K1"]
    assert row["form"] == "warning" and row["election_barred_until"] == "2021-04-01"
    [case] = desk.cases(subject_id="M1")
    assert view(case, None, lapse_days([case])["K1"])["election_barred_until"] == "2021-04-01"


def test_a_dismissal_changed_after_its_bar_ended_keeps_the_bar_it_had(desk):
    decide(desk, case_id="K1", form="dismissal", post="Bí thư chi bộ", violation_on=D(2020, 3, 1),
           on=D(2021, 3, 1))
    desk.run(app.change_discipline, ChangeDiscipline, case_id="K1", form="warning", occurred_on=D(2022, 6, 1),
             decided_by="Ủy ban Kiểm tra Trung ương", today=D(2024, 6, 30))
    [case] = desk.cases(subject_id="M1")
    assert view(case)["election_barred_until"] == "2022-03-01"


def test_a_dismissal_upheld_on_appeal_keeps_its_year_from_the_announcement(desk):
    decide(desk, case_id="K1", form="dismissal", post="Bí thư chi bộ", on=D(2021, 3, 1), announced_on=D(2021, 3, 5))
    desk.run(app.appeal_discipline, AppealDiscipline, case_id="K1", occurred_on=D(2021, 3, 10))
    desk.run(app.resolve_appeal, ResolveAppeal, case_id="K1", outcome="upheld", occurred_on=D(2021, 5, 1),
             decided_by="Ban Thường vụ Tỉnh ủy")
    assert effective(desk, D(2021, 6, 1))["K1"]["election_barred_until"] == "2022-03-05"


# -- edges that hold (kept as regression tests) ---------------------------------------------------

@pytest.mark.parametrize("decided, last_ok, first_late", [
    (D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 1)),   # leap year: 31/01 → 29/02
    (D(2023, 1, 31), D(2023, 2, 28), D(2023, 3, 1)),   # common year: 31/01 → 28/02
    (D(2023, 2, 28), D(2023, 3, 28), D(2023, 3, 29)),  # the same day, not the month's end
])
def test_an_appeal_is_in_time_to_the_same_day_a_month_after_receipt_or_the_months_end(desk, decided, last_ok,
                                                                                        first_late):
    decide(desk, case_id="K1", violation_on=D(2022, 12, 1), on=decided)
    with pytest.raises(DomainError) as refused:
        desk.run(app.appeal_discipline, AppealDiscipline, case_id="K1", occurred_on=first_late)
    assert refused.value.code == "appeal_late"
    [event] = desk.run(app.appeal_discipline, AppealDiscipline, case_id="K1", occurred_on=last_ok)
    assert event.type == "discipline.appealed"


def test_a_decision_announced_on_29_february_lapses_on_28_february(desk):
    decide(desk, case_id="K1", violation_on=D(2024, 1, 10), on=D(2024, 2, 29))
    assert effective(desk, D(2025, 2, 27))["K1"]["lapses_on"] == "2025-02-28"
    assert effective(desk, D(2025, 2, 28)) == {}


def test_an_organisation_reprimand_is_allowed_on_the_fifth_anniversary_and_refused_the_day_after(desk):
    decide(desk, case_id="K1", subject_kind="org_unit", subject_id="C1", violation_on=D(2019, 2, 28),
           on=D(2024, 2, 28))
    assert refusal(desk, case_id="K2", subject_kind="org_unit", subject_id="C1", violation_on=D(2019, 2, 28),
                   on=D(2024, 2, 29)) == "time_barred"


def test_a_dissolved_organisation_cannot_be_disciplined(desk):
    desk.fact("org_unit.dissolved", D(2022, 1, 1), "org_unit-C1", org_unit_id="C1")
    assert refusal(desk, case_id="K1", subject_kind="org_unit", subject_id="C1", violation_on=D(2021, 6, 1),
                   on=D(2022, 2, 1)) == "org_unit_inactive"


def test_a_member_who_died_cannot_be_disciplined_after_death(desk):
    desk.fact("member.died", D(2022, 1, 1), "member-M1", member_id="M1")
    assert refusal(desk, case_id="K1", violation_on=D(2021, 6, 1), on=D(2022, 2, 1)) == "member_left"
