"""Membership movement reconciles (DOMAIN.md §7.2) and both clocks hold (DESIGN.md §2)."""
from __future__ import annotations

import datetime as dt
import random

from dangvien import demo
from services.reporting.membership import headcount, movement, movement_of, reconciles
from services.reporting.periods import parse_period
from services.reporting.term_table import term_table

UTC = dt.timezone.utc


def demo_with_movement(h) -> list[str]:
    """The demo history plus transfers between units and every kind of exit, on seeded dates."""
    w = demo.world()
    lines = list(w["lines"])
    rng = random.Random(7)
    cells = w["cells"]
    exits = ["member.removed", "member.resigned", "member.died", "member.transferred_out", "member.expelled"]
    for i, m in enumerate(w["members"][::3]):
        on = dt.date.fromisoformat(m["admitted_on"]) + dt.timedelta(days=rng.randrange(30, 900))
        if i % 2:
            to = rng.choice(cells)
            if to != m["org_unit_id"]:
                lines.append({"type": "member.transferred", "occurred_on": on.isoformat(),
                              "data": {"member_id": m["member_id"], "from_org_unit_id": m["org_unit_id"],
                                       "to_org_unit_id": to, "kind": "official"}})
        else:
            kind = exits[i % len(exits)]
            data = {"member_id": m["member_id"]}
            data |= {"member.removed": {"ground": "abandoned_activity"}, "member.transferred_out": {"destination": "Long An"},
                     "member.expelled": {"case_id": f"K{i}"}}.get(kind, {})
            lines.append({"type": kind, "occurred_on": on.isoformat(), "data": data})
    lines.append({"type": "member.transferred_in", "occurred_on": "2019-05-05",
                  "data": {"member_id": "IN1", "org_unit_id": cells[0], "full_name": "Lê Văn Bình",
                           "birth_date": "1990-02-02", "sex": "male", "demobilised": "army", "origin": "Long An"}})
    lines.sort(key=lambda l: l["occurred_on"])
    h.add_lines(lines)
    return [u["data"]["org_unit_id"] for u in lines if u["type"] == "org_unit.created"]


def test_movement_reconciles_for_every_unit_and_year_of_the_demo(history):
    units = demo_with_movement(history)
    v = history.view(as_of=dt.date(2026, 12, 31))
    seen_flows = set()
    for year in range(2015, 2027):
        figures = movement_of(v, units, parse_period(str(year)))
        for unit, row in figures.items():
            assert reconciles(row), (unit, year, row)
            seen_flows |= {k for k, n in row.items() if n and k not in ("opening", "closing")}
    assert {"admitted", "moved_in", "moved_out", "removed", "resigned", "died", "transferred_out",
            "expelled", "transferred_in"} <= seen_flows  # the history exercised every column


def test_closing_of_one_year_is_the_opening_of_the_next_and_the_headcount(history):
    demo_with_movement(history)
    v = history.view(as_of=dt.date(2026, 12, 31))
    y1 = {r["org_unit_id"]: r for r in movement(v, "TN", parse_period("2019"))["rows"]}
    y2 = {r["org_unit_id"]: r for r in movement(v, "TN", parse_period("2020"))["rows"]}
    assert all(y1[u]["closing"] == y2[u]["opening"] for u in y1)
    hc = {r["org_unit_id"]: r["total"] for r in headcount(history.view(as_of=dt.date(2019, 12, 31)), "TN")}
    assert all(hc[u] == y1[u]["closing"] for u in y1)


def test_a_late_entered_fact_changes_now_but_not_as_known_before(history):
    history.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"},
                recorded_at=dt.datetime(2015, 1, 1, tzinfo=UTC))
    history.add("org_unit.created", "2015-01-01", {"org_unit_id": "C1", "name": "Chi bộ Ấp 1", "kind": "grassroots_cell",
                                                   "parent_id": "TN"}, recorded_at=dt.datetime(2015, 1, 1, tzinfo=UTC))
    for i in range(3):
        history.add("member.admitted", "2016-02-01", {"member_id": f"M{i}", "org_unit_id": "C1", "full_name": "Trần Thị Mai",
                                                      "birth_date": "1990-01-01", "sex": "female"},
                    recorded_at=dt.datetime(2016, 2, 2, tzinfo=UTC))
    # a removal decided in 2018, entered only in March 2021
    history.add("member.removed", "2018-06-01", {"member_id": "M1", "ground": "abandoned_activity"},
                recorded_at=dt.datetime(2021, 3, 15, tzinfo=UTC))
    period = parse_period("2015-2020")
    now = history.view()
    before = history.view(known_at=dt.datetime(2020, 12, 31, tzinfo=UTC))
    removed = lambda v: term_table(v, "TN", period, parse_period("2010-2015"))["rows"][2]["value"]  # noqa: E731
    assert removed(now) == 1 and removed(before) == 0
    closing = lambda v: movement(v, "TN", parse_period("2018"))["rows"][0]  # noqa: E731
    assert closing(now)["closing"] == 2 and closing(now)["removed"] == 1
    assert closing(before)["closing"] == 3 and closing(before)["removed"] == 0
    assert closing(before)["reconciles"] and closing(now)["reconciles"]
