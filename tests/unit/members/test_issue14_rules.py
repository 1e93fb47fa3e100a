"""Rules of issue 14, each at both sides of its edge (given events / when a command / then events or
a named error): temporary transfers shorter than a year, working days without public holidays,
no resignation with a standing violation."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.dates import add_working_days, is_working_day
from shared.errors import DomainError

D = dt.date


def error(fn, *a, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*a, **kw)
    assert exc.value.message_vi and exc.value.message_en
    return exc.value


# --- temporary transfer: 3 months to less than 1 year; study up to 2 years ---------------------------

def temporary(mb, until, purpose=None, member="M1"):
    extra = {"purpose": purpose} if purpose else {}
    return mb.run("transfer_member", occurred_on=D(2022, 3, 10), member_id=member, to_org_unit_id="G2C1",
                  kind="temporary", until=until, **extra)


def test_a_temporary_transfer_of_a_year_less_a_day_is_accepted(mb):
    mb.admit("M1")
    temporary(mb, D(2023, 3, 9))
    assert mb.types("member-M1")[-1] == "member.transferred"


def test_a_temporary_transfer_of_exactly_a_year_is_refused(mb):
    mb.admit("M1")
    err = error(temporary, mb, D(2023, 3, 10))
    assert err.code == "temporary_transfer_length" and err.field == "until" and "dưới 12 tháng" in err.message_vi
    assert error(temporary, mb, D(2023, 3, 11)).code == "temporary_transfer_length"
    assert mb.types("member-M1") == ["member.admitted"]  # nothing written


def test_a_temporary_transfer_for_study_may_last_two_years_but_not_a_day_more(mb):
    mb.admit("M1")
    mb.admit("M2")
    assert error(temporary, mb, D(2024, 3, 11), "study").code == "temporary_transfer_length"
    temporary(mb, D(2024, 3, 10), "study")
    temporary(mb, D(2022, 6, 10), member="M2")  # 3 months: the shortest
    assert mb.types("member-M1")[-1] == "member.transferred"


# --- working days skip public holidays ---------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (D(2025, 1, 24), True), (D(2025, 1, 27), False), (D(2025, 1, 31), False), (D(2025, 2, 3), True),  # Tết 2025
    (D(2025, 4, 7), False), (D(2025, 4, 8), True),  # Hùng Kings' day 10/3 lunar
    (D(2025, 4, 30), False), (D(2025, 5, 1), False), (D(2025, 5, 2), False),  # 2/5 moved ...
    (D(2025, 4, 26), True),  # ... and worked on Saturday 26/4
    (D(2025, 9, 1), False), (D(2025, 9, 2), False), (D(2025, 9, 3), True),  # National Day + the day beside
    (D(2023, 1, 2), False),  # 1/1/2023 was a Sunday: Monday off in lieu
    (D(2023, 5, 2), False), (D(2023, 5, 3), False), (D(2023, 5, 4), True),  # 29/4 Sat, 30/4 Sun → 2/5, 3/5
    (D(2026, 2, 16), False), (D(2026, 2, 20), False), (D(2026, 2, 23), True),  # Tết 2026
    (D(2025, 6, 14), False),  # an ordinary Saturday
])
def test_working_days_know_the_public_holidays(day, working):
    assert is_working_day(day) is working


def test_an_administrator_adds_next_years_holidays(tmp_path, monkeypatch):
    extra = tmp_path / "holidays.json"
    extra.write_text('{"days_off": ["2027-02-05"], "working_days": ["2027-02-20"], "source": "Thông báo 2027"}')
    assert is_working_day(D(2027, 2, 5)) and not is_working_day(D(2027, 2, 20))
    monkeypatch.setenv("DANGVIEN_HOLIDAYS", str(extra))
    assert not is_working_day(D(2027, 2, 5)) and is_working_day(D(2027, 2, 20))


def test_transfer_papers_are_due_30_working_days_later_counting_tet_out(mb):
    # 2/1/2025 + 30 working days: Tết 27–31/1/2025 moves the limit from 13/2 to 20/2
    assert add_working_days(D(2025, 1, 2), 30) == D(2025, 2, 20)
    mb.admit("M1", on=D(2020, 1, 15))
    mb.run("transfer_member", occurred_on=D(2025, 1, 2), member_id="M1", to_org_unit_id="G2C1")
    papers = lambda on: [i for i in mb.deps.index.overdue(on) if i["kind"] == "transfer_papers"]  # noqa: E731
    assert papers(D(2025, 2, 14)) == []  # the day after the weekday-only limit: not overdue
    assert papers(D(2025, 2, 20)) == []  # the last day
    assert [i["due_on"] for i in papers(D(2025, 2, 21))] == ["2025-02-20"]  # the day after


# --- no resignation with a standing violation --------------------------------------------------------

def inspection(mb, iid, on, kind="signs_of_violation", member="M1"):
    mb.discipline("inspection.opened", on, inspection_id=iid, kind=kind, body="Ủy ban Kiểm tra Huyện ủy",
                  subject_kind="member", subject_id=member)


def test_resignation_refused_during_an_inspection_on_signs_of_violation(mb):
    mb.admit("M1")
    inspection(mb, "KT1", D(2023, 5, 1))
    err = error(mb.run, "resign_member", occurred_on=D(2023, 6, 1), member_id="M1")
    assert err.code == "discipline_case_open"
    assert mb.types("member-M1") == ["member.admitted"]


def test_resignation_refused_after_an_inspection_concluded_with_a_violation_until_discipline(mb):
    mb.admit("M1")
    inspection(mb, "KT2", D(2023, 5, 1), kind="regular")
    mb.discipline("inspection.concluded", D(2023, 5, 20), inspection_id="KT2",
                  violations=[{"committed_on": "2023-01-10"}])
    assert error(mb.run, "resign_member", occurred_on=D(2023, 6, 1), member_id="M1").code == "discipline_case_open"
    mb.discipline("discipline.applied", D(2023, 7, 1), case_id="K2", subject_kind="member", subject_id="M1",
                  form="reprimand", violation_on="2023-01-10", inspection_id="KT2")
    mb.run("resign_member", occurred_on=D(2023, 8, 1), member_id="M1")
    assert mb.types("member-M1")[-1] == "member.resigned"


def test_resignation_allowed_when_the_inspection_found_no_violation(mb):
    mb.admit("M1")
    inspection(mb, "KT3", D(2023, 5, 1))
    mb.discipline("inspection.concluded", D(2023, 5, 20), inspection_id="KT3", violations=[])
    mb.run("resign_member", occurred_on=D(2023, 6, 1), member_id="M1")
    assert mb.types("member-M1")[-1] == "member.resigned"


# --- candidates: an introducer who has known them ≥ 12 months; lower-secondary education -----------

def register(mb, known_since, candidate="K1", education="lower_secondary"):
    mb.run("register_candidate", occurred_on=D(2020, 1, 2), candidate_id=candidate, org_unit_id="G1C1",
           full_name="Trần Thị Lan", birth_date=D(1995, 1, 1), sex="female", introduced_by_member_id="INTRO",
           introducer_known_since=known_since, **({"education_level": education} if education else {}))


@pytest.fixture
def introducer(mb):
    mb.admit("INTRO", on=D(2016, 1, 1))
    mb.run("recognize_official", occurred_on=D(2017, 1, 1), member_id="INTRO")
    return mb


def test_an_introducer_who_has_known_the_candidate_exactly_12_months_is_accepted(introducer):
    register(introducer, D(2019, 1, 2))
    assert introducer.types("candidate-K1") == ["candidate.registered"]


def test_an_introducer_who_has_known_the_candidate_12_months_less_a_day_is_refused(introducer):
    err = error(register, introducer, D(2019, 1, 3))
    assert err.code == "introducer_known_too_short" and err.field == "introducer_known_since"
    assert "12 tháng" in err.message_vi and "03/01/2020" in err.message_vi  # the earliest day it would be allowed
    assert error(register, introducer, None).code == "introducer_known_since_required"
    assert introducer.types("candidate-K1") == []  # nothing written


def resolve(mb, candidate="K1", **extra):
    mb.run("complete_awareness_class", occurred_on=D(2020, 2, 1), candidate_id=candidate)
    mb.run("verify_background", occurred_on=D(2020, 2, 20), candidate_id=candidate)
    mb.run("pass_cell_resolution", occurred_on=D(2020, 3, 2), candidate_id=candidate, **extra)


def test_lower_secondary_education_is_enough_for_the_cell_resolution(introducer):
    register(introducer, D(2018, 1, 1), "K1", "lower_secondary")
    resolve(introducer, "K1")
    register(introducer, D(2018, 1, 1), "K2", "primary")
    resolve(introducer, "K2", education_level="lower_secondary")  # finished THCS since registering
    assert introducer.types("candidate-K2")[-1] == "candidate.cell_resolution_passed"


def test_primary_education_or_none_recorded_is_refused_at_the_cell_resolution(introducer):
    register(introducer, D(2018, 1, 1), "K1", "primary")
    err = error(resolve, introducer, "K1")
    assert err.code == "education_too_low" and err.field == "education_level"
    assert "trung học cơ sở" in err.message_vi and "Tốt nghiệp tiểu học" in err.message_vi
    register(introducer, D(2018, 1, 1), "K2", None)
    assert error(resolve, introducer, "K2").code == "education_too_low"
    assert introducer.types("candidate-K1")[-1] == "candidate.background_verified"  # no resolution written
