"""Reports read from the pre-aggregated counts per unit and day (``daycounts``).

Used when the report counts everything recorded by now (no ``known_at``, or one at or after the
latest recording counted) and the generation has the counts; otherwise the report reads the fact
tables as before (``usable``). The term table's indicators, the headcount tree and the movement
table (Biểu 1) are served from here: a report reads rows per unit and day with a change, and the
tree of the day (``tree_cache``), not the members.
"""
from __future__ import annotations

from services.reporting import daycounts, tree_cache
from services.reporting.periods import ALL_KNOWN, Period
from services.reporting.schema import EVER
from services.reporting.view import View

def usable(v: View) -> bool:
    """Can ``v`` be answered from the counts? Yes for everything recorded, and "as known at" a
    time at or after the latest recording counted (the yearly report's "as known now"); not for
    an earlier moment: the counts hold every fact however late it was recorded."""
    if v.moved:  # facts placed again as known then (``known_units``): the counts hold where they count now
        return False
    built, latest = daycounts.built(v.db, v.prefix)
    return built and (v.known == ALL_KNOWN or latest is None or v.known >= latest)


def annulled_after(v: View) -> bool:
    """Was a decision annulled (as known now) after ``v``'s as-of date? Such a decision still
    stood that day, and the counts, which leave annulled decisions out, cannot say so."""
    return bool(v.q(f"SELECT 1 FROM {v.t('cases')} WHERE annulled_rec IS NOT NULL AND annulled_on > ? LIMIT 1",
                    (v.as_of.isoformat(),)))


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


# -- the movement table (Biểu 1) from the flows per unit and day --------------------------------------
IN_KINDS = ("admitted", "transferred_in")
OUT_KINDS = ("transferred_out", "died", "removed", "resigned", "expelled")
COLUMNS = ("opening", "closing", "admitted", "transferred_in", "moved_in", "internal_in", "moved_out",
           "internal_out", *OUT_KINDS)


def movement(v: View, units: list[str], a: str, b: str) -> dict[str, dict]:
    """The movement of each unit's subtree over [a, b] (ISO days), summed from the stints' starts,
    ends and running heads per unit and day — the same figures as cutting every stint by the
    tree (``membership``): on the structure as it stood, a unit's stints enter an ancestor's
    subtree by their own start or when the unit was moved in (its members that day), and leave by
    their own end or when it was moved out; moves between two units inside the subtree that day
    are internal. On today's tree nothing moves, and stints of no length count too."""
    flows: dict[str, list[tuple[str, str, str, str, int]]] = {}
    kinds = FLOW_KINDS_DATED if v.dated else FLOW_KINDS_CURRENT
    marks = ",".join("?" * len(kinds))
    for indicator, key, day, n in v.q(f"SELECT indicator, org_unit_id, day, n FROM {v.t('day_counts')} "
                                      f"WHERE indicator IN ({marks}) AND day BETWEEN ? AND ?", [*kinds, a, b]):
        unit, kind, other = key.split("|", 2)
        flows.setdefault(unit, []).append((indicator[:-1] if indicator.endswith("0") else indicator, day, kind,
                                           other or None, n))
    head_rows: dict[str, list[tuple[str, int]]] = {}
    before: dict[str, int] = {}  # unit → members at the start of day a (stints begun before, not ended before)
    for unit, day, n in v.q(f"SELECT org_unit_id, day, n FROM {v.t('day_counts')} WHERE indicator = ? AND day >= ? "
                            "AND day <= ?", (daycounts.HEAD, a, max(a, b))):
        head_rows.setdefault(unit, []).append((day, n))
    for unit, n in v.q(f"SELECT org_unit_id, SUM(n) FROM {v.t('day_counts')} WHERE indicator = ? AND day < ? "
                       "GROUP BY org_unit_id", (daycounts.HEAD, a)):
        before[unit] = int(n)

    def members_before(unit: str, day: str) -> int:
        """Stints of ``unit`` begun before ``day`` and not ended before it (``day`` ≥ a)."""
        return before.get(unit, 0) + sum(n for d, n in head_rows.get(unit, ()) if d < day)

    def ended_on(unit: str, day: str) -> int:
        return sum(n for what, d, _, _, n in flows.get(unit, ()) if what == "out" and d == day)

    holders = tree_cache.intervals(v)  # unit → [(ancestor, from, to)]
    held_by = tree_cache.holdings(v)  # ancestor → [(unit, from, to)]
    closing: dict[str, int] = {}  # unit → members at the end of day b
    if b >= a:
        for unit in set(before) | set(head_rows):
            closing[unit] = before.get(unit, 0) + sum(n for d, n in head_rows.get(unit, ()) if d <= b)
    out = {u: dict.fromkeys(COLUMNS, 0) for u in units}

    def held(anc: str, unit: str | None, day: str) -> bool:
        return unit is not None and any(x == anc and f <= day and (t is None or t > day)
                                        for x, f, t in holders.get(unit, ()))

    for anc in dict.fromkeys(units):
        row = out[anc]
        for unit, f, t in held_by.get(anc, ()):
            if f < a and (t is None or t >= a):  # held on the day before a
                row["opening"] += before.get(unit, 0)
            if f <= b and (t is None or t > b):  # held on b
                row["closing"] += closing.get(unit, 0) if b >= a else before_on(v, unit, b)
            if v.dated:  # the unit moved in / out of the subtree during the period: its members that day
                if a <= f <= b and f != EVER:
                    row["moved_in"] += members_before(unit, f) - ended_on(unit, f)
                if t is not None and a <= t <= b:
                    row["moved_out"] += members_before(unit, t) - ended_on(unit, t)
            for what, day, kind, other, n in flows.get(unit, ()):
                if what == "in" and f <= day and (t is None or t > day):
                    if kind in IN_KINDS:
                        row[kind] += n
                    elif kind == "moved":
                        row["internal_in" if held(anc, other, day) else "moved_in"] += n
                elif what == "out" and (f < day if v.dated else True) and (t is None or day <= t):
                    if kind in OUT_KINDS:
                        row[kind] += n
                    elif kind == "moved":
                        row["internal_out" if held(anc, other, day) else "moved_out"] += n
    return out


FLOW_KINDS_DATED = ("in", "out")
FLOW_KINDS_CURRENT = ("in", "out", "in0", "out0")


def before_on(v: View, unit: str, day: str) -> int:
    """Members of ``unit`` at the end of ``day`` (stints begun by then, not ended by then)."""
    return int(v.scalar(f"SELECT SUM(n) FROM {v.t('day_counts')} WHERE indicator = ? AND org_unit_id = ? "
                        "AND day <= ?", (daycounts.HEAD, unit, day)) or 0)
