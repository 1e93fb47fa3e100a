"""Events of the members service: the organisation tree and the member lifecycle.

Personal data (Decree 13/2023/NĐ-CP): the fields named in each model's ``PERSONAL`` are stored
*sealed* — encrypted with the member's (or candidate's) own key by ``shared.personal.Vault`` — so
one person's data can be shredded by deleting the key, without rewriting history (hash chains
still verify). A sealed value is an opaque string ``sealed:v1:<token>``; after shredding it can no
longer be opened. ``birth_date`` is sealed too; what the statistics need of it travels in clear as
``birth_year`` (young members are counted by the age reached in the year). ``sex`` and
``demobilised`` stay in clear: the directive's statistics break down by them and they do not
identify a person on their own. (Events written before birth dates were sealed carry a clear
``birth_date`` and no ``birth_year``.)

**What a merge emits** (``org_unit.merged``, hợp nhất): the members service appends, on the merge's
business date, one ``member.transferred {kind: "official"}`` per member whose official activity was
in the absorbed unit (from the absorbed unit to the successor), *then* ``org_unit.merged``. A unit
with active sub-units cannot be merged or dissolved: its sub-units are moved (``org_unit.moved``)
or merged first, so consumers never see members or units left under a closed unit.
A dissolution (giải thể) requires the unit to hold no members (transfer them first).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import StringConstraints

from shared.catalog.common import (Demobilised, ExemptionGround, Id, Name, OrgKind, Rating, SealedText,
                                   RemovalGround, Sex, Text)
from shared.events import EventData, event_type

#: general education completed (trình độ giáo dục phổ thông), in order
EducationLevel = Literal["none", "primary", "lower_secondary", "upper_secondary"]

#: a personal value sealed with its subject's key (``sealed:v1:...``), or clear text in old imports
Sealed = Annotated[str, StringConstraints(min_length=1, max_length=4000)]

#: personal attributes of a member record that are sealed (identifiers and sensitive attributes)
RECORD_PERSONAL = ("card_number", "background_file_number", "citizen_id", "ethnicity", "religion")


# --- organisation tree (tổ chức đảng) -----------------------------------------------------------

@event_type("org_unit.created")
class OrgUnitCreated(EventData):
    """Thành lập tổ chức đảng."""
    org_unit_id: Id
    name: Name
    kind: OrgKind
    parent_id: Id | None = None


@event_type("org_unit.renamed")
class OrgUnitRenamed(EventData):
    """Đổi tên tổ chức đảng."""
    org_unit_id: Id
    name: Name


@event_type("org_unit.moved")
class OrgUnitMoved(EventData):
    """Chuyển tổ chức đảng trực thuộc cấp trên khác (e.g. under the province when districts end)."""
    org_unit_id: Id
    parent_id: Id


@event_type("org_unit.merged")
class OrgUnitMerged(EventData):
    """Hợp nhất / sáp nhập vào tổ chức kế thừa. Preceded by one ``member.transferred`` per member
    (see the module docstring)."""
    org_unit_id: Id
    into_org_unit_id: Id


@event_type("org_unit.dissolved")
class OrgUnitDissolved(EventData):
    """Giải thể (hành chính hoặc kỷ luật)."""
    org_unit_id: Id
    reason: Literal["administrative", "discipline"]


@event_type("org_unit.cell_overseer_assigned")
class CellOverseerAssigned(EventData):
    """Cấp ủy viên phụ trách chi bộ (D7): who oversees a cell and whether they attend its meetings."""
    org_unit_id: Id
    member_id: Id
    attends_meetings: bool = True


@event_type("org_unit.dialogue_held")
class DialogueHeld(EventData):
    """Gặp mặt, đối thoại hằng năm với đảng viên xuất ngũ và đảng viên đi làm ăn xa (D5)."""
    org_unit_id: Id
    year: int
    member_ids: list[Id] = []


# --- candidates (quần chúng ưu tú) → admission (D2) ---------------------------------------------

@event_type("candidate.registered")
class CandidateRegistered(EventData):
    """Quần chúng ưu tú được giới thiệu (by an official member or a mass organisation)."""
    PERSONAL = ("full_name", "birth_date")
    candidate_id: Id
    org_unit_id: Id
    full_name: Sealed
    birth_date: Sealed | dt.date
    sex: Sex
    birth_year: int | None = None
    introduced_by_member_id: Id | None = None
    introduced_by_organisation: Name | None = None
    #: since when the introducing member has known the candidate
    introducer_known_since: dt.date | None = None
    education_level: EducationLevel | None = None


@event_type("candidate.awareness_class_completed")
class CandidateAwarenessClassCompleted(EventData):
    """Hoàn thành lớp bồi dưỡng nhận thức về Đảng."""
    candidate_id: Id


@event_type("candidate.background_verified")
class CandidateBackgroundVerified(EventData):
    """Thẩm tra lý lịch đạt yêu cầu."""
    candidate_id: Id


@event_type("candidate.cell_resolution_passed")
class CandidateCellResolutionPassed(EventData):
    """Nghị quyết của chi bộ đề nghị kết nạp; the age limits and education are judged on this date."""
    candidate_id: Id
    special_age_decision: Name | None = None
    #: the education completed by then, when it changed since the registration
    education_level: EducationLevel | None = None


@event_type("candidate.admission_decided")
class CandidateAdmissionDecided(EventData):
    """Quyết định kết nạp của cấp ủy có thẩm quyền (names the future member id)."""
    candidate_id: Id
    member_id: Id
    decision_no: Name | None = None


# --- member record ---------------------------------------------------------------------------

@event_type("member.admitted")
class MemberAdmitted(EventData):
    """Kết nạp đảng viên (lễ kết nạp); also a re-admission (kết nạp lại) on a member who left."""
    PERSONAL = ("full_name", "birth_date") + RECORD_PERSONAL
    member_id: Id
    org_unit_id: Id
    full_name: Sealed
    birth_date: Sealed | dt.date
    #: in clear, for the statistics (age reached in a year); the date itself is sealed
    birth_year: int | None = None
    sex: Sex
    demobilised: Demobilised = "none"
    candidate_id: Id | None = None
    special_age_decision: Name | None = None
    card_number: Sealed | None = None
    background_file_number: Sealed | None = None
    citizen_id: Sealed | None = None
    ethnicity: Sealed | None = None
    religion: Sealed | None = None
    education: Name | None = None
    political_theory: Name | None = None
    occupation: Name | None = None


@event_type("member.record_updated")
class MemberRecordUpdated(EventData):
    """Cập nhật hồ sơ đảng viên: only the fields given change."""
    PERSONAL = ("full_name",) + RECORD_PERSONAL
    member_id: Id
    full_name: Sealed | None = None
    card_number: Sealed | None = None
    background_file_number: Sealed | None = None
    citizen_id: Sealed | None = None
    ethnicity: Sealed | None = None
    religion: Sealed | None = None
    education: Name | None = None
    political_theory: Name | None = None
    occupation: Name | None = None
    demobilised: Demobilised | None = None


@event_type("member.card_reserved")
class MemberCardReserved(EventData):
    """Giữ số thẻ đảng viên: lives in stream ``card-<keyed hash of the number>`` so a number is
    given to one member only; the number itself is never in clear in the store."""
    member_id: Id


@event_type("member.personal_data_shredded")
class MemberPersonalDataShredded(EventData):
    """Xóa dữ liệu cá nhân (Decree 13/2023): the member's key was deleted; sealed fields are unreadable."""
    member_id: Id


@event_type("member.new_member_class_completed")
class MemberNewMemberClassCompleted(EventData):
    """Hoàn thành lớp bồi dưỡng đảng viên mới (compulsory during probation)."""
    member_id: Id


@event_type("member.recognized_official")
class MemberRecognizedOfficial(EventData):
    """Công nhận đảng viên chính thức. ``occurred_on`` is the end of the 12 months' probation even
    when the cell decided late; ``decided_on`` is the decision date."""
    member_id: Id
    decided_on: dt.date | None = None


# --- movement (D3) ------------------------------------------------------------------------------

@event_type("member.transferred")
class MemberTransferred(EventData):
    """Chuyển sinh hoạt đảng trong tỉnh: official (chính thức) or temporary (tạm thời; the home unit
    keeps the member, ``until`` the expected end). Also emitted for each member of a merged unit."""
    member_id: Id
    from_org_unit_id: Id
    to_org_unit_id: Id
    kind: Literal["official", "temporary"]
    until: dt.date | None = None
    purpose: Literal["work", "study", "merge"] | None = None


@event_type("member.temporary_transfer_ended")
class MemberTemporaryTransferEnded(EventData):
    """Kết thúc sinh hoạt tạm thời: the member is back at the home unit."""
    member_id: Id


@event_type("member.transfer_papers_presented")
class MemberTransferPapersPresented(EventData):
    """Đảng viên xuất trình giấy giới thiệu sinh hoạt đảng tại đơn vị mới (deadline 30 working days)."""
    member_id: Id
    org_unit_id: Id


@event_type("member.transferred_out")
class MemberTransferredOut(EventData):
    """Chuyển sinh hoạt đảng ra ngoài tỉnh (or abroad, ≥ 12 months)."""
    member_id: Id
    destination: Name


@event_type("member.transferred_in")
class MemberTransferredIn(EventData):
    """Tiếp nhận đảng viên từ ngoài tỉnh."""
    PERSONAL = ("full_name", "birth_date") + RECORD_PERSONAL
    member_id: Id
    org_unit_id: Id
    full_name: Sealed
    birth_date: Sealed | dt.date
    #: in clear, for the statistics (age reached in a year); the date itself is sealed
    birth_year: int | None = None
    sex: Sex
    demobilised: Demobilised = "none"
    origin: Name
    status: Literal["probationary", "official"] = "official"
    admitted_on: dt.date | None = None
    card_number: Sealed | None = None
    background_file_number: Sealed | None = None
    citizen_id: Sealed | None = None
    ethnicity: Sealed | None = None
    religion: Sealed | None = None


@event_type("member.working_away_started")
class MemberWorkingAwayStarted(EventData):
    """Đi làm ăn xa (D0, D3): place, contact, expected return. ``contact`` (a phone number, an
    address) is sealed; events written before it was carry it in clear."""
    PERSONAL = ("contact",)
    member_id: Id
    place: Name
    contact: Sealed | None = None
    expected_return: dt.date | None = None


@event_type("member.working_away_ended")
class MemberWorkingAwayEnded(EventData):
    member_id: Id


@event_type("member.abroad_started")
class MemberAbroadStarted(EventData):
    """Đảng viên ra nước ngoài (under 12 months; ≥ 12 months is a transfer abroad)."""
    member_id: Id
    country: Name
    expected_return: dt.date | None = None


@event_type("member.abroad_ended")
class MemberAbroadEnded(EventData):
    """Về nước (tự kiểm điểm khi về)."""
    member_id: Id


@event_type("member.exempted")
class MemberExempted(EventData):
    """Miễn công tác và sinh hoạt đảng: old age/illness without end (chi bộ); other grounds ≤ 12
    months (đảng ủy cơ sở). ``health_reason`` is sealed."""
    PERSONAL = ("health_reason",)
    member_id: Id
    ground: ExemptionGround
    until: dt.date | None = None
    decided_by: Name | None = None
    health_reason: Sealed | None = None


@event_type("member.exemption_ended")
class MemberExemptionEnded(EventData):
    member_id: Id


@event_type("member.liaison_introduced")
class MemberLiaisonIntroduced(EventData):
    """Giới thiệu đảng viên đang công tác về sinh hoạt nơi cư trú (QĐ 213)."""
    member_id: Id
    residence_org_unit_id: Id


@event_type("member.liaison_feedback_recorded")
class MemberLiaisonFeedbackRecorded(EventData):
    """Nhận xét hằng năm của chi bộ nơi cư trú. ``feedback`` (an appraisal of the person) is sealed;
    events written before it was carry it in clear."""
    member_id: Id
    year: int
    feedback: SealedText


@event_type("member.task_assigned")
class MemberTaskAssigned(EventData):
    """Phân công nhiệm vụ cho đảng viên (D3)."""
    member_id: Id
    task: Text
    due_on: dt.date | None = None


@event_type("member.commitment_made")
class MemberCommitmentMade(EventData):
    """Bản cam kết tu dưỡng, rèn luyện hằng năm (D1)."""
    member_id: Id
    year: int


@event_type("member.remediation_planned")
class MemberRemediationPlanned(EventData):
    """Kế hoạch khắc phục hạn chế sau kiểm điểm, with a due date (D1). ``items`` (the member's
    shortcomings) is sealed; events written before it was carry it in clear."""
    member_id: Id
    year: int
    due_on: dt.date
    items: SealedText = ""


@event_type("member.remediation_completed")
class MemberRemediationCompleted(EventData):
    member_id: Id
    year: int


@event_type("member.loan_granted")
class MemberLoanGranted(EventData):
    """Hỗ trợ vay vốn không lãi (D5)."""
    member_id: Id
    loan_id: Id
    amount_vnd: int
    due_on: dt.date | None = None


@event_type("member.loan_repaid")
class MemberLoanRepaid(EventData):
    member_id: Id
    loan_id: Id


# --- rating and exits ---------------------------------------------------------------------------

@event_type("member.rated")
class MemberRated(EventData):
    """Xếp loại chất lượng đảng viên hằng năm. Stored in stream ``rating-<grassroots>-<year>`` (the
    20 % quota is per grassroots organisation); ``points`` under the 100-point scale (QĐ 366)."""
    member_id: Id
    year: int
    rating: Rating
    points: int | None = None


@event_type("member.removed")
class MemberRemoved(EventData):
    """Xóa tên khỏi danh sách đảng viên (not a discipline), on a Charter art. 8 ground."""
    member_id: Id
    ground: RemovalGround


@event_type("member.resigned")
class MemberResigned(EventData):
    """Xin ra khỏi Đảng."""
    member_id: Id


@event_type("member.expelled")
class MemberExpelled(EventData):
    """Khai trừ: the members service's reaction to ``discipline.applied`` with form expulsion."""
    member_id: Id
    case_id: Id


@event_type("member.died")
class MemberDied(EventData):
    """Từ trần."""
    member_id: Id
