"""The demo's discipline lines pass the live rules and look like the directive's footnote."""
import json
from collections import Counter

from shared.application import Context
from shared.importing import parse_jsonl, run_import
from shared.readmodel import ReadModelDB
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import ProjectionRunner
from services.discipline import application as app
from services.discipline.effect import in_effect
from services.discipline.projections import CasesProjection, OverlayRoster, RosterProjection, load_cases

from dangvien import demo, demo_discipline
from tests.unit.discipline.conftest import D


def test_the_demo_term_imports_cleanly_and_has_the_footnotes_shape(tmp_path):
    world = demo.world()
    ours = demo_discipline.lines(world)
    all_lines = sorted(world["lines"] + ours, key=lambda l: l["occurred_on"])
    lines, errors = parse_jsonl("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in all_lines))
    assert errors == []
    store = SQLiteEventStore(tmp_path / "discipline.events.db")
    db = ReadModelDB(f"sqlite:///{tmp_path}/discipline.read.db")
    ProjectionRunner(db, RosterProjection(), {})
    roster = OverlayRoster(db)
    result = run_import(store, app.importers(roster), lines, Context(today=D(2026, 12, 31)), observe=roster.observe)
    assert result["errors"] == [] and result["written"] > 0

    applied = [l for l in ours if l["type"] == "discipline.applied"]
    members = Counter(l["data"]["form"] for l in applied if l["data"]["subject_kind"] == "member")
    orgs = sum(1 for l in applied if l["data"]["subject_kind"] == "org_unit")
    assert members["expulsion"] >= 1 and members["dismissal"] >= 1
    assert all(l["data"].get("post") for l in applied if l["data"]["form"] == "dismissal")
    assert 1 <= orgs < sum(members.values()) / 10  # 23 organisations to 633 members in 2015–2020
    assert {l["type"] for l in ours} >= {"discipline.appealed", "discipline.annulled", "discipline.changed",
                                         "discipline.upheld", "supervision.concluded", "inspection.concluded"}

    ProjectionRunner(db, CasesProjection(), {"discipline": store}).catch_up("discipline")
    [annulled] = [l["data"]["case_id"] for l in ours if l["type"] == "discipline.annulled"]
    assert annulled not in {r["case_id"] for r in in_effect(load_cases(db), D(2026, 1, 1))}
    store.close()
    db.close()
