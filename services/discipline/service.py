"""The discipline service (nameko): the Inspection Committee's work (Ủy ban Kiểm tra; D7).
Entry points only.

It keeps its own projection of the members service's events (who is an official or a
probationary member, which organisations exist) and a read model of its own cases for the
"in effect on day D" queries. Queries first catch up, so a caller reads its own writes.
"""
from __future__ import annotations

from shared.application import Context
from shared.bus_batches import batch_event_handler
from shared.contracts.discipline import (AnnulDiscipline, AppealDiscipline, ApplyDiscipline, CaseQuery,
                                         ChangeDiscipline, ConcludeInspection, ConcludeSupervision, InEffectQuery,
                                         OpenInspection, OpenSupervision, ResolveAppeal, SubjectQuery)
from shared.importing import progress_of, quotes_stored, reporter, run_import
from shared.runtime import (EventStoreProvider, ProjectingEntrypoints, ProjectionsProvider, RelayProvider, command,
                            query, rpc)  # rpc: replies transient, without a confirm wait

from services.discipline import application as app
from services.discipline import domain, effect
from services.discipline.dependencies import projections
from services.discipline.projections import DbRoster, OverlayRoster, load_cases, subtree

SERVICE = "discipline"



class DisciplineService(ProjectingEntrypoints):
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)
    projections = ProjectionsProvider(SERVICE, projections)

    def _run(self, use_case, cmd, context):
        return use_case(self.store, DbRoster(self.projections.db), cmd, Context.from_dict(context))

    # -- members' facts ---------------------------------------------------------------------
    @batch_event_handler("members", "#", lazy=True)
    def on_members_event(self, messages):
        self.projections.handle_batch("members", messages)

    # -- commands ---------------------------------------------------------------------------
    @rpc
    @command(OpenInspection)
    def open_inspection(self, cmd, context):
        return self._run(app.open_inspection, cmd, context)

    @rpc
    @command(ConcludeInspection)
    def conclude_inspection(self, cmd, context):
        return self._run(app.conclude_inspection, cmd, context)

    @rpc
    @command(OpenSupervision)
    def open_supervision(self, cmd, context):
        return self._run(app.open_supervision, cmd, context)

    @rpc
    @command(ConcludeSupervision)
    def conclude_supervision(self, cmd, context):
        return self._run(app.conclude_supervision, cmd, context)

    @rpc
    @command(ApplyDiscipline)
    def apply_discipline(self, cmd, context):
        return self._run(app.apply_discipline, cmd, context)

    @rpc
    @command(AppealDiscipline)
    def appeal_discipline(self, cmd, context):
        return self._run(app.appeal_discipline, cmd, context)

    @rpc
    @command(ResolveAppeal)
    def resolve_appeal(self, cmd, context):
        return self._run(app.resolve_appeal, cmd, context)

    @rpc
    @command(ChangeDiscipline)
    def change_discipline(self, cmd, context):
        return self._run(app.change_discipline, cmd, context)

    @rpc
    @command(AnnulDiscipline)
    def annul_discipline(self, cmd, context):
        return self._run(app.annul_discipline, cmd, context)

    @rpc
    def locate(self, params, context=None):
        """Whom a case, inspection or supervision concerns (``{"kind", "id"}`` →
        ``{"ok": True, "result": {"subject_kind", "subject_id"} | None}``); the gateway places calls
        by it."""
        return {"ok": True, "result": app.locate(self.store, (params or {}).get("kind"), (params or {}).get("id"))}

    @rpc
    def import_lines(self, lines, context=None, commit=True):
        roster = OverlayRoster(self.projections.db)
        return run_import(self.store, app.importers(roster), lines, Context.from_dict(context), commit=commit,
                          observe=roster.observe, progress=reporter(context), quote_stored=quotes_stored(context))

    @rpc
    def import_progress(self, job):
        """How far this service is with the import job ``job`` (None when it runs none)."""
        return progress_of(job)

    # -- queries ----------------------------------------------------------------------------
    @rpc
    @query(InEffectQuery)
    def in_effect(self, q, context):
        self.projections.catch_up()
        units = subtree(self.projections.db, q.org_unit_id) if q.org_unit_id else None
        # every case of the subjects concerned: a later case can keep an earlier one in effect
        cases = load_cases(self.projections.db, q.subject_kind, q.subject_id)
        rows = effect.in_effect(cases, q.on)
        return [r for r in rows if units is None or r["org_unit_id"] in units]

    @rpc
    @query(CaseQuery)
    def case(self, q, context):
        self.projections.catch_up()
        found = load_cases(self.projections.db, case_id=q.case_id)
        if not found:
            raise domain.case_not_found(q.case_id)
        subject_cases = load_cases(self.projections.db, found[0].subject_kind, found[0].subject_id)
        lapse = effect.lapse_days(subject_cases)[q.case_id]
        return effect.view(found[0], None, lapse)

    @rpc
    @query(SubjectQuery)
    def subject_cases(self, q, context):
        self.projections.catch_up()
        cases = load_cases(self.projections.db, q.subject_kind, q.subject_id)
        lapses = effect.lapse_days(cases)
        return [effect.view(c, None, lapses[c.case_id]) for c in sorted(cases, key=lambda c: c.decided_on)]
