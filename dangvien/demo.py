"""Demo data as an import file: a small Tây Ninh with districts, communes, cells and members, and
the restructuring of 1/7/2025 (district level abolished; Long An merged into Tây Ninh).

Deterministic (seeded), so loading it twice writes nothing new.
"""
from __future__ import annotations

import datetime as dt
import json
import random

DISTRICTS = ["Thành phố Tây Ninh", "Huyện Hòa Thành", "Huyện Gò Dầu"]
COMMUNES = ["Phường 1", "Phường 2", "Xã Tân Bình", "Xã Thạnh Tân"]
CELLS = ["Chi bộ Ấp 1", "Chi bộ Ấp 2", "Chi bộ Khu phố 3"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE_M = ["Văn", "Hữu", "Minh", "Quốc", "Thanh"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Kim", "Thanh"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Phúc", "Tâm", "Thắng", "Trí"]
GIVEN_F = ["Anh", "Chi", "Hà", "Hạnh", "Hoa", "Lan", "Linh", "Mai", "Nga", "Thảo", "Trang", "Yến"]


def line(type_: str, occurred_on: dt.date, data: dict) -> dict:
    return {"type": type_, "occurred_on": occurred_on.isoformat(), "data": data}


RESTRUCTURED_ON = dt.date(2025, 7, 1)
LA_DISTRICTS = ["Huyện Đức Hòa"]


def org_tree(start: dt.date, province: str = "TN", name: str = "Đảng bộ tỉnh Tây Ninh",
             districts: list[str] = DISTRICTS) -> tuple[list[dict], list[str]]:
    lines = [line("org_unit.created", start, {"org_unit_id": province, "name": name, "kind": "province"})]
    cells: list[str] = []
    for i, district in enumerate(districts, 1):
        d_id = f"{province}-D{i}"
        lines.append(line("org_unit.created", start, {"org_unit_id": d_id, "name": f"Đảng bộ {district}",
                                                      "kind": "direct", "parent_id": province}))
        for j, commune in enumerate(COMMUNES, 1):
            g_id = f"{d_id}-G{j}"
            lines.append(line("org_unit.created", start, {"org_unit_id": g_id, "name": f"Đảng bộ {commune}",
                                                          "kind": "grassroots_committee", "parent_id": d_id}))
            for k, cell in enumerate(CELLS, 1):
                c_id = f"{g_id}-C{k}"
                lines.append(line("org_unit.created", start, {"org_unit_id": c_id, "name": cell,
                                                              "kind": "cell", "parent_id": g_id}))
                cells.append(c_id)
    return lines, cells


def members(cells: list[str], per_cell: int, rng: random.Random, start: dt.date) -> list[dict]:
    out = []
    n = 0
    for cell in cells:
        for _ in range(per_cell):
            n += 1
            sex = rng.choice(["male", "female"])
            given = GIVEN_M if sex == "male" else GIVEN_F
            middle = MIDDLE_M if sex == "male" else MIDDLE_F
            admitted = start + dt.timedelta(days=rng.randrange(0, 365 * 5))
            age = rng.choice([19, 22, 25, 28, 33, 40, 47, 55])
            birth = dt.date(admitted.year - age, rng.randint(1, 12), rng.randint(1, 28))
            out.append(line("member.admitted", admitted, {
                "member_id": f"M{n:06d}", "org_unit_id": cell,
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}",
                "birth_date": birth.isoformat(), "sex": sex,
                "demobilised": rng.choices(["none", "army", "police"], [8, 1, 1])[0]}))
    out.sort(key=lambda l: l["occurred_on"])
    return out


def probation(people: list[dict], until: dt.date) -> list[dict]:
    """New-member class and recognition as official (decided a few days after the 12 months)."""
    out = []
    for p in people:
        admitted = dt.date.fromisoformat(p["occurred_on"])
        end = _add_months(admitted, 12)
        m = p["data"]["member_id"]
        out.append(line("member.new_member_class_completed", admitted + dt.timedelta(days=60), {"member_id": m}))
        if end + dt.timedelta(days=10) <= until:
            out.append(line("member.recognized_official", end,
                            {"member_id": m, "decided_on": (end + dt.timedelta(days=10)).isoformat()}))
    return out


#: removal grounds the demo uses, weighted: most removals are for abandoning activity (D0)
REMOVAL_GROUNDS = (("abandoned_activity", 6), ("unpaid_dues", 2), ("no_progress", 1), ("card_returned", 1))
PLACES = ("TP. Hồ Chí Minh", "Bình Dương", "Đồng Nai", "Long An", "Campuchia")


def exits(people: list[dict], recognitions: dict[str, dt.date], rng: random.Random,
          last: dt.date = dt.date(2024, 12, 31)) -> list[dict]:
    """The directive's story (D0): removals (mostly for abandoning activity), resignations and
    deaths, rising from one term to the next. Only official members leave, after recognition."""
    out = []
    for p in people:
        m = p["data"]["member_id"]
        recognized = recognitions.get(m)
        if recognized is None:
            continue
        roll = rng.random()
        kind = "member.removed" if roll < 0.07 else "member.resigned" if roll < 0.10 else \
            "member.died" if roll < 0.12 else None
        if kind is None:
            continue
        # later years weigh more: the numbers the directive wants to stop were rising
        span = (last - recognized).days
        if span < 30:
            continue
        on = recognized + dt.timedelta(days=int(span * (rng.random() ** 0.5)))
        data = {"member_id": m}
        if kind == "member.removed":
            data["ground"] = rng.choices([g for g, _ in REMOVAL_GROUNDS], [w for _, w in REMOVAL_GROUNDS])[0]
        out.append(line(kind, on, data))
    return out


def working_away(people: list[dict], gone: set[str], rng: random.Random) -> list[dict]:
    """Members who go to work far away in 2025 (D0, D3), some with no contact left behind; the
    meetings demo shows their absences rising."""
    out = []
    for p in people:
        m = p["data"]["member_id"]
        if m in gone or rng.random() > 0.06:
            continue
        start = dt.date(2025, 2, 1) + dt.timedelta(days=rng.randrange(0, 60))
        data = {"member_id": m, "place": rng.choice(PLACES),
                "expected_return": (start + dt.timedelta(days=rng.choice([180, 270, 330]))).isoformat()}
        if rng.random() < 0.7:
            data["contact"] = f"09{rng.randrange(10**7, 10**8)}"
        out.append(line("member.working_away_started", start, data))
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar
    total = day.year * 12 + day.month - 1 + months
    y, mth = divmod(total, 12)
    return dt.date(y, mth + 1, min(day.day, calendar.monthrange(y, mth + 1)[1]))


def restructuring(units: list[dict], on: dt.date = RESTRUCTURED_ON) -> tuple[list[dict], dict[str, str]]:
    """1/7/2025: every district committee is abolished — its grassroots committees move directly
    under the province — and Long An's committees join Tây Ninh, whose former Long An province
    committee then merges into Tây Ninh's. Cells are kept (other areas' demo meetings follow the
    members' cells), so ``merged`` stays empty; a cell merge moving members is covered by tests.
    Returns lines and {merged cell: successor}."""
    out: list[dict] = []
    merged: dict[str, str] = {}
    grassroots = [u for u in units if u["kind"] == "grassroots_committee"]
    for g in grassroots:
        g_id = g["org_unit_id"]
        out.append(line("org_unit.moved", on, {"org_unit_id": g_id, "parent_id": "TN"}))
    for d in (u for u in units if u["kind"] == "direct"):
        out.append(line("org_unit.dissolved", on, {"org_unit_id": d["org_unit_id"], "reason": "administrative"}))
    out.append(line("org_unit.merged", on, {"org_unit_id": "LA", "into_org_unit_id": "TN"}))
    out.append(line("org_unit.renamed", on, {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh (sau hợp nhất)"}))
    return out, merged


def world(per_cell: int = 6, seed: int = 2020) -> dict:
    """The demo's organisation tree and members, as lines plus what other areas build on.

    ``cells``: cells active today (meetings can be held there); ``merged_cells``: cells closed by the
    1/7/2025 merge, mapped to their successor (their members moved there that day)."""
    rng = random.Random(seed)
    start = dt.date(2015, 10, 1)
    tree, cells = org_tree(start)
    la_tree, la_cells = org_tree(start, "LA", "Đảng bộ tỉnh Long An", LA_DISTRICTS)
    people = members(cells + la_cells, per_cell, rng, start)
    units = [l["data"] for l in tree + la_tree]
    restructure, merged = restructuring(units)
    history = probation(people, dt.date(2025, 12, 31))
    recognitions = {l["data"]["member_id"]: dt.date.fromisoformat(l["occurred_on"])
                    for l in history if l["type"] == "member.recognized_official"}
    left = exits(people, recognitions, random.Random(seed + 1))
    away = working_away(people, {l["data"]["member_id"] for l in left}, random.Random(seed + 2))
    return {"start": start, "cells": [c for c in cells + la_cells if c not in merged], "merged_cells": merged,
            "restructured_on": RESTRUCTURED_ON,
            "lines": tree + la_tree + people + history + left + restructure + away,
            "members": [l["data"] | {"admitted_on": l["occurred_on"]} for l in people]}


#: other areas' demo lines, each module with ``lines(world) -> list[dict]`` (meetings, discipline...)
AREA_MODULES = ("dangvien.demo_meetings", "dangvien.demo_discipline", "dangvien.demo_reporting")


def jsonl(per_cell: int = 6, seed: int = 2020) -> str:
    import importlib
    w = world(per_cell, seed)
    lines = list(w["lines"])
    for name in AREA_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        lines.extend(module.lines(w))
    lines.sort(key=lambda l: l["occurred_on"])  # stable: within a day, file order is kept
    return "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines)
