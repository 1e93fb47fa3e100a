"""Evaluation criteria (D4, D7; DOMAIN.md §6, §7.7): actual vs target per unit and period, change
vs the previous period, and the organisation rating rule (not complete when its leadership was
disciplined or more than the dated share of its sub-units were)."""
from __future__ import annotations

from shared.rules import rules_on

from services.reporting import term_table
from services.reporting.periods import Period, change_pct, percent, previous
from services.reporting.view import View

TARGETED = ("orgs_disciplined", "members_disciplined", "members_removed", "members_resigned")


def met(actual: int, target: int | None) -> bool | None:
    """A target is a maximum (Đề án 02/03-ĐA/TU limit or reduce); no target → not judged."""
    return None if target is None else actual <= target


def target_of(v: View, org: str | None, period: Period, indicator: str) -> int | None:
    """The latest registration known at the knowledge time."""
    rows = v.q(f"SELECT value FROM {v.t('targets')} WHERE org_unit_id = ? AND period = ? AND indicator = ? "
               "AND recorded_at <= ? ORDER BY recorded_at DESC LIMIT 1", (org, period.name, indicator, v.known))
    return rows[0][0] if rows else None


def org_disciplined(v: View, org: str, period: Period, under: str | None = None) -> bool:
    """Was ``org`` disciplined by a decision dated in the period (standing in the view) — while it
    stood inside ``under``'s subtree, when given (as the structure stood on the decision's date,
    or in today's tree on the current structure)?"""
    p = period.capped(v.as_of)
    stands, params = v.decision_stands()
    inside, inside_params = v.subtree("org_unit_id", under, on="decided_on")
    return bool(v.scalar(f"SELECT COUNT(*) FROM {v.t('cases')} WHERE subject_kind = 'org_unit' AND subject_id = ? "
                         f"AND decided_on BETWEEN ? AND ? AND recorded_at <= ? AND {stands} AND {inside}",
                         (org, p.start.isoformat(), p.end.isoformat(), v.known, *params, *inside_params)))


def rating_rule(v: View, org: str, period: Period) -> dict:
    """A sub-unit counts as disciplined for ``org`` when the decision came while it was ``org``'s
    (a cell moved to another committee and disciplined there weighs on that one)."""
    p = period.capped(v.as_of)
    subs = v.children(org, p.start, max(p.start, p.end))
    hit = sum(1 for s in subs if org_disciplined(v, s["org_unit_id"], period, under=org))
    share = hit / len(subs) if subs else 0.0  # the limit is compared exactly: 1 of 5 is not above 20 %
    limit = rules_on(period.capped(v.as_of).end).org_not_complete_disciplined_share
    leadership = org_disciplined(v, org, period)
    return {"sub_units": len(subs), "sub_units_disciplined": hit, "share_pct": percent(hit, len(subs)) or 0.0,
            "leadership_disciplined": leadership,
            "not_complete": leadership or share > limit}


def evaluation(v: View, org: str | None, period: Period, compare: Period | None = None) -> dict:
    compare = compare or previous(period)
    p = period.capped(v.as_of)
    units = ([v.unit(org, max(p.start, p.end))] if org else []) + v.children(org, p.start, max(p.start, p.end))
    rows, ratings = [], []
    for u in units:
        uid = u["org_unit_id"]
        for ind in TARGETED:
            actual = term_table.count(v, ind, uid, period)
            prev = term_table.count(v, ind, uid, compare)
            target = target_of(v, uid, period, ind)
            rows.append({"org_unit_id": uid, "name": u["name"], "indicator": ind,
                         "label_vi": term_table.LABELS_VI[ind], "actual": actual, "target": target,
                         "met": met(actual, target), "previous": prev, "change_pct": change_pct(actual, prev)})
        ratings.append({"org_unit_id": uid, "name": u["name"], **rating_rule(v, uid, period)})
    return {**v.meta("evaluation", org, v.naming_day(period.start, period.end),
                     period=period.name, period_vi=period.label_vi(), compare=compare.name),
            "rows": rows, "ratings": ratings}
