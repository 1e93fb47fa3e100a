"""What an inspection officer checks on each discipline decision, without a database: the refusal's
code, field and the values it names (case, member, dates, the period and the text it comes from),
the fields of the facts written (unit, deciding body, post, topic, conclusion, on appeal or not),
and the time limits on the day before, the day of and the day after each edge.

Written from the survivors of mutation testing of ``services/discipline/domain.py``
(docs/mutation-testing.md)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.discipline import domain
from services.discipline import rules as R
from services.discipline.effect import lapse_days, view
from services.discipline.roster import Subject
from shared.contracts.discipline import (AnnulDiscipline, AppealDiscipline, ApplyDiscipline, ChangeDiscipline,
                                         ConcludeInspection, ConcludeSupervision, OpenInspection, OpenSupervision,
                                         ResolveAppeal)
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
TODAY = D(2024, 6, 30)
OFFICIAL = Subject("member", "M1", "official", "C1")
BODY = "Ủy ban Kiểm tra Huyện ủy"


def case(*facts) -> domain.Case:
    return domain.fold_case(list(facts))


def inquiry(*facts) -> domain.Inquiry:
    return domain.fold_inquiry(list(facts))


def applied(on=D(2024, 5, 10), **data):
    """``discipline.applied`` of V1 (member M1, unit C1): a reprimand announced on 15/05/2024."""
    data = {"case_id": "V1", "subject_kind": "member", "subject_id": "M1", "form": "reprimand",
            "violation_on": "2024-01-05", "announced_on": "2024-05-15", **data}
    return fact("discipline.applied", on, "C1", **{k: v for k, v in data.items() if v is not None})


APPLIED = applied()
APPEALED = fact("discipline.appealed", D(2024, 6, 1), "C1", case_id="V1", received_on="2024-05-15")
ANNULLED = fact("discipline.annulled", D(2024, 6, 1), "C1", case_id="V1")


# -- supervision: its own codes, texts and facts ------------------------------------------------------

G_OPENED = fact("supervision.opened", D(2024, 3, 1), supervision_id="G1", kind="thematic", subject_kind="member",
                subject_id="M1", body="Đảng ủy")


def open_g1(*facts, on=D(2024, 3, 1)):
    cmd = OpenSupervision(supervision_id="G1", kind="thematic", body="Đảng ủy", subject_kind="member",
                          subject_id="M1", topic="Việc thực hiện quy định nêu gương", occurred_on=on)
    return domain.open_inquiry(inquiry(*facts), OFFICIAL, cmd, TODAY, supervision=True)


def conclude_g1(*facts, on=D(2024, 4, 1), **fields):
    cmd = ConcludeSupervision(supervision_id="G1", occurred_on=on, **fields)
    return domain.conclude_inquiry(inquiry(*facts), "C1", cmd, TODAY, supervision=True)


def test_an_opened_supervision_is_filed_under_the_members_unit_with_its_topic():
    [opened] = open_g1()
    assert (opened.occurred_on, opened.org_unit_id) == (D(2024, 3, 1), "C1")
    assert (opened.payload.supervision_id, opened.payload.topic) == ("G1", "Việc thực hiện quy định nêu gương")


def test_a_supervision_is_opened_once_under_the_supervisions_code():
    error = refused(lambda: open_g1(G_OPENED), R.SUPERVISION_EXISTS)
    assert (error.message_vi, error.field, error.status) == ("Đã có cuộc giám sát «G1»", "supervision_id", 409)


def test_a_supervision_is_concluded_once_and_the_refusal_names_the_first_conclusion():
    first = fact("supervision.concluded", D(2024, 4, 1), supervision_id="G1")
    error = refused(lambda: conclude_g1(G_OPENED, first, on=D(2024, 5, 1)), R.SUPERVISION_CONCLUDED)
    assert (error.message_en, error.field) == ("Supervision 'G1' was concluded on 01/04/2024", "supervision_id")


def test_a_supervision_concluded_before_its_opening_is_named_a_supervision():
    error = refused(lambda: conclude_g1(G_OPENED, on=D(2024, 2, 29)), R.CONCLUDED_BEFORE_OPENED)
    assert error.message_vi == "Ngày kết luận 29/02/2024 trước ngày mở cuộc giám sát 01/03/2024"
    assert types(conclude_g1(G_OPENED, on=D(2024, 3, 1))) == ["supervision.concluded"]


def test_a_supervision_conclusion_keeps_its_findings_under_the_unit():
    [concluded] = conclude_g1(G_OPENED, signs_of_violation=True, conclusion="Có dấu hiệu vi phạm")
    assert (concluded.occurred_on, concluded.org_unit_id) == (D(2024, 4, 1), "C1")
    assert (concluded.payload.signs_of_violation, concluded.payload.conclusion) == (True, "Có dấu hiệu vi phạm")


# -- inspection conclusions ------------------------------------------------------------------------------

K_OPENED = fact("inspection.opened", D(2024, 3, 1), inspection_id="K1", kind="signs_of_violation",
                subject_kind="member", subject_id="M1", body="UBKT")


def conclude_k1(*facts, on=D(2024, 4, 1), **fields):
    cmd = ConcludeInspection(inspection_id="K1", occurred_on=on, **fields)
    return domain.conclude_inquiry(inquiry(*facts), "C1", cmd, TODAY, supervision=False)


def test_an_inspection_conclusion_keeps_its_text_and_unit():
    [concluded] = conclude_k1(K_OPENED, conclusion="Vi phạm quy định", violations=[{"committed_on": D(2024, 2, 1)}])
    assert (concluded.org_unit_id, concluded.payload.conclusion) == ("C1", "Vi phạm quy định")
    assert [v.committed_on for v in concluded.payload.violations] == [D(2024, 2, 1)]


def test_a_violation_after_the_conclusion_is_refused_with_both_dates():
    error = refused(lambda: conclude_k1(K_OPENED, violations=[{"committed_on": D(2024, 3, 1)},
                                                               {"committed_on": D(2024, 4, 2)}]),
                    R.VIOLATION_AFTER_CONCLUSION)
    assert (error.message_vi, error.field) == ("Vi phạm ngày 02/04/2024 sau ngày kết luận 01/04/2024",
                                               "violations.1.committed_on")


# -- the case as folded from its facts --------------------------------------------------------------------

def test_a_change_is_the_form_from_its_own_day_not_the_day_before():
    c = case(APPLIED, fact("discipline.changed", D(2024, 7, 1), "C1", case_id="V1", form="warning"))
    assert [c.form_on(D(2024, 6, 30)), c.form_on(D(2024, 7, 1)), c.form_on(D(2024, 7, 2))] == \
        ["reprimand", "warning", "warning"]


def test_the_case_keeps_the_latest_of_its_violations():
    c = case(applied(later_violations=["2024-03-01", "2024-02-01"]))
    assert c.violation_on == D(2024, 3, 1)
    assert view(c)["violation_on"] == "2024-03-01"


def test_a_decision_recorded_without_an_announcement_day_is_announced_on_its_decision_day():
    c = case(applied(announced_on=None, violation_on=D(2024, 1, 5)))
    assert (c.announced_on, c.violation_on) == (D(2024, 5, 10), D(2024, 1, 5))
    assert lapse_days([c])["V1"] == D(2025, 5, 10)


def test_the_post_held_is_kept_so_a_warning_can_become_a_dismissal_on_appeal():
    c = case(applied(form="warning", post="Bí thư chi bộ"), APPEALED)
    cmd = ResolveAppeal(case_id="V1", outcome="changed", form="dismissal", occurred_on=D(2024, 6, 20))
    [changed] = domain.resolve_appeal(c, OFFICIAL, cmd, TODAY)
    assert (changed.payload.form, changed.payload.on_appeal) == ("dismissal", True)
    without_post = case(applied(form="warning"), APPEALED)
    refused(lambda: domain.resolve_appeal(without_post, OFFICIAL, cmd, TODAY), R.DISMISSAL_NEEDS_POST)


def test_a_change_by_a_higher_body_without_appeal_does_not_restart_the_twelve_months():
    c = case(APPLIED, fact("discipline.changed", D(2024, 6, 1), "C1", case_id="V1", form="warning"))
    assert (c.appeal_resolved_on, c.appeal_pending) == (None, False)
    assert lapse_days([c])["V1"] == D(2025, 5, 15)  # 12 months from the announcement, not from the change


def test_an_annulment_on_appeal_ends_the_pending_appeal():
    c = case(APPLIED, APPEALED, fact("discipline.annulled", D(2024, 6, 20), "C1", case_id="V1"))
    assert (c.appeal_pending, c.appeal_resolved_on) == (False, D(2024, 6, 20))
    assert view(c)["appeal_pending"] is False and view(c)["annulled_on"] == "2024-06-20"


# -- limitation (thời hiệu): period and source of the subject's own table ---------------------------------

def test_a_time_barred_decision_names_form_period_source_and_dates():
    def decide(on):
        return domain.check_limitation("member", "reprimand", D(2015, 3, 1), on, rules_on(on))
    decide(D(2020, 2, 29)), decide(D(2020, 3, 1))
    error = refused(lambda: decide(D(2020, 3, 2)), R.TIME_BARRED)
    assert error.message_vi == ("Đã hết thời hiệu xử lý kỷ luật «khiển trách» (5 năm, QĐ 69 / QĐ 264): "
                                "vi phạm ngày 01/03/2015, thời hiệu đến hết ngày 01/03/2020, ngày quyết định 02/03/2020")
    assert error.details == {"violation_on": "2015-03-01", "decided_on": "2020-03-02"}


#: a rule book whose organisation table differs from the members' (a dated change may do that)
TABLE = [
    ("limitation_years_member", D(1900, 1, 1), {"reprimand": 5, "warning": 10}, "Quy định cho đảng viên"),
    ("limitation_years_org_unit", D(1900, 1, 1), {"reprimand": 3, "warning": 10}, "Quy định cho tổ chức"),
    ("limitation_exempt_matters", D(1900, 1, 1), (), "—"),
]


@pytest.mark.parametrize("kind, years, source", [("org_unit", 3, "Quy định cho tổ chức"),
                                                  ("member", 5, "Quy định cho đảng viên")])
def test_each_kind_of_subject_has_the_period_and_source_of_its_own_table(kind, years, source):
    rules = rules_on(D(2024, 1, 1), TABLE)
    last = D(2020 + years, 1, 10)
    domain.check_limitation(kind, "reprimand", D(2020, 1, 10), last, rules)
    error = refused(lambda: domain.check_limitation(kind, "reprimand", D(2020, 1, 10), last + dt.timedelta(days=1),
                                                    rules), R.TIME_BARRED)
    assert f"({years} năm, {source})" in error.message_vi


# -- applying a decision ----------------------------------------------------------------------------------

def apply(state=None, inspection=None, **fields):
    fields = {"case_id": "V2", "subject_kind": "member", "subject_id": "M1", "form": "reprimand",
              "violation_on": D(2024, 1, 5), "occurred_on": D(2024, 6, 1), **fields}
    cmd = ApplyDiscipline(**fields)
    return domain.apply_discipline(state or case(), OFFICIAL, inspection, cmd, rules_on(cmd.occurred_on), TODAY)


def test_the_decision_written_names_body_announcement_post_inspection_and_unit():
    inspection = inquiry(K_OPENED)
    [decided] = apply(inspection=inspection, form="dismissal", post="Bí thư chi bộ", decided_by=BODY,
                      announced_on=D(2024, 6, 5), inspection_id="K1", later_violations=[D(2024, 2, 1)])
    p = decided.payload
    assert (decided.occurred_on, decided.org_unit_id) == (D(2024, 6, 1), "C1")
    assert (p.case_id, p.form, p.decided_by, p.announced_on, p.post, p.inspection_id) == \
        ("V2", "dismissal", BODY, D(2024, 6, 5), "Bí thư chi bộ", "K1")
    assert (p.violation_on, p.later_violations) == (D(2024, 1, 5), (D(2024, 2, 1),))


def test_a_second_decision_of_a_case_names_the_case():
    error = refused(lambda: apply(state=case(APPLIED), case_id="V1"), R.CASE_EXISTS)
    assert error.message_vi == "Vụ kỷ luật «V1» đã có quyết định"


def test_a_later_violation_after_the_decision_is_refused_with_both_dates_and_its_line():
    apply(later_violations=[D(2024, 3, 1), D(2024, 6, 1)])  # the decision's own day is not after it
    error = refused(lambda: apply(later_violations=[D(2024, 3, 1), D(2024, 6, 2)]), R.VIOLATION_AFTER_DECISION)
    assert (error.message_vi, error.field) == ("Ngày vi phạm 02/06/2024 sau ngày quyết định 01/06/2024",
                                               "later_violations.1")


def test_an_announcement_after_today_is_refused_on_the_announcement_field():
    assert types(apply(occurred_on=TODAY, announced_on=TODAY)) == ["discipline.applied"]
    error = refused(lambda: apply(occurred_on=TODAY, announced_on=D(2024, 7, 1)), R.DATE_IN_FUTURE)
    assert (error.field, error.message_vi) == ("announced_on", "Ngày 01/07/2024 ở tương lai (hôm nay là 30/06/2024)")


def test_the_inspection_refusals_name_the_inspection_and_the_member():
    error = refused(lambda: apply(inspection_id="K9"), R.INSPECTION_NOT_FOUND)
    assert error.message_vi == "Không tìm thấy cuộc kiểm tra «K9»"
    other = inquiry(fact("inspection.opened", D(2024, 3, 1), inspection_id="K1", kind="regular",
                         subject_kind="member", subject_id="M2", body="UBKT"))
    error = refused(lambda: apply(inspection=other, inspection_id="K1"), R.INSPECTION_OF_OTHER_SUBJECT)
    assert error.message_vi == "Cuộc kiểm tra «K1» không kiểm tra «M1»"


@pytest.mark.parametrize("committed, barred", [(D(2024, 5, 31), False), (D(2024, 6, 1), False),
                                               (D(2024, 6, 2), True)])
def test_a_violation_the_inspection_found_counts_up_to_the_decision_day(committed, barred):
    """The violation disciplined is 6 years old (a reprimand's 5 years have run out); the inspection
    found a newer one, which restarts the clock only if committed by the decision day."""
    found = inquiry(K_OPENED, fact("inspection.concluded", D(2024, 6, 10), inspection_id="K1",
                                   violations=[{"committed_on": committed.isoformat()}]))
    if barred:
        refused(lambda: apply(inspection=found, inspection_id="K1", violation_on=D(2018, 1, 5)), R.TIME_BARRED)
    else:
        assert types(apply(inspection=found, inspection_id="K1", violation_on=D(2018, 1, 5))) == ["discipline.applied"]


# -- an unknown or annulled case, a date before the decision --------------------------------------------------

def operations(c):
    return {
        "appeal": lambda: domain.appeal(c, AppealDiscipline(case_id="V1", occurred_on=D(2024, 6, 10)),
                                        rules_on(TODAY), TODAY),
        "change": lambda: domain.change(c, OFFICIAL, ChangeDiscipline(case_id="V1", form="warning",
                                                                      occurred_on=D(2024, 6, 10)), TODAY),
        "annul": lambda: domain.annul(c, AnnulDiscipline(case_id="V1", occurred_on=D(2024, 6, 10)), TODAY),
        "resolve": lambda: domain.resolve_appeal(c, OFFICIAL, ResolveAppeal(case_id="V1", outcome="upheld",
                                                                            occurred_on=D(2024, 6, 10)), TODAY),
    }


@pytest.mark.parametrize("op", ["appeal", "change", "annul", "resolve"])
def test_an_unknown_case_is_named(op):
    error = refused(operations(case())[op], R.CASE_NOT_FOUND)
    assert (error.message_vi, error.status) == ("Không tìm thấy vụ kỷ luật «V1»", 404)


@pytest.mark.parametrize("op", ["appeal", "change", "annul", "resolve"])
def test_an_annulled_case_is_named_with_its_annulment_day(op):
    error = refused(operations(case(APPLIED, ANNULLED))[op], R.CASE_ANNULLED)
    assert error.message_vi == "Quyết định kỷ luật «V1» đã bị hủy ngày 01/06/2024"


def test_a_receipt_before_the_decision_is_refused_on_the_receipt_field():
    def appeal(received):
        cmd = AppealDiscipline(case_id="V1", received_on=received, occurred_on=D(2024, 5, 20))
        return domain.appeal(case(APPLIED), cmd, rules_on(TODAY), TODAY)
    assert types(appeal(D(2024, 5, 10))) == ["discipline.appealed"]
    error = refused(lambda: appeal(D(2024, 5, 9)), R.BEFORE_DECISION)
    assert (error.field, error.message_vi, error.message_en) == (
        "received_on", "Ngày nhận quyết định 09/05/2024 trước ngày quyết định 10/05/2024",
        "Receipt 09/05/2024 precedes the decision of 10/05/2024")


@pytest.mark.parametrize("op, vi, en", [("change", "Ngày thay đổi", "The change"),
                                        ("annul", "Ngày hủy", "The annulment")])
def test_a_change_or_annulment_before_the_decision_is_refused_with_both_dates(op, vi, en):
    def run(on):
        if op == "change":
            return domain.change(case(APPLIED), OFFICIAL, ChangeDiscipline(case_id="V1", form="warning",
                                                                           occurred_on=on), TODAY)
        return domain.annul(case(APPLIED), AnnulDiscipline(case_id="V1", occurred_on=on), TODAY)
    assert len(run(D(2024, 5, 10))) == 1
    error = refused(lambda: run(D(2024, 5, 9)), R.BEFORE_DECISION)
    assert (error.field, error.message_vi, error.message_en) == (
        "occurred_on", f"{vi} 09/05/2024 trước ngày quyết định 10/05/2024",
        f"{en} 09/05/2024 precedes the decision of 10/05/2024")


# -- appeals: receipt day and one month, both sides ------------------------------------------------------------

def appeal_on(day):
    return domain.appeal(case(APPLIED), AppealDiscipline(case_id="V1", occurred_on=day), rules_on(TODAY), TODAY)


def test_an_appeal_is_lodged_from_the_day_the_decision_is_received():
    error = refused(lambda: appeal_on(D(2024, 5, 14)), R.APPEAL_BEFORE_RECEIPT)
    assert (error.message_vi, error.field) == ("Ngày khiếu nại 14/05/2024 trước ngày nhận quyết định 15/05/2024",
                                               "occurred_on")
    [lodged] = appeal_on(D(2024, 5, 15))
    assert (lodged.occurred_on, lodged.org_unit_id, lodged.payload.received_on) == (D(2024, 5, 15), "C1",
                                                                                     D(2024, 5, 15))
    assert types(appeal_on(D(2024, 5, 16))) == ["discipline.appealed"]


def test_an_appeal_after_the_month_names_the_rule_and_the_deadline():
    assert types(appeal_on(D(2024, 6, 14))) == types(appeal_on(D(2024, 6, 15))) == ["discipline.appealed"]
    error = refused(lambda: appeal_on(D(2024, 6, 16)), R.APPEAL_LATE)
    assert error.message_vi == ("Quá thời hạn khiếu nại (1 tháng, Điều lệ Đảng, Điều 37): nhận quyết định ngày "
                                "15/05/2024, hạn đến hết ngày 15/06/2024, khiếu nại ngày 16/06/2024")


# -- changes, annulments, resolutions: what is written -----------------------------------------------------------

def test_a_change_to_the_same_form_names_it():
    error = refused(lambda: domain.change(case(APPLIED), OFFICIAL, ChangeDiscipline(
        case_id="V1", form="reprimand", occurred_on=D(2024, 6, 10)), TODAY), R.FORM_UNCHANGED)
    assert (error.message_vi, error.message_en) == ("Hình thức kỷ luật đã là «khiển trách»",
                                                    "The form is already 'reprimand'")


def test_a_change_records_subject_body_appeal_and_unit():
    cmd = ChangeDiscipline(case_id="V1", form="warning", subject_kind="member", subject_id="M1", decided_by=BODY,
                           on_appeal=True, occurred_on=D(2024, 6, 10))
    [changed] = domain.change(case(APPLIED), OFFICIAL, cmd, TODAY)
    p = changed.payload
    assert (changed.occurred_on, changed.org_unit_id) == (D(2024, 6, 10), "C1")
    assert (p.form, p.subject_kind, p.subject_id, p.decided_by, p.on_appeal) == ("warning", "member", "M1", BODY, True)


def test_an_annulment_records_subject_body_appeal_and_unit():
    cmd = AnnulDiscipline(case_id="V1", subject_kind="member", subject_id="M1", decided_by=BODY, on_appeal=True,
                          occurred_on=D(2024, 6, 10))
    [annulled] = domain.annul(case(APPLIED), cmd, TODAY)
    p = annulled.payload
    assert (annulled.occurred_on, annulled.org_unit_id) == (D(2024, 6, 10), "C1")
    assert (p.subject_kind, p.subject_id, p.decided_by, p.on_appeal) == ("member", "M1", BODY, True)


@pytest.mark.parametrize("who", [{"subject_id": "M2"}, {"subject_kind": "org_unit"},
                                 {"subject_kind": "org_unit", "subject_id": "M1"}])
@pytest.mark.parametrize("op", ["change", "annul"])
def test_a_change_or_annulment_of_another_subjects_case_is_refused(op, who):
    def run():
        if op == "change":
            return domain.change(case(APPLIED), OFFICIAL, ChangeDiscipline(case_id="V1", form="warning",
                                                                           occurred_on=D(2024, 6, 10), **who), TODAY)
        return domain.annul(case(APPLIED), AnnulDiscipline(case_id="V1", occurred_on=D(2024, 6, 10), **who), TODAY)
    error = refused(run, R.CASE_OF_OTHER_SUBJECT)
    assert error.field == "subject_id"
    if "subject_id" in who:
        assert error.message_vi == f"Vụ kỷ luật «V1» không phải của «{who['subject_id']}»"


def test_an_appeal_is_resolved_only_while_pending_and_from_its_day():
    upheld = ResolveAppeal(case_id="V1", outcome="upheld", decided_by=BODY, occurred_on=D(2024, 6, 1))
    error = refused(lambda: domain.resolve_appeal(case(APPLIED), OFFICIAL, upheld, TODAY), R.NO_PENDING_APPEAL)
    assert error.message_vi == "Quyết định «V1» không có khiếu nại đang chờ giải quyết"
    early = upheld.model_copy(update={"occurred_on": D(2024, 5, 31)})
    error = refused(lambda: domain.resolve_appeal(case(APPLIED, APPEALED), OFFICIAL, early, TODAY),
                    R.RESOLVED_BEFORE_APPEAL)
    assert error.message_vi == "Ngày giải quyết 31/05/2024 trước ngày khiếu nại 01/06/2024"
    [written] = domain.resolve_appeal(case(APPLIED, APPEALED), OFFICIAL, upheld, TODAY)
    assert (written.payload.TYPE, written.occurred_on, written.org_unit_id, written.payload.decided_by) == \
        ("discipline.upheld", D(2024, 6, 1), "C1", BODY)


def test_a_change_for_a_member_who_had_left_before_the_decision_is_refused_by_name_and_day():
    """A removal recorded late but dated before the decision: the case stands until annulled,
    but no new form can be given to someone who was no longer a member (not an internal error)."""
    left = Subject("member", "M1", "left", "C1")
    error = refused(lambda: domain.change(case(APPLIED), left, ChangeDiscipline(
        case_id="V1", form="warning", occurred_on=D(2024, 6, 10)), TODAY), R.MEMBER_LEFT)
    assert ("M1" in error.message_vi and "10/05/2024" in error.message_vi, error.to_dict()["field"]) == \
        (True, "case_id")
    # the decision itself can still be annulled
    assert domain.annul(case(APPLIED), AnnulDiscipline(case_id="V1", occurred_on=D(2024, 6, 10)), TODAY)
