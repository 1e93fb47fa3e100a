"""Use cases of the reporting service's own store (targets), and its importers."""
from __future__ import annotations

from typing import Callable

from shared.application import Context, execute
from shared.contracts.reporting import RegisterTarget
from shared.events import Envelope, stream_name
from shared.eventstore import EventStore

from services.reporting import domain


def target_stream(cmd: RegisterTarget) -> str:
    return stream_name("target", cmd.org_unit_id, cmd.period, cmd.indicator)


def register_target(store: EventStore, cmd: RegisterTarget, ctx: Context,
                    unit_known: Callable[[str], bool]) -> list[Envelope]:
    known = unit_known(cmd.org_unit_id)
    return execute(store, target_stream(cmd), lambda events: None,
                   lambda _: domain.register_target(known, cmd), ctx)


def importers(unit_known: Callable[[str], bool]) -> dict:
    return {"target.registered": (RegisterTarget,
                                  lambda store, cmd, ctx: register_target(store, cmd, ctx, unit_known))}
