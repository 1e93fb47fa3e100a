"""Headcount per org unit with subtree roll-up (the spine's slice of reporting)."""
from __future__ import annotations

from shared.events import Envelope
from shared.projection import Projection
from shared.readmodel import ReadModelDB, Tx


class HeadcountProjection(Projection):
    name = "headcount"
    sources = ("members",)
    types = frozenset({"org_unit.created", "org_unit.renamed", "org_unit.moved", "member.admitted",
                       "member.transferred_in", "member.transferred", "member.removed", "member.resigned",
                       "member.expelled", "member.died", "member.transferred_out"})

    def ddl(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS hc_units (org_unit_id TEXT PRIMARY KEY, parent_id TEXT, name TEXT, kind TEXT);
        CREATE TABLE IF NOT EXISTS hc_members (member_id TEXT PRIMARY KEY, org_unit_id TEXT, active INTEGER)
        """

    def apply(self, tx: Tx, e: Envelope) -> None:
        d = e.data
        t = e.type
        if t == "org_unit.created":
            tx.execute("INSERT INTO hc_units (org_unit_id, parent_id, name, kind) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (org_unit_id) DO NOTHING", (d["org_unit_id"], d.get("parent_id"), d["name"], d["kind"]))
        elif t == "org_unit.renamed":
            tx.execute("UPDATE hc_units SET name = ? WHERE org_unit_id = ?", (d["name"], d["org_unit_id"]))
        elif t == "org_unit.moved":
            tx.execute("UPDATE hc_units SET parent_id = ? WHERE org_unit_id = ?", (d["parent_id"], d["org_unit_id"]))
        elif t in ("member.admitted", "member.transferred_in"):
            tx.execute("INSERT INTO hc_members (member_id, org_unit_id, active) VALUES (?, ?, 1) "
                       "ON CONFLICT (member_id) DO UPDATE SET org_unit_id = excluded.org_unit_id, active = 1",
                       (d["member_id"], d["org_unit_id"]))
        elif t == "member.transferred":
            tx.execute("UPDATE hc_members SET org_unit_id = ? WHERE member_id = ?", (d["to_org_unit_id"], d["member_id"]))
        else:
            tx.execute("UPDATE hc_members SET active = 0 WHERE member_id = ?", (d["member_id"],))


def headcount(db: ReadModelDB, org_unit_id: str | None = None) -> list[dict]:
    """Rows of (unit, own members, members in the subtree), top-down from ``org_unit_id`` or the roots."""
    units = {r[0]: {"org_unit_id": r[0], "parent_id": r[1], "name": r[2], "kind": r[3], "own": 0, "total": 0}
             for r in db.query("SELECT org_unit_id, parent_id, name, kind FROM hc_units")}
    for unit_id, n in db.query("SELECT org_unit_id, COUNT(*) FROM hc_members WHERE active = 1 GROUP BY org_unit_id"):
        if unit_id in units:
            units[unit_id]["own"] = n
    children: dict[str | None, list[str]] = {}
    for u in units.values():
        children.setdefault(u["parent_id"] if u["parent_id"] in units else None, []).append(u["org_unit_id"])

    def total(uid: str) -> int:
        u = units[uid]
        u["total"] = u["own"] + sum(total(c) for c in children.get(uid, []))
        return u["total"]

    for root in children.get(None, []):
        total(root)
    out: list[dict] = []

    def walk(uid: str, depth: int) -> None:
        out.append({**units[uid], "depth": depth})
        for c in sorted(children.get(uid, []), key=lambda x: units[x]["name"]):
            walk(c, depth + 1)

    starts = [org_unit_id] if org_unit_id else sorted(children.get(None, []))
    for s in starts:
        if s in units:
            walk(s, 0)
    return out
