"""Causes breakdown (D0; DOMAIN.md §7.6): removals, resignations, expulsions and disciplines by
member category and by years since admission, judged on each fact's own date.

The facts per period are few (hundreds per province-year), so they are loaded and bucketed here;
the categories need dated rules (youth age) and the member's situation on that day.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from shared.rules import rules_on

from services.reporting.known_records import records_as_known
from services.reporting.periods import Period, age_years
from services.reporting.view import View

OUTCOMES = ("removed", "resigned", "expelled", "disciplined")
CATEGORIES_VI = {"young": "Đảng viên trẻ", "army": "Quân nhân xuất ngũ", "police": "Công an xuất ngũ",
                 "working_away": "Đi làm ăn xa", "new_member": "Đảng viên mới kết nạp", "other": "Khác"}
SENIORITY = (("<1", 0, 0), ("1-2", 1, 2), ("3-5", 3, 5), ("6-10", 6, 10), (">10", 11, 10_000))


def categories(member: dict, on: dt.date, away: bool) -> list[str]:
    """Every category a member belonged to on ``on`` (a member may be young and working away)."""
    rules = rules_on(on)
    out = []
    # the age reached in the year of ``on`` (the read model keeps only the year of birth)
    if member.get("birth_year") and on.year - int(member["birth_year"]) <= rules.young_member_max_age:
        out.append("young")
    if member.get("demobilised") in ("army", "police"):
        out.append(member["demobilised"])
    if away:
        out.append("working_away")
    if member.get("admitted_on") and age_years(dt.date.fromisoformat(member["admitted_on"]), on) < rules.report_new_member_years:
        out.append("new_member")
    return out or ["other"]


def seniority(member: dict, on: dt.date) -> str:
    if not member.get("admitted_on"):
        return "unknown"
    years = age_years(dt.date.fromisoformat(member["admitted_on"]), on)
    return next(name for name, lo, hi in SENIORITY if lo <= years <= hi)


def causes(v: View, org: str | None, period: Period) -> dict:
    p = period.capped(v.as_of)
    a, b = p.start.isoformat(), p.end.isoformat()
    cond, params = v.subtree("org_unit_id", org, on="occurred_on")
    facts = [(m, kind.split(".")[1], on) for m, kind, on in v.q(
        f"SELECT member_id, type, occurred_on FROM {v.t('member_facts')} WHERE type IN "
        "('member.removed', 'member.resigned', 'member.expelled') AND occurred_on BETWEEN ? AND ? "
        f"AND recorded_at <= ? AND {cond}", [a, b, v.known, *params])]
    case_cond, case_params = v.subtree("org_unit_id", org, on="decided_on")
    stands, stand_params = v.decision_stands()
    facts += [(m, "disciplined", on) for m, on in v.q(
        f"SELECT subject_id, MIN(decided_on) FROM {v.t('cases')} WHERE subject_kind = 'member' "
        f"AND decided_on BETWEEN ? AND ? AND recorded_at <= ? AND {stands} "
        f"AND {case_cond} GROUP BY subject_id", [a, b, v.known, *stand_params, *case_params])]
    ids = sorted({f[0] for f in facts})
    members, away = _members(v, ids)
    by_cat: Counter = Counter()
    by_years: Counter = Counter()
    for member_id, outcome, on in facts:
        day = dt.date.fromisoformat(on)
        m = members.get(member_id, {})
        is_away = any(s <= on and (e is None or e > on) for s, e in away.get(member_id, []))
        for cat in categories(m, day, is_away):
            by_cat[(cat, outcome)] += 1
        by_years[(seniority(m, day), outcome)] += 1
    rows = [{"group": "category", "key": c, "label_vi": CATEGORIES_VI[c],
             **{o: by_cat[(c, o)] for o in OUTCOMES}} for c in CATEGORIES_VI]
    rows += [{"group": "years_since_admission", "key": k, "label_vi": f"Tuổi đảng {k} năm" if k != "unknown" else "Không rõ tuổi đảng",
              **{o: by_years[(k, o)] for o in OUTCOMES}} for k in [s[0] for s in SENIORITY] + ["unknown"]]
    return {**v.meta("causes", org, v.naming_day(period.start, period.end),
                     period=period.name, period_vi=period.label_vi()), "rows": rows}


def _members(v: View, ids: list[str]) -> tuple[dict, dict]:
    members = records_as_known(v, ids)
    away: dict[str, list] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for mid, kind, on in v.q(f"SELECT member_id, type, occurred_on FROM {v.t('member_facts')} WHERE member_id IN "
                                 f"({marks}) AND type IN ('member.working_away_started', 'member.working_away_ended') "
                                 "AND recorded_at <= ? ORDER BY member_id, occurred_on, recorded_at", [*chunk, v.known]):
            spans = away.setdefault(mid, [])
            if kind.endswith("started"):
                spans.append([on, None])
            elif spans and spans[-1][1] is None:
                spans[-1][1] = on
    return members, away
