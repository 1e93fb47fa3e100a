"""Adapters of the discipline service: what its providers run."""
from __future__ import annotations

from services.discipline.projections import CasesProjection, RosterProjection


def projections():
    """What the service's ``ProjectionsProvider`` runs: its roster of the members service's facts and its own cases."""
    return [RosterProjection(), CasesProjection()]
