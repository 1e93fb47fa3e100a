"""The members rules without a database: given a member's, a unit's or a candidate's facts, when a
command, then the facts decided or the named rule that refuses it. Limits on the day before, the
day of and the day after; texts as users read them."""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import candidates, domain, lifecycle, rating
from services.members import rules as R
from shared.contracts import members as c
from shared.dates import add_months, add_working_days
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
DAY = dt.timedelta(days=1)
ADMITTED_ON = D(2020, 2, 3)


def member(*facts) -> domain.Member:
    return domain.fold_member(list(facts))


def unit(org_unit_id: str, kind: str = "cell", parent_id: str | None = "G1", *later) -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Đơn vị {org_unit_id}", kind=kind, parent_id=parent_id), *later])


ADMITTED = fact("member.admitted", ADMITTED_ON, "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                sex="male")
OFFICIAL = fact("member.recognized_official", D(2021, 2, 3), "C1", member_id="M1")


# -- the organisation tree --------------------------------------------------------------------------

def test_a_cell_sits_under_a_grassroots_or_branch_committee_not_under_the_province():
    cmd = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="P", occurred_on=D(2020, 1, 1))
    error = refused(lambda: domain.create_org_unit(domain.OrgUnit(), unit("P", "province", None), cmd),
                    R.PARENT_KIND_NOT_ALLOWED)
    assert (error.message_vi, error.field) == ("Chi bộ trực thuộc không thể trực thuộc Tỉnh ủy", "parent_id")
    ok = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="G1", occurred_on=D(2020, 1, 1))
    assert types(domain.create_org_unit(domain.OrgUnit(), unit("G1", "grassroots_committee", "D1"), ok)) == \
        ["org_unit.created"]
    refused(lambda: domain.create_org_unit(unit("C9"), unit("G1", "grassroots_committee", "D1"), ok),
            R.ORG_UNIT_EXISTS)


def test_a_unit_holding_members_is_not_dissolved():
    cmd = c.DissolveOrgUnit(org_unit_id="C1", occurred_on=D(2022, 1, 1))
    error = refused(lambda: domain.dissolve_org_unit(unit("C1"), [], ["M1", "M2"], cmd), R.ORG_UNIT_HAS_MEMBERS)
    assert error.message_en == "Cannot dissolve 'C1' while it holds 2 members; transfer them first"
    assert refused(lambda: domain.dissolve_org_unit(unit("C1"), ["C1a"], [], cmd), R.ORG_UNIT_HAS_SUB_UNITS).details \
        == {"sub_units": ["C1a"]}
    assert types(domain.dissolve_org_unit(unit("C1"), [], [], cmd)) == ["org_unit.dissolved"]


# -- admission ---------------------------------------------------------------------------------------

def admit(birth: dt.date, on: dt.date, existing: domain.Member = domain.Member()):
    cmd = c.AdmitMember(member_id="M1", org_unit_id="C1", full_name="Nguyễn Văn An", birth_date=birth, sex="male",
                        occurred_on=on)
    sealed = {"full_name": cmd.full_name}  # the application seals it with the vault; the rules do not read it
    return lifecycle.admit_member(existing, unit("C1"), cmd, rules_on(on), sealed, None)


def test_a_new_member_is_18_on_the_day():
    assert types(admit(D(2002, 3, 1), D(2020, 3, 1))) == ["member.admitted"]  # the 18th birthday
    error = refused(lambda: admit(D(2002, 3, 2), D(2020, 3, 1)), R.TOO_YOUNG)
    assert error.to_dict() == {
        "code": "too_young", "field": "birth_date", "status": 422,
        "message_vi": "Người được kết nạp phải đủ 18 tuổi vào ngày 01/03/2020 (khi đó 17 tuổi 11 tháng)",
        "message_en": "A new member must be at least 18 on 01/03/2020 (was 17 years 11 months)"}


def test_readmission_waits_36_months_from_leaving():
    left = member(ADMITTED, OFFICIAL, fact("member.removed", D(2021, 6, 1), "C1", member_id="M1", ground="unpaid_dues"))
    earliest = add_months(D(2021, 6, 1), rules_on(D(2024, 6, 1)).readmission_min_months)
    assert types(admit(D(1990, 5, 1), earliest, left)) == ["member.admitted"]
    error = refused(lambda: admit(D(1990, 5, 1), earliest - DAY, left), R.READMISSION_TOO_SOON)
    assert error.message_vi == ("Chỉ được kết nạp lại sau 36 tháng kể từ ngày ra khỏi Đảng (01/06/2021), "
                                "tức từ ngày 01/06/2024")
    abandoned = member(ADMITTED, fact("member.removed", D(2021, 6, 1), "C1", member_id="M1",
                                      ground="abandoned_activity"))
    refused(lambda: admit(D(1990, 5, 1), D(2025, 1, 1), abandoned), R.READMISSION_NOT_ALLOWED)
    refused(lambda: admit(D(1990, 5, 1), D(2025, 1, 1), member(ADMITTED)), R.MEMBER_EXISTS)


def test_the_admission_decision_is_due_within_60_plus_30_working_days_of_the_resolution():
    resolved = D(2024, 3, 1)
    cand = candidates.fold_candidate([
        fact("candidate.registered", D(2023, 1, 1), "C1", candidate_id="Q1", org_unit_id="C1", birth_date="1990-01-01"),
        fact("candidate.awareness_class_completed", D(2023, 6, 1), "C1", candidate_id="Q1"),
        fact("candidate.background_verified", D(2023, 9, 1), "C1", candidate_id="Q1"),
        fact("candidate.cell_resolution_passed", resolved, "C1", candidate_id="Q1")])
    rules = rules_on(resolved)
    latest = add_working_days(resolved, rules.admission_decision_working_days
                              + rules.admission_decision_extension_working_days)

    def decide(on):
        return candidates.decide_admission(cand, c.DecideAdmission(candidate_id="Q1", member_id="M1", occurred_on=on),
                                           rules_on(on))
    assert types(decide(latest)) == ["candidate.admission_decided"]
    refused(lambda: decide(latest + DAY), R.ADMISSION_DECISION_TOO_LATE)


def test_the_cell_resolution_needs_the_class_and_the_verified_background():
    registered = fact("candidate.registered", D(2023, 1, 1), "C1", candidate_id="Q1", org_unit_id="C1",
                      birth_date="1990-01-01")
    cmd = c.PassCellResolution(candidate_id="Q1", occurred_on=D(2024, 3, 1))
    rules = rules_on(cmd.occurred_on)
    refused(lambda: candidates.pass_cell_resolution(candidates.fold_candidate([registered]), cmd, rules),
            R.AWARENESS_CLASS_MISSING)
    with_class = [registered, fact("candidate.awareness_class_completed", D(2023, 6, 1), "C1", candidate_id="Q1")]
    refused(lambda: candidates.pass_cell_resolution(candidates.fold_candidate(with_class), cmd, rules),
            R.BACKGROUND_NOT_VERIFIED)
    refused(lambda: candidates.pass_cell_resolution(candidates.fold_candidate([]), cmd, rules), R.CANDIDATE_NOT_FOUND)


# -- probation -----------------------------------------------------------------------------------------

def test_recognition_comes_when_the_12_months_of_probation_are_over():
    end = add_months(ADMITTED_ON, 12)

    def recognize(on):
        return lifecycle.recognize_official(member(ADMITTED), c.RecognizeOfficial(member_id="M1", occurred_on=on),
                                            rules_on(on))
    assert types(recognize(end)) == ["member.recognized_official"]
    error = refused(lambda: recognize(end - DAY), R.PROBATION_NOT_OVER)
    assert error.message_en == ("Probation of 12 months is not over (only 11 months since 03/02/2020); "
                                "recognition is possible from 03/02/2021")
    refused(lambda: lifecycle.recognize_official(member(ADMITTED, OFFICIAL),
                                                 c.RecognizeOfficial(member_id="M1", occurred_on=end), rules_on(end)),
            R.NOT_PROBATIONARY)


# -- movement -------------------------------------------------------------------------------------------

def transfer(until=None, purpose="work", to="C2", kind="temporary", on=D(2022, 1, 10), facts=(ADMITTED, OFFICIAL)):
    cmd = c.TransferMember(member_id="M1", to_org_unit_id=to, kind=kind, until=until, purpose=purpose, occurred_on=on)
    return lifecycle.transfer(member(*facts), unit(to), cmd, rules_on(on))


def test_a_temporary_transfer_for_work_lasts_3_months_to_less_than_a_year():
    start = D(2022, 1, 10)
    assert types(transfer(until=add_months(start, 3))) == ["member.transferred"]
    refused(lambda: transfer(until=add_months(start, 3) - DAY), R.TEMPORARY_TRANSFER_LENGTH)
    assert types(transfer(until=add_months(start, 12) - DAY)) == ["member.transferred"]
    error = refused(lambda: transfer(until=add_months(start, 12)), R.TEMPORARY_TRANSFER_LENGTH)
    assert error.message_vi == "Thời hạn sinh hoạt tạm thời phải từ 3 tháng đến dưới 12 tháng (đến 10/01/2023 là 12 tháng)"
    assert types(transfer(until=add_months(start, 24), purpose="study")) == ["member.transferred"]
    refused(lambda: transfer(until=add_months(start, 24) + DAY, purpose="study"), R.TEMPORARY_TRANSFER_LENGTH)
    refused(lambda: transfer(until=None), R.UNTIL_REQUIRED)


def test_a_transfer_goes_somewhere_else_once():
    refused(lambda: transfer(kind="official", to="C1", purpose=None), R.SAME_UNIT)
    away = (ADMITTED, OFFICIAL, fact("member.transferred", D(2022, 1, 10), "C2", member_id="M1",
                                     from_org_unit_id="C1", to_org_unit_id="C2", kind="temporary", until="2022-06-10"))
    refused(lambda: transfer(until=D(2022, 9, 1), to="C3", facts=away), R.ALREADY_TEMPORARY)


# -- status and exits -----------------------------------------------------------------------------------

def test_an_exemption_on_other_grounds_lasts_at_most_12_months():
    start = D(2022, 1, 10)

    def exempt(until):
        cmd = c.ExemptMember(member_id="M1", ground="mobile_work", until=until, occurred_on=start)
        return lifecycle.exempt(member(ADMITTED, OFFICIAL), cmd, rules_on(start), None)
    assert types(exempt(add_months(start, 12))) == ["member.exempted"]
    error = refused(lambda: exempt(add_months(start, 12) + DAY), R.EXEMPTION_TOO_LONG)
    assert error.message_vi == ("Miễn sinh hoạt vì lý do «mobile_work» tối đa 12 tháng (chậm nhất đến 10/01/2023); "
                                "đề nghị đến 11/01/2023")
    refused(lambda: exempt(None), R.EXEMPTION_TOO_LONG)
    refused(lambda: exempt(start), R.UNTIL_BEFORE_START)


def test_resignation_waits_for_the_open_discipline_case():
    cmd = c.ResignMember(member_id="M1", occurred_on=D(2022, 1, 10))
    error = refused(lambda: lifecycle.resign(member(ADMITTED, OFFICIAL), ["V1"], cmd), R.DISCIPLINE_CASE_OPEN)
    assert error.details == {"cases": ["V1"]}
    assert types(lifecycle.resign(member(ADMITTED, OFFICIAL), [], cmd)) == ["member.resigned"]
    gone = member(ADMITTED, OFFICIAL, fact("member.resigned", D(2022, 1, 10), "C1", member_id="M1"))
    assert refused(lambda: lifecycle.resign(gone, [], cmd), R.MEMBER_NOT_ACTIVE).message_en == \
        "Member 'M1' resigned on 10/01/2022"


def test_an_expulsion_needs_an_expulsion_decision_about_the_member():
    cmd = c.ExpelMember(member_id="M1", case_id="V1", occurred_on=D(2022, 1, 10))
    refused(lambda: lifecycle.check_expulsion_case(cmd, None), R.EXPULSION_NOT_FOUND)
    refused(lambda: lifecycle.check_expulsion_case(cmd, ("M2", "expulsion")), R.CASE_NOT_ABOUT_MEMBER)
    refused(lambda: lifecycle.check_expulsion_case(cmd, ("M1", "warning")), R.CASE_NOT_EXPULSION)
    lifecycle.check_expulsion_case(cmd, ("M1", "expulsion"))


# -- yearly rating ----------------------------------------------------------------------------------------

def rate(points=None, level=None, ratings=None, disciplined=(), year=2024):
    cmd = c.RateMember(member_id="M1", year=year, rating=level, points=points, occurred_on=D(year, 12, 20))
    return rating.rate(member(ADMITTED, OFFICIAL), ratings or {}, list(disciplined), cmd, rules_on(cmd.occurred_on),
                       "G1")


def test_a_rating_is_given_once_and_capped_by_discipline():
    assert types(rate(level="good")) == ["member.rated"]
    refused(lambda: rate(level="good", ratings={"M1": "good"}), R.ALREADY_RATED)
    assert refused(lambda: rate(level="good", disciplined=["V1"]), R.DISCIPLINED_CAPPED).details == {"cases": ["V1"]}
    refused(lambda: rate(), R.RATING_REQUIRED)


def test_from_september_2025_the_rating_comes_from_100_points():
    refused(lambda: rate(level="good", year=2025), R.POINTS_REQUIRED)
    error = refused(lambda: rate(points=75, level="excellent", year=2025), R.RATING_POINTS_MISMATCH)
    assert error.message_en == "75 points mean 'good', not 'excellent'"


def test_excellent_is_at_most_a_fifth_of_the_good_or_better():
    four_good = {f"M{i}": "good" for i in range(2, 6)}
    assert types(rate(level="excellent", ratings=four_good)) == ["member.rated"]  # 1 of 5
    error = refused(lambda: rate(level="excellent", ratings={**four_good, "M6": "excellent"}),
                    R.EXCELLENT_QUOTA_EXCEEDED)
    assert error.message_en == ("'Excellent' may not exceed 20% of those rated good in grassroots organisation "
                                "'G1' (at most 1 of 6)")


def test_every_named_rule_has_texts_and_a_source():
    for rule in R.ALL:
        assert rule.vi and rule.en and rule.source, rule.code


@pytest.mark.parametrize("facts, expected", [
    ((), "none"),
    ((ADMITTED,), "probationary"),
    ((ADMITTED, OFFICIAL), "official"),
    ((ADMITTED, OFFICIAL, fact("member.died", D(2023, 1, 1), "C1", member_id="M1")), domain.LEFT),
])
def test_the_fold_reads_the_status_from_the_facts(facts, expected):
    assert member(*facts).status == expected
