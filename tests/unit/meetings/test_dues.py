"""Dues per member per month: reductions (30/50/70 %, at most 12 months), exemption grounds."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.errors import DomainError

from .conftest import D


@pytest.fixture
def cell(world):
    world.cell("A")
    world.admit("M1", "A", on=D(2016, 1, 1))
    return world


def refused(w, *args, **kwargs) -> DomainError:
    before = w.store.head_position()
    with pytest.raises(DomainError) as exc:
        w.dues(*args, **kwargs)
    assert w.store.head_position() == before
    return exc.value


def test_reduced_dues_take_a_listed_rate_for_at_most_12_months_in_a_row(cell):
    assert refused(cell, "M1", "2025-01", "reduced", reduction_pct=40).field == "reduction_pct"
    assert refused(cell, "M1", "2025-01", "reduced").code == "reduction_rate_invalid"
    assert refused(cell, "M1", "2025-01", "paid", reduction_pct=30).code == "reduction_without_reduced"
    for month in range(3, 13):
        cell.dues("M1", f"2024-{month:02d}", "reduced", reduction_pct=50)
    cell.dues("M1", "2025-01", "reduced", reduction_pct=70)
    cell.dues("M1", "2025-02", "reduced", reduction_pct=30)   # the 12th month in a row
    e = refused(cell, "M1", "2025-03", "reduced", reduction_pct=30)
    assert (e.code, e.field) == ("reduction_too_long", "month") and "03/2025" in e.message_vi
    cell.dues("M1", "2025-03", "paid")


def test_exemption_needs_a_ground_and_party_age_is_checked(cell):
    assert refused(cell, "M1", "2025-01", "exempt").code == "exemption_ground_required"
    e = refused(cell, "M1", "2025-01", "exempt", exemption_ground="party_age_50")
    assert e.code == "party_age_too_low" and "01/01/2016" in e.message_vi
    assert refused(cell, "M1", "2025-01", "paid", exemption_ground="poor_household").code == "ground_without_exempt"
    out = cell.dues("M1", "2025-01", "exempt", exemption_ground="poor_household")
    assert out[0].data["exemption_ground"] == "poor_household" and out[0].org_unit_id == "A"


def test_dues_only_for_a_member_on_a_roster_that_month_and_not_unpaid_before_the_month(cell):
    assert refused(cell, "M7", "2025-01", "paid").code == "member_not_found"
    assert refused(cell, "M1", "2015-06", "paid").code == "not_on_roster_in_month"
    assert refused(cell, "M1", "2026-12", "unpaid", today=D(2026, 11, 27)).code == "dues_month_in_future"
    assert cell.dues("M1", "2026-12", "paid", today=D(2026, 11, 27))[0].type == "dues.recorded"  # paid ahead


def test_dues_and_a_schedule_are_recorded_on_today_or_before_not_on_a_day_to_come(cell):
    """A fact is recorded once it has happened, as the members service judges every command: a dues
    record or a scheduling dated after today (a phone whose clock runs ahead, an API client) would
    file the fact — and the early warning it raises — in a year that has not come. The month the
    dues are for may be ahead (paid in advance); the day of recording may not."""
    from services.meetings import application as app
    from shared.application import Context
    from shared.contracts.meetings import ScheduleMeeting

    today = D(2026, 11, 27)
    assert cell.dues("M1", "2026-10", "paid", on=today - dt.timedelta(days=1), today=today)
    assert cell.dues("M1", "2026-11", "paid", on=today, today=today)
    e = refused(cell, "M1", "2026-09", "unpaid", on=today + dt.timedelta(days=1), today=today)
    assert (e.code, e.field) == ("date_in_future", "occurred_on")
    assert "28/11/2026" in e.message_vi and "27/11/2026" in e.message_vi and "28/11/2026" in e.message_en

    def schedule(meeting_id, on):
        cmd = ScheduleMeeting(meeting_id=meeting_id, org_unit_id="A", kind="regular", occurred_on=on,
                              planned_on=D(2026, 12, 10))
        return app.schedule_meeting(cell.store, cell.roster, cmd, Context(today=today))

    assert schedule("s1", today - dt.timedelta(days=1)) and schedule("s2", today)
    before = cell.store.head_position()
    with pytest.raises(DomainError) as exc:
        schedule("s3", today + dt.timedelta(days=1))
    assert exc.value.code == "date_in_future" and cell.store.head_position() == before
