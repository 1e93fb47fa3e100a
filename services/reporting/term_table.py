"""The term/year table of the directive's footnote 1 (DOMAIN.md §7.1, D0).

Counting rules: distinct organisations / members with at least one decision dated in the period
that stands on the as-of date (not annulled as known at the knowledge time, or annulled only after
the as-of date; a changed decision keeps its case); removals,
resignations, expulsions and admissions by their decision date.
"""
from __future__ import annotations

from services.reporting import daycount_queries
from services.reporting.daycounts import case_indicator
from services.reporting.periods import Period, change_pct
from services.reporting.view import View

INDICATORS = ("orgs_disciplined", "members_disciplined", "members_removed", "members_resigned",
              "members_expelled", "members_admitted")
LABELS_VI = {
    "orgs_disciplined": "Tổ chức đảng bị xử lý kỷ luật",
    "members_disciplined": "Đảng viên bị xử lý kỷ luật",
    "members_removed": "Đảng viên bị xóa tên",
    "members_resigned": "Đảng viên xin ra khỏi Đảng",
    "members_expelled": "Đảng viên bị khai trừ",
    "members_admitted": "Đảng viên được kết nạp",
}
MEMBER_FACT = {"members_removed": "member.removed", "members_resigned": "member.resigned",
               "members_expelled": "member.expelled", "members_admitted": "member.admitted"}


def key_of(indicator: str) -> str:
    """The counts' indicator of a term-table row (a member fact type, or a case's subject kind)."""
    return MEMBER_FACT.get(indicator) or case_indicator("org_unit" if indicator == "orgs_disciplined" else "member")


CASES = ("orgs_disciplined", "members_disciplined")


def counts(v: View, org: str | None, period: Period) -> dict[str, int]:
    """Every indicator for a subtree and period; from the counts in one pass when they serve ``v``."""
    p = period.capped(v.as_of)
    if p.end < p.start:
        return dict.fromkeys(INDICATORS, 0)
    counted = served_by_counts(v)
    got = daycount_queries.distinct_subjects_of(v, tuple(key_of(i) for i in counted), org, p) if counted else {}
    return {i: got[key_of(i)] if i in counted else count_from_facts(v, i, org, p) for i in INDICATORS}


def count(v: View, indicator: str, org: str | None, period: Period) -> int:
    """One indicator for a subtree and period, as of ``v.as_of`` and as known at ``v.known``."""
    p = period.capped(v.as_of)
    if p.end < p.start:
        return 0
    if from_counts(v, indicator):  # pre-aggregated per unit and day; not "as known at" an earlier time
        return daycount_queries.distinct_subjects(v, key_of(indicator), org, p)
    return count_from_facts(v, indicator, org, p)


def served_by_counts(v: View) -> list[str]:
    """The indicators the counts per unit and day can serve for ``v`` (``from_counts``), asked of
    the read model once for all of them rather than once per indicator."""
    if not daycount_queries.usable(v):
        return []
    annulled = any(i in CASES for i in INDICATORS) and daycount_queries.annulled_after(v)
    return [i for i in INDICATORS if not (annulled and i in CASES)]


def from_counts(v: View, indicator: str) -> bool:
    """Can the counts per unit and day serve ``indicator``? Not "as known at" an earlier time, and
    not for decisions when one was annulled after the as-of date (the counts leave annulled
    decisions out on every day; the view still counts it as in force then)."""
    return daycount_queries.usable(v) and (indicator not in CASES or not daycount_queries.annulled_after(v))


def count_from_facts(v: View, indicator: str, org: str | None, p: Period) -> int:
    """The same count read from the fact tables (any knowledge time); ``p`` already capped."""
    if indicator in ("orgs_disciplined", "members_disciplined"):
        kind = "org_unit" if indicator == "orgs_disciplined" else "member"
        cond, params = v.subtree("org_unit_id", org, on="decided_on")
        stands, stand_params = v.decision_stands()
        return v.scalar(
            f"SELECT COUNT(DISTINCT subject_id) FROM {v.t('cases')} WHERE subject_kind = ? "
            f"AND decided_on BETWEEN ? AND ? AND recorded_at <= ? AND {stands} "
            f"AND {cond}", [kind, p.start.isoformat(), p.end.isoformat(), v.known, *stand_params, *params])
    cond, params = v.subtree("org_unit_id", org, on="occurred_on")
    return v.scalar(
        f"SELECT COUNT(DISTINCT member_id) FROM {v.t('member_facts')} WHERE type = ? "
        f"AND occurred_on BETWEEN ? AND ? AND recorded_at <= ? AND {cond}",
        [MEMBER_FACT[indicator], p.start.isoformat(), p.end.isoformat(), v.known, *params])


def term_table(v: View, org: str | None, period: Period, compare: Period) -> dict:
    rows = []
    now, before = counts(v, org, period), counts(v, org, compare)
    for ind in INDICATORS:
        cur, prev = now[ind], before[ind]
        rows.append({"indicator": ind, "label_vi": LABELS_VI[ind], "value": cur, "previous": prev,
                     "change_pct": change_pct(cur, prev)})
    return {**v.meta("term", org, v.naming_day(period.start, period.end),
                     period=period.name, period_vi=period.label_vi(), compare=compare.name,
                     compare_vi=compare.label_vi()), "rows": rows}
