"""Allowed forms per subject (Điều lệ Đảng, Điều 36; DOMAIN.md §5), judged on the decision date."""
import pytest

from shared.errors import DomainError

from tests.unit.discipline.conftest import D, decide


@pytest.mark.parametrize("form", ["reprimand", "warning", "expulsion"])
def test_an_official_member_can_be_given_each_member_form(desk, form):
    [event] = decide(desk, form=form)
    assert (event.type, event.data["form"], event.data["subject_id"]) == ("discipline.applied", form, "M1")
    assert event.occurred_on == D(2021, 3, 1)
    assert event.org_unit_id == "C1"  # the subject's unit: what the rating cap and reports group by


def test_dismissal_needs_the_post_the_member_holds(desk):
    with pytest.raises(DomainError) as refused:
        decide(desk, form="dismissal")
    assert refused.value.code == "dismissal_needs_post" and refused.value.field == "post"
    [event] = decide(desk, form="dismissal", post="Bí thư chi bộ")
    assert event.data["post"] == "Bí thư chi bộ"


@pytest.mark.parametrize("form", ["dismissal", "expulsion"])
def test_a_probationary_member_can_only_be_reprimanded_or_warned(desk, form):
    desk.admit("M2", on=D(2020, 9, 1), official_on=None)
    with pytest.raises(DomainError) as refused:
        decide(desk, subject_id="M2", form=form, post="Phó Bí thư")
    err = refused.value
    assert err.code == "form_not_allowed" and err.field == "form"
    assert "đảng viên dự bị" in err.message_vi and "khiển trách, cảnh cáo" in err.message_vi
    [event] = decide(desk, case_id="K2", subject_id="M2", form="warning")
    assert event.data["form"] == "warning"


def test_the_status_on_the_decision_date_counts(desk):
    desk.admit("M3", on=D(2019, 1, 10), official_on=D(2020, 1, 10))
    with pytest.raises(DomainError):
        decide(desk, subject_id="M3", form="expulsion", violation_on=D(2019, 6, 1), on=D(2019, 12, 1))
    [event] = decide(desk, case_id="K2", subject_id="M3", form="expulsion", violation_on=D(2019, 6, 1),
                     on=D(2020, 2, 1))
    assert event.data["form"] == "expulsion"


def test_an_organisation_can_be_reprimanded_warned_or_dissolved_but_not_expelled(desk):
    [event] = decide(desk, subject_kind="org_unit", subject_id="C1", form="dissolution")
    assert event.org_unit_id == "C1"
    with pytest.raises(DomainError) as refused:
        decide(desk, case_id="K2", subject_kind="org_unit", subject_id="C1", form="expulsion")
    assert refused.value.code == "form_not_allowed"
    assert "tổ chức đảng" in refused.value.message_vi


def test_a_subject_must_exist_on_the_decision_date(desk):
    desk.admit("M4", on=D(2022, 1, 1), official_on=D(2023, 1, 1))
    with pytest.raises(DomainError) as refused:
        decide(desk, subject_id="M4", on=D(2021, 12, 31), violation_on=D(2021, 1, 1))
    assert refused.value.code == "member_not_found" and "31/12/2021" in refused.value.message_vi
    desk.fact("member.expelled", D(2021, 5, 1), "member-M1", member_id="M1", case_id="K0")
    with pytest.raises(DomainError) as gone:
        decide(desk, subject_id="M1", on=D(2021, 6, 1))
    assert gone.value.code == "member_left"
    with pytest.raises(DomainError) as no_unit:
        decide(desk, subject_kind="org_unit", subject_id="NOPE")
    assert no_unit.value.code == "org_unit_not_found"


def test_a_temporary_transfer_keeps_the_members_unit(desk):
    desk.unit("C2")
    desk.fact("member.transferred", D(2020, 1, 1), "member-M1", member_id="M1", from_org_unit_id="C1",
              to_org_unit_id="C2", kind="temporary")
    [event] = decide(desk)
    assert event.org_unit_id == "C1"
    desk.fact("member.transferred", D(2020, 6, 1), "member-M1", member_id="M1", from_org_unit_id="C1",
              to_org_unit_id="C2", kind="official")
    [event] = decide(desk, case_id="K2")
    assert event.org_unit_id == "C2"


@pytest.mark.parametrize("form", ["dismissal", "expulsion"])
def test_a_probationary_member_transferred_in_is_still_probationary(desk, form):
    """A member transferred in from another province while still probationary keeps that status
    until recognised official: only reprimand or warning (Điều lệ Đảng, Điều 36)."""
    desk.fact("member.transferred_in", D(2020, 9, 1), "member-M4", member_id="M4", org_unit_id="C1",
              full_name="Trần Thị Bình", birth_date="1990-01-01", sex="female", origin="Tỉnh ủy Bình Dương",
              status="probationary", admitted_on="2020-03-01")
    with pytest.raises(DomainError) as refused:
        decide(desk, subject_id="M4", form=form, post="Phó Bí thư", violation_on=D(2020, 10, 1))
    err = refused.value
    assert err.code == "form_not_allowed" and err.field == "form"
    assert "đảng viên dự bị" in err.message_vi and "a probationary member" in err.message_en
    [event] = decide(desk, case_id="K2", subject_id="M4", form="warning", violation_on=D(2020, 10, 1))
    assert event.data["form"] == "warning" and event.org_unit_id == "C1"
    # recognised official on 01/03/2021: from then on every member form is open
    desk.fact("member.recognized_official", D(2021, 3, 1), "member-M4", member_id="M4")
    [event] = decide(desk, case_id="K3", subject_id="M4", form="expulsion", violation_on=D(2021, 4, 1),
                     on=D(2021, 5, 1))
    assert event.data["form"] == "expulsion"
