"""Which decisions are in effect on a day (hiệu lực của quyết định kỷ luật; DOMAIN.md §5).

A decision applies from its date (an appeal does not suspend it). It stops having effect
``discipline_effect_months`` after its announcement if there was no appeal and no new violation
(Điều lệ Đảng, Điều 39) — expulsion and dissolution never lapse. Our readings, marked [I]:
- after an appeal, the months count from the day the appeal was resolved (upheld or changed);
  while an appeal is pending the decision does not lapse;
- a new violation is one disciplined in a later case of the same subject (any of its violations, not
  only its latest), committed after the announcement and before the lapse day (the first day it is
  out of effect); the earlier decision then lapses no earlier than the later one does;
- an annulled decision is out of effect from the annulment date on.
A dismissal bars election or appointment for ``dismissal_bar_months`` from its announcement; a
dismissal changed to another form bars it only until the change (the changed form replaces it).
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from shared.rules import Rules, rules_on

from shared.dates import add_months
from services.discipline.domain import PERMANENT, Case

NEVER = None


def own_lapse(case: Case, rules_for: Callable[[dt.date], Rules] = rules_on) -> dt.date | None:
    """The lapse day from this case alone; None when it does not lapse (permanent, appeal pending)."""
    if case.form in PERMANENT or case.appeal_pending:
        return NEVER
    base = case.appeal_resolved_on or case.announced_on
    return add_months(base, rules_for(base).discipline_effect_months)


def lapse_days(cases: list[Case], rules_for: Callable[[dt.date], Rules] = rules_on) -> dict[str, dt.date | None]:
    """The lapse day of each case of ONE subject, new violations taken into account."""
    live = [c for c in cases if not c.annulled_on]
    # later cases first, so each earlier case can see the final lapse day of what followed it
    out: dict[str, dt.date | None] = {c.case_id: NEVER for c in cases if c.annulled_on}
    for case in sorted(live, key=lambda c: c.decided_on, reverse=True):
        lapse = own_lapse(case, rules_for)
        if lapse is not NEVER:
            for later in live:
                if later.case_id == case.case_id or later.case_id not in out:
                    continue
                if any(case.announced_on < v < lapse for v in later.violations):
                    other = out[later.case_id]
                    lapse = NEVER if other is NEVER else max(lapse, other)
                    if lapse is NEVER:
                        break
        out[case.case_id] = lapse
    return out


def in_effect(cases: list[Case], day: dt.date, rules_for: Callable[[dt.date], Rules] = rules_on) -> list[dict]:
    """Rows for the cases in effect on ``day`` (cases of any number of subjects)."""
    by_subject: dict[tuple[str, str], list[Case]] = {}
    for c in cases:
        by_subject.setdefault((c.subject_kind, c.subject_id), []).append(c)
    rows = []
    for group in by_subject.values():
        lapses = lapse_days(group, rules_for)
        for c in group:
            if day < c.decided_on or (c.annulled_on and day >= c.annulled_on):
                continue
            lapse = lapses[c.case_id]
            if lapse is not NEVER and day >= lapse:
                continue
            rows.append(view(c, day, lapse, rules_for))
    return sorted(rows, key=lambda r: (r["decided_on"], r["case_id"]))


def election_barred_until(case: Case, rules_for: Callable[[dt.date], Rules] = rules_on) -> dt.date | None:
    if case.annulled_on or "dismissal" not in (case.original_form, case.form):
        return None
    until = add_months(case.announced_on, rules_for(case.announced_on).dismissal_bar_months)
    if case.form != "dismissal":  # a dismissal changed away (its first change: a change keeps no form
        until = min(until, case.changes[0][0])  # unchanged): the bar ends with it
    return until


def view(c: Case, day: dt.date | None = None, lapse: dt.date | None = None,
         rules_for: Callable[[dt.date], Rules] = rules_on) -> dict:
    bar = election_barred_until(c, rules_for)
    return {
        "case_id": c.case_id, "subject_kind": c.subject_kind, "subject_id": c.subject_id,
        "org_unit_id": c.org_unit_id, "form": c.form_on(day) if day else c.form,
        "original_form": c.original_form, "decided_on": c.decided_on.isoformat(),
        "announced_on": c.announced_on.isoformat(), "violation_on": c.violation_on.isoformat(),
        "appealed_on": c.appealed_on.isoformat() if c.appealed_on else None,
        "appeal_pending": c.appeal_pending,
        "annulled_on": c.annulled_on.isoformat() if c.annulled_on else None,
        "lapses_on": lapse.isoformat() if lapse else None,
        "election_barred_until": bar.isoformat() if bar else None,
    }
