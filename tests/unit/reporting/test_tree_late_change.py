"""A change of the tree recorded after one dated later (each unit has its own stream, so a district
may report a cell's move late) gives the structure as it stood, as if the changes had come in date
order (DOMAIN.md §2: reports on the structure as of any date). The headcount tree then adds up on
every day: a unit's total is its own members plus its sub-units' totals, before and after the
late move; the live tables equal those built from the same changes in date order, a bulk replay
equals the live projection, and a report as known at a past time draws the tree as it was known
then, in date order too."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import membership
from tests.unit.reporting.history import History, history_on

UTC = dt.timezone.utc


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


def the_province(h: History) -> None:
    rec = at("2022-01-01")
    h.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"}, recorded_at=rec)
    for d in ("D1", "D2"):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": d, "name": f"Huyện {d}", "kind": "direct",
                                                 "parent_id": "TN"}, recorded_at=rec)
    for g, d in (("G1", "D1"), ("G2", "D2")):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": g, "name": f"Xã {g}", "kind": "grassroots_committee",
                                                 "parent_id": d}, recorded_at=rec)
    n = 0
    for cell, g, size in (("C1", "G1", 3), ("C2", "G1", 4), ("C3", "G2", 5)):
        h.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}", "kind": "cell",
                                                 "parent_id": g}, recorded_at=rec)
        for _ in range(size):
            n += 1
            h.add("member.admitted", "2020-02-01", {"member_id": f"M{n}", "org_unit_id": cell, "full_name": "X",
                                                    "birth_date": "1990-01-01", "sex": "male"},
                  org_unit_id=cell, recorded_at=rec)
    h.flush()


#: (business date, recording date, unit, new parent), in the order they were recorded
MOVES = [("2021-01-01", "2022-02-01", "G1", "D2"),
         ("2020-06-01", "2022-03-01", "C1", "G2"),   # late: dated before G1's move
         ("2022-06-01", "2022-07-01", "C2", "G2"),
         ("2022-03-01", "2022-08-01", "C2", "G1")]   # the same cell, an earlier move recorded later


def recorded(h: History, moves: list[tuple]) -> None:
    the_province(h)
    for on, rec, unit, parent in moves:
        h.add("org_unit.moved", on, {"org_unit_id": unit, "parent_id": parent}, recorded_at=at(rec))
        h.flush()  # each on its own: the projection applies them in this order


def headcount(h: History, day: str, known_at: dt.datetime | None = None) -> dict[str, tuple]:
    rows = membership.headcount(h.view(as_of=dt.date.fromisoformat(day), known_at=known_at), None)
    kids: dict[str, list] = {}
    for r in rows:
        kids.setdefault(r["parent_id"], []).append(r)
    for r in rows:  # the tree adds up
        assert r["total"] == r["own"] + sum(k["total"] for k in kids.get(r["org_unit_id"], [])), (day, r)
    return {r["org_unit_id"]: (r["parent_id"], r["total"]) for r in rows}


STRUCTURE = {"units": "org_unit_id, parent_id, merged_into, merged_on", "closure": "ancestor, descendant, depth",
             "dclosure": "ancestor, descendant, from_on, to_on", "unit_spans": "org_unit_id, parent_id, from_on, to_on"}


def structure(g) -> dict[str, list]:
    return {t: sorted(g.db.query(f"SELECT {cols} FROM {g.prefix}{t}")) for t, cols in STRUCTURE.items()}


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request, tmp_path):
    with history_on(request.param, tmp_path) as hist:
        yield hist


def test_a_move_recorded_late_is_drawn_where_it_stood_on_each_day(h):
    recorded(h, MOVES)
    h.generations()
    before = headcount(h, "2020-03-01")
    assert (before["D1"], before["D2"], before["C1"]) == (("TN", 7), ("TN", 5), ("G1", 3))
    after = headcount(h, "2020-07-01")  # C1 under G2 (D2) from 01/06/2020; G1 still under D1
    assert (after["D1"], after["D2"], after["G2"], after["C1"]) == (("TN", 4), ("TN", 8), ("D2", 8), ("G2", 3))
    later = headcount(h, "2021-03-01")  # G1 (with C2) moved under D2 too
    assert (later["D1"], later["D2"], later["G1"]) == (("TN", 0), ("TN", 12), ("D2", 4))
    assert headcount(h, "2022-04-01")["C2"] == ("G1", 4)
    now = headcount(h, "2022-12-01")  # C2's latest move by date is to G2, whatever came last
    assert (now["C2"], now["G1"], now["G2"]) == (("G2", 4), ("D2", 0), ("D2", 12))


def test_the_tables_equal_those_of_the_same_changes_in_date_order(tmp_path):
    for name in ("late", "in_order"):
        (tmp_path / name).mkdir()
    late, in_order = History(tmp_path / "late"), History(tmp_path / "in_order")
    try:
        recorded(late, MOVES)
        recorded(in_order, sorted(MOVES))
        assert structure(late.generations()) == structure(in_order.generations())
    finally:
        late.close()
        in_order.close()


def test_a_bulk_replay_draws_the_same_tree_as_the_live_projection(h):
    recorded(h, MOVES)
    g = h.generations()
    live, tables = g.checksum(), structure(g)
    g.replay()
    assert structure(g) == tables
    assert g.checksum() == live
    assert headcount(h, "2020-07-01")["D2"] == ("TN", 8)


@pytest.mark.parametrize("known, d1_mid_2020", [("2022-02-15", 7), ("2022-03-15", 4)])
def test_a_report_as_known_at_a_past_time_draws_that_tree_in_date_order(h, known, d1_mid_2020):
    recorded(h, MOVES)
    h.generations()
    # known on 15/02/2022: only G1's move; on 15/03/2022: C1's late move too, drawn from 01/06/2020
    assert headcount(h, "2020-07-01", known_at=at(known))["D1"] == ("TN", d1_mid_2020)
    # known on 15/07/2022: C2's move of 01/06/2022 only, not yet the one of 01/03/2022
    assert headcount(h, "2022-04-01", known_at=at("2022-07-15"))["C2"] == ("G1", 4)
    assert headcount(h, "2022-04-01", known_at=at("2022-08-15"))["C2"] == ("G1", 4)
    assert headcount(h, "2022-12-01", known_at=at("2022-07-15"))["C2"] == ("G2", 4)
