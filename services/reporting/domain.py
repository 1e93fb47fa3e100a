"""Pure rules of the reporting service's own facts: targets (chỉ tiêu; D4, D7, Đề án 02/03-ĐA/TU)."""
from __future__ import annotations

from shared.application import Decided
from shared.catalog.reporting import TargetRegistered
from shared.contracts.reporting import RegisterTarget

from services.reporting import rules as R
from services.reporting.periods import parse_period


def register_target(unit_known: bool, cmd: RegisterTarget) -> list[Decided]:
    """A registration may be repeated: the latest one known at a time is the target then."""
    if not unit_known:
        raise R.ORG_UNIT_NOT_FOUND(org_unit_id=cmd.org_unit_id)
    parse_period(cmd.period, "period")  # a year or a configured term
    payload = TargetRegistered(org_unit_id=cmd.org_unit_id, period=cmd.period, indicator=cmd.indicator,
                               value=cmd.value)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]
