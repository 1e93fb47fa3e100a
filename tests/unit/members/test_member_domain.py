"""The members domain as a clerk of the organisation department reads it, without a database: what
a refusal names (the unit, its closing day, the member and how they left), what renaming, moving,
merging or dissolving a unit writes, and a member's record folded from its facts.

Written from the survivors of a mutation run of ``services/members/domain.py`` (see
docs/mutation-testing.md): each test fails when one of those small bugs is planted.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import domain
from services.members import rules as R
from shared.contracts import members as c
from shared.rules import rules_on

from tests.unit.domain.given import fact, refused, types

D = dt.date
DAY = dt.timedelta(days=1)
ON = D(2024, 3, 1)


def unit(org_unit_id: str, kind: str = "cell", parent_id: str | None = "G1", *later) -> domain.OrgUnit:
    return domain.fold_org_unit([fact("org_unit.created", D(2010, 1, 1), org_unit_id, org_unit_id=org_unit_id,
                                      name=f"Đơn vị {org_unit_id}", kind=kind, parent_id=parent_id), *later])


def dissolved(org_unit_id: str, on=D(2023, 7, 1), kind="cell") -> domain.OrgUnit:
    return unit(org_unit_id, kind, "G1", fact("org_unit.dissolved", on, org_unit_id, org_unit_id=org_unit_id))


def member(*facts) -> domain.Member:
    return domain.fold_member(list(facts))


def error_dict(when, rule):
    e = refused(when, rule)
    return {"field": e.field, "vi": e.message_vi, "en": e.message_en, **({"details": e.details} if e.details else {})}


# --- units that are not there, or closed ---------------------------------------------------------------

@pytest.mark.parametrize("missing", [None, domain.OrgUnit()])
def test_a_unit_that_does_not_exist_is_named_in_the_field_the_clerk_filled(missing):
    rename = c.RenameOrgUnit(org_unit_id="C7", name="Chi bộ 7", occurred_on=ON)
    assert error_dict(lambda: domain.rename_org_unit(missing, rename), R.ORG_UNIT_NOT_FOUND) == {
        "field": "org_unit_id", "vi": "Không tìm thấy tổ chức đảng «C7»", "en": "Party organisation 'C7' not found"}
    merge = c.MergeOrgUnit(org_unit_id="C1", into_org_unit_id="C7", occurred_on=ON)
    assert error_dict(lambda: domain.merge_org_unit(unit("C1"), missing, [], [], merge), R.ORG_UNIT_NOT_FOUND) == {
        "field": "into_org_unit_id", "vi": "Không tìm thấy tổ chức đảng «C7»",
        "en": "Party organisation 'C7' not found"}
    create = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="G7", occurred_on=ON)
    assert error_dict(lambda: domain.create_org_unit(domain.OrgUnit(), missing, create), R.ORG_UNIT_NOT_FOUND) == {
        "field": "parent_id", "vi": "Không tìm thấy tổ chức đảng «G7»", "en": "Party organisation 'G7' not found"}


def test_a_closed_unit_is_named_with_the_day_it_closed_for_each_command():
    closed = dissolved("C1", D(2023, 7, 1))
    expected = {"field": "org_unit_id", "vi": "Tổ chức đảng «C1» đã giải thể hoặc hợp nhất từ ngày 01/07/2023",
                "en": "Party organisation 'C1' was dissolved or merged on 01/07/2023"}
    assert error_dict(lambda: domain.rename_org_unit(closed, c.RenameOrgUnit(org_unit_id="C1", name="X",
                                                                               occurred_on=ON)),
                      R.ORG_UNIT_INACTIVE) == expected
    move = c.MoveOrgUnit(org_unit_id="C1", parent_id="G2", occurred_on=ON)
    assert error_dict(lambda: domain.move_org_unit(closed, unit("G2", "grassroots_committee", "D1"), [], move),
                      R.ORG_UNIT_INACTIVE) == expected
    dissolve = c.DissolveOrgUnit(org_unit_id="C1", occurred_on=ON)
    assert error_dict(lambda: domain.dissolve_org_unit(closed, [], [], dissolve), R.ORG_UNIT_INACTIVE) == expected
    merge = c.MergeOrgUnit(org_unit_id="C1", into_org_unit_id="C2", occurred_on=ON)
    assert error_dict(lambda: domain.merge_org_unit(closed, unit("C2"), [], [], merge), R.ORG_UNIT_INACTIVE) == expected
    # the successor closed: named in its own field
    merge = c.MergeOrgUnit(org_unit_id="C2", into_org_unit_id="C1", occurred_on=ON)
    assert error_dict(lambda: domain.merge_org_unit(unit("C2"), closed, [], [], merge), R.ORG_UNIT_INACTIVE) == \
        {**expected, "field": "into_org_unit_id"}


def test_a_unit_that_holds_no_members_is_named_with_its_kind():
    error = refused(lambda: domain.require_member_holding(unit("G1", "grassroots_committee", "D1"), "to_org_unit_id"),
                    R.ORG_UNIT_HOLDS_NO_MEMBERS)
    assert (error.field, error.message_vi, error.message_en) == (
        "to_org_unit_id", "Đảng bộ cơ sở «Đơn vị G1» không trực tiếp quản lý đảng viên; hãy chọn một chi bộ",
        "A 'grassroots_committee' does not hold members directly; choose a cell")
    domain.require_member_holding(unit("C1"), "to_org_unit_id")
    domain.require_member_holding(unit("S1", "grassroots_cell", "D1"), "to_org_unit_id")


# --- creating and placing units ----------------------------------------------------------------------

def test_a_unit_under_no_parent_is_named_by_kind_and_a_closed_parent_by_id():
    cmd = c.CreateOrgUnit(org_unit_id="G9", name="Xã 9", kind="grassroots_committee", occurred_on=ON)
    assert error_dict(lambda: domain.create_org_unit(domain.OrgUnit(), None, cmd), R.PARENT_REQUIRED) == {
        "field": "parent_id", "vi": "Đảng bộ cơ sở phải thuộc một tổ chức cấp trên",
        "en": "A unit of kind 'grassroots_committee' needs a parent"}
    province = c.CreateOrgUnit(org_unit_id="P2", name="Tỉnh", kind="province", occurred_on=ON)
    assert types(domain.create_org_unit(domain.OrgUnit(), None, province)) == ["org_unit.created"]
    under_closed = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="G1", occurred_on=ON)
    error = refused(lambda: domain.create_org_unit(domain.OrgUnit(), dissolved("G1", kind="grassroots_committee"),
                                                   under_closed), R.PARENT_INACTIVE)
    assert (error.field, error.message_en) == ("parent_id", "Parent 'G1' was dissolved or merged")
    assert "«G1»" in error.message_vi
    wrong = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="D1", occurred_on=ON)
    error = refused(lambda: domain.create_org_unit(domain.OrgUnit(), unit("D1", "direct", "P"), wrong),
                    R.PARENT_KIND_NOT_ALLOWED)
    assert error.message_en == "A unit of kind 'cell' cannot sit under a 'direct'"


def test_a_created_unit_is_filed_under_itself_on_its_day():
    cmd = c.CreateOrgUnit(org_unit_id="C9", name="Chi bộ 9", kind="cell", parent_id="G1", occurred_on=ON)
    [d] = domain.create_org_unit(domain.OrgUnit(), unit("G1", "grassroots_committee", "D1"), cmd)
    p = d.payload
    assert (p.org_unit_id, p.name, p.kind, p.parent_id) == ("C9", "Chi bộ 9", "cell", "G1")
    assert (d.occurred_on, d.org_unit_id, d.stream) == (ON, "C9", None)
    error = refused(lambda: domain.create_org_unit(unit("C9"), unit("G1", "grassroots_committee", "D1"), cmd),
                    R.ORG_UNIT_EXISTS)
    assert error.message_en == "Party organisation 'C9' already exists"


def test_renaming_writes_the_new_name_once():
    cmd = c.RenameOrgUnit(org_unit_id="C1", name="Chi bộ Khu phố 1", occurred_on=ON)
    [d] = domain.rename_org_unit(unit("C1"), cmd)
    assert (d.payload.TYPE, d.payload.org_unit_id, d.payload.name) == ("org_unit.renamed", "C1", "Chi bộ Khu phố 1")
    assert (d.occurred_on, d.org_unit_id) == (ON, "C1")
    # the same name again: nothing to write
    assert domain.rename_org_unit(unit("C1"), c.RenameOrgUnit(org_unit_id="C1", name="Đơn vị C1", occurred_on=ON)) == []


def test_a_unit_moves_under_another_parent_but_not_under_itself_or_its_own_sub_units():
    g2 = unit("G2", "grassroots_committee", "D1")
    move = c.MoveOrgUnit(org_unit_id="C1", parent_id="G2", occurred_on=ON)
    [d] = domain.move_org_unit(unit("C1"), g2, ["D1", "P"], move)
    assert (d.payload.org_unit_id, d.payload.parent_id, d.occurred_on, d.org_unit_id) == ("C1", "G2", ON, "G2")
    # already there: nothing to write
    assert domain.move_org_unit(unit("C1", "cell", "G2"), g2, ["D1", "P"], move) == []
    # under one of its own sub-units
    branch = c.MoveOrgUnit(org_unit_id="G1", parent_id="B1", occurred_on=ON)
    error = refused(lambda: domain.move_org_unit(unit("G1", "branch", "G0"), unit("B1", "grassroots_committee", "G1"),
                                                 ["G1", "D1", "P"], branch), R.MOVE_INTO_OWN_SUBTREE)
    assert error.message_vi == "Không thể chuyển «Đơn vị G1» vào trong chính tổ chức cấp dưới của nó"
    # under itself
    itself = c.MoveOrgUnit(org_unit_id="G1", parent_id="G1", occurred_on=ON)
    refused(lambda: domain.move_org_unit(unit("G1", "branch", "G0"), unit("G1", "grassroots_committee", "D1"),
                                         ["D1", "P"], itself), R.MOVE_INTO_OWN_SUBTREE)


# --- merging and dissolving ----------------------------------------------------------------------------

def test_a_unit_with_sub_units_names_them_when_merged_or_dissolved():
    children = [f"C{i:02}" for i in range(21)]
    dissolve = c.DissolveOrgUnit(org_unit_id="G1", occurred_on=ON)
    assert error_dict(lambda: domain.dissolve_org_unit(unit("G1", "grassroots_committee", "D1"), children, [],
                                                       dissolve), R.ORG_UNIT_HAS_SUB_UNITS) == {
        "field": "org_unit_id",
        "vi": "Không thể giải thể «Đơn vị G1» khi còn 21 tổ chức trực thuộc; "
              "hãy chuyển hoặc hợp nhất các tổ chức này trước",
        "en": "Cannot dissolve 'G1' while it has 21 sub-units; move or merge them first",
        "details": {"sub_units": children[:20]}}  # the first 20 are listed
    merge = c.MergeOrgUnit(org_unit_id="G1", into_org_unit_id="G2", occurred_on=ON)
    error = refused(lambda: domain.merge_org_unit(unit("G1", "grassroots_committee", "D1"),
                                                  unit("G2", "grassroots_committee", "D1"), ["C1"], [], merge),
                    R.ORG_UNIT_HAS_SUB_UNITS)
    assert error.message_vi.startswith("Không thể hợp nhất «Đơn vị G1» khi còn 1 tổ chức trực thuộc")
    assert error.message_en.startswith("Cannot merge 'G1' while it has 1 sub-units")


def test_a_unit_holding_members_is_named_when_dissolved():
    cmd = c.DissolveOrgUnit(org_unit_id="C1", occurred_on=ON)
    error = refused(lambda: domain.dissolve_org_unit(unit("C1"), [], ["M1", "M2"], cmd), R.ORG_UNIT_HAS_MEMBERS)
    assert error.message_vi == "Không thể giải thể «Đơn vị C1» khi còn 2 đảng viên; hãy chuyển sinh hoạt cho họ trước"
    [d] = domain.dissolve_org_unit(unit("C1"), [], [], c.DissolveOrgUnit(org_unit_id="C1", reason="discipline",
                                                                         occurred_on=ON))
    assert (d.payload.org_unit_id, d.payload.reason, d.occurred_on, d.org_unit_id) == ("C1", "discipline", ON, "C1")


def test_a_merge_transfers_every_member_officially_then_closes_the_unit():
    cmd = c.MergeOrgUnit(org_unit_id="C1", into_org_unit_id="C2", occurred_on=ON)
    out = domain.merge_org_unit(unit("C1"), unit("C2"), [], ["M2", "M1"], cmd)
    assert types(out) == ["member.transferred", "member.transferred", "org_unit.merged"]
    assert [(d.payload.member_id, d.payload.from_org_unit_id, d.payload.to_org_unit_id, d.payload.kind,
             d.payload.purpose, d.occurred_on, d.org_unit_id, d.stream) for d in out[:2]] == [
        ("M1", "C1", "C2", "official", "merge", ON, "C2", "member-M1"),
        ("M2", "C1", "C2", "official", "merge", ON, "C2", "member-M2")]
    merged = out[2]
    assert (merged.payload.org_unit_id, merged.payload.into_org_unit_id, merged.occurred_on, merged.org_unit_id,
            merged.stream) == ("C1", "C2", ON, "C1", None)


def test_members_cannot_be_merged_into_a_unit_that_holds_none():
    cmd = c.MergeOrgUnit(org_unit_id="C1", into_org_unit_id="G2", occurred_on=ON)
    g2 = unit("G2", "grassroots_committee", "D1")
    assert error_dict(lambda: domain.merge_org_unit(unit("C1"), g2, [], ["M1", "M2", "M3"], cmd),
                      R.SUCCESSOR_HOLDS_NO_MEMBERS) == {
        "field": "into_org_unit_id",
        "vi": "«Đơn vị G2» không trực tiếp quản lý đảng viên nên không thể nhận 3 đảng viên của «Đơn vị C1»",
        "en": "'G2' holds no members, so it cannot take the 3 members of 'C1'"}
    # an empty unit may be merged into a committee
    assert types(domain.merge_org_unit(unit("C1"), g2, [], [], cmd)) == ["org_unit.merged"]


# --- a member's record, folded -------------------------------------------------------------------------

ADMITTED = fact("member.admitted", D(2020, 2, 3), "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                sex="female", full_name="Trần Thị Bình")


def test_an_admitted_members_record():
    m = member(ADMITTED)
    assert m == domain.Member("M1", "C1", "probationary", D(2020, 2, 3), D(1990, 5, 1), "female", "none",
                              admissions=1, joined_on=D(2020, 2, 3), record={"full_name": "Trần Thị Bình"},
                              latest_on=D(2020, 2, 3), latest_fact="member.admitted")
    assert m.probation_end(12) == D(2021, 2, 3)
    veteran = fact("member.admitted", D(2020, 2, 3), "C1", member_id="M1", org_unit_id="C1", birth_date="1990-05-01",
                   sex="male", demobilised="army")
    assert member(veteran).demobilised == "army"


def test_a_sealed_birth_date_stays_sealed_and_no_admission_day_means_no_probation_end():
    from shared.personal import PREFIX
    sealed = PREFIX + "abc"
    assert domain.date_or_sealed(sealed) == sealed
    assert domain.date_or_sealed(None) is None
    assert domain.date_or_sealed("1990-05-01") == D(1990, 5, 1)
    assert domain.Member().probation_end(12) is None


def test_a_readmitted_member_keeps_how_they_left_and_counts_two_admissions():
    left = fact("member.removed", D(2021, 6, 1), "C1", member_id="M1", ground="unpaid_dues")
    shredded = fact("member.personal_data_shredded", D(2021, 7, 1), "C1", member_id="M1")
    again = fact("member.admitted", D(2025, 1, 6), "C2", member_id="M1", org_unit_id="C2", birth_date="1990-05-01",
                 sex="female", citizen_id="001190000001")
    m = member(ADMITTED, left, shredded, again)
    assert m == domain.Member("M1", "C2", "probationary", D(2025, 1, 6), D(1990, 5, 1), "female", "none",
                              left_on=D(2021, 6, 1), left_how="removed:unpaid_dues", admissions=2, readmitted=True,
                              joined_on=D(2025, 1, 6), record={"full_name": "Trần Thị Bình", "citizen_id": "001190000001"}, shredded=True,
                              latest_on=D(2025, 1, 6), latest_fact="member.admitted")


def test_a_member_transferred_in_from_another_province():
    came = fact("member.transferred_in", D(2022, 3, 1), "C1", member_id="M5", org_unit_id="C1",
                admitted_on="2015-09-02", birth_date="1985-01-20", sex="male", demobilised="police",
                full_name="Lê Văn Cường")
    assert member(came) == domain.Member("M5", "C1", "official", D(2015, 9, 2), D(1985, 1, 20), "male", "police",
                                         papers_due_unit="C1", papers_due_since=D(2022, 3, 1), admissions=1,
                                         class_done=True, joined_on=D(2022, 3, 1),
                                         record={"full_name": "Lê Văn Cường", "demobilised": "police"},
                                         latest_on=D(2022, 3, 1), latest_fact="member.transferred_in")
    probationary = fact("member.transferred_in", D(2022, 3, 1), "C1", member_id="M5", org_unit_id="C1",
                        status="probationary", birth_date="1985-01-20", sex="male")
    m = member(probationary)
    assert (m.status, m.admitted_on, m.demobilised, m.probation_end(12)) == ("probationary", None, "none", None)
    # back after leaving: the earlier admission still counts, and a shredded record stays shredded
    left = fact("member.transferred_out", D(2021, 1, 1), "C1", member_id="M5")
    shredded = fact("member.personal_data_shredded", D(2021, 2, 1), "C1", member_id="M5")
    back = member(fact("member.admitted", D(2010, 1, 1), "C1", member_id="M5", org_unit_id="C1",
                       birth_date="1985-01-20", sex="male"), left, shredded, probationary)
    assert (back.admissions, back.shredded, back.record) == (1, True, {})
    twice = member(ADMITTED, fact("member.removed", D(2021, 6, 1), "C1", member_id="M1", ground="x"),
                   fact("member.admitted", D(2025, 1, 6), "C1", member_id="M1", org_unit_id="C1",
                        birth_date="1990-05-01", sex="female"),
                   fact("member.transferred_out", D(2025, 6, 1), "C1", member_id="M1"),
                   fact("member.transferred_in", D(2026, 1, 1), "C1", member_id="M1", org_unit_id="C1",
                        birth_date="1990-05-01", sex="female"))
    assert twice.admissions == 2


def test_an_updated_record_merges_and_keeps_the_demobilised_status_unless_given():
    upd = fact("member.record_updated", D(2022, 1, 1), "C1", member_id="M1", ethnicity="Kinh", demobilised=None)
    m = member(ADMITTED, upd)
    assert (m.record, m.demobilised, m.status) == ({"full_name": "Trần Thị Bình", "ethnicity": "Kinh"}, "none",
                                                   "probationary")
    m = member(ADMITTED, fact("member.record_updated", D(2022, 1, 1), "C1", member_id="M1", demobilised="army"))
    assert (m.record, m.demobilised) == ({"full_name": "Trần Thị Bình", "demobilised": "army"}, "army")


def test_a_temporary_transfer_keeps_the_home_unit_and_an_official_one_moves_the_member():
    temp = fact("member.transferred", D(2022, 1, 10), "C2", member_id="M1", from_org_unit_id="C1",
                to_org_unit_id="C2", kind="temporary", until="2022-06-10")
    m = member(ADMITTED, temp)
    assert (m.org_unit_id, m.host_unit_id, m.temporary_until, m.papers_due_unit) == ("C1", "C2", D(2022, 6, 10), None)
    open_ended = fact("member.transferred", D(2022, 1, 10), "C2", member_id="M1", from_org_unit_id="C1",
                      to_org_unit_id="C2", kind="temporary")
    assert member(ADMITTED, open_ended).temporary_until is None
    official = fact("member.transferred", D(2022, 7, 1), "C3", member_id="M1", from_org_unit_id="C1",
                    to_org_unit_id="C3", kind="official", purpose="work")
    m = member(ADMITTED, temp, official)
    assert (m.org_unit_id, m.host_unit_id, m.temporary_until, m.papers_due_unit) == ("C3", None, None, "C3")
    merged = fact("member.transferred", D(2022, 7, 1), "C3", member_id="M1", from_org_unit_id="C1",
                  to_org_unit_id="C3", kind="official", purpose="merge")
    m = member(ADMITTED, temp, merged)
    assert (m.org_unit_id, m.host_unit_id, m.temporary_until, m.papers_due_unit) == ("C3", None, None, None)


def test_leaving_clears_the_host_cell_the_exemption_and_the_papers_due():
    temp = fact("member.transferred", D(2022, 1, 10), "C2", member_id="M1", from_org_unit_id="C1",
                to_org_unit_id="C2", kind="temporary", until="2022-06-10")
    exempt = fact("member.exempted", D(2022, 2, 1), "C1", member_id="M1", ground="illness", until="2022-12-31")
    official = fact("member.transferred", D(2022, 1, 5), "C3", member_id="M1", from_org_unit_id="C1",
                    to_org_unit_id="C3", kind="official", purpose="work")
    m = member(ADMITTED, official, temp, exempt, fact("member.died", D(2022, 3, 1), "C3", member_id="M1"))
    assert (m.status, m.left_on, m.left_how, m.host_unit_id, m.exemption, m.papers_due_unit) == \
        (domain.LEFT, D(2022, 3, 1), "died", None, None, None)
    assert member(ADMITTED, fact("member.transferred_out", D(2022, 3, 1), "C1", member_id="M1")).left_how == \
        "transferred_out"


def test_flags_set_by_facts():
    m = member(ADMITTED, fact("member.new_member_class_completed", D(2020, 5, 1), "C1", member_id="M1"),
               fact("member.recognized_official", D(2021, 2, 3), "C1", member_id="M1"),
               fact("member.working_away_started", D(2022, 1, 1), "C1", member_id="M1"))
    assert (m.class_done, m.status, m.working_away, m.member_id, m.org_unit_id) == (True, "official", True, "M1", "C1")


# --- refusals about the member -------------------------------------------------------------------------

def test_a_member_not_found_is_named():
    error = refused(lambda: domain.require_active_member(domain.Member(), "M7"), R.MEMBER_NOT_FOUND)
    assert (error.field, error.message_en) == ("member_id", "Member 'M7' not found")


@pytest.mark.parametrize("leaving, vi, en", [
    (fact("member.resigned", D(2022, 1, 10), "C1", member_id="M1"),
     "Đảng viên «M1» đã ra khỏi Đảng ngày 10/01/2022", "Member 'M1' resigned on 10/01/2022"),
    (fact("member.expelled", D(2022, 1, 10), "C1", member_id="M1"),
     "Đảng viên «M1» đã bị khai trừ ngày 10/01/2022", "Member 'M1' was expelled on 10/01/2022"),
    (fact("member.died", D(2022, 1, 10), "C1", member_id="M1"),
     "Đảng viên «M1» đã từ trần ngày 10/01/2022", "Member 'M1' died on 10/01/2022"),
    (fact("member.transferred_out", D(2022, 1, 10), "C1", member_id="M1"),
     "Đảng viên «M1» đã chuyển sinh hoạt ra ngoài tỉnh ngày 10/01/2022",
     "Member 'M1' was transferred out of the province on 10/01/2022"),
    (fact("member.removed", D(2022, 1, 10), "C1", member_id="M1", ground="unpaid_dues"),
     "Đảng viên «M1» đã bị xóa tên ngày 10/01/2022", "Member 'M1' was removed from the rolls on 10/01/2022"),
])
def test_a_member_who_left_is_named_with_how_and_when(leaving, vi, en):
    error = refused(lambda: domain.require_active_member(member(ADMITTED, leaving), "M1"), R.MEMBER_NOT_ACTIVE)
    assert (error.field, error.message_vi, error.message_en) == ("member_id", vi, en)


# --- admission age ---------------------------------------------------------------------------------------

def test_over_60_counted_in_whole_months_needs_a_special_decision():
    birth = D(1964, 3, 15)
    rules = rules_on(D(2024, 3, 15))
    domain.check_admission_age(birth, D(2024, 3, 15), None, rules)  # the 60th birthday
    domain.check_admission_age(birth, D(2024, 4, 14), None, rules)  # 60 years 0 months, the day before a month more
    error = refused(lambda: domain.check_admission_age(birth, D(2024, 4, 15), None, rules), R.TOO_OLD)
    assert error.field == "special_age_decision"
    assert error.message_vi == ("Người trên 60 tuổi (60 tuổi 1 tháng vào ngày 15/04/2024) chỉ được kết nạp khi có "
                                "quyết định đặc biệt của cấp có thẩm quyền "
                                f"({rules.source('admission_max_age_months')})")
    assert "QĐ 24" in error.message_vi
    assert error.message_en == "Admission over 60 (60 years 1 months on 15/04/2024) needs a special decision"
    error = refused(lambda: domain.check_admission_age(birth, D(2025, 6, 20), None, rules), R.TOO_OLD)
    assert "61 years 3 months on 20/06/2025" in error.message_en
    domain.check_admission_age(birth, D(2025, 6, 20), "QĐ 99/2025", rules)


def test_the_unit_a_member_stood_in_on_a_day_follows_the_dates_not_the_recording_order():
    """The gateway places a command dated D by the member's unit on D (a member who came into a
    district is not the district's on the days before): admissions, transfers in and official
    transfers count by their business dates, a late-recorded earlier transfer included; a
    temporary transfer leaves the member's own unit; before the admission, the first unit."""
    history = [fact("member.admitted", D(2016, 3, 1), "C1", member_id="M1", org_unit_id="C1"),
               fact("member.transferred", D(2024, 6, 3), "C3", member_id="M1", from_org_unit_id="C2",
                    to_org_unit_id="C3", kind="official"),
               fact("member.transferred", D(2020, 1, 6), "C2", member_id="M1", from_org_unit_id="C1",
                    to_org_unit_id="C2", kind="official"),  # recorded late
               fact("member.transferred", D(2025, 1, 6), "C9", member_id="M1", from_org_unit_id="C3",
                    to_org_unit_id="C9", kind="temporary", until="2025-09-01")]
    on = lambda day: domain.member_unit_on(history, day)  # noqa: E731
    assert [on(D(2015, 1, 1)), on(D(2016, 3, 1)), on(D(2020, 1, 5)), on(D(2020, 1, 6))] == ["C1", "C1", "C1", "C2"]
    assert [on(D(2024, 6, 2)), on(D(2024, 6, 3)), on(D(2025, 3, 1))] == ["C2", "C3", "C3"]
    assert domain.member_unit_on([], ON) is None


def test_a_member_transferred_in_stands_in_the_unit_it_came_to_from_that_day():
    """A member who came from another party committee (``member.transferred_in``) is the
    receiving unit's from the transfer's date; an admission and an official transfer dated the
    same day count in the order recorded (the later recorded wins, whatever the units' ids)."""
    came = [fact("member.admitted", D(2015, 5, 4), "C7", member_id="M1", org_unit_id="C7"),
            fact("member.transferred_out", D(2022, 2, 28), "C7", member_id="M1"),
            fact("member.transferred_in", D(2022, 3, 1), "C1", member_id="M1", org_unit_id="C1")]
    on = lambda day: domain.member_unit_on(came, day)  # noqa: E731
    assert [on(D(2022, 2, 28)), on(D(2022, 3, 1)), on(D(2025, 1, 1))] == ["C7", "C1", "C1"]
    assert domain.member_placements(came) == [(D(2015, 5, 4), "C7"), (D(2022, 3, 1), "C1")]
    same_day = [fact("member.admitted", D(2020, 2, 3), "C9", member_id="M1", org_unit_id="C9"),
                fact("member.transferred", D(2020, 2, 3), "C2", member_id="M1", from_org_unit_id="C9",
                     to_org_unit_id="C2", kind="official")]
    assert domain.member_unit_on(same_day, D(2020, 2, 3)) == "C2"
    assert domain.member_placements(same_day) == [(D(2020, 2, 3), "C9"), (D(2020, 2, 3), "C2")]
