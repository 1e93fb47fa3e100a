"""The meetings service's entrypoints through nameko's ``worker_factory``: the roster follows the
members service's store; a scheduled meeting is read back by its RPC."""
from __future__ import annotations

import datetime as dt

import pytest

from services.meetings.service import MeetingsService
from shared.events import NewEvent

from tests.support.workers import Stores, projecting_worker

CTX = {"actor": "tester", "today": "2024-06-30"}


@pytest.fixture
def meetings(tmp_path):
    stores = Stores(tmp_path)
    stores["members"].append("org_unit-C1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": None})])
    stores["members"].append("member-M1", [NewEvent(type="member.admitted", occurred_on=dt.date(2010, 1, 1), data={
        "member_id": "M1", "org_unit_id": "C1", "full_name": "Nguyễn Văn An", "birth_date": "1980-01-01",
        "sex": "male", "demobilised": "none"})])
    worker = projecting_worker(MeetingsService, tmp_path, stores)
    worker.catch_up({}, CTX)  # what the bus delivery (or the sweep) does
    yield worker
    for store in stores.values():
        store.close()


def test_the_roster_follows_the_members_store_and_a_meeting_is_read_back(meetings):
    assert meetings.roster({"org_unit_id": "C1", "on": "2024-06-01"}, CTX)["result"] == [
        {"member_id": "M1", "temporary": False, "exempt": False, "working_away": False, "expected": True}]
    answer = meetings.schedule_meeting({"meeting_id": "H1", "org_unit_id": "C1", "kind": "regular",
                                        "planned_on": "2024-06-05", "occurred_on": "2024-06-01"}, CTX)
    assert [e["type"] for e in answer["events"]] == ["meeting.scheduled"]
    assert meetings.meeting({"meeting_id": "H1"}, CTX)["result"]["org_unit_id"] == "C1"
    assert meetings.locate({"kind": "meeting", "id": "H1"}, CTX) == {"ok": True, "result": {"units": ["C1"]}}


def test_unknown_units_and_meetings_answer_404_with_both_texts(meetings):
    unit = meetings.roster({"org_unit_id": "C9", "on": "2024-06-01"}, CTX)["error"]
    assert (unit["code"], unit["status"], unit["message_vi"]) == ("org_unit_not_found", 404,
                                                                  "Không tìm thấy tổ chức đảng «C9»")
    meeting = meetings.meeting({"meeting_id": "H9"}, CTX)["error"]
    assert (meeting["code"], meeting["message_en"]) == ("meeting_not_found", "Meeting 'H9' not found")


def test_the_roster_follows_a_batch_of_bus_deliveries_in_any_order_and_again(meetings, tmp_path):
    """The doorbell takes the bus's deliveries in batches (``shared.bus_batches``): a batch out of
    order is applied whole; the same batch delivered again (a kill before its ack) changes nothing."""
    members = meetings.projections.stores["members"]
    admitted = [members.append(f"member-M{i}", [NewEvent(
        type="member.admitted", occurred_on=dt.date(2011, 1, 1), data={
            "member_id": f"M{i}", "org_unit_id": "C1", "full_name": "Trần Thị Bình", "birth_date": "1985-01-01",
            "sex": "female", "demobilised": "none"})])[0] for i in (2, 3, 4)]
    batch = [e.to_message() for e in reversed(admitted)]
    meetings.on_members_event(batch)
    assert meetings.projections.positions()["members"] == members.head_position()  # applied by the batch
    meetings.on_members_event(batch)
    roster = meetings.roster({"org_unit_id": "C1", "on": "2024-06-01"}, CTX)["result"]
    assert [m["member_id"] for m in roster] == ["M1", "M2", "M3", "M4"]


def test_a_meeting_recorded_early_in_the_morning_in_vietnam_on_its_day_is_not_in_the_future(meetings, monkeypatch):
    """At 06:30 on 05/03/2025 in Vietnam it is still 04/03 in UTC, the zone servers and containers
    run in: the cell's meeting of that morning is today's, not a future one (nor is a discipline
    decision of the day, nor is "today" the day before in a report's default as-of date)."""
    from shared import dates
    from shared.application import Context
    monkeypatch.setattr(dates, "utc_now", lambda: dt.datetime(2025, 3, 4, 23, 30, tzinfo=dt.timezone.utc))
    assert dates.today_vn() == Context().today == dt.date(2025, 3, 5)
    answer = meetings.record_meeting({"meeting_id": "H-early", "org_unit_id": "C1", "kind": "regular",
                                      "occurred_on": "2025-03-05", "duration_minutes": 120,
                                      "attendance": [{"member_id": "M1", "status": "present"}]}, {"actor": "cb"})
    assert [e["type"] for e in answer["events"]] == ["meeting.held"], answer
    refused = meetings.record_meeting({"meeting_id": "H-late", "org_unit_id": "C1", "kind": "regular",
                                       "occurred_on": "2025-03-06", "duration_minutes": 120,
                                       "attendance": [{"member_id": "M1", "status": "present"}]}, {"actor": "cb"})
    assert refused["error"]["code"] == "meeting_in_future"


def test_a_cells_year_expects_meetings_only_while_the_cell_exists(meetings):
    """A cell created on 01/07/2024 is not short of meetings for January–June; one merged away on
    01/10/2024 owes none from October on; neither owes any in a year it did not exist."""
    members = meetings.projections.stores["members"]
    members.append("org_unit-C2", [NewEvent(type="org_unit.created", occurred_on=dt.date(2024, 7, 1), data={
        "org_unit_id": "C2", "name": "Chi bộ 2", "kind": "cell", "parent_id": None})])
    members.append("org_unit-C3", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "C3", "name": "Chi bộ 3", "kind": "cell", "parent_id": None})])
    members.append("org_unit-C3", [NewEvent(type="org_unit.merged", occurred_on=dt.date(2024, 10, 1), data={
        "org_unit_id": "C3", "into_org_unit_id": "C1"})])
    ctx = {"actor": "tester", "today": "2025-01-15"}
    meetings.catch_up({}, ctx)

    def year(unit, y):
        answer = meetings.cell_quality({"org_unit_id": unit, "year": y}, ctx)["result"]
        return answer["regular"], answer["thematic"]

    assert year("C2", 2024) == ({"held": 0, "expected": 6, "months_without": [7, 8, 9, 10, 11, 12]},
                                {"held": 0, "expected": 2, "quarters_without": [3, 4]})
    assert year("C2", 2023) == ({"held": 0, "expected": 0, "months_without": []},
                                {"held": 0, "expected": 0, "quarters_without": []})
    assert year("C3", 2024) == ({"held": 0, "expected": 9, "months_without": list(range(1, 10))},
                                {"held": 0, "expected": 3, "quarters_without": [1, 2, 3]})
    assert year("C3", 2025)[0] == {"held": 0, "expected": 0, "months_without": []}
    # a cell that exists all year owes the twelve and the four, as before
    assert year("C1", 2024)[0]["expected"] == 12


def test_the_meeting_quality_of_a_unit_that_is_not_a_cell_is_refused(meetings):
    """Only cells hold cell meetings: a party committee has no year of meetings to be short of."""
    members = meetings.projections.stores["members"]
    members.append("org_unit-G1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "G1", "name": "Đảng bộ xã 1", "kind": "grassroots_committee", "parent_id": None})])
    meetings.catch_up({}, CTX)
    error = meetings.cell_quality({"org_unit_id": "G1", "year": 2024}, CTX)["error"]
    assert (error["code"], error["message_vi"]) == (
        "not_a_cell", "«G1» không phải là chi bộ; chỉ chi bộ tổ chức sinh hoạt chi bộ")
    assert meetings.cell_quality({"org_unit_id": "C9", "year": 2024}, CTX)["error"]["code"] == "org_unit_not_found"
