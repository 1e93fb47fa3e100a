"""One service shape: every command and query of a service's contract is an RPC of the same name
written out in its ``service.py``, and every projecting service answers the import job's
caught-up wait (``positions``, ``catch_up``, ``head_position``)."""
from __future__ import annotations

import inspect

import pytest

from services.discipline.service import DisciplineService
from services.meetings.service import MeetingsService
from services.members.service import MembersService
from services.reporting.service import ReportingService
from shared.contracts import discipline, meetings, members, reporting
from shared.runtime import ProjectingEntrypoints

from tests.support.workers import rpc_names

SERVICES = [(MembersService, members), (MeetingsService, meetings), (DisciplineService, discipline),
            (ReportingService, reporting)]


@pytest.mark.parametrize("service, contract", SERVICES, ids=lambda v: getattr(v, "name", ""))
def test_the_contract_is_the_rpc_surface(service, contract):
    rpcs = rpc_names(service)
    assert set(contract.COMMANDS) | set(contract.QUERIES) <= rpcs


@pytest.mark.parametrize("service, contract", SERVICES, ids=lambda v: getattr(v, "name", ""))
def test_every_projecting_service_stands_on_the_same_base(service, contract):
    assert issubclass(service, ProjectingEntrypoints)
    assert {"positions", "catch_up", "head_position"} <= rpc_names(service)


@pytest.mark.parametrize("service, contract", SERVICES, ids=lambda v: getattr(v, "name", ""))
def test_each_rpc_is_written_in_the_service_module(service, contract):
    """``grep "def transfer_member"`` finds the entrypoint: no RPC is generated at import time."""
    source = inspect.getsource(inspect.getmodule(service))
    own = set(contract.COMMANDS) | set(contract.QUERIES)
    assert all(f"    def {name}(self" in source for name in own)


def test_the_report_queries_go_through_one_dispatch():
    from services.reporting.queries import REPORTS
    family = {name for name, spec in reporting.QUERIES.items() if spec.model is reporting.ReportQuery}
    # the reports on one day (the period's end: queries.day_of) are not period reports
    assert set(REPORTS) == family - {"headcount_report", "composition"}
    source = inspect.getsource(ReportingService)
    assert all(f'return self._report("{name}", q)' in source for name in REPORTS)
