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
