"""The member lifecycle as the organisation department records it, without a database: each fact a
command writes (its fields, its day, the unit it is filed under), each refusal and what it names,
and every time limit on the day before, the day of and the day after its edge.

Written from the survivors of a mutation run of ``services/members/lifecycle.py`` (see
docs/mutation-testing.md).
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import domain, lifecycle
from services.members import rules as R
from shared.contracts import members as c
from shared.dates import add_months
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
DAY = dt.timedelta(days=1)
ON = D(2024, 3, 11)
RULES = rules_on(ON)
ADMITTED = fact("member.admitted", D(2020, 2, 3), "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                sex="male")
OFFICIAL = fact("member.recognized_official", D(2021, 2, 3), "C1", member_id="M1")


def member(*facts) -> domain.Member:
    return domain.fold_member(list(facts))


def unit(org_unit_id: str, kind: str = "cell") -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Đơn vị {org_unit_id}", kind=kind, parent_id="G1")])


M = member(ADMITTED, OFFICIAL)
GONE = member(ADMITTED, OFFICIAL, fact("member.died", D(2023, 1, 5), "C1", member_id="M1"))


def one(decided):
    """The single fact written: (type, day, unit filed under, stream) and its payload."""
    [d] = decided
    return (d.payload.TYPE, d.occurred_on, d.org_unit_id, d.stream), d.payload


# --- admission and transfer in ---------------------------------------------------------------------

def admit(existing=domain.Member(), on=ON, card_holder=None, resolution_on=None, special=None, **fields):
    cmd = c.AdmitMember(**{"member_id": "M1", "org_unit_id": "C1", "full_name": "Nguyễn Văn An",
                           "birth_date": D(1990, 5, 1), "sex": "male", "occurred_on": on, **fields})
    return lifecycle.admit_member(existing, unit("C1"), cmd, rules_on(on), {"full_name": "sealed-name"}, card_holder,
                                  resolution_on, special)


def test_an_admission_writes_the_facts_of_the_new_member_under_the_cell():
    head, p = one(admit(demobilised="army", candidate_id="Q1", education="12/12", political_theory="Sơ cấp",
                        occupation="Giáo viên"))
    assert head == ("member.admitted", ON, "C1", None)
    assert (p.member_id, p.org_unit_id, p.birth_year, p.birth_date, p.sex, p.demobilised, p.candidate_id,
            p.education, p.political_theory, p.occupation, p.full_name) == \
        ("M1", "C1", 1990, D(1990, 5, 1), "male", "army", "Q1", "12/12", "Sơ cấp", "Giáo viên", "sealed-name")


def test_a_card_number_is_reserved_with_the_admission_and_taken_numbers_are_refused():
    out = admit(card_number="12345678")
    assert types(out) == ["member.admitted", "member.card_reserved"]
    card = out[1]
    assert (card.payload.member_id, card.occurred_on, card.org_unit_id, card.stream) == ("M1", ON, None, "card:")
    assert types(admit(card_number="12345678", card_holder="M1")) == ["member.admitted", "member.card_reserved"]
    assert refused(lambda: admit(card_number="12345678", card_holder="M2"), R.CARD_NUMBER_TAKEN).field == \
        "card_number"


def test_age_is_judged_on_the_cell_resolution_day_and_a_special_decision_from_the_candidate_counts():
    # 18 on the resolution day, though the admission comes later
    young = D(2006, 3, 11)
    assert types(admit(birth_date=young, on=D(2024, 4, 1), resolution_on=D(2024, 3, 11))) == ["member.admitted"]
    refused(lambda: admit(birth_date=young, on=D(2024, 4, 1), resolution_on=D(2024, 3, 10)), R.TOO_YOUNG)
    old = D(1960, 1, 1)
    refused(lambda: admit(birth_date=old), R.TOO_OLD)
    assert types(admit(birth_date=old, special="QĐ 12")) == ["member.admitted"]
    assert types(admit(birth_date=old, special_age_decision="QĐ 12")) == ["member.admitted"]


def test_an_admission_needs_an_open_cell():
    cmd = c.AdmitMember(member_id="M1", org_unit_id="G1", full_name="A", birth_date=D(1990, 5, 1), sex="male",
                        occurred_on=ON)
    assert refused(lambda: lifecycle.admit_member(domain.Member(), unit("G1", "grassroots_committee"), cmd, RULES, {},
                                                  None), R.ORG_UNIT_HOLDS_NO_MEMBERS).field == "org_unit_id"
    assert refused(lambda: lifecycle.admit_member(domain.Member(), None, cmd, RULES, {}, None),
                   R.ORG_UNIT_NOT_FOUND).field == "org_unit_id"


def test_readmission_edges_of_36_months_and_what_the_refusal_names():
    left = member(ADMITTED, OFFICIAL, fact("member.removed", D(2021, 6, 1), "C1", member_id="M1", ground="unpaid_dues"))
    assert types(admit(left, on=D(2024, 6, 1))) == ["member.admitted"]  # the day of
    assert types(admit(left, on=D(2024, 6, 2))) == ["member.admitted"]  # the day after
    error = refused(lambda: admit(left, on=D(2024, 5, 31)), R.READMISSION_TOO_SOON)  # the day before
    assert error.message_en == "Re-admission only 36 months after leaving (01/06/2021), i.e. from 01/06/2024"
    assert refused(lambda: admit(M), R.MEMBER_EXISTS).message_en == "Member 'M1' already exists"
    resigned = member(ADMITTED, fact("member.resigned", D(2015, 1, 1), "C1", member_id="M1"))
    refused(lambda: admit(resigned), R.READMISSION_NOT_ALLOWED)
    again = member(ADMITTED, fact("member.removed", D(2015, 1, 1), "C1", member_id="M1", ground="unpaid_dues"),
                   fact("member.admitted", D(2018, 2, 1), "C1", member_id="M1", org_unit_id="C1",
                        birth_date="1990-05-01", sex="male"),
                   fact("member.removed", D(2019, 1, 1), "C1", member_id="M1", ground="unpaid_dues"))
    refused(lambda: admit(again), R.READMISSION_NOT_ALLOWED)  # re-admitted once already


def test_a_member_transferred_in_from_another_province():
    cmd = c.TransferIn(member_id="M5", org_unit_id="C1", full_name="Lê Văn C", birth_date=D(1985, 1, 20), sex="female",
                       demobilised="police", origin="Tỉnh ủy Hà Nam", status="probationary",
                       admitted_on=D(2023, 9, 2), occurred_on=ON)
    head, p = one(lifecycle.transfer_in(domain.Member(), unit("C1"), cmd, {"full_name": "sealed"}, None))
    assert head == ("member.transferred_in", ON, "C1", None)
    assert (p.member_id, p.org_unit_id, p.birth_year, p.birth_date, p.sex, p.demobilised, p.origin, p.status,
            p.admitted_on, p.full_name) == ("M5", "C1", 1985, D(1985, 1, 20), "female", "police", "Tỉnh ủy Hà Nam",
                                            "probationary", D(2023, 9, 2), "sealed")
    carded = cmd.model_copy(update={"card_number": "12345678"})
    out = lifecycle.transfer_in(domain.Member(), unit("C1"), carded, {"full_name": "s"}, None)
    assert types(out) == ["member.transferred_in", "member.card_reserved"] and out[1].stream == "card:"
    refused(lambda: lifecycle.transfer_in(domain.Member(), unit("C1"), carded, {"full_name": "s"}, "M9"),
            R.CARD_NUMBER_TAKEN)
    assert refused(lambda: lifecycle.transfer_in(M, unit("C1"), cmd, {"full_name": "s"}, None),
                   R.MEMBER_EXISTS).message_en == \
        "Member 'M5' already exists"
    refused(lambda: lifecycle.transfer_in(domain.Member(), unit("G1", "branch"), cmd, {"full_name": "s"}, None),
            R.ORG_UNIT_HOLDS_NO_MEMBERS)
    # back from another province after leaving this one
    out_ = member(ADMITTED, fact("member.transferred_out", D(2022, 1, 1), "C1", member_id="M1"))
    assert types(lifecycle.transfer_in(out_, unit("C1"), cmd, {"full_name": "s"}, None)) == ["member.transferred_in"]


def test_who_left_the_party_or_died_comes_back_by_no_transfer_in_and_the_dead_by_no_readmission():
    """Only a member who left by a transfer out of the province may be transferred in again under
    their record: a member who resigned (barred from re-admission for ever), was removed or expelled
    was brought back the next day by a transfer in, past the 36 months and the bars of re-admission;
    and a member who died could be re-admitted 36 months later."""
    cmd = c.TransferIn(member_id="M1", org_unit_id="C1", full_name="A", birth_date=D(1990, 5, 1), sex="male",
                       origin="Tỉnh ủy Hà Nam", occurred_on=ON)
    for exit_, how_vi, how_en in (
            (fact("member.resigned", D(2024, 3, 1), "C1", member_id="M1"), "đã ra khỏi Đảng", "resigned"),
            (fact("member.removed", D(2024, 3, 1), "C1", member_id="M1", ground="abandoned_activity"),
             "đã bị xóa tên", "was removed from the rolls"),
            (fact("member.expelled", D(2024, 3, 1), "C1", member_id="M1", case_id="K1"), "đã bị khai trừ",
             "was expelled")):
        left = member(ADMITTED, OFFICIAL, exit_)
        error = refused(lambda: lifecycle.transfer_in(left, unit("C1"), cmd, {"full_name": "s"}, None),
                        R.TRANSFER_IN_AFTER_EXIT)
        assert (error.code, error.field) == ("transfer_in_not_allowed", "member_id")
        assert error.message_vi.startswith(f"Đảng viên «M1» {how_vi} ngày 01/03/2024")
        assert error.message_en.startswith(f"Member 'M1' {how_en} on 01/03/2024")
    error = refused(lambda: lifecycle.transfer_in(GONE, unit("C1"), cmd, {"full_name": "s"}, None), R.MEMBER_NOT_ACTIVE)
    assert error.message_vi == "Đảng viên «M1» đã từ trần ngày 05/01/2023"
    error = refused(lambda: admit(GONE, on=D(2026, 6, 1)), R.MEMBER_NOT_ACTIVE)  # 41 months after the death
    assert (error.field, error.message_en) == ("member_id", "Member 'M1' died on 05/01/2023")


def test_no_fact_about_a_member_is_dated_before_they_came_onto_the_rolls():
    """A member's facts start the day they were admitted (or transferred in): a removal dated 1980 of
    a member admitted in 2020 was written and counted in 1980's figures. The day of the admission
    itself is accepted; after a re-admission the new admission is the start."""
    for command, decide in (
            (c.RemoveMember(member_id="M1", ground="no_progress", occurred_on=D(2020, 2, 2)), lifecycle.remove),
            (c.RecordDeath(member_id="M1", occurred_on=D(1980, 1, 30)), lifecycle.record_death),
            (c.StartWorkingAway(member_id="M1", place="Bình Dương", occurred_on=D(2019, 12, 1)),
             lifecycle.start_working_away)):
        error = refused(lambda: decide(M, command), R.BEFORE_JOINING)
        assert (error.code, error.field) == ("before_joining", "occurred_on")
        assert error.message_vi.startswith(f"Ngày {command.occurred_on:%d/%m/%Y} trước ngày đảng viên «M1» được "
                                           "kết nạp hoặc chuyển đến (03/02/2020)")
    assert types(lifecycle.remove(member(ADMITTED), c.RemoveMember(member_id="M1", ground="no_progress",
                                                                   occurred_on=D(2020, 2, 3)))) == ["member.removed"]
    came = member(fact("member.transferred_in", D(2022, 3, 1), "C1", member_id="M1", org_unit_id="C1",
                       admitted_on="2015-09-02", birth_date="1990-05-01", sex="male"))
    refused(lambda: lifecycle.record_death(came, c.RecordDeath(member_id="M1", occurred_on=D(2022, 2, 28))),
            R.BEFORE_JOINING)
    back = member(ADMITTED, fact("member.removed", D(2021, 6, 1), "C1", member_id="M1", ground="unpaid_dues"),
                  fact("member.admitted", D(2024, 6, 3), "C1", member_id="M1", org_unit_id="C1",
                       birth_date="1990-05-01", sex="male"))
    refused(lambda: lifecycle.record_death(back, c.RecordDeath(member_id="M1", occurred_on=D(2024, 6, 2))),
            R.BEFORE_JOINING)


def test_a_fact_is_recorded_once_it_happened_today_at_the_latest():
    today = D(2024, 6, 30)
    assert domain.not_in_future(today, today) is None  # the day itself
    assert domain.not_in_future(today - DAY, today) is None
    error = refused(lambda: domain.not_in_future(today + DAY, today), R.DATE_IN_FUTURE)
    assert (error.code, error.field) == ("date_in_future", "occurred_on")
    assert error.message_vi == "Ngày 01/07/2024 ở tương lai (hôm nay là 30/06/2024): chỉ ghi nhận việc đã xảy ra"
    assert error.message_en == "Date 01/07/2024 is in the future (today is 30/06/2024): only what has happened is recorded"
    assert refused(lambda: domain.not_in_future(today + DAY, today, "decided_on"), R.DATE_IN_FUTURE).field == "decided_on"


def test_a_command_names_its_member_when_they_are_unknown_gone_or_not_yet_on_the_rolls():
    assert refused(lambda: domain.require_on_rolls(domain.Member(), c.RecordDeath(member_id="M7", occurred_on=ON)),
                   R.MEMBER_NOT_FOUND).message_en == "Member 'M7' not found"
    assert refused(lambda: domain.require_on_rolls(GONE, c.RecordDeath(member_id="M1", occurred_on=ON)),
                   R.MEMBER_NOT_ACTIVE).message_en == "Member 'M1' died on 05/01/2023"
    assert domain.require_on_rolls(M, c.RecordDeath(member_id="M1", occurred_on=D(2020, 2, 3))) is M


# --- the record ------------------------------------------------------------------------------------

def test_an_updated_record_keeps_only_the_fields_given():
    cmd = c.UpdateMemberRecord(member_id="M1", occupation="Kỹ sư", demobilised="army", occurred_on=ON)
    head, p = one(lifecycle.update_record(M, cmd, {"ethnicity": "sealed"}, None))
    assert head == ("member.record_updated", ON, "C1", None)
    assert p.model_dump(exclude_none=True) == {"member_id": "M1", "occupation": "Kỹ sư", "demobilised": "army",
                                               "ethnicity": "sealed"}
    assert lifecycle.update_record(M, c.UpdateMemberRecord(member_id="M1", occurred_on=ON), {}, None) == []
    only_sealed = lifecycle.update_record(M, c.UpdateMemberRecord(member_id="M1", occurred_on=ON), {"religion": "s"},
                                          None)
    assert types(only_sealed) == ["member.record_updated"]
    carded = c.UpdateMemberRecord(member_id="M1", card_number="12345678", occurred_on=ON)
    assert types(lifecycle.update_record(M, carded, {"card_number": "s"}, None)) == \
        ["member.record_updated", "member.card_reserved"]
    refused(lambda: lifecycle.update_record(M, carded, {"card_number": "s"}, "M2"), R.CARD_NUMBER_TAKEN)
    shredded = member(ADMITTED, fact("member.personal_data_shredded", D(2022, 1, 1), "C1", member_id="M1"))
    assert refused(lambda: lifecycle.update_record(shredded, cmd, {}, None), R.MEMBER_SHREDDED).field == "member_id"
    refused(lambda: lifecycle.update_record(GONE, cmd, {}, None), R.MEMBER_NOT_ACTIVE)


def test_the_new_member_class_is_recorded_once():
    cmd = c.CompleteNewMemberClass(member_id="M1", occurred_on=ON)
    new = member(ADMITTED)
    assert one(lifecycle.complete_new_member_class(new, cmd))[0] == ("member.new_member_class_completed", ON, "C1",
                                                                        None)
    done = member(ADMITTED, fact("member.new_member_class_completed", D(2020, 5, 1), "C1", member_id="M1"))
    assert lifecycle.complete_new_member_class(done, cmd) == []
    refused(lambda: lifecycle.complete_new_member_class(GONE, cmd), R.MEMBER_NOT_ACTIVE)


# --- probation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("decided, allowed", [(D(2021, 2, 2), False), (D(2021, 2, 3), True), (D(2021, 2, 4), True)])
def test_recognition_edges_and_the_fact_is_dated_from_the_end_of_probation(decided, allowed):
    cmd = c.RecognizeOfficial(member_id="M1", decided_on=decided, occurred_on=D(2021, 3, 1))
    if allowed:
        head, p = one(lifecycle.recognize_official(member(ADMITTED), cmd, rules_on(decided)))
        assert head == ("member.recognized_official", D(2021, 2, 3), "C1", None)
        assert p.decided_on == decided
    else:
        error = refused(lambda: lifecycle.recognize_official(member(ADMITTED), cmd, rules_on(decided)),
                        R.PROBATION_NOT_OVER)
        assert error.message_en == ("Probation of 12 months is not over (only 11 months since 03/02/2020); "
                                    "recognition is possible from 03/02/2021")


def test_recognition_without_a_decision_day_uses_the_day_recorded_and_names_the_member_not_probationary():
    cmd = c.RecognizeOfficial(member_id="M1", occurred_on=D(2021, 2, 3))
    assert one(lifecycle.recognize_official(member(ADMITTED), cmd, RULES))[1].decided_on == D(2021, 2, 3)
    early = c.RecognizeOfficial(member_id="M1", occurred_on=D(2020, 2, 3))
    assert "(only 0 months since 03/02/2020)" in refused(
        lambda: lifecycle.recognize_official(member(ADMITTED), early, RULES), R.PROBATION_NOT_OVER).message_en
    assert refused(lambda: lifecycle.recognize_official(M, cmd, RULES), R.NOT_PROBATIONARY).message_en == \
        "Member 'M1' is not a probationary member"
    refused(lambda: lifecycle.recognize_official(GONE, cmd, RULES), R.MEMBER_NOT_ACTIVE)


# --- transfers within the province --------------------------------------------------------------------

def transfer(to="C2", kind="official", until=None, purpose=None, start=ON, who=M, target=None, **fields):
    cmd = c.TransferMember(member_id="M1", to_org_unit_id=to, kind=kind, until=until, purpose=purpose,
                           occurred_on=start, **fields)
    return lifecycle.transfer(who, target or unit(to), cmd, rules_on(start))


def test_a_transfer_writes_from_and_to_and_is_filed_under_the_receiving_cell():
    head, p = one(transfer(purpose="work", from_org_unit_id="C1"))
    assert head == ("member.transferred", ON, "C2", None)
    assert (p.member_id, p.from_org_unit_id, p.to_org_unit_id, p.kind, p.until, p.purpose) == \
        ("M1", "C1", "C2", "official", None, "work")
    _, p = one(transfer(kind="temporary", until=add_months(ON, 6), purpose="work"))
    assert (p.kind, p.until) == ("temporary", add_months(ON, 6))


def test_a_transfer_from_the_wrong_cell_names_both():
    error = refused(lambda: transfer(from_org_unit_id="C9"), R.WRONG_FROM_UNIT)
    assert (error.field, error.message_en) == ("from_org_unit_id", "The member is in 'C1', not 'C9'")
    refused(lambda: transfer(to="G1", target=unit("G1", "grassroots_committee")), R.ORG_UNIT_HOLDS_NO_MEMBERS)
    assert refused(lambda: transfer(to="C7", target=domain.OrgUnit()), R.ORG_UNIT_NOT_FOUND).field == "to_org_unit_id"
    refused(lambda: transfer(who=GONE), R.MEMBER_NOT_ACTIVE)


@pytest.mark.parametrize("until, allowed", [
    (add_months(ON, 3) - DAY, False), (add_months(ON, 3), True), (add_months(ON, 3) + DAY, True),
    (add_months(ON, 12) - DAY, True), (add_months(ON, 12), False), (add_months(ON, 12) + DAY, False)])
def test_a_temporary_transfer_for_work_is_3_months_to_less_than_12(until, allowed):
    if allowed:
        assert types(transfer(kind="temporary", until=until, purpose="work")) == ["member.transferred"]
    else:
        error = refused(lambda: transfer(kind="temporary", until=until, purpose="work"), R.TEMPORARY_TRANSFER_LENGTH)
        assert error.message_en.startswith("A temporary transfer lasts 3 months to less than 12 months (until "
                                           f"{until.strftime('%d/%m/%Y')} is ")
        assert "từ 3 tháng đến dưới 12 tháng" in error.message_vi


@pytest.mark.parametrize("until, allowed", [
    (add_months(ON, 3) - DAY, False), (add_months(ON, 3), True),
    (add_months(ON, 24) - DAY, True), (add_months(ON, 24), True), (add_months(ON, 24) + DAY, False)])
def test_a_temporary_transfer_for_study_is_3_to_24_months(until, allowed):
    if allowed:
        assert types(transfer(kind="temporary", until=until, purpose="study")) == ["member.transferred"]
    else:
        error = refused(lambda: transfer(kind="temporary", until=until, purpose="study"), R.TEMPORARY_TRANSFER_LENGTH)
        assert "3 months to 24 months" in error.message_en and "từ 3 tháng đến 24 tháng" in error.message_vi


def test_a_temporary_transfer_names_its_length_in_months():
    error = refused(lambda: transfer(kind="temporary", until=add_months(ON, 14), purpose="work"),
                    R.TEMPORARY_TRANSFER_LENGTH)
    assert error.message_en.endswith(f"(until {add_months(ON, 14).strftime('%d/%m/%Y')} is 14 months)")
    refused(lambda: transfer(kind="temporary", until=None, purpose="work"), R.UNTIL_REQUIRED)
    away = member(ADMITTED, OFFICIAL, fact("member.transferred", D(2024, 1, 10), "C2", member_id="M1",
                                           from_org_unit_id="C1", to_org_unit_id="C2", kind="temporary",
                                           until="2024-06-10"))
    refused(lambda: transfer(to="C3", kind="temporary", until=add_months(ON, 4), who=away), R.ALREADY_TEMPORARY)
    # an official transfer while away on a temporary one is allowed
    assert types(transfer(to="C3", who=away)) == ["member.transferred"]


def test_the_end_of_a_temporary_transfer_and_the_papers():
    away = member(ADMITTED, OFFICIAL, fact("member.transferred", D(2024, 1, 10), "C2", member_id="M1",
                                           from_org_unit_id="C1", to_org_unit_id="C2", kind="temporary",
                                           until="2024-06-10"))
    cmd = c.EndTemporaryTransfer(member_id="M1", occurred_on=ON)
    assert one(lifecycle.end_temporary_transfer(away, cmd))[0] == ("member.temporary_transfer_ended", ON, "C1", None)
    assert refused(lambda: lifecycle.end_temporary_transfer(M, cmd), R.NOT_TEMPORARY).field == "member_id"
    moved = member(ADMITTED, OFFICIAL, fact("member.transferred", D(2024, 1, 10), "C2", member_id="M1",
                                            from_org_unit_id="C1", to_org_unit_id="C2", kind="official"))
    papers = c.PresentTransferPapers(member_id="M1", occurred_on=ON)
    head, p = one(lifecycle.present_papers(moved, papers))
    assert head == ("member.transfer_papers_presented", ON, "C2", None) and p.org_unit_id == "C2"
    assert lifecycle.present_papers(M, papers) == []
    refused(lambda: lifecycle.present_papers(GONE, papers), R.MEMBER_NOT_ACTIVE)
    # naming the unit they are due at is the same; naming another (the cell left) is refused
    assert one(lifecycle.present_papers(moved, papers.model_copy(update={"org_unit_id": "C2"})))[0] == head
    assert refused(lambda: lifecycle.present_papers(moved, papers.model_copy(update={"org_unit_id": "C1"})),
                   R.PAPERS_DUE_ELSEWHERE).field == "org_unit_id"


# --- away, abroad, exempt ----------------------------------------------------------------------------

def test_working_away_starts_once_and_ends_once():
    cmd = c.StartWorkingAway(member_id="M1", place="Bình Dương", contact="0900", expected_return=D(2025, 1, 1),
                             occurred_on=ON)
    head, p = one(lifecycle.start_working_away(M, cmd, "sealed-contact"))
    assert head == ("member.working_away_started", ON, "C1", None)
    # the contact is personal: the event keeps the sealed value it is given, never the clear one
    assert (p.place, p.contact, p.expected_return) == ("Bình Dương", "sealed-contact", D(2025, 1, 1))
    away = member(ADMITTED, OFFICIAL, fact("member.working_away_started", ON, "C1", member_id="M1"))
    refused(lambda: lifecycle.start_working_away(away, cmd), R.ALREADY_WORKING_AWAY)
    end = c.EndWorkingAway(member_id="M1", occurred_on=ON)
    assert one(lifecycle.end_working_away(away, end))[0] == ("member.working_away_ended", ON, "C1", None)
    assert lifecycle.end_working_away(M, end) == []


@pytest.mark.parametrize("back, allowed", [(add_months(ON, 12) - DAY, True), (add_months(ON, 12), False),
                                           (add_months(ON, 12) + DAY, False), (None, True)])
def test_abroad_for_12_months_or_more_needs_a_transfer_abroad(back, allowed):
    cmd = c.StartAbroad(member_id="M1", country="Nhật Bản", expected_return=back, occurred_on=ON)
    if allowed:
        head, p = one(lifecycle.start_abroad(M, cmd, RULES))
        assert head == ("member.abroad_started", ON, "C1", None)
        assert (p.country, p.expected_return) == ("Nhật Bản", back)
    else:
        error = refused(lambda: lifecycle.start_abroad(M, cmd, RULES), R.ABROAD_NEEDS_TRANSFER)
        assert error.message_en == "Going abroad for 12 months or more requires a transfer abroad"


def test_abroad_starts_once_and_ends_once():
    abroad = member(ADMITTED, OFFICIAL, fact("member.abroad_started", ON, "C1", member_id="M1", country="Lào"))
    cmd = c.StartAbroad(member_id="M1", country="Lào", occurred_on=ON)
    assert lifecycle.start_abroad(abroad, cmd, RULES) == []  # the same departure sent again
    other = c.StartAbroad(member_id="M1", country="Thái Lan", occurred_on=ON)
    refused(lambda: lifecycle.start_abroad(abroad, other, RULES), R.ALREADY_ABROAD)
    end = c.EndAbroad(member_id="M1", occurred_on=ON)
    assert one(lifecycle.end_abroad(abroad, end))[0] == ("member.abroad_ended", ON, "C1", None)
    assert lifecycle.end_abroad(M, end) == []
    refused(lambda: lifecycle.end_abroad(GONE, end), R.MEMBER_NOT_ACTIVE)


@pytest.mark.parametrize("until, allowed", [(add_months(ON, 12) - DAY, True), (add_months(ON, 12), True),
                                            (add_months(ON, 12) + DAY, False), (ON, False), (ON + DAY, True)])
def test_an_exemption_on_other_grounds_from_the_day_after_to_12_months(until, allowed):
    cmd = c.ExemptMember(member_id="M1", ground="mobile_work", until=until, decided_by="Chi ủy", occurred_on=ON)
    if allowed:
        head, p = one(lifecycle.exempt(M, cmd, RULES, None))
        assert head == ("member.exempted", ON, "C1", None)
        assert (p.ground, p.until, p.decided_by) == ("mobile_work", until, "Chi ủy")
    elif until == ON:
        assert refused(lambda: lifecycle.exempt(M, cmd, RULES, None), R.UNTIL_BEFORE_START).field == "until"
    else:
        error = refused(lambda: lifecycle.exempt(M, cmd, RULES, None), R.EXEMPTION_TOO_LONG)
        assert error.message_vi == (f"Miễn sinh hoạt vì lý do «mobile_work» tối đa 12 tháng (chậm nhất đến "
                                    f"11/03/2025); đề nghị đến {until.strftime('%d/%m/%Y')}")


def test_an_exemption_for_illness_has_no_end_and_keeps_the_sealed_reason():
    cmd = c.ExemptMember(member_id="M1", ground="illness", occurred_on=ON)
    head, p = one(lifecycle.exempt(M, cmd, RULES, "sealed-reason"))
    assert (p.ground, p.until, p.health_reason) == ("illness", None, "sealed-reason")
    long = c.ExemptMember(member_id="M1", ground="illness", until=add_months(ON, 30), occurred_on=ON)
    assert types(lifecycle.exempt(M, long, RULES, None)) == ["member.exempted"]
    refused(lambda: lifecycle.exempt(M, c.ExemptMember(member_id="M1", ground="illness", until=ON - DAY,
                                                      occurred_on=ON), RULES, None), R.UNTIL_BEFORE_START)
    error = refused(lambda: lifecycle.exempt(M, c.ExemptMember(member_id="M1", ground="mobile_work", occurred_on=ON),
                                             RULES, None), R.EXEMPTION_TOO_LONG)
    assert error.message_vi.endswith("đề nghị không thời hạn")
    end = c.EndExemption(member_id="M1", occurred_on=ON)
    exempted = member(ADMITTED, OFFICIAL, fact("member.exempted", ON, "C1", member_id="M1", ground="illness"))
    assert one(lifecycle.end_exemption(exempted, end))[0] == ("member.exemption_ended", ON, "C1", None)
    assert lifecycle.end_exemption(M, end) == []


# --- liaison, tasks, remediation, loans -------------------------------------------------------------------

def test_liaison_task_commitment_facts():
    head, p = one(lifecycle.introduce_liaison(M, unit("R1", "grassroots_committee"),
                                              c.IntroduceLiaison(member_id="M1", residence_org_unit_id="R1",
                                                                 occurred_on=ON)))
    assert head == ("member.liaison_introduced", ON, "C1", None) and p.residence_org_unit_id == "R1"
    assert refused(lambda: lifecycle.introduce_liaison(M, None, c.IntroduceLiaison(
        member_id="M1", residence_org_unit_id="R1", occurred_on=ON)), R.ORG_UNIT_NOT_FOUND).field == \
        "residence_org_unit_id"
    introduced = member(ADMITTED, OFFICIAL, fact("member.liaison_introduced", D(2023, 2, 1), "C1", member_id="M1",
                                                 residence_org_unit_id="R1"))
    head, p = one(lifecycle.record_liaison_feedback(introduced, c.RecordLiaisonFeedback(
        member_id="M1", year=2023, feedback="Tốt", occurred_on=ON)))
    assert head == ("member.liaison_feedback_recorded", ON, "C1", None) and (p.year, p.feedback) == (2023, "Tốt")
    head, p = one(lifecycle.assign_task(M, c.AssignTask(member_id="M1", task="Tuyên truyền", due_on=D(2024, 6, 1),
                                                        occurred_on=ON)))
    assert head == ("member.task_assigned", ON, "C1", None) and (p.task, p.due_on) == ("Tuyên truyền", D(2024, 6, 1))
    head, p = one(lifecycle.make_commitment(M, c.MakeCommitment(member_id="M1", year=2024, occurred_on=ON)))
    assert head == ("member.commitment_made", ON, "C1", None) and p.year == 2024
    for call in (lambda: lifecycle.record_liaison_feedback(GONE, c.RecordLiaisonFeedback(
                     member_id="M1", year=2023, feedback="x", occurred_on=ON)),
                 lambda: lifecycle.assign_task(GONE, c.AssignTask(member_id="M1", task="x", occurred_on=ON)),
                 lambda: lifecycle.make_commitment(GONE, c.MakeCommitment(member_id="M1", year=2024, occurred_on=ON)),
                 lambda: lifecycle.introduce_liaison(GONE, unit("R1"), c.IntroduceLiaison(
                     member_id="M1", residence_org_unit_id="R1", occurred_on=ON))):
        refused(call, R.MEMBER_NOT_ACTIVE)


@pytest.mark.parametrize("due, allowed", [(ON - DAY, False), (ON, False), (ON + DAY, True)])
def test_a_remediation_is_due_after_the_day_it_is_planned(due, allowed):
    cmd = c.PlanRemediation(member_id="M1", year=2023, due_on=due, items="Khắc phục", occurred_on=ON)
    if allowed:
        head, p = one(lifecycle.plan_remediation(M, cmd))
        assert head == ("member.remediation_planned", ON, "C1", None)
        assert (p.year, p.due_on, p.items) == (2023, due, "Khắc phục")
    else:
        assert refused(lambda: lifecycle.plan_remediation(M, cmd), R.DUE_BEFORE_PLAN).field == "due_on"


def test_a_remediation_is_completed_once_for_its_year():
    planned = member(ADMITTED, OFFICIAL, fact("member.remediation_planned", ON, "C1", member_id="M1", year=2023))
    done = c.CompleteRemediation(member_id="M1", year=2023, occurred_on=ON)
    head, p = one(lifecycle.complete_remediation(planned, done))
    assert head == ("member.remediation_completed", ON, "C1", None) and p.year == 2023
    other_year = c.CompleteRemediation(member_id="M1", year=2022, occurred_on=ON)
    assert lifecycle.complete_remediation(planned, other_year) == []


def test_a_loan_is_granted_once_and_repaid_by_its_id():
    grant = c.GrantLoan(member_id="M1", loan_id="L1", amount_vnd=5_000_000, due_on=D(2025, 1, 1), occurred_on=ON)
    head, p = one(lifecycle.grant_loan(M, grant))
    assert head == ("member.loan_granted", ON, "C1", None)
    assert (p.loan_id, p.amount_vnd, p.due_on) == ("L1", 5_000_000, D(2025, 1, 1))
    owing = member(ADMITTED, OFFICIAL, fact("member.loan_granted", ON, "C1", member_id="M1", loan_id="L1"))
    assert lifecycle.grant_loan(owing, grant) == []
    repay = c.RepayLoan(member_id="M1", loan_id="L1", occurred_on=ON)
    head, p = one(lifecycle.repay_loan(owing, repay))
    assert head == ("member.loan_repaid", ON, "C1", None) and p.loan_id == "L1"
    error = refused(lambda: lifecycle.repay_loan(M, repay), R.LOAN_NOT_FOUND)
    assert (error.field, error.message_en) == ("loan_id", "No open loan 'L1'")
    assert refused(lambda: lifecycle.repay_loan(domain.Member(), repay), R.MEMBER_NOT_FOUND).message_en == \
        "Member 'M1' not found"
    # a member who left may still repay
    gone_owing = member(ADMITTED, fact("member.loan_granted", ON, "C1", member_id="M1", loan_id="L1"),
                        fact("member.died", ON, "C1", member_id="M1"))
    assert types(lifecycle.repay_loan(gone_owing, repay)) == ["member.loan_repaid"]


# --- exits ---------------------------------------------------------------------------------------------

def test_exits_are_filed_under_the_members_cell_on_their_day():
    head, p = one(lifecycle.transfer_out(M, c.TransferOut(member_id="M1", destination="Tỉnh ủy Nam Định",
                                                          occurred_on=ON)))
    assert head == ("member.transferred_out", ON, "C1", None) and p.destination == "Tỉnh ủy Nam Định"
    head, p = one(lifecycle.remove(M, c.RemoveMember(member_id="M1", ground="unpaid_dues", occurred_on=ON)))
    assert head == ("member.removed", ON, "C1", None) and p.ground == "unpaid_dues"
    assert one(lifecycle.record_death(M, c.RecordDeath(member_id="M1", occurred_on=ON)))[0] == \
        ("member.died", ON, "C1", None)
    head, p = one(lifecycle.expel(M, c.ExpelMember(member_id="M1", case_id="V1", occurred_on=ON)))
    assert head == ("member.expelled", ON, "C1", None) and p.case_id == "V1"
    for call in (lambda: lifecycle.transfer_out(GONE, c.TransferOut(member_id="M1", destination="x", occurred_on=ON)),
                 lambda: lifecycle.record_death(GONE, c.RecordDeath(member_id="M1", occurred_on=ON)),
                 lambda: lifecycle.expel(GONE, c.ExpelMember(member_id="M1", case_id="V1", occurred_on=ON))):
        refused(call, R.MEMBER_NOT_ACTIVE)


def test_failed_probation_removes_only_a_probationary_member():
    cmd = c.RemoveMember(member_id="M1", ground="failed_probation", occurred_on=ON)
    assert types(lifecycle.remove(member(ADMITTED), cmd)) == ["member.removed"]
    assert refused(lambda: lifecycle.remove(M, cmd), R.REMOVAL_NEEDS_PROBATIONARY).code == "not_probationary"


def test_an_expulsion_reaction_leaves_a_member_already_gone_as_is():
    cmd = c.ExpelMember(member_id="M1", case_id="V1", occurred_on=ON)
    assert lifecycle.expel(GONE, cmd, reaction=True) == []
    assert lifecycle.expel(domain.Member(), cmd, reaction=True) == []
    assert types(lifecycle.expel(M, cmd, reaction=True)) == ["member.expelled"]
    refused(lambda: lifecycle.expel(domain.Member(), cmd), R.MEMBER_NOT_FOUND)


def test_an_expulsion_case_is_named():
    cmd = c.ExpelMember(member_id="M1", case_id="V1", occurred_on=ON)
    assert refused(lambda: lifecycle.check_expulsion_case(cmd, None), R.EXPULSION_NOT_FOUND).message_en == \
        "No discipline decision 'V1' in force"
    assert refused(lambda: lifecycle.check_expulsion_case(cmd, ("M2", "expulsion")),
                   R.CASE_NOT_ABOUT_MEMBER).message_en == "Case 'V1' does not concern member 'M1'"
    assert refused(lambda: lifecycle.check_expulsion_case(cmd, ("M1", "warning")), R.CASE_NOT_EXPULSION).message_en \
        == "Decision 'V1' is not an expulsion"


def test_shredding_once_even_after_leaving():
    cmd = c.ShredMember(member_id="M1", occurred_on=ON)
    assert one(lifecycle.shred(GONE, cmd))[0] == ("member.personal_data_shredded", ON, "C1", None)
    shredded = member(ADMITTED, fact("member.personal_data_shredded", ON, "C1", member_id="M1"))
    assert lifecycle.shred(shredded, cmd) == []
    refused(lambda: lifecycle.shred(domain.Member(), cmd), R.MEMBER_NOT_FOUND)


# --- every command names the member who left, and the unit it could not use ------------------------------

GONE_CALLS = {
    "update_record": lambda: lifecycle.update_record(GONE, c.UpdateMemberRecord(member_id="M1", occurred_on=ON), {},
                                                     None),
    "complete_new_member_class": lambda: lifecycle.complete_new_member_class(
        GONE, c.CompleteNewMemberClass(member_id="M1", occurred_on=ON)),
    "recognize_official": lambda: lifecycle.recognize_official(GONE, c.RecognizeOfficial(member_id="M1",
                                                                                         occurred_on=ON), RULES),
    "transfer": lambda: transfer(who=GONE),
    "end_temporary_transfer": lambda: lifecycle.end_temporary_transfer(
        GONE, c.EndTemporaryTransfer(member_id="M1", occurred_on=ON)),
    "present_papers": lambda: lifecycle.present_papers(GONE, c.PresentTransferPapers(member_id="M1", occurred_on=ON)),
    "transfer_out": lambda: lifecycle.transfer_out(GONE, c.TransferOut(member_id="M1", destination="x",
                                                                       occurred_on=ON)),
    "start_working_away": lambda: lifecycle.start_working_away(GONE, c.StartWorkingAway(member_id="M1", place="x",
                                                                                        occurred_on=ON)),
    "end_working_away": lambda: lifecycle.end_working_away(GONE, c.EndWorkingAway(member_id="M1", occurred_on=ON)),
    "start_abroad": lambda: lifecycle.start_abroad(GONE, c.StartAbroad(member_id="M1", country="x", occurred_on=ON),
                                                   RULES),
    "end_abroad": lambda: lifecycle.end_abroad(GONE, c.EndAbroad(member_id="M1", occurred_on=ON)),
    "exempt": lambda: lifecycle.exempt(GONE, c.ExemptMember(member_id="M1", ground="illness", occurred_on=ON), RULES,
                                       None),
    "end_exemption": lambda: lifecycle.end_exemption(GONE, c.EndExemption(member_id="M1", occurred_on=ON)),
    "introduce_liaison": lambda: lifecycle.introduce_liaison(GONE, unit("R1"), c.IntroduceLiaison(
        member_id="M1", residence_org_unit_id="R1", occurred_on=ON)),
    "record_liaison_feedback": lambda: lifecycle.record_liaison_feedback(GONE, c.RecordLiaisonFeedback(
        member_id="M1", year=2023, feedback="x", occurred_on=ON)),
    "assign_task": lambda: lifecycle.assign_task(GONE, c.AssignTask(member_id="M1", task="x", occurred_on=ON)),
    "make_commitment": lambda: lifecycle.make_commitment(GONE, c.MakeCommitment(member_id="M1", year=2024,
                                                                                occurred_on=ON)),
    "plan_remediation": lambda: lifecycle.plan_remediation(GONE, c.PlanRemediation(
        member_id="M1", year=2023, due_on=ON + DAY, occurred_on=ON)),
    "complete_remediation": lambda: lifecycle.complete_remediation(GONE, c.CompleteRemediation(
        member_id="M1", year=2023, occurred_on=ON)),
    "grant_loan": lambda: lifecycle.grant_loan(GONE, c.GrantLoan(member_id="M1", loan_id="L1", amount_vnd=1,
                                                                 occurred_on=ON)),
    "remove": lambda: lifecycle.remove(GONE, c.RemoveMember(member_id="M1", ground="unpaid_dues", occurred_on=ON)),
    "expel": lambda: lifecycle.expel(GONE, c.ExpelMember(member_id="M1", case_id="V1", occurred_on=ON)),
    "record_death": lambda: lifecycle.record_death(GONE, c.RecordDeath(member_id="M1", occurred_on=ON)),
}


@pytest.mark.parametrize("command", sorted(GONE_CALLS))
def test_a_command_about_a_member_who_left_names_the_member_how_and_when(command):
    error = refused(GONE_CALLS[command], R.MEMBER_NOT_ACTIVE)
    assert (error.field, error.message_vi, error.message_en) == (
        "member_id", "Đảng viên «M1» đã từ trần ngày 05/01/2023", "Member 'M1' died on 05/01/2023")


def test_shredding_a_member_who_does_not_exist_names_them():
    assert refused(lambda: lifecycle.shred(domain.Member(), c.ShredMember(member_id="M1", occurred_on=ON)),
                   R.MEMBER_NOT_FOUND).message_en == "Member 'M1' not found"


def test_the_unit_a_command_could_not_use_is_named_in_its_field():
    admit_cmd = c.AdmitMember(member_id="M1", org_unit_id="C7", full_name="A", birth_date=D(1990, 5, 1), sex="male",
                              occurred_on=ON)
    error = refused(lambda: lifecycle.admit_member(domain.Member(), None, admit_cmd, RULES, {}, None),
                    R.ORG_UNIT_NOT_FOUND)
    assert (error.field, error.message_en) == ("org_unit_id", "Party organisation 'C7' not found")
    tin = c.TransferIn(member_id="M5", org_unit_id="C7", full_name="A", birth_date=D(1985, 1, 20), sex="male",
                       origin="x", occurred_on=ON)
    error = refused(lambda: lifecycle.transfer_in(domain.Member(), None, tin, {}, None), R.ORG_UNIT_NOT_FOUND)
    assert (error.field, error.message_en) == ("org_unit_id", "Party organisation 'C7' not found")
    tin_g = tin.model_copy(update={"org_unit_id": "G7"})
    assert refused(lambda: lifecycle.transfer_in(domain.Member(), unit("G7", "grassroots_committee"), tin_g, {}, None),
                   R.ORG_UNIT_HOLDS_NO_MEMBERS).field == "org_unit_id"
    error = refused(lambda: transfer(to="C7", target=domain.OrgUnit()), R.ORG_UNIT_NOT_FOUND)
    assert (error.field, error.message_en) == ("to_org_unit_id", "Party organisation 'C7' not found")
    assert refused(lambda: transfer(to="G7", target=unit("G7", "grassroots_committee")),
                   R.ORG_UNIT_HOLDS_NO_MEMBERS).field == "to_org_unit_id"
    liaison = c.IntroduceLiaison(member_id="M1", residence_org_unit_id="R7", occurred_on=ON)
    assert refused(lambda: lifecycle.introduce_liaison(M, None, liaison), R.ORG_UNIT_NOT_FOUND).message_en == \
        "Party organisation 'R7' not found"


def test_a_members_own_card_number_is_not_taken_from_them():
    tin = c.TransferIn(member_id="M1", org_unit_id="C1", full_name="A", birth_date=D(1985, 1, 20), sex="male",
                       origin="x", card_number="12345678", occurred_on=ON)
    back = member(ADMITTED, fact("member.transferred_out", D(2022, 1, 1), "C1", member_id="M1"))
    assert types(lifecycle.transfer_in(back, unit("C1"), tin, {"full_name": "s"}, "M1")) == \
        ["member.transferred_in", "member.card_reserved"]
    upd = c.UpdateMemberRecord(member_id="M1", card_number="12345678", occurred_on=ON)
    assert types(lifecycle.update_record(M, upd, {"card_number": "s"}, "M1")) == \
        ["member.record_updated", "member.card_reserved"]


def test_the_special_age_decision_is_kept_with_the_admission():
    _, p = one(admit(birth_date=D(1960, 1, 1), special_age_decision="QĐ 12-QĐ/TU"))
    assert p.special_age_decision == "QĐ 12-QĐ/TU"
    _, p = one(admit())
    assert p.special_age_decision is None
