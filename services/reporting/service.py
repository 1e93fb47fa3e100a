"""The reporting service (nameko): projects every service's events into the directive's reports.
Entry points only; the SQL lives in one module per report."""
from __future__ import annotations

import datetime as dt

from shared.application import Context
from shared.bus_batches import partition_batch_event_handler
from shared.contracts.reporting import (AuditTrailQuery, HeadcountQuery, NoParams, RegisterTarget,
                                        ReportQuery, SealNow, VerifySeals, YearlyQuery)
from shared.errors import NotFound
from shared.importing import progress_of, quotes_stored, reporter, run_import
from shared.runtime import (EventStoreProvider, ProjectingEntrypoints, RelayProvider, command, query,
                            rpc)  # rpc: replies transient, without a confirm wait

from services.reporting import application, audit, member_composition, membership, paging, queries, yearly
from services.reporting.dependencies import ReadModels

SERVICE = "reporting"


class ReportingService(ProjectingEntrypoints):
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)
    projections = ReadModels()

    # -- the doorbell --------------------------------------------------------------------------
    @partition_batch_event_handler("members", "#", lazy=True)
    def on_members_event(self, messages):
        self.projections.handle_batch("members", messages)

    @partition_batch_event_handler("meetings", "#", lazy=True)
    def on_meetings_event(self, messages):
        self.projections.handle_batch("meetings", messages)

    @partition_batch_event_handler("discipline", "#", lazy=True)
    def on_discipline_event(self, messages):
        self.projections.handle_batch("discipline", messages)

    @partition_batch_event_handler("reporting", "#", lazy=True)
    def on_reporting_event(self, messages):
        self.projections.handle_batch("reporting", messages)

    # -- targets -------------------------------------------------------------------------------
    def _unit_known(self, extra: set | None = None):
        def known(org_unit_id: str) -> bool:
            if extra and org_unit_id in extra:
                return True
            try:
                self.projections.view().unit(org_unit_id)
                return True
            except NotFound:
                return False
        return known

    @rpc
    @command(RegisterTarget)
    def register_target(self, cmd, context):
        return application.register_target(self.store, cmd, Context.from_dict(context), self._unit_known())

    @rpc
    def import_lines(self, lines, context=None, commit=True):
        created: set[str] = set()  # units created earlier in the same file count as known

        def observe(line):
            if line["type"] == "org_unit.created":
                created.add(line["data"].get("org_unit_id"))

        return run_import(self.store, application.importers(self._unit_known(created)), lines,
                          Context.from_dict(context), commit=commit, observe=observe,
                          progress=reporter(context), quote_stored=quotes_stored(context))

    @rpc
    def import_progress(self, job):
        """How far this service is with the import job ``job`` (None when it runs none)."""
        return progress_of(job)

    # -- reports -------------------------------------------------------------------------------
    def _report(self, name: str, q: ReportQuery) -> dict:
        """The one dispatch of the report queries: the view the options ask for, then the report."""
        return queries.REPORTS[name](self.projections.view(q.as_of, q.known_at, q.structure), q)

    @rpc
    @query(HeadcountQuery, within=True)
    def headcount(self, q, context):
        v = self.projections.view(q.as_of, q.known_at, q.structure)
        if paging.wanted(q.page, q.page_size):  # the tree in pages: units top-down, with totals
            out = membership.headcount_page(v, q.org_unit_id, q.page, q.page_size)
            if q.org_unit_id and not out["total"]:
                v.unit(q.org_unit_id)  # raises the named 'not found'
            return out
        rows = membership.headcount(v, q.org_unit_id)
        if q.org_unit_id and not rows:
            v.unit(q.org_unit_id)  # raises the named 'not found'
        return rows

    @rpc
    @query(ReportQuery, within=True)
    def headcount_report(self, q, context):
        """The headcount with the report options: on ``as_of``, else the end of the period given."""
        v = self.projections.view(queries.day_of(q), q.known_at, q.structure)
        rows = membership.headcount(v, q.org_unit_id)
        return {**v.meta("headcount", q.org_unit_id), "rows": rows}

    @rpc
    @query(ReportQuery, within=True)
    def composition(self, q, context):
        """Composition on ``as_of``, else the end of the period given; ratings of that period's last year."""
        v = self.projections.view(queries.day_of(q), q.known_at, q.structure)
        v.unit(q.org_unit_id)  # raises the named 'not found'
        return member_composition.composition(v, q.org_unit_id, q.year or v.as_of.year)

    @rpc
    @query(ReportQuery, within=True)
    def term(self, q, context):
        return self._report("term", q)

    @rpc
    @query(ReportQuery, within=True)
    def movement(self, q, context):
        return self._report("movement", q)

    @rpc
    @query(ReportQuery, within=True)
    def warnings(self, q, context):
        return self._report("warnings", q)

    @rpc
    @query(ReportQuery, within=True)
    def evaluation(self, q, context):
        return self._report("evaluation", q)

    @rpc
    @query(ReportQuery, within=True)
    def meetings(self, q, context):
        return self._report("meetings", q)

    @rpc
    @query(ReportQuery, within=True)
    def causes(self, q, context):
        return self._report("causes", q)

    @rpc
    @query(ReportQuery, within=True)
    def anomalies(self, q, context):
        return self._report("anomalies", q)

    @rpc
    @query(YearlyQuery, within=True)
    def yearly(self, q, context):
        """D8: the yearly report's figures; without ``known_at``, as known now (and that moment is kept)."""
        known_at = q.known_at or dt.datetime.now(dt.timezone.utc)
        v = self.projections.view(q.as_of, known_at)
        out = yearly.figures(v, q.org_unit_id, q.year, q.term)
        g = self.projections.generations
        out["read_model"] = {"checksum": self.projections.checksum(), "generation": g.prefix.strip("g_")}
        return out

    # -- replay and audit ----------------------------------------------------------------------
    @rpc
    @command(NoParams)
    def replay(self, cmd, context):
        return {"progress": self.projections.start_replay()}

    @rpc
    @query(NoParams)
    def replay_status(self, q, context):
        return dict(self.projections.generations.progress)

    @rpc
    @query(NoParams)
    def checksum(self, q, context):
        g = self.projections.generations
        return {"checksum": g.checksum(), "generation": g.prefix.strip("g_"), "positions": g.positions()}

    @rpc
    @query(AuditTrailQuery, within=True)
    def audit_trail(self, q, context):
        return audit.trail(self.projections.view(), self.projections.stores, q.member_id)

    @rpc
    @query(NoParams)
    def audit_verify(self, q, context):
        return audit.verify(self.projections.stores, self.projections.seal_book)

    @rpc
    @command(VerifySeals)
    def audit_verify_seals(self, cmd, context):
        out = audit.verify(self.projections.stores, self.projections.seal_book, list(cmd.seals))
        out["intact"] = out.pop("ok")  # a command's "ok" is the gateway's success flag
        return out

    @rpc
    @command(SealNow)
    def audit_seal(self, cmd, context):
        return audit.seal(self.projections.stores, self.projections.seal_book)
