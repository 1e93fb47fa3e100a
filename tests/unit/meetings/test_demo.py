"""The demo's meetings tell the directive's story and pass the live rules."""
from __future__ import annotations

import datetime as dt

from shared.application import Context
from shared.importing import run_import

from dangvien import demo, demo_meetings
from services.meetings import application as app
from services.meetings.projections import RosterOverlay


def test_every_cell_meets_monthly_and_quarterly_and_drifters_absences_rise():
    w = demo.world(per_cell=3)
    lines = demo_meetings.lines(w)
    held = [l for l in lines if l["type"] == "meeting.held"]
    for cell in w["cells"]:
        mine = [l["data"]["kind"] for l in held if l["data"]["org_unit_id"] == cell]
        assert mine.count("regular") == 18 and mine.count("thematic") == 6
    tl, _ = demo_meetings.timelines(w)
    away = demo_meetings.drifters(w, __import__("random").Random(2025))
    assert away, "the demo needs members who drift away"
    member = sorted(away)[0]
    statuses = [(l["occurred_on"], a["status"]) for l in held for a in l["data"]["attendance"] if a["member_id"] == member]
    before = [s for d, s in statuses if d < away[member].isoformat()]
    late = [s for d, s in statuses if d >= (away[member] + dt.timedelta(days=70)).isoformat()]
    assert before.count("unexcused") <= 1 and late.count("unexcused") >= len(late) // 2


def test_one_cells_demo_lines_import_through_the_live_rules(world):
    w = demo.world(per_cell=3)
    # a cell none of whose members the discipline demo expels (the expulsion's reaction in the
    # members service is not part of this file)
    expelled = set(demo_meetings.expulsions(w))
    cell = next(c for c in w["cells"]
                if not any(m["member_id"] in expelled for m in w["members"] if m["org_unit_id"] == c))
    people = {m["member_id"] for m in w["members"] if m["org_unit_id"] == cell}
    mine = [l for l in demo_meetings.lines(w)
            if l["data"].get("org_unit_id") == cell or l["data"].get("member_id") in people]
    file = [l for l in w["lines"] if l["type"].startswith("org_unit") or l["data"].get("member_id") in people] + \
        sorted(mine, key=lambda l: l["occurred_on"])
    for n, l in enumerate(file, 1):
        l["line"] = n
    overlay = RosterOverlay(world.roster)
    out = run_import(world.store, app.importers(overlay, world.vault), file, Context(today=dt.date(2026, 11, 27)),
                     observe=overlay.observe)
    assert out["ok"], out["errors"][:3]
    assert out["lines"] == len(mine)
