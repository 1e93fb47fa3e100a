"""The reporting service (nameko): projects every service's events into the directive's reports."""
from __future__ import annotations

from nameko.events import event_handler
from nameko.rpc import rpc

from shared.contracts.reporting import HeadcountQuery
from shared.errors import NotFound
from shared.runtime import ProjectionsProvider, query

from services.reporting.headcount import HeadcountProjection, headcount

SERVICE = "reporting"


def projections():
    return [HeadcountProjection()]


class ReportingService:
    name = SERVICE

    projections = ProjectionsProvider(SERVICE, projections)

    @event_handler("members", "#")
    def on_members_event(self, message):
        self.projections.handle("members", message)

    @rpc
    @query(HeadcountQuery)
    def headcount(self, q, context):
        rows = headcount(self.projections.db, q.org_unit_id)
        if q.org_unit_id and not rows:
            raise NotFound("org_unit_not_found", f"Không tìm thấy tổ chức đảng «{q.org_unit_id}»",
                           f"Party organisation '{q.org_unit_id}' not found", field="org_unit_id")
        return rows

    @rpc
    @query()
    def positions(self, q, context):
        """How far the projections have read each source (for 'caught up' checks)."""
        return self.projections.positions()

    @rpc
    @query()
    def catch_up(self, q, context):
        return self.projections.catch_up()
