"""Demo data as an import file: a small Tây Ninh with districts, communes, cells and members, and
the restructuring of 1/7/2025 (district level abolished; Long An merged into Tây Ninh).

Deterministic (seeded), so loading it twice writes nothing new.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

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


#: the demo's own years: the two terms the directive compares and the first year of the next one
WINDOW = (dt.date(2015, 10, 1), dt.date(2026, 6, 30))
#: exits and transfers also in the term before, which the directive's footnote compares with
EXITS_FROM = dt.date(2010, 10, 1)
#: units exist before the oldest member of the standing membership was admitted
UNITS_FROM = dt.date(1990, 1, 1)
#: yearly admissions as a share of the members: nationally about 200,000 a year for 5.1–5.3 million
#: members in 2016–2020 (Văn kiện Đại hội XIII: "kết nạp hơn 1 triệu đảng viên" in the term), i.e.
#: 3.5–4 % a year; the demo uses 3.5 %
ADMISSION_RATE = 0.035


def _person(n: int, cell: str, admitted: dt.date, rng: random.Random) -> dict:
    sex = rng.choice(["male", "female"])
    given = GIVEN_M if sex == "male" else GIVEN_F
    middle = MIDDLE_M if sex == "male" else MIDDLE_F
    age = rng.choice([19, 22, 25, 28, 33, 40, 47, 55])
    birth = dt.date(admitted.year - age, rng.randint(1, 12), rng.randint(1, 28))
    return line("member.admitted", admitted, {
        "member_id": f"M{n:06d}", "org_unit_id": cell,
        "full_name": f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}",
        "birth_date": birth.isoformat(), "sex": sex,
        "demobilised": rng.choices(["none", "army", "police"], [8, 1, 1])[0]})


def members(cells: list[str], per_cell: int, rng: random.Random, start: dt.date) -> list[dict]:
    """The standing membership (``per_cell`` a cell, admitted over the 25 years before ``start``),
    then admissions every year of the demo's window at ``ADMISSION_RATE`` of the members."""
    out = []
    n = 0
    for cell in cells:
        for _ in range(per_cell):
            n += 1
            admitted = UNITS_FROM + dt.timedelta(days=rng.randrange(30, (start - UNITS_FROM).days))
            out.append(_person(n, cell, admitted, rng))
    first, last = WINDOW
    year_start = first
    while year_start <= last:
        year_end = min(dt.date(year_start.year + 1, year_start.month, year_start.day), last + dt.timedelta(days=1))
        share = (year_end - year_start).days / 365
        for _ in range(max(1, round(len(out) * ADMISSION_RATE * share))):
            n += 1
            admitted = year_start + dt.timedelta(days=rng.randrange((year_end - year_start).days))
            out.append(_person(n, rng.choice(cells), admitted, rng))
        year_start = year_end
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


#: exits over the window, as a share of official members: removals and resignations at about
#: twice Tây Ninh's own rate in 2015–2020 (424 removals and 238 resignations in a term, footnote 1
#: of the directive, for some 45,000 members: 0.19 % and 0.11 % a year) so that a small demo shows
#: them in every term; deaths (an older membership) and transfers out of the province (work, family)
EXIT_SHARES = (("member.removed", 0.04), ("member.resigned", 0.02), ("member.died", 0.05),
               ("member.transferred_out", 0.06))


def exits(people: list[dict], recognitions: dict[str, dt.date], rng: random.Random,
          window: tuple[dt.date, dt.date] = (EXITS_FROM, WINDOW[1])) -> list[dict]:
    """The directive's story (D0): removals (mostly for abandoning activity), resignations, deaths
    and transfers out of the province, rising from one term to the next. Only official members
    leave, after recognition. Dates are stratified over the window (later years weigh more), so every
    term has some of each."""
    first, last = window
    span = (last - first).days
    official = [p for p in people if p["data"]["member_id"] in recognitions]
    rng.shuffle(official)
    # a cell keeps at least three members through the meetings' months (Charter: a cell has three)
    staying = Counter(p["data"]["org_unit_id"] for p in people if p["occurred_on"] < KEEP_CELLS_FROM)
    pool = iter(official)
    out = []
    for kind, share in EXIT_SHARES:
        chosen = []
        for p in pool:
            cell = p["data"]["org_unit_id"]
            if p["occurred_on"] < KEEP_CELLS_FROM:
                if staying[cell] <= 3:
                    continue
                staying[cell] -= 1
            chosen.append(p)
            if len(chosen) >= max(3, round(len(official) * share)):
                break
        for i, p in enumerate(chosen):
            m = p["data"]["member_id"]
            u = (i + rng.random()) / len(chosen)
            on = first + dt.timedelta(days=int(span * u ** 0.5))  # density rising with time
            on = max(on, recognitions[m] + dt.timedelta(days=30))
            if on > last:
                continue
            data = {"member_id": m}
            if kind == "member.removed":
                data["ground"] = rng.choices([g for g, _ in REMOVAL_GROUNDS], [w for _, w in REMOVAL_GROUNDS])[0]
            if kind == "member.transferred_out":
                data["destination"] = f"Đảng bộ tỉnh {rng.choice(PROVINCES_OUT)}"
            out.append(line(kind, on, data))
    return out


#: the first month of the meetings demo (``demo_meetings``)
KEEP_CELLS_FROM = "2025-01-01"
PROVINCES_OUT = ("Bình Dương", "Đồng Nai", "Bà Rịa - Vũng Tàu", "An Giang", "Bình Phước")


def transfers_in(cells: list[str], count_per_year: int, first_id: int, rng: random.Random,
                 window: tuple[dt.date, dt.date] = (EXITS_FROM, WINDOW[1])) -> list[dict]:
    """Members received from other provinces (Biểu 1: chuyển đến), official, every year."""
    out = []
    n = first_id
    first, last = window
    for year in range(first.year, last.year + 1):
        lo, hi = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
        for _ in range(count_per_year):
            n += 1
            person = _person(n, rng.choice(cells), lo, rng)["data"]
            on = lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))
            admitted = on - dt.timedelta(days=rng.randrange(800, 6000))
            out.append(line("member.transferred_in", on, {
                **person, "birth_date": min(dt.date.fromisoformat(person["birth_date"]),
                                            admitted.replace(year=admitted.year - 19, day=1)).isoformat(),
                "origin": f"Đảng bộ tỉnh {rng.choice(PROVINCES_OUT)}", "status": "official",
                "admitted_on": admitted.isoformat()}))
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
    tree, cells = org_tree(UNITS_FROM)
    la_tree, la_cells = org_tree(UNITS_FROM, "LA", "Đảng bộ tỉnh Long An", LA_DISTRICTS)
    people = members(cells + la_cells, per_cell, rng, start)
    units = [l["data"] for l in tree + la_tree]
    restructure, merged = restructuring(units)
    history = probation(people, WINDOW[1])
    recognitions = {l["data"]["member_id"]: dt.date.fromisoformat(l["occurred_on"])
                    for l in history if l["type"] == "member.recognized_official"}
    left = exits(people, recognitions, random.Random(seed + 1))
    # about 1 % of the members a year come from other provinces (as many as leave for them)
    arrived = transfers_in([c for c in cells + la_cells if c not in merged], max(1, round(len(people) * 0.006)),
                           len(people), random.Random(seed + 3))
    away = working_away(people, {l["data"]["member_id"] for l in left}, random.Random(seed + 2))
    return {"start": start, "cells": [c for c in cells + la_cells if c not in merged], "merged_cells": merged,
            "restructured_on": RESTRUCTURED_ON,
            "lines": tree + la_tree + people + history + left + arrived + restructure + away,
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
