"""Refused inputs answer clearly and write nothing; retries write once; an import file is judged by
the same rules as live commands, members lines of the same file included, all or nothing."""
import json

import pytest

from shared.application import Context
from shared.contracts.discipline import AppealDiscipline, ApplyDiscipline
from shared.errors import DomainError
from shared.importing import parse_jsonl, run_import
from services.discipline import application as app
from services.discipline.projections import OverlayRoster

from tests.unit.discipline.conftest import D, TODAY, decide


@pytest.mark.parametrize("fields,code", [
    ({"form": "dissolution"}, "form_not_allowed"),
    ({"violation_on": D(2010, 1, 1)}, "time_barred"),
    ({"subject_id": "GHOST"}, "member_not_found"),
    ({"announced_on": D(2021, 2, 1)}, "announced_before_decision"),
    ({"on": D(2025, 1, 1)}, "date_in_future"),
    ({"inspection_id": "NO-SUCH"}, "inspection_not_found"),
])
def test_a_refused_decision_names_its_field_in_both_languages_and_writes_nothing(desk, fields, code):
    with pytest.raises(DomainError) as refused:
        decide(desk, **fields)
    err = refused.value.to_dict()
    assert err["code"] == code and err["field"] and err["message_vi"] and err["message_en"]
    assert desk.store.head_position() == 0


def test_a_second_decision_for_the_same_case_is_a_conflict(desk):
    decide(desk)
    with pytest.raises(DomainError) as refused:
        decide(desk, form="warning")
    assert refused.value.code == "case_exists" and refused.value.status == 409
    assert desk.store.head_position() == 1


def test_a_retried_command_writes_once(desk):
    first = desk.run(app.apply_discipline, ApplyDiscipline, command_id="req-1", case_id="K1", subject_kind="member",
                     subject_id="M1", form="warning", violation_on=D(2020, 1, 1), occurred_on=D(2021, 1, 1))
    again = desk.run(app.apply_discipline, ApplyDiscipline, command_id="req-1", case_id="K1", subject_kind="member",
                     subject_id="M1", form="warning", violation_on=D(2020, 1, 1), occurred_on=D(2021, 1, 1))
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert desk.store.head_position() == 1


def test_an_appeal_of_an_unknown_case_is_not_found(desk):
    with pytest.raises(DomainError) as refused:
        desk.run(app.appeal_discipline, AppealDiscipline, case_id="K404", occurred_on=D(2021, 1, 1))
    assert refused.value.code == "case_not_found" and refused.value.status == 404


def _file(*lines):
    return "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines)


ADMIT = {"type": "member.admitted", "occurred_on": "2015-01-10",
         "data": {"member_id": "M9", "org_unit_id": "C1", "full_name": "Trần Thị Lan", "birth_date": "1990-02-02",
                  "sex": "female"}}
OFFICIAL = {"type": "member.recognized_official", "occurred_on": "2016-01-10", "data": {"member_id": "M9"}}
EXPEL = {"type": "discipline.applied", "occurred_on": "2020-05-01",
         "data": {"case_id": "K9", "subject_kind": "member", "subject_id": "M9", "form": "expulsion",
                  "violation_on": "2019-12-01"}}


def _import(desk, text, commit=True):
    lines, errors = parse_jsonl(text)
    assert errors == []
    roster = OverlayRoster(desk.db)
    return run_import(desk.store, app.importers(roster), lines, Context(today=TODAY), commit=commit,
                      observe=roster.observe)


def test_an_import_sees_the_members_lines_of_the_same_file(desk):
    result = _import(desk, _file(ADMIT, OFFICIAL, EXPEL))
    assert result["ok"] and result["written"] == 1
    [event] = desk.store.read_stream("case-K9")
    assert event.org_unit_id == "C1" and event.data["form"] == "expulsion"
    assert _import(desk, _file(ADMIT, OFFICIAL, EXPEL))["written"] == 0  # the same file again: nothing new


def test_a_file_with_one_bad_line_is_refused_whole_with_its_line_number(desk):
    late_appeal = {"type": "discipline.appealed", "occurred_on": "2020-07-01",
                   "data": {"case_id": "K9", "received_on": "2020-05-01"}}
    result = _import(desk, _file(ADMIT, EXPEL, late_appeal))
    # without the recognition line M9 is probationary: expulsion is not allowed (line 2)
    assert not result["ok"]
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(2, "form_not_allowed"), (3, "case_not_found")]
    assert desk.store.head_position() == 0
    result = _import(desk, _file(ADMIT, OFFICIAL, EXPEL, late_appeal))
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(4, "appeal_late")]
    assert desk.store.head_position() == 0
