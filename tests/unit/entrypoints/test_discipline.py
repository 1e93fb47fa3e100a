"""The discipline service's entrypoints through nameko's ``worker_factory``: the members service's
facts sit in its store (as it writes them), the service's roster projection reads them, and
commands and queries answer as the gateway receives them."""
from __future__ import annotations

import datetime as dt

import pytest

from services.discipline.service import DisciplineService
from shared.events import NewEvent

from tests.support.workers import Stores, projecting_worker

CTX = {"actor": "tester", "today": "2024-06-30"}


@pytest.fixture
def discipline(tmp_path):
    stores = Stores(tmp_path)
    members = stores["members"]
    members.append("org_unit-C1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": None})])
    members.append("member-M1", [NewEvent(type="member.admitted", occurred_on=dt.date(2010, 1, 1), data={
        "member_id": "M1", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1980-01-01",
        "sex": "male", "demobilised": "none"})])
    worker = projecting_worker(DisciplineService, tmp_path, stores)
    worker.catch_up({}, CTX)
    yield worker
    for store in stores.values():
        store.close()


APPLY = {"case_id": "V1", "subject_kind": "member", "subject_id": "M1", "form": "reprimand",
         "violation_on": "2024-01-05", "occurred_on": "2024-05-10"}


def test_a_decision_is_written_then_read_back_by_case_and_subject(discipline):
    answer = discipline.apply_discipline(APPLY, CTX)
    assert [e["type"] for e in answer["events"]] == ["discipline.applied"]
    case = discipline.case({"case_id": "V1"}, CTX)["result"]
    assert (case["case_id"], case["form"]) == ("V1", "reprimand")
    assert [c["case_id"] for c in discipline.subject_cases({"subject_id": "M1"}, CTX)["result"]] == ["V1"]
    # where the case is placed: its subject, and the unit it is filed under (counts in) on the day decided
    assert discipline.locate({"kind": "case", "id": "V1"}, CTX)["result"] == {"subject_kind": "member",
                                                                              "subject_id": "M1", "org_unit_id": "C1",
                                                                              "on": "2024-05-10"}


def test_refusals_and_unknown_cases_answer_as_data(discipline):
    # a probationary member (admitted, not yet recognised) cannot be expelled
    answer = discipline.apply_discipline({**APPLY, "form": "expulsion"}, CTX)
    assert (answer["ok"], answer["error"]["code"], answer["error"]["field"]) == (False, "form_not_allowed", "form")
    late = discipline.apply_discipline({**APPLY, "occurred_on": "2024-07-01"}, CTX)  # the day after "today"
    assert late["error"]["code"] == "date_in_future"
    missing = discipline.case({"case_id": "V9"}, CTX)
    assert missing == {"ok": False, "error": {"code": "case_not_found", "message_vi": "Không tìm thấy vụ kỷ luật «V9»",
                                              "message_en": "Discipline case 'V9' not found", "field": "case_id",
                                              "status": 404}}
    assert discipline.head_position({}, CTX)["result"] == 0
