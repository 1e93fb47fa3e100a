"""The report queries of the ``ReportQuery`` family (term, movement, warnings, evaluation,
meetings, causes, anomalies): each is a function of the read model view and the query's options,
in one table the service answers through one dispatch (``ReportingService._report``)."""
from __future__ import annotations

import datetime as dt
from typing import Callable

from shared.dates import today_vn
from shared.contracts.reporting import ReportQuery

from services.reporting import (anomalies, causes, early_warnings, evaluation, meeting_quality, membership, paging,
                                term_table, warning_pages, warning_spans)
from services.reporting.periods import Period, choose_period, parse_period, previous
from services.reporting.view import View


def day_of(q: ReportQuery) -> dt.date | None:
    """The day a report on one day is drawn on: ``as_of``, else the end of the period given (not
    after today), else today."""
    if q.as_of is None and (q.term or q.year or q.from_ or q.to):
        today = today_vn()
        return min(choose_period(q.term, q.year, q.from_, q.to, today).end, today)
    return q.as_of


def period_of(q: ReportQuery, v: View) -> Period:
    return choose_period(q.term, q.year, q.from_, q.to, v.as_of)


def compare_of(q: ReportQuery, period: Period) -> Period:
    return parse_period(q.compare, "compare") if q.compare else previous(period)


def _term(v: View, q: ReportQuery) -> dict:
    period = period_of(q, v)
    return term_table.term_table(v, q.org_unit_id, period, compare_of(q, period))


def _evaluation(v: View, q: ReportQuery) -> dict:
    period = period_of(q, v)
    return evaluation.evaluation(v, q.org_unit_id, period, compare_of(q, period))


def _warnings(v: View, q: ReportQuery) -> dict:
    v.unit(q.org_unit_id)
    year = q.year or (period_of(q, v).end.year if (q.term or q.from_ or q.to) else None)
    if warning_spans.usable(v, year or v.as_of.year):  # pre-aggregated: a page, or the whole list in one pass
        if paging.wanted(q.page, q.page_size):
            return warning_spans.page(v, q.org_unit_id, year or v.as_of.year, q.page, q.page_size)
        return warning_pages.whole(v, q.org_unit_id, year or v.as_of.year)
    report = early_warnings.warnings(v, q.org_unit_id, year)
    if paging.wanted(q.page, q.page_size):
        report.update(paging.one_page(report["rows"], q.page, q.page_size))
    else:
        report["total"] = len(report["rows"])
    return report


def _over_period(report: Callable[[View, str | None, Period], dict]) -> Callable[[View, ReportQuery], dict]:
    """A report of one unit over the period the options choose."""
    return lambda v, q: report(v, q.org_unit_id, period_of(q, v))


#: report name (the RPC and the HTTP ``/reports/{name}``) → computation
REPORTS: dict[str, Callable[[View, ReportQuery], dict]] = {
    "term": _term,
    "movement": _over_period(membership.movement),
    "warnings": _warnings,
    "evaluation": _evaluation,
    "meetings": _over_period(meeting_quality.meeting_quality),
    "causes": _over_period(causes.causes),
    "anomalies": _over_period(anomalies.anomalies),
}
