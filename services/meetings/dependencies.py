"""Adapters of the meetings service: what its providers run."""
from __future__ import annotations

from services.meetings import views
from services.meetings.projections import RosterProjection


def projections():
    """What the service's ``ProjectionsProvider`` runs: its roster of the members service's facts and its meeting views."""
    return [RosterProjection(), views.MeetingsViewProjection()]
