"""Rule ``exit_before_latest_fact``: an exit (removal, resignation, expulsion, death, transfer out of
the province) is not dated before the latest dated fact already on the member's record — a
working-away start, a transfer, a feedback of the residence cell... A death dated before a later
transfer left the member transferred after dying, counted on the rolls in the reports of days
they were gone. Refused in Vietnamese and English, naming ``occurred_on`` and the later fact's
date (dd/mm/yyyy), writing nothing; the day of that fact and after are accepted. Imports go through
the same use cases.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from services.members import application as app
from services.members import domain, lifecycle
from services.members import rules as R
from shared.application import Context
from shared.contracts import members as c
from shared.importing import parse_jsonl, run_import

from tests.unit.domain.given import fact, refused
from tests.unit.members.test_qa_d3_pending_steps import ADMITTED, OFFICIAL

D = dt.date
DAY = dt.timedelta(days=1)
LATEST = D(2024, 3, 11)

#: the latest fact on the record, dated LATEST
LATER = {
    "working away": fact("member.working_away_started", LATEST, "C1", member_id="M1", place="Bình Dương"),
    "official transfer": fact("member.transferred", LATEST, "C2", member_id="M1", from_org_unit_id="C1",
                              to_org_unit_id="C2", kind="official"),
    "temporary transfer": fact("member.transferred", LATEST, "C2", member_id="M1", from_org_unit_id="C1",
                               to_org_unit_id="C2", kind="temporary", until="2024-09-30"),
    "task": fact("member.task_assigned", LATEST, "C1", member_id="M1", task="Phụ trách hộ gia đình"),
}

def _line(type_, on, **data):
    return {"type": type_, "occurred_on": on.isoformat(), "data": {"member_id": "M9", **data}}


#: each exit on a day
EXITS = {
    "removal": (lambda on: lifecycle.remove, lambda on: c.RemoveMember(member_id="M1", ground="no_progress",
                                                                        occurred_on=on)),
    "death": (lambda on: lifecycle.record_death, lambda on: c.RecordDeath(member_id="M1", occurred_on=on)),
    "resignation": (lambda on: (lambda m, cmd: lifecycle.resign(m, [], cmd)),
                    lambda on: c.ResignMember(member_id="M1", occurred_on=on)),
    "expulsion": (lambda on: lifecycle.expel, lambda on: c.ExpelMember(member_id="M1", case_id="K1", occurred_on=on)),
    "transfer out": (lambda on: lifecycle.transfer_out,
                     lambda on: c.TransferOut(member_id="M1", destination="Tỉnh Đồng Nai", occurred_on=on)),
}


@pytest.mark.parametrize("later", LATER)
@pytest.mark.parametrize("exit_", EXITS)
@pytest.mark.parametrize("day, allowed", [(LATEST - DAY, False), (LATEST, True), (LATEST + DAY, True)])
def test_an_exit_is_not_dated_before_the_latest_fact_on_the_record(later, exit_, day, allowed):
    member = domain.fold_member([ADMITTED, OFFICIAL, LATER[later]])
    decide, command = EXITS[exit_][0](day), EXITS[exit_][1](day)
    if allowed:
        [decided] = decide(member, command)
        assert decided.occurred_on == day
        return
    err = refused(lambda: decide(member, command), R.EXIT_BEFORE_LATEST_FACT)
    assert err.field == "occurred_on"
    assert "10/03/2024" in err.message_vi and "11/03/2024" in err.message_vi
    assert "10/03/2024" in err.message_en and "11/03/2024" in err.message_en
    assert "occurred_on" in err.message_vi and "occurred_on" in err.message_en
    assert err.details["latest_fact"] == LATER[later].type


def test_the_latest_fact_counts_by_its_date_not_by_when_it_was_recorded():
    """A transfer recorded after a later-dated start of working away: the start is still the latest."""
    member = domain.fold_member([ADMITTED, OFFICIAL, LATER["working away"],
                                 fact("member.transferred", D(2023, 5, 2), "C2", member_id="M1",
                                      from_org_unit_id="C1", to_org_unit_id="C2", kind="official")])
    refused(lambda: lifecycle.record_death(member, c.RecordDeath(member_id="M1", occurred_on=LATEST - DAY)),
            R.EXIT_BEFORE_LATEST_FACT)


@pytest.mark.parametrize("later", [
    [_line("member.working_away_started", LATEST, place="Bình Dương")],
    [_line("member.recognized_official", D(2021, 2, 3)), _line("member.rated", LATEST, year=2023, rating="good",
                                                                 points=80)]], ids=["working away", "a rating"])
@pytest.mark.parametrize("day, allowed", [(LATEST - DAY, False), (LATEST, True), (LATEST + DAY, True)])
def test_an_imported_death_before_the_latest_fact_is_refused(mb, later, day, allowed):
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in (
        _line("member.admitted", D(2020, 2, 3), org_unit_id="G1C1", full_name="Trần Thị Lan",
              birth_date="1990-02-02", sex="female"), *later, _line("member.died", day)))
    lines, errors = parse_jsonl(text)
    assert errors == []
    result = run_import(mb.store, app.importers(mb.deps), lines, Context(today=D(2025, 1, 1)))
    assert result["ok"] is allowed, result["errors"]
    if not allowed:
        [error] = result["errors"]
        assert (error["line"], error["code"], error["field"]) == (2 + len(later), "exit_before_latest_fact",
                                                                  "occurred_on")
        assert mb.types("member-M9") == []


RATED = D(2024, 1, 10)


@pytest.mark.parametrize("exit_", ["remove_member", "record_death", "resign_member", "transfer_out"])
@pytest.mark.parametrize("day, allowed", [(RATED - DAY, False), (RATED, True), (RATED + DAY, True)])
def test_an_exit_is_not_dated_before_the_members_latest_rating(mb, exit_, day, allowed):
    """Ratings live in the grassroots organisation's stream of the year, not on the member's: the
    index gives the latest."""
    mb.admit("M1", on=D(2020, 2, 3))
    mb.run("recognize_official", member_id="M1", occurred_on=D(2021, 2, 3))
    mb.run("rate_member", member_id="M1", year=2023, rating="good", points=80, occurred_on=RATED)
    extra = {"remove_member": dict(ground="no_progress"), "transfer_out": dict(destination="Tỉnh Đồng Nai")}
    before = mb.types("member-M1")
    if allowed:
        assert len(mb.run(exit_, member_id="M1", occurred_on=day, **extra.get(exit_, {}))) == 1
        return
    err = refused(lambda: mb.run(exit_, member_id="M1", occurred_on=day, **extra.get(exit_, {})),
                  R.EXIT_BEFORE_LATEST_FACT)
    assert "09/01/2024" in err.message_vi and "10/01/2024" in err.message_en
    assert err.details["latest_fact"] == "member.rated"
    assert mb.types("member-M1") == before


def test_each_exit_of_an_import_sees_the_ratings_of_the_lines_before_it(mb):
    """The index reads an import's pending lines once as they grow: a rating after the first exit
    still counts for the second member."""
    def member(member_id, rated, died):
        return [dict(line, data={**line["data"], "member_id": member_id}) for line in (
            _line("member.admitted", D(2020, 2, 3), org_unit_id="G1C1", full_name="Trần Thị Lan",
                  birth_date="1990-02-02", sex="female"),
            _line("member.recognized_official", D(2021, 2, 3)),
            _line("member.rated", rated, year=2023, rating="good", points=80),
            _line("member.died", died))]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in (
        member("M8", D(2024, 1, 5), D(2024, 1, 5)) + member("M9", LATEST, LATEST - DAY)))
    lines, errors = parse_jsonl(text)
    result = run_import(mb.store, app.importers(mb.deps), lines, Context(today=D(2025, 1, 1)))
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(8, "exit_before_latest_fact")]
