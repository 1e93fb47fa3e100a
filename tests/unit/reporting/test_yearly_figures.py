"""The yearly report's figures (D8) are the reporting queries' own figures, on one view."""
from __future__ import annotations

import datetime as dt

import pytest

from documents.yearly import embed
from services.reporting import yearly
from services.reporting.periods import parse_period
from services.reporting.early_warnings import warnings
from services.reporting.meeting_quality import meeting_quality
from services.reporting.term_table import term_table
from shared.errors import DomainError
from tests.unit.reporting.yearly_history import province

UTC = dt.timezone.utc
AS_OF = dt.date(2025, 12, 31)


def values(figures: dict, table: str) -> dict:
    return {r["id"]: r["values"] for r in figures["tables"][table]["rows"]}


def test_footnote_table_equals_report_term_for_the_year_and_the_term(history):
    province(history)
    v = history.view(as_of=AS_OF)
    f = yearly.figures(v, None, 2025)
    assert f["params"]["org_unit_id"] == "TN" and f["params"]["term"] == "2020-2025"
    got = values(f, "footnote")
    by_year = term_table(v, "TN", parse_period("2025"), parse_period("2024"))["rows"]
    by_term = term_table(v, "TN", parse_period("2020-2025"), parse_period("2015-2020"))["rows"]
    for y, t in zip(by_year, by_term):
        row = got[y["indicator"]]
        assert (row["year"], row["previous_year"], row["year_change"]) == (y["value"], y["previous"], y["change_pct"])
        assert (row["term"], row["previous_term"], row["term_change"]) == (t["value"], t["previous"], t["change_pct"])
    assert (got["members_removed"]["year"], got["members_removed"]["previous_year"]) == (3, 1)
    assert got["members_removed"]["year_change"] == 200.0
    assert got["orgs_disciplined"]["year"] == 1 and got["members_disciplined"]["year"] == 2
    assert got["members_resigned"]["previous_year"] == 0 and got["members_resigned"]["year_change"] is None


def test_discipline_by_form_and_subject(history):
    province(history)
    got = values(yearly.figures(history.view(as_of=AS_OF), None, 2025), "discipline")
    assert got["member.reprimand"]["year"] == 1
    assert got["member.warning"]["year"] == 1
    assert got["org_unit.warning"]["year"] == 1
    assert got["member.expulsion"]["year"] == 0 and got["org_unit.dissolution"]["year"] == 0


def test_targets_met_at_the_limit_and_not_met_above_it(history):
    province(history)
    got = values(yearly.figures(history.view(as_of=AS_OF), None, 2025), "targets")
    assert got["D1.members_removed"] == {"term_target": 1, "term_actual": 1, "term_met": True,
                                         "year_target": None, "year_actual": 1, "year_met": None}
    assert got["D0.members_removed"]["term_target"] == 2
    assert got["D0.members_removed"]["term_actual"] == 3 and got["D0.members_removed"]["term_met"] is False
    assert got["D0.members_resigned"]["term_met"] is None  # no target registered: not judged


def test_movement_and_appendix_per_direct_unit(history):
    province(history)
    f = yearly.figures(history.view(as_of=AS_OF), None, 2025)
    move = values(f, "movement")
    assert move["TN"]["opening"] == 7 and move["TN"]["removed"] == 3 and move["TN"]["resigned"] == 1
    assert move["TN"]["closing"] == 3
    appendix = values(f, "appendix")
    assert list(appendix) == ["D0", "D1"]
    assert appendix["D0"]["removed"] == 2 and appendix["D0"]["resigned"] == 1 and appendix["D0"]["closing"] == 0
    assert appendix["D1"]["closing"] == 3
    assert appendix["D0"]["orgs_disciplined"] == 1 and appendix["D1"]["members_disciplined"] == 1


def test_a_direct_unit_reports_on_its_own_subtree(history):
    province(history)
    f = yearly.figures(history.view(as_of=AS_OF), "D1", 2025)
    assert f["unit"]["name"] == "Đảng bộ huyện Số 1" and f["province"] == "Đảng bộ tỉnh Tây Ninh"
    assert values(f, "footnote")["members_removed"]["year"] == 1
    with pytest.raises(DomainError) as e:
        yearly.figures(history.view(as_of=AS_OF), "NO-SUCH", 2025)
    assert e.value.code == "org_unit_not_found"


def test_a_year_outside_every_term_is_named(history):
    province(history)
    with pytest.raises(DomainError) as e:
        yearly.figures(history.view(as_of=AS_OF), None, 2009)
    assert e.value.code == "no_term_for_year" and e.value.field == "year"
    with pytest.raises(DomainError):
        yearly.figures(history.view(as_of=AS_OF), None, 2031)
    assert yearly.figures(history.view(as_of=AS_OF), None, 2010)["params"]["term"] == "2010-2015"
    assert yearly.figures(history.view(as_of=AS_OF), None, 2030)["params"]["term"] == "2025-2030"


def test_a_late_entry_changes_the_figures_known_now_not_those_at_the_documents_known_at(history):
    province(history)
    history.generations()
    known_at = dt.datetime.now(UTC)
    document = yearly.figures(history.view(as_of=AS_OF, known_at=known_at), None, 2025)
    history.add("member.removed", "2025-08-08", {"member_id": "M00101", "ground": "abandoned_activity"},
                org_unit_id="D1-G-C", recorded_at=known_at + dt.timedelta(days=30))
    then = yearly.figures(history.view(as_of=AS_OF, known_at=known_at), None, 2025)
    now = yearly.figures(history.view(as_of=AS_OF), None, 2025)
    assert then["digest"] == document["digest"] and embed.diff(document, then) == []
    changed = {c["figure"]: c for c in embed.diff(document, now)}
    assert now["digest"] != document["digest"]
    removed = changed["footnote/members_removed/year"]
    assert (removed["document"], removed["now"]) == (3, 4)
    assert "Đảng viên bị xóa tên" in removed["label"] and "Năm 2025" in removed["label"]
    assert "appendix/D1/removed" in changed and "appendix/D0/removed" not in changed


def test_a_past_years_appendix_lists_the_direct_units_of_that_year_not_of_today(history):
    """The 2025 report drawn in 2026 (as of a day in 2026): a direct unit created in 02/2026 did not
    exist in 2025 and is not a row of its appendix; one dissolved in 2026 was there all of 2025 and is."""
    province(history, directs=3)
    history.add("org_unit.created", "2026-02-01", {"org_unit_id": "D9", "name": "Đảng bộ Mới 2026", "kind": "direct",
                                                   "parent_id": "TN"}, org_unit_id="D9")
    for mid in ("M00200", "M00201", "M00202", "M00203"):
        history.add("member.transferred", "2026-01-05", {"member_id": mid, "from_org_unit_id": "D2-G-C",
                                                         "to_org_unit_id": "D1-G-C", "kind": "official"},
                    org_unit_id="D1-G-C")
    for unit in ("D2-G-C", "D2-G", "D2"):
        history.add("org_unit.dissolved", "2026-01-20", {"org_unit_id": unit}, org_unit_id=unit)
    f = yearly.figures(history.view(as_of=dt.date(2026, 6, 30)), None, 2025)
    appendix = values(f, "appendix")
    assert list(appendix) == ["D0", "D1", "D2"]
    assert appendix["D2"]["closing"] == 4 and appendix["D1"]["closing"] == 3  # as they stood on 31/12/2025


def _cell_meets(history, cell: str, on: str, meeting: str, absent: str | None = None) -> None:
    """A regular meeting of ``cell``: its four members present, or one absent without reason."""
    members = [f"M{int(cell[1]):03d}{i:02d}" for i in range(4)]
    att = [{"member_id": m, "status": "unexcused" if m == absent else "present"} for m in members]
    history.add("meeting.held", on, {"meeting_id": meeting, "org_unit_id": cell, "kind": "regular",
                                     "duration_minutes": 120, "attendance": att}, org_unit_id=cell)
    if absent:
        history.add("meeting.missed", on, {"meeting_id": meeting, "member_id": absent, "org_unit_id": cell,
                                           "excused": False}, org_unit_id=cell)


def test_a_past_years_appendix_counts_a_cell_moved_since_under_the_direct_unit_it_stood_under(history):
    """Inspection staff check the 2025 appendix against the 2025 tree: D1's cell held its meetings,
    and its member missed one, in 2025 under D1; the cell was moved under D0 in 01/2026. Drawn in
    06/2026, the 2025 report still shows those meetings and that warning in D1's row, as D1's own
    meetings and warnings reports for 2025 do — not in D0's, whose own cell held no meeting."""
    province(history)
    _cell_meets(history, "D1-G-C", "2025-03-05", "m1")
    _cell_meets(history, "D1-G-C", "2025-04-05", "m2", absent="M00101")
    history.add("org_unit.moved", "2026-01-10", {"org_unit_id": "D1-G-C", "parent_id": "D0-G"}, org_unit_id="D1-G-C")
    v = history.view(as_of=dt.date(2026, 6, 30))
    appendix = values(yearly.figures(v, None, 2025), "appendix")
    own = meeting_quality(v, "D1", parse_period("2025"))["rows"]
    assert [r["org_unit_id"] for r in own] == ["D1-G-C"] and own[0]["attendance_rate"] == 87.5
    assert appendix["D1"]["attendance"] == 87.5 and appendix["D1"]["meeting_standard"] == 50.0
    assert appendix["D0"]["attendance"] is None and appendix["D0"]["meeting_standard"] is None
    warned_d1 = {r["member_id"] for r in warnings(v, "D1", 2025)["rows"] if r["member_id"]}
    assert "M00101" in warned_d1 and appendix["D1"]["warned"] == len(warned_d1)
    warned_d0 = {r["member_id"] for r in warnings(v, "D0", 2025)["rows"] if r["member_id"]}
    assert appendix["D0"]["warned"] == len(warned_d0) and not warned_d0 & warned_d1


def test_a_cell_moved_during_the_year_counts_each_meeting_under_the_direct_unit_of_its_day(history):
    """Moved from D1 to D0 on 01/07/2025: its March meeting (all present) is D1's, its September
    one (one member absent without reason) is D0's, and the absence warns in D0's row only."""
    province(history)
    _cell_meets(history, "D1-G-C", "2025-03-05", "m1")
    history.add("org_unit.moved", "2025-07-01", {"org_unit_id": "D1-G-C", "parent_id": "D0-G"}, org_unit_id="D1-G-C")
    _cell_meets(history, "D1-G-C", "2025-09-05", "m2", absent="M00101")
    v = history.view(as_of=dt.date(2025, 12, 31))
    appendix = values(yearly.figures(v, None, 2025), "appendix")
    assert appendix["D1"]["attendance"] == 100.0 and appendix["D1"]["meeting_standard"] == 100.0
    assert appendix["D0"]["attendance"] == 75.0 and appendix["D0"]["meeting_standard"] == 0.0
    absences = {r["member_id"] for r in warnings(v, "D0", 2025)["rows"] if r["list"] == "unexcused_absences"}
    assert absences == {"M00101"}
    assert not [r for r in warnings(v, "D1", 2025)["rows"] if r["list"] == "unexcused_absences"]


def test_a_cell_below_the_minimum_is_not_counted_as_a_warned_member(history):
    """D0's cell lost all four members by 2025 (three removed, one resigned): the warnings list it
    as a cell below the Charter's minimum (no member named); the appendix's "members with a
    warning" counts members, so that row adds none."""
    province(history)
    v = history.view(as_of=AS_OF)
    rows = warnings(v, "D0", 2025)["rows"]
    assert [r["org_unit_id"] for r in rows if r["list"] == "cell_below_minimum"] == ["D0-G-C"]
    members = {r["member_id"] for r in rows if r["member_id"]}
    assert values(yearly.figures(v, None, 2025), "appendix")["D0"]["warned"] == len(members)


def test_a_past_years_discipline_by_form_counts_decisions_where_they_stood_on_their_date(history):
    """D1's yearly report for 2025, drawn in 06/2026 after D1's cell moved under D0 (01/2026): the
    warning decided on 01/07/2025 for a member of that cell is D1's, in Bảng 3 as in Bảng 1."""
    province(history)
    history.add("org_unit.moved", "2026-01-10", {"org_unit_id": "D1-G-C", "parent_id": "D0-G"}, org_unit_id="D1-G-C")
    f = yearly.figures(history.view(as_of=dt.date(2026, 6, 30)), "D1", 2025)
    assert values(f, "footnote")["members_disciplined"]["year"] == 1
    assert values(f, "discipline")["member.warning"]["year"] == 1


def test_a_past_years_report_names_the_direct_units_as_they_were_named_that_year(history):
    """D1 renamed in 03/2026: the 2025 report drawn in 06/2026 names it as it was named in 2025 —
    in the appendix, the movement table and the targets — while a 2026 report uses the new name."""
    province(history)
    history.add("org_unit.renamed", "2026-03-01", {"org_unit_id": "D1", "name": "Đảng bộ phường Mới"}, org_unit_id="D1")
    v = history.view(as_of=dt.date(2026, 6, 30))
    f = yearly.figures(v, None, 2025)
    label = {r["id"]: r["label_vi"] for r in f["tables"]["appendix"]["rows"]}
    assert label["D1"] == "Đảng bộ huyện Số 1" and label["D0"] == "Đảng bộ huyện Số 0"
    assert {r["id"]: r["label_vi"] for r in f["tables"]["movement"]["rows"]}["D1"] == "Đảng bộ huyện Số 1"
    assert f["tables"]["targets"]["rows"][-1]["label_vi"].startswith("Đảng bộ huyện Số 1 — ")
    now = {r["id"]: r["label_vi"] for r in yearly.figures(v, None, 2026)["tables"]["appendix"]["rows"]}
    assert now["D1"] == "Đảng bộ phường Mới"


def test_the_warnings_table_counts_each_cell_below_the_minimum(history):
    """D8, Bảng 5: the row of cells with fewer than 3 official members (Charter art. 24) counts the
    cells — two such cells are 2, not 1 (their rows name no member)."""
    history.add("org_unit.created", "2020-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"})
    for cell, members in (("C1", 1), ("C2", 2), ("C3", 3)):
        history.add("org_unit.created", "2020-01-01", {"org_unit_id": cell, "name": f"Chi bộ {cell}",
                                                       "kind": "grassroots_cell", "parent_id": "TN"})
        for i in range(members):
            history.add("member.transferred_in", "2020-02-01", {"member_id": f"{cell}-{i}", "org_unit_id": cell,
                                                                "full_name": "Hồ Văn Nam", "sex": "male",
                                                                "birth_date": "1988-01-01"})
    v = history.view(as_of=AS_OF)
    listed = {r["org_unit_id"] for r in warnings(v, "TN", 2025)["rows"] if r["list"] == "cell_below_minimum"}
    assert listed == {"C1", "C2"}
    assert values(yearly.figures(v, None, 2025), "warnings")["cell_below_minimum"]["warning"] == 2
