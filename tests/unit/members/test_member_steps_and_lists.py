"""The member's folded steps and the refusals about members named in a list, as a clerk reads them.

Written from the survivors of a mutation run of ``services/members/domain.py``. Every member here is
folded inside its test, never at import: the fold's steps (``_stands``, ``_ends``, ``_set``) are built
once when the module loads, so a test reaches the rule they hold only by building one itself or by
folding during the test.
"""
from __future__ import annotations

import datetime as dt

from services.members import domain, lifecycle
from services.members import rules as R
from shared.contracts import members as c

from tests.unit.domain.given import fact, refused

D = dt.date
DAY = dt.timedelta(days=1)
START = D(2024, 3, 11)


def admitted(member_id: str = "M1", on: dt.date = D(2020, 2, 3)):
    return fact("member.admitted", on, "C1", member_id=member_id, org_unit_id="C1", birth_date="1990-05-01",
                sex="male")


def member(*facts, member_id: str = "M1") -> domain.Member:
    return domain.fold_member([admitted(member_id), *facts])


# --- the steps the fold is made of ---------------------------------------------------------------

def test_a_standing_step_begins_on_its_events_day_and_keeps_the_other_steps():
    abroad = domain._stands("abroad", abroad=True, abroad_since=domain._ON)
    working = member(fact("member.working_away_started", D(2023, 1, 2), "C1", member_id="M1", place="Bình Dương"))
    started = fact("member.abroad_started", START, "C1", member_id="M1", country="Hàn Quốc")
    m = abroad(working, started)
    assert m == domain.evolve_member(working, started)  # the step the fold holds
    assert (m.abroad, m.abroad_since) == (True, START)
    assert m.standing == {"working_away": {"occurred_on": "2023-01-02", "place": "Bình Dương"},
                          "abroad": {"occurred_on": "2024-03-11", "country": "Hàn Quốc"}}


def test_an_ending_step_ends_only_its_own_step_and_sets_its_fields():
    back = domain._ends("abroad", abroad=False, abroad_since=None)
    gone = member(fact("member.working_away_started", D(2023, 1, 2), "C1", member_id="M1", place="Bình Dương"),
                  fact("member.abroad_started", START, "C1", member_id="M1", country="Hàn Quốc"))
    ended = fact("member.abroad_ended", START + DAY, "C1", member_id="M1")
    m = back(gone, ended)
    assert m == domain.evolve_member(gone, ended)  # the step the fold holds
    assert (m.abroad, m.abroad_since, m.working_away, m.status) == (False, None, True, "probationary")
    assert m.standing == {"working_away": {"occurred_on": "2023-01-02", "place": "Bình Dương"}}


def test_a_fixed_step_sets_its_fields_and_nothing_else():
    done = domain._set(class_done=True)
    completed = fact("member.new_member_class_completed", START, "C1", member_id="M1")
    m = done(member(), completed)
    assert m == domain.evolve_member(member(), completed)  # the step the fold holds
    assert (m.class_done, m.member_id, m.org_unit_id, m.status) == (True, "M1", "C1", "probationary")


def test_a_temporary_transfer_cannot_be_ended_before_it_began():
    hosted = member(fact("member.transferred", START, "C2", member_id="M1", from_org_unit_id="C1",
                         to_org_unit_id="C2", kind="temporary", until="2024-09-30"))
    assert (hosted.host_unit_id, hosted.host_since) == ("C2", START)
    err = refused(lambda: lifecycle.end_temporary_transfer(
        hosted, c.EndTemporaryTransfer(member_id="M1", occurred_on=START - DAY)), R.ENDED_BEFORE_START)
    assert (err.field, err.message_vi, err.message_en) == (
        "occurred_on",
        "Ngày kết thúc sinh hoạt tạm thời (10/03/2024) không thể trước ngày chuyển sinh hoạt tạm thời (11/03/2024)",
        "The end of the temporary transfer (10/03/2024) cannot precede the temporary transfer (11/03/2024)")


def test_leaving_leaves_no_pending_step_begun():
    m = member(fact("member.transferred", D(2022, 1, 5), "C3", member_id="M1", from_org_unit_id="C1",
                    to_org_unit_id="C3", kind="official"),
               fact("member.transferred", D(2022, 1, 10), "C2", member_id="M1", from_org_unit_id="C3",
                    to_org_unit_id="C2", kind="temporary", until="2022-06-10"),
               fact("member.exempted", D(2022, 2, 1), "C3", member_id="M1", ground="illness", until="2022-12-31"),
               fact("member.died", D(2022, 3, 1), "C3", member_id="M1"))
    assert (m.papers_due_since, m.host_since, m.exempt_since, m.standing) == (None, None, None, {})


# --- members named in a list (the members met at a yearly dialogue) -----------------------------------

def test_every_member_a_list_names_is_on_the_rolls_on_its_day():
    assert domain.require_listed_members({"M1": member(), "M2": member(member_id="M2")}, START, "member_ids") is None


def test_an_id_of_nobody_in_a_list_is_refused_naming_the_list():
    err = refused(lambda: domain.require_listed_members({"M1": member(), "C1": domain.Member()}, START,
                                                        "member_ids"), R.MEMBER_NOT_FOUND)
    assert (err.field, err.message_vi, err.message_en) == (
        "member_ids", "Không tìm thấy đảng viên «C1»", "Member 'C1' not found")


def test_a_member_who_had_left_is_refused_in_a_list_naming_the_list_and_the_day():
    gone = member(fact("member.resigned", D(2023, 6, 5), "C1", member_id="M2"), member_id="M2")
    err = refused(lambda: domain.require_listed_members({"M1": member(), "M2": gone}, START, "member_ids"),
                  R.MEMBER_NOT_ACTIVE)
    assert (err.field, err.message_vi, err.message_en) == (
        "member_ids", "Đảng viên «M2» đã ra khỏi Đảng ngày 05/06/2023", "Member 'M2' resigned on 05/06/2023")


def test_a_member_not_yet_on_the_rolls_on_the_lists_day_is_refused():
    err = refused(lambda: domain.require_listed_members({"M1": member()}, D(2020, 2, 2), "member_ids"),
                  R.BEFORE_JOINING)
    assert "«M1»" in err.message_vi and "02/02/2020" in err.message_vi and "03/02/2020" in err.message_vi
    assert "'M1'" in err.message_en and "02/02/2020" in err.message_en and "03/02/2020" in err.message_en
    domain.require_listed_members({"M1": member()}, D(2020, 2, 3), "member_ids")  # the day admitted


def test_a_member_not_found_by_a_step_is_named_in_member_id():
    err = refused(lambda: lifecycle.shred(domain.Member(), c.ShredMember(member_id="M9", occurred_on=START)),
                  R.MEMBER_NOT_FOUND)
    assert (err.field, err.message_vi, err.message_en) == (
        "member_id", "Không tìm thấy đảng viên «M9»", "Member 'M9' not found")


# --- an exit is not dated before the latest fact, a rating included -----------------------------------------

WORKING_AWAY = fact("member.working_away_started", START, "C1", member_id="M1", place="Bình Dương")


def death(on):
    return c.RecordDeath(member_id="M1", occurred_on=on)


def test_an_exit_before_the_latest_fact_names_the_member_and_both_days():
    err = refused(lambda: domain.require_exit_date(member(WORKING_AWAY), death(START - DAY)),
                  R.EXIT_BEFORE_LATEST_FACT)
    assert err.field == "occurred_on"
    assert err.message_vi.startswith("Ngày 10/03/2024 (occurred_on) trước ngày 11/03/2024 của sự kiện đã ghi trong "
                                     "hồ sơ đảng viên «M1»")
    assert err.message_en.startswith("Date 10/03/2024 (occurred_on) is before 11/03/2024, the date of a fact "
                                     "already on member 'M1''s record")
    assert err.details == {"latest_fact": "member.working_away_started"}


def test_an_earlier_rating_does_not_hide_a_later_fact():
    err = refused(lambda: domain.require_exit_date(member(WORKING_AWAY), death(START - DAY), START - 5 * DAY),
                  R.EXIT_BEFORE_LATEST_FACT)
    assert (err.details, "11/03/2024" in err.message_en) == ({"latest_fact": "member.working_away_started"}, True)


def test_a_rating_on_the_day_of_the_latest_fact_names_the_fact_on_the_record():
    err = refused(lambda: domain.require_exit_date(member(WORKING_AWAY), death(START - DAY), START),
                  R.EXIT_BEFORE_LATEST_FACT)
    assert err.details == {"latest_fact": "member.working_away_started"}
    later = refused(lambda: domain.require_exit_date(member(WORKING_AWAY), death(START), START + DAY),
                    R.EXIT_BEFORE_LATEST_FACT)
    assert (later.details, "12/03/2024" in later.message_vi) == ({"latest_fact": "member.rated"}, True)
