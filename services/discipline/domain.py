"""Pure rules of the discipline service (DOMAIN.md §5; directive D7): inspections, supervision,
discipline decisions, limitation periods and appeals.

No I/O: the application layer loads the streams and the roster (who the subject was on the
decision date) and passes them in. Failures are named DomainErrors, Vietnamese first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Protocol

from shared.application import Decided
from shared.catalog.discipline import (DisciplineAnnulled, DisciplineAppealed, DisciplineApplied,
                                       DisciplineChanged, DisciplineUpheld, InspectionConcluded,
                                       InspectionOpened, SupervisionConcluded, SupervisionOpened)
from shared.errors import Conflict, DomainError, NotFound
from shared.rules import Rules
from shared.events import fold as fold_events

from shared.dates import add_months, add_years, vn
from services.discipline.roster import Subject

FORM_VI = {"reprimand": "khiển trách", "warning": "cảnh cáo", "dismissal": "cách chức",
           "expulsion": "khai trừ", "dissolution": "giải tán"}
#: forms that never lapse (DOMAIN.md §5)
PERMANENT = ("expulsion", "dissolution")
#: forms allowed per kind of subject on the decision date (Điều lệ Đảng, Điều 36)
ALLOWED_FORMS = {
    "official": ("reprimand", "warning", "dismissal", "expulsion"),
    "probationary": ("reprimand", "warning"),
    "org_unit": ("reprimand", "warning", "dissolution"),
}
SUBJECT_VI = {"official": "đảng viên chính thức", "probationary": "đảng viên dự bị", "org_unit": "tổ chức đảng"}
SUBJECT_EN = {"official": "an official member", "probationary": "a probationary member", "org_unit": "an organisation"}


class Fact(Protocol):
    """What folding needs of a stored event (an Envelope, or a read-model row)."""

    type: str
    occurred_on: dt.date
    org_unit_id: str | None
    data: dict


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


# -- dates ------------------------------------------------------------------------------------

def not_in_future(day: dt.date, today: dt.date, field_: str = "occurred_on") -> None:
    if day > today:
        raise DomainError("date_in_future", f"Ngày {vn(day)} ở tương lai (hôm nay là {vn(today)})",
                          f"Date {vn(day)} is in the future (today is {vn(today)})", field=field_)


# -- subjects ---------------------------------------------------------------------------------

def subject_class(subject: Subject) -> str:
    """official | probationary | org_unit — the key of ALLOWED_FORMS."""
    return "org_unit" if subject.kind == "org_unit" else subject.status or ""


def require_subject(subject: Subject, day: dt.date, field_: str = "subject_id") -> None:
    """The subject must be a member (or an existing organisation) on ``day``."""
    sid = subject.subject_id
    if subject.kind == "member":
        if not subject.exists:
            raise NotFound("member_not_found",
                           f"Không có đảng viên «{sid}» trong danh sách vào ngày {vn(day)}",
                           f"No member '{sid}' on the rolls on {vn(day)}", field=field_)
        if subject.status == "left":
            raise DomainError("member_left",
                              f"«{sid}» không còn là đảng viên vào ngày {vn(day)}",
                              f"'{sid}' was no longer a member on {vn(day)}", field=field_)
    else:
        if not subject.exists:
            raise NotFound("org_unit_not_found",
                           f"Không có tổ chức đảng «{sid}» vào ngày {vn(day)}",
                           f"No party organisation '{sid}' on {vn(day)}", field=field_)
        if subject.status != "active":
            raise DomainError("org_unit_inactive",
                              f"Tổ chức đảng «{sid}» đã giải thể hoặc hợp nhất trước ngày {vn(day)}",
                              f"Party organisation '{sid}' was dissolved or merged before {vn(day)}", field=field_)


def check_form(subject: Subject, form: str, post: str | None, field_: str = "form") -> None:
    """Allowed forms per subject; dismissal (cách chức) only of a member holding a post."""
    cls = subject_class(subject)
    allowed = ALLOWED_FORMS.get(cls, ())
    if form not in allowed:
        raise DomainError(
            "form_not_allowed",
            f"Không thể thi hành kỷ luật «{FORM_VI[form]}» đối với {SUBJECT_VI[cls]}; chỉ được: "
            + ", ".join(FORM_VI[f] for f in allowed),
            f"Form '{form}' is not allowed for {SUBJECT_EN[cls]}; allowed: " + ", ".join(allowed),
            field=field_)
    if form == "dismissal" and not post:
        raise DomainError("dismissal_needs_post",
                          "Chỉ thi hành kỷ luật cách chức đối với đảng viên đang giữ chức vụ; hãy ghi chức vụ",
                          "Dismissal applies only to a member holding a post; give the post", field="post")


# -- inspections and supervision -------------------------------------------------------------

@dataclass(frozen=True)
class Inquiry:
    """An inspection (kiểm tra) or a supervision (giám sát)."""

    inquiry_id: str | None = None
    kind: str = ""
    subject_kind: str = ""
    subject_id: str = ""
    opened_on: dt.date | None = None
    concluded_on: dt.date | None = None
    violations: tuple[dt.date, ...] = ()

    @property
    def exists(self) -> bool:
        return self.inquiry_id is not None


def evolve_inquiry(state: Inquiry, e: Fact) -> Inquiry:
    d = e.data
    if e.type in ("inspection.opened", "supervision.opened"):
        return Inquiry(d.get("inspection_id") or d.get("supervision_id"), d["kind"], d["subject_kind"],
                       d["subject_id"], e.occurred_on)
    if e.type == "inspection.concluded":
        return replace(state, concluded_on=e.occurred_on,
                       violations=tuple(_date(v["committed_on"]) for v in d.get("violations", ())))
    if e.type == "supervision.concluded":
        return replace(state, concluded_on=e.occurred_on)
    return state


def fold_inquiry(events: list[Fact]) -> Inquiry:
    return fold_events(evolve_inquiry, Inquiry(), events)


def _what(supervision: bool) -> tuple[str, str]:
    return ("cuộc giám sát", "supervision") if supervision else ("cuộc kiểm tra", "inspection")


def open_inquiry(state: Inquiry, subject: Subject, cmd, today: dt.date, supervision: bool) -> list[Decided]:
    vi, en = _what(supervision)
    ident = cmd.supervision_id if supervision else cmd.inspection_id
    if state.exists:
        raise Conflict(f"{en}_exists", f"Đã có {vi} «{ident}»", f"{en.capitalize()} '{ident}' already exists",
                       field=f"{en}_id")
    not_in_future(cmd.occurred_on, today)
    require_subject(subject, cmd.occurred_on)
    cls = SupervisionOpened if supervision else InspectionOpened
    payload = cls(**{f"{en}_id": ident}, kind=cmd.kind, body=cmd.body, subject_kind=cmd.subject_kind,
                  subject_id=cmd.subject_id, topic=cmd.topic)
    return [Decided(payload, cmd.occurred_on, subject.org_unit_id)]


def conclude_inquiry(state: Inquiry, org_unit_id: str | None, cmd, today: dt.date,
                     supervision: bool) -> list[Decided]:
    vi, en = _what(supervision)
    ident = cmd.supervision_id if supervision else cmd.inspection_id
    if not state.exists:
        raise NotFound(f"{en}_not_found", f"Không tìm thấy {vi} «{ident}»", f"{en.capitalize()} '{ident}' not found",
                       field=f"{en}_id")
    if state.concluded_on:
        raise Conflict(f"{en}_concluded", f"{vi.capitalize()} «{ident}» đã có kết luận ngày {vn(state.concluded_on)}",
                       f"{en.capitalize()} '{ident}' was concluded on {vn(state.concluded_on)}", field=f"{en}_id")
    not_in_future(cmd.occurred_on, today)
    if cmd.occurred_on < state.opened_on:
        raise DomainError("concluded_before_opened",
                          f"Ngày kết luận {vn(cmd.occurred_on)} trước ngày mở {vi} {vn(state.opened_on)}",
                          f"Conclusion {vn(cmd.occurred_on)} precedes the opening {vn(state.opened_on)}",
                          field="occurred_on")
    if supervision:
        payload = SupervisionConcluded(supervision_id=ident, signs_of_violation=cmd.signs_of_violation,
                                       conclusion=cmd.conclusion)
    else:
        for i, v in enumerate(cmd.violations):
            if v.committed_on > cmd.occurred_on:
                raise DomainError("violation_after_conclusion",
                                  f"Vi phạm ngày {vn(v.committed_on)} sau ngày kết luận {vn(cmd.occurred_on)}",
                                  f"Violation on {vn(v.committed_on)} is after the conclusion {vn(cmd.occurred_on)}",
                                  field=f"violations.{i}.committed_on")
        payload = InspectionConcluded(inspection_id=ident, violations=cmd.violations, conclusion=cmd.conclusion)
    return [Decided(payload, cmd.occurred_on, org_unit_id)]


# -- discipline cases ------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One discipline case: the decision and what became of it."""

    case_id: str | None = None
    subject_kind: str = ""
    subject_id: str = ""
    org_unit_id: str | None = None
    original_form: str = ""
    decided_on: dt.date | None = None
    announced_on: dt.date | None = None
    violation_on: dt.date | None = None  # the latest violation: the limitation clock's start
    post: str | None = None
    appealed_on: dt.date | None = None
    appeal_resolved_on: dt.date | None = None
    annulled_on: dt.date | None = None
    #: (date, form) of each change, in order
    changes: tuple[tuple[dt.date, str], ...] = field(default_factory=tuple)

    @property
    def exists(self) -> bool:
        return self.case_id is not None

    @property
    def form(self) -> str:
        return self.changes[-1][1] if self.changes else self.original_form

    def form_on(self, day: dt.date) -> str:
        form = self.original_form
        for on, f in self.changes:
            if on <= day:
                form = f
        return form

    @property
    def appeal_pending(self) -> bool:
        return self.appealed_on is not None and self.appeal_resolved_on is None


def evolve_case(state: Case, e: Fact) -> Case:
    d = e.data
    if e.type == "discipline.applied":
        latest = max([_date(d["violation_on"])] + [_date(v) for v in d.get("later_violations", ())])
        return Case(d["case_id"], d["subject_kind"], d["subject_id"], e.org_unit_id, d["form"], e.occurred_on,
                    _date(d.get("announced_on")) or e.occurred_on, latest, d.get("post"))
    if e.type == "discipline.appealed":
        return replace(state, appealed_on=e.occurred_on)
    if e.type == "discipline.upheld":
        return replace(state, appeal_resolved_on=e.occurred_on)
    if e.type == "discipline.changed":
        resolved = e.occurred_on if state.appeal_pending else state.appeal_resolved_on
        return replace(state, changes=state.changes + ((e.occurred_on, d["form"]),), appeal_resolved_on=resolved)
    if e.type == "discipline.annulled":
        resolved = e.occurred_on if state.appeal_pending else state.appeal_resolved_on
        return replace(state, annulled_on=e.occurred_on, appeal_resolved_on=resolved)
    return state


def fold_case(events: list[Fact]) -> Case:
    return fold_events(evolve_case, Case(), events)


def case_not_found(case_id: str) -> NotFound:
    return NotFound("case_not_found", f"Không tìm thấy vụ kỷ luật «{case_id}»",
                    f"Discipline case '{case_id}' not found", field="case_id")


def limitation_years(subject_kind: str, form: str, rules: Rules) -> int | None:
    table = rules.limitation_years_member if subject_kind == "member" else rules.limitation_years_org_unit
    return table.get(form)


def check_limitation(subject_kind: str, form: str, latest_violation: dt.date, decided_on: dt.date,
                     rules: Rules) -> None:
    """Thời hiệu: counted from the latest violation (a newer one restarts the clock). A period in
    years ends on the corresponding day of its last year (Bộ luật Dân sự 2015, Điều 147–148), so that
    day is still within the limit."""
    years = limitation_years(subject_kind, form, rules)
    if years is None:
        return
    last_day = add_years(latest_violation, years)
    if decided_on > last_day:
        source = rules.source("limitation_years_member" if subject_kind == "member" else "limitation_years_org_unit")
        raise DomainError(
            "time_barred",
            f"Đã hết thời hiệu xử lý kỷ luật «{FORM_VI[form]}» ({years} năm, {source}): vi phạm ngày "
            f"{vn(latest_violation)}, thời hiệu đến hết ngày {vn(last_day)}, ngày quyết định {vn(decided_on)}",
            f"The {years}-year limitation for '{form}' has run out: violation on {vn(latest_violation)}, "
            f"limit ended {vn(last_day)}, decision dated {vn(decided_on)}",
            field="violation_on", violation_on=latest_violation.isoformat(), decided_on=decided_on.isoformat())


def apply_discipline(case: Case, subject: Subject, inspection: Inquiry | None, cmd, rules: Rules,
                     today: dt.date) -> list[Decided]:
    if case.exists:
        raise Conflict("case_exists", f"Vụ kỷ luật «{cmd.case_id}» đã có quyết định",
                       f"Discipline case '{cmd.case_id}' already has a decision", field="case_id")
    decided = cmd.occurred_on
    not_in_future(decided, today)
    violations = [("violation_on", cmd.violation_on)] + \
        [(f"later_violations.{i}", v) for i, v in enumerate(cmd.later_violations)]
    for where, v in violations:
        if v > decided:
            raise DomainError("violation_after_decision",
                              f"Ngày vi phạm {vn(v)} sau ngày quyết định {vn(decided)}",
                              f"Violation date {vn(v)} is after the decision date {vn(decided)}", field=where)
    announced = cmd.announced_on or decided
    if announced < decided:
        raise DomainError("announced_before_decision",
                          f"Ngày công bố {vn(announced)} trước ngày quyết định {vn(decided)}",
                          f"Announcement {vn(announced)} precedes the decision {vn(decided)}", field="announced_on")
    not_in_future(announced, today, "announced_on")
    require_subject(subject, decided)
    check_form(subject, cmd.form, cmd.post)
    found: list[dt.date] = []
    if cmd.inspection_id:
        if inspection is None or not inspection.exists:
            raise NotFound("inspection_not_found", f"Không tìm thấy cuộc kiểm tra «{cmd.inspection_id}»",
                           f"Inspection '{cmd.inspection_id}' not found", field="inspection_id")
        if (inspection.subject_kind, inspection.subject_id) != (cmd.subject_kind, cmd.subject_id):
            raise DomainError("inspection_of_other_subject",
                              f"Cuộc kiểm tra «{cmd.inspection_id}» không kiểm tra «{cmd.subject_id}»",
                              f"Inspection '{cmd.inspection_id}' is not about '{cmd.subject_id}'",
                              field="inspection_id")
        found = [v for v in inspection.violations if v <= decided]
    latest = max([v for _, v in violations] + found)
    check_limitation(cmd.subject_kind, cmd.form, latest, decided, rules)
    payload = DisciplineApplied(case_id=cmd.case_id, subject_kind=cmd.subject_kind, subject_id=cmd.subject_id,
                                form=cmd.form, violation_on=cmd.violation_on, later_violations=cmd.later_violations,
                                decided_by=cmd.decided_by, announced_on=announced, post=cmd.post,
                                inspection_id=cmd.inspection_id)
    return [Decided(payload, decided, subject.org_unit_id)]


def _live_case(case: Case, case_id: str) -> None:
    if not case.exists:
        raise case_not_found(case_id)
    if case.annulled_on:
        raise Conflict("case_annulled", f"Quyết định kỷ luật «{case_id}» đã bị hủy ngày {vn(case.annulled_on)}",
                       f"Decision '{case_id}' was annulled on {vn(case.annulled_on)}", field="case_id")


def _not_before_decision(case: Case, day: dt.date, field_: str, what_vi: str, what_en: str) -> None:
    if day < case.decided_on:
        raise DomainError("before_decision", f"{what_vi} {vn(day)} trước ngày quyết định {vn(case.decided_on)}",
                          f"{what_en} {vn(day)} precedes the decision of {vn(case.decided_on)}", field=field_)


def appeal(case: Case, cmd, rules: Rules, today: dt.date) -> list[Decided]:
    """Khiếu nại: within ``appeal_months`` of the day the subject received the decision."""
    _live_case(case, cmd.case_id)
    if case.appealed_on:
        raise Conflict("already_appealed", f"Quyết định «{cmd.case_id}» đã bị khiếu nại ngày {vn(case.appealed_on)}",
                       f"Decision '{cmd.case_id}' was already appealed on {vn(case.appealed_on)}", field="case_id")
    not_in_future(cmd.occurred_on, today)
    received = cmd.received_on or case.announced_on
    _not_before_decision(case, received, "received_on", "Ngày nhận quyết định", "Receipt")
    if cmd.occurred_on < received:
        raise DomainError("appeal_before_receipt",
                          f"Ngày khiếu nại {vn(cmd.occurred_on)} trước ngày nhận quyết định {vn(received)}",
                          f"Appeal {vn(cmd.occurred_on)} precedes receipt of the decision {vn(received)}",
                          field="occurred_on")
    last_day = add_months(received, rules.appeal_months)
    if cmd.occurred_on > last_day:
        raise DomainError(
            "appeal_late",
            f"Quá thời hạn khiếu nại ({rules.appeal_months} tháng, {rules.source('appeal_months')}): nhận quyết định "
            f"ngày {vn(received)}, hạn đến hết ngày {vn(last_day)}, khiếu nại ngày {vn(cmd.occurred_on)}",
            f"Appeal too late ({rules.appeal_months} month): decision received {vn(received)}, deadline "
            f"{vn(last_day)}, appeal lodged {vn(cmd.occurred_on)}", field="occurred_on")
    return [Decided(DisciplineAppealed(case_id=cmd.case_id, received_on=received), cmd.occurred_on, case.org_unit_id)]


def change(case: Case, subject_at_decision: Subject, cmd, today: dt.date) -> list[Decided]:
    """A new form, on appeal or by a higher body's review; allowed for who the subject was."""
    _live_case(case, cmd.case_id)
    _check_same_subject(case, cmd)
    not_in_future(cmd.occurred_on, today)
    _not_before_decision(case, cmd.occurred_on, "occurred_on", "Ngày thay đổi", "The change")
    if cmd.form == case.form:
        raise DomainError("form_unchanged", f"Hình thức kỷ luật đã là «{FORM_VI[cmd.form]}»",
                          f"The form is already '{cmd.form}'", field="form")
    check_form(subject_at_decision, cmd.form, case.post)
    payload = DisciplineChanged(case_id=cmd.case_id, form=cmd.form, subject_kind=case.subject_kind,
                                subject_id=case.subject_id, decided_by=cmd.decided_by,
                                on_appeal=case.appeal_pending or cmd.on_appeal)
    return [Decided(payload, cmd.occurred_on, case.org_unit_id)]


def annul(case: Case, cmd, today: dt.date) -> list[Decided]:
    _live_case(case, cmd.case_id)
    _check_same_subject(case, cmd)
    not_in_future(cmd.occurred_on, today)
    _not_before_decision(case, cmd.occurred_on, "occurred_on", "Ngày hủy", "The annulment")
    payload = DisciplineAnnulled(case_id=cmd.case_id, subject_kind=case.subject_kind, subject_id=case.subject_id,
                                 decided_by=cmd.decided_by, on_appeal=case.appeal_pending or cmd.on_appeal)
    return [Decided(payload, cmd.occurred_on, case.org_unit_id)]


def resolve_appeal(case: Case, subject_at_decision: Subject, cmd, today: dt.date) -> list[Decided]:
    """Giải quyết khiếu nại: upheld, changed or annulled — only while an appeal is pending."""
    _live_case(case, cmd.case_id)
    if not case.appeal_pending:
        raise DomainError("no_pending_appeal", f"Quyết định «{cmd.case_id}» không có khiếu nại đang chờ giải quyết",
                          f"Decision '{cmd.case_id}' has no pending appeal", field="case_id")
    if cmd.occurred_on < case.appealed_on:
        raise DomainError("resolved_before_appeal",
                          f"Ngày giải quyết {vn(cmd.occurred_on)} trước ngày khiếu nại {vn(case.appealed_on)}",
                          f"Resolution {vn(cmd.occurred_on)} precedes the appeal of {vn(case.appealed_on)}",
                          field="occurred_on")
    if cmd.outcome == "changed":
        if cmd.form is None:
            raise DomainError("form_required", "Thay đổi hình thức kỷ luật thì phải ghi hình thức mới",
                              "A changed outcome needs the new form", field="form")
        return change(case, subject_at_decision, cmd, today)
    if cmd.form is not None:
        raise DomainError("form_not_expected", "Chỉ ghi hình thức mới khi thay đổi hình thức kỷ luật",
                          "A new form is given only for a changed outcome", field="form")
    if cmd.outcome == "annulled":
        return annul(case, cmd, today)
    not_in_future(cmd.occurred_on, today)
    return [Decided(DisciplineUpheld(case_id=cmd.case_id, decided_by=cmd.decided_by), cmd.occurred_on,
                    case.org_unit_id)]


def _check_same_subject(case: Case, cmd) -> None:
    kind, sid = getattr(cmd, "subject_kind", None), getattr(cmd, "subject_id", None)
    if (kind and kind != case.subject_kind) or (sid and sid != case.subject_id):
        raise DomainError("case_of_other_subject",
                          f"Vụ kỷ luật «{case.case_id}» không phải của «{sid}»",
                          f"Case '{case.case_id}' is not about '{sid}'", field="subject_id")
