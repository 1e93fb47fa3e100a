"""Demo meetings and dues: 18 months (1/2025–6/2026) of cell life for every demo cell.

Monthly regular meetings, quarterly thematic ones, attendance of the cell's roster on each date
(computed with the meetings service's own roster fold over the demo's members lines, so
transfers, exemptions and merges other areas add are honoured), dues per member per month, and
the directive's story (D0): some members go to work away from home, first excused, then
absent without reason and not paying dues, until warnings pile up.
Deterministic (seeded), so loading it twice writes nothing new.
"""
from __future__ import annotations

import datetime as dt
import random

from services.meetings import roster as r
from shared.importing import line_command_id

FIRST_MONTH, MONTHS = (2025, 1), 18
AWAY_PLACES = ["Bình Dương", "TP. Hồ Chí Minh", "Đồng Nai", "Long An", "Campuchia (lao động thời vụ)"]
EXCUSES = ["Ốm, có giấy của trạm y tế", "Đi công tác theo phân công của cơ quan", "Việc gia đình (tang lễ)",
           "Chăm con nhỏ nằm viện"]
TOPICS = ["Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
          "Nâng cao chất lượng sinh hoạt chi bộ theo Hướng dẫn 12-HD/BTCTW",
          "Quản lý đảng viên đi làm ăn xa theo Chỉ thị của Ban Thường vụ Tỉnh ủy",
          "Giải pháp hỗ trợ đảng viên có hoàn cảnh khó khăn vươn lên",
          "Công tác phát triển đảng viên trẻ, đảng viên xuất ngũ"]


def line(type_: str, occurred_on: dt.date, data: dict) -> dict:
    return {"type": type_, "occurred_on": occurred_on.isoformat(), "data": data}


def months() -> list[dt.date]:
    y, m = FIRST_MONTH
    return [dt.date(y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1, 1) for i in range(MONTHS)]


def timelines(world: dict) -> tuple[dict[str, r.Timeline], dict[str, r.Unit]]:
    """The roster as the meetings service will know it once the demo's other lines are in."""
    facts: dict[str, list[r.Fact]] = {}
    units: dict[str, r.Unit] = {}
    for seq, l in enumerate(world["lines"]):
        if l["type"] in r.UNIT_TYPES:
            r.apply_unit_event(units, l["type"], l["occurred_on"], l["data"])
        elif (f := r.fact_from(line_command_id(l), seq, l["type"], l["occurred_on"], l["data"])):
            facts.setdefault(f.member_id, []).append(f)
    for n, (member, day) in enumerate(sorted(expulsions(world).items())):
        facts.setdefault(member, []).append(r.Fact(f"expulsion:{member}", len(world["lines"]) + n, day,
                                                   "member.expelled", member))
    merges = r.merges_of(units.values())
    return {m: r.timeline(m, fs, merges) for m, fs in facts.items()}, units


def expulsions(world: dict) -> dict[str, dt.date]:
    """Members the discipline demo expels (the members service then ends their membership)."""
    try:
        from dangvien.demo_discipline import expulsions as planned
    except ImportError:
        return {}
    return planned(world)


def drifters(world: dict, rng: random.Random) -> dict[str, dt.date]:
    """Members who go to work away, and from when: one in about every third cell."""
    by_cell: dict[str, list[str]] = {}
    for m in world["members"]:
        by_cell.setdefault(m["org_unit_id"], []).append(m["member_id"])
    out = {}
    for cell in world["cells"]:
        if by_cell.get(cell) and rng.random() < 0.35:
            who = rng.choice(sorted(by_cell[cell]))
            out[who] = dt.date(2025, rng.randint(2, 9), 1)
    return out


def attendance_status(member: str, day: dt.date, away_since: dt.date | None, rng: random.Random) -> tuple[str, str | None]:
    if away_since and day >= away_since:
        months_away = (day.year - away_since.year) * 12 + day.month - away_since.month
        place = AWAY_PLACES[sum(map(ord, member)) % len(AWAY_PLACES)]
        if months_away < 2:
            return "excused", f"Đi làm ăn xa tại {place}, có báo cáo chi bộ"
        # absences rise: the longer away, the rarer a visit home for the meeting
        return ("present", None) if rng.random() < 0.1 else ("unexcused", None)
    roll = rng.random()
    if roll < 0.05:
        return "excused", rng.choice(EXCUSES)
    if roll < 0.06:
        return "unexcused", None
    return "present", None


def lines(world: dict, seed: int = 2025) -> list[dict]:
    rng = random.Random(seed)
    tl, units = timelines(world)
    away = drifters(world, rng)
    for m, t in tl.items():  # members the members area sends away count too
        if t.away and m not in away:
            away[m] = t.away[0][0]
    by_cell: dict[str, list[r.Timeline]] = {}
    for t in tl.values():
        for c in {s.org_unit_id for s in t.stints}:
            by_cell.setdefault(c, []).append(t)
    out: list[dict] = []
    weak = {c for c in world["cells"] if rng.random() < 0.15}  # cells whose meetings stay short after HD 42
    for ci, cell in enumerate(world["cells"]):
        for first in months():
            meetings = [("regular", first.replace(day=3 + ci % 8))]
            if first.month % 3 == 0:
                meetings.append(("thematic", first.replace(day=18 + ci % 8)))
            for kind, day in meetings:
                unit = units.get(cell)
                if unit is None or not unit.open_on(day):
                    continue
                expected = [e for e in r.roster_on(by_cell.get(cell, []), cell, day) if e.expected]
                if not expected:
                    continue
                attendance = []
                for e in expected:
                    status, reason = attendance_status(e.member_id, day, away.get(e.member_id), rng)
                    attendance.append({"member_id": e.member_id, "status": status, "reason": reason})
                if kind == "regular":
                    minutes = rng.choice([60, 75, 90, 105, 120]) if day < dt.date(2025, 10, 1) else (
                        rng.choice([70, 80]) if cell in weak else rng.choice([90, 100, 120, 135]))
                    summary = f"Kiểm điểm công tác tháng {day.month - 1 or 12:02d}, triển khai nhiệm vụ tháng {day.month:02d}/{day.year}"
                else:
                    minutes = rng.choice([120, 150, 180])
                    summary = f"Chuyên đề: {TOPICS[(day.month // 3 + ci) % len(TOPICS)]}"
                out.append(line("meeting.held", day, {
                    "meeting_id": f"{cell}-{day:%Y-%m}-{'R' if kind == 'regular' else 'T'}",
                    "org_unit_id": cell, "kind": kind, "duration_minutes": minutes,
                    "content_summary": summary, "committee_member_attended": rng.random() < 0.6,
                    "attendance": attendance}))
    out.extend(dues_lines(tl, away, rng))
    return out


def dues_lines(tl: dict[str, r.Timeline], away: dict[str, dt.date], rng: random.Random) -> list[dict]:
    out = []
    hardship = {m for m in sorted(tl) if rng.random() < 0.04}   # reduced 50 % for six months
    poor = {m for m in sorted(tl) if m not in hardship and rng.random() < 0.02}  # exempt: poor household
    for m in sorted(tl):
        t = tl[m]
        for first in months():
            last = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1) - dt.timedelta(days=1)
            if t.stint_on(last) is None:
                continue
            recorded = last + dt.timedelta(days=5)
            data = {"member_id": m, "month": f"{first:%Y-%m}", "status": "paid"}
            since = away.get(m)
            if since and first >= since.replace(day=1) and (first.year - since.year) * 12 + first.month - since.month >= 2:
                data["status"] = "paid" if rng.random() < 0.2 else "unpaid"
            elif m in poor:
                data |= {"status": "exempt", "exemption_ground": "poor_household"}
            elif m in hardship and dt.date(2025, 4, 1) <= first <= dt.date(2025, 9, 1):
                data |= {"status": "reduced", "reduction_pct": 50}
            out.append(line("dues.recorded", recorded, data))
    return out
