"""Membership movement (Biểu 1, HD 11-HD/BTCTW 2021; DOMAIN.md §7.2), reconciled per unit.

Computed from dated membership stints (member, unit, from, to, with the recording time of each
end): every stint adds one at its start and removes one at its end, so
opening + admitted + transferred_in + moved_in − transferred_out − died − removed − resigned −
expelled − moved_out = closing holds by construction for any unit, period and knowledge time.
Moves between two units inside the same subtree cancel and are not shown.
"""
from __future__ import annotations

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


def reconciles(row: dict) -> bool:
    inflow = sum(row[k] for k in FLOWS_IN) + row.get("internal_in", 0)
    outflow = sum(row[k] for k in FLOWS_OUT) + row.get("internal_out", 0)
    return row["opening"] + inflow - outflow == row["closing"]


def movement(v: View, org: str | None, period: Period) -> dict:
    """The chosen unit (or the province roots) and one row per direct sub-unit (drill-down, D7)."""
    targets = ([v.unit(org)] if org else []) + v.children(org)
    figures = movement_of(v, [u["org_unit_id"] for u in targets], period)
    rows = []
    for i, u in enumerate(targets):
        f = figures[u["org_unit_id"]]
        row = {"org_unit_id": u["org_unit_id"], "name": u["name"], "kind": u["kind"],
               "level": 0 if (org and i == 0) else 1,
               **{k: f[k] for k in ("opening", *FLOWS_IN, *FLOWS_OUT, "closing")}}
        row["reconciles"] = reconciles({**row, "internal_in": f["internal_in"], "internal_out": f["internal_out"]})
        rows.append(row)
    return {**v.meta("movement", org, period=period.name, period_vi=period.label_vi()), "rows": rows}


def headcount(v: View, org: str | None) -> list[dict]:
    """Members per unit on ``v.as_of`` (own and with the subtree), top-down, as the spine showed it."""
    s, c, units = v.t("stints"), v.t("closure"), v.t("units")
    open_on = "s.from_on <= ? AND s.from_rec <= ? AND NOT (s.to_on IS NOT NULL AND s.to_on <= ? AND s.to_rec <= ?)"
    day, k = v.as_of.isoformat(), v.known
    own = dict(v.q(f"SELECT s.org_unit_id, COUNT(*) FROM {s} s WHERE {open_on} GROUP BY s.org_unit_id",
                   (day, k, day, k)))
    total = dict(v.q(f"SELECT c.ancestor, COUNT(*) FROM {s} s JOIN {c} c ON c.descendant = s.org_unit_id "
                     f"WHERE {open_on} GROUP BY c.ancestor", (day, k, day, k)))
    info = {r[0]: r for r in v.q(f"SELECT org_unit_id, parent_id, name, kind FROM {units}")}
    kids: dict[str | None, list[str]] = {}
    for uid, r in info.items():
        kids.setdefault(r[1] if r[1] in info else None, []).append(uid)
    out: list[dict] = []

    def walk(uid: str, depth: int) -> None:
        r = info[uid]
        out.append({"org_unit_id": uid, "parent_id": r[1], "name": r[2], "kind": r[3],
                    "own": own.get(uid, 0), "total": total.get(uid, 0), "depth": depth})
        for child in sorted(kids.get(uid, []), key=lambda x: (info[x][2], x)):
            walk(child, depth + 1)

    for start in ([org] if org else sorted(kids.get(None, []))):
        if start in info:
            walk(start, 0)
    return out
