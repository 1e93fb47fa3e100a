"""The discipline rules without a database: given the case's or inquiry's events, when a command,
then the facts decided or the named rule that refuses it (code, field and both texts as users read
them). Limits are tried on the day before, the day of and the day after."""
from __future__ import annotations

import datetime as dt

import pytest

from services.discipline import domain
from services.discipline import rules as R
from services.discipline.roster import Subject
from shared.contracts.discipline import (AnnulDiscipline, AppealDiscipline, ApplyDiscipline, ChangeDiscipline,
                                         ConcludeInspection, ConcludeSupervision, OpenInspection, ResolveAppeal)
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
TODAY = D(2024, 6, 30)
OFFICIAL = Subject("member", "M1", "official", "C1")
PROBATIONARY = Subject("member", "M2", "probationary", "C1")
LEFT = Subject("member", "M3", "left", "C1")
NOBODY = Subject("member", "M9")
CELL = Subject("org_unit", "C1", "active", "C1")
CLOSED_CELL = Subject("org_unit", "C2", "closed", "C2")


def inspection(*facts) -> domain.Inquiry:
    return domain.fold_inquiry(list(facts))


def case(*facts) -> domain.Case:
    return domain.fold_case(list(facts))


OPENED = fact("inspection.opened", D(2024, 3, 1), inspection_id="K1", kind="signs_of_violation", subject_kind="member",
              subject_id="M1", body="UBKT")
APPLIED = fact("discipline.applied", D(2024, 5, 10), "C1", case_id="V1", subject_kind="member", subject_id="M1",
               form="reprimand", violation_on="2024-01-05", announced_on="2024-05-15")
APPEALED = fact("discipline.appealed", D(2024, 6, 1), "C1", case_id="V1", received_on="2024-05-15")


def open_k1(on: dt.date, subject: Subject = OFFICIAL, state=None):
    cmd = OpenInspection(inspection_id="K1", kind="signs_of_violation", body="UBKT", subject_kind=subject.kind,
                         subject_id=subject.subject_id, occurred_on=on)
    return domain.open_inquiry(state or inspection(), subject, cmd, TODAY, supervision=False)


def apply_v2(subject: Subject = OFFICIAL, state=None, inquiry=None, **fields):
    fields = {"case_id": "V2", "subject_kind": subject.kind, "subject_id": subject.subject_id, "form": "warning",
              "violation_on": D(2024, 1, 5), "occurred_on": D(2024, 6, 1), **fields}
    cmd = ApplyDiscipline(**fields)
    return domain.apply_discipline(state or case(), subject, inquiry, cmd, rules_on(cmd.occurred_on), TODAY)


# -- dates and subjects -----------------------------------------------------------------------------

def test_nothing_is_dated_after_today():
    assert types(open_k1(TODAY)) == ["inspection.opened"]
    error = refused(lambda: open_k1(TODAY + dt.timedelta(days=1)), R.DATE_IN_FUTURE)
    assert error.to_dict() == {"code": "date_in_future", "message_vi": "Ngày 01/07/2024 ở tương lai (hôm nay là 30/06/2024)",
                               "message_en": "Date 01/07/2024 is in the future (today is 30/06/2024)",
                               "field": "occurred_on", "status": 422}


@pytest.mark.parametrize("subject, rule, vi", [
    (NOBODY, R.MEMBER_NOT_FOUND, "Không có đảng viên «M9» trong danh sách vào ngày 01/06/2024"),
    (LEFT, R.MEMBER_LEFT, "«M3» không còn là đảng viên vào ngày 01/06/2024"),
    (Subject("org_unit", "C9"), R.ORG_UNIT_NOT_FOUND, "Không có tổ chức đảng «C9» vào ngày 01/06/2024"),
    (CLOSED_CELL, R.ORG_UNIT_INACTIVE, "Tổ chức đảng «C2» đã giải thể hoặc hợp nhất trước ngày 01/06/2024"),
])
def test_the_subject_must_stand_on_the_day(subject, rule, vi):
    error = refused(lambda: open_k1(D(2024, 6, 1), subject), rule)
    assert (error.message_vi, error.field) == (vi, "subject_id")


# -- inspections ------------------------------------------------------------------------------------

def test_an_inspection_is_opened_once():
    error = refused(lambda: open_k1(D(2024, 6, 1), state=inspection(OPENED)), R.INSPECTION_EXISTS)
    assert error.to_dict() == {"code": "inspection_exists", "message_vi": "Đã có cuộc kiểm tra «K1»",
                               "message_en": "Inspection 'K1' already exists", "field": "inspection_id",
                               "status": 409}


def conclude_k1(on: dt.date, *facts, violations=()):
    cmd = ConcludeInspection(inspection_id="K1", occurred_on=on, violations=violations)
    return domain.conclude_inquiry(inspection(*facts), "C1", cmd, TODAY, supervision=False)


def test_a_conclusion_is_not_dated_before_the_opening():
    refused(lambda: conclude_k1(D(2024, 2, 29), OPENED), R.CONCLUDED_BEFORE_OPENED)
    assert types(conclude_k1(D(2024, 3, 1), OPENED)) == ["inspection.concluded"]
    assert refused(lambda: conclude_k1(D(2024, 2, 29), OPENED), R.CONCLUDED_BEFORE_OPENED).message_vi == \
        "Ngày kết luận 29/02/2024 trước ngày mở cuộc kiểm tra 01/03/2024"


def test_an_inquiry_is_concluded_once_and_only_if_opened():
    concluded = fact("inspection.concluded", D(2024, 4, 1), inspection_id="K1")
    assert refused(lambda: conclude_k1(D(2024, 5, 1), OPENED, concluded), R.INSPECTION_CONCLUDED).message_en == \
        "Inspection 'K1' was concluded on 01/04/2024"
    refused(lambda: conclude_k1(D(2024, 5, 1)), R.INSPECTION_NOT_FOUND)
    cmd = ConcludeSupervision(supervision_id="G1", occurred_on=D(2024, 5, 1))
    error = refused(lambda: domain.conclude_inquiry(inspection(), "C1", cmd, TODAY, supervision=True),
                    R.SUPERVISION_NOT_FOUND)
    assert (error.message_vi, error.field, error.status) == ("Không tìm thấy cuộc giám sát «G1»", "supervision_id", 404)


def test_a_violation_found_is_not_after_the_conclusion():
    on = D(2024, 4, 1)
    assert types(conclude_k1(on, OPENED, violations=[{"committed_on": on}])) == ["inspection.concluded"]
    error = refused(lambda: conclude_k1(on, OPENED, violations=[{"committed_on": D(2024, 4, 2)}]),
                    R.VIOLATION_AFTER_CONCLUSION)
    assert error.field == "violations.0.committed_on"


# -- discipline decisions -----------------------------------------------------------------------------

def test_a_probationary_member_gets_only_a_reprimand_or_a_warning():
    assert types(apply_v2(PROBATIONARY, form="warning")) == ["discipline.applied"]
    error = refused(lambda: apply_v2(PROBATIONARY, form="expulsion"), R.FORM_NOT_ALLOWED)
    assert error.to_dict() == {
        "code": "form_not_allowed", "field": "form", "status": 422,
        "message_vi": "Không thể thi hành kỷ luật «khai trừ» đối với đảng viên dự bị; chỉ được: khiển trách, cảnh cáo",
        "message_en": "Form 'expulsion' is not allowed for a probationary member; allowed: reprimand, warning"}


def test_a_dismissal_names_the_post():
    refused(lambda: apply_v2(form="dismissal"), R.DISMISSAL_NEEDS_POST)
    assert types(apply_v2(form="dismissal", post="Bí thư chi bộ")) == ["discipline.applied"]


def test_a_case_is_decided_once():
    assert refused(lambda: apply_v2(state=case(APPLIED), case_id="V1"), R.CASE_EXISTS).status == 409


def test_dates_of_a_decision_keep_their_order():
    decided = D(2024, 6, 1)
    assert types(apply_v2(violation_on=decided)) == ["discipline.applied"]
    refused(lambda: apply_v2(violation_on=decided + dt.timedelta(days=1)), R.VIOLATION_AFTER_DECISION)
    error = refused(lambda: apply_v2(announced_on=decided - dt.timedelta(days=1)), R.ANNOUNCED_BEFORE_DECISION)
    assert (error.field, error.message_en) == ("announced_on", "Announcement 31/05/2024 precedes the decision 01/06/2024")


def test_the_inspection_cited_must_exist_and_be_about_the_subject():
    refused(lambda: apply_v2(inspection_id="K1", inquiry=inspection()), R.INSPECTION_NOT_FOUND)
    other = fact("inspection.opened", D(2024, 3, 1), inspection_id="K1", kind="signs_of_violation",
                 subject_kind="member", subject_id="M7", body="UBKT")
    refused(lambda: apply_v2(inspection_id="K1", inquiry=inspection(other)), R.INSPECTION_OF_OTHER_SUBJECT)
    assert types(apply_v2(inspection_id="K1", inquiry=inspection(OPENED))) == ["discipline.applied"]


def test_the_limitation_runs_from_the_latest_violation_to_the_same_day_years_later():
    decided = D(2024, 6, 1)
    years = domain.limitation_years("member", "reprimand", rules_on(decided))
    last_violation_in_time = D(decided.year - years, 6, 1)
    assert types(apply_v2(form="reprimand", violation_on=last_violation_in_time)) == ["discipline.applied"]
    late = last_violation_in_time - dt.timedelta(days=1)
    error = refused(lambda: apply_v2(form="reprimand", violation_on=late), R.TIME_BARRED)
    assert error.details == {"violation_on": late.isoformat(), "decided_on": decided.isoformat()}
    assert error.message_en == (f"The {years}-year limitation for 'reprimand' has run out: violation on "
                                f"31/05/{late.year}, limit ended 31/05/2024, decision dated 01/06/2024")
    # a later violation in the same case restarts the clock
    assert types(apply_v2(form="reprimand", violation_on=late, later_violations=[D(2023, 1, 1)])) == \
        ["discipline.applied"]


# -- appeals, changes, annulments -------------------------------------------------------------------

def appeal_v1(on: dt.date, *facts, **fields):
    cmd = AppealDiscipline(case_id="V1", occurred_on=on, **fields)
    return domain.appeal(case(*facts), cmd, rules_on(on), TODAY)


def test_an_appeal_is_lodged_within_a_month_of_receipt():
    assert types(appeal_v1(D(2024, 6, 15), APPLIED)) == ["discipline.appealed"]  # the last day
    error = refused(lambda: appeal_v1(D(2024, 6, 16), APPLIED), R.APPEAL_LATE)
    assert error.message_en == ("Appeal too late (1 month): decision received 15/05/2024, deadline 15/06/2024, "
                                "appeal lodged 16/06/2024")
    refused(lambda: appeal_v1(D(2024, 5, 14), APPLIED), R.APPEAL_BEFORE_RECEIPT)


def test_a_decision_is_appealed_once():
    assert refused(lambda: appeal_v1(D(2024, 6, 10), APPLIED, APPEALED), R.ALREADY_APPEALED).message_vi == \
        "Quyết định «V1» đã bị khiếu nại ngày 01/06/2024"


def test_an_annulled_or_unknown_case_takes_no_appeal():
    annulled = fact("discipline.annulled", D(2024, 5, 20), "C1", case_id="V1", subject_kind="member",
                    subject_id="M1")
    refused(lambda: appeal_v1(D(2024, 6, 1), APPLIED, annulled), R.CASE_ANNULLED)
    refused(lambda: appeal_v1(D(2024, 6, 1)), R.CASE_NOT_FOUND)


def test_a_change_gives_a_new_form_for_the_same_subject_not_before_the_decision():
    def change(on, **fields):
        cmd = ChangeDiscipline(case_id="V1", occurred_on=on, **{"form": "warning", **fields})
        return domain.change(case(APPLIED), OFFICIAL, cmd, TODAY)
    assert types(change(D(2024, 5, 10))) == ["discipline.changed"]
    assert refused(lambda: change(D(2024, 5, 9)), R.BEFORE_DECISION).message_vi == \
        "Ngày thay đổi 09/05/2024 trước ngày quyết định 10/05/2024"
    refused(lambda: change(D(2024, 5, 20), form="reprimand"), R.FORM_UNCHANGED)
    refused(lambda: change(D(2024, 5, 20), subject_id="M7"), R.CASE_OF_OTHER_SUBJECT)
    annul = AnnulDiscipline(case_id="V1", occurred_on=D(2024, 5, 9))
    refused(lambda: domain.annul(case(APPLIED), annul, TODAY), R.BEFORE_DECISION)


def test_an_appeal_is_resolved_only_while_pending_and_not_before_it():
    def resolve(on, *facts, **fields):
        cmd = ResolveAppeal(case_id="V1", occurred_on=on, **{"outcome": "upheld", **fields})
        return domain.resolve_appeal(case(*facts), OFFICIAL, cmd, TODAY)
    refused(lambda: resolve(D(2024, 6, 10), APPLIED), R.NO_PENDING_APPEAL)
    refused(lambda: resolve(D(2024, 5, 31), APPLIED, APPEALED), R.RESOLVED_BEFORE_APPEAL)
    assert types(resolve(D(2024, 6, 1), APPLIED, APPEALED)) == ["discipline.upheld"]
    refused(lambda: resolve(D(2024, 6, 2), APPLIED, APPEALED, outcome="changed"), R.FORM_REQUIRED)
    refused(lambda: resolve(D(2024, 6, 2), APPLIED, APPEALED, form="warning"), R.FORM_NOT_EXPECTED)
    assert types(resolve(D(2024, 6, 2), APPLIED, APPEALED, outcome="changed", form="warning")) == \
        ["discipline.changed"]
    assert types(resolve(D(2024, 6, 2), APPLIED, APPEALED, outcome="annulled")) == ["discipline.annulled"]


def test_every_named_rule_has_texts_and_a_source():
    for rule in R.ALL:
        assert rule.vi and rule.en and rule.source, rule.code
    assert len({rule.code for rule in R.ALL}) == len(R.ALL)
