"""The meetings service (nameko): cell meetings, attendance, dues, meeting quality and early
warnings (DOMAIN.md §4; D0, D4, D7). Entry points only."""
from __future__ import annotations

from shared.application import Context
from shared.bus_batches import batch_event_handler
from shared.contracts.meetings import (AbsencesQuery, CellYearQuery, MeetingQuery, RecordDues, RecordMeeting,
                                       RosterQuery, ScheduleMeeting, WarningsQuery)
from shared.errors import DomainError
from shared.importing import progress_of, quotes_stored, reporter, run_import
from shared.keybatch import KeyBatch
from shared.runtime import (EventStoreProvider, ProjectingEntrypoints, RelayProvider, command, log, query,
                            rpc)  # rpc: replies transient, without a confirm wait

from services.meetings import application as app, domain, quality, reasons, views
from services.meetings import rules as R
from services.meetings.dependencies import ProjectionsAndVault
from services.meetings.projections import RosterOverlay, SqlRoster

SERVICE = "meetings"



class MeetingsService(ProjectingEntrypoints):
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)
    #: its projections and the key vault the absence reasons are sealed in (``reasons``)
    projections = ProjectionsAndVault()

    def _roster(self) -> SqlRoster:
        # a command judges against the latest roster: the bus may not have rung yet
        self.projections.catch_up()
        return SqlRoster(self.projections.db)

    def _written(self, events):
        """The stored events are the answer: catching the views up afterwards is a courtesy (so the
        caller's next query sees what it just recorded), and its failure must not turn a stored
        command into an error; the bus and the sweep bring the views up anyway."""
        try:
            self.projections.catch_up()
        except Exception as exc:
            log.warning("catch_up_after_append_failed", service=SERVICE, error=type(exc).__name__)
        return events

    # -- reactions: the roster follows the members service -----------------------------
    @batch_event_handler("members", "#", lazy=True)
    def on_members_event(self, messages):
        self.projections.handle_batch("members", messages)

    @batch_event_handler("meetings", "#", lazy=True)
    def on_own_event(self, messages):
        self.projections.handle_batch("meetings", messages)

    # -- placement (for the gateway's scope check) ---------------------------------------
    @rpc
    def locate(self, params, context=None):
        """The cell a meeting belongs to (``{"kind": "meeting", "id"}`` → ``{"units": [...]}`` or None)."""
        params = params or {}
        ident = params.get("id")
        if params.get("kind") != "meeting" or not isinstance(ident, str) or not ident:
            return {"ok": True, "result": None}
        meeting = domain.fold(self.store.read_stream(domain.meeting_stream(ident)))
        return {"ok": True, "result": {"units": [meeting.org_unit_id]} if meeting.org_unit_id else None}

    # -- commands ------------------------------------------------------------------------
    @rpc
    @command(ScheduleMeeting)
    def schedule_meeting(self, cmd, context):
        return self._written(app.schedule_meeting(self.store, self._roster(), cmd, Context.from_dict(context)))

    @rpc
    @command(RecordMeeting)
    def record_meeting(self, cmd, context):
        return self._written(app.record_meeting(self.store, self._roster(), self.projections.vault, cmd,
                                                  Context.from_dict(context)))

    @rpc
    @command(RecordDues)
    def record_dues(self, cmd, context):
        return self._written(app.record_dues(self.store, self._roster(), cmd, Context.from_dict(context)))

    @rpc
    def import_lines(self, lines, context=None, commit=True):
        overlay = RosterOverlay(self._roster())
        keys = KeyBatch(self.projections.vault)  # new keys stored in one transaction, before the events
        keys.prefetch(reasons.subjects(line for line in lines if line["type"] == "meeting.held"))
        return run_import(self.store, app.importers(overlay, keys), lines, Context.from_dict(context), commit=commit,
                          observe=overlay.observe, before_commit=keys.flush, progress=reporter(context),
                          open_sealed=reasons.sealed_opener(keys), quote_stored=quotes_stored(context))

    @rpc
    def import_progress(self, job):
        """How far this service is with the import job ``job`` (None when it runs none)."""
        return progress_of(job)

    # -- queries -------------------------------------------------------------------------
    @rpc
    @query(RosterQuery)
    def roster(self, q, context):
        roster = SqlRoster(self.projections.db)
        if roster.unit(q.org_unit_id) is None:
            raise _unit_not_found(q.org_unit_id)
        return [{"member_id": e.member_id, "temporary": e.temporary, "exempt": e.exempt,
                 "working_away": e.working_away, "expected": e.expected} for e in roster.on(q.org_unit_id, q.on)]

    @rpc
    @query(MeetingQuery)
    def meeting(self, q, context):
        found = views.meeting(self.projections.db, q.meeting_id)
        if found is None:
            raise R.MEETING_NOT_FOUND(meeting_id=q.meeting_id)
        return reasons.with_reasons(self.store, self.projections.vault, found)

    @rpc
    @query(CellYearQuery)
    def cell_quality(self, q, context):
        unit = domain.check_is_cell(SqlRoster(self.projections.db).unit(q.org_unit_id), q.org_unit_id)
        today = Context.from_dict(context).today
        return quality.cell_year(q.org_unit_id, q.year, views.cell_meetings(self.projections.db, q.org_unit_id, q.year),
                                 today, created_on=unit.created_on, closed_on=unit.closed_on)

    @rpc
    @query(AbsencesQuery)
    def absences(self, q, context):
        return views.absences(self.projections.db, q.year, q.member_id, q.org_unit_id)

    @rpc
    @query(WarningsQuery)
    def warnings(self, q, context):
        return views.warnings(self.projections.db, q.year, q.org_unit_id)



def _unit_not_found(org_unit_id: str) -> DomainError:
    return R.ORG_UNIT_NOT_FOUND(org_unit_id=org_unit_id)
