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
