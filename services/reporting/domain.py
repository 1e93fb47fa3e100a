"""Pure rules of the reporting service's own facts: targets (chỉ tiêu; D4, D7, Đề án 02/03-ĐA/TU)."""
from __future__ import annotations

from shared.application import Decided
from shared.catalog.reporting import TargetRegistered
from shared.errors import NotFound

from services.reporting.periods import parse_period


def register_target(unit_known: bool, cmd) -> list[Decided]:
    """A registration may be repeated: the latest one known at a time is the target then."""
    if not unit_known:
        raise NotFound("org_unit_not_found", f"Không tìm thấy tổ chức đảng «{cmd.org_unit_id}»",
                       f"Party organisation '{cmd.org_unit_id}' not found", field="org_unit_id")
    parse_period(cmd.period, "period")  # a year or a configured term
    payload = TargetRegistered(org_unit_id=cmd.org_unit_id, period=cmd.period, indicator=cmd.indicator,
                               value=cmd.value)
    return [Decided(payload, cmd.occurred_on, cmd.org_unit_id)]
