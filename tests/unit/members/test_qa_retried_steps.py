"""A step command sent again answers alike and writes nothing (rule ``lifecycle.repeated``).

Offices resend a command when the answer got lost — often without its command id, or with a new
one. Each "start / record a step" command (working away, abroad, a temporary transfer, an
exemption, the residence cell's feedback under QĐ 213) follows one rule: the same step with the
same content already standing writes nothing and answers as the first time did; a different step
while one stands meets the conflict the command has for it (working away, abroad, the temporary
transfer) — where it has none (a new exemption, another feedback of the year) the new one is
written. Personal fields (the contact, the health reason, the feedback) are sealed with a fresh
nonce each time: compared in clear.
"""
from __future__ import annotations

import datetime as dt

import pytest

from services.members import application as app
from services.members import rules as R
from shared.application import Context
from shared.contracts.members import COMMANDS
from shared.errors import DomainError

D = dt.date
ON = D(2024, 3, 11)

#: step -> (endpoint, its payload, a different step of the kind, the conflict for it or None)
STEPS = {
    "working away": ("start_working_away",
                     dict(place="Bình Dương", contact="0912 345 678", expected_return=D(2024, 9, 1)),
                     dict(place="Đồng Nai"), R.ALREADY_WORKING_AWAY),
    "abroad": ("start_abroad", dict(country="Hàn Quốc", expected_return=D(2024, 6, 1)),
               dict(country="Nhật Bản"), R.ALREADY_ABROAD),
    "temporary transfer": ("transfer_member", dict(to_org_unit_id="G1C2", kind="temporary", until=D(2024, 9, 30),
                                                   purpose="work"),
                           dict(until=D(2024, 10, 31)), R.ALREADY_TEMPORARY),
    "exemption": ("exempt_member", dict(ground="illness", health_reason="Điều trị dài ngày", decided_by="Chi bộ"),
                  dict(health_reason="Phẫu thuật"), None),
    "residence feedback (QĐ 213)": ("record_liaison_feedback", dict(year=2024, feedback="Gương mẫu nơi cư trú"),
                                    dict(feedback="Chưa tham gia sinh hoạt"), None),
}


@pytest.fixture
def member(mb):
    mb.admit("M1", on=D(2020, 2, 3))
    mb.run("introduce_liaison", member_id="M1", occurred_on=D(2024, 1, 5), residence_org_unit_id="G2C1")
    return mb


def send(mb, step, command_id=None, **change):
    """``command_id``: None for a new one each time, "" for none at all."""
    endpoint, payload, _, _ = STEPS[step]
    payload = {"member_id": "M1", "occurred_on": ON, **payload, **change}
    if command_id == "":
        cmd = COMMANDS[endpoint].model.model_validate(payload)
        return getattr(app, endpoint)(mb.store, cmd, Context(command_id=None), mb.deps)
    return mb.run(endpoint, command_id=command_id, **payload)


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("ids", [("c-1", "c-1"), ("c-1", "c-2"), ("", "")],
                         ids=["the same command id", "a new command id", "no command id"])
def test_the_same_step_sent_again_writes_nothing_and_answers_alike(member, step, ids):
    first = send(member, step, command_id=ids[0])
    before = member.types("member-M1")
    second = send(member, step, command_id=ids[1])
    assert member.types("member-M1") == before
    assert [e.type for e in first] == [before[-1]]
    assert second in ([], first)  # nothing new: already stood, or this very command's facts


@pytest.mark.parametrize("step", STEPS)
def test_a_different_step_while_one_stands_meets_the_conflict(member, step):
    _, _, other, conflict = STEPS[step]
    send(member, step)
    before = member.types("member-M1")
    if conflict is None:
        assert len(send(member, step, **other)) == 1
        return
    with pytest.raises(DomainError) as info:
        send(member, step, **other)
    assert info.value.code == conflict.code and info.value.status == 409
    assert member.types("member-M1") == before


@pytest.mark.parametrize("step", STEPS)
def test_the_same_content_on_another_day_is_another_step(member, step):
    _, _, _, conflict = STEPS[step]
    send(member, step)
    if conflict is None:
        assert len(send(member, step, occurred_on=ON + dt.timedelta(days=1))) == 1
    else:
        with pytest.raises(DomainError):
            send(member, step, occurred_on=ON + dt.timedelta(days=1))


def test_a_step_ended_then_started_again_is_written(member):
    send(member, "working away")
    member.run("end_working_away", member_id="M1", occurred_on=D(2024, 5, 1))
    assert len(member.run("start_working_away", member_id="M1", occurred_on=D(2024, 6, 1), place="Bình Dương")) == 1


def test_a_step_stands_from_its_start_to_its_end_or_the_members_exit():
    """What a retried command is compared with (``domain.step_content``): the step's date and its
    fields as stored, dates as ISO texts, empty fields and the member's id left out; gone once the
    step ends, the temporary transfer and the exemption also when the member leaves or moves."""
    from services.members import domain
    from tests.unit.domain.given import fact
    base = [fact("member.admitted", D(2020, 2, 3), "C1", member_id="M1", org_unit_id="C1",
                 birth_date="1990-05-01", sex="male")]
    away = fact("member.working_away_started", ON, "C1", member_id="M1", place="Bình Dương", contact=None,
                expected_return=D(2024, 9, 1))
    abroad = fact("member.abroad_started", ON, "C1", member_id="M1", country="Lào")
    temporary = fact("member.transferred", ON, "C2", member_id="M1", from_org_unit_id="C1", to_org_unit_id="C2",
                     kind="temporary", until="2024-09-30")
    exempted = fact("member.exempted", ON, "C1", member_id="M1", ground="illness")
    m = domain.fold_member(base + [away, abroad, temporary, exempted])
    assert m.standing == {
        "working_away": {"occurred_on": "2024-03-11", "place": "Bình Dương", "expected_return": "2024-09-01"},
        "abroad": {"occurred_on": "2024-03-11", "country": "Lào"},
        "temporary": {"occurred_on": "2024-03-11", "from_org_unit_id": "C1", "to_org_unit_id": "C2",
                      "kind": "temporary", "until": "2024-09-30"},
        "exemption": {"occurred_on": "2024-03-11", "ground": "illness"}}
    later = D(2024, 5, 2)
    ended = domain.fold_member(base + [away, abroad, temporary, exempted] + [
        fact(t, later, "C1", member_id="M1") for t in ("member.working_away_ended", "member.abroad_ended",
                                                        "member.temporary_transfer_ended", "member.exemption_ended")])
    assert ended.standing == {}
    moved = domain.fold_member(base + [temporary, exempted, fact(
        "member.transferred", later, "C3", member_id="M1", from_org_unit_id="C1", to_org_unit_id="C3",
        kind="official")])
    assert set(moved.standing) == {"exemption"}
    gone = domain.fold_member(base + [away, temporary, exempted, fact("member.died", later, "C1", member_id="M1")])
    assert set(gone.standing) == {"working_away"}


def test_an_exemption_ended_and_given_again_alike_is_written(member):
    send(member, "exemption")
    member.run("end_exemption", member_id="M1", occurred_on=D(2024, 5, 2))
    assert len(send(member, "exemption", occurred_on=D(2024, 6, 3))) == 1
