"""The whole early-warning list read from the dated spans (issue 15): what an export, or the
list asked for without ``page``, answers — the rows of ``early_warnings.warnings`` in its order,
read in one pass over the spans that hold on the day (per list, by its index), not recomputed
from the fact tables.

The spans give the members of each (list, unit) group on the day and, for the lists of a due
date, the day it fell due; the months counted in a yearly list (unexcused absences, unpaid dues)
are read for the listed members only, a chunk at a time. The groups the spans cannot answer
(cells below the minimum, absences of units that moved in or out of the tree during the year)
come computed whole, as a page has them (``warning_spans._inline_groups``).
"""
from __future__ import annotations

import bisect
import datetime as dt

from shared.rules import rules_on

from services.reporting import tree_cache, warning_marks
from services.reporting.early_warnings import LISTS_VI, absent_months
from services.reporting.periods import vn_date
from services.reporting.view import View
from services.reporting.warning_spans import (CELLS, OFFICIAL, OVERDUE, SPANNING, YEARLY, _cell_groups,
                                              _group_sizes, _in_scope, _inline_groups, _moved_groups, _names, built)

CHUNK = 500


# -- the size of every group, kept in memory ----------------------------------------------------------
_KEPT = 32
#: (read model, tables, structure, tree, list's unit, year, day) → (spans' version, marks, groups, official)
_SIZES: dict[tuple, tuple] = {}


def forget() -> None:
    _SIZES.clear()


def sizes(v: View, org: str | None, year: int, end: dt.date) -> tuple[list, dict]:
    """([((list, unit), rows on ``end``)] in the list's order, the groups computed whole).

    The size of each group is a sum of ``warn_counts`` up to the day; the sums are kept in memory
    per (list's unit, year, day) with the spans' version and the units' marks they were read at.
    When the version moved on, only the units marked since (``warning_marks``) are summed again
    and put in their place in the order (cells below the minimum with them); the absences of units
    that moved during the year are computed again. A new epoch (a replay) or a change of the tree
    sums everything again."""
    day, first_day = end.isoformat(), f"{year:04d}-01-01"
    version = built(v.db, v.prefix)[2]
    tree = tree_cache.version(v)
    if version is None or tree is None:
        return _ordered(_group_sizes(v, org, day, first_day), _inline_groups(v, org, year, end))
    key = (id(v.db), v.prefix, v.t("units"), v.structure, tree, org, year, end)
    kept = _SIZES.get(key)
    if kept and kept.version == version:
        return kept.result
    marks = warning_marks.read(v.db, v.prefix)  # read after the version: a change in between is read again
    if kept and marks is not None and kept.marks is not None and \
            kept.marks[warning_marks.EPOCH] == marks[warning_marks.EPOCH]:
        changed = {u for u in marks.keys() | kept.marks.keys() if marks.get(u) != kept.marks.get(u)}
        state = kept.again(v, org, year, end, version, marks, changed)
    else:
        state = _Kept(version, marks, *_Kept.whole(v, org, year, end))
    _SIZES.pop(key, None)
    if len(_SIZES) >= _KEPT:
        _SIZES.pop(next(iter(_SIZES)))
    _SIZES[key] = state
    return state.result


def _ordered(groups: dict, inline: dict) -> tuple[list, dict]:
    return (sorted([(k, n) for k, n in groups.items() if n > 0 and k not in inline]
                   + [(k, len(r)) for k, r in inline.items() if r]), inline)


class _Kept:
    """The sizes of one list read at a version of the spans and the units' marks."""

    def __init__(self, version, marks, groups, official, cells, moved, order):
        self.version, self.marks, self.groups, self.official = version, marks, groups, official
        self.cells, self.moved, self.order = cells, moved, order
        self.result = (order, {**cells, **moved})

    def again(self, v: View, org: str | None, year: int, end: dt.date, version, marks, changed: set[str]) -> "_Kept":
        """The sizes with those of the ``changed`` units summed again, the others as kept."""
        if len(changed) > 64 and len(changed) * 8 > len(self.official):  # many units changed: all again
            return _Kept(version, marks, *_Kept.whole(v, org, year, end))
        groups, official = _resum(v, org, year, end.isoformat(), changed, self.groups, self.official)
        cells = {k: r for k, r in self.cells.items() if k[1] not in changed}
        cells.update(_cell_groups(v, org, end, official, only=changed))
        moved = _moved_groups(v, org, year, end)
        order = list(self.order)  # the pages being read keep theirs
        for k in [(kind, u) for u in changed for kind in SPANNING + YEARLY + (CELLS,)] + list(self.moved):
            i = bisect.bisect_left(order, (k,))
            if i < len(order) and order[i][0] == k:
                del order[i]
        for k in [(kind, u) for u in changed for kind in SPANNING + YEARLY]:
            if groups.get(k, 0) > 0 and k not in moved:
                bisect.insort(order, (k, groups[k]))
        for k, rows in [(k, r) for k, r in cells.items() if k[1] in changed] + list(moved.items()):
            if rows:
                bisect.insort(order, (k, len(rows)))
        return _Kept(version, marks, groups, official, cells, moved, order)

    @staticmethod
    def whole(v: View, org: str | None, year: int, end: dt.date) -> tuple:
        """(groups, official, cells, moved, order) summed for every unit."""
        day = end.isoformat()
        groups = _group_sizes(v, org, day, f"{year:04d}-01-01")
        official = {u: int(n) for u, n in v.q(f"SELECT org_unit_id, SUM(n) FROM {v.t('warn_counts')} WHERE kind = ? "
                                              "AND day <= ? GROUP BY org_unit_id", (OFFICIAL, day))}
        cells, moved = _cell_groups(v, org, end, official), _moved_groups(v, org, year, end)
        return groups, official, cells, moved, _ordered(groups, {**cells, **moved})[0]


def _resum(v: View, org: str | None, year: int, day: str, changed: set[str], groups: dict,
           official: dict) -> tuple[dict, dict]:
    """The kept sizes with those of the ``changed`` units summed again."""
    groups = {k: n for k, n in groups.items() if k[1] not in changed}
    official = {u: n for u, n in official.items() if u not in changed}
    in_scope = _in_scope(v, org, dt.date.fromisoformat(day))
    kinds = {k if k not in YEARLY else f"{k}/{year:04d}": k for k in SPANNING + YEARLY}
    units = sorted(u for u in changed if u)
    for i in range(0, len(units), CHUNK):
        chunk = units[i:i + CHUNK]
        for counted, unit, n in v.q(
                f"SELECT kind, org_unit_id, SUM(n) FROM {v.t('warn_counts')} WHERE kind IN "
                f"({','.join('?' * (len(kinds) + 1))}) AND org_unit_id IN ({','.join('?' * len(chunk))}) "
                "AND day <= ? GROUP BY kind, org_unit_id", [*kinds, OFFICIAL, *chunk, day]):
            if counted == OFFICIAL:
                official[unit] = int(n)
            elif n and in_scope(unit):
                groups[(kinds[counted], unit)] = int(n)
    return groups, official


def whole(v: View, org: str | None, year: int) -> dict:
    """``early_warnings.warnings(v, org, year)`` with its ``total``, from the spans (for a view
    and year ``warning_spans.usable`` accepts)."""
    end = min(dt.date(year, 12, 31), v.as_of)
    day, first_day = end.isoformat(), f"{year:04d}-01-01"
    in_scope = _in_scope(v, org, end)
    inline = _inline_groups(v, org, year, end)
    limit = rules_on(end).removal_unexcused_months_in_year
    listed: dict[str, list[tuple]] = {}
    for kind in SPANNING + YEARLY:
        spans = [(unit, m, due, a) for unit, m, due, a in v.q(
            f"SELECT org_unit_id, member_id, due_on, from_on FROM {v.t('warn_spans')} WHERE kind = ? "
            "AND from_on <= ? AND (to_on IS NULL OR to_on > ?)", (kind, day, day))
            if (kind, unit) not in inline and in_scope(unit)]
        spans.sort(key=lambda r: (r[0], r[1], r[2] or "", r[3]))
        listed[kind] = spans
    named_on = v.naming_day(dt.date(year, 1, 1), dt.date(year, 12, 31))
    names = _names(v, {s[0] for spans in listed.values() for s in spans} | {k[1] for k in inline}, named_on)
    groups: dict[tuple[str, str], list[dict]] = {
        k: [{**r, "unit_name": names.get(r["org_unit_id"], r["org_unit_id"]), "label_vi": LISTS_VI[r["list"]]}
            for r in rs] for k, rs in inline.items() if rs}
    for kind, spans in listed.items():
        label = LISTS_VI[kind]
        rows: list[dict] = []
        if kind in ("unexcused_absences", "unpaid_dues"):
            counts = _counts(v, kind, spans, first_day, day)
            for unit, m, _, _ in spans:
                n = counts.get(m, 0)
                rows.append({"list": kind, "member_id": m, "org_unit_id": unit, "value": n,
                             "level": "removal_ground" if n >= limit else "warning",
                             "unit_name": names.get(unit, unit), "label_vi": label})
        elif kind == "not_complete_twice":
            rows = [{"list": kind, "member_id": m, "org_unit_id": unit, "value": 2, "level": "screening",
                     "unit_name": names.get(unit, unit), "label_vi": label} for unit, m, _, _ in spans]
        else:
            level = "overdue" if kind in OVERDUE else "warning"
            since: dict[str, tuple[int, str]] = {}  # due day → (days past it, its Vietnamese form)
            for unit, m, due, _ in spans:
                if due not in since:
                    d = dt.date.fromisoformat(due)
                    since[due] = ((end - d).days, vn_date(d))
                past, vn = since[due]
                rows.append({"list": kind, "member_id": m, "org_unit_id": unit, "value": past, "level": level,
                             "since": vn, "unit_name": names.get(unit, unit), "label_vi": label})
        at = 0
        while at < len(rows):  # the spans come by unit: one group per run
            unit, nxt = spans[at][0], at
            while nxt < len(rows) and spans[nxt][0] == unit:
                nxt += 1
            groups[(kind, unit)] = rows[at:nxt]
            at = nxt
    out = [r for k in sorted(groups) for r in groups[k]]
    return {**v.meta("warnings", org, named_on, year=year), "rows": out, "total": len(out)}


def _counts(v: View, kind: str, spans: list[tuple], first_day: str, day: str) -> dict:
    """Months of the year up to ``day`` counted for the listed members (as ``early_warnings``):
    per member, in any unit (a member who moved cells keeps the year's months)."""
    members = sorted({s[1] for s in spans})
    if kind == "unexcused_absences":
        return absent_months(v, members, first_day, day)
    out: dict = {}
    for i in range(0, len(members), CHUNK):
        chunk = members[i:i + CHUNK]
        marks = ",".join("?" * len(chunk))
        d = v.t("dues")
        out.update(v.q(
            f"SELECT d.member_id, COUNT(*) FROM {d} d WHERE d.member_id IN ({marks}) AND d.month BETWEEN ? AND ? "
            f"AND d.recorded_at = (SELECT MAX(x.recorded_at) FROM {d} x WHERE x.member_id = d.member_id "
            "AND x.month = d.month) AND d.status = 'unpaid' GROUP BY d.member_id",
            [*chunk, first_day[:7], day[:7]]))
    return out
