"""Candidates (quần chúng ưu tú) on the way to admission (D2, DOMAIN.md §3). Pure."""
from __future__ import annotations

import datetime as dt

from shared.personal import is_sealed
from dataclasses import dataclass, replace

from shared.application import Decided
from shared.catalog.members import (CandidateAdmissionDecided, CandidateAwarenessClassCompleted,
                                    CandidateBackgroundVerified, CandidateCellResolutionPassed,
                                    CandidateRegistered)
from shared.errors import Conflict, DomainError, NotFound
from shared.events import Envelope
from shared.events import fold as fold_events

from shared.dates import add_working_days, vn
from services.members.domain import (Member, OrgUnit, check_admission_age, require_active_unit,
                                     require_member_holding)


@dataclass(frozen=True)
class Candidate:
    candidate_id: str | None = None
    org_unit_id: str | None = None
    birth_date: dt.date | None = None
    registered_on: dt.date | None = None
    class_on: dt.date | None = None
    verified_on: dt.date | None = None
    resolution_on: dt.date | None = None
    special_age_decision: str | None = None
    decided_on: dt.date | None = None
    member_id: str | None = None

    @property
    def exists(self) -> bool:
        return self.candidate_id is not None


def date_or_sealed(value) -> dt.date | str | None:
    """A birth date as stored: a clear date (events written before it was sealed) or a sealed value
    (opened by the application with the subject's key)."""
    if value is None or is_sealed(value):
        return value
    return dt.date.fromisoformat(str(value))


def evolve_candidate(state: Candidate, e: Envelope) -> Candidate:
    d = e.data
    if e.type == "candidate.registered":
        return Candidate(d["candidate_id"], d["org_unit_id"], date_or_sealed(d["birth_date"]), e.occurred_on)
    if e.type == "candidate.awareness_class_completed":
        return replace(state, class_on=e.occurred_on)
    if e.type == "candidate.background_verified":
        return replace(state, verified_on=e.occurred_on)
    if e.type == "candidate.cell_resolution_passed":
        return replace(state, resolution_on=e.occurred_on, special_age_decision=d.get("special_age_decision"))
    if e.type == "candidate.admission_decided":
        return replace(state, decided_on=e.occurred_on, member_id=d["member_id"])
    return state


def fold_candidate(events: list[Envelope]) -> Candidate:
    return fold_events(evolve_candidate, Candidate(), events)


def candidate_not_found(candidate_id: str) -> NotFound:
    return NotFound("candidate_not_found", f"Không tìm thấy hồ sơ quần chúng «{candidate_id}»",
                    f"Candidate '{candidate_id}' not found", field="candidate_id")


def register_candidate(cand: Candidate, unit: OrgUnit | None, introducer: Member | None, cmd,
                       sealed_name: str, sealed_birth: str | None = None) -> list[Decided]:
    if cand.exists:
        raise Conflict("candidate_exists", f"Hồ sơ quần chúng «{cmd.candidate_id}» đã có",
                       f"Candidate '{cmd.candidate_id}' already exists", field="candidate_id")
    require_member_holding(require_active_unit(unit, cmd.org_unit_id, "org_unit_id"), "org_unit_id")
    if not cmd.introduced_by_member_id and not cmd.introduced_by_organisation:
        raise DomainError("introducer_required", "Quần chúng phải được một đảng viên chính thức hoặc một tổ chức "
                          "đoàn thể giới thiệu", "A candidate must be introduced by an official member or a mass "
                          "organisation", field="introduced_by_member_id")
    if cmd.introduced_by_member_id and (introducer is None or introducer.status != "official"):
        raise DomainError("introducer_not_official",
                          f"Người giới thiệu «{cmd.introduced_by_member_id}» phải là đảng viên chính thức",
                          f"Introducer '{cmd.introduced_by_member_id}' must be an official member",
                          field="introduced_by_member_id")
    payload = CandidateRegistered(candidate_id=cmd.candidate_id, org_unit_id=cmd.org_unit_id, full_name=sealed_name,
                                  birth_date=sealed_birth or cmd.birth_date, birth_year=cmd.birth_date.year,
                                  sex=cmd.sex,
                                  introduced_by_member_id=cmd.introduced_by_member_id,
                                  introduced_by_organisation=cmd.introduced_by_organisation)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


def _existing(cand: Candidate, cmd) -> Candidate:
    if not cand.exists:
        raise candidate_not_found(cmd.candidate_id)
    if cand.decided_on:
        raise Conflict("candidate_already_decided", f"Đã có quyết định kết nạp ngày {vn(cand.decided_on)}",
                       f"Admission was already decided on {vn(cand.decided_on)}", field="candidate_id")
    return cand


def complete_awareness_class(cand: Candidate, cmd) -> list[Decided]:
    if _existing(cand, cmd).class_on:
        return []
    return [Decided(CandidateAwarenessClassCompleted(candidate_id=cmd.candidate_id), cmd.occurred_on,
                    cand.org_unit_id)]


def verify_background(cand: Candidate, cmd) -> list[Decided]:
    if _existing(cand, cmd).verified_on:
        return []
    return [Decided(CandidateBackgroundVerified(candidate_id=cmd.candidate_id), cmd.occurred_on, cand.org_unit_id)]


def pass_cell_resolution(cand: Candidate, cmd, rules) -> list[Decided]:
    _existing(cand, cmd)
    if not cand.class_on:
        raise DomainError("awareness_class_missing", "Quần chúng chưa hoàn thành lớp bồi dưỡng nhận thức về Đảng",
                          "The candidate has not completed the awareness class", field="candidate_id")
    if not cand.verified_on:
        raise DomainError("background_not_verified", "Lý lịch của quần chúng chưa được thẩm tra",
                          "The candidate's background is not verified yet", field="candidate_id")
    check_admission_age(cand.birth_date, cmd.occurred_on, cmd.special_age_decision, rules)
    return [Decided(CandidateCellResolutionPassed(candidate_id=cmd.candidate_id,
                                                  special_age_decision=cmd.special_age_decision),
                    cmd.occurred_on, cand.org_unit_id)]


def decision_deadline(resolution_on: dt.date, rules) -> dt.date:
    return add_working_days(resolution_on, rules.admission_decision_working_days)


def decide_admission(cand: Candidate, cmd, rules) -> list[Decided]:
    _existing(cand, cmd)
    if not cand.resolution_on:
        raise DomainError("cell_resolution_missing", "Chưa có nghị quyết của chi bộ đề nghị kết nạp",
                          "There is no cell resolution to admit yet", field="candidate_id")
    latest = add_working_days(cand.resolution_on, rules.admission_decision_working_days
                              + rules.admission_decision_extension_working_days)
    if cmd.occurred_on > latest:
        raise DomainError("admission_decision_too_late",
                          f"Quyết định kết nạp phải ban hành trong {rules.admission_decision_working_days} ngày làm "
                          f"việc (gia hạn tối đa {rules.admission_decision_extension_working_days}) kể từ nghị quyết "
                          f"chi bộ ngày {vn(cand.resolution_on)}, tức chậm nhất {vn(latest)}",
                          f"The admission decision was due within {rules.admission_decision_working_days} "
                          f"(+{rules.admission_decision_extension_working_days}) working days of the cell "
                          f"resolution of {vn(cand.resolution_on)}, i.e. by {vn(latest)}", field="occurred_on")
    return [Decided(CandidateAdmissionDecided(candidate_id=cmd.candidate_id, member_id=cmd.member_id,
                                              decision_no=cmd.decision_no), cmd.occurred_on, cand.org_unit_id)]


def check_candidate_for_admission(cand: Candidate, cmd) -> None:
    """An admission naming a candidate: the decision exists and names this member."""
    if not cand.exists:
        raise candidate_not_found(cmd.candidate_id)
    if not cand.decided_on or cand.member_id != cmd.member_id:
        raise DomainError("admission_not_decided",
                          f"Chưa có quyết định kết nạp quần chúng «{cmd.candidate_id}» với mã đảng viên «{cmd.member_id}»",
                          f"No admission decision for candidate '{cmd.candidate_id}' as member '{cmd.member_id}'",
                          field="candidate_id")
    if cmd.occurred_on < cand.decided_on:
        raise DomainError("admitted_before_decision",
                          f"Lễ kết nạp không thể trước quyết định kết nạp ngày {vn(cand.decided_on)}",
                          f"The admission cannot precede the decision of {vn(cand.decided_on)}", field="occurred_on")
