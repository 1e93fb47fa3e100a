"""Given events, when a command, then events or a named error (DOMAIN.md §2–3, §8)."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.errors import DomainError

D = dt.date


def error(fn, *a, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*a, **kw)
    assert exc.value.message_vi and exc.value.message_en
    return exc.value


# --- identifiers and age -------------------------------------------------------------------------

def test_card_number_of_seven_digits_is_refused_and_nothing_written(mb):
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        mb.admit("M1", card_number="1234567")
    assert mb.types("member-M1") == []


def test_a_card_number_belongs_to_one_member(mb):
    mb.admit("M1", card_number="12345678")
    err = error(mb.admit, "M2", card_number="12345678")
    assert err.code == "card_number_taken" and err.field == "card_number"
    assert mb.types("member-M2") == []


def test_admission_at_61_needs_a_special_decision(mb):
    err = error(mb.admit, "M1", on=D(2020, 1, 15), birth=D(1958, 12, 1))
    assert err.code == "too_old" and err.field == "special_age_decision"
    assert mb.types("member-M1") == []
    mb.admit("M1", on=D(2020, 1, 15), birth=D(1958, 12, 1), special_age_decision="QĐ 12-QĐ/TU")
    assert mb.types("member-M1") == ["member.admitted"]


def test_age_is_counted_in_months_on_both_sides_of_18(mb):
    assert error(mb.admit, "M1", on=D(2020, 4, 30), birth=D(2002, 5, 1)).code == "too_young"
    mb.admit("M1", on=D(2020, 5, 1), birth=D(2002, 5, 1))


def test_members_are_admitted_only_into_cells(mb):
    assert error(mb.admit, "M1", unit="G1").code == "org_unit_holds_no_members"


# --- personal data ----------------------------------------------------------------------------------

def test_personal_fields_are_sealed_in_the_store_and_open_on_get_member(mb):
    mb.admit("M1", card_number="12345678", citizen_id="012345678901", religion="Phật giáo")
    stored = mb.store.read_stream("member-M1")[0].data
    assert "Nguyễn" not in str(stored) and "12345678" not in str(stored)
    # the birth date is sealed like the rest; statistics get the year of birth only
    assert "1990-05-01" not in str(stored) and stored["birth_date"].startswith("sealed:v1:")
    assert stored["birth_year"] == 1990
    record = __import__("services.members.application", fromlist=["x"]).get_member(mb.store, "M1", mb.deps)
    assert record["full_name"] == "Nguyễn Văn An" and record["card_number"] == "12345678"
    assert record["birth_date"] == dt.date(1990, 5, 1)
    assert record["religion"] == "Phật giáo" and record["org_unit_id"] == "G1C1"


def test_shredding_makes_the_record_unreadable_and_history_still_verifies(mb):
    from services.members.application import get_member
    from shared.events import verify_chain
    mb.admit("M1", card_number="12345678")
    mb.run("shred_member", occurred_on=D(2024, 1, 1), member_id="M1")
    record = get_member(mb.store, "M1", mb.deps)
    assert record["full_name"] is None and record["card_number"] is None and record["personal_data_shredded"]
    assert record["birth_date"] is None
    assert verify_chain(mb.store.read_stream("member-M1")) is None
    assert mb.types("member-M1")[-1] == "member.personal_data_shredded"


# --- probation -------------------------------------------------------------------------------------

def test_recognition_after_three_months_is_refused(mb):
    mb.admit("M1", on=D(2020, 1, 15))
    err = error(mb.run, "recognize_official", occurred_on=D(2020, 4, 15), member_id="M1")
    assert err.code == "probation_not_over" and "15/01/2021" in err.message_vi
    assert mb.types("member-M1") == ["member.admitted"]


def test_late_recognition_is_dated_from_the_end_of_probation(mb):
    mb.admit("M1", on=D(2020, 1, 15))
    [ev] = mb.run("recognize_official", occurred_on=D(2021, 6, 1), member_id="M1")
    assert ev.occurred_on == D(2021, 1, 15) and ev.data["decided_on"] == "2021-06-01"


def test_failed_probation_is_a_removal_for_probationary_members_only(mb):
    mb.admit("M1")
    mb.admit("M2")
    mb.run("recognize_official", occurred_on=D(2021, 2, 1), member_id="M2")
    assert error(mb.run, "remove_member", occurred_on=D(2021, 2, 2), member_id="M2",
                 ground="failed_probation").code == "not_probationary"
    mb.run("remove_member", occurred_on=D(2021, 2, 2), member_id="M1", ground="failed_probation")
    assert mb.types("member-M1")[-1] == "member.removed"


# --- candidates ------------------------------------------------------------------------------------

def _candidate(mb, birth=D(1995, 1, 1)):
    mb.admit("INTRO", on=D(2016, 1, 1))
    mb.run("recognize_official", occurred_on=D(2017, 1, 1), member_id="INTRO")
    mb.run("register_candidate", occurred_on=D(2020, 1, 2), candidate_id="K1", org_unit_id="G1C1",
           full_name="Trần Thị Lan", birth_date=birth, sex="female", introduced_by_member_id="INTRO",
           introducer_known_since=D(2018, 6, 1), education_level="upper_secondary")


def test_candidate_pipeline_to_admission(mb):
    _candidate(mb)
    mb.run("complete_awareness_class", occurred_on=D(2020, 2, 1), candidate_id="K1")
    mb.run("verify_background", occurred_on=D(2020, 2, 20), candidate_id="K1")
    mb.run("pass_cell_resolution", occurred_on=D(2020, 3, 2), candidate_id="K1")
    mb.run("decide_admission", occurred_on=D(2020, 4, 1), candidate_id="K1", member_id="M9")
    mb.run("admit_member", occurred_on=D(2020, 4, 10), member_id="M9", org_unit_id="G1C1", full_name="Trần Thị Lan",
           birth_date=D(1995, 1, 1), sex="female", candidate_id="K1")
    assert mb.types("member-M9") == ["member.admitted"]


def test_cell_resolution_needs_the_class_and_verification(mb):
    _candidate(mb)
    assert error(mb.run, "pass_cell_resolution", occurred_on=D(2020, 3, 1),
                 candidate_id="K1").code == "awareness_class_missing"


def test_admission_decision_past_60_plus_30_working_days_is_refused(mb):
    _candidate(mb)
    mb.run("complete_awareness_class", occurred_on=D(2020, 2, 1), candidate_id="K1")
    mb.run("verify_background", occurred_on=D(2020, 2, 20), candidate_id="K1")
    mb.run("pass_cell_resolution", occurred_on=D(2020, 3, 2), candidate_id="K1")
    err = error(mb.run, "decide_admission", occurred_on=D(2020, 7, 20), candidate_id="K1", member_id="M9")
    assert err.code == "admission_decision_too_late"


def test_introducer_must_be_official(mb):
    mb.admit("NEW", on=D(2019, 6, 1))
    err = error(mb.run, "register_candidate", occurred_on=D(2020, 1, 2), candidate_id="K1", org_unit_id="G1C1",
                full_name="X", birth_date=D(1995, 1, 1), sex="female", introduced_by_member_id="NEW")
    assert err.code == "introducer_not_official"


# --- movement --------------------------------------------------------------------------------------

def test_removed_member_cannot_be_transferred(mb):
    mb.admit("M1")
    mb.run("remove_member", occurred_on=D(2022, 3, 1), member_id="M1", ground="unpaid_dues")
    err = error(mb.run, "transfer_member", occurred_on=D(2022, 4, 1), member_id="M1", to_org_unit_id="G2C1")
    assert err.code == "member_not_active" and "01/03/2022" in err.message_vi
    assert mb.types("member-M1")[-1] == "member.removed"


def test_temporary_transfer_lasts_3_to_12_months(mb):
    mb.admit("M1")
    err = error(mb.run, "transfer_member", occurred_on=D(2022, 1, 1), member_id="M1", to_org_unit_id="G2C1",
                kind="temporary", until=D(2023, 6, 1))
    assert err.code == "temporary_transfer_length"
    mb.run("transfer_member", occurred_on=D(2022, 1, 1), member_id="M1", to_org_unit_id="G2C1", kind="temporary",
           until=D(2022, 9, 1))


def test_exemption_of_18_months_on_mobile_work_is_refused(mb):
    mb.admit("M1")
    err = error(mb.run, "exempt_member", occurred_on=D(2022, 1, 1), member_id="M1", ground="mobile_work",
                until=D(2023, 7, 1))
    assert err.code == "exemption_too_long" and err.field == "until"
    mb.run("exempt_member", occurred_on=D(2022, 1, 1), member_id="M1", ground="old_age")  # no end date needed


def test_overdue_transfer_papers_and_recognition(mb):
    from services.members.index import MembersIndex
    mb.admit("M1", on=D(2020, 1, 15))
    mb.run("transfer_member", occurred_on=D(2020, 3, 2), member_id="M1", to_org_unit_id="G2C1")
    items = {i["kind"] for i in mb.deps.index.overdue(D(2020, 6, 1))}
    assert "transfer_papers" in items and "recognition" not in items
    mb.run("present_transfer_papers", occurred_on=D(2020, 6, 2), member_id="M1")
    later = {i["kind"] for i in mb.deps.index.overdue(D(2021, 6, 1))}
    assert "transfer_papers" not in later and "recognition" in later


# --- tree ------------------------------------------------------------------------------------------

def test_merge_moves_members_and_the_tree_answers_as_of_dates(mb):
    from services.members.application import unit_ancestors
    from services.members.tree import tree_as_of
    mb.admit("M1", unit="G2C2")
    mb.admit("M2", unit="G2C2")
    err = error(mb.run, "merge_org_unit", occurred_on=D(2025, 7, 1), org_unit_id="G2", into_org_unit_id="G1")
    assert err.code == "org_unit_has_sub_units"
    mb.run("move_org_unit", occurred_on=D(2025, 7, 1), org_unit_id="G2C1", parent_id="G1")
    mb.run("merge_org_unit", occurred_on=D(2025, 7, 1), org_unit_id="G2C2", into_org_unit_id="G1C1")
    mb.run("merge_org_unit", occurred_on=D(2025, 7, 1), org_unit_id="G2", into_org_unit_id="G1")
    assert mb.types("member-M1")[-1] == "member.transferred"
    assert mb.deps.index.roster(mb.store, "G1C1") == ["M1", "M2"]
    before = tree_as_of(mb.deps.index.unit_history(), D(2025, 6, 30))
    after = tree_as_of(mb.deps.index.unit_history(), D(2025, 7, 1))
    assert "G2" in before and before["G2C1"]["parent_id"] == "G2"
    assert "G2" not in after and "G2C2" not in after and after["G2C1"]["parent_id"] == "G1"
    assert unit_ancestors(mb.store, "G2C1", D(2025, 6, 30)) == ["G2C1", "G2", "D1", "P"]
    assert unit_ancestors(mb.store, "G2C1", D(2025, 7, 1)) == ["G2C1", "G1", "D1", "P"]


def test_a_cell_cannot_move_under_a_province(mb):
    err = error(mb.run, "move_org_unit", occurred_on=D(2020, 1, 1), org_unit_id="G1C1", parent_id="P")
    assert err.code == "parent_kind_not_allowed"


def test_dissolving_a_cell_with_members_is_refused(mb):
    mb.admit("M1", unit="G1C2")
    assert error(mb.run, "dissolve_org_unit", occurred_on=D(2022, 1, 1), org_unit_id="G1C2").code == \
        "org_unit_has_members"


# --- rating ----------------------------------------------------------------------------------------

def _officials(mb, n, unit="G1C1"):
    for i in range(n):
        mb.admit(f"R{i}", unit=unit, on=D(2019, 1, 10))


def test_rating_levels_before_and_points_after_september_2025(mb):
    _officials(mb, 2)
    mb.run("rate_member", occurred_on=D(2024, 12, 15), member_id="R0", year=2024, rating="good")
    assert error(mb.run, "rate_member", occurred_on=D(2025, 12, 15), member_id="R1", year=2025,
                 rating="good").code == "points_required"
    [ev] = mb.run("rate_member", occurred_on=D(2025, 12, 15), member_id="R1", year=2025, points=72)
    assert ev.data["rating"] == "good" and ev.stream == "rating-G1-2025"


def test_excellent_is_capped_at_20_percent_per_grassroots(mb):
    _officials(mb, 6)
    for i in range(4):
        mb.run("rate_member", occurred_on=D(2024, 12, 15), member_id=f"R{i}", year=2024, rating="good")
    mb.run("rate_member", occurred_on=D(2024, 12, 15), member_id="R4", year=2024, rating="excellent")
    err = error(mb.run, "rate_member", occurred_on=D(2024, 12, 15), member_id="R5", year=2024, rating="excellent")
    assert err.code == "excellent_quota_exceeded"


def test_disciplined_member_is_rated_not_complete_at_most(mb):
    _officials(mb, 1)
    mb.discipline("discipline.applied", D(2024, 5, 1), case_id="C1", subject_kind="member", subject_id="R0",
                  form="warning", violation_on="2024-01-01")
    err = error(mb.run, "rate_member", occurred_on=D(2024, 12, 15), member_id="R0", year=2024, rating="good")
    assert err.code == "disciplined_capped"
    mb.run("rate_member", occurred_on=D(2024, 12, 15), member_id="R0", year=2024, rating="not_complete")


def test_exempt_and_recent_members_are_not_rated(mb):
    mb.admit("NEW", on=D(2024, 9, 1))
    assert error(mb.run, "rate_member", occurred_on=D(2024, 12, 15), member_id="NEW", year=2024,
                 rating="good").code == "admitted_too_recently"
    _officials(mb, 1)
    mb.run("exempt_member", occurred_on=D(2024, 2, 1), member_id="R0", ground="illness")
    assert error(mb.run, "rate_member", occurred_on=D(2024, 12, 15), member_id="R0", year=2024,
                 rating="good").code == "exempt_not_rated"


# --- exits -----------------------------------------------------------------------------------------

def test_expulsion_reaction_happens_once(mb):
    mb.admit("M1")
    events, message = mb.discipline("discipline.applied", D(2023, 5, 1), case_id="C9", subject_kind="member",
                                    subject_id="M1", form="expulsion", violation_on="2023-01-01")
    assert [e.type for e in events] == ["member.expelled"]
    from services.members.application import on_discipline_applied
    on_discipline_applied(mb.store, message, mb.deps)  # redelivered
    assert mb.types("member-M1") == ["member.admitted", "member.expelled"]


def test_resignation_refused_while_a_case_is_open(mb):
    mb.admit("M1")
    mb.discipline("discipline.case_opened", D(2023, 5, 1), case_id="C2", subject_kind="member", subject_id="M1")
    assert error(mb.run, "resign_member", occurred_on=D(2023, 6, 1), member_id="M1").code == "discipline_case_open"
    mb.discipline("discipline.applied", D(2023, 7, 1), case_id="C2", subject_kind="member", subject_id="M1",
                  form="reprimand", violation_on="2023-01-01")
    mb.run("resign_member", occurred_on=D(2023, 8, 1), member_id="M1")
    assert mb.types("member-M1")[-1] == "member.resigned"


def test_readmission_after_36_months_but_never_after_resignation(mb):
    mb.admit("M1")
    mb.admit("M2")
    mb.run("remove_member", occurred_on=D(2021, 1, 10), member_id="M1", ground="no_progress")
    mb.run("resign_member", occurred_on=D(2021, 1, 10), member_id="M2")
    assert error(mb.admit, "M1", on=D(2023, 1, 10)).code == "readmission_too_soon"
    mb.admit("M1", on=D(2024, 1, 10))
    assert error(mb.admit, "M2", on=D(2025, 1, 10)).code == "readmission_not_allowed"


def test_a_retried_command_writes_nothing_twice(mb):
    mb.admit("M1", command_id="same")
    mb.admit("M1", command_id="same")
    assert mb.types("member-M1") == ["member.admitted"]


def test_an_expulsion_decided_before_a_later_fact_on_the_record_is_still_applied(mb):
    """The discipline service's decision is applied as decided: a fact recorded on the member's
    record after the decision's date (here a task) does not refuse the reaction, which would leave
    the member on the rolls though expelled (rule ``exit_before_latest_fact`` is for the members
    service's own exits)."""
    mb.admit("M1")
    mb.run("assign_task", occurred_on=D(2023, 6, 1), member_id="M1", task="Phụ trách hộ gia đình")
    events, _ = mb.discipline("discipline.applied", D(2023, 5, 1), case_id="C9", subject_kind="member",
                              subject_id="M1", form="expulsion", violation_on="2023-01-01")
    assert [e.type for e in events] == ["member.expelled"]
    assert mb.types("member-M1")[-1] == "member.expelled"
