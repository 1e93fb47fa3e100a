"""Reports read from the pre-aggregated counts per unit and day (``daycounts``).

Used when the report counts everything recorded by now (no ``known_at``, or one at or after the
latest recording counted) and the generation has the counts; otherwise the report reads the fact
tables as before (``usable``). The term table's
indicators and the headcount tree are served from here; the movement table (Biểu 1) cuts each
stint by the dated closure to tell moves inside a subtree from moves across it, so it keeps
reading the stints.
"""
from __future__ import annotations

from services.reporting import daycounts, tree_cache
from services.reporting.periods import ALL_KNOWN, Period
from services.reporting.view import View

def usable(v: View) -> bool:
    """Can ``v`` be answered from the counts? Yes for everything recorded, and "as known at" a
    time at or after the latest recording counted (the yearly report's "as known now"); not for
    an earlier moment: the counts hold every fact however late it was recorded."""
    built, latest = daycounts.built(v.db, v.prefix)
    return built and (v.known == ALL_KNOWN or latest is None or v.known >= latest)


def _in_subtree(v: View, column: str, org: str | None, on: str) -> tuple[str, list]:
    """``v.subtree`` for rows of the counts: one indexed probe of the closure per row read (on
    ``current`` too, where ``IN (descendants)`` would probe the counts once per unit of the
    subtree, thousands of units for a province, for indicators with a handful of rows)."""
    if org and not v.dated:
        return (f"EXISTS (SELECT 1 FROM {v.t('closure')} sx WHERE sx.ancestor = ? AND sx.descendant = {column})",
                [org])
    return v.subtree(column, org, on=on)


def distinct_subjects(v: View, indicator: str, org: str | None, p: Period) -> int:
    """Distinct subjects with a fact of ``indicator`` dated in ``p`` in ``org``'s subtree (as it
    stood on the fact's day, or today's)."""
    return distinct_subjects_of(v, (indicator,), org, p)[indicator]


def distinct_subjects_of(v: View, indicators: tuple[str, ...], org: str | None, p: Period) -> dict[str, int]:
    """``distinct_subjects`` of several indicators at once: the single-fact subjects summed per
    unit and day in one pass over the period's rows, plus the few with several facts counted from
    the fact tables."""
    a, b = p.start.isoformat(), p.end.isoformat()
    cond, params = _in_subtree(v, "d.org_unit_id", org, "d.day")
    marks = ",".join("?" * len(indicators))
    out = dict.fromkeys(indicators, 0)
    for indicator, n in v.q(f"SELECT d.indicator, SUM(d.n) FROM {v.t('day_counts')} d WHERE d.indicator IN ({marks}) "
                            f"AND d.day BETWEEN ? AND ? AND {cond} GROUP BY d.indicator",
                            [*indicators, a, b, *params]):
        out[indicator] += int(n or 0)
    repeats = v.t("day_repeats")
    several = {r[0] for r in v.q(f"SELECT DISTINCT indicator FROM {repeats} WHERE indicator IN ({marks})",
                                 list(indicators))}
    for indicator in indicators:
        if indicator in several:
            out[indicator] += _repeated(v, indicator, org, a, b)
    return out


def _repeated(v: View, indicator: str, org: str | None, a: str, b: str) -> int:
    """Subjects with several facts of ``indicator`` (not in the counts), from the fact tables."""
    repeats = v.t("day_repeats")
    if indicator.startswith("case."):
        cond, params = v.subtree("f.org_unit_id", org, on="f.decided_on")
        return int(v.scalar(
            f"SELECT COUNT(DISTINCT f.subject_id) FROM {repeats} r CROSS JOIN {v.t('cases')} f "
            "WHERE r.indicator = ? AND f.subject_id = r.subject_id AND f.subject_kind = ? "
            f"AND f.decided_on BETWEEN ? AND ? AND f.annulled_rec IS NULL AND {cond}",
            [indicator, indicator[5:], a, b, *params]) or 0)
    cond, params = v.subtree("f.org_unit_id", org, on="f.occurred_on")
    return int(v.scalar(
        f"SELECT COUNT(DISTINCT f.member_id) FROM {repeats} r CROSS JOIN {v.t('member_facts')} f "
        "WHERE r.indicator = ? AND f.member_id = r.subject_id AND f.type = ? "
        f"AND f.occurred_on BETWEEN ? AND ? AND {cond}", [indicator, indicator, a, b, *params]) or 0)


def heads(v: View, units: list[str] | None = None) -> tuple[dict, dict]:
    """(own, total): members per unit on ``v.as_of``, and per unit with its subtree (as it stood
    that day, or today's tree), summed from the day's running counts of each unit over the tree
    of that day (``tree_cache``); of ``units`` only when given (a page of the tree)."""
    own = {u: int(n) for u, n in v.q(
        f"SELECT org_unit_id, n FROM (SELECT org_unit_id, SUM(n) AS n FROM {v.t('day_counts')} "
        f"WHERE indicator = '{daycounts.HEAD}' AND day <= ? GROUP BY org_unit_id) h WHERE n <> 0",
        (v.as_of.isoformat(),))}
    total: dict[str, int] = {}
    holders = tree_cache.ancestors(v)
    for unit, n in own.items():
        for a in holders.get(unit, ()):
            total[a] = total.get(a, 0) + n
    if units is not None:
        keep = set(units)
        own, total = ({u: n for u, n in d.items() if u in keep} for d in (own, total))
    return own, {u: n for u, n in total.items() if n}
