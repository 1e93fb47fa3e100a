"""A member's record corrected later (``member.record_updated``: demobilised army / police) changes
no report as known at a time before the correction was recorded: the composition and the causes
breakdown as known then count the member in the category the record had then (DESIGN.md §2, both
clocks: an audit shows what a report said on a past day). As known at the very instant of the
correction, and after it, they follow the corrected record."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.causes import causes
from services.reporting.member_composition import composition
from services.reporting.periods import parse_period
from tests.unit.reporting.history import History, history_on, province_and_cell

UTC = dt.timezone.utc
EARLY = dt.datetime(2024, 1, 10, 8, tzinfo=UTC)           # the members and their exits are recorded then
CORRECTED = dt.datetime(2025, 3, 1, 9, 30, tzinfo=UTC)    # the records are corrected then
JUST_BEFORE = CORRECTED - dt.timedelta(microseconds=1)
AS_OF = dt.date(2024, 12, 31)


def build(h: History, live: bool) -> None:
    with_early = dict(recorded_at=EARLY)
    province_and_cell(h, "2020-01-01", EARLY)
    admitted = {"M1": "none", "M2": "army", "M3": "none", "M4": "police", "M5": "none", "M6": "none"}
    for member, demobilised in admitted.items():
        h.add("member.admitted", "2020-02-01", {"member_id": member, "org_unit_id": "C1", "full_name": "X",
                                                "birth_date": "1960-01-01", "sex": "male",
                                                "demobilised": demobilised}, org_unit_id="C1", **with_early)
    h.add("member.removed", "2024-06-01", {"member_id": "M3", "ground": "abandoned_activity"}, org_unit_id="C1",
          **with_early)
    h.add("member.resigned", "2024-07-01", {"member_id": "M4"}, org_unit_id="C1", **with_early)
    if live:
        h.generations()  # the read model is built before the corrections reach it
    corrected = dict(recorded_at=CORRECTED, org_unit_id="C1")
    h.add("member.record_updated", "2025-03-01", {"member_id": "M1", "demobilised": "army"}, **corrected)
    h.add("member.record_updated", "2025-03-01", {"member_id": "M2", "demobilised": "none"}, **corrected)
    h.add("member.record_updated", "2025-03-01", {"member_id": "M3", "demobilised": "police"}, **corrected)
    h.add("member.record_updated", "2025-03-01", {"member_id": "M4", "demobilised": "none"}, **corrected)
    h.add("member.record_updated", "2025-03-01", {"member_id": "M5", "occupation": "Nông dân"}, **corrected)
    h.add("member.record_updated", "2025-03-01", {"member_id": "M6", "demobilised": "police"}, **corrected)


def categories(h: History, known_at: dt.datetime | None) -> dict:
    v = h.view(as_of=AS_OF, known_at=known_at)
    rows = composition(v, "TN", 2024)["rows"]
    held = {r["key"]: r["value"] for r in rows if r["group"] == "category" and r["key"] in ("army", "police")}
    exits = {r["key"]: (r["removed"], r["resigned"])
             for r in causes(v, "TN", parse_period("2024"))["rows"] if r["group"] == "category"}
    return {"composition": held, "causes": {k: exits[k] for k in ("army", "police", "other")}}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("path", ["replay", "live"])
def test_a_record_corrected_later_changes_no_report_as_known_before(tmp_path, path, database):
    with history_on(database, tmp_path) as h:
        build(h, live=path == "live")
        before = {"composition": {"army": 1, "police": 0},            # M2 (M4 resigned by 31/12/2024)
                  "causes": {"army": (0, 0), "police": (0, 1), "other": (1, 0)}}  # M3 removed, M4 resigned
        after = {"composition": {"army": 1, "police": 1},              # M1 (M2 corrected to none), M6
                 "causes": {"army": (0, 0), "police": (1, 0), "other": (0, 1)}}
        assert categories(h, EARLY) == before
        assert categories(h, JUST_BEFORE) == before
        assert categories(h, CORRECTED) == after  # recorded at the very instant: known
        assert categories(h, None) == after
