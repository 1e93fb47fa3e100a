"""Issue 14 rules in the meetings service: ground (a) is counted in months; the roster after a
temporary transfer ends."""
from __future__ import annotations

import pytest

from services.meetings.views import absences

from .conftest import D


@pytest.fixture
def cell(world):
    world.cell("A")
    world.cell("B")
    for m in ("M1", "M2", "M3"):
        world.admit(m, "A")
    return world


def raised(events):
    return [(e.data["count"], e.data["level"]) for e in events if e.type == "attendance.warning_raised"]


def test_several_absences_in_one_month_are_one_month(cell):
    w = cell
    got = [raised(w.meeting("r1", "A", D(2025, 3, 5), {"M1": "present", "M2": "present", "M3": "unexcused"})),
           raised(w.meeting("t1", "A", D(2025, 3, 20), {"M1": "present", "M2": "present", "M3": "unexcused"},
                            kind="thematic", minutes=120)),
           raised(w.meeting("r2", "A", D(2025, 4, 5), {"M1": "present", "M2": "present", "M3": "unexcused"}))]
    # the second absence of March is the same month: no second warning; April is month two
    assert got == [[(1, "warning")], [], [(2, "warning")]]
    row = absences(w.db, 2025, member_id="M3")[0]
    assert (row["unexcused"], row["unexcused_months"]) == (3, 2)
    # the third month reaches removal ground (a)
    assert raised(w.meeting("r3", "A", D(2025, 5, 5), {"M1": "present", "M2": "present", "M3": "unexcused"})) \
        == [(3, "removal_ground")]


def test_the_member_is_back_on_the_home_roster_when_the_temporary_transfer_ends(cell):
    w = cell
    w.fact("member.transferred", D(2025, 2, 1), member_id="M1", from_org_unit_id="A", to_org_unit_id="B",
           kind="temporary", until="2025-09-01")
    assert "M1" not in w.expected("A", D(2025, 3, 1)) and "M1" in w.expected("B", D(2025, 3, 1))
    w.fact("member.temporary_transfer_ended", D(2025, 6, 10), member_id="M1")
    assert "M1" in w.expected("B", D(2025, 6, 9)) and "M1" not in w.expected("A", D(2025, 6, 9))  # day before
    assert "M1" in w.expected("A", D(2025, 6, 10)) and "M1" not in w.expected("B", D(2025, 6, 10))  # the day
    assert "M1" in w.expected("A", D(2025, 6, 11))  # day after
