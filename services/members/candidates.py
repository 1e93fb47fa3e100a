"""Candidates (quần chúng ưu tú) on the way to admission (D2, DOMAIN.md §3). Pure."""
from __future__ import annotations

import datetime as dt

from shared.labels import value_vi
from shared.personal import is_sealed
from dataclasses import dataclass, replace

from shared.application import Decided
from shared.contracts import members as c
from shared.catalog.members import (CandidateAdmissionDecided, CandidateAwarenessClassCompleted,
                                    CandidateBackgroundVerified, CandidateCellResolutionPassed,
                                    CandidateRegistered)
from shared.errors import DomainError
from shared.events import Envelope
from shared.events import by_type, fold as fold_events

from shared.dates import add_months, add_working_days, vn
from services.members import rules as R
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
    education_level: str | None = None

    @property
    def exists(self) -> bool:
        return self.candidate_id is not None


def date_or_sealed(value) -> dt.date | str | None:
    """A birth date as stored: a clear date (events written before it was sealed) or a sealed value
    (opened by the application with the subject's key)."""
    if value is None or is_sealed(value):
        return value
    return dt.date.fromisoformat(str(value))


evolve_candidate = by_type({
    "candidate.registered": lambda state, e: Candidate(e.data["candidate_id"], e.data["org_unit_id"],
                                                       date_or_sealed(e.data["birth_date"]), e.occurred_on,
                                                       education_level=e.data.get("education_level")),
    "candidate.awareness_class_completed": lambda state, e: replace(state, class_on=e.occurred_on),
    "candidate.background_verified": lambda state, e: replace(state, verified_on=e.occurred_on),
    "candidate.cell_resolution_passed":
        lambda state, e: replace(state, resolution_on=e.occurred_on,
                                 special_age_decision=e.data.get("special_age_decision"),
                                 education_level=e.data.get("education_level") or state.education_level),
    "candidate.admission_decided": lambda state, e: replace(state, decided_on=e.occurred_on,
                                                            member_id=e.data["member_id"]),
})


def fold_candidate(events: list[Envelope]) -> Candidate:
    return fold_events(evolve_candidate, Candidate(), events)


def candidate_not_found(candidate_id: str) -> DomainError:
    return R.CANDIDATE_NOT_FOUND(candidate_id=candidate_id)


def check_introducer_known(known_since: dt.date | None, registered_on: dt.date, rules) -> None:
    """An introducing member must have known the candidate for at least 12 months: known since
    10/3/2019, the earliest registration is 10/3/2020."""
    months = rules.introducer_known_months
    if known_since is None:
        raise R.INTRODUCER_KNOWN_SINCE_REQUIRED(months=months)
    earliest = add_months(known_since, months)
    if registered_on < earliest:
        raise R.INTRODUCER_KNOWN_TOO_SHORT(months=months, since=vn(known_since), earliest=vn(earliest))


EDUCATION_ORDER = ("none", "primary", "lower_secondary", "upper_secondary")


def check_education(level: str | None, on: dt.date, rules) -> None:
    """Người vào Đảng: lower-secondary education (tốt nghiệp THCS) or higher, judged at the cell's resolution."""
    if level is None or EDUCATION_ORDER.index(level) < EDUCATION_ORDER.index(rules.admission_min_education):
        raise R.EDUCATION_TOO_LOW(recorded_vi=f"hiện ghi «{value_vi('education_level', level)}»" if level
                                  else "chưa ghi trình độ", recorded_en=level or "nothing", day=vn(on),
                                  source=rules.source("admission_min_education"))


def register_candidate(cand: Candidate, unit: OrgUnit | None, introducer: Member | None, cmd: c.RegisterCandidate,
                       sealed_name: str, sealed_birth: str | None = None, rules=None) -> list[Decided]:
    if cand.exists:
        raise R.CANDIDATE_EXISTS(candidate_id=cmd.candidate_id)
    require_member_holding(require_active_unit(unit, cmd.org_unit_id, "org_unit_id"), "org_unit_id")
    if not cmd.introduced_by_member_id and not cmd.introduced_by_organisation:
        raise R.INTRODUCER_REQUIRED()
    if cmd.introduced_by_member_id and (introducer is None or introducer.status != "official"):
        raise R.INTRODUCER_NOT_OFFICIAL(member_id=cmd.introduced_by_member_id)
    if cmd.introduced_by_member_id:
        check_introducer_known(cmd.introducer_known_since, cmd.occurred_on, rules)
    payload = CandidateRegistered(candidate_id=cmd.candidate_id, org_unit_id=cmd.org_unit_id, full_name=sealed_name,
                                  birth_date=sealed_birth or cmd.birth_date, birth_year=cmd.birth_date.year,
                                  sex=cmd.sex,
                                  introduced_by_member_id=cmd.introduced_by_member_id,
                                  introduced_by_organisation=cmd.introduced_by_organisation,
                                  introducer_known_since=cmd.introducer_known_since,
                                  education_level=cmd.education_level)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]


#: the commands on a registered candidate
CandidateStep = c.CompleteAwarenessClass | c.VerifyBackground | c.PassCellResolution | c.DecideAdmission


def _existing(cand: Candidate, cmd: CandidateStep) -> Candidate:
    if not cand.exists:
        raise candidate_not_found(cmd.candidate_id)
    if cand.decided_on:
        raise R.CANDIDATE_ALREADY_DECIDED(day=vn(cand.decided_on))
    return cand


def complete_awareness_class(cand: Candidate, cmd: c.CompleteAwarenessClass) -> list[Decided]:
    if _existing(cand, cmd).class_on:
        return []
    return [Decided(CandidateAwarenessClassCompleted(candidate_id=cmd.candidate_id), cmd.occurred_on,
                    cand.org_unit_id)]


def verify_background(cand: Candidate, cmd: c.VerifyBackground) -> list[Decided]:
    if _existing(cand, cmd).verified_on:
        return []
    return [Decided(CandidateBackgroundVerified(candidate_id=cmd.candidate_id), cmd.occurred_on, cand.org_unit_id)]


def pass_cell_resolution(cand: Candidate, cmd: c.PassCellResolution, rules) -> list[Decided]:
    _existing(cand, cmd)
    if not cand.class_on:
        raise R.AWARENESS_CLASS_MISSING()
    if not cand.verified_on:
        raise R.BACKGROUND_NOT_VERIFIED()
    if cmd.occurred_on < max(cand.class_on, cand.verified_on):
        raise R.RESOLUTION_BEFORE_STEPS(day=vn(max(cand.class_on, cand.verified_on)))
    check_admission_age(cand.birth_date, cmd.occurred_on, cmd.special_age_decision, rules)
    check_education(cmd.education_level or cand.education_level, cmd.occurred_on, rules)
    return [Decided(CandidateCellResolutionPassed(candidate_id=cmd.candidate_id,
                                                  special_age_decision=cmd.special_age_decision,
                                                  education_level=cmd.education_level),
                    cmd.occurred_on, cand.org_unit_id)]


def decision_deadline(resolution_on: dt.date, rules) -> dt.date:
    return add_working_days(resolution_on, rules.admission_decision_working_days)


def decide_admission(cand: Candidate, cmd: c.DecideAdmission, rules) -> list[Decided]:
    _existing(cand, cmd)
    if not cand.resolution_on:
        raise R.CELL_RESOLUTION_MISSING()
    if cmd.occurred_on < cand.resolution_on:
        raise R.ADMISSION_DECISION_BEFORE_RESOLUTION(resolution=vn(cand.resolution_on))
    latest = add_working_days(cand.resolution_on, rules.admission_decision_working_days
                              + rules.admission_decision_extension_working_days)
    if cmd.occurred_on > latest:
        raise R.ADMISSION_DECISION_TOO_LATE(days=rules.admission_decision_working_days,
                                            extension=rules.admission_decision_extension_working_days,
                                            resolution=vn(cand.resolution_on), latest=vn(latest))
    return [Decided(CandidateAdmissionDecided(candidate_id=cmd.candidate_id, member_id=cmd.member_id,
                                              decision_no=cmd.decision_no), cmd.occurred_on, cand.org_unit_id)]


def check_candidate_for_admission(cand: Candidate, cmd: c.AdmitMember) -> None:
    """An admission naming a candidate: the decision exists and names this member."""
    if not cand.exists:
        raise candidate_not_found(cmd.candidate_id)
    if not cand.decided_on or cand.member_id != cmd.member_id:
        raise R.ADMISSION_NOT_DECIDED(candidate_id=cmd.candidate_id, member_id=cmd.member_id)
    if cmd.occurred_on < cand.decided_on:
        raise R.ADMITTED_BEFORE_DECISION(day=vn(cand.decided_on))
