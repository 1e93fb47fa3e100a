"""Commands and queries of the members service (RPCs, HTTP endpoints and import lines).

Import lines carry the event's data, so each command accepts its event's fields (e.g. a
``member.transferred`` line's ``from_org_unit_id`` is checked against the member's unit).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.catalog.common import (Demobilised, ExemptionGround, Id, Name, OrgKind, Rating, RemovalGround,
                                   Sex, Text)
from shared.catalog.members import EducationLevel
from shared.contracts import Command, Query, Spec

#: số thẻ đảng viên: 8 digits
CardNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8}$")]
#: số lý lịch: 6 digits + a 1–3 letter province code
BackgroundFileNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}[A-Za-zĐđ]{1,3}$")]
#: căn cước công dân: 12 digits
CitizenId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{12}$")]
Year = Annotated[int, Field(ge=1930, le=2100)]


class CreateOrgUnit(Command):
    org_unit_id: Id
    name: Name
    kind: OrgKind
    parent_id: Id | None = None


class RenameOrgUnit(Command):
    org_unit_id: Id
    name: Name


class MoveOrgUnit(Command):
    org_unit_id: Id
    parent_id: Id


class MergeOrgUnit(Command):
    org_unit_id: Id
    into_org_unit_id: Id


class DissolveOrgUnit(Command):
    org_unit_id: Id
    reason: Literal["administrative", "discipline"] = "administrative"


class AssignCellOverseer(Command):
    org_unit_id: Id
    member_id: Id
    attends_meetings: bool = True


class HoldDialogue(Command):
    org_unit_id: Id
    year: Year
    member_ids: list[Id] = []


class RegisterCandidate(Command):
    candidate_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    introduced_by_member_id: Id | None = None
    introduced_by_organisation: Name | None = None
    #: since when the introducing member has known the candidate (≥ 12 months before registering)
    introducer_known_since: dt.date | None = None
    #: general education completed (lower secondary is required by the cell's resolution)
    education_level: EducationLevel | None = None


class CandidateStep(Command):
    candidate_id: Id


class CompleteAwarenessClass(CandidateStep):
    pass


class VerifyBackground(CandidateStep):
    pass


class PassCellResolution(CandidateStep):
    special_age_decision: Name | None = None
    #: the education completed, when it changed since the registration
    education_level: EducationLevel | None = None


class DecideAdmission(CandidateStep):
    member_id: Id
    decision_no: Name | None = None


class RecordFields(Command):
    """Identifiers and the attributes reports break down by (all optional)."""
    card_number: CardNumber | None = None
    background_file_number: BackgroundFileNumber | None = None
    citizen_id: CitizenId | None = None
    ethnicity: Name | None = None
    religion: Name | None = None
    education: Name | None = None
    political_theory: Name | None = None
    occupation: Name | None = None


class AdmitMember(RecordFields):
    member_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    demobilised: Demobilised = "none"
    #: decision allowing admission past the age limit (số quyết định đặc biệt), if any
    special_age_decision: str | None = None
    #: the candidate file this admission closes (its cell resolution dates the age check)
    candidate_id: Id | None = None


class UpdateMemberRecord(RecordFields):
    member_id: Id
    full_name: Name | None = None
    demobilised: Demobilised | None = None


class MemberCommand(Command):
    member_id: Id


class CompleteNewMemberClass(MemberCommand):
    pass


class RecognizeOfficial(MemberCommand):
    #: the cell's decision date; ``occurred_on`` when absent
    decided_on: dt.date | None = None


class TransferMember(MemberCommand):
    to_org_unit_id: Id
    kind: Literal["official", "temporary"] = "official"
    from_org_unit_id: Id | None = None
    until: dt.date | None = None
    purpose: Literal["work", "study", "merge"] | None = None


class EndTemporaryTransfer(MemberCommand):
    pass


class PresentTransferPapers(MemberCommand):
    org_unit_id: Id | None = None


class TransferOut(MemberCommand):
    destination: Name


class TransferIn(RecordFields):
    member_id: Id
    org_unit_id: Id
    full_name: Name
    birth_date: dt.date
    sex: Sex
    demobilised: Demobilised = "none"
    origin: Name
    status: Literal["probationary", "official"] = "official"
    admitted_on: dt.date | None = None


class StartWorkingAway(MemberCommand):
    place: Name
    contact: Name | None = None
    expected_return: dt.date | None = None


class EndWorkingAway(MemberCommand):
    pass


class StartAbroad(MemberCommand):
    country: Name
    expected_return: dt.date | None = None


class EndAbroad(MemberCommand):
    pass


class ExemptMember(MemberCommand):
    ground: ExemptionGround
    until: dt.date | None = None
    decided_by: Name | None = None
    health_reason: Name | None = None


class EndExemption(MemberCommand):
    pass


class IntroduceLiaison(MemberCommand):
    residence_org_unit_id: Id


class RecordLiaisonFeedback(MemberCommand):
    year: Year
    feedback: Text


class AssignTask(MemberCommand):
    task: Text
    due_on: dt.date | None = None


class MakeCommitment(MemberCommand):
    year: Year


class PlanRemediation(MemberCommand):
    year: Year
    due_on: dt.date
    items: Text = ""


class CompleteRemediation(MemberCommand):
    year: Year


class GrantLoan(MemberCommand):
    loan_id: Id
    amount_vnd: Annotated[int, Field(gt=0)]
    due_on: dt.date | None = None


class RepayLoan(MemberCommand):
    loan_id: Id


class RateMember(MemberCommand):
    year: Year
    #: the level (before the 100-point scale); derived from ``points`` under QĐ 366
    rating: Rating | None = None
    points: Annotated[int, Field(ge=0, le=100)] | None = None


class RemoveMember(MemberCommand):
    ground: RemovalGround


class ResignMember(MemberCommand):
    pass


class ExpelMember(MemberCommand):
    case_id: Id


class RecordDeath(MemberCommand):
    pass


class ShredMember(MemberCommand):
    pass


# --- queries -----------------------------------------------------------------------------------

class GetMember(Query):
    member_id: Id


class UnitAncestors(Query):
    org_unit_id: Id
    on: dt.date | None = None


class OrgTree(Query):
    org_unit_id: Id | None = None
    on: dt.date | None = None


class Overdue(Query):
    on: dt.date | None = None
    org_unit_id: Id | None = None


class UnitMembers(Query):
    org_unit_id: Id


class SearchMembers(Query):
    """Members by name, member code, unit code or unit name (every word must match; case and
    diacritics ignored), or by a list of member codes; only inside ``org_unit_id``'s subtree (the
    gateway sets it to the caller's scope)."""

    q: str | None = Field(None, min_length=2, max_length=100)
    codes: list[Id] | None = Field(None, min_length=1, max_length=500)
    org_unit_id: Id | None = None
    limit: int = Field(50, ge=1, le=500)


ADMIN = ("administrator",)


def _m(model, vi, en, roles=("clerk", "administrator")):
    return Spec(model, vi, en, roles=roles)


COMMANDS = {
    "create_org_unit": Spec(CreateOrgUnit, "Thành lập tổ chức đảng", "Create a party organisation",
                            roles=ADMIN, creates=("org_unit_id",)),
    "rename_org_unit": Spec(RenameOrgUnit, "Đổi tên tổ chức đảng", "Rename a party organisation", roles=ADMIN),
    "move_org_unit": Spec(MoveOrgUnit, "Chuyển tổ chức đảng sang cấp trên khác", "Move a party organisation",
                          roles=ADMIN),
    "merge_org_unit": Spec(MergeOrgUnit, "Hợp nhất tổ chức đảng vào tổ chức kế thừa",
                           "Merge a party organisation into its successor", roles=ADMIN),
    "dissolve_org_unit": Spec(DissolveOrgUnit, "Giải thể tổ chức đảng", "Dissolve a party organisation", roles=ADMIN),
    "assign_cell_overseer": Spec(AssignCellOverseer, "Phân công cấp ủy viên phụ trách chi bộ",
                                 "Assign a committee member in charge of a cell"),
    "hold_dialogue": Spec(HoldDialogue, "Gặp mặt đảng viên xuất ngũ, đi làm ăn xa",
                          "Yearly meeting with demobilised and away-working members"),
    "register_candidate": Spec(RegisterCandidate, "Giới thiệu quần chúng ưu tú", "Register a candidate",
                               creates=("candidate_id",)),
    "complete_awareness_class": Spec(CompleteAwarenessClass, "Hoàn thành lớp nhận thức về Đảng",
                                     "Awareness class completed"),
    "verify_background": Spec(VerifyBackground, "Thẩm tra lý lịch", "Background verified"),
    "pass_cell_resolution": Spec(PassCellResolution, "Nghị quyết chi bộ đề nghị kết nạp",
                                 "Cell resolution to admit"),
    "decide_admission": Spec(DecideAdmission, "Quyết định kết nạp", "Admission decided", creates=("member_id",)),
    "admit_member": Spec(AdmitMember, "Kết nạp đảng viên", "Admit a member", creates=("member_id",)),
    "update_member_record": _m(UpdateMemberRecord, "Cập nhật hồ sơ đảng viên", "Update a member record"),
    "complete_new_member_class": _m(CompleteNewMemberClass, "Hoàn thành lớp đảng viên mới",
                                    "New-member class completed"),
    "recognize_official": _m(RecognizeOfficial, "Công nhận đảng viên chính thức", "Recognise as official member"),
    "transfer_member": _m(TransferMember, "Chuyển sinh hoạt đảng trong tỉnh", "Transfer within the province"),
    "end_temporary_transfer": _m(EndTemporaryTransfer, "Kết thúc sinh hoạt tạm thời", "End a temporary transfer"),
    "present_transfer_papers": _m(PresentTransferPapers, "Xuất trình giấy giới thiệu sinh hoạt đảng",
                                  "Transfer papers presented"),
    "transfer_out": _m(TransferOut, "Chuyển sinh hoạt đảng ra ngoài tỉnh", "Transfer out of the province"),
    "transfer_in": Spec(TransferIn, "Tiếp nhận đảng viên từ ngoài tỉnh", "Transfer into the province",
                        creates=("member_id",)),
    "start_working_away": _m(StartWorkingAway, "Đảng viên đi làm ăn xa", "Member starts working away"),
    "end_working_away": _m(EndWorkingAway, "Đảng viên đi làm ăn xa trở về", "Member back from working away"),
    "start_abroad": _m(StartAbroad, "Đảng viên ra nước ngoài", "Member goes abroad"),
    "end_abroad": _m(EndAbroad, "Đảng viên về nước", "Member back from abroad"),
    "exempt_member": _m(ExemptMember, "Miễn công tác và sinh hoạt đảng", "Exempt a member"),
    "end_exemption": _m(EndExemption, "Kết thúc miễn sinh hoạt", "End an exemption"),
    # recorded by the member's own unit (QĐ 213: the workplace introduces its member to the cell where
    # they live), which may be in another district: the residence cell need not be in the caller's scope
    "introduce_liaison": Spec(IntroduceLiaison, "Giới thiệu sinh hoạt nơi cư trú", "Residence liaison",
                              roles=("clerk", "administrator"), reaches=("residence_org_unit_id",)),
    "record_liaison_feedback": _m(RecordLiaisonFeedback, "Nhận xét của nơi cư trú", "Residence feedback"),
    "assign_task": _m(AssignTask, "Phân công nhiệm vụ", "Assign a task"),
    "make_commitment": _m(MakeCommitment, "Cam kết tu dưỡng rèn luyện", "Yearly commitment"),
    "plan_remediation": _m(PlanRemediation, "Kế hoạch khắc phục", "Remediation plan"),
    "complete_remediation": _m(CompleteRemediation, "Hoàn thành khắc phục", "Remediation completed"),
    "grant_loan": _m(GrantLoan, "Hỗ trợ vay vốn", "Grant a support loan"),
    "repay_loan": _m(RepayLoan, "Hoàn trả vốn vay", "Loan repaid"),
    "rate_member": _m(RateMember, "Xếp loại chất lượng đảng viên", "Rate a member (yearly)"),
    "remove_member": _m(RemoveMember, "Xóa tên đảng viên", "Remove a member from the rolls"),
    "resign_member": _m(ResignMember, "Đảng viên xin ra khỏi Đảng", "Member resigns"),
    "expel_member": _m(ExpelMember, "Khai trừ đảng viên", "Expel a member", roles=("inspector", "administrator")),
    "record_death": _m(RecordDeath, "Đảng viên từ trần", "Member died"),
    "shred_member": _m(ShredMember, "Xóa dữ liệu cá nhân của đảng viên", "Shred a member's personal data",
                       roles=ADMIN),
}

QUERIES = {
    "get_member": Spec(GetMember, "Hồ sơ đảng viên", "Member record", roles=("viewer", "clerk", "inspector",
                                                                               "administrator")),
    "unit_ancestors": Spec(UnitAncestors, "Các cấp trên của tổ chức đảng", "Ancestors of a unit",
                           roles=("viewer", "clerk", "inspector", "administrator")),
    "org_tree": Spec(OrgTree, "Cây tổ chức đảng theo ngày", "Organisation tree as of a date",
                     roles=("viewer", "clerk", "inspector", "administrator")),
    "overdue": Spec(Overdue, "Việc quá hạn", "Overdue time-limited items",
                    roles=("viewer", "clerk", "inspector", "administrator")),
    "unit_members": Spec(UnitMembers, "Danh sách đảng viên của chi bộ", "Members of a unit",
                         roles=("viewer", "clerk", "inspector", "administrator")),
    "search_members": Spec(SearchMembers, "Tìm đảng viên theo tên, mã, tổ chức (trong phạm vi được phân quyền)",
                           "Find members by name, code or unit (within the caller's scope)",
                           roles=("viewer", "clerk", "inspector", "administrator")),
}
