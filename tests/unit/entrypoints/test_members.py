"""The members service's entrypoints, called as nameko calls them (``worker_factory``): payload
and context in, ``{"ok": ...}`` out; the contract's commands are its RPCs, written out."""
from __future__ import annotations

import pytest

from services.members.service import MembersService
from shared.personal import Vault
from shared.readmodel import ReadModelDB

from tests.support.workers import Stores, projecting_worker

CTX = {"actor": "tester"}


@pytest.fixture
def members(tmp_path):
    stores = Stores(tmp_path)
    worker = projecting_worker(MembersService, tmp_path, stores,
                               vault=Vault(ReadModelDB(f"sqlite:///{tmp_path}/members.keys.db")))
    yield worker
    for store in stores.values():
        store.close()


def province(members):
    for unit in ({"org_unit_id": "P", "name": "Tỉnh ủy", "kind": "province"},
                 {"org_unit_id": "G1", "name": "Đảng ủy xã", "kind": "grassroots_committee", "parent_id": "P"},
                 {"org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": "G1"},
                 {"org_unit_id": "C2", "name": "Chi bộ 2", "kind": "cell", "parent_id": "G1"}):
        assert members.create_org_unit({"occurred_on": "2020-01-01", **unit}, CTX)["ok"]
    answer = members.admit_member({"occurred_on": "2020-02-03", "member_id": "M1", "org_unit_id": "C1",
                                   "full_name": "Trần Thị Bình", "birth_date": "1995-02-01", "sex": "female"}, CTX)
    assert answer["ok"], answer


def test_a_transfer_is_written_and_its_event_answered(members):
    province(members)
    answer = members.transfer_member({"occurred_on": "2021-03-01", "member_id": "M1", "from_org_unit_id": "C1",
                                      "to_org_unit_id": "C2", "kind": "official"}, CTX)
    assert answer["ok"], answer
    assert [e["type"] for e in answer["events"]] == ["member.transferred"]
    assert members.get_member({"member_id": "M1"}, CTX)["result"]["org_unit_id"] == "C2"


def test_a_refusal_comes_back_as_data_with_its_code_and_texts(members):
    province(members)
    head = members.head_position({}, CTX)["result"]
    answer = members.transfer_member({"occurred_on": "2021-03-01", "member_id": "M1", "from_org_unit_id": "C1",
                                      "to_org_unit_id": "C1", "kind": "official"}, CTX)
    assert answer == {"ok": False, "error": {"code": "same_unit", "message_vi": "Đảng viên đã sinh hoạt tại chi bộ này",
                                             "message_en": "The member is already in this unit",
                                             "field": "to_org_unit_id", "status": 422}}
    bad = members.transfer_member({"member_id": "M1"}, CTX)
    assert (bad["ok"], bad["error"]["code"], bad["error"]["field"]) == (False, "invalid_input", "occurred_on")
    assert members.head_position({}, CTX)["result"] == head  # nothing written by either


def test_positions_say_how_far_each_source_is_projected(members):
    province(members)
    members.catch_up({}, CTX)
    assert members.positions({}, CTX)["result"] == {"members": 5, "discipline": 0}  # 4 units, 1 member


def test_a_fact_dated_after_today_is_refused_on_every_path_and_nothing_is_written(members):
    """A member's fact is recorded once it has happened (as meetings, dues and discipline refuse
    theirs): a removal dated 30/01/2099 made the member 'removed on 30/01/2099' and refused every
    later command about them. Today (Vietnam's day, the context's) itself is accepted."""
    province(members)
    today = {**CTX, "today": "2024-06-30"}
    head = members.head_position({}, today)["result"]
    for command, payload in (
            ("remove_member", {"member_id": "M1", "ground": "no_progress"}),
            ("transfer_member", {"member_id": "M1", "to_org_unit_id": "C2", "kind": "official"}),
            ("record_death", {"member_id": "M1"}),
            ("create_org_unit", {"org_unit_id": "C3", "name": "Chi bộ 3", "kind": "cell", "parent_id": "G1"}),
            ("admit_member", {"member_id": "M2", "org_unit_id": "C1", "full_name": "Lê Văn Cường",
                              "birth_date": "1990-01-01", "sex": "male"})):
        answer = getattr(members, command)({"occurred_on": "2024-07-01", **payload}, today)
        assert (answer["ok"], answer["error"]["code"], answer["error"]["field"]) \
            == (False, "date_in_future", "occurred_on"), command
        assert "01/07/2024" in answer["error"]["message_vi"] and "30/06/2024" in answer["error"]["message_vi"]
        assert "in the future" in answer["error"]["message_en"]
    line = {"line": 1, "type": "member.removed", "occurred_on": "2024-07-01",
            "data": {"member_id": "M1", "ground": "no_progress"}}
    imported = members.import_lines([line], today)
    assert not imported["ok"] and imported["errors"][0]["code"] == "date_in_future"
    assert members.head_position({}, today)["result"] == head  # nothing written
    assert members.remove_member({"occurred_on": "2024-06-30", "member_id": "M1", "ground": "no_progress"}, today)["ok"]


def test_a_name_typed_with_extra_or_no_break_spaces_is_the_name_the_spreadsheet_import_reads(members):
    """A live command reads a name as the spreadsheet import does (``shared.catalog.common.one_space``):
    spaces inside it (several in a row, no-break, typographic) are one plain space, none at the ends;
    "Nguyễn  Văn A" typed on a form and "Nguyễn Văn A" from a sheet are the same name."""
    from services.gateway.sheets.values import text

    province(members)
    for i, typed in enumerate(("Nguyễn  Văn A", "Nguyễn\u00a0Văn A", " Nguyễn \u00a0 Văn\u2009A\u3000",
                               "Nguyễn Văn A")):
        answer = members.admit_member({"occurred_on": "2020-02-03", "member_id": f"N{i}", "org_unit_id": "C1",
                                       "full_name": typed, "birth_date": "1990-01-01", "sex": "male"}, CTX)
        assert answer["ok"], answer
        assert members.get_member({"member_id": f"N{i}"}, CTX)["result"]["full_name"] == "Nguyễn Văn A" == \
            text(typed), typed
    # a correction is read the same way; a name of spaces alone is refused
    answer = members.update_member_record({"occurred_on": "2021-01-01", "member_id": "N0",
                                           "full_name": "Nguyễn\u00a0\u00a0Văn  B"}, CTX)
    assert answer["ok"], answer
    assert members.get_member({"member_id": "N0"}, CTX)["result"]["full_name"] == "Nguyễn Văn B"
    refused = members.update_member_record({"occurred_on": "2021-01-01", "member_id": "N0",
                                            "full_name": "\u00a0 \u2009"}, CTX)
    assert not refused["ok"], refused
