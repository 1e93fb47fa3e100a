"""The organisation tree as of a business date (DOMAIN.md §2: reports work on any date's structure)."""
from __future__ import annotations

import datetime as dt

from services.members.domain import KIND_VI


def tree_as_of(history: list[tuple[str, dt.date, str, dict]], on: dt.date) -> dict[str, dict]:
    """Units that existed and were not yet closed on ``on``, with their parent on that date.

    ``history``: (org_unit_id, occurred_on, type, data) in recording order."""
    units: dict[str, dict] = {}
    for uid, occurred, t, d in history:
        if occurred > on:
            continue
        if t == "org_unit.created":
            units[uid] = {"org_unit_id": uid, "name": d["name"], "kind": d["kind"], "parent_id": d.get("parent_id"),
                          "created_on": occurred.isoformat()}
        elif uid not in units:
            continue
        elif t == "org_unit.renamed":
            units[uid]["name"] = d["name"]
        elif t == "org_unit.moved":
            units[uid]["parent_id"] = d["parent_id"]
        elif t in ("org_unit.merged", "org_unit.dissolved"):
            units.pop(uid)
    return units


def nested(units: dict[str, dict], root: str | None = None) -> list[dict]:
    """Nested nodes (``children``) from ``root`` or from the roots, sorted by name."""
    kids: dict[str | None, list[str]] = {}
    for u in units.values():
        parent = u["parent_id"] if u["parent_id"] in units else None
        kids.setdefault(parent, []).append(u["org_unit_id"])

    def node(uid: str) -> dict:
        u = units[uid]
        return {**u, "kind_vi": KIND_VI[u["kind"]],
                "children": [node(c) for c in sorted(kids.get(uid, []), key=lambda x: units[x]["name"])]}

    starts = [root] if root else sorted(kids.get(None, []))
    return [node(s) for s in starts if s in units]
