"""Role and scope decisions of the gateway, on a small tree, without services."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from shared.contracts import Query, Spec
from shared.readmodel import ReadModelDB

from documents import tables as exports
from services.gateway import access
from services.gateway.audit import AccessLog, personal_subjects
from services.gateway.auth import User, UserStore, ensure_admin_token, hash_token
from tests.support.tree import ancestors_in

PARENT = {"TN": None, "D1": "TN", "D1-C1": "D1", "D2": "TN", "D2-C1": "D2"}
MEMBERS = {"M1": "D1-C1", "M2": "D2-C1"}


ancestors = ancestors_in(PARENT)


RESOLVER = access.Resolver(ancestors, MEMBERS.get)


class UnitQuery(Query):
    org_unit_id: str | None = None


class MemberQuery(Query):
    member_id: str


UNIT_Q = Spec(UnitQuery, "q", "q", roles=("viewer", "clerk"))
MEMBER_Q = Spec(MemberQuery, "m", "m", roles=("viewer",), scope_fields=("member_id",))
ADMIT = Spec(UnitQuery, "c", "c", roles=("clerk", "administrator"))
BY_CASE = Spec(UnitQuery, "c", "c", roles=("inspector",), scope_fields=())


def test_a_district_user_reaches_its_subtree_and_nothing_else():
    clerk = User("c", "clerk", "D1")
    assert access.authorise(clerk, ADMIT, {"org_unit_id": "D1-C1"}, RESOLVER, False) == {"org_unit_id": "D1-C1"}
    with pytest.raises(access.Forbidden) as other:
        access.authorise(clerk, ADMIT, {"org_unit_id": "D2-C1"}, RESOLVER, False)
    with pytest.raises(access.Forbidden) as ghost:
        access.authorise(clerk, ADMIT, {"org_unit_id": "NOPE"}, RESOLVER, False)
    # the refusal does not tell whether the unit exists
    assert other.value.to_dict() == ghost.value.to_dict()
    with pytest.raises(access.Forbidden):
        access.authorise(clerk, ADMIT, {"org_unit_id": "TN"}, RESOLVER, False)  # the parent is outside


def test_members_are_placed_by_their_unit():
    viewer = User("v", "viewer", "D1")
    assert access.authorise(viewer, MEMBER_Q, {"member_id": "M1"}, RESOLVER, True)
    for member in ("M2", "NOPE"):
        with pytest.raises(access.Forbidden):
            access.authorise(viewer, MEMBER_Q, {"member_id": member}, RESOLVER, True)


def test_a_query_without_a_unit_is_cut_to_the_scope():
    viewer = User("v", "viewer", "D1")
    assert access.authorise(viewer, UNIT_Q, {}, RESOLVER, True) == {"org_unit_id": "D1"}
    province = User("p", "viewer", None)
    assert access.authorise(province, UNIT_Q, {}, RESOLVER, True) == {}


def test_roles_follow_the_contract_and_the_administrator_may_do_everything():
    with pytest.raises(access.Forbidden) as refused:
        access.authorise(User("v", "viewer", None), ADMIT, {"org_unit_id": "D1"}, RESOLVER, False)
    assert refused.value.code == "forbidden_role" and refused.value.status == 403
    # UNIT_Q does not list the administrator, who may still call it
    assert access.authorise(User("a", "administrator", "D1"), UNIT_Q, {}, RESOLVER, True) == {"org_unit_id": "D1"}
    with pytest.raises(access.Unauthorized):
        access.authorise(None, UNIT_Q, {}, RESOLVER, True)


def test_endpoints_that_name_no_unit_are_for_province_wide_users_only():
    with pytest.raises(access.Forbidden):
        access.authorise(User("i", "inspector", "D1"), BY_CASE, {}, RESOLVER, False)
    assert access.authorise(User("i", "inspector", None), BY_CASE, {}, RESOLVER, False) == {}


def test_tokens_are_stored_hashed_and_the_admin_token_is_private(tmp_path):
    db = ReadModelDB(f"sqlite:///{tmp_path}/gateway.db")
    users = UserStore(db)
    token = users.add("clerk1", "clerk", "D1")
    stored = db.query("SELECT token_hash FROM gw_users WHERE name = 'clerk1'")[0][0]
    assert token not in stored and stored == hash_token(token)
    assert users.authenticate(token) == User("clerk1", "clerk", "D1")
    new = users.rotate("clerk1")
    assert users.authenticate(token) is None and users.authenticate(new).name == "clerk1"

    path = ensure_admin_token(users, tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    admin = users.authenticate(path.read_text().strip())
    assert admin.role == "administrator" and admin.scope is None
    assert ensure_admin_token(users, tmp_path).read_text() == path.read_text()  # kept across restarts


@pytest.mark.parametrize("act", ["disable", "revoke"])
def test_a_restart_does_not_undo_disabling_the_administrator(tmp_path, act):
    users = UserStore(ReadModelDB(f"sqlite:///{tmp_path}/gateway.db"))
    token = ensure_admin_token(users, tmp_path).read_text().strip()
    users.set_disabled("admin", True) if act == "disable" else users.revoke("admin")
    assert ensure_admin_token(users, tmp_path) is None  # the next start
    assert users.authenticate(token) is None
    assert users.status()["admin"] in ("disabled", "revoked")
    assert users.authenticate((tmp_path / "admin.token").read_text().strip()) is None


def test_the_access_log_keeps_ids_not_personal_fields(tmp_path):
    log = AccessLog(ReadModelDB(f"sqlite:///{tmp_path}/gateway.db"))
    result = {"member_id": "M1", "full_name": "Võ Thị Lan", "birth_date": "1990-01-01"}
    subjects = personal_subjects(result)
    assert subjects == ["M1"]
    assert personal_subjects([{"org_unit_id": "D1", "total": 3}]) is None
    log.record("clerk1", "clerk", "read", "members/get_member", {"member_id": "M1"}, "xét kết nạp", subjects, 1)
    [entry] = log.search(member_id="M1")
    assert (entry["actor"], entry["reason"], entry["subjects"]) == ("clerk1", "xét kết nạp", ["M1"])
    assert "Võ Thị Lan" not in str(log.db.query("SELECT * FROM gw_access_log"))


def test_exports_show_dates_as_dd_mm_yyyy_and_open_in_a_spreadsheet(tmp_path):
    import io

    from openpyxl import load_workbook
    rows = [{"member_id": "M1", "full_name": "Võ Thị Lan", "admitted_on": "2021-05-03"},
            {"member_id": "M2", "full_name": "=HYPERLINK(\"x\")", "admitted_on": "2021-06-01"}]
    sheet = load_workbook(io.BytesIO(exports.render(rows, "xlsx", "members"))).active
    values = list(sheet.values)
    head = values.index(("Đảng viên", "Họ và tên", "Ngày vào Đảng")) + 1  # Vietnamese headers under the titles
    assert values[head] == ("M1", "Võ Thị Lan", dt.datetime(2021, 5, 3))  # a real date cell...
    assert sheet.cell(row=head + 1, column=3).number_format == "dd/mm/yyyy"  # ...shown dd/mm/yyyy
    assert sheet.cell(row=head + 2, column=2).data_type == "s"  # a name is text, never a formula
    text = exports.render({"rows": rows}, "csv", "members").decode("utf-8-sig")
    assert "03/05/2021" in text and "Võ Thị Lan" in text


def test_a_token_with_days_expires_and_rotating_sets_a_new_expiry(tmp_path):
    db = ReadModelDB(f"sqlite:///{tmp_path}/gateway.db")
    users = UserStore(db)
    token = users.add("sys_a", "viewer", None, kind="client", days=30)
    assert users.authenticate(token).name == "sys_a" and users.expired_on(token) is None
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)).isoformat()
    with db.transaction() as tx:
        tx.execute("UPDATE gw_users SET expires_at = ? WHERE name = 'sys_a'", (past,))
    assert users.authenticate(token) is None
    assert users.expired_on(token).isoformat() == past
    fresh = users.rotate("sys_a")  # without --days: no expiry
    assert users.authenticate(fresh).name == "sys_a" and users.expiries()["sys_a"] is None
    with pytest.raises(ValueError):
        users.add("sys_b", "viewer", None, days=0)


def test_a_user_database_from_before_expiry_is_upgraded_and_its_tokens_still_work(tmp_path):
    db = ReadModelDB(f"sqlite:///{tmp_path}/gateway.db")
    db.executescript("CREATE TABLE gw_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, scope TEXT, kind TEXT NOT NULL, "
                     "token_hash TEXT UNIQUE, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)")
    with db.transaction() as tx:
        tx.execute("INSERT INTO gw_users VALUES ('old', 'viewer', NULL, 'person', ?, '2026-01-01', 0)",
                   (hash_token("dv_old"),))
    assert UserStore(db).authenticate("dv_old").name == "old"


def test_import_lines_of_a_district_administrator_are_placed_line_by_line():
    admin = User("a", "administrator", "D1")

    def line(type_, **data):
        return {"type": type_, "occurred_on": "2024-01-01", "data": data, "line": 1}

    new_cell = line("org_unit.created", org_unit_id="D1-C9", name="x", kind="cell", parent_id="D1")
    new_member = line("member.admitted", member_id="M9", org_unit_id="D1-C9")
    access.check_import(admin, [new_cell, new_member], RESOLVER)  # placed through the cell the file made
    refusals = []
    for bad in ([line("member.transferred", member_id="M1", to_org_unit_id="D2-C1")],
                [line("member.transferred", member_id="M1", to_org_unit_id="NOPE")],
                [line("member.admitted", member_id="M2", org_unit_id="D1-C1")],      # another district's id
                [line("org_unit.created", org_unit_id="ROOT2", name="x", kind="cell")],  # placed nowhere
                [new_member]):                                                      # its cell is not made
        with pytest.raises(access.Forbidden) as refused:
            access.check_import(admin, bad, RESOLVER)
        refusals.append(refused.value.to_dict())
    assert refusals[0] == refusals[1]  # elsewhere and nothing: the same answer
    access.check_import(User("p", "administrator", None), [line("org_unit.created", org_unit_id="R")], RESOLVER)


def test_an_import_naming_a_hosted_member_as_attendee_may_not_then_act_on_that_member():
    """A member of D2 on temporary transfer to a D1 cell attends that cell's meetings, so a D1
    administrator's file may list it in attendance; that must not make it the D1 file's to update,
    remove or transfer on a later line (the member's record stays with its home district)."""
    hosted = {"M2": ["D2-C1", "D1-C1"]}  # home unit first, then the host cell
    resolver = access.Resolver(ancestors, MEMBERS.get,
                               lambda kind, ident: hosted.get(ident, [MEMBERS[ident]] if ident in MEMBERS else None)
                               if kind == "member" else None)
    admin = User("a", "administrator", "D1")

    def line(type_, **data):
        return {"type": type_, "occurred_on": "2024-01-01", "data": data, "line": 1}

    meeting = line("meeting.held", meeting_id="SH-9", org_unit_id="D1-C1", kind="regular", duration_minutes=60,
                   attendance=[{"member_id": "M1", "status": "present"}, {"member_id": "M2", "status": "present"}])
    access.check_import(admin, [meeting], resolver)  # the host cell's meeting, its guest attending: fine
    for after in (line("member.record_updated", member_id="M2", full_name="Tên Khác"),
                  line("member.removed", member_id="M2", ground="other"),
                  line("member.transferred", member_id="M2", to_org_unit_id="D1-C1")):
        with pytest.raises(access.Forbidden) as refused:
            access.check_import(admin, [meeting, after], resolver)
        assert refused.value.to_dict()["field"] == "member_id", after
    # a member the file itself admitted is still the file's to name on later lines
    admitted = line("member.admitted", member_id="M8", org_unit_id="D1-C1")
    access.check_import(admin, [admitted, line("member.record_updated", member_id="M8", full_name="X")], resolver)


class Liaison(Query):
    member_id: str
    residence_org_unit_id: str


LIAISON = Spec(Liaison, "l", "l", roles=("clerk",), reaches=("residence_org_unit_id",))


def test_a_field_that_reaches_out_needs_the_other_fields_in_scope_only():
    """A member of D1 introduced to the cell of D2 where they live: the D1 clerk records it; a D2
    member is still refused, and so is a call that only names the unit outside."""
    clerk = User("c", "clerk", "D1")
    body = {"member_id": "M1", "residence_org_unit_id": "D2-C1"}
    assert access.authorise(clerk, LIAISON, body, RESOLVER, False) == body
    with pytest.raises(access.Forbidden) as other:
        access.authorise(clerk, LIAISON, {**body, "member_id": "M2"}, RESOLVER, False)
    assert other.value.field == "member_id"
    with pytest.raises(access.Forbidden):
        access.authorise(clerk, LIAISON, {"residence_org_unit_id": "D2-C1"}, RESOLVER, False)
    with pytest.raises(ValueError):  # only a unit field may reach out, and something must place the call
        Spec(Liaison, "l", "l", reaches=("member_id",))


def test_the_liaison_contract_lets_the_sending_district_name_the_residence_cell():
    from shared.contracts.members import COMMANDS
    clerk = User("c", "clerk", "D1")
    body = {"member_id": "M1", "residence_org_unit_id": "D2-C1", "occurred_on": "2024-05-02"}
    assert access.authorise(clerk, COMMANDS["introduce_liaison"], body, RESOLVER, False) == body


def test_an_import_line_introducing_a_member_to_a_cell_elsewhere_is_the_senders():
    admin = User("a", "administrator", "D1")
    line = {"type": "member.liaison_introduced", "occurred_on": "2024-05-02",
            "data": {"member_id": "M1", "residence_org_unit_id": "D2-C1"}}
    access.check_import(admin, [line], RESOLVER)
    with pytest.raises(access.Forbidden):
        access.check_import(admin, [{**line, "data": {**line["data"], "member_id": "M2"}}], RESOLVER)


#: M3 was admitted in D2 and transferred to D1 on 2024-06-03: D1's now, D2's before that day
STINTS = {"M1": [("2016-03-01", "D1-C1")], "M2": [("2016-03-01", "D2-C1")],
          "M3": [("2016-03-01", "D2-C1"), ("2024-06-03", "D1-C1")]}


def unit_on(member_id: str, day: str):
    stints = STINTS.get(member_id)
    if not stints:
        return None
    unit = stints[0][1]
    for start, u in stints:
        if start <= day:
            unit = u
    return unit


DATED = access.Resolver(ancestors, lambda m: unit_on(m, "9999-12-31"), member_unit_on=unit_on)


def test_a_fact_dated_before_a_member_came_into_the_scope_is_the_scope_that_held_the_member_then():
    """A member who came from D2 to D1 on 03/06/2024 is D1's from that day only: a D1 clerk may not
    remove it, record its death, transfer it or record its dues (or a D1 inspector discipline it) on
    a day it stood in D2 — the fact would count in D2's figures for that day (DOMAIN.md §2: each
    fact in the unit the member stood in on its date). The same answer as for any other field
    outside the scope; from the day of the move on, the member is D1's."""
    from shared.contracts.discipline import COMMANDS as DISCIPLINE
    from shared.contracts.meetings import COMMANDS as MEETINGS
    from shared.contracts.members import COMMANDS as MEMBERS_COMMANDS
    clerk, inspector = User("c", "clerk", "D1"), User("i", "inspector", "D1")
    calls = [(clerk, MEMBERS_COMMANDS["remove_member"], {"member_id": "M3", "ground": "abandoned_activity"}),
             (clerk, MEMBERS_COMMANDS["record_death"], {"member_id": "M3"}),
             (clerk, MEMBERS_COMMANDS["transfer_member"], {"member_id": "M3", "to_org_unit_id": "D1-C1"}),
             (inspector, DISCIPLINE["apply_discipline"],
              {"case_id": "K9", "subject_kind": "member", "subject_id": "M3", "form": "reprimand",
               "violation_on": "2019-01-02"})]
    for user, spec, body in calls:
        with pytest.raises(access.Forbidden) as refused:
            access.authorise(user, spec, {**body, "occurred_on": "2020-05-04"}, DATED, False)
        assert refused.value.to_dict() == access.forbidden_scope(refused.value.field).to_dict()
        assert refused.value.field in ("member_id", "subject_id")
        on_the_day = {**body, "occurred_on": "2024-06-03"}
        assert access.authorise(user, spec, on_the_day, DATED, False) == on_the_day
    # dues are filed by the month they are for, whatever day they are recorded
    dues = {"member_id": "M3", "status": "unpaid", "occurred_on": "2026-01-05"}
    with pytest.raises(access.Forbidden):
        access.authorise(clerk, MEETINGS["record_dues"], {**dues, "month": "2024-05"}, DATED, False)
    assert access.authorise(clerk, MEETINGS["record_dues"], {**dues, "month": "2024-06"}, DATED, False)
    # D2 no longer holds the member at all; the province covers both
    with pytest.raises(access.Forbidden):
        access.authorise(User("c2", "clerk", "D2"), MEMBERS_COMMANDS["record_death"],
                         {"member_id": "M3", "occurred_on": "2020-05-04"}, DATED, False)
    assert access.authorise(User("p", "clerk", None), MEMBERS_COMMANDS["record_death"],
                            {"member_id": "M3", "occurred_on": "2020-05-04"}, DATED, False)
    # a query reads the member as it is now (its record follows it)
    assert access.authorise(User("v", "viewer", "D1"), MEMBER_Q, {"member_id": "M3"}, DATED, True)


def test_an_import_line_dated_before_a_member_came_into_the_scope_is_refused():
    admin = User("a", "administrator", "D1")
    removed = {"type": "member.removed", "occurred_on": "2020-05-04",
               "data": {"member_id": "M3", "ground": "abandoned_activity"}}
    with pytest.raises(access.Forbidden) as refused:
        access.check_import(admin, [removed], DATED)
    assert refused.value.field == "member_id"
    access.check_import(admin, [{**removed, "occurred_on": "2024-06-03"}], DATED)


def test_a_case_decided_in_another_district_stays_that_districts_after_its_member_moved():
    """D2 reprimanded M3 in 2022 (the case counts in D2's figures); M3 moved to D1 in 2024. A D1
    inspector may not appeal, change or annul that case, nor conclude D2's inspection of M3: the
    case is placed by its subject now and by the unit it is filed under. D1's own later case about
    M3 is D1's; reading a case is placed by its subject as before."""
    from shared.contracts.discipline import COMMANDS as DISCIPLINE, QUERIES as DISCIPLINE_Q
    filed = {("case", "K-D2"): "D2-C1", ("case", "K-D1"): "D1-C1", ("inspection", "I-D2"): "D2-C1"}
    resolver = access.Resolver(ancestors, lambda m: unit_on(m, "9999-12-31"),
                               lambda kind, ident: [unit_on("M3", "9999-12-31")] if (kind, ident) in filed else None,
                               member_unit_on=unit_on, filed=lambda kind, ident: filed.get((kind, ident)))
    inspector = User("i", "inspector", "D1")
    for name, body in (("annul_discipline", {"case_id": "K-D2"}),
                       ("change_discipline", {"case_id": "K-D2", "form": "warning"}),
                       ("appeal_discipline", {"case_id": "K-D2"}),
                       ("conclude_inspection", {"inspection_id": "I-D2"})):
        with pytest.raises(access.Forbidden) as refused:
            access.authorise(inspector, DISCIPLINE[name], {**body, "occurred_on": "2024-07-01"}, resolver, False)
        assert refused.value.field in ("case_id", "inspection_id")
    mine = {"case_id": "K-D1", "occurred_on": "2024-07-01"}
    assert access.authorise(inspector, DISCIPLINE["annul_discipline"], mine, resolver, False) == mine
    assert access.authorise(User("p", "inspector", None), DISCIPLINE["annul_discipline"],
                            {**mine, "case_id": "K-D2"}, resolver, False)
    assert access.authorise(User("v", "viewer", "D1"), DISCIPLINE_Q["case"], {"case_id": "K-D2"}, resolver, True)
    line = {"type": "discipline.annulled", "occurred_on": "2024-07-01", "data": {"case_id": "K-D2"}}
    with pytest.raises(access.Forbidden):
        access.check_import(User("a", "administrator", "D1"), [line], resolver)


def test_a_unit_moved_into_the_scope_is_the_scopes_from_the_day_it_moved():
    """Cell C7 stood under D2 until it moved under D1 on 03/06/2024: a D1 clerk may not record its
    meeting, nor admit a member into it, on a day before (the fact counts in D2's figures for that
    day); from the day of the move on it is D1's. Reading it is placed as it stands now."""
    from shared.contracts.meetings import COMMANDS as MEETINGS
    from shared.contracts.members import COMMANDS as MEMBERS_COMMANDS
    parents = {**PARENT, "C7": "D1"}
    spans = {"C7": [("2015-10-01", ["C7", "D2", "TN"]), ("2024-06-03", ["C7", "D1", "TN"])]}
    resolver = access.Resolver(ancestors_in(parents), MEMBERS.get, spans=spans.get)
    clerk = User("c", "clerk", "D1")
    meeting = {"meeting_id": "SH-7", "org_unit_id": "C7", "kind": "regular", "duration_minutes": 120,
               "attendance": []}
    admit = {"member_id": "M70", "org_unit_id": "C7", "full_name": "x", "birth_date": "1990-01-01", "sex": "male"}
    for spec, body in ((MEETINGS["record_meeting"], meeting), (MEMBERS_COMMANDS["admit_member"], admit)):
        with pytest.raises(access.Forbidden) as refused:
            access.authorise(clerk, spec, {**body, "occurred_on": "2024-05-10"}, resolver, False)
        assert refused.value.field == "org_unit_id"
        later = {**body, "occurred_on": "2024-06-03"}
        assert access.authorise(clerk, spec, later, resolver, False) == later
    assert access.authorise(User("v", "viewer", "D1"), UNIT_Q, {"org_unit_id": "C7"}, resolver, True)
    line = {"type": "meeting.held", "occurred_on": "2024-05-10", "data": meeting}
    with pytest.raises(access.Forbidden):
        access.check_import(User("a", "administrator", "D1"), [line], resolver)


def test_a_members_unit_on_a_day_is_read_from_where_its_unit_changed():
    placed = [["2016-03-01", "D2-C1"], ["2024-06-03", "D1-C1"]]
    assert [access.placed_on(placed, d) for d in ("2015-01-01", "2024-06-02", "2024-06-03", "2030-01-01")] == \
        ["D2-C1", "D2-C1", "D1-C1", "D1-C1"]
    assert access.placed_on([], "2024-01-01") is None


def test_a_case_decided_in_a_unit_before_it_moved_into_the_scope_stays_the_old_districts():
    """Cell C7 moved from D2 to D1 on 01/07/2025 (the merger). A case about its member decided on
    30/06/2025 counts in D2's figures: a D1 inspector may not change it; one decided on 01/07/2025,
    the day of the move, is D1's. Both are placed in C7, which lies in D1 now."""
    from shared.contracts.discipline import COMMANDS as DISCIPLINE
    parents = {**PARENT, "C7": "D1"}
    spans = {"C7": [("2015-10-01", ["C7", "D2", "TN"]), ("2025-07-01", ["C7", "D1", "TN"])]}
    decided = {"K-BEFORE": "2025-06-30", "K-ON": "2025-07-01", "K-AFTER": "2025-07-02"}
    resolver = access.Resolver(ancestors_in(parents), {"M7": "C7"}.get,
                               lambda kind, ident: ["C7"] if ident in decided else None,
                               spans=spans.get, filed=lambda kind, ident: "C7" if ident in decided else None,
                               filed_day=lambda kind, ident: decided.get(ident))
    inspector = User("i", "inspector", "D1")
    change = {"case_id": "K-BEFORE", "form": "warning", "occurred_on": "2025-08-01"}
    with pytest.raises(access.Forbidden) as refused:
        access.authorise(inspector, DISCIPLINE["change_discipline"], change, resolver, False)
    assert refused.value.field == "case_id"
    for case in ("K-ON", "K-AFTER"):
        assert access.authorise(inspector, DISCIPLINE["change_discipline"], {**change, "case_id": case}, resolver,
                                False)
    # province-wide: any of them; an import line annulling the earlier case: refused like the command
    assert access.authorise(User("p", "inspector", None), DISCIPLINE["change_discipline"], change, resolver, False)
    line = {"type": "discipline.annulled", "occurred_on": "2025-08-01", "data": {"case_id": "K-BEFORE"}}
    with pytest.raises(access.Forbidden):
        access.check_import(User("a", "administrator", "D1"), [line], resolver)
