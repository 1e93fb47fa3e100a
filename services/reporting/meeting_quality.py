"""Meeting quality per cell (DOMAIN.md §4, §7.5; HD 12-HD/BTCTW; D4).

Each regular meeting is judged when projected, by the rules dated at its own date: attendance
above the minimum rate, nobody absent without reason (HD 12) and, from 1/10/2025, the minimum
duration (HD 42), and nobody absent (even excused) more than 3 of the cell's meetings of that kind
in a row that year — counted as the meetings service's ``cell_quality`` counts it; committee-member
attendance (D7) is counted here.
"""
from __future__ import annotations

import datetime as dt

from shared.rules import rules_on

from services.reporting.periods import Period, percent
from services.reporting.view import MEMBER_HOLDING, View


def months_open(p: Period, created_on: str | None, closed_on: str | None,
                inside: list[tuple[str | None, str | None]] | tuple = ((None, None),)) -> int:
    """The calendar months of ``p`` in which the cell existed on at least one day: a cell is
    expected to meet only while it exists (created on ``created_on``, merged or dissolved on
    ``closed_on``, the first day it no longer exists) and, in a report on a subtree, only while it
    stood inside that subtree (``inside``: the intervals [since, until) it did, None open-ended) —
    a cell moved to another committee on 01/07 owes January–June to the one it left and
    July–December to the one it joined, as its meetings count in each."""
    months: set[int] = set()  # year × 12 + month − 1
    for since, until in inside:
        start = max(d for d in (p.start, _day(created_on), _day(since)) if d)
        ends = [d - dt.timedelta(days=1) for d in (_day(closed_on), _day(until)) if d]
        end = min([p.end, *ends])
        if end >= start:
            months.update(range(start.year * 12 + start.month - 1, end.year * 12 + end.month))
    return len(months)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text and text[:1].isdigit() else None


def inside_spans(v: View, org: str, cells: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    """Cell → the intervals [from, to) it stood inside ``org``'s subtree (the dated closure)."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    marks = ",".join("?" * len(cells))
    for cell, since, until in v.q(f"SELECT descendant, from_on, to_on FROM {v.t('dclosure')} "
                                  f"WHERE ancestor = ? AND descendant IN ({marks})", [org, *cells]):
        out.setdefault(cell, []).append((since, until))
    return out


def meeting_quality(v: View, org: str | None, period: Period) -> dict:
    p = period.capped(v.as_of)
    rules = rules_on(p.end)
    m = v.t("meetings")
    if org and v.dated:  # the cells inside in the period, each counted while it was inside
        inside = sorted(v.inside(org, p.start, max(p.start, p.end))) or [""]
        held, held_params = v.subtree("m.org_unit_id", org, on="m.held_on")
        cond, params = f"u.org_unit_id IN ({','.join('?' * len(inside))})", inside
    else:
        cond, params = v.subtree("u.org_unit_id", org)
        held, held_params = "1 = 1", []
    rows = v.q(
        f"SELECT u.org_unit_id, u.name, u.kind, u.created_on, u.dissolved_on, u.merged_on, "
        "SUM(CASE WHEN m.kind = 'regular' THEN 1 ELSE 0 END), SUM(CASE WHEN m.kind = 'thematic' THEN 1 ELSE 0 END), "
        "SUM(m.expected), SUM(m.present), SUM(m.unexcused), SUM(m.meets_standard), "
        "SUM(CASE WHEN m.kind = 'regular' AND m.duration_ok = 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.committee_attended = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.committee_attended IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN m.kind = 'regular' AND m.over_consecutive > 0 THEN 1 ELSE 0 END) "
        f"FROM {v.t('units')} u LEFT JOIN {m} m ON m.org_unit_id = u.org_unit_id AND m.held_on BETWEEN ? AND ? "
        f"AND m.recorded_at <= ? AND {held} WHERE u.kind IN (?, ?) AND {cond} "
        "AND (u.dissolved_on IS NULL OR u.dissolved_on > ?) AND (u.merged_on IS NULL OR u.merged_on > ?) "
        "AND (u.created_on IS NULL OR u.created_on <= ?) "
        "GROUP BY u.org_unit_id, u.name, u.kind, u.created_on, u.dissolved_on, u.merged_on "
        "ORDER BY u.name, u.org_unit_id",
        [p.start.isoformat(), p.end.isoformat(), v.known, *held_params, *MEMBER_HOLDING, *params,
         p.start.isoformat(), p.start.isoformat(), p.end.isoformat()])
    named_on = v.naming_day(period.start, period.end)
    names = v.names_then({r[0]: r[1] for r in rows}, named_on)
    spans = inside_spans(v, org, [r[0] for r in rows]) if org and v.dated and rows else None
    out = []
    for (uid, name, kind, created, dissolved, merged, regular, thematic, expected, present, unexcused, standard, short,
         overseer, noted, row_) in rows:
        expected, present = int(expected or 0), int(present or 0)
        months = months_open(p, created, min(filter(None, (dissolved, merged)), default=None),
                             spans.get(uid, ()) if spans is not None else ((None, None),))
        expected_regular = round(rules.meetings_regular_per_year * months / 12)
        expected_thematic = round(rules.meetings_thematic_per_year * months / 12)
        out.append({"org_unit_id": uid, "name": names[uid], "kind": kind,
                    "regular_held": int(regular or 0), "regular_expected": expected_regular,
                    "thematic_held": int(thematic or 0), "thematic_expected": expected_thematic,
                    "attendance_rate": percent(present, expected),
                    "unexcused": int(unexcused or 0), "meetings_meeting_standard": int(standard or 0),
                    "meetings_too_short": int(short or 0),
                    "meetings_absent_in_a_row": int(row_ or 0),
                    "committee_member_attended": int(overseer or 0), "committee_member_recorded": int(noted or 0)})
    return {**v.meta("meetings", org, named_on, period=period.name, period_vi=period.label_vi(),
                     standard_source=rules.source("meeting_attendance_min_rate")), "rows": out}
