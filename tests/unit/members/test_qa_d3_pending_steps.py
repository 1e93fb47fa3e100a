"""D3 as an independent tester from the provincial organisation commission reads it: a step that is
pending (papers due after a transfer — a demobilised soldier's coming home included —, a temporary
transfer, an exemption, working away, abroad, the residence cell's liaison under QĐ 213) and the
step that ends or answers it.

An end dated before the start it ends is refused, naming ``occurred_on`` in Vietnamese and
English: accepted, it left the reports judging the start as still standing (they go by dates)
while the record said it was over, and nothing could end it any more. The day before the start is
refused, the day of it and the day after are accepted.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import domain, lifecycle
from services.members import rules as R
from shared.contracts import members as c

from tests.unit.domain.given import fact, refused

D = dt.date
DAY = dt.timedelta(days=1)
START = D(2024, 3, 11)
ADMITTED = fact("member.admitted", D(2020, 2, 3), "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                sex="male")
OFFICIAL = fact("member.recognized_official", D(2021, 2, 3), "C1", member_id="M1")


def member(*facts) -> domain.Member:
    return domain.fold_member([ADMITTED, OFFICIAL, *facts])


def unit(org_unit_id: str, kind: str = "cell") -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Chi bộ {org_unit_id}", kind=kind, parent_id="G1")])


DEMOBILISED_HOME = domain.fold_member([fact(
    "member.transferred_in", START, "C1", member_id="M1", org_unit_id="C1", birth_date="2000-05-01", sex="male",
    demobilised="army", origin="Đảng bộ Quân khu 7", status="probationary", admitted_on="2023-09-02")])

#: (the member with the step pending since START, the command that ends it on a day)
STEPS = {
    "papers after an official transfer": (
        member(fact("member.transferred", START, "C2", member_id="M1", from_org_unit_id="C1", to_org_unit_id="C2",
                    kind="official")),
        lambda on: c.PresentTransferPapers(member_id="M1", occurred_on=on),
        lifecycle.present_papers),
    "papers of a demobilised soldier coming home": (
        DEMOBILISED_HOME, lambda on: c.PresentTransferPapers(member_id="M1", occurred_on=on), lifecycle.present_papers),
    "temporary transfer": (
        member(fact("member.transferred", START, "C2", member_id="M1", from_org_unit_id="C1", to_org_unit_id="C2",
                    kind="temporary", until="2024-09-30")),
        lambda on: c.EndTemporaryTransfer(member_id="M1", occurred_on=on), lifecycle.end_temporary_transfer),
    "working away": (
        member(fact("member.working_away_started", START, "C1", member_id="M1", place="Bình Dương")),
        lambda on: c.EndWorkingAway(member_id="M1", occurred_on=on), lifecycle.end_working_away),
    "abroad": (
        member(fact("member.abroad_started", START, "C1", member_id="M1", country="Hàn Quốc")),
        lambda on: c.EndAbroad(member_id="M1", occurred_on=on), lifecycle.end_abroad),
    "exemption": (
        member(fact("member.exempted", START, "C1", member_id="M1", ground="mobile_work", until="2024-12-31")),
        lambda on: c.EndExemption(member_id="M1", occurred_on=on), lifecycle.end_exemption),
}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("day, allowed", [(START - DAY, False), (START, True), (START + DAY, True)])
def test_a_pending_step_is_not_ended_before_it_began(step, day, allowed):
    pending, command, end = STEPS[step]
    if allowed:
        [decided] = end(pending, command(day))
        assert decided.occurred_on == day
        return
    # the soldier was not on the rolls here before coming home: that refusal comes first
    rule = R.BEFORE_JOINING if pending is DEMOBILISED_HOME else R.ENDED_BEFORE_START
    err = refused(lambda: end(pending, command(day)), rule)
    assert err.field == "occurred_on"
    assert "10/03/2024" in err.message_vi and "11/03/2024" in err.message_vi
    assert "10/03/2024" in err.message_en and "11/03/2024" in err.message_en


def test_the_refused_end_can_be_sent_again_with_the_right_day():
    """The clerk who typed 01/03 for 15/03 is told so and can still present the papers (before the
    fix the papers were taken as presented on 01/03, the warning stayed, and a second presentation
    was silently ignored)."""
    pending, command, end = STEPS["papers after an official transfer"]
    refused(lambda: end(pending, command(D(2024, 3, 1))), R.ENDED_BEFORE_START)
    [decided] = end(pending, command(D(2024, 3, 15)))
    assert decided.payload.org_unit_id == "C2"


def test_papers_pending_when_the_cell_merges_follow_the_member_to_the_successor():
    """A member transferred into C2 whose cell merges into C3 before the papers are presented still
    owes them (the reports keep them overdue until presented): they are presented at C3, from the
    transfer's day on — not ignored as if nothing were due."""
    m = member(fact("member.transferred", START, "C2", member_id="M1", from_org_unit_id="C1", to_org_unit_id="C2",
                    kind="official"),
               fact("member.transferred", START + 5 * DAY, "C3", member_id="M1", from_org_unit_id="C2",
                    to_org_unit_id="C3", kind="official", purpose="merge"))
    [decided] = lifecycle.present_papers(m, c.PresentTransferPapers(member_id="M1", occurred_on=START + 10 * DAY))
    assert (decided.payload.org_unit_id, decided.occurred_on) == ("C3", START + 10 * DAY)
    refused(lambda: lifecycle.present_papers(m, c.PresentTransferPapers(member_id="M1", occurred_on=START - DAY)),
            R.ENDED_BEFORE_START)
    # a merge with nothing pending asks for no papers
    merged_only = member(fact("member.transferred", START, "C3", member_id="M1", from_org_unit_id="C1",
                              to_org_unit_id="C3", kind="official", purpose="merge"))
    assert lifecycle.present_papers(merged_only, c.PresentTransferPapers(member_id="M1", occurred_on=START)) == []


# --- residence liaison (QĐ 213) ----------------------------------------------------------------------------

INTRODUCED = D(2023, 5, 10)
LIAISON = fact("member.liaison_introduced", INTRODUCED, "C1", member_id="M1", residence_org_unit_id="R1")


def feedback(m, year, on=D(2025, 1, 15)):
    return lifecycle.record_liaison_feedback(m, c.RecordLiaisonFeedback(member_id="M1", year=year, feedback="Tốt",
                                                                        occurred_on=on))


def test_residence_feedback_needs_an_introduction_to_a_residence_cell():
    err = refused(lambda: feedback(member(), 2024), R.LIAISON_NOT_INTRODUCED)
    assert err.field == "member_id" and "nơi cư trú" in err.message_vi and "residence" in err.message_en
    [decided] = feedback(member(LIAISON), 2024)
    assert (decided.payload.year, decided.occurred_on) == (2024, D(2025, 1, 15))


FEEDBACK_YEAR, BEFORE = (R.LIAISON_FEEDBACK_YEAR, "year"), (R.ENDED_BEFORE_START, "occurred_on")


@pytest.mark.parametrize("year, on, refusal", [
    (2022, D(2025, 1, 15), FEEDBACK_YEAR),  # a year before the residence cell had the member
    (2023, D(2025, 1, 15), None),           # the year of the introduction
    (2025, D(2025, 1, 15), None),           # the year it is recorded
    (2026, D(2025, 12, 31), FEEDBACK_YEAR),  # a year not yet begun
    (2023, INTRODUCED - DAY, BEFORE),       # the day before the introduction
    (2023, INTRODUCED, None),               # the day of it
    (2023, INTRODUCED + DAY, None),         # the day after
])
def test_residence_feedback_is_for_a_year_the_residence_knew_the_member(year, on, refusal):
    m = member(LIAISON)
    if refusal is None:
        assert len(feedback(m, year, on)) == 1
        return
    rule, field = refusal
    err = refused(lambda: feedback(m, year, on), rule)
    assert err.field == field and str(year if rule is R.LIAISON_FEEDBACK_YEAR else "10/05/2023") in err.message_vi


def test_introducing_to_the_members_own_cell_is_refused_and_a_repeat_writes_nothing():
    err = refused(lambda: lifecycle.introduce_liaison(member(), unit("C1"), c.IntroduceLiaison(
        member_id="M1", residence_org_unit_id="C1", occurred_on=START)), R.LIAISON_OWN_UNIT)
    assert err.field == "residence_org_unit_id" and "C1" in err.message_vi
    again = c.IntroduceLiaison(member_id="M1", residence_org_unit_id="R1", occurred_on=START)
    assert lifecycle.introduce_liaison(member(LIAISON), unit("R1"), again) == []
    # moved to another residence: a new introduction
    [decided] = lifecycle.introduce_liaison(member(LIAISON), unit("R2"), c.IntroduceLiaison(
        member_id="M1", residence_org_unit_id="R2", occurred_on=START))
    assert decided.payload.residence_org_unit_id == "R2"


def test_a_member_who_died_gets_no_residence_feedback():
    m = member(LIAISON, fact("member.died", D(2024, 6, 1), "C1", member_id="M1"))
    refused(lambda: feedback(m, 2024), R.MEMBER_NOT_ACTIVE)


@pytest.mark.parametrize("kind, allowed", [("province", False), ("direct", False), ("grassroots_committee", True),
                                           ("grassroots_cell", True), ("branch", True), ("cell", True)])
def test_the_residence_is_a_grassroots_organisation_or_a_cell_under_it(kind, allowed):
    introduce = lambda: lifecycle.introduce_liaison(member(), unit("R9", kind), c.IntroduceLiaison(  # noqa: E731
        member_id="M1", residence_org_unit_id="R9", occurred_on=START))
    if allowed:
        assert len(introduce()) == 1
        return
    err = refused(introduce, R.LIAISON_NOT_GRASSROOTS)
    assert err.field == "residence_org_unit_id" and "Chi bộ R9" in err.message_vi and kind in err.message_en
