"""What every report query shares: the current generation's tables, the two clocks, the org scope."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.errors import NotFound
from shared.readmodel import ReadModelDB

from services.reporting.periods import ALL_KNOWN, known_at_key, vn_date

KIND_VI = {"province": "Tỉnh ủy", "direct": "Đảng bộ trực thuộc", "grassroots_committee": "Đảng bộ cơ sở",
           "grassroots_cell": "Chi bộ cơ sở", "branch": "Đảng bộ bộ phận", "cell": "Chi bộ trực thuộc"}
MEMBER_HOLDING = ("grassroots_cell", "cell")


@dataclass(frozen=True)
class View:
    db: ReadModelDB
    prefix: str
    as_of: dt.date
    known: str = ALL_KNOWN  # recording-clock bound (UTC text)

    @classmethod
    def of(cls, db: ReadModelDB, prefix: str, as_of: dt.date | None, known_at: dt.datetime | None) -> "View":
        return cls(db, prefix, as_of or dt.date.today(), known_at_key(known_at))

    def t(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def q(self, sql: str, params=()) -> list:
        return self.db.query(sql, tuple(params))

    def scalar(self, sql: str, params=()):
        rows = self.q(sql, params)
        return rows[0][0] if rows and rows[0][0] is not None else 0

    def subtree(self, column: str, org: str | None) -> tuple[str, list]:
        """SQL condition: ``column`` names a unit in ``org``'s subtree (merged units included)."""
        if not org:
            return "1 = 1", []
        return f"{column} IN (SELECT descendant FROM {self.t('closure')} WHERE ancestor = ?)", [org]

    def unit(self, org: str | None) -> dict:
        if not org:
            return {"org_unit_id": None, "name": "Toàn tỉnh", "kind": "province"}
        rows = self.q(f"SELECT org_unit_id, name, kind, parent_id, merged_into FROM {self.t('units')} "
                      "WHERE org_unit_id = ?", (org,))
        if not rows:
            raise NotFound("org_unit_not_found", f"Không tìm thấy tổ chức đảng «{org}»",
                           f"Party organisation '{org}' not found", field="org_unit_id")
        r = rows[0]
        return {"org_unit_id": r[0], "name": r[1], "kind": r[2], "parent_id": r[3], "merged_into": r[4]}

    def children(self, org: str | None) -> list[dict]:
        """Direct sub-units on the current structure (merged units are inside their successor)."""
        cond = "parent_id = ?" if org else "(parent_id IS NULL OR parent_id NOT IN (SELECT org_unit_id FROM " \
                                           f"{self.t('units')}))"
        rows = self.q(f"SELECT org_unit_id, name, kind FROM {self.t('units')} WHERE {cond} AND merged_into IS NULL "
                      "ORDER BY name, org_unit_id", (org,) if org else ())
        return [{"org_unit_id": r[0], "name": r[1], "kind": r[2]} for r in rows]

    def meta(self, report: str, org: str | None, **extra) -> dict:
        u = self.unit(org)
        known = None if self.known == ALL_KNOWN else self.known
        return {"report": report, "org_unit_id": u["org_unit_id"], "unit_name": u["name"],
                "as_of": self.as_of.isoformat(), "as_of_vi": vn_date(self.as_of), "known_at": known, **extra}
