"""When a decision stops having effect, at the edges (DOMAIN.md §5; Điều lệ Đảng, Điều 39): a new
violation extends an earlier decision only if committed after its announcement and before its
lapse day (the day the decision is no longer in effect); several later cases, a later case under
pending appeal, and a dated change of the 12 months.

Written from the survivors of mutation testing (docs/mutation-testing.md)."""
import datetime as dt

from shared.contracts.discipline import AnnulDiscipline, AppealDiscipline
from shared.rules import rules_on
from services.discipline import application as app
from services.discipline.effect import in_effect

from tests.unit.discipline.conftest import D, decide


def lapses(desk, on, subject_id="M1", rules_for=rules_on):
    return {r["case_id"]: r["lapses_on"] for r in in_effect(desk.cases(subject_id=subject_id), on, rules_for)}


def test_a_violation_the_day_after_the_announcement_extends_the_earlier_decision(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    decide(desk, case_id="K2", violation_on=D(2021, 3, 11), on=D(2021, 6, 1))
    assert lapses(desk, D(2022, 3, 15)) == {"K1": "2022-06-01", "K2": "2022-06-01"}


def test_a_violation_on_the_announcement_day_does_not_extend_it(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    decide(desk, case_id="K2", violation_on=D(2021, 3, 10), on=D(2021, 6, 1))
    assert lapses(desk, D(2022, 3, 9)) == {"K1": "2022-03-10", "K2": "2022-06-01"}
    assert lapses(desk, D(2022, 3, 10)) == {"K2": "2022-06-01"}


def test_a_violation_the_day_before_the_lapse_day_extends_it(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    decide(desk, case_id="K2", violation_on=D(2022, 3, 9), on=D(2022, 4, 1))
    assert lapses(desk, D(2022, 3, 20)) == {"K1": "2023-04-01"}  # K2 decided later: not yet in effect
    assert set(lapses(desk, D(2022, 4, 1))) == {"K1", "K2"}


def test_a_violation_on_the_lapse_day_comes_after_the_decision_stopped(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1), announced_on=D(2021, 3, 10))
    decide(desk, case_id="K2", violation_on=D(2022, 3, 10), on=D(2022, 4, 1))
    assert lapses(desk, D(2022, 3, 9)) == {"K1": "2022-03-10"}
    assert lapses(desk, D(2022, 4, 1)) == {"K2": "2023-04-01"}


def test_every_later_violation_counts_not_only_the_first(desk):
    """K2 and K3 both fall in K1's year; K3 (committed before K2 was announced) does not extend K2,
    but it extends K1 beyond K2's lapse day."""
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", violation_on=D(2021, 5, 1), on=D(2021, 6, 1))
    decide(desk, case_id="K3", violation_on=D(2021, 5, 15), on=D(2021, 9, 1))
    assert lapses(desk, D(2021, 10, 1)) == {"K1": "2022-09-01", "K2": "2022-06-01", "K3": "2022-09-01"}


def test_an_earlier_decision_stays_in_effect_while_a_later_one_is_under_appeal(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", violation_on=D(2021, 11, 1), on=D(2022, 1, 15))
    desk.run(app.appeal_discipline, AppealDiscipline, case_id="K2", occurred_on=D(2022, 2, 1))
    assert lapses(desk, D(2023, 6, 1)) == {"K1": None, "K2": None}


def test_the_months_of_effect_come_from_the_rule_in_force(desk):
    """A deployment that dates a different length in (a rule row) sees it, for every case."""
    def six_months(day):
        rules = rules_on(day)
        return rules.__class__(rules.on, {**rules.values, "discipline_effect_months": 6}, rules.sources)

    decide(desk, case_id="K1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", violation_on=D(2021, 5, 1), on=D(2021, 6, 1))
    assert lapses(desk, D(2021, 7, 1), rules_for=six_months) == {"K1": "2021-12-01", "K2": "2021-12-01"}
    assert lapses(desk, D(2021, 12, 1), rules_for=six_months) == {}


def test_a_row_in_effect_says_everything_a_clerk_reads(desk):
    decide(desk, case_id="K1", form="dismissal", post="Bí thư chi bộ", violation_on=D(2020, 12, 1),
           on=D(2021, 3, 1), announced_on=D(2021, 3, 5))
    [row] = in_effect(desk.cases(subject_id="M1"), D(2021, 3, 1))  # in effect from its decision day
    assert row == {"case_id": "K1", "subject_kind": "member", "subject_id": "M1", "org_unit_id": "C1",
                   "form": "dismissal", "original_form": "dismissal", "decided_on": "2021-03-01",
                   "announced_on": "2021-03-05", "violation_on": "2020-12-01", "appealed_on": None,
                   "appeal_pending": False, "annulled_on": None, "lapses_on": "2022-03-05",
                   "election_barred_until": "2022-03-05"}
    assert in_effect(desk.cases(subject_id="M1"), D(2021, 2, 28)) == []


def test_only_a_dismissal_bars_election(desk):
    decide(desk, case_id="K1", form="warning", on=D(2021, 3, 1))
    [row] = in_effect(desk.cases(subject_id="M1"), D(2021, 4, 1))
    assert row["election_barred_until"] is None


def test_the_bar_follows_the_rule_in_force(desk):
    def three_months(day):
        rules = rules_on(day)
        return rules.__class__(rules.on, {**rules.values, "dismissal_bar_months": 3}, rules.sources)

    decide(desk, case_id="K1", form="dismissal", post="Bí thư chi bộ", on=D(2021, 3, 1))
    [row] = in_effect(desk.cases(subject_id="M1"), D(2021, 4, 1), three_months)
    assert row["election_barred_until"] == "2021-06-01"


def test_subjects_are_judged_apart(desk):
    """Another member's later violation does not keep this member's decision in effect."""
    desk.admit("M2")
    decide(desk, case_id="K1", subject_id="M1", on=D(2021, 3, 1))
    decide(desk, case_id="K2", subject_id="M2", violation_on=D(2021, 11, 1), on=D(2022, 1, 15))
    rows = {r["case_id"]: r["lapses_on"] for r in in_effect(desk.cases(), D(2022, 2, 1))}
    assert rows == {"K1": "2022-03-01", "K2": "2023-01-15"}


def test_an_annulled_case_does_not_hide_the_next_one(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    desk.run(app.annul_discipline, AnnulDiscipline,
             case_id="K1", occurred_on=D(2021, 4, 1), decided_by="Ủy ban Kiểm tra Tỉnh ủy")
    decide(desk, case_id="K2", violation_on=D(2021, 5, 1), on=D(2021, 6, 1))
    assert lapses(desk, D(2021, 7, 1)) == {"K2": "2022-06-01"}


def test_a_case_read_without_a_day_shows_its_current_form_and_appeal(desk):
    """The case record (get_case) is the view without a day: the form as changed on appeal."""
    from shared.contracts.discipline import ResolveAppeal
    from services.discipline.effect import view
    decide(desk, case_id="K1", form="warning", on=D(2021, 3, 1))
    desk.run(app.appeal_discipline, AppealDiscipline, case_id="K1", occurred_on=D(2021, 3, 20))
    [pending] = in_effect(desk.cases(subject_id="M1"), D(2021, 4, 1))
    assert pending["appealed_on"] == "2021-03-20" and pending["appeal_pending"] is True
    desk.run(app.resolve_appeal, ResolveAppeal, case_id="K1", outcome="changed", form="reprimand",
             occurred_on=D(2021, 5, 1), decided_by="Ban Thường vụ Tỉnh ủy")
    [case] = desk.cases(subject_id="M1")
    record = view(case)
    assert record["form"] == "reprimand" and record["original_form"] == "warning"
    assert record["appealed_on"] == "2021-03-20" and record["appeal_pending"] is False


def test_a_case_annulled_later_shows_the_annulment_date_until_then(desk):
    decide(desk, case_id="K1", on=D(2021, 3, 1))
    desk.run(app.annul_discipline, AnnulDiscipline, case_id="K1", occurred_on=D(2021, 8, 1),
             decided_by="Ủy ban Kiểm tra Tỉnh ủy")
    [row] = in_effect(desk.cases(subject_id="M1"), D(2021, 7, 31))
    assert row["annulled_on"] == "2021-08-01"
    assert in_effect(desk.cases(subject_id="M1"), D(2021, 8, 1)) == []
