"""Time limits of the members service at both sides of each edge: the day before, the day of and the
day after (DOMAIN.md §2–3, §8). Limits that issue 14 reworks (working days with public holidays,
the one-year cap of a temporary transfer, abandoned-activity months) are tested there."""
from __future__ import annotations

import datetime as dt

import pytest

from shared import rules as rule_table
from tests.unit.members.test_rules import error

D = dt.date


# --- re-admission: 36 months after leaving ---------------------------------------------------------

@pytest.mark.parametrize("left,earliest", [
    (D(2021, 1, 10), D(2024, 1, 10)),
    (D(2021, 2, 28), D(2024, 2, 28)),   # 29/02/2024 exists, but 36 months after 28/02 is 28/02
    (D(2020, 2, 29), D(2023, 2, 28)),   # no 29/02 in 2023: the month's last day
])
def test_readmission_is_refused_the_day_before_36_months_and_allowed_from_the_day(mb, left, earliest):
    mb.admit("M1", on=D(2015, 1, 15))
    mb.run("remove_member", occurred_on=left, member_id="M1", ground="no_progress")
    day_before = earliest - dt.timedelta(days=1)
    err = error(mb.admit, "M1", on=day_before)
    assert err.code == "readmission_too_soon" and err.field == "occurred_on"
    assert earliest.strftime("%d/%m/%Y") in err.message_vi and earliest.strftime("%d/%m/%Y") in err.message_en
    assert mb.types("member-M1") == ["member.admitted", "member.removed"]
    mb.admit("M1", on=earliest)
    assert mb.types("member-M1") == ["member.admitted", "member.removed", "member.admitted"]


def test_readmission_the_day_after_36_months_is_allowed(mb):
    mb.admit("M1", on=D(2015, 1, 15))
    mb.run("remove_member", occurred_on=D(2021, 1, 10), member_id="M1", ground="no_progress")
    mb.admit("M1", on=D(2024, 1, 11))
    assert mb.types("member-M1")[-1] == "member.admitted"


# --- the admission decision: within 60 (+30) working days of the cell resolution ------------------

def _resolved_candidate(mb, resolution_on):
    mb.admit("INTRO", on=D(2016, 1, 1))
    mb.run("recognize_official", occurred_on=D(2017, 1, 1), member_id="INTRO")
    mb.run("register_candidate", occurred_on=D(2020, 1, 2), candidate_id="K1", org_unit_id="G1C1",
           full_name="Trần Thị Lan", birth_date=D(1995, 1, 1), sex="female", introduced_by_member_id="INTRO",
           introducer_known_since=D(2018, 6, 1), education_level="upper_secondary")
    mb.run("complete_awareness_class", occurred_on=D(2020, 2, 1), candidate_id="K1")
    mb.run("verify_background", occurred_on=D(2020, 2, 20), candidate_id="K1")
    mb.run("pass_cell_resolution", occurred_on=resolution_on, candidate_id="K1")


@pytest.fixture
def short_deadlines():
    """The deadline rule with small numbers, added as dated rows the way a deployment overrides a
    parameter: 2 working days, extensible by 1. The week of 02/03/2020 has no public holiday, so the
    edges below are the same whether or not holidays are counted."""
    rows = [("admission_decision_working_days", D(2020, 3, 1), 2, "test"),
            ("admission_decision_extension_working_days", D(2020, 3, 1), 1, "test")]
    rule_table.RULE_TABLE.extend(rows)  # the table is read afresh when its length changes
    try:
        yield rows
    finally:
        for row in rows:
            rule_table.RULE_TABLE.remove(row)


@pytest.mark.parametrize("decided_on,allowed", [
    (D(2020, 3, 4), True),    # Wed: the 2nd working day (the ordinary limit)
    (D(2020, 3, 5), True),    # Thu: the 3rd, the last day of the extension
    (D(2020, 3, 6), False),   # Fri: one working day past the extension
])
def test_admission_decision_edges_of_the_extended_deadline(mb, short_deadlines, decided_on, allowed):
    _resolved_candidate(mb, D(2020, 3, 2))  # a Monday
    if allowed:
        [event] = mb.run("decide_admission", occurred_on=decided_on, candidate_id="K1", member_id="M9")
        assert event.type == "candidate.admission_decided"
    else:
        err = error(mb.run, "decide_admission", occurred_on=decided_on, candidate_id="K1", member_id="M9")
        assert err.code == "admission_decision_too_late" and err.field == "occurred_on"
        assert "05/03/2020" in err.message_vi and "05/03/2020" in err.message_en
        assert "02/03/2020" in err.message_vi


def test_the_extension_counts_working_days_not_calendar_days(mb, short_deadlines):
    _resolved_candidate(mb, D(2020, 3, 5))  # Thursday: Fri, (weekend), Mon, Tue = 3 working days
    [event] = mb.run("decide_admission", occurred_on=D(2020, 3, 10), candidate_id="K1", member_id="M9")
    assert event.type == "candidate.admission_decided"


def test_the_extension_counts_working_days_refused_a_day_later(mb, short_deadlines):
    _resolved_candidate(mb, D(2020, 3, 5))
    err = error(mb.run, "decide_admission", occurred_on=D(2020, 3, 11), candidate_id="K1", member_id="M9")
    assert err.code == "admission_decision_too_late" and "10/03/2020" in err.message_vi


# --- probation: 12 months from admission ----------------------------------------------------------

@pytest.mark.parametrize("decided_on,allowed", [
    (D(2021, 1, 14), False), (D(2021, 1, 15), True), (D(2021, 1, 16), True)])
def test_recognition_edges_of_the_12_months_probation(mb, decided_on, allowed):
    mb.admit("M1", on=D(2020, 1, 15))
    if allowed:
        [event] = mb.run("recognize_official", occurred_on=decided_on, member_id="M1")
        assert event.occurred_on == D(2021, 1, 15)
    else:
        err = error(mb.run, "recognize_official", occurred_on=decided_on, member_id="M1")
        assert err.code == "probation_not_over" and "15/01/2021" in err.message_vi
        assert mb.types("member-M1") == ["member.admitted"]


# --- exemption on other grounds: at most 12 months ------------------------------------------------

@pytest.mark.parametrize("until,allowed", [
    (D(2022, 12, 31), True), (D(2023, 1, 1), True), (D(2023, 1, 2), False)])
def test_exemption_edges_of_12_months(mb, until, allowed):
    mb.admit("M1")
    if allowed:
        [event] = mb.run("exempt_member", occurred_on=D(2022, 1, 1), member_id="M1", ground="mobile_work",
                         until=until)
        assert event.type == "member.exempted"
    else:
        err = error(mb.run, "exempt_member", occurred_on=D(2022, 1, 1), member_id="M1", ground="mobile_work",
                    until=until)
        assert err.code == "exemption_too_long" and "01/01/2023" in err.message_vi
        assert mb.types("member-M1") == ["member.admitted"]


# --- temporary transfer: at least 3 months --------------------------------------------------------

@pytest.mark.parametrize("until,allowed", [
    (D(2022, 3, 31), False), (D(2022, 4, 1), True), (D(2022, 4, 2), True)])
def test_temporary_transfer_edges_of_3_months(mb, until, allowed):
    mb.admit("M1")
    kwargs = dict(occurred_on=D(2022, 1, 1), member_id="M1", to_org_unit_id="G2C1", kind="temporary", until=until)
    if allowed:
        [event] = mb.run("transfer_member", **kwargs)
        assert event.type == "member.transferred"
    else:
        assert error(mb.run, "transfer_member", **kwargs).code == "temporary_transfer_length"
        assert mb.types("member-M1") == ["member.admitted"]


# --- age 18, counted in whole months (mutation survivors of calendar.months_between) -----------

def test_eighteen_is_reached_on_the_birthday_not_the_day_before(mb):
    err = error(mb.admit, "M1", on=D(2020, 5, 14), birth=D(2002, 5, 15))
    assert err.code == "too_young" and "17 tuổi 11 tháng" in err.message_vi and "17 years 11 months" in err.message_en
    assert mb.types("member-M1") == []
    mb.admit("M1", on=D(2020, 5, 15), birth=D(2002, 5, 15))
    mb.admit("M2", on=D(2020, 5, 16), birth=D(2002, 5, 15))
    assert mb.types("member-M1") == mb.types("member-M2") == ["member.admitted"]


# --- a decision date after today: refused, for any command that carries one ------------------------

@pytest.mark.parametrize("days,allowed", [(-1, True), (0, True), (1, False)])
def test_a_decision_dated_after_today_is_refused_by_every_entry(mb, days, allowed):
    """``application.run`` (the import's and the RPC's way in) refuses a ``decided_on`` after today,
    the day before and of today passing; commands without a ``decided_on`` are not asked for one."""
    from services.members import application as app
    from shared.application import Context
    from shared.contracts.members import COMMANDS
    today = dt.date.today()
    mb.admit("M1", on=D(2020, 1, 15))
    cmd = COMMANDS["recognize_official"].model.model_validate(
        {"occurred_on": D(2021, 2, 1), "member_id": "M1", "decided_on": today + dt.timedelta(days=days)})
    ctx = Context(command_id="recognise-M1", today=today)
    if allowed:
        [event] = app.run(app.recognize_official, mb.store, cmd, ctx, mb.deps)
        assert event.data["decided_on"] == (today + dt.timedelta(days=days)).isoformat()
    else:
        err = error(app.run, app.recognize_official, mb.store, cmd, ctx, mb.deps)
        assert err.code == "date_in_future" and err.field == "decided_on"
        assert mb.types("member-M1") == ["member.admitted"]
    no_decision = COMMANDS["create_org_unit"].model.model_validate(
        {"occurred_on": D(2020, 1, 1), "org_unit_id": "G1C9", "name": "Chi bộ 9", "kind": "cell", "parent_id": "G1"})
    assert "decided_on" not in type(no_decision).model_fields
    [created] = app.run(app.create_org_unit, mb.store, no_decision, Context(command_id="c9", today=today), mb.deps)
    assert created.type == "org_unit.created"
