"""The reporting service's entrypoints through nameko's ``worker_factory``: its read model
generations follow the other services' stores; reports and a target answer as the gateway reads."""
from __future__ import annotations

import datetime as dt

import pytest
from nameko.testing.services import worker_factory

from services.reporting.dependencies import ReadModels
from services.reporting.generations import SOURCE_ORDER
from services.reporting.service import ReportingService
from shared.config import Settings
from shared.events import NewEvent
from shared.integrity import SealBook
from shared.readmodel import ReadModelDB

from tests.support.workers import Stores

CTX = {"actor": "tester"}


@pytest.fixture
def reporting(tmp_path):
    stores = Stores(tmp_path)
    members = stores["members"]
    for unit, parent, kind in (("P", None, "province"), ("G1", "P", "grassroots_committee"), ("C1", "G1", "cell")):
        members.append(f"org_unit-{unit}", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
            "org_unit_id": unit, "name": f"Đơn vị {unit}", "kind": kind, "parent_id": parent})])
    members.append("member-M1", [NewEvent(type="member.admitted", occurred_on=dt.date(2010, 1, 1), data={
        "member_id": "M1", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1980-01-01",
        "sex": "male", "demobilised": "none"})])
    models = ReadModels().wire(ReadModelDB(f"sqlite:///{tmp_path}/reporting.read.db"),
                               {s: stores[s] for s in SOURCE_ORDER}, SealBook(tmp_path / "seals"),
                               Settings().partition)
    worker = worker_factory(ReportingService, store=stores["reporting"], projections=models)
    worker.catch_up({}, CTX)
    yield worker
    for store in stores.values():
        store.close()


def test_the_headcount_counts_the_member_up_the_tree(reporting):
    rows = reporting.headcount({"org_unit_id": "P"}, CTX)["result"]
    assert {r["org_unit_id"]: r["total"] for r in rows} == {"P": 1, "G1": 1, "C1": 1}
    positions = reporting.positions({}, CTX)["result"]
    assert positions["members"] == 4


def test_a_report_of_an_unknown_unit_is_a_named_404(reporting):
    error = reporting.headcount({"org_unit_id": "X9"}, CTX)["error"]
    assert (error["code"], error["status"]) == ("org_unit_not_found", 404)


@pytest.fixture
def members_failing():
    from shared import integrity_watch
    integrity_watch._set("members", state="failed")
    yield
    integrity_watch.STATE.pop("members", None)


def test_every_answer_drawn_while_a_store_fails_carries_the_flag_lists_too(reporting, members_failing):
    """The headcount tree in list form answered with no word of a failing store (only reports, which
    are dicts, were flagged): now the flag rides in every reporting answer's envelope, and inside a
    report's own JSON, whatever its shape."""
    tree = reporting.headcount({"org_unit_id": "P"}, CTX)
    assert isinstance(tree["result"], list) and tree["integrity"]["failing_sources"] == ["members"]
    page = reporting.headcount({"org_unit_id": "P", "page": 1, "page_size": 2}, CTX)
    assert page["integrity"] == page["result"]["integrity"] and page["result"]["total"] == 3
    for name, params in (("headcount_report", {"org_unit_id": "P", "as_of": "2020-01-01"}),
                         ("movement", {"org_unit_id": "P", "year": 2019}), ("audit_trail", {"member_id": "M1"})):
        answer = getattr(reporting, name)(params, CTX)
        assert answer["ok"], answer
        assert answer["integrity"]["intact"] is False and answer["result"]["integrity"] == answer["integrity"], name
    error = reporting.headcount({"org_unit_id": "X9"}, CTX)
    assert not error["ok"] and "integrity" not in error  # a refusal is no figure


def test_the_gateway_says_it_in_a_header_where_a_list_cannot_hold_it():
    from services.gateway.http import rpc_answer
    flag = {"intact": False, "failing_sources": ["members"], "unverified_sources": ["discipline"],
            "message_vi": "CẢNH BÁO", "message_en": "WARNING"}
    response = rpc_answer({"ok": True, "result": [{"org_unit_id": "P"}], "integrity": flag})
    assert response.headers["X-Dangvien-Integrity"] == "failed; stores=members"
    assert response.get_json() == [{"org_unit_id": "P"}]
    flag = {**flag, "failing_sources": []}
    response = rpc_answer({"ok": True, "result": {"rows": []}, "integrity": flag})
    assert response.headers["X-Dangvien-Integrity"] == "unverified; stores=discipline"
    assert "X-Dangvien-Integrity" not in rpc_answer({"ok": True, "result": []}).headers
