"""Audit anomalies (DOMAIN.md §7.8): removals not backed by recorded facts, late entries, and
decisions past their statute of limitations — each judged by the rules dated on the fact's day."""
from __future__ import annotations

import datetime as dt

from shared.rules import rules_on

from shared.dates import add_years

from services.reporting.case_forms import form_as_known
from services.reporting.early_warnings import unpaid_months
from services.reporting.periods import Period, vn_date
from services.reporting.view import View

#: business dates are Vietnamese days: a fact recorded at 00:30 on 01/02 in Vietnam was recorded on
#: 01/02, though it is still 31/01 in UTC, the recording clock's zone
VN_TIME = dt.timezone(dt.timedelta(hours=7))


def recorded_day_vn(recorded_at: str) -> dt.date:
    """The Vietnamese day of a stored recording time (UTC text, 'Z')."""
    moment = dt.datetime.fromisoformat(recorded_at[:-1] + "+00:00" if recorded_at.endswith("Z") else recorded_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(VN_TIME).date()


def backing_months(v: View, member: str, day: dt.date, absences: bool) -> int:
    """The months that back a removal on ground (a) decided on ``day``, counted as the early
    warnings count them (months with an unexcused absence, or months whose dues stand unpaid):
    those of its own calendar year up to ``day``, or those of the whole year before when more — a
    removal decided in January for the three months of December's year is backed [I]."""
    def months(first: dt.date, last: dt.date) -> int:
        if absences:
            return int(v.scalar(
                f"SELECT COUNT(DISTINCT substr(occurred_on, 1, 7)) FROM {v.t('absences')} WHERE member_id = ? "
                "AND excused = 0 AND occurred_on BETWEEN ? AND ? AND recorded_at <= ?",
                (member, first.isoformat(), last.isoformat(), v.known)))
        return unpaid_months(v, first.isoformat()[:7], last.isoformat()[:7], member).get(member, 0)
    return max(months(dt.date(day.year, 1, 1), day), months(dt.date(day.year - 1, 1, 1), dt.date(day.year - 1, 12, 31)))


def anomalies(v: View, org: str | None, period: Period) -> dict:
    p = period.capped(v.as_of)
    a, b = p.start.isoformat(), p.end.isoformat()
    cond, params = v.subtree("org_unit_id", org, on="occurred_on")
    rows: list[dict] = []
    for member, on, unit, detail in v.q(
            f"SELECT member_id, occurred_on, org_unit_id, detail FROM {v.t('member_facts')} WHERE type = "
            f"'member.removed' AND occurred_on BETWEEN ? AND ? AND recorded_at <= ? AND {cond} "
            "AND (detail LIKE ? OR detail LIKE ?)",  # patterns as parameters: '%' is psycopg's placeholder mark
            [a, b, v.known, *params, "%abandoned_activity%", "%unpaid_dues%"]):
        day = dt.date.fromisoformat(on)
        limit = rules_on(day).removal_unexcused_months_in_year
        n = backing_months(v, member, day, "abandoned_activity" in detail)
        if n < limit:
            rows.append({"anomaly": "removal_unbacked", "subject_id": member, "org_unit_id": unit,
                         "occurred_on": vn_date(day), "value": n, "limit": limit,
                         "label_vi": f"Xóa tên với {n} tháng vi phạm được ghi nhận (cần {limit})"})
    late = []
    for table, date_col, id_col in (("member_facts", "occurred_on", "member_id"), ("cases", "decided_on", "subject_id")):
        t_cond, t_params = v.subtree("org_unit_id", org, on=date_col)
        late += v.q(f"SELECT {id_col}, {date_col}, recorded_at, org_unit_id FROM {v.t(table)} WHERE {date_col} "
                    f"BETWEEN ? AND ? AND recorded_at <= ? AND {t_cond}", [a, b, v.known, *t_params])
    for subject, on, rec, unit in late:
        day = dt.date.fromisoformat(on)
        lag = (recorded_day_vn(rec) - day).days
        if lag > rules_on(day).report_late_entry_days:
            rows.append({"anomaly": "late_entry", "subject_id": subject, "org_unit_id": unit,
                         "occurred_on": vn_date(day), "value": lag, "limit": rules_on(day).report_late_entry_days,
                         "label_vi": f"Ghi nhận muộn {lag} ngày"})
    cond, params = v.subtree("org_unit_id", org, on="decided_on")
    for case, kind, subject, form, forms, decided, violated, unit in v.q(
            f"SELECT case_id, subject_kind, subject_id, form, forms, decided_on, violation_on, org_unit_id "
            f"FROM {v.t('cases')} WHERE decided_on BETWEEN ? AND ? AND recorded_at <= ? AND violation_on IS NOT NULL "
            f"AND {cond}", [a, b, v.known, *params]):
        form = form_as_known(v.known, form, forms)
        day = dt.date.fromisoformat(decided)
        rules = rules_on(day)
        years = (rules.limitation_years_member if kind == "member" else rules.limitation_years_org_unit).get(form)
        violated_on = dt.date.fromisoformat(violated)
        # the limit runs to the same day ``years`` later (29/02 → 28/02), as the decision rule counts it
        if years is not None and day > add_years(violated_on, years):
            rows.append({"anomaly": "past_limitation", "subject_id": subject, "org_unit_id": unit,
                         "occurred_on": vn_date(day), "value": (day - violated_on).days // 365, "limit": years,
                         "label_vi": f"Quyết định {case} quá thời hiệu {years} năm"})
    return {**v.meta("anomalies", org, v.naming_day(period.start, period.end),
                     period=period.name, period_vi=period.label_vi()), "rows": rows}
