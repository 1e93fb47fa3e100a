"""Which events of a unit moved to another district a scoped feed reader sees (docs/events/README.md,
"Which events a scoped reader sees"): the scope the unit lies in now sees its whole history, the
earlier events included; the scope it left keeps the events dated while the unit was its own and
the move itself, and sees nothing dated after the unit left."""
from __future__ import annotations

import pytest

from services.gateway import access, eventlog
from tests.support.tree import ancestors_in

PARENT = {"TN": None, "A": "TN", "B": "TN", "A-G": "A", "B-G": "B", "C": "B-G"}
#: C was created under A-G on 01/01/2020 and moved under B-G on 01/01/2024
SPANS = {"C": [("2020-01-01", ["C", "A-G", "A", "TN"]), ("2024-01-01", ["C", "B-G", "B", "TN"])]}


ancestors = ancestors_in(PARENT)


RESOLVER = access.Resolver(ancestors, lambda m: None, spans=SPANS.get)


def ev(type_: str, on: str, unit: str = "C", **data) -> dict:
    return {"type": type_, "occurred_on": on, "org_unit_id": unit, "data": data}


LOG = [ev("org_unit.created", "2020-01-01"), ev("member.admitted", "2020-02-01"),
       ev("org_unit.moved", "2024-01-01", "B-G", org_unit_id="C", parent_id="B-G"),  # filed under the new parent
       ev("member.admitted", "2024-02-01"),
       ev("member.rated", "2023-12-20")]  # recorded after the move, dated before it


def shown(scope: str) -> list[tuple[str, str]]:
    return [(e["type"], e["occurred_on"]) for e in eventlog.visible(scope, LOG, RESOLVER)]


def test_the_district_a_unit_moved_into_sees_its_whole_history():
    assert shown("B") == [(e["type"], e["occurred_on"]) for e in LOG]
    assert shown("B-G") == shown("B")


def test_the_district_a_unit_left_keeps_its_past_and_the_move_and_nothing_after():
    assert shown("A") == [("org_unit.created", "2020-01-01"), ("member.admitted", "2020-02-01"),
                          ("org_unit.moved", "2024-01-01"), ("member.rated", "2023-12-20")]


def test_a_scope_the_unit_never_lay_in_sees_none_of_it():
    PARENT["X"] = "TN"
    try:
        assert shown("X") == []
    finally:
        del PARENT["X"]
    assert len(eventlog.visible(None, LOG, RESOLVER)) == len(LOG)  # province-wide: everything


def test_the_residence_district_sees_the_introduction_to_its_cell_and_no_other_event_of_the_member():
    """QĐ 213: district A introduces its member (cell A-C) to the residence cell R of district B.
    B's reader sees that introduction (it names B's cell) — not the member's other events in A."""
    PARENT.update({"A-C": "A-G", "R": "B-G"})
    log = [ev("member.admitted", "2020-02-01", "A-C", member_id="M1"),
           ev("member.liaison_introduced", "2024-03-01", "A-C", member_id="M1", residence_org_unit_id="R"),
           ev("member.rated", "2024-12-20", "A-C", member_id="M1", year=2024, rating="good")]
    try:
        seen = {s: [e["type"] for e in eventlog.visible(s, log, RESOLVER)] for s in ("A", "B", "B-G", "R", "X")}
    finally:
        for unit in ("A-C", "R"):
            del PARENT[unit]
    assert seen["A"] == ["member.admitted", "member.liaison_introduced", "member.rated"]
    assert seen["B"] == seen["B-G"] == seen["R"] == ["member.liaison_introduced"]
    assert seen["X"] == []


def test_without_the_history_of_the_tree_only_the_structure_of_today_counts():
    bare = access.Resolver(ancestors, lambda m: None)
    assert eventlog.visible("A", LOG, bare) == []


# -- on the running system, as the other feed tests ------------------------------------------------

def whole_log(system, user: str) -> list[dict]:
    from tests.gateway.test_event_log import whole_log as pages
    return pages(system, user, limit=500)


@pytest.mark.integration
def test_a_cell_moved_between_districts_on_the_running_system(system):
    """TN-D2 creates a cell and admits a member (2020); the province moves the cell to TN-D1
    (01/01/2024), a member is admitted there (02/2024), and a fact dated before the move is recorded
    after it. TN-D1 — its owner now — reads the cell's whole history, the earlier events included;
    TN-D2 keeps what happened while the cell was its own, and the move, and nothing after."""
    if "d2_viewer" not in system.tokens:
        system.tokens["d2_viewer"] = system.user_add("d2_viewer", "viewer", "TN-D2")
    cell = "TN-MOVED-C7"
    person = {"full_name": "Đặng Thị Dời", "birth_date": "1988-03-04", "sex": "female"}
    steps = [
        ("create_org_unit", {"org_unit_id": cell, "name": "Chi bộ Chuyển", "kind": "cell", "parent_id": "TN-D2-G1",
                             "occurred_on": "2020-01-02"}),
        ("admit_member", {"member_id": "MV-000001", "org_unit_id": cell, **person, "occurred_on": "2020-02-03"}),
        ("move_org_unit", {"org_unit_id": cell, "parent_id": "TN-D1-G1", "occurred_on": "2024-01-01"}),
        ("admit_member", {"member_id": "MV-000002", "org_unit_id": cell, **person, "occurred_on": "2024-02-05"}),
        ("complete_new_member_class", {"member_id": "MV-000001", "occurred_on": "2020-09-10"}),  # late entry
    ]
    ids = []
    for path, body in steps:
        status, done = system.call("POST", f"/api/v1/members/{path}", "admin", body)
        assert status == 201, (path, done)
        ids.append(done["events"][0]["event_id"])
    created, first, moved, second, late = ids
    d1 = [e["event_id"] for e in whole_log(system, "d1_viewer")]
    d2 = [e["event_id"] for e in whole_log(system, "d2_viewer")]
    everything = [e["event_id"] for e in whole_log(system, "admin")]
    assert [i for i in d1 if i in ids] == [created, first, moved, second, late]  # its whole history
    assert [i for i in d2 if i in ids] == [created, first, moved, late], ([ids.index(i) for i in d2 if i in ids])  # its past and the move only
    assert [i for i in everything if i in ids] == ids
    cell_reader = [e["event_id"] for e in whole_log(system, "cell_clerk")]  # another cell of TN-D1
    assert not set(ids) & set(cell_reader)
