"""Use cases of the discipline service: load streams and the roster, call the domain, append.

Streams: ``case-<case_id>`` (decision, appeal, outcome), ``inspection-<id>``, ``supervision-<id>``.
Every use case takes the roster (who the subject was on a day) besides the store, so the same
functions serve live commands (stored roster) and imports (stored roster + the file's lines).
"""
from __future__ import annotations

import datetime as dt
from typing import Protocol

from shared.application import Context, execute
from shared.contracts.discipline import (AnnulDiscipline, AppealDiscipline, ApplyDiscipline, ChangeDiscipline,
                                         ConcludeInspection, ConcludeSupervision, OpenInspection, OpenSupervision,
                                         ResolveAppeal, UpholdDiscipline)
from shared.events import Envelope, stream_name
from shared.eventstore import EventStore
from shared.rules import rules_on

from services.discipline import domain
from services.discipline.roster import Subject


class Roster(Protocol):
    def subject_on(self, kind: str, subject_id: str, day: dt.date) -> Subject: ...


def case_stream(case_id: str) -> str:
    return stream_name("case", case_id)


def inspection_stream(inspection_id: str) -> str:
    return stream_name("inspection", inspection_id)


def supervision_stream(supervision_id: str) -> str:
    return stream_name("supervision", supervision_id)


def load_case(store: EventStore, case_id: str) -> domain.Case:
    return domain.fold_case(store.read_stream(case_stream(case_id)))


def locate(store: EventStore, kind: str | None, ident: str | None) -> dict | None:
    """The subject of a case, inspection or supervision (None when there is none)."""
    if not isinstance(ident, str) or not ident:
        return None
    if kind == "case":
        history = store.read_stream(case_stream(ident))
        found = domain.fold_case(history)
    elif kind in ("inspection", "supervision"):
        history = store.read_stream(inspection_stream(ident) if kind == "inspection" else supervision_stream(ident))
        found = domain.fold_inquiry(history)
    else:
        return None
    if not found.exists:
        return None
    # org_unit_id: the unit it is filed under (its subject's unit when decided or opened: where it
    # counts), on: the day it was decided or opened (where that unit stood then is whose it is)
    return {"subject_kind": found.subject_kind, "subject_id": found.subject_id,
            "org_unit_id": history[0].org_unit_id if history else None,
            "on": history[0].occurred_on.isoformat() if history else None}


def open_inspection(store: EventStore, roster: Roster, cmd: OpenInspection, ctx: Context) -> list[Envelope]:
    subject = roster.subject_on(cmd.subject_kind, cmd.subject_id, cmd.occurred_on)
    return execute(store, inspection_stream(cmd.inspection_id), domain.fold_inquiry,
                   lambda s: domain.open_inquiry(s, subject, cmd, ctx.today, supervision=False), ctx)


def open_supervision(store: EventStore, roster: Roster, cmd: OpenSupervision, ctx: Context) -> list[Envelope]:
    subject = roster.subject_on(cmd.subject_kind, cmd.subject_id, cmd.occurred_on)
    return execute(store, supervision_stream(cmd.supervision_id), domain.fold_inquiry,
                   lambda s: domain.open_inquiry(s, subject, cmd, ctx.today, supervision=True), ctx)


def _conclude(store: EventStore, stream: str, cmd, ctx: Context, supervision: bool) -> list[Envelope]:
    history = store.read_stream(stream)
    unit = history[0].org_unit_id if history else None
    return execute(store, stream, domain.fold_inquiry,
                   lambda s: domain.conclude_inquiry(s, unit, cmd, ctx.today, supervision), ctx)


def conclude_inspection(store: EventStore, roster: Roster, cmd: ConcludeInspection, ctx: Context) -> list[Envelope]:
    return _conclude(store, inspection_stream(cmd.inspection_id), cmd, ctx, supervision=False)


def conclude_supervision(store: EventStore, roster: Roster, cmd: ConcludeSupervision, ctx: Context) -> list[Envelope]:
    return _conclude(store, supervision_stream(cmd.supervision_id), cmd, ctx, supervision=True)


def apply_discipline(store: EventStore, roster: Roster, cmd: ApplyDiscipline, ctx: Context) -> list[Envelope]:
    subject = roster.subject_on(cmd.subject_kind, cmd.subject_id, cmd.occurred_on)
    inspection = (domain.fold_inquiry(store.read_stream(inspection_stream(cmd.inspection_id)))
                  if cmd.inspection_id else None)
    rules = rules_on(cmd.occurred_on)
    return execute(store, case_stream(cmd.case_id), domain.fold_case,
                   lambda case: domain.apply_discipline(case, subject, inspection, cmd, rules, ctx.today), ctx)


def appeal_discipline(store: EventStore, roster: Roster, cmd: AppealDiscipline, ctx: Context) -> list[Envelope]:
    case = load_case(store, cmd.case_id)
    rules = rules_on(case.decided_on or cmd.occurred_on)  # the limit in force when the decision was taken
    return execute(store, case_stream(cmd.case_id), domain.fold_case,
                   lambda case: domain.appeal(case, cmd, rules, ctx.today), ctx)


def _subject_at_decision(roster: Roster, case: domain.Case) -> Subject:
    if not case.exists:
        return Subject("member", "")
    return roster.subject_on(case.subject_kind, case.subject_id, case.decided_on)


def resolve_appeal(store: EventStore, roster: Roster, cmd: ResolveAppeal, ctx: Context) -> list[Envelope]:
    subject = _subject_at_decision(roster, load_case(store, cmd.case_id))
    return execute(store, case_stream(cmd.case_id), domain.fold_case,
                   lambda case: domain.resolve_appeal(case, subject, cmd, ctx.today), ctx)


def change_discipline(store: EventStore, roster: Roster, cmd: ChangeDiscipline, ctx: Context) -> list[Envelope]:
    subject = _subject_at_decision(roster, load_case(store, cmd.case_id))
    return execute(store, case_stream(cmd.case_id), domain.fold_case,
                   lambda case: domain.change(case, subject, cmd, ctx.today), ctx)


def annul_discipline(store: EventStore, roster: Roster, cmd: AnnulDiscipline, ctx: Context) -> list[Envelope]:
    return execute(store, case_stream(cmd.case_id), domain.fold_case,
                   lambda case: domain.annul(case, cmd, ctx.today), ctx)


def uphold_discipline(store: EventStore, roster: Roster, cmd: UpholdDiscipline, ctx: Context) -> list[Envelope]:
    """An imported ``discipline.upheld``: the appeal's answer that the decision stands."""
    resolution = ResolveAppeal(case_id=cmd.case_id, outcome="upheld", decided_by=cmd.decided_by,
                               occurred_on=cmd.occurred_on)
    return resolve_appeal(store, roster, resolution, ctx)


#: catalog type -> (command model, use case taking the roster first)
_IMPORTABLE = {
    "inspection.opened": (OpenInspection, open_inspection),
    "inspection.concluded": (ConcludeInspection, conclude_inspection),
    "supervision.opened": (OpenSupervision, open_supervision),
    "supervision.concluded": (ConcludeSupervision, conclude_supervision),
    "discipline.applied": (ApplyDiscipline, apply_discipline),
    "discipline.appealed": (AppealDiscipline, appeal_discipline),
    "discipline.upheld": (UpholdDiscipline, uphold_discipline),
    "discipline.changed": (ChangeDiscipline, change_discipline),
    "discipline.annulled": (AnnulDiscipline, annul_discipline),
}


def importers(roster: Roster) -> dict:
    """IMPORTERS for ``run_import``: each line runs the live use case against ``roster``."""

    def bind(use_case):
        return lambda store, cmd, ctx: use_case(store, roster, cmd, ctx)

    return {t: (model, bind(uc)) for t, (model, uc) in _IMPORTABLE.items()}
