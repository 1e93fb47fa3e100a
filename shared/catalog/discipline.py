"""Events of the discipline service (Ủy ban Kiểm tra, DOMAIN.md §5, directive D7): inspections,
supervision, discipline decisions, appeals and their outcomes.

``discipline.applied/changed/annulled`` are published contract types: their original fields are
kept exactly; everything added since is optional with a default, so old lines still validate.
Envelope conventions: ``occurred_on`` is the date of the decision (or of the step), and
``org_unit_id`` is the subject's unit on that date (the unit itself for an organisation).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.catalog.common import Id, Name, Text
from shared.events import EventData, event_type

Form = Literal["reprimand", "warning", "dismissal", "expulsion", "dissolution"]
SubjectKind = Literal["member", "org_unit"]
#: matters never time-barred (không áp dụng thời hiệu): internal politics (chính trị nội bộ); defence,
#: security or foreign affairs harming the national interest; unlawful diplomas or certificates
GraveMatter = Literal["internal_politics", "national_interest", "illegal_diploma"]
InspectionKind = Literal["regular", "signs_of_violation"]
SupervisionKind = Literal["regular", "thematic"]


class Violation(BaseModel):
    """One violation found (vi phạm), with the day it was committed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    committed_on: dt.date
    summary: Text | None = None


@event_type("inspection.opened")
class InspectionOpened(EventData):
    """Kiểm tra — an inspection opened: regular (thường xuyên / định kỳ) or on signs of violation
    (khi có dấu hiệu vi phạm), by an inspecting body (e.g. «Ủy ban Kiểm tra Huyện ủy»)."""

    inspection_id: Id
    kind: InspectionKind
    body: Name
    subject_kind: SubjectKind
    subject_id: Id
    topic: Text | None = None


@event_type("inspection.concluded")
class InspectionConcluded(EventData):
    """Kết luận kiểm tra — the inspection's conclusion, with the violations found and their dates."""

    inspection_id: Id
    violations: tuple[Violation, ...] = ()
    conclusion: Text | None = None


@event_type("supervision.opened")
class SupervisionOpened(EventData):
    """Giám sát — supervision opened: regular (giám sát thường xuyên) or thematic (giám sát chuyên đề)."""

    supervision_id: Id
    kind: SupervisionKind
    body: Name
    subject_kind: SubjectKind
    subject_id: Id
    topic: Text | None = None


@event_type("supervision.concluded")
class SupervisionConcluded(EventData):
    """Kết luận giám sát — conclusion; ``signs_of_violation`` (dấu hiệu vi phạm) leads to an inspection."""

    supervision_id: Id
    signs_of_violation: bool = False
    conclusion: Text | None = None


@event_type("discipline.applied")
class DisciplineApplied(EventData):
    """Thi hành kỷ luật — a discipline decision: khiển trách (reprimand), cảnh cáo (warning),
    cách chức (dismissal from a post), khai trừ (expulsion), giải tán (dissolution of an organisation).

    ``violation_on`` is the violation disciplined; ``later_violations`` are newer violations in the
    same case, which restart the limitation clock. The decision date is the envelope's ``occurred_on``.
    """

    case_id: Id
    subject_kind: SubjectKind
    subject_id: Id
    form: Form
    violation_on: dt.date
    later_violations: tuple[dt.date, ...] = ()
    #: the deciding body (cấp có thẩm quyền quyết định)
    decided_by: Name | None = None
    #: day the decision was announced (ngày công bố); the 12-month lapse counts from it
    announced_on: dt.date | None = None
    #: the post the member is dismissed from (chức vụ), for a dismissal
    post: Name | None = None
    inspection_id: Id | None = None
    #: a matter with no limitation period, if the violation is one
    grave_matter: GraveMatter | None = None


@event_type("discipline.appealed")
class DisciplineAppealed(EventData):
    """Khiếu nại kỷ luật — an appeal against a decision, within the time limit from the day the
    subject received it (ngày nhận quyết định). The decision still applies meanwhile."""

    case_id: Id
    received_on: dt.date


@event_type("discipline.upheld")
class DisciplineUpheld(EventData):
    """Giữ nguyên hình thức kỷ luật — the appeal was rejected; the decision stands."""

    case_id: Id
    decided_by: Name | None = None


@event_type("discipline.changed")
class DisciplineChanged(EventData):
    """Thay đổi hình thức kỷ luật — the form was changed (on appeal or by a higher body's review)."""

    case_id: Id
    form: Form
    subject_kind: SubjectKind | None = None
    subject_id: Id | None = None
    decided_by: Name | None = None
    on_appeal: bool = False


@event_type("discipline.annulled")
class DisciplineAnnulled(EventData):
    """Xóa / hủy bỏ quyết định kỷ luật — the decision was annulled; it leaves every statistic from then on."""

    case_id: Id
    subject_kind: SubjectKind | None = None
    subject_id: Id | None = None
    decided_by: Name | None = None
    on_appeal: bool = False
