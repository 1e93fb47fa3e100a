"""Demo targets (chỉ tiêu, Đề án 02/03-ĐA/TU; D4, D7): each direct unit registers maximums for the
terms and years of the demo, so `report evaluation` has something to judge."""
from __future__ import annotations

import datetime as dt

from shared.rules import TERMS

INDICATORS = {"orgs_disciplined": 1, "members_disciplined": 3, "members_removed": 2, "members_resigned": 1}


def lines(world: dict) -> list[dict]:
    directs = [l["data"]["org_unit_id"] for l in world["lines"]
               if l["type"] == "org_unit.created" and l["data"]["kind"] == "direct"]
    start = world["start"]
    periods = [(name, s) for name, (s, _) in TERMS.items() if start <= s <= dt.date(2020, 10, 1)]
    periods += [(str(y), dt.date(y, 1, 1)) for y in range(start.year + 1, 2025)]
    out = []
    for unit in directs:
        for period, on in periods:
            scale = 5 if "-" in period else 1  # a term's maximum covers five years
            for indicator, value in INDICATORS.items():
                out.append({"type": "target.registered", "occurred_on": max(on, start).isoformat(),
                            "data": {"org_unit_id": unit, "period": period, "indicator": indicator,
                                     "value": value * scale}})
    return out
