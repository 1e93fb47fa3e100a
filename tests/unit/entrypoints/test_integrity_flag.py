"""Every answer a user reads records from — member lists, meeting registers, discipline cases, the
reports, the event log — carries the integrity flag while a store this process watches fails
verification (one mechanism, ``shared.integrity_watch.flag``); the gateway turns it into the
``X-Dangvien-Integrity`` header and the exports' warning line. Only the reports had it before: a
member list exported from a tampered store said nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from documents import tables as exports
from services.discipline.service import DisciplineService
from services.gateway.http import rpc_answer
from services.meetings.service import MeetingsService
from services.members.service import MembersService
from shared import integrity_watch
from shared.events import NewEvent
from shared.personal import Vault
from shared.readmodel import ReadModelDB

from tests.support.workers import Stores, projecting_worker

CTX = {"actor": "tester", "today": "2024-06-30"}


@pytest.fixture
def stores(tmp_path):
    stores = Stores(tmp_path)
    members = stores["members"]
    members.append("org_unit-C1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": None})])
    members.append("member-M1", [NewEvent(type="member.admitted", occurred_on=dt.date(2010, 1, 1), data={
        "member_id": "M1", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1980-01-01",
        "sex": "male", "demobilised": "none"})])
    yield stores
    for store in stores.values():
        store.close()


@pytest.fixture
def workers(tmp_path, stores):
    members = projecting_worker(MembersService, tmp_path, stores,
                                vault=Vault(ReadModelDB(f"sqlite:///{tmp_path}/members.keys.db")))
    meetings = projecting_worker(MeetingsService, tmp_path, stores)
    discipline = projecting_worker(DisciplineService, tmp_path, stores)
    for worker in (members, meetings, discipline):
        worker.catch_up({}, CTX)
    assert discipline.apply_discipline({"case_id": "V1", "subject_kind": "member", "subject_id": "M1",
                                        "form": "reprimand", "violation_on": "2024-01-05",
                                        "occurred_on": "2024-05-10"}, CTX)["ok"]
    return {"members": members, "meetings": meetings, "discipline": discipline}


@pytest.fixture
def members_failing():
    integrity_watch._set("members", state="failed")
    yield
    integrity_watch.STATE.pop("members", None)


#: what a user reads: (service, query, params)
READS = [("members", "unit_members", {"org_unit_id": "C1"}),
         ("members", "get_member", {"member_id": "M1"}),
         ("members", "search_members", {"q": "Nguyễn"}),
         ("meetings", "roster", {"org_unit_id": "C1", "on": "2024-06-01"}),
         ("discipline", "subject_cases", {"subject_id": "M1"}),
         ("discipline", "case", {"case_id": "V1"}),
         ("discipline", "read_log", {"after": 0})]


def test_member_lists_meeting_registers_and_cases_carry_the_flag_of_a_failing_store(workers, members_failing):
    for service, name, params in READS:
        answer = getattr(workers[service], name)(params, CTX)
        assert answer["ok"], (name, answer)
        flag = answer.get("integrity")
        assert flag and flag["intact"] is False and flag["failing_sources"] == ["members"], name
        assert "CẢNH BÁO" in flag["message_vi"] and "WARNING" in flag["message_en"], name
        response = rpc_answer(answer)
        assert response.headers["X-Dangvien-Integrity"] == "failed; stores=members", name


def test_a_member_list_exported_from_a_failing_store_starts_with_the_warning(workers, members_failing):
    answer = workers["members"].unit_members({"org_unit_id": "C1"}, CTX)
    csv = exports.render(answer["result"], "csv", "unit_members", integrity=answer.get("integrity"))
    first = csv.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("CẢNH BÁO: kho sự kiện members") and "WARNING: event store members" in first


def test_nothing_is_flagged_while_every_store_is_intact_and_a_refusal_is_no_figure(workers, members_failing):
    missing = workers["discipline"].case({"case_id": "V9"}, CTX)
    assert not missing["ok"] and "integrity" not in missing
    integrity_watch.STATE.pop("members")
    for service, name, params in READS:
        assert "integrity" not in getattr(workers[service], name)(params, CTX), name
