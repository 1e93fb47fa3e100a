"""A report as of a past day, as known at a past time, is what was recorded by then: facts of any
kind recorded later — member facts, discipline decisions and annulments, meetings and absences,
dues, targets, ratings — change none of its figures (DESIGN.md §2, both clocks)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import yearly
from services.reporting.queries import REPORTS
from shared.contracts.reporting import ReportQuery
from tests.unit.reporting.history import History

UTC = dt.timezone.utc
EARLY = dt.datetime(2025, 1, 10, 8, tzinfo=UTC)   # the base history is recorded then
KNOWN_AT = dt.datetime(2025, 6, 1, tzinfo=UTC)      # the reports are drawn as known then
LATE = dt.datetime(2025, 9, 1, 9, tzinfo=UTC)       # the late facts are recorded then
CELLS = ("C1", "C2")
MEMBERS = {cell: [f"{cell}M{i}" for i in range(6)] for cell in CELLS}


def base(h: History) -> None:
    add = lambda *a, **k: h.add(*a, recorded_at=EARLY, **k)  # noqa: E731
    add("org_unit.created", "2010-01-01", {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"})
    add("org_unit.created", "2010-01-01", {"org_unit_id": "D1", "name": "Huyện", "kind": "direct", "parent_id": "TN"},
        org_unit_id="D1")
    for cell in CELLS:
        add("org_unit.created", "2010-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}", "kind": "cell",
                                               "parent_id": "D1"}, org_unit_id=cell)
        for m in MEMBERS[cell]:
            add("member.admitted", "2015-03-02", {"member_id": m, "org_unit_id": cell, "full_name": "Nguyễn Văn A",
                                                  "birth_date": "1990-04-04", "sex": "male"}, org_unit_id=cell)
            add("member.recognized_official", "2016-03-02", {"member_id": m, "decided_on": "2016-03-05"},
                org_unit_id=cell)
        for month in range(1, 13):
            meeting(add, cell, dt.date(2024, month, 5), absent=MEMBERS[cell][:1])
    add("target.registered", "2021-01-15", {"org_unit_id": "D1", "period": "2020-2025",
                                             "indicator": "members_removed", "value": 3}, org_unit_id="D1")
    add("discipline.applied", "2024-03-10", {"case_id": "K1", "subject_kind": "member", "subject_id": "C1M1",
                                             "form": "reprimand", "violation_on": "2024-01-10"}, org_unit_id="C1")
    add("member.rated", "2024-12-20", {"member_id": "C1M2", "year": 2024, "rating": "good"}, org_unit_id="C1")
    add("dues.recorded", "2024-01-31", {"member_id": "C1M3", "month": "2024-01", "status": "paid"}, org_unit_id="C1")


def meeting(add, cell: str, on: dt.date, absent=()) -> None:
    mid = f"{cell}-{on:%Y-%m}"
    add("meeting.held", on.isoformat(), {"meeting_id": mid, "org_unit_id": cell, "kind": "regular",
                                         "duration_minutes": 120}, org_unit_id=cell)
    for m in absent:
        add("meeting.missed", on.isoformat(), {"meeting_id": mid, "org_unit_id": cell, "member_id": m,
                                               "excused": False}, org_unit_id=cell)


def late(h: History) -> None:
    """Facts of every kind about 2024 and early 2025, recorded after ``KNOWN_AT``."""
    add = lambda *a, **k: h.add(*a, recorded_at=LATE, **k)  # noqa: E731
    add("member.admitted", "2024-04-01", {"member_id": "C2N1", "org_unit_id": "C2", "full_name": "Trần Thị B",
                                          "birth_date": "2000-01-01", "sex": "female"}, org_unit_id="C2")
    add("member.removed", "2024-06-06", {"member_id": "C2M5", "ground": "abandoned_activity"}, org_unit_id="C2")
    add("member.transferred", "2024-07-07", {"member_id": "C1M5", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                             "kind": "official"}, org_unit_id="C1")
    add("member.died", "2024-08-08", {"member_id": "C2M4"}, org_unit_id="C2")
    add("member.exempted", "2024-02-01", {"member_id": "C2M3", "ground": "old_age"}, org_unit_id="C2")
    add("member.working_away_started", "2024-02-01", {"member_id": "C2M2", "place": "TP. Hồ Chí Minh"},
        org_unit_id="C2")
    add("member.rated", "2024-12-21", {"member_id": "C1M4", "year": 2024, "rating": "not_completed"},
        org_unit_id="C1")
    add("discipline.annulled", "2024-05-01", {"case_id": "K1"}, org_unit_id="C1")
    add("discipline.applied", "2024-09-10", {"case_id": "K2", "subject_kind": "member", "subject_id": "C2M1",
                                             "form": "warning", "violation_on": "2024-08-10"}, org_unit_id="C2")
    add("discipline.applied", "2024-09-11", {"case_id": "K3", "subject_kind": "org_unit", "subject_id": "C2",
                                             "form": "reprimand", "violation_on": "2024-08-11"}, org_unit_id="C2")
    for month in (3, 4, 5):
        for m in MEMBERS["C2"][:3]:
            add("meeting.missed", f"2024-{month:02d}-05", {"meeting_id": f"C2-2024-{month:02d}", "org_unit_id": "C2",
                                                           "member_id": m, "excused": False}, org_unit_id="C2")
    meeting(add, "C1", dt.date(2024, 12, 20), absent=MEMBERS["C1"][1:3])
    add("meeting.cancelled", "2024-09-05", {"meeting_id": "C2-2024-09", "org_unit_id": "C2"}, org_unit_id="C2")
    add("dues.recorded", "2024-02-29", {"member_id": "C1M3", "month": "2024-02", "status": "unpaid"},
        org_unit_id="C1")
    add("dues.waived", "2024-03-01", {"member_id": "C1M4", "month": "2024-03"}, org_unit_id="C1")
    add("target.withdrawn", "2024-02-15", {"org_unit_id": "D1", "period": "2020-2025"}, org_unit_id="D1")
    add("target.registered", "2024-02-16", {"org_unit_id": "C1", "period": "2024", "indicator": "admitted",
                                             "value": 2}, org_unit_id="C1")


QUERIES = {
    "term": dict(term="2020-2025"),
    "movement": dict(year=2024),
    "warnings": dict(year=2024),
    "evaluation": dict(year=2024),
    "meetings": dict(year=2024),
    "causes": dict(year=2024),
    "anomalies": dict(year=2024),
}


def reports(h: History, unit: str) -> dict:
    v = h.view(as_of=dt.date(2024, 12, 31), known_at=KNOWN_AT)
    out = {}
    for name, options in QUERIES.items():
        q = ReportQuery(org_unit_id=unit, as_of=dt.date(2024, 12, 31), known_at=KNOWN_AT, **options)
        out[name] = REPORTS[name](v, q)
    out["yearly"] = yearly.figures(v, unit if unit != "TN" else None, 2024)  # the document to the Standing Committee
    return out


@pytest.mark.parametrize("path", ["replay", "live"])
@pytest.mark.parametrize("unit", ["TN", "D1", "C1", "C2"])
def test_facts_recorded_later_change_no_report_as_known_before(tmp_path, unit, path):
    """``live``: the late facts reach a read model already built (the live projection);
    ``replay``: the read model is built from the whole history at once."""
    histories = {}
    for name, with_late in (("without", False), ("with", True)):
        h = History(tmp_path / name)
        base(h)
        if with_late:
            if path == "live":
                h.generations()
            late(h)
        histories[name] = h
    try:
        without, with_late = (reports(histories[n], unit) for n in ("without", "with"))
        for name in [*QUERIES, "yearly"]:
            assert with_late[name] == without[name], name
        # and the late facts do count once known (the test would prove nothing otherwise)
        views = [histories[n].view(as_of=dt.date(2024, 12, 31)) for n in ("without", "with")]
        for name, options in QUERIES.items():
            if name == "meetings" or (unit == "D1" and name == "warnings"):
                continue  # (meeting quality reads what the late facts do not carry; D1 has no warnings)
            q = ReportQuery(org_unit_id=unit, as_of=dt.date(2024, 12, 31), **options)
            assert REPORTS[name](views[0], q) != REPORTS[name](views[1], q), name
    finally:
        for h in histories.values():
            h.close()
