"""Membership movement (Biểu 1, HD 11-HD/BTCTW 2021; DOMAIN.md §7.2), reconciled per unit.

Computed from dated membership stints (member, unit, from, to, with the recording time of each
end): every stint adds one at its start and removes one at its end, so
opening + admitted + transferred_in + moved_in − transferred_out − died − removed − resigned −
expelled − moved_out = closing holds by construction for any unit, period and knowledge time.
Moves between two units inside the same subtree cancel and are not shown. Counting everything
recorded, the figures are summed from the stints' starts and ends per unit and day kept by the
projection (``daycount_queries.movement``); as known at an earlier time, from the stints.
"""
from __future__ import annotations

from services.reporting import daycount_queries, daycounts, paging, tree_cache
from services.reporting.periods import Period
from services.reporting.view import View

FLOWS_IN = ("admitted", "transferred_in", "moved_in")
FLOWS_OUT = ("transferred_out", "died", "removed", "resigned", "expelled", "moved_out")
LABELS_VI = {"opening": "Đầu kỳ", "admitted": "Kết nạp", "transferred_in": "Chuyển đến",
             "moved_in": "Chuyển từ đơn vị khác trong tỉnh", "transferred_out": "Chuyển đi",
             "died": "Từ trần", "removed": "Xóa tên", "resigned": "Xin ra khỏi Đảng", "expelled": "Khai trừ",
             "moved_out": "Chuyển sang đơn vị khác trong tỉnh", "closing": "Cuối kỳ"}


def movement_of(v: View, units: list[str], period: Period) -> dict[str, dict]:
    """Movement of each unit's subtree in one aggregate query over stints × closure."""
    if not units:
        return {}
    if daycount_queries.usable(v) and daycounts.flows_built(v.db, v.prefix):  # summed per unit and day
        p = period.capped(v.as_of)
        return daycount_queries.movement(v, units, p.start.isoformat(), p.end.isoformat())
    return movement_from_stints(v, units, period)


def movement_from_stints(v: View, units: list[str], period: Period) -> dict[str, dict]:
    """``movement_of`` read from the stints (any knowledge time)."""
    if v.dated:
        return _movement_as_stood(v, units, period)
    p = period.capped(v.as_of)
    a, b, k = p.start.isoformat(), p.end.isoformat(), v.known
    s, c = v.t("stints"), v.t("closure")
    outside_from = f"NOT EXISTS (SELECT 1 FROM {c} x WHERE x.ancestor = c.ancestor AND x.descendant = s.from_unit)"
    outside_to = f"NOT EXISTS (SELECT 1 FROM {c} x WHERE x.ancestor = c.ancestor AND x.descendant = s.to_unit)"
    started = "s.from_on BETWEEN ? AND ?"
    ended = "(s.to_on BETWEEN ? AND ? AND s.to_rec <= ?)"
    cols = [
        ("opening", "s.from_on < ? AND NOT (s.to_on IS NOT NULL AND s.to_on < ? AND s.to_rec <= ?)", [a, a, k]),
        ("closing", "s.from_on <= ? AND NOT (s.to_on IS NOT NULL AND s.to_on <= ? AND s.to_rec <= ?)", [b, b, k]),
        ("admitted", f"{started} AND s.from_kind = 'admitted'", [a, b]),
        ("transferred_in", f"{started} AND s.from_kind = 'transferred_in'", [a, b]),
        ("moved_in", f"{started} AND s.from_kind = 'moved' AND {outside_from}", [a, b]),
        ("internal_in", f"{started} AND s.from_kind = 'moved' AND NOT {outside_from}", [a, b]),
        ("moved_out", f"{ended} AND s.to_kind = 'moved' AND {outside_to}", [a, b, k]),
        ("internal_out", f"{ended} AND s.to_kind = 'moved' AND NOT {outside_to}", [a, b, k]),
    ] + [(kind, f"{ended} AND s.to_kind = '{kind}'", [a, b, k]) for kind in FLOWS_OUT if kind != "moved_out"]
    select = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for _, cond, _ in cols)
    params = [x for _, _, ps in cols for x in ps]
    marks = ",".join("?" * len(units))
    rows = v.q(f"SELECT c.ancestor, {select} FROM {s} s JOIN {c} c ON c.descendant = s.org_unit_id "
               f"WHERE c.ancestor IN ({marks}) AND s.from_rec <= ? GROUP BY c.ancestor",
               params + list(units) + [k])
    names = [n for n, _, _ in cols]
    out = {u: {n: 0 for n in names} for u in units}
    for r in rows:
        out[r[0]] = {n: int(x or 0) for n, x in zip(names, r[1:])}
    return out


def _movement_as_stood(v: View, units: list[str], period: Period) -> dict[str, dict]:
    """Each stint cut to the days its unit stood inside the ancestor (dated closure): it enters
    the subtree by its own start or when its unit was moved in, and leaves by its own end or when
    its unit was moved out (counted as moved in / out), so every unit and period reconciles."""
    p = period.capped(v.as_of)
    a, b, k = p.start.isoformat(), p.end.isoformat(), v.known
    s, dc = v.t("stints"), v.t("dclosure")
    ends = "CASE WHEN s.to_on IS NOT NULL AND s.to_rec <= ? THEN s.to_on END"
    inner = (
        "SELECT x.ancestor AS anc, "
        "CASE WHEN s.from_on >= x.from_on THEN s.from_on ELSE x.from_on END AS b_on, "
        "CASE WHEN s.from_on >= x.from_on THEN s.from_kind ELSE 'structure' END AS b_kind, s.from_unit AS b_unit, "
        f"CASE WHEN ({ends}) IS NULL THEN x.to_on WHEN x.to_on IS NULL THEN ({ends}) "
        f"WHEN ({ends}) <= x.to_on THEN ({ends}) ELSE x.to_on END AS e_on, "
        f"CASE WHEN ({ends}) IS NOT NULL AND (x.to_on IS NULL OR ({ends}) <= x.to_on) THEN s.to_kind "
        "ELSE 'structure' END AS e_kind, s.to_unit AS e_unit "
        f"FROM {s} s JOIN {dc} x ON x.descendant = s.org_unit_id "
        f"WHERE x.ancestor IN ({','.join('?' * len(units))}) AND s.from_rec <= ? "
        f"AND (s.to_on IS NULL OR s.to_rec > ? OR s.to_on > x.from_on) AND (x.to_on IS NULL OR x.to_on > s.from_on)")
    inner_params = [k] * 6 + list(units) + [k, k]
    # was the other end of a move inside the same ancestor that day? then it is internal
    outside_b = (f"NOT EXISTS (SELECT 1 FROM {dc} y WHERE y.ancestor = t.anc AND y.descendant = t.b_unit "
                 "AND y.from_on <= t.b_on AND (y.to_on IS NULL OR y.to_on > t.b_on))")
    outside_e = (f"NOT EXISTS (SELECT 1 FROM {dc} y WHERE y.ancestor = t.anc AND y.descendant = t.e_unit "
                 "AND y.from_on <= t.e_on AND (y.to_on IS NULL OR y.to_on > t.e_on))")
    started = "t.b_on BETWEEN ? AND ?"
    ended = "t.e_on BETWEEN ? AND ?"
    cols = [
        ("opening", "t.b_on < ? AND NOT (t.e_on IS NOT NULL AND t.e_on < ?)", [a, a]),
        ("closing", "t.b_on <= ? AND NOT (t.e_on IS NOT NULL AND t.e_on <= ?)", [b, b]),
        ("admitted", f"{started} AND t.b_kind = 'admitted'", [a, b]),
        ("transferred_in", f"{started} AND t.b_kind = 'transferred_in'", [a, b]),
        ("moved_in", f"{started} AND (t.b_kind = 'structure' OR (t.b_kind = 'moved' AND {outside_b}))", [a, b]),
        ("internal_in", f"{started} AND t.b_kind = 'moved' AND NOT {outside_b}", [a, b]),
        ("moved_out", f"{ended} AND (t.e_kind = 'structure' OR (t.e_kind = 'moved' AND {outside_e}))", [a, b]),
        ("internal_out", f"{ended} AND t.e_kind = 'moved' AND NOT {outside_e}", [a, b]),
    ] + [(kind, f"{ended} AND t.e_kind = '{kind}'", [a, b]) for kind in FLOWS_OUT if kind != "moved_out"]
    select = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for _, cond, _ in cols)
    params = [x for _, _, ps in cols for x in ps]
    rows = v.q(f"SELECT t.anc, {select} FROM ({inner}) t WHERE t.e_on IS NULL OR t.e_on > t.b_on GROUP BY t.anc",
               params + inner_params)
    names = [n for n, _, _ in cols]
    out = {u: {n: 0 for n in names} for u in units}
    for r in rows:
        out[r[0]] = {n: int(x or 0) for n, x in zip(names, r[1:])}
    return out


def reconciles(row: dict) -> bool:
    inflow = sum(row[k] for k in FLOWS_IN) + row.get("internal_in", 0)
    outflow = sum(row[k] for k in FLOWS_OUT) + row.get("internal_out", 0)
    return row["opening"] + inflow - outflow == row["closing"]


def movement(v: View, org: str | None, period: Period) -> dict:
    """The chosen unit (or the province roots) and one row per direct sub-unit (drill-down, D7)."""
    p = period.capped(v.as_of)
    targets = ([v.unit(org, max(p.start, p.end))] if org else []) + v.children(org, p.start, max(p.start, p.end))
    figures = movement_of(v, [u["org_unit_id"] for u in targets], period)
    rows = []
    for i, u in enumerate(targets):
        f = figures[u["org_unit_id"]]
        row = {"org_unit_id": u["org_unit_id"], "name": u["name"], "kind": u["kind"],
               "level": 0 if (org and i == 0) else 1,
               **{k: f[k] for k in ("opening", *FLOWS_IN, *FLOWS_OUT, "closing")}}
        row["reconciles"] = reconciles({**row, "internal_in": f["internal_in"], "internal_out": f["internal_out"]})
        rows.append(row)
    return {**v.meta("movement", org, v.naming_day(period.start, period.end),
                     period=period.name, period_vi=period.label_vi()), "rows": rows}


def headcount(v: View, org: str | None) -> list[dict]:
    """Members per unit on ``v.as_of`` (own and with the subtree), top-down: the tree as it stood
    that day (units not yet ended, under the parent they had), or today's tree on ``current``."""
    units = tree_order(v, org)
    own, total = _heads(v)
    return [_row(u, own, total) for u in units]


def headcount_page(v: View, org: str | None, page: int | None, page_size: int | None) -> dict:
    """One page of ``headcount`` with its totals (``paging.one_page``): the units in tree order,
    then the counts of the page's units only."""
    out = paging.one_page(tree_order(v, org), page, page_size)
    ids = [u[0] for u in out["rows"]]
    own, total = _heads(v, ids) if ids else ({}, {})
    out["rows"] = [_row(u, own, total) for u in out["rows"]]
    return out


def _row(u: tuple, own: dict, total: dict) -> dict:
    uid, parent, name, kind, depth = u
    return {"org_unit_id": uid, "parent_id": parent, "name": name, "kind": kind,
            "own": own.get(uid, 0), "total": total.get(uid, 0), "depth": depth}


def _heads(v: View, units: list[str] | None = None) -> tuple[dict, dict]:
    # pre-aggregated per unit and day, unless the report is "as known at" an earlier time
    if daycount_queries.usable(v):
        return daycount_queries.heads(v, units)
    own, total = heads_from_stints(v)
    if units is not None:
        keep = set(units)
        own, total = ({u: n for u, n in d.items() if u in keep} for d in (own, total))
    return own, total


def tree_order(v: View, org: str | None) -> list[tuple]:
    """(unit, parent, name, kind, depth) of ``org``'s tree (every root's without ``org``) on
    ``v.as_of``, top-down, children by name; read once per change of the tree (``tree_cache``)."""
    return tree_cache.cached(v, "order", lambda: _tree_order(v, org), org)


def _tree_order(v: View, org: str | None) -> list[tuple]:
    units, day = v.t("units"), v.as_of.isoformat()
    if v.dated:
        info = {}
        named = v.names_on(day)  # the names of that day
        for uid, parent, name, kind, merged, dissolved in v.q(
                f"SELECT u.org_unit_id, sp.parent_id, u.name, u.kind, u.merged_on, u.dissolved_on "
                f"FROM {v.t('unit_spans')} sp JOIN {units} u ON u.org_unit_id = sp.org_unit_id "
                "WHERE sp.from_on <= ? AND (sp.to_on IS NULL OR sp.to_on > ?)", (day, day)):
            if (merged and merged <= day) or (dissolved and dissolved <= day):
                continue  # gone by then
            info[uid] = (uid, parent, named.get(uid, name), kind)
    else:
        info = {r[0]: r for r in v.q(f"SELECT org_unit_id, parent_id, name, kind FROM {units} "
                                     "WHERE merged_into IS NULL AND dissolved_on IS NULL")}
    kids: dict[str | None, list[str]] = {}
    for uid, r in info.items():
        kids.setdefault(r[1] if r[1] in info else None, []).append(uid)
    out: list[tuple] = []

    def walk(uid: str, depth: int) -> None:
        r = info[uid]
        out.append((uid, r[1], r[2], r[3], depth))
        for child in sorted(kids.get(uid, []), key=lambda x: (info[x][2], x)):
            walk(child, depth + 1)

    for start in ([org] if org else sorted(kids.get(None, []))):
        if start in info:
            walk(start, 0)
    return out


def heads_from_stints(v: View) -> tuple[dict, dict]:
    """(own, total) members per unit on ``v.as_of``, counted over the stints as known at ``v.known``."""
    s = v.t("stints")
    open_on = "s.from_on <= ? AND s.from_rec <= ? AND NOT (s.to_on IS NOT NULL AND s.to_on <= ? AND s.to_rec <= ?)"
    day, k = v.as_of.isoformat(), v.known
    own = dict(v.q(f"SELECT s.org_unit_id, COUNT(*) FROM {s} s WHERE {open_on} GROUP BY s.org_unit_id",
                   (day, k, day, k)))
    if v.dated:
        held, held_params = v.on_date("c", None)
        total = dict(v.q(f"SELECT c.ancestor, COUNT(*) FROM {s} s JOIN {v.t('dclosure')} c "
                         f"ON c.descendant = s.org_unit_id WHERE {open_on} AND {held} GROUP BY c.ancestor",
                         (day, k, day, k, *held_params)))
    else:
        total = dict(v.q(f"SELECT c.ancestor, COUNT(*) FROM {s} s JOIN {v.t('closure')} c "
                         f"ON c.descendant = s.org_unit_id WHERE {open_on} GROUP BY c.ancestor", (day, k, day, k)))
    return own, total
