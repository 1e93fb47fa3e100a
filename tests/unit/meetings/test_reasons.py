"""An excused absence's reason is personal data (often a health matter): the meetings service seals
it with the member's key in its own key vault — on a command and on an import — so neither its
store nor the integrators' feed holds it in clear; a reader the gateway let see the meeting reads it
opened; once the members service shreds the member, the service's key is gone too and the reason
reads as erased. Events written before keep their clear value."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from services.meetings.service import MeetingsService
from shared.events import NewEvent

from tests.support.workers import Stores, projecting_worker

CTX = {"actor": "tester", "today": "2024-06-30"}
REASON = "Nằm viện điều trị bệnh phổi tại Bệnh viện Chợ Rẫy"
OTHER = "Đi công tác theo quyết định của cơ quan"


def admitted(member_id: str, name: str) -> NewEvent:
    return NewEvent(type="member.admitted", occurred_on=dt.date(2010, 1, 1), data={
        "member_id": member_id, "org_unit_id": "C1", "full_name": name, "birth_date": "1980-01-01", "sex": "male",
        "demobilised": "none"})


@pytest.fixture
def stores(tmp_path):
    stores = Stores(tmp_path)
    stores["members"].append("org_unit-C1", [NewEvent(type="org_unit.created", occurred_on=dt.date(2010, 1, 1), data={
        "org_unit_id": "C1", "name": "Chi bộ 1", "kind": "cell", "parent_id": None})])
    for member_id, name in (("M1", "Nguyễn Văn An"), ("M2", "Trần Văn Bình"), ("M3", "Lê Thị Cúc")):
        stores["members"].append(f"member-{member_id}", [admitted(member_id, name)])
    yield stores
    for store in stores.values():
        store.close()


@pytest.fixture
def meetings(tmp_path, stores):
    worker = projecting_worker(MeetingsService, tmp_path, stores)
    worker.catch_up({}, CTX)  # what the bus delivery (or the sweep) does
    return worker


def meeting(meeting_id: str, day: str, **reasons) -> dict:
    return {"meeting_id": meeting_id, "org_unit_id": "C1", "kind": "regular", "occurred_on": day,
            "duration_minutes": 120,
            "attendance": [{"member_id": m, "status": "excused", "reason": reasons[m]} if m in reasons
                           else {"member_id": m, "status": "present"} for m in ("M1", "M2", "M3")]}


def raw(path) -> str:
    """Every value of every row of the SQLite store, as the file holds them."""
    with sqlite3.connect(path) as db:
        return "\n".join(str(v) for row in db.execute("SELECT * FROM events") for v in row)


def reasons_read(meetings, meeting_id: str) -> dict:
    found = meetings.meeting({"meeting_id": meeting_id}, CTX)["result"]
    return {a["member_id"]: {k: v for k, v in a.items() if k not in ("member_id", "status")}
            for a in found["attendance"]}


def shredded(stores, member_id: str):
    """The members service's ``member.personal_data_shredded``, as the bus delivers it."""
    env = stores["members"].append(f"member-{member_id}", [NewEvent(
        type="member.personal_data_shredded", occurred_on=dt.date(2024, 6, 20), data={"member_id": member_id})],
        )[0]
    return env.to_message()


def test_a_recorded_reason_is_sealed_in_the_store_and_in_the_feed(meetings, tmp_path):
    answer = meetings.record_meeting(meeting("H1", "2024-06-05", M1=REASON), CTX)
    events = answer["events"]
    assert [e["type"] for e in events] == ["meeting.held", "meeting.missed"]
    held = next(a for a in events[0]["data"]["attendance"] if a["member_id"] == "M1")
    assert held["reason"].startswith("sealed:v1:") and events[1]["data"]["reason"].startswith("sealed:v1:")
    stored = raw(tmp_path / "meetings.events.db")
    assert "sealed:v1:" in stored
    for form in (REASON, json.dumps(REASON)[1:-1]):  # as written, or \u-escaped
        assert form not in stored
    feed = json.dumps(meetings.read_log({"after": 0, "limit": 100}, CTX), ensure_ascii=False)
    assert "meeting.missed" in feed and REASON not in feed and json.dumps(REASON)[1:-1] not in feed


def test_the_reason_reads_in_clear_until_the_member_is_shredded_then_as_erased(meetings, stores):
    meetings.record_meeting(meeting("H1", "2024-06-05", M1=REASON, M2=OTHER), CTX)
    assert reasons_read(meetings, "H1") == {"M1": {"reason": REASON}, "M2": {"reason": OTHER}, "M3": {}}

    delivery = shredded(stores, "M1")
    meetings.on_members_event([delivery])
    meetings.on_members_event([delivery])  # redelivered (a kill before its ack): nothing more happens
    assert reasons_read(meetings, "H1") == {"M1": {"reason": None, "personal_data_shredded": True},
                                            "M2": {"reason": OTHER}, "M3": {}}
    vault = meetings.projections.vault
    assert vault.is_shredded("M1") and not vault.db.query("SELECT 1 FROM personal_keys WHERE subject = 'M1'")
    # nor can a new reason be sealed for them: refused, nothing written
    before = meetings.store.head_position()
    refused = meetings.record_meeting(meeting("H2", "2024-06-12", M1="Ốm"), CTX)["error"]
    assert (refused["code"], refused["status"]) == ("personal_data_shredded", 422), refused
    assert "M1" in refused["message_vi"] and "M1" in refused["message_en"]
    assert meetings.store.head_position() == before


def test_a_shredding_the_bus_never_delivered_is_caught_up_by_the_sweep(meetings, stores):
    meetings.record_meeting(meeting("H1", "2024-06-05", M1=REASON), CTX)
    shredded(stores, "M1")
    meetings.catch_up({}, CTX)
    assert reasons_read(meetings, "H1")["M1"] == {"reason": None, "personal_data_shredded": True}


def test_an_imported_reason_is_sealed_and_the_same_line_sent_again_writes_nothing(meetings, tmp_path):
    line = {"type": "meeting.held", "occurred_on": "2024-06-05", "line": 1, "event_id": "ev-import-reason-1",
            "data": {**meeting("H1", "2024-06-05", M1=REASON, M3=OTHER), "occurred_on": None}}
    del line["data"]["occurred_on"]
    vault = meetings.projections.vault
    tried = meetings.import_lines([line], CTX, commit=False)
    assert tried["ok"], tried
    assert not vault.db.query("SELECT 1 FROM personal_keys")  # a dry run stores no key
    first = meetings.import_lines([line], CTX)
    assert first["ok"] and first["written"] == 3, first
    stored = raw(tmp_path / "meetings.events.db")
    assert REASON not in stored and json.dumps(REASON)[1:-1] not in stored and "sealed:v1:" in stored
    again = meetings.import_lines([dict(line)], CTX)
    assert again["ok"] and again["written"] == 0 and not again["errors"], again
    assert reasons_read(meetings, "H1") == {"M1": {"reason": REASON}, "M2": {}, "M3": {"reason": OTHER}}


def test_a_reason_stored_in_clear_before_sealing_still_reads(meetings, stores):
    held = {"meeting_id": "H0", "org_unit_id": "C1", "kind": "regular", "duration_minutes": 120,
            "attendance": [{"member_id": "M1", "status": "excused", "reason": "Ốm (ghi trước khi niêm phong)"},
                           {"member_id": "M2", "status": "present"}, {"member_id": "M3", "status": "present"}]}
    meetings.store.append("meeting-H0", [NewEvent(type="meeting.held", occurred_on=dt.date(2024, 5, 5), data=held)])
    meetings.catch_up({}, CTX)
    assert reasons_read(meetings, "H0")["M1"] == {"reason": "Ốm (ghi trước khi niêm phong)"}


def test_an_import_asks_the_vault_in_bulk_about_the_members_whose_reasons_it_seals():
    from services.meetings.reasons import subjects
    lines = [{"type": "meeting.held", "data": {"attendance": [
                {"member_id": "M2", "status": "excused", "reason": "Ốm"}, {"member_id": "M1", "status": "present"},
                {"member_id": "M3", "status": "unexcused", "reason": "Không báo"}, "not a row",
                {"member_id": 7, "status": "excused", "reason": "Ốm"}, {"member_id": "M4", "reason": ""}]}},
             {"type": "meeting.held", "data": "not an object"},
             {"type": "meeting.held", "data": {"attendance": [{"member_id": "M2", "status": "excused",
                                                              "reason": "Ốm lại"}]}}]
    assert subjects(lines) == ["M2", "M3"]
