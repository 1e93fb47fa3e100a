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
from shared.contracts.discipline import (AnnulDiscipline, AppealDiscipline, ApplyDiscipline, ChangeDiscipline,
                                         ConcludeInspection, ConcludeSupervision, OpenInspection, OpenSupervision,
                                         ResolveAppeal)
from shared.errors import DomainError
from shared.rules import Rules
from shared.events import by_type, fold as fold_events

from shared.dates import add_months, add_years, vn
from services.discipline import rules as R
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
        raise R.DATE_IN_FUTURE(day=vn(day), today=vn(today), field=field_)


# -- subjects ---------------------------------------------------------------------------------

def subject_class(subject: Subject) -> str:
    """official | probationary | org_unit — the key of ALLOWED_FORMS."""
    return "org_unit" if subject.kind == "org_unit" else subject.status or ""


def require_subject(subject: Subject, day: dt.date, field_: str = "subject_id") -> None:
    """The subject must be a member (or an existing organisation) on ``day``."""
    sid = subject.subject_id
    if subject.kind == "member":
        if not subject.exists:
            raise R.MEMBER_NOT_FOUND(sid=sid, day=vn(day), field=field_)
        if subject.status == "left":
            raise R.MEMBER_LEFT(sid=sid, day=vn(day), field=field_)
    else:
        if not subject.exists:
            raise R.ORG_UNIT_NOT_FOUND(sid=sid, day=vn(day), field=field_)
        if subject.status != "active":
            raise R.ORG_UNIT_INACTIVE(sid=sid, day=vn(day), field=field_)


def check_form(subject: Subject, form: str, post: str | None, field_: str = "form") -> None:
    """Allowed forms per subject; dismissal (cách chức) only of a member holding a post."""
    cls = subject_class(subject)
    allowed = ALLOWED_FORMS.get(cls, ())
    if form not in allowed:
        raise R.FORM_NOT_ALLOWED(form_vi=FORM_VI[form], subject_vi=SUBJECT_VI[cls],
                                 allowed_vi=", ".join(FORM_VI[f] for f in allowed), form=form,
                                 subject_en=SUBJECT_EN[cls], allowed=", ".join(allowed), field=field_)
    if form == "dismissal" and not post:
        raise R.DISMISSAL_NEEDS_POST()


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


def _inquiry_opened(state: Inquiry, e: Fact) -> Inquiry:
    d = e.data
    return Inquiry(d.get("inspection_id") or d.get("supervision_id"), d["kind"], d["subject_kind"], d["subject_id"],
                   e.occurred_on)


def _inspection_concluded(state: Inquiry, e: Fact) -> Inquiry:
    return replace(state, concluded_on=e.occurred_on,
                   violations=tuple(_date(v["committed_on"]) for v in e.data.get("violations", ())))


def _supervision_concluded(state: Inquiry, e: Fact) -> Inquiry:
    return replace(state, concluded_on=e.occurred_on)


evolve_inquiry = by_type({
    "inspection.opened": _inquiry_opened,
    "supervision.opened": _inquiry_opened,
    "inspection.concluded": _inspection_concluded,
    "supervision.concluded": _supervision_concluded,
})


def fold_inquiry(events: list[Fact]) -> Inquiry:
    return fold_events(evolve_inquiry, Inquiry(), events)


def _what(supervision: bool) -> tuple[str, str]:
    return ("cuộc giám sát", "supervision") if supervision else ("cuộc kiểm tra", "inspection")


def open_inquiry(state: Inquiry, subject: Subject, cmd: OpenInspection | OpenSupervision, today: dt.date,
                 supervision: bool) -> list[Decided]:
    vi, en = _what(supervision)
    ident = cmd.supervision_id if supervision else cmd.inspection_id
    if state.exists:
        raise (R.SUPERVISION_EXISTS if supervision else R.INSPECTION_EXISTS)(ident=ident)
    not_in_future(cmd.occurred_on, today)
    require_subject(subject, cmd.occurred_on)
    cls = SupervisionOpened if supervision else InspectionOpened
    payload = cls(**{f"{en}_id": ident}, kind=cmd.kind, body=cmd.body, subject_kind=cmd.subject_kind,
                  subject_id=cmd.subject_id, topic=cmd.topic)
    return [Decided(payload, cmd.occurred_on, subject.org_unit_id)]


def conclude_inquiry(state: Inquiry, org_unit_id: str | None, cmd: ConcludeInspection | ConcludeSupervision,
                     today: dt.date, supervision: bool) -> list[Decided]:
    vi, en = _what(supervision)
    ident = cmd.supervision_id if supervision else cmd.inspection_id
    if not state.exists:
        raise (R.SUPERVISION_NOT_FOUND if supervision else R.INSPECTION_NOT_FOUND)(ident=ident)
    if state.concluded_on:
        raise (R.SUPERVISION_CONCLUDED if supervision else R.INSPECTION_CONCLUDED)(ident=ident,
                                                                                  day=vn(state.concluded_on))
    not_in_future(cmd.occurred_on, today)
    if cmd.occurred_on < state.opened_on:
        raise R.CONCLUDED_BEFORE_OPENED(day=vn(cmd.occurred_on), what_vi=vi, opened=vn(state.opened_on))
    if supervision:
        payload = SupervisionConcluded(supervision_id=ident, signs_of_violation=cmd.signs_of_violation,
                                       conclusion=cmd.conclusion)
    else:
        for i, v in enumerate(cmd.violations):
            if v.committed_on > cmd.occurred_on:
                raise R.VIOLATION_AFTER_CONCLUSION(committed=vn(v.committed_on), day=vn(cmd.occurred_on),
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
    #: every violation the decision disciplines (violation_on and later_violations), in date order
    violations: tuple[dt.date, ...] = ()

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


def _applied(state: Case, e: Fact) -> Case:
    d = e.data
    violations = tuple(sorted([_date(d["violation_on"])] + [_date(v) for v in d.get("later_violations", ())]))
    return Case(d["case_id"], d["subject_kind"], d["subject_id"], e.org_unit_id, d["form"], e.occurred_on,
                _date(d.get("announced_on")) or e.occurred_on, violations[-1], d.get("post"),
                violations=violations)


def _appealed(state: Case, e: Fact) -> Case:
    return replace(state, appealed_on=e.occurred_on)


def _upheld(state: Case, e: Fact) -> Case:
    return replace(state, appeal_resolved_on=e.occurred_on)


def _resolved_on(state: Case, e: Fact) -> dt.date | None:
    """A change or an annulment while an appeal is pending resolves it."""
    return e.occurred_on if state.appeal_pending else state.appeal_resolved_on


def _changed(state: Case, e: Fact) -> Case:
    return replace(state, changes=state.changes + ((e.occurred_on, e.data["form"]),),
                   appeal_resolved_on=_resolved_on(state, e))


def _annulled(state: Case, e: Fact) -> Case:
    return replace(state, annulled_on=e.occurred_on, appeal_resolved_on=_resolved_on(state, e))


evolve_case = by_type({
    "discipline.applied": _applied,
    "discipline.appealed": _appealed,
    "discipline.upheld": _upheld,
    "discipline.changed": _changed,
    "discipline.annulled": _annulled,
})


def fold_case(events: list[Fact]) -> Case:
    return fold_events(evolve_case, Case(), events)


def case_not_found(case_id: str) -> DomainError:
    return R.CASE_NOT_FOUND(case_id=case_id)


def limitation_years(subject_kind: str, form: str, rules: Rules) -> int | None:
    table = rules.limitation_years_member if subject_kind == "member" else rules.limitation_years_org_unit
    return table.get(form)


def check_limitation(subject_kind: str, form: str, latest_violation: dt.date, decided_on: dt.date,
                     rules: Rules, grave_matter: str | None = None) -> None:
    """Thời hiệu: counted from the latest violation (a newer one restarts the clock). A period in
    years ends on the corresponding day of its last year (Bộ luật Dân sự 2015, Điều 147–148), so that
    day is still within the limit. Expulsion, dissolution and the listed grave matters have none."""
    years = limitation_years(subject_kind, form, rules)
    if years is None or grave_matter in rules.limitation_exempt_matters:
        return
    last_day = add_years(latest_violation, years)
    if decided_on > last_day:
        source = rules.source("limitation_years_member" if subject_kind == "member" else "limitation_years_org_unit")
        raise R.TIME_BARRED(form_vi=FORM_VI[form], form=form, years=years, source=source,
                            violation=vn(latest_violation), last_day=vn(last_day), decided=vn(decided_on),
                            details={"violation_on": latest_violation.isoformat(),
                                     "decided_on": decided_on.isoformat()})


def apply_discipline(case: Case, subject: Subject, inspection: Inquiry | None, cmd: ApplyDiscipline,
                     rules: Rules, today: dt.date) -> list[Decided]:
    if case.exists:
        raise R.CASE_EXISTS(case_id=cmd.case_id)
    decided = cmd.occurred_on
    not_in_future(decided, today)
    violations = [("violation_on", cmd.violation_on)] + \
        [(f"later_violations.{i}", v) for i, v in enumerate(cmd.later_violations)]
    for where, v in violations:
        if v > decided:
            raise R.VIOLATION_AFTER_DECISION(violation=vn(v), decided=vn(decided), field=where)
    announced = cmd.announced_on or decided
    if announced < decided:
        raise R.ANNOUNCED_BEFORE_DECISION(announced=vn(announced), decided=vn(decided))
    not_in_future(announced, today, "announced_on")
    require_subject(subject, decided)
    check_form(subject, cmd.form, cmd.post)
    found: list[dt.date] = []
    if cmd.inspection_id:
        if inspection is None or not inspection.exists:
            raise R.INSPECTION_NOT_FOUND(ident=cmd.inspection_id)
        if (inspection.subject_kind, inspection.subject_id) != (cmd.subject_kind, cmd.subject_id):
            raise R.INSPECTION_OF_OTHER_SUBJECT(ident=cmd.inspection_id, sid=cmd.subject_id)
        found = [v for v in inspection.violations if v <= decided]
    latest = max([v for _, v in violations] + found)
    check_limitation(cmd.subject_kind, cmd.form, latest, decided, rules, cmd.grave_matter)
    payload = DisciplineApplied(case_id=cmd.case_id, subject_kind=cmd.subject_kind, subject_id=cmd.subject_id,
                                form=cmd.form, violation_on=cmd.violation_on, later_violations=cmd.later_violations,
                                decided_by=cmd.decided_by, announced_on=announced, post=cmd.post,
                                inspection_id=cmd.inspection_id, grave_matter=cmd.grave_matter)
    return [Decided(payload, decided, subject.org_unit_id)]


def _live_case(case: Case, case_id: str) -> None:
    if not case.exists:
        raise case_not_found(case_id)
    if case.annulled_on:
        raise R.CASE_ANNULLED(case_id=case_id, day=vn(case.annulled_on))


def _not_before_decision(case: Case, day: dt.date, field_: str, what_vi: str, what_en: str) -> None:
    if day < case.decided_on:
        raise R.BEFORE_DECISION(what_vi=what_vi, what_en=what_en, day=vn(day), decided=vn(case.decided_on),
                                field=field_)


def appeal(case: Case, cmd: AppealDiscipline, rules: Rules, today: dt.date) -> list[Decided]:
    """Khiếu nại: within ``appeal_months`` of the day the subject received the decision."""
    _live_case(case, cmd.case_id)
    if case.appealed_on:
        raise R.ALREADY_APPEALED(case_id=cmd.case_id, day=vn(case.appealed_on))
    not_in_future(cmd.occurred_on, today)
    received = cmd.received_on or case.announced_on
    _not_before_decision(case, received, "received_on", "Ngày nhận quyết định", "Receipt")
    if cmd.occurred_on < received:
        raise R.APPEAL_BEFORE_RECEIPT(day=vn(cmd.occurred_on), received=vn(received))
    last_day = add_months(received, rules.appeal_months)
    if cmd.occurred_on > last_day:
        raise R.APPEAL_LATE(months=rules.appeal_months, source=rules.source("appeal_months"), received=vn(received),
                            last_day=vn(last_day), day=vn(cmd.occurred_on))
    return [Decided(DisciplineAppealed(case_id=cmd.case_id, received_on=received), cmd.occurred_on, case.org_unit_id)]


def change(case: Case, subject_at_decision: Subject, cmd: ChangeDiscipline | ResolveAppeal,
           today: dt.date) -> list[Decided]:
    """A new form, on appeal or by a higher body's review; allowed for who the subject was."""
    _live_case(case, cmd.case_id)
    _check_same_subject(case, cmd)
    not_in_future(cmd.occurred_on, today)
    _not_before_decision(case, cmd.occurred_on, "occurred_on", "Ngày thay đổi", "The change")
    if cmd.form == case.form:
        raise R.FORM_UNCHANGED(form_vi=FORM_VI[cmd.form], form=cmd.form)
    # a leaving recorded later but dated before the decision: nobody to give a new form to (the
    # decision itself can still be annulled)
    require_subject(subject_at_decision, case.decided_on, "case_id")
    check_form(subject_at_decision, cmd.form, case.post)
    payload = DisciplineChanged(case_id=cmd.case_id, form=cmd.form, subject_kind=case.subject_kind,
                                subject_id=case.subject_id, decided_by=cmd.decided_by,
                                on_appeal=case.appeal_pending or cmd.on_appeal)
    return [Decided(payload, cmd.occurred_on, case.org_unit_id)]


def annul(case: Case, cmd: AnnulDiscipline | ResolveAppeal, today: dt.date) -> list[Decided]:
    _live_case(case, cmd.case_id)
    _check_same_subject(case, cmd)
    not_in_future(cmd.occurred_on, today)
    _not_before_decision(case, cmd.occurred_on, "occurred_on", "Ngày hủy", "The annulment")
    payload = DisciplineAnnulled(case_id=cmd.case_id, subject_kind=case.subject_kind, subject_id=case.subject_id,
                                 decided_by=cmd.decided_by, on_appeal=case.appeal_pending or cmd.on_appeal)
    return [Decided(payload, cmd.occurred_on, case.org_unit_id)]


def resolve_appeal(case: Case, subject_at_decision: Subject, cmd: ResolveAppeal, today: dt.date) -> list[Decided]:
    """Giải quyết khiếu nại: upheld, changed or annulled — only while an appeal is pending."""
    _live_case(case, cmd.case_id)
    if not case.appeal_pending:
        raise R.NO_PENDING_APPEAL(case_id=cmd.case_id)
    if cmd.occurred_on < case.appealed_on:
        raise R.RESOLVED_BEFORE_APPEAL(day=vn(cmd.occurred_on), appealed=vn(case.appealed_on))
    if cmd.outcome == "changed":
        if cmd.form is None:
            raise R.FORM_REQUIRED()
        return change(case, subject_at_decision, cmd, today)
    if cmd.form is not None:
        raise R.FORM_NOT_EXPECTED()
    if cmd.outcome == "annulled":
        return annul(case, cmd, today)
    not_in_future(cmd.occurred_on, today)
    return [Decided(DisciplineUpheld(case_id=cmd.case_id, decided_by=cmd.decided_by), cmd.occurred_on,
                    case.org_unit_id)]


def _check_same_subject(case: Case, cmd: ChangeDiscipline | AnnulDiscipline | ResolveAppeal) -> None:
    kind, sid = getattr(cmd, "subject_kind", None), getattr(cmd, "subject_id", None)
    if (kind and kind != case.subject_kind) or (sid and sid != case.subject_id):
        raise R.CASE_OF_OTHER_SUBJECT(case_id=case.case_id, sid=sid)
