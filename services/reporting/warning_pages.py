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

import datetime as dt

from shared.rules import rules_on

from services.reporting.early_warnings import LISTS_VI
from services.reporting.periods import vn_date
from services.reporting.view import View
from services.reporting.warning_spans import (OVERDUE, SPANNING, YEARLY, _in_scope, _inline_groups, _names)

CHUNK = 500


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
    names = _names(v, {s[0] for spans in listed.values() for s in spans} | {k[1] for k in inline})
    groups: dict[tuple[str, str], list[dict]] = {
        k: [{**r, "unit_name": names.get(r["org_unit_id"], r["org_unit_id"]), "label_vi": LISTS_VI[r["list"]]}
            for r in rs] for k, rs in inline.items() if rs}
    for kind, spans in listed.items():
        label = LISTS_VI[kind]
        rows: list[dict] = []
        if kind in ("unexcused_absences", "unpaid_dues"):
            counts = _counts(v, kind, spans, first_day, day)
            by_unit = kind == "unexcused_absences"
            for unit, m, _, _ in spans:
                n = counts.get((m, unit) if by_unit else m, 0)
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
    return {**v.meta("warnings", org, year=year), "rows": out, "total": len(out)}


def _counts(v: View, kind: str, spans: list[tuple], first_day: str, day: str) -> dict:
    """Months of the year up to ``day`` counted for the listed members (as ``early_warnings``):
    per (member, unit) for the absences, per member for the dues."""
    members = sorted({s[1] for s in spans})
    out: dict = {}
    for i in range(0, len(members), CHUNK):
        chunk = members[i:i + CHUNK]
        marks = ",".join("?" * len(chunk))
        if kind == "unexcused_absences":  # a unit listed is in the tree all year (else it is inline)
            for m, unit, n in v.q(
                    f"SELECT a.member_id, a.org_unit_id, COUNT(DISTINCT substr(a.occurred_on, 1, 7)) "
                    f"FROM {v.t('absences')} a WHERE a.member_id IN ({marks}) AND a.excused = 0 "
                    "AND a.occurred_on BETWEEN ? AND ? GROUP BY a.member_id, a.org_unit_id",
                    [*chunk, first_day, day]):
                out[(m, unit)] = n
        else:
            d = v.t("dues")
            out.update(v.q(
                f"SELECT d.member_id, COUNT(*) FROM {d} d WHERE d.member_id IN ({marks}) AND d.month BETWEEN ? AND ? "
                f"AND d.recorded_at = (SELECT MAX(x.recorded_at) FROM {d} x WHERE x.member_id = d.member_id "
                "AND x.month = d.month) AND d.status = 'unpaid' GROUP BY d.member_id",
                [*chunk, first_day[:7], day[:7]]))
    return out
