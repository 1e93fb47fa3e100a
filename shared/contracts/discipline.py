"""Commands and queries of the discipline service (Ủy ban Kiểm tra; DOMAIN.md §5, directive D7).

The command models double as import models: a ``discipline.applied`` line's ``data`` is validated
by ``ApplyDiscipline`` (its fields are the published payload's, plus optional extras).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from shared.catalog.common import Id, Name, Text
from shared.catalog.discipline import Form, GraveMatter, InspectionKind, SubjectKind, SupervisionKind, Violation
from shared.contracts import Command, Query, Spec

INSPECTORS = ("inspector", "administrator")
READERS = ("viewer", "clerk", "inspector", "administrator")


class OpenInspection(Command):
    inspection_id: Id
    kind: InspectionKind
    body: Name
    subject_kind: SubjectKind
    subject_id: Id
    topic: Text | None = None


class ConcludeInspection(Command):
    inspection_id: Id
    violations: tuple[Violation, ...] = ()
    conclusion: Text | None = None


class OpenSupervision(Command):
    supervision_id: Id
    kind: SupervisionKind
    body: Name
    subject_kind: SubjectKind
    subject_id: Id
    topic: Text | None = None


class ConcludeSupervision(Command):
    supervision_id: Id
    signs_of_violation: bool = False
    conclusion: Text | None = None


class ApplyDiscipline(Command):
    """``occurred_on`` is the decision date (ngày quyết định)."""

    case_id: Id
    subject_kind: SubjectKind
    subject_id: Id
    form: Form
    violation_on: dt.date
    later_violations: tuple[dt.date, ...] = ()
    decided_by: Name | None = None
    #: defaults to the decision date
    announced_on: dt.date | None = None
    #: the post held, required for a dismissal (cách chức)
    post: Name | None = None
    inspection_id: Id | None = None
    #: the violation is a matter never time-barred (chính trị nội bộ; quốc phòng, an ninh, đối ngoại xâm
    #: hại lợi ích quốc gia; văn bằng, chứng chỉ không hợp pháp)
    grave_matter: GraveMatter | None = None


class AppealDiscipline(Command):
    """``occurred_on`` is the day the appeal was lodged."""

    case_id: Id
    #: day the subject received the decision; defaults to its announcement date
    received_on: dt.date | None = None


class ResolveAppeal(Command):
    """The competent body's answer to an appeal; ``occurred_on`` is its date."""

    case_id: Id
    outcome: Literal["upheld", "changed", "annulled"]
    #: the new form, only for ``changed``
    form: Form | None = None
    decided_by: Name | None = None


class UpholdDiscipline(Command):
    """An appeal rejected (import of ``discipline.upheld``)."""

    case_id: Id
    decided_by: Name | None = None


class ChangeDiscipline(Command):
    """A form changed (import of ``discipline.changed``; on appeal or by a higher body's review)."""

    case_id: Id
    form: Form
    subject_kind: SubjectKind | None = None
    subject_id: Id | None = None
    decided_by: Name | None = None
    on_appeal: bool = False


class AnnulDiscipline(Command):
    case_id: Id
    subject_kind: SubjectKind | None = None
    subject_id: Id | None = None
    decided_by: Name | None = None
    on_appeal: bool = False


class InEffectQuery(Query):
    """Decisions in effect on a day, optionally for one subject or under one unit."""

    on: dt.date
    subject_kind: SubjectKind | None = None
    subject_id: Id | None = None
    org_unit_id: Id | None = None


class CaseQuery(Query):
    case_id: Id


class SubjectQuery(Query):
    subject_kind: SubjectKind = "member"
    subject_id: Id


COMMANDS = {
    "open_inspection": Spec(OpenInspection, "Mở cuộc kiểm tra", "Open an inspection",
                            roles=INSPECTORS, creates=("inspection_id",)),
    "conclude_inspection": Spec(ConcludeInspection, "Kết luận kiểm tra", "Conclude an inspection",
                                roles=INSPECTORS),
    "open_supervision": Spec(OpenSupervision, "Mở cuộc giám sát", "Open a supervision",
                             roles=INSPECTORS, creates=("supervision_id",)),
    "conclude_supervision": Spec(ConcludeSupervision, "Kết luận giám sát", "Conclude a supervision",
                                 roles=INSPECTORS),
    "apply_discipline": Spec(ApplyDiscipline, "Thi hành kỷ luật", "Apply a discipline decision",
                             roles=INSPECTORS, creates=("case_id",)),
    "appeal_discipline": Spec(AppealDiscipline, "Khiếu nại kỷ luật", "Lodge an appeal against a decision",
                              roles=INSPECTORS),
    "resolve_appeal": Spec(ResolveAppeal, "Giải quyết khiếu nại kỷ luật", "Resolve an appeal",
                           roles=INSPECTORS),
    "change_discipline": Spec(ChangeDiscipline, "Thay đổi hình thức kỷ luật", "Change a decision's form",
                              roles=INSPECTORS),
    "annul_discipline": Spec(AnnulDiscipline, "Hủy bỏ quyết định kỷ luật", "Annul a decision",
                             roles=INSPECTORS),
}

QUERIES = {
    "in_effect": Spec(InEffectQuery, "Quyết định kỷ luật còn hiệu lực vào một ngày",
                      "Discipline decisions in effect on a day", roles=READERS),
    "case": Spec(CaseQuery, "Hồ sơ một vụ kỷ luật", "One discipline case", roles=READERS),
    "subject_cases": Spec(SubjectQuery, "Các vụ kỷ luật của một đảng viên / tổ chức",
                          "Discipline cases of one subject", roles=READERS),
}
