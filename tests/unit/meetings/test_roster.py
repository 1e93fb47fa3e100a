"""Who is expected at a cell's meeting on a date: across transfers, exemptions, merges, exits."""
from __future__ import annotations

import pytest

from shared.errors import DomainError
from shared.importing import run_import
from shared.application import Context

from services.meetings import application as app
from services.meetings.projections import RosterOverlay

from .conftest import D


@pytest.fixture
def cells(world):
    for c in ("A", "B", "C"):
        world.cell(c)
    for m, c in (("M1", "A"), ("M2", "A"), ("M3", "A"), ("M4", "B")):
        world.admit(m, c)
    return world


def test_official_transfer_moves_the_member_on_its_date(cells):
    w = cells
    w.fact("member.transferred", D(2025, 3, 10), member_id="M2", from_org_unit_id="A", to_org_unit_id="B",
           kind="official")
    assert w.expected("A", D(2025, 3, 9)) == ["M1", "M2", "M3"]
    assert w.expected("A", D(2025, 3, 10)) == ["M1", "M3"]
    assert w.expected("B", D(2025, 3, 10)) == ["M2", "M4"]


def test_temporary_member_attends_at_the_host_cell_until_back(cells):
    w = cells
    w.fact("member.transferred", D(2025, 2, 1), member_id="M1", from_org_unit_id="A", to_org_unit_id="B",
           kind="temporary")
    w.fact("member.transferred", D(2025, 8, 1), member_id="M1", from_org_unit_id="B", to_org_unit_id="A",
           kind="temporary")
    host = {e.member_id: e for e in w.roster.on("B", D(2025, 5, 1))}
    assert host["M1"].temporary and w.expected("B", D(2025, 5, 1)) == ["M1", "M4"]
    assert "M1" not in w.expected("A", D(2025, 5, 1))
    back = {e.member_id: e for e in w.roster.on("A", D(2025, 8, 1))}
    assert "M1" in back and not back["M1"].temporary


def test_exempt_members_are_listed_but_not_expected(cells):
    w = cells
    w.fact("member.exempted", D(2025, 4, 1), member_id="M3", ground="maternity", until="2025-09-30")
    w.fact("member.exempted", D(2025, 4, 1), member_id="M2", ground="old_age")
    w.fact("member.exemption_ended", D(2025, 6, 15), member_id="M2")
    assert w.expected("A", D(2025, 3, 31)) == ["M1", "M2", "M3"]
    assert w.expected("A", D(2025, 5, 1)) == ["M1"]
    assert [e.member_id for e in w.roster.on("A", D(2025, 5, 1))] == ["M1", "M2", "M3"]
    assert w.expected("A", D(2025, 6, 15)) == ["M1", "M2"]
    assert w.expected("A", D(2025, 9, 30)) == ["M1", "M2"]  # "until" is the last exempt day
    assert w.expected("A", D(2025, 10, 1)) == ["M1", "M2", "M3"]


def test_members_of_a_merged_cell_are_expected_in_the_cell_it_merged_into(cells):
    w = cells
    w.fact("org_unit.merged", D(2025, 7, 1), org_unit_id="A", into_org_unit_id="B")
    assert w.expected("A", D(2025, 6, 30)) == ["M1", "M2", "M3"]
    assert w.expected("B", D(2025, 6, 30)) == ["M4"]
    assert w.expected("B", D(2025, 7, 1)) == ["M1", "M2", "M3", "M4"]
    assert w.expected("A", D(2025, 7, 1)) == []
    assert w.roster.unit("A").closed_on == D(2025, 7, 1)


def test_members_who_left_are_not_expected_and_late_entries_count_from_their_date(cells):
    w = cells
    w.fact("member.died", D(2025, 5, 20), member_id="M4")
    assert w.expected("B", D(2025, 5, 19)) == ["M4"] and w.expected("B", D(2025, 5, 20)) == []
    # recorded now, dated earlier than facts already known: the roster of that past date changes
    w.fact("member.transferred", D(2025, 1, 1), member_id="M3", from_org_unit_id="A", to_org_unit_id="C",
           kind="official")
    assert w.expected("A", D(2025, 2, 1)) == ["M1", "M2"] and w.expected("C", D(2025, 2, 1)) == ["M3"]


def test_the_meeting_expects_the_roster_of_its_own_date(cells):
    w = cells
    w.fact("member.transferred", D(2025, 3, 10), member_id="M4", from_org_unit_id="B", to_org_unit_id="A",
           kind="official")
    with pytest.raises(DomainError) as refused:  # M4 arrived on 10/3 and must be on the attendance
        w.meeting("A-2025-03", "A", D(2025, 3, 20), {"M1": "present", "M2": "present", "M3": "present"})
    assert refused.value.code == "attendance_missing" and refused.value.details["missing"] == ["M4"]
    held = w.meeting("A-2025-02", "A", D(2025, 2, 20), {"M1": "present", "M2": "present", "M3": "present"})
    assert held[0].type == "meeting.held"


def test_import_overlay_gives_the_same_roster_as_the_projection(cells, tmp_path):
    """Members lines of an import file, not yet written, count for the meeting lines after them."""
    w = cells
    lines = [
        {"type": "member.transferred", "occurred_on": "2025-03-01", "line": 1,
         "data": {"member_id": "M4", "from_org_unit_id": "B", "to_org_unit_id": "A", "kind": "temporary"}},
        {"type": "org_unit.merged", "occurred_on": "2025-06-01", "line": 2,
         "data": {"org_unit_id": "C", "into_org_unit_id": "A"}},
        {"type": "member.exempted", "occurred_on": "2025-04-01", "line": 3,
         "data": {"member_id": "M2", "ground": "illness"}},
    ]
    overlay = RosterOverlay(w.roster)
    for line in lines:
        overlay.observe(line)
    for line in lines:
        w.fact(line["type"], D.fromisoformat(line["occurred_on"]), **line["data"])
    for day in (D(2025, 2, 1), D(2025, 3, 5), D(2025, 4, 2), D(2025, 7, 1)):
        assert overlay.on("A", day) == w.roster.on("A", day)
        assert overlay.on("B", day) == w.roster.on("B", day)


def test_import_of_members_and_meetings_in_one_file(world):
    """Validation of a meeting line sees the admissions earlier in the same file."""
    w = world
    w.cell("A")
    admit = {"type": "member.admitted", "occurred_on": "2024-01-10", "line": 1,
             "data": {"member_id": "N1", "org_unit_id": "A", "full_name": "Lê Thị B", "birth_date": "1990-02-02",
                      "sex": "female"}}
    held = {"type": "meeting.held", "occurred_on": "2024-02-05", "line": 2,
            "data": {"meeting_id": "A-2024-02", "org_unit_id": "A", "kind": "regular", "duration_minutes": 90,
                     "attendance": [{"member_id": "N1", "status": "unexcused"}]}}
    overlay = RosterOverlay(w.roster)
    out = run_import(w.store, app.importers(overlay, w.vault), [admit, held], Context(today=D(2026, 1, 1)),
                     observe=overlay.observe)
    assert out["ok"], out["errors"]
    stored = [e.type for e in w.store.read_all()]
    # exactly what the live command records: the meeting, the absence, the first warning
    assert stored == ["meeting.held", "meeting.missed", "attendance.warning_raised"]


def test_import_overlay_sees_an_expulsion_decided_earlier_in_the_file(cells):
    overlay = RosterOverlay(cells.roster)
    overlay.observe({"type": "discipline.applied", "occurred_on": "2025-02-01", "line": 1,
                     "data": {"case_id": "KL-1", "subject_kind": "member", "subject_id": "M2", "form": "expulsion"}})
    assert [e.member_id for e in overlay.on("A", D(2025, 1, 31))] == ["M1", "M2", "M3"]
    assert [e.member_id for e in overlay.on("A", D(2025, 2, 1))] == ["M1", "M3"]


def test_a_transfer_dated_after_the_member_left_does_not_bring_them_back(cells):
    w = cells
    w.fact("member.transferred", D(2025, 7, 1), member_id="M2", from_org_unit_id="A", to_org_unit_id="B",
           kind="official")
    w.fact("member.expelled", D(2020, 2, 4), member_id="M2", case_id="KL-1")  # recorded later, dated earlier
    assert "M2" not in w.expected("B", D(2025, 8, 1)) and "M2" not in w.expected("A", D(2021, 1, 1))
