"""A transfer recorded late, dated before facts already recorded in the old unit, moves those facts
to the new unit (they count where the member stood on their dates: DOMAIN.md §2) — from the
transfer's recording time on. As known at a time before it was recorded, the facts count in the
unit the record gave then: a report drawn as known then says what it said then (DESIGN.md §2)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.periods import parse_period
from services.reporting.queries import REPORTS
from services.reporting.term_table import counts
from shared.contracts.reporting import ReportQuery
from tests.unit.reporting.history import History, history_on

UTC = dt.timezone.utc
EARLY = dt.datetime(2024, 11, 10, 8, tzinfo=UTC)          # the decision and the removal are recorded then
LATE = dt.datetime(2025, 3, 1, 9, 30, tzinfo=UTC)         # the transfer before them is recorded then
AS_OF = dt.date(2024, 12, 31)
SHOWN = ("members_disciplined", "members_removed")


def build(h: History, live: bool) -> None:
    early = dict(recorded_at=EARLY)
    h.add("org_unit.created", "2000-01-01", {"org_unit_id": "TN", "name": "Tỉnh", "kind": "province"}, **early)
    for cell in ("C1", "C2"):
        h.add("org_unit.created", "2000-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}", "kind": "cell",
                                                 "parent_id": "TN"}, org_unit_id=cell, **early)
    h.add("member.admitted", "2020-02-01", {"member_id": "M1", "org_unit_id": "C1", "full_name": "X",
                                            "birth_date": "1980-01-01", "sex": "male"}, org_unit_id="C1", **early)
    h.add("discipline.applied", "2024-09-10", {"case_id": "K1", "subject_kind": "member", "subject_id": "M1",
                                               "form": "reprimand", "violation_on": "2024-08-10"},
          org_unit_id="C1", **early)
    h.add("member.removed", "2024-10-01", {"member_id": "M1", "ground": "abandoned_activity"}, org_unit_id="C1",
          **early)
    if live:
        h.generations()  # the read model holds both facts in C1 before the transfer reaches it
    h.add("member.transferred", "2024-07-07", {"member_id": "M1", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                                               "kind": "official"}, org_unit_id="C1", recorded_at=LATE)


def by_unit(h: History, known_at: dt.datetime | None) -> dict:
    v = h.view(as_of=AS_OF, known_at=known_at)
    return {unit: tuple(counts(v, unit, parse_period("2024"))[k] for k in SHOWN) for unit in ("C1", "C2", "TN")}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("path", ["replay", "live"])
def test_facts_refiled_by_a_late_transfer_stay_where_they_were_as_known_before(tmp_path, path, database):
    with history_on(database, tmp_path) as h:
        build(h, live=path == "live")
        before = {"C1": (1, 1), "C2": (0, 0), "TN": (1, 1)}
        after = {"C1": (0, 0), "C2": (1, 1), "TN": (1, 1)}
        assert by_unit(h, EARLY) == before
        assert by_unit(h, LATE - dt.timedelta(microseconds=1)) == before
        assert by_unit(h, LATE) == after
        assert by_unit(h, None) == after
        # every report reads the tables as known then: the term table, the causes, the warnings
        v = h.view(as_of=AS_OF, known_at=EARLY)
        q = ReportQuery(org_unit_id="C1", as_of=AS_OF, known_at=EARLY, year=2024)
        for name in ("term", "causes", "warnings", "anomalies", "evaluation", "movement"):
            REPORTS[name](v, q)
