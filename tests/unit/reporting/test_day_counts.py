"""Pre-aggregated counts per unit and day (issue 15) give the answers of the fact tables.

The history: the restructured province of ``test_structure`` (a cell moved out of a district that
is dissolved, a district merged into another), plus a member re-admitted after removal (two
admissions: counted once), a member disciplined twice and a case annulled, a member moved between
cells of two districts, a transfer out, a unit moved by an event recorded after the facts it
reclassifies, a cell losing and gaining a member the same day, and facts recorded years after
their date. Every term-table indicator and every
headcount tree, for every unit, several periods and days (the day before, of and after a change),
on both structures, must equal the answer read from the fact tables. Run on SQLite and on
PostgreSQL read models.
"""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from services.reporting import daycount_queries, daycounts
from services.reporting.membership import (headcount, headcount_page, heads_from_stints, movement_from_stints,
                                           movement_of)
from services.reporting.periods import dates_period, parse_period
from services.reporting.term_table import INDICATORS, count, count_from_facts, term_table
from shared.events import format_recorded_at
from tests.unit.reporting.history import History
from tests.unit.reporting.test_structure import admit, restructured

UTC = dt.timezone.utc
LATE = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AFTER_EVERYTHING = dt.datetime(9000, 1, 1, tzinfo=UTC)


def from_facts(v, indicator, org, period) -> int:
    return count_from_facts(v, indicator, org, period.capped(v.as_of))


def tangled(h: History) -> History:
    restructured(h)
    h.add("org_unit.created", "2015-01-01", {"org_unit_id": "C4", "name": "Chi bộ Bốn", "kind": "grassroots_cell",
                                             "parent_id": "D3"})
    admit(h, "M8", "C3", "2019-06-01")
    h.add("member.removed", "2021-02-02", {"member_id": "M8", "ground": "no_progress"})
    admit(h, "M8", "C4", "2023-04-04")  # re-admitted: two admissions, one member
    h.add("discipline.applied", "2021-09-09", {"case_id": "K2", "subject_kind": "member", "subject_id": "M3",
                                               "form": "warning", "violation_on": "2021-08-01"}, org_unit_id="C1")
    h.add("discipline.applied", "2022-01-05", {"case_id": "K3", "subject_kind": "member", "subject_id": "M6",
                                               "form": "reprimand", "violation_on": "2021-12-01"}, org_unit_id="C3")
    h.add("discipline.annulled", "2022-03-01", {"case_id": "K3", "reason": "wrong"})
    h.add("discipline.applied", "2022-06-06", {"case_id": "K4", "subject_kind": "org_unit", "subject_id": "C2",
                                               "form": "reprimand", "violation_on": "2022-01-01"}, org_unit_id="C2")
    h.add("member.transferred", "2024-05-05", {"member_id": "M4", "from_org_unit_id": "C2", "to_org_unit_id": "C1",
                                               "kind": "official"})
    h.add("member.transferred_out", "2024-08-08", {"member_id": "M1", "to": "Tỉnh khác"})
    admit(h, "M10", "C1", "2024-08-08")  # C1's head row that day: −1 then +1, no row left
    # recorded years after the day they happened
    h.add("member.expelled", "2023-11-11", {"member_id": "M6"}, recorded_at=LATE)
    admit_late = {"member_id": "M9", "org_unit_id": "C4", "full_name": "Lê Thị B", "birth_date": "1990-01-01",
                  "sex": "female", "demobilised": "none"}
    h.add("member.admitted", "2022-07-07", admit_late, org_unit_id="C4", recorded_at=LATE)
    # C4 moved under D1 from 2022-01-01, recorded after the facts dated after it
    h.add("org_unit.moved", "2022-01-01", {"org_unit_id": "C4", "parent_id": "D1"})
    return h


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request, tmp_path):
    with contextlib.ExitStack() as stack:
        url = None
        if request.param == "postgresql":
            from tests.support.services import pg_database
            url = stack.enter_context(pg_database())
        history = History(tmp_path, url)
        stack.callback(history.close)
        yield tangled(history)


UNITS = (None, "TN", "D1", "D2", "D3", "C1", "C2", "C3", "C4")
PERIODS = ("2015-2020", "2020-2025", "2021", "2022", "2023", "2025")
DAYS = ("2021-02-01", "2021-02-02", "2021-02-03", "2022-01-01", "2023-04-04", "2024-05-05", "2024-08-08",
        "2025-06-30", "2025-07-01", "2025-07-02", "2026-01-01")


def test_term_table_from_the_counts_equals_the_fact_tables(h):
    checked = 0
    for structure in ("as_stood", "current"):
        fast = h.view(as_of=dt.date(2026, 1, 1), structure=structure)
        assert daycount_queries.usable(fast)
        for org in UNITS:
            for name in PERIODS:
                for indicator in INDICATORS:
                    assert count(fast, indicator, org, parse_period(name)) == \
                        from_facts(fast, indicator, org, parse_period(name)), (structure, org, name, indicator)
                    checked += count(fast, indicator, org, parse_period(name))
        # a period ending the day before, on and after a fact
        for end in ("2021-02-01", "2021-02-02", "2021-02-03"):
            p = dates_period(dt.date(2021, 1, 1), dt.date.fromisoformat(end))
            assert count(fast, "members_removed", "TN", p) == from_facts(fast, "members_removed", "TN", p) == \
                (0 if end == "2021-02-01" else 1)
    assert checked > 20  # the counts are not all zero
    stood = h.view(as_of=dt.date(2026, 1, 1))
    assert count(stood, "members_admitted", "TN", dates_period(dt.date(2015, 1, 1), dt.date(2025, 12, 31))) == 10  # M8 twice, counted once
    assert count(stood, "members_disciplined", "TN", parse_period("2021")) == 1  # M3 twice, counted once
    assert count(stood, "members_disciplined", "TN", parse_period("2022")) == 0  # K3 annulled
    assert count(stood, "members_admitted", "D1", parse_period("2022")) == 1  # M9 in C4, under D1 since 1/1/2022
    assert count(stood, "members_admitted", "D3", parse_period("2022")) == 0


def test_the_term_table_read_in_one_pass_equals_the_fact_tables(h):
    """The table reads all its indicators in one pass over the counts; each row, for every unit,
    period and structure, is the count read from the fact tables (a re-admitted member and a member
    disciplined twice included)."""
    for structure in ("as_stood", "current"):
        v = h.view(as_of=dt.date(2026, 1, 1), structure=structure)
        for org in UNITS:
            for name, compare in (("2020-2025", "2015-2020"), ("2023", "2021"), ("2022", "2025")):
                rows = term_table(v, org, parse_period(name), parse_period(compare))["rows"]
                assert [(r["value"], r["previous"]) for r in rows] == \
                    [(from_facts(v, i, org, parse_period(name)), from_facts(v, i, org, parse_period(compare)))
                     for i in INDICATORS], (structure, org, name)
    rows = {r["indicator"]: r["value"] for r in term_table(h.view(as_of=dt.date(2026, 1, 1)), "TN",
                                                             parse_period("2020-2025"), parse_period("2015-2020"))["rows"]}
    assert rows["members_disciplined"] == 1 and rows["orgs_disciplined"] == 1  # M3 twice: once; K3 annulled


def test_headcount_from_the_counts_equals_the_stints(h):
    for structure in ("as_stood", "current"):
        for day in DAYS:
            on = dt.date.fromisoformat(day)
            fast = h.view(as_of=on, structure=structure)
            assert daycount_queries.usable(fast)
            assert daycount_queries.heads(fast) == heads_from_stints(fast), (structure, day)
    rows = {r["org_unit_id"]: r for r in headcount(h.view(as_of=dt.date(2024, 5, 5)), None)}
    assert (rows["C1"]["own"], rows["C2"]["own"]) == (3, 0)  # M4 moved from C2 to C1 that day
    rows = {r["org_unit_id"]: r for r in headcount(h.view(as_of=dt.date(2024, 5, 4)), None)}
    assert (rows["C1"]["own"], rows["C2"]["own"]) == (2, 1)  # the day before


def test_headcount_pages_concatenated_are_the_whole_tree(h):
    """A page reads the counts of its own units only: pages of every size, joined, give the whole
    tree (read from the counts, and from the stints as known at an earlier time), with the totals
    to page on; a page past the end is empty."""
    views = [h.view(as_of=dt.date.fromisoformat(day), structure=s) for s in ("as_stood", "current")
             for day in ("2022-01-01", "2024-05-05", "2026-01-01")]
    views.append(h.view(as_of=dt.date(2026, 1, 1), known_at=dt.datetime(2026, 2, 1, tzinfo=UTC)))
    assert not daycount_queries.usable(views[-1])
    for v in views:
        for org in (None, "TN", "D1", "D3"):
            whole = headcount(v, org)
            for size in (1, 2, 3, 7, 100):
                pages, number = [], 1
                while True:
                    got = headcount_page(v, org, number, size)
                    assert (got["total"], got["page_size"], got["page"]) == (len(whole), size, number)
                    assert got["pages"] == max(1, -(-len(whole) // size))
                    pages += got["rows"]
                    if number >= got["pages"]:
                        break
                    assert len(got["rows"]) == size
                    number += 1
                assert pages == whole, (v.as_of, v.structure, org, size)
                assert headcount_page(v, org, got["pages"] + 1, size)["rows"] == []
    first = headcount_page(h.view(as_of=dt.date(2026, 1, 1)), "TN", 1, 2)
    assert [(r["org_unit_id"], r["own"], r["total"]) for r in first["rows"]] == [("TN", 0, 6), ("C1", 4, 4)]


def test_the_tree_kept_in_memory_follows_a_change_of_the_tree(h):
    """The tree and its totals are kept per day until the tree changes: a unit moved (a fact
    recorded now, dated earlier) shows at once under its new parent, with its members."""
    v = h.view(as_of=dt.date(2026, 1, 1))
    before = {r["org_unit_id"]: r for r in headcount(v, "TN")}
    assert before["C1"]["parent_id"] == "TN" and (before["C1"]["total"], before["D3"]["total"]) == (4, 0)
    h.add("org_unit.moved", "2025-12-01", {"org_unit_id": "C1", "parent_id": "D3"})
    v = h.view(as_of=dt.date(2026, 1, 1))
    after = {r["org_unit_id"]: r for r in headcount(v, "TN")}
    assert after["C1"]["parent_id"] == "D3" and after["C1"]["depth"] == 2
    assert (after["D3"]["total"], after["TN"]["total"]) == (4, before["TN"]["total"])
    # the day before the move, the tree of that day
    assert {r["org_unit_id"]: r for r in headcount(h.view(as_of=dt.date(2025, 11, 30)), "TN")}["D3"]["total"] == 0
    assert daycount_queries.heads(v) == heads_from_stints(v)
    assert headcount_page(v, "TN", 1, 100)["rows"] == headcount(v, "TN")


def test_movement_from_the_counts_equals_the_stints(h):
    """Biểu 1 summed from the stints' starts, ends and heads per unit and day: every figure of
    every unit, for periods and days around the moves (a cell moved by a late-recorded event, a
    district merged, one dissolved, a member moved between districts), on both structures, equals
    the stints cut by the tree."""
    h.add("member.died", "2025-07-01", {"member_id": "M3"})  # dies in C1 the day C1 leaves D1
    units = ["TN", "D1", "D2", "D3", "C1", "C2", "C3", "C4"]
    periods = [parse_period(x) for x in ("2015-2020", "2020-2025", "2021", "2022", "2024", "2025", "2026")]
    periods += [dates_period(dt.date(2022, 1, 1), dt.date(2022, 1, 1)), dates_period(dt.date(2021, 12, 31),
                dt.date(2022, 1, 1)), dates_period(dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
                dates_period(dt.date(2024, 5, 5), dt.date(2024, 8, 8))]
    checked = 0
    for structure in ("as_stood", "current"):
        for day in ("2024-05-05", "2025-07-01", "2026-01-01"):
            v = h.view(as_of=dt.date.fromisoformat(day), structure=structure)
            assert daycount_queries.usable(v)
            for p in periods:
                fast = movement_of(v, units, p)
                assert fast == movement_from_stints(v, units, p), (structure, day, p.name)
                checked += sum(sum(r.values()) for r in fast.values())
    assert checked > 100
    v = h.view(as_of=dt.date(2026, 1, 1))
    assert movement_of(v, ["D1"], parse_period("2024"))["D1"]["moved_in"] == 1  # M4, from a cell of D2
    assert movement_of(v, ["TN"], parse_period("2024"))["TN"]["internal_in"] == 1  # the same move, inside TN
    d1 = movement_of(v, ["D1"], parse_period("2025"))["D1"]
    assert (d1["moved_out"], d1["died"]) == (2, 1)  # C1 left D1 with two members; M3 died in D1 that day


def test_known_at_before_the_latest_recording_reads_the_fact_tables(h):
    year = parse_period("2023")
    before = h.view(as_of=dt.date(2026, 1, 1), known_at=dt.datetime(2026, 2, 1, tzinfo=UTC))
    assert not daycount_queries.usable(before)  # M6's expulsion was recorded on 1/3/2026
    assert count(before, "members_expelled", "TN", year) == 0
    assert count(h.view(as_of=dt.date(2026, 1, 1)), "members_expelled", "TN", year) == 1
    # "as known" at or after the latest recording (a yearly report as known now): the counts serve it
    g = h.generations()
    latest_text = g.db.query(f"SELECT latest_rec FROM {g.prefix}day_counts_built")[0][0]
    recorded = [e.recorded_at for s in h.stores.values() for e in s.read_all()]
    latest = max(recorded)
    assert latest_text == format_recorded_at(latest)
    for moment in (latest, latest + dt.timedelta(microseconds=1), AFTER_EVERYTHING):
        v = h.view(as_of=dt.date(2026, 1, 1), known_at=moment)
        assert daycount_queries.usable(v) and count(v, "members_expelled", "TN", year) == 1
    just_before = h.view(as_of=dt.date(2026, 1, 1), known_at=latest - dt.timedelta(microseconds=1))
    assert not daycount_queries.usable(just_before)
    assert count(just_before, "members_expelled", "TN", year) == 1  # recorded long before


def day_rows(g, prefix):
    return (sorted(g.db.query(f"SELECT indicator, org_unit_id, day, n FROM {prefix}day_counts")),
            sorted(g.db.query(f"SELECT indicator, subject_id FROM {prefix}day_repeats")))


def test_live_counts_equal_a_replay_and_a_rebuild(h):
    g = h.generations()
    live = day_rows(g, g.prefix)
    assert live[0] and ("member.admitted", "M8") in live[1] and ("case.member", "M3") in live[1]
    checksum = g.checksum()
    result = g.replay()
    assert g.prefix != "g1_" and result["checksum"] == checksum  # the checksum covers the facts only
    assert day_rows(g, g.prefix) == live
    # a generation from before the counts: its tables are filled when the service starts
    with g.db.transaction() as tx:
        tx.execute(f"DROP TABLE {g.prefix}day_counts")
        tx.execute(f"DROP TABLE {g.prefix}day_counts_built")
    from services.reporting.generations import Generations
    again = Generations(g.db, h.stores)
    assert day_rows(again, again.prefix) == live
    # counted before the movement's flows were: filled again on start, flows included
    with g.db.transaction() as tx:
        tx.execute(f"DELETE FROM {g.prefix}day_counts WHERE indicator IN ('in', 'out', 'in0', 'out0')")
        tx.execute(f"DROP TABLE {g.prefix}day_flows_built")
    assert not daycounts.flows_built(g.db, g.prefix)
    again = Generations(g.db, h.stores)
    assert day_rows(again, again.prefix) == live and daycounts.flows_built(g.db, g.prefix)
    assert any(r[0] == "out" for r in live[0])
