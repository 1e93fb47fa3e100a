"""A report on a past period names its units as they were named then (DOMAIN.md §2: the
structure — tree, names, parents — as of the report's date), the unit reported on included.

Given a province TN with the district D1 «Huyện Một» and its cell C1 «Chi bộ Một», both renamed on
1/7/2025 (the district level abolished: D1 becomes «Phường Một», C1 «Chi bộ Khu phố Một»):
every report on D1 for 2022 drawn in 2026 — its header, its own row, its sub-units — says
«Huyện Một» and «Chi bộ Một»; the 2026 report, and the report on today's structure, the new names.
Run on SQLite and on PostgreSQL read models.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import (causes, early_warnings, evaluation, meeting_quality, member_composition, warning_pages,
                                warning_spans, yearly)
from services.reporting.membership import headcount, movement
from services.reporting.periods import parse_period
from services.reporting.term_table import term_table
from tests.unit.reporting.history import history_on

RENAMED = "2025-07-01"


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request, tmp_path):
    with history_on(request.param, tmp_path) as history:
        history.add("org_unit.created", "2015-01-01", {"org_unit_id": "TN", "name": "Tỉnh ủy Tây Ninh",
                                                       "kind": "province"})
        history.add("org_unit.created", "2015-01-01", {"org_unit_id": "D1", "name": "Huyện Một", "kind": "direct",
                                                       "parent_id": "TN"})
        history.add("org_unit.created", "2015-01-01", {"org_unit_id": "C1", "name": "Chi bộ Một",
                                                       "kind": "grassroots_cell", "parent_id": "D1"})
        history.add("member.admitted", "2018-03-01", {"member_id": "M1", "org_unit_id": "C1", "full_name": "A",
                                                      "birth_date": "1980-01-01", "sex": "male"}, org_unit_id="C1")
        history.add("member.removed", "2022-05-10", {"member_id": "M1", "ground": "no_progress"})
        history.add("org_unit.renamed", RENAMED, {"org_unit_id": "D1", "name": "Phường Một"}, org_unit_id="D1")
        history.add("org_unit.renamed", RENAMED, {"org_unit_id": "C1", "name": "Chi bộ Khu phố Một"},
                    org_unit_id="C1")
        yield history


def names(rows) -> dict:
    return {r["org_unit_id"]: r["name"] for r in rows}


def test_period_reports_name_the_unit_reported_on_as_it_was_named_in_the_period(h):
    v = h.view(as_of=dt.date(2026, 6, 30))
    y2022, y2021 = parse_period("2022"), parse_period("2021")
    moved = movement(v, "D1", y2022)
    assert moved["unit_name"] == "Huyện Một"
    assert names(moved["rows"]) == {"D1": "Huyện Một", "C1": "Chi bộ Một"}
    assert term_table(v, "D1", y2022, y2021)["unit_name"] == "Huyện Một"
    assert term_table(v, "C1", parse_period("2015-2020"), parse_period("2010-2015"))["unit_name"] == "Chi bộ Một"
    # a period is named by its last day: the 2020–2025 term ended on 30/09/2025, after the renaming
    assert term_table(v, "C1", parse_period("2020-2025"), parse_period("2015-2020"))["unit_name"] \
        == "Chi bộ Khu phố Một"
    judged = evaluation.evaluation(v, "D1", y2022, y2021)
    assert judged["unit_name"] == "Huyện Một"
    assert {r["name"] for r in judged["rows"] if r["org_unit_id"] == "D1"} == {"Huyện Một"}
    assert causes.causes(v, "D1", y2022)["unit_name"] == "Huyện Một"
    met = meeting_quality.meeting_quality(v, "D1", y2022)
    assert met["unit_name"] == "Huyện Một" and names(met["rows"]) == {"C1": "Chi bộ Một"}
    # the early-warning lists for 2022 (C1 is below 3 official members): each of their three paths
    for listed in (early_warnings.warnings(v, "D1", 2022), warning_pages.whole(v, "D1", 2022),
                   warning_spans.page(v, "D1", 2022, 1, 50)):
        assert listed["unit_name"] == "Huyện Một"
        assert listed["rows"] and {r["unit_name"] for r in listed["rows"]} == {"Chi bộ Một"}
    # the yearly report to the Standing Committee on the district, for 2022
    f = yearly.figures(v, "D1", 2022)
    assert f["unit"]["name"] == "Huyện Một"
    assert {r["id"]: r["label_vi"] for r in f["tables"]["movement"]["rows"]}["D1"] == "Huyện Một"


def test_as_of_reports_name_the_units_as_they_were_named_that_day(h):
    before = h.view(as_of=dt.date(2021, 12, 31))
    assert names(headcount(before, "D1")) == {"D1": "Huyện Một", "C1": "Chi bộ Một"}
    assert names(headcount(before, None))["D1"] == "Huyện Một"
    assert member_composition.composition(before, "D1", 2021)["unit_name"] == "Huyện Một"


def test_later_reports_and_the_current_structure_use_the_new_names(h):
    v = h.view(as_of=dt.date(2026, 6, 30))
    assert movement(v, "D1", parse_period("2026"))["unit_name"] == "Phường Một"
    assert names(movement(v, "D1", parse_period("2026"))["rows"]) == {"D1": "Phường Một", "C1": "Chi bộ Khu phố Một"}
    assert names(headcount(h.view(as_of=dt.date(2025, 7, 1)), "D1"))["D1"] == "Phường Một"
    current = h.view(as_of=dt.date(2026, 6, 30), structure="current")
    assert movement(current, "D1", parse_period("2022"))["unit_name"] == "Phường Một"
    assert names(headcount(h.view(as_of=dt.date(2021, 12, 31), structure="current"), "D1"))["D1"] == "Phường Một"
