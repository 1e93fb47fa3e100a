"""Issue 14 rules in the reports, each at both sides of its edge: ground (a) counted in months,
removals without three such months, absent more than 3 meetings in a row (as the meetings service
judges it), the limitation period (a later violation restarts it; 29/02), and overdue lists as of
a past date."""
from __future__ import annotations

import datetime as dt

from services.meetings.quality import HeldMeeting, assess_year
from services.reporting.anomalies import anomalies
from services.reporting.meeting_quality import meeting_quality
from services.reporting.periods import parse_period
from services.reporting.early_warnings import warnings

D = dt.date


def world(h):
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy", "kind": "province"})
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "C1", "name": "Chi bộ 1", "kind": "grassroots_cell",
                                             "parent_id": "TN"})
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "C2", "name": "Chi bộ 2", "kind": "grassroots_cell",
                                             "parent_id": "TN"})
    for m in ("M1", "M2", "M3"):
        h.add("member.admitted", "2016-01-01", {"member_id": m, "org_unit_id": "C1", "full_name": "Trần Văn B",
                                                "birth_date": "1980-01-01", "sex": "male", "demobilised": "none"},
              org_unit_id="C1")


def absent(h, meeting_id, on, member="M1", excused=False):
    h.add("meeting.missed", on, {"meeting_id": meeting_id, "org_unit_id": "C1", "member_id": member,
                                 "excused": excused}, org_unit_id="C1")


def rows(report, name):
    return [r for r in report["rows"] if r.get("list", r.get("anomaly")) == name]


def test_unexcused_absences_are_counted_in_months(history):
    world(history)
    absent(history, "a1", "2025-03-05")
    absent(history, "a2", "2025-03-20")
    absent(history, "a3", "2025-04-05")
    r = rows(warnings(history.view(as_of=D(2025, 12, 31)), None, 2025), "unexcused_absences")
    assert [(x["member_id"], x["value"], x["level"]) for x in r] == [("M1", 2, "warning")]
    absent(history, "a4", "2025-05-05")
    r = rows(warnings(history.view(as_of=D(2025, 12, 31)), None, 2025), "unexcused_absences")
    assert [(x["value"], x["level"]) for x in r] == [(3, "removal_ground")]


def test_a_removal_for_abandoned_activity_needs_three_months(history):
    world(history)
    for i, day in enumerate(("2025-03-05", "2025-03-20", "2025-04-05", "2025-04-25")):
        absent(history, f"a{i}", day)  # four absences, two months
    absent(history, "b1", "2025-03-05", member="M2")
    absent(history, "b2", "2025-04-05", member="M2")
    absent(history, "b3", "2025-05-05", member="M2")
    history.add("member.removed", "2025-06-01", {"member_id": "M1", "ground": "abandoned_activity"})
    history.add("member.removed", "2025-06-01", {"member_id": "M2", "ground": "abandoned_activity"})
    found = rows(anomalies(history.view(as_of=D(2025, 12, 31)), None, parse_period("2025")), "removal_unbacked")
    assert [(x["subject_id"], x["value"], x["limit"]) for x in found] == [("M1", 2, 3)]


def test_absent_more_than_three_meetings_in_a_row_excused_or_not_as_the_meetings_service_judges(history):
    world(history)
    for i in range(7):
        history.add("member.admitted", "2016-01-01", {"member_id": f"P{i}", "org_unit_id": "C1",
                                                      "full_name": "Lê Thị C", "birth_date": "1985-01-01",
                                                      "sex": "female", "demobilised": "none"}, org_unit_id="C1")
    members = ["M1", "M2", "M3"] + [f"P{i}" for i in range(7)]
    held = []
    for month in range(1, 6):
        # M1 misses January–April with a valid reason, then attends; 9 of 10 present (90 % > 85 %)
        status = {m: "present" for m in members}
        if month <= 4:
            status["M1"] = "excused"
        att = tuple(sorted(status.items()))
        held.append(HeldMeeting(f"m{month}", "C1", "regular", D(2025, month, 5), 120, False, None, att))
        history.add("meeting.held", D(2025, month, 5), {
            "meeting_id": f"m{month}", "org_unit_id": "C1", "kind": "regular", "duration_minutes": 120,
            "attendance": [{"member_id": m, "status": s, **({"reason": "Ốm"} if s == "excused" else {})}
                           for m, s in att]}, org_unit_id="C1")
        if month <= 4:
            absent(history, f"m{month}", D(2025, month, 5).isoformat(), excused=True)
    by_service = [q.meets_standard for q in assess_year(held)]
    assert by_service == [True, True, True, False, True]  # the 4th absence in a row is "more than 3"
    row = next(r for r in meeting_quality(history.view(as_of=D(2025, 12, 31)), "TN", parse_period("2025"))["rows"]
               if r["org_unit_id"] == "C1")
    assert row["meetings_meeting_standard"] == sum(by_service) == 4
    assert row["meetings_absent_in_a_row"] == 1


def test_attendance_of_exactly_85_percent_is_not_above_85(history):
    world(history)
    att = [{"member_id": f"X{i}", "status": "present"} for i in range(17)]
    att += [{"member_id": f"Y{i}", "status": "excused", "reason": "Ốm"} for i in range(3)]
    history.add("meeting.held", "2025-02-05", {"meeting_id": "q1", "org_unit_id": "C2", "kind": "regular",
                                               "duration_minutes": 120, "attendance": att}, org_unit_id="C2")
    att2 = [{"member_id": f"X{i}", "status": "present"} for i in range(18)] + att[17:19]
    history.add("meeting.held", "2025-03-05", {"meeting_id": "q2", "org_unit_id": "C2", "kind": "regular",
                                               "duration_minutes": 120, "attendance": att2}, org_unit_id="C2")
    row = next(r for r in meeting_quality(history.view(as_of=D(2025, 12, 31)), "TN", parse_period("2025"))["rows"]
               if r["org_unit_id"] == "C2")
    assert row["meetings_meeting_standard"] == 1  # 17/20 = 85 % fails, 18/20 = 90 % meets


def case(h, cid, decided, violation, later=(), form="reprimand"):
    h.add("discipline.applied", decided, {"case_id": cid, "subject_kind": "member", "subject_id": "M1",
                                          "form": form, "violation_on": violation, "later_violations": list(later)},
          org_unit_id="C1")


def test_limitation_counts_from_the_latest_violation_and_handles_29_february(history):
    world(history)
    case(history, "K1", "2025-02-28", "2020-02-29")  # the last day of 5 years from 29/02/2020
    case(history, "K2", "2025-03-01", "2020-02-29")  # the day after
    case(history, "K3", "2025-06-01", "2019-01-10", later=["2021-06-01"])  # restarted by a later violation
    case(history, "K4", "2025-06-01", "2019-01-10")  # no later violation: past 5 years
    report = anomalies(history.view(as_of=D(2025, 12, 31)), None, parse_period("2025"))
    late = {x["label_vi"].split()[2] for x in rows(report, "past_limitation")}
    assert late == {"K2", "K4"}


def test_overdue_lists_as_of_a_past_date_keep_items_done_later(history):
    world(history)
    history.add("member.transferred", "2024-03-01", {"member_id": "M1", "from_org_unit_id": "C1",
                                                     "to_org_unit_id": "C2", "kind": "official"}, org_unit_id="C2")
    history.add("member.transfer_papers_presented", "2024-06-03", {"member_id": "M1", "org_unit_id": "C2"})
    history.add("member.remediation_planned", "2024-01-15", {"member_id": "M2", "year": 2023,
                                                             "due_on": "2024-06-30"})
    history.add("member.remediation_completed", "2024-08-01", {"member_id": "M2", "year": 2023})

    def listed(day, name):
        return [x["member_id"] for x in rows(warnings(history.view(as_of=day), None, day.year), name)]
    # papers: 30 working days from 1/3/2024 is 12/4/2024 (no holiday in between)
    assert listed(D(2024, 4, 12), "transfer_papers_overdue") == []
    assert listed(D(2024, 4, 13), "transfer_papers_overdue") == ["M1"]
    assert listed(D(2024, 6, 3), "transfer_papers_overdue") == []  # presented that day
    assert listed(D(2024, 6, 30), "remediation_overdue") == []
    assert listed(D(2024, 7, 1), "remediation_overdue") == ["M2"]
    assert listed(D(2024, 8, 1), "remediation_overdue") == []


def test_a_new_member_who_missed_the_class_is_listed(history):
    world(history)
    history.add("member.admitted", "2024-02-01", {"member_id": "N1", "org_unit_id": "C1", "full_name": "Võ Văn D",
                                                  "birth_date": "2000-01-01", "sex": "male", "demobilised": "none"},
                org_unit_id="C1")

    def listed(day):
        return [x["member_id"] for x in rows(warnings(history.view(as_of=day), None, day.year), "new_member_class_overdue")
                if x["member_id"] == "N1"]
    assert listed(D(2025, 2, 1)) == []  # 12 months: the last day
    assert listed(D(2025, 2, 2)) == ["N1"]
    history.add("member.new_member_class_completed", "2025-02-10", {"member_id": "N1"})
    assert listed(D(2025, 2, 9)) == ["N1"] and listed(D(2025, 2, 10)) == []


def test_a_cell_with_fewer_than_three_official_members_is_listed(history):
    world(history)  # M1–M3 admitted into C1 on 1/1/2016, probationary until recognised
    history.add("member.recognized_official", "2017-01-01", {"member_id": "M1", "decided_on": "2017-01-05"})
    history.add("member.recognized_official", "2017-01-01", {"member_id": "M2", "decided_on": "2017-01-05"})
    history.add("member.recognized_official", "2017-01-01", {"member_id": "M3", "decided_on": "2017-02-10"})

    def small(day):
        return {x["org_unit_id"]: x["value"] for x in rows(warnings(history.view(as_of=day), None, day.year),
                                                           "cell_below_minimum")}
    assert small(D(2017, 2, 9)) == {"C1": 2, "C2": 0}  # the day before the third recognition
    assert small(D(2017, 2, 10)) == {"C2": 0}  # the day of it: three official members
    history.add("member.died", "2018-03-01", {"member_id": "M2"})
    assert small(D(2018, 2, 28)) == {"C2": 0} and small(D(2018, 3, 1)) == {"C1": 2, "C2": 0}


def test_a_late_entry_is_counted_in_vietnamese_days_at_its_limit(history):
    """Late entry (DOMAIN.md §7.8): recorded more than 30 days after the fact, the days being those of
    Vietnam (UTC+7), as every date of the system is. A fact of 01/01/2025 recorded on 31/01 (30
    days) is on time, on 01/02 (31 days) late — even at 00:30 on 01/02 in Vietnam, which is still
    31/01 in UTC."""
    world(history)
    vn = dt.timezone(dt.timedelta(hours=7))
    recorded = {"M1": dt.datetime(2025, 1, 31, 23, 30, tzinfo=vn),   # 30 days: on time
                "M2": dt.datetime(2025, 2, 1, 0, 30, tzinfo=vn),     # 31 days: late (31/01 17:30 UTC)
                "M3": dt.datetime(2025, 2, 1, 12, 0, tzinfo=vn)}     # 31 days: late
    for member, at in recorded.items():
        history.add("member.new_member_class_completed", "2025-01-01", {"member_id": member}, org_unit_id="C1",
                    recorded_at=at.astimezone(dt.timezone.utc))
    found = rows(anomalies(history.view(as_of=D(2025, 12, 31)), None, parse_period("2025")), "late_entry")
    assert sorted((x["subject_id"], x["value"], x["limit"]) for x in found) == [("M2", 31, 30), ("M3", 31, 30)]


def test_a_removal_for_unpaid_dues_is_backed_only_by_months_still_unpaid(history):
    """Charter art. 8 ground (a), dues: a month recorded unpaid and then paid (a later record of the
    same month) no longer backs a removal, as the early-warning list no longer counts it."""
    world(history)
    late = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    for member in ("M1", "M2"):
        for month in ("2025-01", "2025-02", "2025-03"):
            history.add("dues.recorded", f"{month}-28", {"member_id": member, "month": month, "status": "unpaid"})
    history.add("dues.recorded", "2025-04-10", {"member_id": "M1", "month": "2025-03", "status": "paid"},
                recorded_at=late)
    for member in ("M1", "M2"):
        history.add("member.removed", "2025-06-01", {"member_id": member, "ground": "unpaid_dues"})
    view = history.view(as_of=D(2025, 12, 31))
    found = rows(anomalies(view, None, parse_period("2025")), "removal_unbacked")
    assert [(x["subject_id"], x["value"], x["limit"]) for x in found] == [("M1", 2, 3)]
    # as known before the payment was recorded, M1's removal was backed
    before = history.view(as_of=D(2025, 12, 31), known_at=late - dt.timedelta(seconds=1))
    assert rows(anomalies(before, None, parse_period("2025")), "removal_unbacked") == []


def test_a_removal_decided_early_in_a_year_is_backed_by_the_months_of_the_year_before(history):
    """A removal on ground (a) decided on 15/01/2026 for three months of unexcused absences in
    October–December 2025 is backed (the chi bộ and the committee decide after the year's end):
    the months of its own year to its date, or of the whole year before, whichever are more [I].
    Two months the year before and one this year are not three in a year."""
    world(history)
    for i, day in enumerate(("2025-10-05", "2025-11-05", "2025-12-05")):
        absent(history, f"a{i}", day)
    for i, day in enumerate(("2025-11-05", "2025-12-05", "2026-01-05")):
        absent(history, f"b{i}", day, member="M2")
    history.add("member.removed", "2026-01-15", {"member_id": "M1", "ground": "abandoned_activity"})
    history.add("member.removed", "2026-01-15", {"member_id": "M2", "ground": "abandoned_activity"})
    found = rows(anomalies(history.view(as_of=D(2026, 12, 31)), None, parse_period("2026")), "removal_unbacked")
    assert [(x["subject_id"], x["value"], x["limit"]) for x in found] == [("M2", 2, 3)]


def test_a_cells_year_counts_the_same_meetings_meeting_the_standard_in_the_meetings_service_and_the_reports(
        history):
    """HD 12 judges the regular meeting (DOMAIN §4): a thematic meeting (sinh hoạt chuyên đề) is
    counted as held, not as a meeting meeting the standard — the cell's year read from the meetings
    service and the district's meeting-quality report give the same figure."""
    from services.meetings.quality import cell_year

    world(history)
    everyone = tuple((m, "present") for m in ("M1", "M2", "M3"))
    meetings = []
    for mid, kind, on in (("r1", "regular", D(2025, 2, 5)), ("t1", "thematic", D(2025, 2, 20)),
                          ("r2", "regular", D(2025, 3, 5))):
        meetings.append(HeldMeeting(mid, "C1", kind, on, 120, False, None, everyone))
        history.add("meeting.held", on.isoformat(), {
            "meeting_id": mid, "org_unit_id": "C1", "kind": kind, "duration_minutes": 120,
            "attendance": [{"member_id": m, "status": s} for m, s in everyone]}, org_unit_id="C1")
    year = cell_year("C1", 2025, meetings, D(2025, 12, 31))
    row = next(r for r in meeting_quality(history.view(as_of=D(2025, 12, 31)), "TN", parse_period("2025"))["rows"]
               if r["org_unit_id"] == "C1")
    assert row["meetings_meeting_standard"] == 2  # the two regular meetings
    assert (year["meetings_meeting_standard"], year["meetings_assessed"]) == (2, 2)
    thematic = next(m for m in year["meetings"] if m["meeting_id"] == "t1")
    assert thematic["meets_standard"] is None  # not judged by HD 12's criteria


def test_a_year_over_the_meetings_service_and_the_report_owe_the_same_meetings(history):
    """Once the year is over, the meetings service's months and quarters without a meeting and the
    report's expected and held counts tell the same story (a month owes its meeting only once it
    has ended: on 31/12 December is still open to the meetings service, from 01/01 it is not)."""
    from services.meetings.quality import cell_year

    world(history)
    everyone = tuple((m, "present") for m in ("M1", "M2", "M3"))
    meetings = []
    for month in (1, 2, 4, 5, 7, 8, 10, 11, 12):  # no regular meeting in March, June, September
        on = D(2025, month, 28 if month != 12 else 31)
        kind = "thematic" if month == 12 else "regular"
        combined = month in (2, 5)  # the thematic meetings of Q1 and Q2; Q3 has none; Q4's on 31/12
        meetings.append(HeldMeeting(f"m{month}", "C1", kind, on, 120, combined, None, everyone))
        history.add("meeting.held", on.isoformat(), {
            "meeting_id": f"m{month}", "org_unit_id": "C1", "kind": kind, "duration_minutes": 120,
            "combined": combined, "attendance": [{"member_id": m, "status": s} for m, s in everyone]},
            org_unit_id="C1")
    row = next(r for r in meeting_quality(history.view(as_of=D(2025, 12, 31)), "TN", parse_period("2025"))["rows"]
               if r["org_unit_id"] == "C1")
    on_31 = cell_year("C1", 2025, meetings, D(2025, 12, 31))
    after = cell_year("C1", 2025, meetings, D(2026, 1, 1))
    assert (on_31["regular"]["months_without"], on_31["thematic"]["quarters_without"]) == ([3, 6, 9], [3])
    assert (after["regular"]["months_without"], after["thematic"]["quarters_without"]) == ([3, 6, 9, 12], [3])
    assert (row["regular_expected"], after["regular"]["expected"]) == (12, 12)
    assert (row["thematic_expected"], after["thematic"]["expected"]) == (4, 4)
    assert row["regular_held"] == after["regular"]["held"] == 8
    # one regular meeting a month at most: the months without are the meetings the report finds short
    assert len(after["regular"]["months_without"]) == row["regular_expected"] - row["regular_held"]
