"""A member's record updated to "demobilised army/police" (member.record_updated; D0, D5) counts
in that category in the composition and the causes breakdown (DOMAIN.md §7.3, §7.6), as one admitted
with it does — a clerk who corrects the record expects the breakdown to follow."""
from __future__ import annotations

import datetime as dt

from services.reporting.causes import causes
from services.reporting.member_composition import composition
from services.reporting.periods import parse_period
from tests.unit.reporting.history import two_cells


def by_key(rows, group):
    return {r["key"]: r for r in rows if r["group"] == group}


def test_a_record_updated_to_demobilised_counts_in_that_category(history):
    two_cells(history, ("M1", "M2", "M3"))
    history.add("member.record_updated", "2024-03-01", {"member_id": "M1", "demobilised": "army"})
    history.add("member.record_updated", "2024-03-01", {"member_id": "M2", "demobilised": "police"})
    history.add("member.record_updated", "2024-03-02", {"member_id": "M3", "occupation": "Nông dân"})  # not this field
    history.add("member.removed", "2024-06-01", {"member_id": "M1", "ground": "abandoned_activity"})
    v = history.view(as_of=dt.date(2024, 5, 1))
    cats = by_key(composition(v, "TN", 2023)["rows"], "category")
    assert (cats["army"]["value"], cats["police"]["value"]) == (1, 1)
    later = history.view(as_of=dt.date(2024, 12, 31))
    found = by_key(causes(later, "TN", parse_period("2024"))["rows"], "category")
    assert (found["army"]["removed"], found["other"]["removed"]) == (1, 0)
