"""What every report query shares: the current generation's tables, the two clocks, the org scope
and the structure it is judged on.

``structure``: ``as_stood`` (default) — each fact counts in the units its unit belonged to on the
fact's date, and drill-down lists the units as they stood in the period (a dissolved unit appears
for the periods it existed, not after); ``current`` — today's tree, in which the history of moved,
merged or dissolved units rolls up into the units that hold them now."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from shared.dates import today_vn
from shared.readmodel import ReadModelDB

from services.reporting import rules as R
from services.reporting.known_stints import stints_as_known
from services.reporting.known_tree import tree_prefix
from services.reporting.known_units import units_as_known
from services.reporting.periods import ALL_KNOWN, known_at_key, vn_date
from services.reporting.schema import TREE_TABLES

KIND_VI = {"province": "Tỉnh ủy", "direct": "Đảng bộ trực thuộc", "grassroots_committee": "Đảng bộ cơ sở",
           "grassroots_cell": "Chi bộ cơ sở", "branch": "Đảng bộ bộ phận", "cell": "Chi bộ trực thuộc"}
MEMBER_HOLDING = ("grassroots_cell", "cell")
STRUCTURES = ("as_stood", "current")
STRUCTURE_VI = {"as_stood": "Theo cơ cấu tổ chức tại thời điểm phát sinh dữ kiện / structure as it stood",
                "current": "Theo cơ cấu tổ chức hiện nay (dồn về đơn vị kế thừa) / current structure"}


@dataclass(frozen=True)
class View:
    db: ReadModelDB
    prefix: str
    as_of: dt.date
    known: str = ALL_KNOWN  # recording-clock bound (UTC text)
    structure: str = "as_stood"
    tree: str | None = None  # prefix of the tree tables as known at ``known`` (None: the live ones)
    stints: str | None = None  # the stints as known at ``known`` when threaded again since (None: the table)
    #: member_facts / cases as known at ``known`` when a late transfer moved their units since
    moved: tuple = ()

    @classmethod
    def of(cls, db: ReadModelDB, prefix: str, as_of: dt.date | None, known_at: dt.datetime | None,
           structure: str | None = None) -> "View":
        known = known_at_key(known_at)
        tree = None if known == ALL_KNOWN else tree_prefix(db, prefix, known)
        stints = None if known == ALL_KNOWN else stints_as_known(db, prefix, known)
        moved = () if known == ALL_KNOWN else tuple(units_as_known(db, prefix, known).items())
        return cls(db, prefix, as_of or today_vn(), known, structure or "as_stood", tree, stints, moved)

    @property
    def dated(self) -> bool:
        return self.structure != "current"

    def on_date(self, column: str, on: str | None) -> tuple[str, list]:
        """The SQL for "dated closure row ``column`` holds on ``on``" (a date column, or as_of)."""
        if on is None:
            return (f"{column}.from_on <= ? AND ({column}.to_on IS NULL OR {column}.to_on > ?)",
                    [self.as_of.isoformat(), self.as_of.isoformat()])
        return f"{column}.from_on <= {on} AND ({column}.to_on IS NULL OR {column}.to_on > {on})", []

    def t(self, table: str) -> str:
        if table == "stints" and self.stints:
            return self.stints
        for name, sql in self.moved:
            if name == table:
                return sql
        if self.tree and table in TREE_TABLES:
            return f"{self.tree}{table}"
        return f"{self.prefix}{table}"

    def q(self, sql: str, params=()) -> list:
        return self.db.query(sql, tuple(params))

    def scalar(self, sql: str, params=()):
        rows = self.q(sql, params)
        return rows[0][0] if rows and rows[0][0] is not None else 0

    def subtree(self, column: str, org: str | None, on: str | None = None) -> tuple[str, list]:
        """SQL condition: ``column`` names a unit in ``org``'s subtree — on the date in the SQL
        expression ``on`` (the fact's date; default the report's as-of date) when the report is on
        the structure as it stood, or in today's tree (merged units included) on ``current``."""
        if not org:
            return "1 = 1", []
        if not self.dated:
            return f"{column} IN (SELECT descendant FROM {self.t('closure')} WHERE ancestor = ?)", [org]
        held, params = self.on_date("sx", on)
        return (f"EXISTS (SELECT 1 FROM {self.t('dclosure')} sx WHERE sx.ancestor = ? AND sx.descendant = {column} "
                f"AND {held})", [org, *params])

    def decision_stands(self, alias: str = "") -> tuple[str, list]:
        """SQL condition: the discipline decision (a ``cases`` row, ``alias.``) stands in this view —
        not annulled as known at the recording time, or annulled only after the as-of date (an
        annulled decision leaves the statistics from its annulment on, DOMAIN.md §5: a report as of
        a day before it still counts the decision then in force)."""
        a = f"{alias}." if alias else ""
        return (f"({a}annulled_rec IS NULL OR {a}annulled_rec > ? OR {a}annulled_on > ?)",
                [self.known, self.as_of.isoformat()])

    def inside(self, org: str, start: dt.date | None = None, end: dt.date | None = None) -> set[str]:
        """Units in ``org``'s subtree at any time in [start, end] (default: the as-of date)."""
        if not self.dated:
            return {r[0] for r in self.q(f"SELECT descendant FROM {self.t('closure')} WHERE ancestor = ?", (org,))}
        a, b = (start or self.as_of).isoformat(), (end or self.as_of).isoformat()
        return {r[0] for r in self.q(f"SELECT descendant FROM {self.t('dclosure')} WHERE ancestor = ? "
                                     "AND from_on <= ? AND (to_on IS NULL OR to_on > ?)", (org, b, a))}

    def naming_day(self, start: dt.date, end: dt.date) -> dt.date:
        """The day a report on [start, end] names its units on: the period's last day lived by the
        as-of date (its first, for a period not begun by then) — the day ``children`` lists them on."""
        return max(start, min(end, self.as_of))

    def unit(self, org: str | None, on: dt.date | None = None) -> dict:
        """The unit, named as it was on ``on`` (default: the as-of date) on the structure as it
        stood — a report on 2022 drawn after a renaming names the unit as 2022 knew it — and by
        today's name on the current structure."""
        if not org:
            return {"org_unit_id": None, "name": "Toàn tỉnh", "kind": "province"}
        rows = self.q(f"SELECT org_unit_id, name, kind, parent_id, merged_into FROM {self.t('units')} "
                      "WHERE org_unit_id = ?", (org,))
        if not rows:
            raise R.ORG_UNIT_NOT_FOUND(org_unit_id=org)
        r = rows[0]
        name = self.names_on((on or self.as_of).isoformat()).get(org, r[1]) if self.dated else r[1]
        return {"org_unit_id": r[0], "name": name, "kind": r[2], "parent_id": r[3], "merged_into": r[4]}

    def children(self, org: str | None, start: dt.date | None = None, end: dt.date | None = None) -> list[dict]:
        """Direct sub-units: on the structure as it stood, those under ``org`` at some day of
        [start, end] (default: the as-of date) while they existed; on the current structure,
        today's (merged units are inside their successor, dissolved ones are gone)."""
        units = self.t("units")
        if not self.dated:
            cond = "parent_id = ?" if org else f"(parent_id IS NULL OR parent_id NOT IN (SELECT org_unit_id FROM {units}))"
            rows = self.q(f"SELECT org_unit_id, name, kind FROM {units} WHERE {cond} AND merged_into IS NULL "
                          "AND dissolved_on IS NULL ORDER BY name, org_unit_id", (org,) if org else ())
            return [{"org_unit_id": r[0], "name": r[1], "kind": r[2]} for r in rows]
        a, b = (start or self.as_of).isoformat(), (end or self.as_of).isoformat()
        cond = "sp.parent_id = ?" if org else f"(sp.parent_id IS NULL OR sp.parent_id NOT IN (SELECT org_unit_id FROM {units}))"
        rows = self.q(f"SELECT u.org_unit_id, u.name, u.kind, sp.from_on, sp.to_on, u.merged_on, u.dissolved_on, "
                      "u.created_on "
                      f"FROM {self.t('unit_spans')} sp JOIN {units} u ON u.org_unit_id = sp.org_unit_id "
                      f"WHERE {cond} AND sp.from_on <= ? AND (sp.to_on IS NULL OR sp.to_on > ?) "
                      "ORDER BY u.name, u.org_unit_id", ((org,) if org else ()) + (b, a))
        out, seen = [], set()
        named = self.names_on(b)
        for uid, name, kind, f, t, merged, dissolved, created in rows:
            ended = min([x for x in (merged, dissolved) if x], default=None)
            if ended and (ended <= a or ended <= f):
                continue  # gone before the period (or this interval) began
            if created and created > b:
                continue  # not yet created by the period's end
            if uid not in seen:
                seen.add(uid)
                out.append({"org_unit_id": uid, "name": named.get(uid, name), "kind": kind})
        return out

    def names_on(self, day: str) -> dict[str, str]:
        """The units renamed after ``day`` (as known at the view's recording time) → the name each
        had on ``day`` (the latest renaming by then, else the name it was created with): a report
        on a past period names its units as they were named then (the unit rows hold the latest)."""
        try:
            renames = self.q(f"SELECT occurred_on, data FROM {self.prefix}tree_facts WHERE type = 'org_unit.renamed' "
                             "AND recorded_at <= ? ORDER BY occurred_on, seq", (self.known,))
        except Exception:
            return {}  # a read model built before the tree's changes were kept
        later = {json.loads(d)["org_unit_id"] for on, d in renames if on > day}
        if not later:
            return {}
        out: dict[str, str] = {}
        for (d,) in self.q(f"SELECT data FROM {self.prefix}tree_facts WHERE type = 'org_unit.created'"):
            data = json.loads(d)
            if data["org_unit_id"] in later:
                out[data["org_unit_id"]] = data.get("name")
        for on, d in renames:
            data = json.loads(d)
            if on <= day and data["org_unit_id"] in later:
                out[data["org_unit_id"]] = data.get("name")
        return {u: n for u, n in out.items() if n}

    def names_then(self, names: dict[str, str], on: dt.date) -> dict[str, str]:
        """``names`` (unit → its name now) as the units were named on ``on``, on the structure as it
        stood; unchanged on the current structure."""
        if not self.dated:
            return names
        return {**names, **{u: n for u, n in self.names_on(on.isoformat()).items() if u in names}}

    def meta(self, report: str, org: str | None, on: dt.date | None = None, **extra) -> dict:
        """The heading of a report: ``on`` is the day it names the unit on (``naming_day``; default
        the as-of date)."""
        u = self.unit(org, on)
        known = None if self.known == ALL_KNOWN else self.known
        return {"report": report, "org_unit_id": u["org_unit_id"], "unit_name": u["name"],
                "as_of": self.as_of.isoformat(), "as_of_vi": vn_date(self.as_of), "known_at": known,
                "structure": self.structure, "structure_vi": STRUCTURE_VI[self.structure], **extra}
