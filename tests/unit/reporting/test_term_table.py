"""The directive's footnote 1, reproduced from an event history (D0; DOMAIN.md §7.1)."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.periods import parse_period
from services.reporting.term_table import term_table
from tests.unit.reporting.history import History

D = dt.date


def build_province(h, cells_per_direct: int = 4, directs: int = 5) -> list[str]:
    h.add("org_unit.created", "2000-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"})
    cells = []
    for d in range(directs):
        did = f"D{d}"
        h.add("org_unit.created", "2000-01-01", {"org_unit_id": did, "name": f"Đảng bộ huyện {d}", "kind": "direct",
                                                 "parent_id": "TN"}, org_unit_id=did)
        for g in range(8):  # grassroots committees: the organisations that get disciplined
            gid = f"{did}-G{g}"
            h.add("org_unit.created", "2000-01-01", {"org_unit_id": gid, "name": f"Đảng bộ xã {d}.{g}",
                                                     "kind": "grassroots_committee", "parent_id": did}, org_unit_id=gid)
            if g < cells_per_direct:
                cid = f"{gid}-C"
                h.add("org_unit.created", "2000-01-01", {"org_unit_id": cid, "name": f"Chi bộ ấp {d}.{g}",
                                                         "kind": "cell", "parent_id": gid}, org_unit_id=cid)
                cells.append(cid)
    return cells


class Ids:
    def __init__(self):
        self.n = 0

    def member(self, h, cells, on="2005-01-10") -> tuple[str, str]:
        self.n += 1
        mid, cell = f"M{self.n:05d}", cells[self.n % len(cells)]
        h.add("member.admitted", on, {"member_id": mid, "org_unit_id": cell, "full_name": "Nguyễn Văn A",
                                      "birth_date": "1980-01-01", "sex": "male", "demobilised": "none"},
              org_unit_id=cell)
        return mid, cell


def day_in(term: str, i: int) -> dt.date:
    p = parse_period(term)
    return p.start + dt.timedelta(days=(i * 37) % ((p.end - p.start).days + 1))


def footnote_history(h) -> None:
    cells = build_province(h)
    orgs = [f"D{d}-G{g}" for d in range(5) for g in range(8)]
    ids, case = Ids(), [0]

    def decide(subject_kind, subject, on, form="warning"):
        case[0] += 1
        cid = f"K{case[0]:05d}"
        h.add("discipline.applied", on, {"case_id": cid, "subject_kind": subject_kind, "subject_id": subject,
                                         "form": form, "violation_on": (on - dt.timedelta(days=90)).isoformat()})
        return cid

    for term, n_orgs, n_disc, n_removed, n_resigned in (("2010-2015", 11, 767, 308, 120),
                                                        ("2015-2020", 23, 633, 424, 238)):
        for i in range(n_orgs):
            decide("org_unit", orgs[i], day_in(term, i))
        decide("org_unit", orgs[0], day_in(term, 99))  # an organisation disciplined twice: counted once
        for i in range(n_disc):
            mid, _ = ids.member(h, cells)
            cid = decide("member", mid, day_in(term, i))
            if i % 50 == 0:  # disciplined twice in the same term: still one member
                decide("member", mid, day_in(term, i + 3), form="reprimand")
            if i % 97 == 0:  # an appeal changed the form: the case stays
                h.add("discipline.changed", day_in(term, i + 5), {"case_id": cid, "form": "reprimand"})
        for i in range(n_removed):
            mid, _ = ids.member(h, cells)
            h.add("member.removed", day_in(term, i), {"member_id": mid, "ground": "abandoned_activity"})
        for i in range(n_resigned):
            mid, _ = ids.member(h, cells)
            h.add("member.resigned", day_in(term, i), {"member_id": mid})
        # an annulled decision leaves the statistics
        mid, _ = ids.member(h, cells)
        cid = decide("member", mid, day_in(term, 7))
        h.add("discipline.annulled", day_in(term, 40), {"case_id": cid})
        cid = decide("org_unit", orgs[-1], day_in(term, 8))
        h.add("discipline.annulled", day_in(term, 41), {"case_id": cid})
    # facts outside both terms
    for on in (D(2009, 5, 1), D(2010, 9, 30), D(2020, 10, 1), D(2023, 3, 3)):
        mid, _ = ids.member(h, cells)
        decide("member", mid, on)
        decide("org_unit", orgs[-2], on)
        mid, _ = ids.member(h, cells)
        h.add("member.removed", on, {"member_id": mid, "ground": "unpaid_dues"})
        mid, _ = ids.member(h, cells)
        h.add("member.resigned", on, {"member_id": mid})


@pytest.fixture(scope="module")
def footnote(tmp_path_factory):
    """Built once for the module: ~5,000 events."""
    h = History(tmp_path_factory.mktemp("footnote"))
    footnote_history(h)
    h.generations()
    yield h
    h.close()


def test_footnote_term_2015_2020_against_2010_2015(footnote):
    v = footnote.view()
    out = term_table(v, None, parse_period("2015-2020"), parse_period("2010-2015"))
    got = {r["indicator"]: (r["value"], r["previous"], r["change_pct"]) for r in out["rows"]}
    assert got["orgs_disciplined"] == (23, 11, 109.09)
    assert got["members_disciplined"] == (633, 767, -17.47)
    assert got["members_removed"] == (424, 308, 37.66)
    assert got["members_resigned"] == (238, 120, 98.33)


def test_footnote_for_the_province_subtree_equals_the_whole(footnote):
    v = footnote.view()
    whole = term_table(v, None, parse_period("2015-2020"), parse_period("2010-2015"))["rows"]
    tn = term_table(v, "TN", parse_period("2015-2020"), parse_period("2010-2015"))["rows"]
    assert whole == tn
    d0 = term_table(v, "D0", parse_period("2015-2020"), parse_period("2010-2015"))["rows"]
    assert 0 < d0[1]["value"] < tn[1]["value"]


def test_annulment_counts_until_known(history):
    """As known before the annulment was recorded, the decision still counts."""
    build_province(history)
    history.add("discipline.applied", "2016-03-01", {"case_id": "K1", "subject_kind": "org_unit",
                                                      "subject_id": "D1-G1", "form": "warning",
                                                      "violation_on": "2016-01-01"},
                recorded_at=dt.datetime(2016, 3, 2, tzinfo=dt.timezone.utc))
    history.add("discipline.annulled", "2016-06-01", {"case_id": "K1"},
                recorded_at=dt.datetime(2016, 6, 2, tzinfo=dt.timezone.utc))
    term = parse_period("2015-2020")
    before = term_table(history.view(known_at=dt.datetime(2016, 5, 1)), None, term, parse_period("2010-2015"))
    after = term_table(history.view(), None, term, parse_period("2010-2015"))
    assert before["rows"][0]["value"] == 1
    assert after["rows"][0]["value"] == 0
    assert before["rows"][0]["change_pct"] is None  # previous 0 → no percentage


def _utc(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=dt.timezone.utc)


def test_a_late_recorded_decision_counts_only_once_known(history):
    """A decision of 01/03/2016 typed in on 10/01/2017: the table as known on 31/12/2016 (what was
    reported then) leaves it out, for organisations and members alike; known from its recording on,
    it counts, dated by its decision."""
    cells = build_province(history)
    mid, _ = Ids().member(history, cells)
    recorded = _utc(2017, 1, 10, 9, 0)
    for cid, kind, subject in (("K1", "org_unit", "D1-G1"), ("K2", "member", mid)):
        history.add("discipline.applied", "2016-03-01", {"case_id": cid, "subject_kind": kind, "subject_id": subject,
                                                          "form": "warning", "violation_on": "2016-01-01"},
                    recorded_at=recorded)
    term, before_term = parse_period("2015-2020"), parse_period("2010-2015")

    def counted(known_at):
        rows = term_table(history.view(known_at=known_at), None, term, before_term)["rows"]
        return {r["indicator"]: r["value"] for r in rows if r["indicator"].endswith("_disciplined")}

    assert counted(_utc(2016, 12, 31)) == {"orgs_disciplined": 0, "members_disciplined": 0}
    assert counted(recorded - dt.timedelta(seconds=1)) == {"orgs_disciplined": 0, "members_disciplined": 0}
    assert counted(recorded) == {"orgs_disciplined": 1, "members_disciplined": 1}
    assert counted(None) == {"orgs_disciplined": 1, "members_disciplined": 1}
