"""Demo data as an import file: a small Tây Ninh with districts, communes, cells and members.

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


def org_tree(start: dt.date) -> tuple[list[dict], list[str]]:
    lines = [line("org_unit.created", start, {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"})]
    cells: list[str] = []
    for i, district in enumerate(DISTRICTS, 1):
        d_id = f"TN-D{i}"
        lines.append(line("org_unit.created", start, {"org_unit_id": d_id, "name": f"Đảng bộ {district}",
                                                      "kind": "direct", "parent_id": "TN"}))
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


def world(per_cell: int = 6, seed: int = 2020) -> dict:
    """The demo's organisation tree and members, as lines plus what other areas build on."""
    rng = random.Random(seed)
    start = dt.date(2015, 10, 1)
    tree, cells = org_tree(start)
    people = members(cells, per_cell, rng, start)
    return {"start": start, "cells": cells, "lines": tree + people,
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
