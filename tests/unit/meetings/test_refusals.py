"""Refused inputs answer with a named error and write nothing; a retried command writes once."""
from __future__ import annotations

import pytest

from shared.application import Context
from shared.errors import DomainError
from shared.importing import run_import

from services.meetings import application as app
from services.meetings.projections import RosterOverlay

from .conftest import D


@pytest.fixture
def cell(world):
    world.cell("A")
    world.cell("B")
    world.cell("G", kind="grassroots_committee")
    for m in ("M1", "M2"):
        world.admit(m, "A")
    world.admit("M9", "B")
    return world


def refused(w, *args, **kwargs) -> DomainError:
    before = w.store.head_position()
    with pytest.raises(DomainError) as exc:
        w.meeting(*args, **kwargs)
    assert w.store.head_position() == before, "a refused command wrote something"
    assert exc.value.message_vi and exc.value.message_en
    return exc.value


def test_attendance_for_someone_not_on_the_roster(cell):
    e = refused(cell, "m1", "A", D(2025, 1, 5), {"M1": "present", "M2": "present", "M9": "present"})
    assert (e.code, e.field) == ("not_on_roster", "attendance.2.member_id")
    assert "05/01/2025" in e.message_vi and "05/01/2025" in e.message_en


def test_attendance_twice_for_one_member(cell):
    from shared.contracts.meetings import RecordMeeting
    cmd = RecordMeeting(occurred_on=D(2025, 1, 5), meeting_id="m1", org_unit_id="A", kind="regular",
                        duration_minutes=90, attendance=[{"member_id": "M1", "status": "present"},
                                                         {"member_id": "M2", "status": "present"},
                                                         {"member_id": "M1", "status": "unexcused"}])
    with pytest.raises(DomainError) as exc:
        app.record_meeting(cell.store, cell.roster, cell.vault, cmd, Context(today=D(2026, 1, 1)))
    assert (exc.value.code, exc.value.field) == ("attendance_duplicate", "attendance.2.member_id")
    assert cell.store.head_position() == 0


def test_a_meeting_dated_in_the_future(cell):
    e = refused(cell, "m1", "A", D(2025, 6, 2), {"M1": "present", "M2": "present"}, today=D(2025, 6, 1))
    assert (e.code, e.field) == ("meeting_in_future", "occurred_on")
    assert "02/06/2025" in e.message_vi and "01/06/2025" in e.message_vi


def test_missing_attendance_of_an_expected_member(cell):
    e = refused(cell, "m1", "A", D(2025, 1, 5), {"M1": "present"})
    assert (e.code, e.details["missing"]) == ("attendance_missing", ["M2"])


def test_excused_absence_needs_its_reason(cell):
    from shared.contracts.meetings import RecordMeeting
    cmd = RecordMeeting(occurred_on=D(2025, 1, 5), meeting_id="m1", org_unit_id="A", kind="regular",
                        duration_minutes=90, attendance=[{"member_id": "M1", "status": "present"},
                                                         {"member_id": "M2", "status": "excused"}])
    with pytest.raises(DomainError) as exc:
        app.record_meeting(cell.store, cell.roster, cell.vault, cmd, Context(today=D(2026, 1, 1)))
    assert (exc.value.code, exc.value.field) == ("reason_required", "attendance.1.reason")


def test_meetings_only_for_an_existing_cell(cell):
    assert refused(cell, "m1", "Z", D(2025, 1, 5), {"M1": "present"}).code == "org_unit_not_found"
    assert refused(cell, "m1", "G", D(2025, 1, 5), {"M1": "present"}).code == "not_a_cell"


def test_a_meeting_is_recorded_once(cell):
    cell.meeting("m1", "A", D(2025, 1, 5), {"M1": "present", "M2": "present"})
    e = refused(cell, "m1", "A", D(2025, 1, 6), {"M1": "present", "M2": "present"})
    assert (e.code, e.field) == ("meeting_already_recorded", "meeting_id")


def test_a_retried_command_writes_nothing_twice(cell):
    first = cell.meeting("m1", "A", D(2025, 1, 5), {"M1": "present", "M2": "unexcused"}, command_id="cmd-1")
    head = cell.store.head_position()
    again = cell.meeting("m1", "A", D(2025, 1, 5), {"M1": "present", "M2": "unexcused"}, command_id="cmd-1")
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert cell.store.head_position() == head == 3  # held, missed, first warning
    dues = cell.dues("M1", "2025-01", "unpaid", command_id="d-1")
    assert cell.dues("M1", "2025-01", "unpaid", command_id="d-1") == dues
    assert cell.dues("M1", "2025-01", "unpaid", command_id="d-2") == []  # same fact again: nothing new
    assert cell.store.head_position() == head + 2


def test_an_import_file_with_one_bad_line_writes_nothing(cell):
    good = {"type": "meeting.held", "occurred_on": "2025-01-05", "line": 1,
            "data": {"meeting_id": "m1", "org_unit_id": "A", "kind": "regular", "duration_minutes": 90,
                     "attendance": [{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "present"}]}}
    bad = {"type": "dues.recorded", "occurred_on": "2025-01-06", "line": 2,
           "data": {"member_id": "M1", "month": "2025-01", "status": "reduced", "reduction_pct": 40}}
    derived = {"type": "meeting.missed", "occurred_on": "2025-01-05", "line": 3,
               "data": {"meeting_id": "m1", "org_unit_id": "A", "member_id": "M2", "excused": False}}
    overlay = RosterOverlay(cell.roster)
    out = run_import(cell.store, app.importers(overlay, cell.vault), [good, bad, derived], Context(today=D(2026, 1, 1)),
                     observe=overlay.observe)
    assert not out["ok"]
    assert [(e["line"], e["code"], e["field"]) for e in out["errors"]] == [
        (2, "reduction_rate_invalid", "reduction_pct"), (3, "derived_event", "type")]
    assert cell.store.head_position() == 0
