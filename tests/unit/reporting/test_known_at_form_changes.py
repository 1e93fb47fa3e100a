"""A discipline decision whose form is changed later (``discipline.changed``: on appeal or by a
higher body's review) changes no report as known at a time before the change was recorded: the
yearly figures by form and the decisions past their statute of limitations, as known then, read
the form the decision had then (DESIGN.md §2, both clocks). As known at the very instant of a
change, and after it, they read the changed form; a case changed twice reads each change from its
own recording time."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import yearly
from services.reporting.anomalies import anomalies
from services.reporting.periods import parse_period
from tests.unit.reporting.history import History, history_on, province_and_cell

UTC = dt.timezone.utc
EARLY = dt.datetime(2024, 9, 10, 8, tzinfo=UTC)          # the decisions are recorded then
CHANGED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=UTC)     # the first changes are recorded then
AGAIN = dt.datetime(2025, 6, 1, 9, 30, tzinfo=UTC)       # K2 is changed a second time then
AS_OF = dt.date(2024, 12, 31)


def build(h: History, live: bool) -> None:
    early = dict(recorded_at=EARLY)
    province_and_cell(h, "2000-01-01", EARLY)
    for member in ("M1", "M2", "M3"):
        h.add("member.admitted", "2000-02-01", {"member_id": member, "org_unit_id": "C1", "full_name": "X",
                                                "birth_date": "1960-01-01", "sex": "male"}, org_unit_id="C1", **early)
    # K1: expelled for a violation 7 years before (no limit for an expulsion; 5 years for a reprimand)
    h.add("discipline.applied", "2024-03-10", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "expulsion", "violation_on": "2017-01-10"},
          org_unit_id="C1", **early)
    h.add("discipline.applied", "2024-04-10", {"case_id": "K2", "subject_kind": "member", "subject_id": "M2",
                                               "form": "warning", "violation_on": "2024-01-10"},
          org_unit_id="C1", **early)
    if live:
        h.generations()  # the read model is built before the changes reach it
    h.add("discipline.changed", "2024-05-10", {"case_id": "K1", "form": "reprimand"}, org_unit_id="C1",
          recorded_at=CHANGED)
    h.add("discipline.changed", "2024-05-11", {"case_id": "K2", "form": "reprimand"}, org_unit_id="C1",
          recorded_at=CHANGED)
    h.add("discipline.changed", "2024-06-11", {"case_id": "K2", "form": "dismissal"}, org_unit_id="C1",
          recorded_at=AGAIN)


def seen(h: History, known_at: dt.datetime | None) -> tuple[dict, list]:
    v = h.view(as_of=AS_OF, known_at=known_at)
    forms = {r["id"]: r["values"]["year"] for r in yearly.discipline_forms(v, None, parse_period("2024"))["rows"]
             if r["values"]["year"]}
    past = sorted(r["subject_id"] for r in anomalies(v, "TN", parse_period("2024"))["rows"]
                  if r["anomaly"] == "past_limitation")
    return forms, past


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("path", ["replay", "live"])
def test_a_form_changed_later_changes_no_report_as_known_before(tmp_path, path, database):
    with history_on(database, tmp_path) as h:
        build(h, live=path == "live")
        before = ({"member.expulsion": 1, "member.warning": 1}, [])
        assert seen(h, EARLY) == before
        assert seen(h, CHANGED - dt.timedelta(microseconds=1)) == before
        assert seen(h, CHANGED) == ({"member.reprimand": 2}, ["M1"])  # recorded at the very instant: known
        assert seen(h, AGAIN - dt.timedelta(microseconds=1)) == ({"member.reprimand": 2}, ["M1"])
        assert seen(h, AGAIN) == ({"member.reprimand": 1, "member.dismissal": 1}, ["M1"])
        assert seen(h, None) == ({"member.reprimand": 1, "member.dismissal": 1}, ["M1"])
