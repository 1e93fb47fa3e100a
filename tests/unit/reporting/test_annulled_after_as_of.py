"""An annulled discipline decision leaves the statistics from its annulment on (DOMAIN.md §5, §7.1;
D0, D7): a report as of a day before the annulment still counts the decision then in force — the
term table, the evaluation's organisation rating, the forms table of the yearly report and the
causes breakdown alike, whether read from the counts per unit and day or from the fact tables."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting import causes, evaluation, term_table, yearly
from services.reporting.periods import parse_period
from tests.unit.reporting.history import two_cells

UTC = dt.timezone.utc
YEAR = parse_period("2024")
ANNULMENTS_RECORDED = dt.datetime(2030, 1, 1, 8, tzinfo=UTC)  # after the rest, recorded now


def annulled_in_2025(h) -> None:
    """M1 (cell C1) warned on 10/05/2024 and cell C2 reprimanded on 01/06/2024; both decisions
    annulled on 01/02/2025 (recorded after everything else, at ``ANNULMENTS_RECORDED``); M2 warned
    on 15/07/2024, never annulled."""
    two_cells(h, ("M1", "M2"))
    for case, kind, subject, form, on in (("K1", "member", "M1", "warning", "2024-05-10"),
                                          ("K2", "org_unit", "C2", "reprimand", "2024-06-01"),
                                          ("K3", "member", "M2", "warning", "2024-07-15")):
        h.add("discipline.applied", on, {"case_id": case, "subject_kind": kind, "subject_id": subject, "form": form,
                                         "violation_on": "2024-01-05"})
    for case in ("K1", "K2"):
        h.add("discipline.annulled", "2025-02-01", {"case_id": case}, recorded_at=ANNULMENTS_RECORDED)


def figures_of(view) -> dict:
    table = term_table.counts(view, "TN", YEAR)
    forms = {r["id"]: r["values"]["year"] for r in yearly.discipline_forms(view, "TN", YEAR)["rows"]}
    causes_row = {r["key"]: r["disciplined"] for r in causes.causes(view, "TN", YEAR)["rows"]
                  if r["group"] == "category"}
    rating = evaluation.rating_rule(view, "D1", YEAR)
    return {"orgs": table["orgs_disciplined"], "members": table["members_disciplined"],
            "one_org": term_table.count(view, "orgs_disciplined", "D1", YEAR),
            "one_member": term_table.count(view, "members_disciplined", "C1", YEAR),
            "forms": (forms["member.warning"], forms["org_unit.reprimand"]),
            "causes": sum(causes_row.values()), "not_complete": rating["not_complete"]}


STANDING = {"orgs": 1, "members": 2, "one_org": 1, "one_member": 2, "forms": (2, 1), "causes": 2, "not_complete": True}
ANNULLED = {"orgs": 0, "members": 1, "one_org": 0, "one_member": 1, "forms": (1, 0), "causes": 1, "not_complete": False}


@pytest.mark.parametrize("as_of, expected", [
    ("2024-12-31", STANDING),  # the year's end: in force
    ("2025-01-31", STANDING),  # the day before the annulment
    ("2025-02-01", ANNULLED),  # the annulment's day: gone from then on
    ("2025-02-02", ANNULLED),
])
def test_a_decision_counts_until_the_day_it_is_annulled(history, as_of, expected):
    annulled_in_2025(history)
    day = dt.date.fromisoformat(as_of)
    assert figures_of(history.view(as_of=day)) == expected  # everything recorded: the counts per day
    # as known at a time after every recording (the counts too) and at one before the annulment was
    # recorded (the fact tables): the decision stood then whatever the as-of date
    assert figures_of(history.view(as_of=day, known_at=ANNULMENTS_RECORDED)) == expected
    known_before = ANNULMENTS_RECORDED - dt.timedelta(seconds=1)
    assert figures_of(history.view(as_of=day, known_at=known_before)) == STANDING
