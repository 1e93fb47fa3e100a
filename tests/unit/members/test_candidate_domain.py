"""A candidate's way to admission as the cell and the committee record it, without a database: each
step's fact, what each refusal names, and the time limits (the introducer's 12 months, the
decision's 60 + 30 working days, the admission not before its decision) at both sides of the edge.

Written from the survivors of a mutation run of ``services/members/candidates.py`` (see
docs/mutation-testing.md).
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import candidates, domain
from services.members import rules as R
from shared.contracts import members as c
from shared.dates import add_working_days
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
DAY = dt.timedelta(days=1)
ON = D(2024, 3, 11)
RULES = rules_on(ON)
REGISTERED = fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
                  birth_date="1990-01-01", education_level="upper_secondary")
CLASS = fact("candidate.awareness_class_completed", D(2023, 6, 1), "C1", candidate_id="Q1")
VERIFIED = fact("candidate.background_verified", D(2023, 9, 1), "C1", candidate_id="Q1")
RESOLVED = fact("candidate.cell_resolution_passed", D(2024, 3, 1), "C1", candidate_id="Q1",
                special_age_decision="QĐ 5")
DECIDED = fact("candidate.admission_decided", D(2024, 4, 1), "C1", candidate_id="Q1", member_id="M1")


def cand(*facts) -> candidates.Candidate:
    return candidates.fold_candidate(list(facts))


def unit(org_unit_id="C1", kind="cell") -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Đơn vị {org_unit_id}", kind=kind, parent_id="G1")])


INTRODUCER = domain.fold_member([fact("member.admitted", D(2010, 1, 1), "C1", member_id="M9", org_unit_id="C1",
                                      birth_date="1970-01-01", sex="male"),
                                 fact("member.recognized_official", D(2011, 1, 1), "C1", member_id="M9")])


def one(decided):
    [d] = decided
    return (d.payload.TYPE, d.occurred_on, d.org_unit_id, d.stream), d.payload


def test_a_candidates_file_folded_from_its_facts():
    assert cand(REGISTERED, CLASS, VERIFIED, RESOLVED, DECIDED) == candidates.Candidate(
        "Q1", "C1", D(1990, 1, 1), D(2023, 1, 9), D(2023, 6, 1), D(2023, 9, 1), D(2024, 3, 1), "QĐ 5", D(2024, 4, 1),
        "M1", "upper_secondary")
    # the resolution's education level replaces the registered one only when given
    later = fact("candidate.cell_resolution_passed", D(2024, 3, 1), "C1", candidate_id="Q1",
                 education_level="lower_secondary")
    assert cand(REGISTERED, later).education_level == "lower_secondary"
    assert candidates.date_or_sealed("1990-01-01") == D(1990, 1, 1)
    assert candidates.date_or_sealed(None) is None
    from shared.personal import PREFIX
    assert candidates.date_or_sealed(PREFIX + "x") == PREFIX + "x"


# --- registration -------------------------------------------------------------------------------------

def register(existing=candidates.Candidate(), target=None, introducer=INTRODUCER, on=ON, sealed_birth=None, **fields):
    cmd = c.RegisterCandidate(**{"candidate_id": "Q1", "org_unit_id": "C1", "full_name": "Phạm Thị Dung",
                                 "birth_date": D(1995, 7, 1), "sex": "female", "introduced_by_member_id": "M9",
                                 "introducer_known_since": D(2023, 3, 11), "education_level": "upper_secondary",
                                 "occurred_on": on, **fields})
    return candidates.register_candidate(existing, target or unit(), introducer, cmd, "sealed-name", sealed_birth,
                                         rules_on(on))


def test_a_registration_writes_the_candidates_file_under_the_cell():
    head, p = one(register(sealed_birth="sealed-birth"))
    assert head == ("candidate.registered", ON, "C1", None)
    assert (p.candidate_id, p.org_unit_id, p.full_name, p.birth_date, p.birth_year, p.sex, p.introduced_by_member_id,
            p.introduced_by_organisation, p.introducer_known_since, p.education_level) == \
        ("Q1", "C1", "sealed-name", "sealed-birth", 1995, "female", "M9", None, D(2023, 3, 11), "upper_secondary")
    _, p = one(register())
    assert p.birth_date == D(1995, 7, 1)


@pytest.mark.parametrize("known_since, allowed", [(D(2023, 3, 10), True), (D(2023, 3, 11), True),
                                                  (D(2023, 3, 12), False)])
def test_the_introducer_has_known_the_candidate_12_months_on_the_day_of_registration(known_since, allowed):
    if allowed:
        assert types(register(introducer_known_since=known_since)) == ["candidate.registered"]
    else:
        error = refused(lambda: register(introducer_known_since=known_since), R.INTRODUCER_KNOWN_TOO_SHORT)
        assert error.message_en == ("The introducing member must have known the candidate for at least 12 months: "
                                    "known since 12/03/2023, so not before 12/03/2024")


def test_an_introducer_and_since_when_are_required_and_named():
    error = refused(lambda: register(introducer_known_since=None), R.INTRODUCER_KNOWN_SINCE_REQUIRED)
    assert "(at least 12 months are needed)" in error.message_en
    # introduced by a mass organisation: no member, no date needed
    assert types(register(introduced_by_member_id=None, introducer_known_since=None, introducer=None,
                          introduced_by_organisation="Đoàn TNCS")) == ["candidate.registered"]
    refused(lambda: register(introduced_by_member_id=None, introducer=None), R.INTRODUCER_REQUIRED)
    probationary = domain.fold_member([fact("member.admitted", D(2023, 1, 1), "C1", member_id="M9", org_unit_id="C1",
                                            birth_date="1970-01-01", sex="male")])
    error = refused(lambda: register(introducer=probationary), R.INTRODUCER_NOT_OFFICIAL)
    assert error.message_en == "Introducer 'M9' must be an official member"
    refused(lambda: register(introducer=None), R.INTRODUCER_NOT_OFFICIAL)


def test_a_registration_needs_a_new_file_and_an_open_cell():
    assert refused(lambda: register(cand(REGISTERED)), R.CANDIDATE_EXISTS).message_en == \
        "Candidate 'Q1' already exists"
    assert refused(lambda: register(target=domain.OrgUnit()), R.ORG_UNIT_NOT_FOUND).message_en == \
        "Party organisation 'C1' not found"
    assert refused(lambda: register(target=unit("C1", "grassroots_committee")), R.ORG_UNIT_HOLDS_NO_MEMBERS).field \
        == "org_unit_id"


# --- the steps -----------------------------------------------------------------------------------------

def test_the_class_and_the_verification_are_recorded_once_under_the_candidates_cell():
    cmd = c.CompleteAwarenessClass(candidate_id="Q1", occurred_on=ON)
    assert one(candidates.complete_awareness_class(cand(REGISTERED), cmd))[0] == \
        ("candidate.awareness_class_completed", ON, "C1", None)
    assert candidates.complete_awareness_class(cand(REGISTERED, CLASS), cmd) == []
    ver = c.VerifyBackground(candidate_id="Q1", occurred_on=ON)
    assert one(candidates.verify_background(cand(REGISTERED), ver))[0] == ("candidate.background_verified", ON, "C1",
                                                                            None)
    assert candidates.verify_background(cand(REGISTERED, VERIFIED), ver) == []


@pytest.mark.parametrize("step", ["class", "verify", "resolution", "decide"])
def test_a_missing_or_decided_candidate_is_named(step):
    def call(candidate):
        if step == "class":
            return candidates.complete_awareness_class(candidate, c.CompleteAwarenessClass(candidate_id="Q7",
                                                                                           occurred_on=ON))
        if step == "verify":
            return candidates.verify_background(candidate, c.VerifyBackground(candidate_id="Q7", occurred_on=ON))
        if step == "resolution":
            return candidates.pass_cell_resolution(candidate, c.PassCellResolution(candidate_id="Q7", occurred_on=ON),
                                                   RULES)
        return candidates.decide_admission(candidate, c.DecideAdmission(candidate_id="Q7", member_id="M1",
                                                                        occurred_on=ON), RULES)
    assert refused(lambda: call(cand()), R.CANDIDATE_NOT_FOUND).message_en == "Candidate 'Q7' not found"
    error = refused(lambda: call(cand(REGISTERED, CLASS, VERIFIED, RESOLVED, DECIDED)), R.CANDIDATE_ALREADY_DECIDED)
    assert error.message_en == "Admission was already decided on 01/04/2024"


def resolve(candidate=None, on=ON, **fields):
    cmd = c.PassCellResolution(candidate_id="Q1", occurred_on=on, **fields)
    return candidates.pass_cell_resolution(candidate or cand(REGISTERED, CLASS, VERIFIED), cmd, rules_on(on))


def test_the_cell_resolution_writes_its_day_decision_and_education():
    head, p = one(resolve(special_age_decision="QĐ 5", education_level="lower_secondary"))
    assert head == ("candidate.cell_resolution_passed", ON, "C1", None)
    assert (p.candidate_id, p.special_age_decision, p.education_level) == ("Q1", "QĐ 5", "lower_secondary")
    refused(lambda: resolve(cand(REGISTERED, VERIFIED)), R.AWARENESS_CLASS_MISSING)
    refused(lambda: resolve(cand(REGISTERED, CLASS)), R.BACKGROUND_NOT_VERIFIED)


def test_age_at_the_resolution_and_a_special_decision_for_over_60():
    old = fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
               birth_date="1960-01-01", education_level="upper_secondary")
    refused(lambda: resolve(cand(old, CLASS, VERIFIED)), R.TOO_OLD)
    assert types(resolve(cand(old, CLASS, VERIFIED), special_age_decision="QĐ 5")) == \
        ["candidate.cell_resolution_passed"]
    young = fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
                 birth_date="2006-03-11", education_level="upper_secondary")
    assert types(resolve(cand(young, CLASS, VERIFIED), on=D(2024, 3, 11))) == ["candidate.cell_resolution_passed"]
    refused(lambda: resolve(cand(young, CLASS, VERIFIED), on=D(2024, 3, 10)), R.TOO_YOUNG)


def test_education_is_judged_at_the_resolution_lower_secondary_or_more():
    def registered(level):
        return cand(fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
                         birth_date="1990-01-01", education_level=level), CLASS, VERIFIED)
    assert types(resolve(registered("lower_secondary"))) == ["candidate.cell_resolution_passed"]
    error = refused(lambda: resolve(registered("primary")), R.EDUCATION_TOO_LOW)
    assert error.message_vi == ("Người vào Đảng phải tốt nghiệp trung học cơ sở trở lên "
                                f"({RULES.source('admission_min_education')}); hiện ghi «Tốt nghiệp tiểu học» "
                                "vào ngày 11/03/2024")
    assert error.message_en == "A new member needs lower-secondary education or higher; recorded: primary on 11/03/2024"
    error = refused(lambda: resolve(registered(None)), R.EDUCATION_TOO_LOW)
    assert "chưa ghi trình độ vào ngày 11/03/2024" in error.message_vi and "recorded: nothing" in error.message_en
    # the level given at the resolution counts over the registered one
    assert types(resolve(registered("primary"), education_level="lower_secondary")) == \
        ["candidate.cell_resolution_passed"]
    refused(lambda: resolve(registered("upper_secondary"), education_level="none"), R.EDUCATION_TOO_LOW)


# --- the decision and the admission -----------------------------------------------------------------------

LATEST = add_working_days(D(2024, 3, 1), 60 + 30)


@pytest.mark.parametrize("on, allowed", [(LATEST - DAY, True), (LATEST, True), (LATEST + DAY, False)])
def test_the_decision_is_due_within_60_plus_30_working_days(on, allowed):
    cmd = c.DecideAdmission(candidate_id="Q1", member_id="M1", decision_no="QĐ 77", occurred_on=on)
    resolved = cand(REGISTERED, CLASS, VERIFIED, RESOLVED)
    if allowed:
        head, p = one(candidates.decide_admission(resolved, cmd, rules_on(on)))
        assert head == ("candidate.admission_decided", on, "C1", None)
        assert (p.candidate_id, p.member_id, p.decision_no) == ("Q1", "M1", "QĐ 77")
    else:
        error = refused(lambda: candidates.decide_admission(resolved, cmd, rules_on(on)),
                        R.ADMISSION_DECISION_TOO_LATE)
        assert error.message_en == ("The admission decision was due within 60 (+30) working days of the cell "
                                    f"resolution of 01/03/2024, i.e. by {LATEST.strftime('%d/%m/%Y')}")


def test_no_decision_without_a_resolution_and_the_plain_deadline_is_60_working_days():
    cmd = c.DecideAdmission(candidate_id="Q1", member_id="M1", occurred_on=ON)
    refused(lambda: candidates.decide_admission(cand(REGISTERED, CLASS, VERIFIED), cmd, RULES),
            R.CELL_RESOLUTION_MISSING)
    assert candidates.decision_deadline(D(2024, 3, 1), RULES) == add_working_days(D(2024, 3, 1), 60)


def admit_cmd(member_id="M1", on=D(2024, 4, 1)):
    return c.AdmitMember(member_id=member_id, org_unit_id="C1", full_name="A", birth_date=D(1990, 1, 1), sex="male",
                         candidate_id="Q1", occurred_on=on)


def test_the_admission_follows_the_decision_for_that_member():
    decided = cand(REGISTERED, CLASS, VERIFIED, RESOLVED, DECIDED)
    candidates.check_candidate_for_admission(decided, admit_cmd(on=D(2024, 4, 1)))  # the day of the decision
    candidates.check_candidate_for_admission(decided, admit_cmd(on=D(2024, 4, 2)))
    error = refused(lambda: candidates.check_candidate_for_admission(decided, admit_cmd(on=D(2024, 3, 31))),
                    R.ADMITTED_BEFORE_DECISION)
    assert error.message_en == "The admission cannot precede the decision of 01/04/2024"
    error = refused(lambda: candidates.check_candidate_for_admission(decided, admit_cmd("M2")), R.ADMISSION_NOT_DECIDED)
    assert error.message_en == "No admission decision for candidate 'Q1' as member 'M2'"
    refused(lambda: candidates.check_candidate_for_admission(cand(REGISTERED, CLASS, VERIFIED, RESOLVED), admit_cmd()),
            R.ADMISSION_NOT_DECIDED)
    assert refused(lambda: candidates.check_candidate_for_admission(cand(), admit_cmd()),
                   R.CANDIDATE_NOT_FOUND).message_en == "Candidate 'Q1' not found"


def test_no_schooling_recorded_reads_as_such_not_as_a_plain_no():
    none = cand(fact("candidate.registered", D(2023, 1, 9), "C1", candidate_id="Q1", org_unit_id="C1",
                     birth_date="1990-01-01", education_level="none"), CLASS, VERIFIED)
    error = refused(lambda: resolve(none), R.EDUCATION_TOO_LOW)
    assert "hiện ghi «Chưa tốt nghiệp tiểu học» vào ngày 11/03/2024" in error.message_vi


def test_a_candidate_introduced_by_an_organisation_names_it_and_a_missing_cell_is_named_in_its_field():
    _, p = one(register(introduced_by_member_id=None, introducer_known_since=None, introducer=None,
                        introduced_by_organisation="Đoàn TNCS Hồ Chí Minh"))
    assert (p.introduced_by_member_id, p.introduced_by_organisation, p.introducer_known_since) == \
        (None, "Đoàn TNCS Hồ Chí Minh", None)
    assert refused(lambda: register(target=domain.OrgUnit()), R.ORG_UNIT_NOT_FOUND).field == "org_unit_id"
