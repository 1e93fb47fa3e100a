"""Early warnings (D0): at 1, 2 and 3 unexcused absences or unpaid months in a calendar year."""
from __future__ import annotations

import pytest

from services.meetings.views import absences, warnings

from .conftest import D, types


@pytest.fixture
def cell(world):
    world.cell("A")
    for m in ("M1", "M2", "M3"):
        world.admit(m, "A")
    return world


def raised(events):
    return [(e.data["kind"], e.data["count"], e.data["level"]) for e in events if e.type == "attendance.warning_raised"]


def test_warnings_at_one_two_and_three_unexcused_absences(cell):
    w = cell
    got = []
    for month in range(1, 5):
        got.append(raised(w.meeting(f"m{month}", "A", D(2025, month, 5),
                                    {"M1": "present", "M2": "present", "M3": "unexcused"})))
    assert got == [[("absence", 1, "warning")], [("absence", 2, "warning")], [("absence", 3, "removal_ground")], []]
    row = absences(w.db, 2025, member_id="M3")[0]
    assert (row["unexcused"], row["meetings"]) == (4, 4)
    assert [x["count"] for x in row["warnings"]] == [1, 2, 3]
    # a new calendar year counts afresh
    assert raised(w.meeting("m13", "A", D(2026, 1, 5), {"M1": "present", "M2": "present", "M3": "unexcused"})) \
        == [("absence", 1, "warning")]


def test_excused_absences_raise_no_warning(cell):
    w = cell
    for month in range(1, 4):
        out = w.meeting(f"m{month}", "A", D(2025, month, 5), {"M1": "excused", "M2": "present", "M3": "present"})
        assert types(out) == ["meeting.held", "meeting.missed"]
        assert out[1].data["excused"] is True and raised(out) == []
    assert warnings(w.db, 2025) == []
    assert absences(w.db, 2025, member_id="M1")[0]["excused"] == 3


def test_exempt_members_are_not_expected_so_never_absent(cell):
    w = cell
    w.fact("member.exempted", D(2025, 1, 1), member_id="M3", ground="illness")
    out = w.meeting("m1", "A", D(2025, 1, 5), {"M1": "present", "M2": "present"})
    assert types(out) == ["meeting.held"]
    assert absences(w.db, 2025, member_id="M3") == []


def test_unpaid_dues_months_warn_and_a_late_payment_does_not_warn_twice(cell):
    w = cell
    assert raised(w.dues("M2", "2025-01", "unpaid")) == [("unpaid_dues", 1, "warning")]
    assert raised(w.dues("M2", "2025-02", "unpaid")) == [("unpaid_dues", 2, "warning")]
    assert raised(w.dues("M2", "2025-02", "paid")) == []          # paid late: back to 1
    assert raised(w.dues("M2", "2025-03", "unpaid")) == []        # 2 again: already warned at 2
    assert raised(w.dues("M2", "2025-04", "unpaid")) == [("unpaid_dues", 3, "removal_ground")]
    assert absences(w.db, 2025, member_id="M2")[0]["unpaid_months"] == ["2025-01", "2025-03", "2025-04"]
    assert [x["org_unit_id"] for x in warnings(w.db, 2025)] == ["A", "A", "A"]
