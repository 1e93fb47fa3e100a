"""The member lifecycle (DOMAIN.md §3; D1–D3, D5): admission, probation, movement, status, exits. Pure.

Personal values arrive already sealed (``sealed`` dicts) from the application layer, which owns
the key vault; these functions only decide.
"""
from __future__ import annotations

import datetime as dt

from shared.application import Decided
from shared.contracts import members as c
from shared.catalog import members as ev
from shared.events import EventData

from shared.dates import add_months, months_between, vn
from services.members import rules as R
from services.members.domain import (KIND_VI, LEFT, Member, OrgUnit, check_admission_age, how_left, member_not_found,
                                     not_active, require_active_unit, require_exit_date, require_member_holding,
                                     require_on_rolls, step_content)


def _one(payload: EventData, member: Member, on: dt.date, unit: str | None = None) -> list[Decided]:
    return [Decided(payload, on, unit or member.org_unit_id)]


#: what each ending step says of itself and of the start it ends (Vietnamese, English)
ENDS = {
    "papers": ("nộp giấy giới thiệu sinh hoạt đảng", "presentation of the transfer papers",
               "chuyển sinh hoạt đảng", "transfer"),
    "temporary": ("kết thúc sinh hoạt tạm thời", "end of the temporary transfer",
                  "chuyển sinh hoạt tạm thời", "temporary transfer"),
    "working_away": ("trở về sau khi đi làm ăn xa", "return from working away", "đi làm ăn xa",
                     "start of working away"),
    "abroad": ("trở về từ nước ngoài", "return from abroad", "ra nước ngoài", "departure abroad"),
    "exemption": ("kết thúc miễn sinh hoạt", "end of the exemption", "quyết định miễn sinh hoạt",
                  "exemption decision"),
    "liaison": ("ghi nhận xét của nơi cư trú", "residence feedback", "giới thiệu về chi bộ nơi cư trú",
                "introduction to the residence cell"),
}


def check_not_before_start(step: str, day: dt.date, since: dt.date | None) -> None:
    """A step that ends (or answers) a pending one is not dated before it began (D3): the reports
    judge each by its date, so an end dated earlier would leave the start standing there for good
    while the record here says it is over — and nothing could end it any more."""
    if since is not None and day < since:
        end_vi, end_en, start_vi, start_en = ENDS[step]
        raise R.ENDED_BEFORE_START(end_vi=end_vi, end_en=end_en, start_vi=start_vi, start_en=start_en,
                                   day=vn(day), start=vn(since))


def repeated(standing: dict | None, payload: EventData, on: dt.date, conflict: Exception | None = None,
             **clear) -> bool:
    """A step command sent again (no command id, or a new one) answers alike and writes nothing:
    True when ``standing`` (the step as stored, ``domain.step_content``) says what ``payload`` on
    ``on`` would say — ``clear``: the personal fields as the command gave them, the payload holding
    them sealed. Another step while one stands: ``conflict`` is raised (none: the new one is written)."""
    if standing is None:
        return False
    if standing == step_content(on, {**payload.model_dump(mode="json"), **clear}):
        return True
    if conflict is not None:
        raise conflict
    return False


def check_card(card_holder: str | None, member_id: str) -> None:
    if card_holder and card_holder != member_id:
        raise R.CARD_NUMBER_TAKEN()


def check_readmission(member: Member, on: dt.date, rules) -> None:
    """Kết nạp lại: at least 36 months after leaving, once, never after abandoning activity or resigning."""
    if member.active:
        raise R.MEMBER_EXISTS(member_id=member.member_id)
    if member.left_how == "died":
        raise not_active(member, member.member_id)
    if member.left_how in rules.readmission_barred_exits or member.readmitted:
        raise R.READMISSION_NOT_ALLOWED()
    earliest = add_months(member.left_on, rules.readmission_min_months)
    if on < earliest:
        raise R.READMISSION_TOO_SOON(months=rules.readmission_min_months, left=vn(member.left_on),
                                     earliest=vn(earliest))


def admit_member(member: Member, unit: OrgUnit | None, cmd: c.AdmitMember, rules, sealed: dict, card_holder: str | None,
                 resolution_on: dt.date | None = None, special_decision: str | None = None) -> list[Decided]:
    """``resolution_on``: the candidate's cell resolution, on which age is judged (else the admission date)."""
    if member.exists:
        check_readmission(member, cmd.occurred_on, rules)
    require_member_holding(require_active_unit(unit, cmd.org_unit_id, "org_unit_id"), "org_unit_id")
    check_admission_age(cmd.birth_date, resolution_on or cmd.occurred_on,
                        cmd.special_age_decision or special_decision, rules)
    check_card(card_holder, cmd.member_id)
    payload = ev.MemberAdmitted(member_id=cmd.member_id, org_unit_id=cmd.org_unit_id, birth_year=cmd.birth_date.year,
                                sex=cmd.sex, demobilised=cmd.demobilised, candidate_id=cmd.candidate_id,
                                special_age_decision=cmd.special_age_decision, education=cmd.education,
                                political_theory=cmd.political_theory, occupation=cmd.occupation,
                                **{"birth_date": cmd.birth_date, **sealed})
    out = [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]
    if cmd.card_number:
        out.append(card_reservation(cmd, rules))
    return out


def card_reservation(cmd: c.AdmitMember | c.TransferIn | c.UpdateMemberRecord, rules) -> Decided:
    """Placeholder stream; the application sets the keyed card stream (see application.card_stream)."""
    return Decided(ev.MemberCardReserved(member_id=cmd.member_id), cmd.occurred_on, None, stream="card:")


def transfer_in(member: Member, unit: OrgUnit | None, cmd: c.TransferIn, sealed: dict, card_holder: str | None) -> list[Decided]:
    """Tiếp nhận chuyển sinh hoạt đến từ tỉnh khác: a new record, or one who left by a transfer out of
    the province coming back — never one who left the Party (removed, resigned, expelled: only a
    re-admission, with its 36 months and its bars, brings them back) or died."""
    if member.active:
        raise R.MEMBER_EXISTS(member_id=cmd.member_id)
    if member.exists and member.left_how == "died":
        raise not_active(member, cmd.member_id)
    if member.exists and member.left_how != "transferred_out":
        vi, en = how_left(member)
        raise R.TRANSFER_IN_AFTER_EXIT(member_id=cmd.member_id, how_vi=vi, how_en=en, day=vn(member.left_on))
    require_member_holding(require_active_unit(unit, cmd.org_unit_id, "org_unit_id"), "org_unit_id")
    check_card(card_holder, cmd.member_id)
    payload = ev.MemberTransferredIn(member_id=cmd.member_id, org_unit_id=cmd.org_unit_id,
                                     birth_year=cmd.birth_date.year, sex=cmd.sex, demobilised=cmd.demobilised,
                                     origin=cmd.origin, status=cmd.status, admitted_on=cmd.admitted_on,
                                     **{"birth_date": cmd.birth_date, **sealed})
    out = [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]
    if cmd.card_number:
        out.append(card_reservation(cmd, None))
    return out


def update_record(member: Member, cmd: c.UpdateMemberRecord, sealed: dict, card_holder: str | None) -> list[Decided]:
    require_on_rolls(member, cmd)
    if member.shredded:
        raise R.MEMBER_SHREDDED()
    check_card(card_holder, cmd.member_id)
    clear = {k: getattr(cmd, k) for k in ("education", "political_theory", "occupation", "demobilised")
             if getattr(cmd, k) is not None}
    if not sealed and not clear:
        return []
    out = _one(ev.MemberRecordUpdated(member_id=cmd.member_id, **clear, **sealed), member, cmd.occurred_on)
    if cmd.card_number:
        out.append(card_reservation(cmd, None))
    return out


def complete_new_member_class(member: Member, cmd: c.CompleteNewMemberClass) -> list[Decided]:
    require_on_rolls(member, cmd)
    if member.class_done:
        return []
    return _one(ev.MemberNewMemberClassCompleted(member_id=cmd.member_id), member, cmd.occurred_on)


def recognize_official(member: Member, cmd: c.RecognizeOfficial, rules) -> list[Decided]:
    """Công nhận chính thức: after the 12 months' probation, dated from its end even when late."""
    require_on_rolls(member, cmd)
    if member.status != "probationary":
        raise R.NOT_PROBATIONARY(member_id=cmd.member_id)
    decided = cmd.decided_on or cmd.occurred_on
    end = member.probation_end(rules.probation_months)
    if decided < end:
        served = max(0, months_between(member.admitted_on, decided))
        raise R.PROBATION_NOT_OVER(months=rules.probation_months, served=served, admitted=vn(member.admitted_on),
                                   end=vn(end))
    return _one(ev.MemberRecognizedOfficial(member_id=cmd.member_id, decided_on=decided), member, end)


def transfer(member: Member, target: OrgUnit | None, cmd: c.TransferMember, rules) -> list[Decided]:
    """Chuyển sinh hoạt trong tỉnh: official (papers within 30 working days) or temporary (3–12 months;
    study up to 24)."""
    require_on_rolls(member, cmd)
    if cmd.from_org_unit_id and cmd.from_org_unit_id != member.org_unit_id:
        raise R.WRONG_FROM_UNIT(current=member.org_unit_id, given=cmd.from_org_unit_id)
    require_member_holding(require_active_unit(target, cmd.to_org_unit_id, "to_org_unit_id"), "to_org_unit_id")
    if cmd.to_org_unit_id == member.org_unit_id:
        raise R.SAME_UNIT()
    payload = ev.MemberTransferred(member_id=cmd.member_id, from_org_unit_id=member.org_unit_id,
                                   to_org_unit_id=cmd.to_org_unit_id, kind=cmd.kind, until=cmd.until,
                                   purpose=cmd.purpose)
    if cmd.kind == "temporary":
        if member.host_unit_id and repeated(member.standing.get("temporary"), payload, cmd.occurred_on,
                                            R.ALREADY_TEMPORARY()):
            return []
        max_m = rules.temporary_study_max_months if cmd.purpose == "study" else rules.temporary_transfer_max_months
        if cmd.until is None:
            raise R.UNTIL_REQUIRED()
        months = months_between(cmd.occurred_on, cmd.until)
        limit = add_months(cmd.occurred_on, max_m)
        # work: 3 months to less than 1 year (exactly a year is refused); study: up to 2 years
        too_long = cmd.until > limit if cmd.purpose == "study" else cmd.until >= limit
        # the shortest edge counted like the longest: 31/01 + 3 months is 30/04 (DOMAIN.md §3)
        too_short = cmd.until < add_months(cmd.occurred_on, rules.temporary_transfer_min_months)
        if too_short or too_long:
            upto_vi = f"đến {max_m} tháng" if cmd.purpose == "study" else f"đến dưới {max_m} tháng"
            upto_en = f"to {max_m} months" if cmd.purpose == "study" else f"to less than {max_m} months"
            raise R.TEMPORARY_TRANSFER_LENGTH(min=rules.temporary_transfer_min_months, upto_vi=upto_vi,
                                              upto_en=upto_en, until=vn(cmd.until), months=months)
    return [Decided(payload, cmd.occurred_on, cmd.to_org_unit_id)]


def end_temporary_transfer(member: Member, cmd: c.EndTemporaryTransfer) -> list[Decided]:
    require_on_rolls(member, cmd)
    if not member.host_unit_id:
        raise R.NOT_TEMPORARY()
    check_not_before_start("temporary", cmd.occurred_on, member.host_since)
    return _one(ev.MemberTemporaryTransferEnded(member_id=cmd.member_id), member, cmd.occurred_on)


def present_papers(member: Member, cmd: c.PresentTransferPapers) -> list[Decided]:
    require_on_rolls(member, cmd)
    if not member.papers_due_unit:
        return []
    if cmd.org_unit_id and cmd.org_unit_id != member.papers_due_unit:
        # presented elsewhere (the cell left, a mistyped or wrong-kind id): not the receiving cell's
        raise R.PAPERS_DUE_ELSEWHERE(due=member.papers_due_unit, given=cmd.org_unit_id)
    check_not_before_start("papers", cmd.occurred_on, member.papers_due_since)
    return _one(ev.MemberTransferPapersPresented(member_id=cmd.member_id, org_unit_id=member.papers_due_unit),
                member, cmd.occurred_on)


def transfer_out(member: Member, cmd: c.TransferOut, rated_on: dt.date | None = None) -> list[Decided]:
    require_exit_date(member, cmd, rated_on)
    return _one(ev.MemberTransferredOut(member_id=cmd.member_id, destination=cmd.destination), member, cmd.occurred_on)


def check_return(cmd: c.StartWorkingAway | c.StartAbroad) -> None:
    if cmd.expected_return and cmd.expected_return <= cmd.occurred_on:
        raise R.RETURN_BEFORE_START(start=vn(cmd.occurred_on))


def start_working_away(member: Member, cmd: c.StartWorkingAway, contact: str | None = None) -> list[Decided]:
    """``contact``: the command's contact as stored (sealed with the member's key by the caller)."""
    require_on_rolls(member, cmd)
    check_return(cmd)
    payload = ev.MemberWorkingAwayStarted(member_id=cmd.member_id, place=cmd.place, contact=contact,
                                          expected_return=cmd.expected_return)
    if member.working_away and repeated(member.standing.get("working_away"), payload, cmd.occurred_on,
                                        R.ALREADY_WORKING_AWAY(), contact=cmd.contact):
        return []
    return _one(payload, member, cmd.occurred_on)


def end_working_away(member: Member, cmd: c.EndWorkingAway) -> list[Decided]:
    require_on_rolls(member, cmd)
    if not member.working_away:
        return []
    check_not_before_start("working_away", cmd.occurred_on, member.working_away_since)
    return _one(ev.MemberWorkingAwayEnded(member_id=cmd.member_id), member, cmd.occurred_on)


def start_abroad(member: Member, cmd: c.StartAbroad, rules) -> list[Decided]:
    require_on_rolls(member, cmd)
    check_return(cmd)
    limit = add_months(cmd.occurred_on, rules.abroad_transfer_months)
    if cmd.expected_return and cmd.expected_return >= limit:
        raise R.ABROAD_NEEDS_TRANSFER(months=rules.abroad_transfer_months)
    payload = ev.MemberAbroadStarted(member_id=cmd.member_id, country=cmd.country, expected_return=cmd.expected_return)
    if member.abroad and repeated(member.standing.get("abroad"), payload, cmd.occurred_on, R.ALREADY_ABROAD()):
        return []
    return _one(payload, member, cmd.occurred_on)


def end_abroad(member: Member, cmd: c.EndAbroad) -> list[Decided]:
    require_on_rolls(member, cmd)
    if not member.abroad:
        return []
    check_not_before_start("abroad", cmd.occurred_on, member.abroad_since)
    return _one(ev.MemberAbroadEnded(member_id=cmd.member_id), member, cmd.occurred_on)


def exempt(member: Member, cmd: c.ExemptMember, rules, sealed_reason: str | None) -> list[Decided]:
    """Miễn sinh hoạt: old age/illness without end date; other grounds at most 12 months."""
    require_on_rolls(member, cmd)
    if cmd.ground not in rules.exemption_open_ended_grounds:
        max_m = rules.exemption_max_months_other_grounds
        if cmd.until is None or cmd.until > add_months(cmd.occurred_on, max_m):
            length = f"đến {vn(cmd.until)}" if cmd.until else "không thời hạn"
            raise R.EXEMPTION_TOO_LONG(ground=cmd.ground, max=max_m, latest=vn(add_months(cmd.occurred_on, max_m)),
                                       length=length)
    if cmd.until and cmd.until <= cmd.occurred_on:
        raise R.UNTIL_BEFORE_START()
    payload = ev.MemberExempted(member_id=cmd.member_id, ground=cmd.ground, until=cmd.until,
                                decided_by=cmd.decided_by, health_reason=sealed_reason)
    if repeated(member.standing.get("exemption"), payload, cmd.occurred_on, health_reason=cmd.health_reason):
        return []
    return _one(payload, member, cmd.occurred_on)


def end_exemption(member: Member, cmd: c.EndExemption) -> list[Decided]:
    require_on_rolls(member, cmd)
    if not member.exemption:
        return []
    check_not_before_start("exemption", cmd.occurred_on, member.exempt_since)
    return _one(ev.MemberExemptionEnded(member_id=cmd.member_id), member, cmd.occurred_on)


#: where a member working in an agency is introduced to where they live (QĐ 213): the grassroots
#: committee of the commune or ward, or a cell (or branch) under it — not a district or the province
RESIDENCE_KINDS = ("grassroots_committee", "grassroots_cell", "branch", "cell")


def introduce_liaison(member: Member, residence: OrgUnit | None, cmd: c.IntroduceLiaison) -> list[Decided]:
    require_on_rolls(member, cmd)
    require_active_unit(residence, cmd.residence_org_unit_id, "residence_org_unit_id")
    if residence.kind not in RESIDENCE_KINDS:
        raise R.LIAISON_NOT_GRASSROOTS(kind_vi=KIND_VI[residence.kind], name=residence.name, kind=residence.kind)
    if cmd.residence_org_unit_id == member.org_unit_id:
        raise R.LIAISON_OWN_UNIT(org_unit_id=member.org_unit_id)
    if cmd.residence_org_unit_id == member.liaison_unit_id:
        return []  # already introduced there: the same command again
    return _one(ev.MemberLiaisonIntroduced(member_id=cmd.member_id, residence_org_unit_id=cmd.residence_org_unit_id),
                member, cmd.occurred_on)


def record_liaison_feedback(member: Member, cmd: c.RecordLiaisonFeedback, feedback: str | None = None) -> list[Decided]:
    """Nhận xét của chi bộ nơi cư trú (QĐ 213; D3): only for a member introduced to a residence cell,
    not dated before that introduction, for a year from the introduction's to the recording's.
    ``feedback``: the command's feedback as stored (sealed with the member's key by the caller)."""
    require_on_rolls(member, cmd)
    if member.liaison_since is None:
        raise R.LIAISON_NOT_INTRODUCED()
    check_not_before_start("liaison", cmd.occurred_on, member.liaison_since)
    if not member.liaison_since.year <= cmd.year <= cmd.occurred_on.year:
        raise R.LIAISON_FEEDBACK_YEAR(year=cmd.year, since=member.liaison_since.year, latest=cmd.occurred_on.year)
    payload = ev.MemberLiaisonFeedbackRecorded(member_id=cmd.member_id, year=cmd.year,
                                               feedback=feedback if feedback is not None else cmd.feedback)
    if any(repeated(done, payload, cmd.occurred_on, feedback=cmd.feedback) for done in member.feedbacks):
        return []  # the same feedback recorded again; another one for the year is written
    return _one(payload, member, cmd.occurred_on)


def assign_task(member: Member, cmd: c.AssignTask) -> list[Decided]:
    require_on_rolls(member, cmd)
    return _one(ev.MemberTaskAssigned(member_id=cmd.member_id, task=cmd.task, due_on=cmd.due_on), member,
                cmd.occurred_on)


def make_commitment(member: Member, cmd: c.MakeCommitment) -> list[Decided]:
    require_on_rolls(member, cmd)
    return _one(ev.MemberCommitmentMade(member_id=cmd.member_id, year=cmd.year), member, cmd.occurred_on)


def plan_remediation(member: Member, cmd: c.PlanRemediation, items: str | None = None) -> list[Decided]:
    """``items``: the shortcomings to remedy as stored (sealed with the member's key by the caller)."""
    require_on_rolls(member, cmd)
    if cmd.due_on <= cmd.occurred_on:
        raise R.DUE_BEFORE_PLAN()
    return _one(ev.MemberRemediationPlanned(member_id=cmd.member_id, year=cmd.year, due_on=cmd.due_on,
                                            items=items if items is not None else cmd.items), member, cmd.occurred_on)


def complete_remediation(member: Member, cmd: c.CompleteRemediation) -> list[Decided]:
    require_on_rolls(member, cmd)
    if cmd.year not in member.remediation_open:
        return []
    return _one(ev.MemberRemediationCompleted(member_id=cmd.member_id, year=cmd.year), member, cmd.occurred_on)


def grant_loan(member: Member, cmd: c.GrantLoan) -> list[Decided]:
    require_on_rolls(member, cmd)
    if cmd.loan_id in member.loans:
        return []
    return _one(ev.MemberLoanGranted(member_id=cmd.member_id, loan_id=cmd.loan_id, amount_vnd=cmd.amount_vnd,
                                     due_on=cmd.due_on), member, cmd.occurred_on)


def repay_loan(member: Member, cmd: c.RepayLoan) -> list[Decided]:
    if not member.exists:
        raise member_not_found(cmd.member_id)
    if cmd.loan_id not in member.loans:
        raise R.LOAN_NOT_FOUND(loan_id=cmd.loan_id)
    return _one(ev.MemberLoanRepaid(member_id=cmd.member_id, loan_id=cmd.loan_id), member, cmd.occurred_on)


# --- exits ---------------------------------------------------------------------------------------

def remove(member: Member, cmd: c.RemoveMember, rated_on: dt.date | None = None) -> list[Decided]:
    """Xóa tên (Charter art. 8); ``failed_probation`` only for a probationary member. ``rated_on``
    (every exit): the member's latest rating date (``domain.require_exit_date``)."""
    require_exit_date(member, cmd, rated_on)
    if cmd.ground == "failed_probation" and member.status != "probationary":
        raise R.REMOVAL_NEEDS_PROBATIONARY()
    return _one(ev.MemberRemoved(member_id=cmd.member_id, ground=cmd.ground), member, cmd.occurred_on)


def resign(member: Member, open_cases: list[str], cmd: c.ResignMember,
           rated_on: dt.date | None = None) -> list[Decided]:
    """Xin ra khỏi Đảng: refused while a discipline case is open (discipline comes first)."""
    require_exit_date(member, cmd, rated_on)
    if open_cases:
        raise R.DISCIPLINE_CASE_OPEN(details={"cases": open_cases})
    return _one(ev.MemberResigned(member_id=cmd.member_id), member, cmd.occurred_on)


def check_expulsion_case(cmd: c.ExpelMember, decision: tuple[str, str] | None) -> None:
    """An expulsion cites a discipline decision that exists, concerns this member and expels."""
    if decision is None:
        raise R.EXPULSION_NOT_FOUND(case_id=cmd.case_id)
    member_id, form = decision
    if member_id != cmd.member_id:
        raise R.CASE_NOT_ABOUT_MEMBER(case_id=cmd.case_id, member_id=cmd.member_id)
    if form != "expulsion":
        raise R.CASE_NOT_EXPULSION(case_id=cmd.case_id)


def expel(member: Member, cmd: c.ExpelMember, reaction: bool = False, rated_on: dt.date | None = None) -> list[Decided]:
    """Khai trừ. As a reaction to the discipline service, a member already gone is left as is."""
    if reaction and (not member.exists or member.status == LEFT):
        return []
    if reaction:  # decided by the discipline service: applied as decided, never refused for a later fact
        require_on_rolls(member, cmd)
    else:
        require_exit_date(member, cmd, rated_on)
    return _one(ev.MemberExpelled(member_id=cmd.member_id, case_id=cmd.case_id), member, cmd.occurred_on)


def record_death(member: Member, cmd: c.RecordDeath, rated_on: dt.date | None = None) -> list[Decided]:
    require_exit_date(member, cmd, rated_on)
    return _one(ev.MemberDied(member_id=cmd.member_id), member, cmd.occurred_on)


def shred(member: Member, cmd: c.ShredMember) -> list[Decided]:
    if not member.exists:
        raise member_not_found(cmd.member_id)
    if member.shredded:
        return []
    return _one(ev.MemberPersonalDataShredded(member_id=cmd.member_id), member, cmd.occurred_on)
