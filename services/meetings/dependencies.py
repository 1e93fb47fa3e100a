"""Adapters of the meetings service: what its providers run, and its key vault."""
from __future__ import annotations

import os

from shared.personal import Vault, keys_url
from shared.readmodel import ReadModelDB
from shared.runtime import ProjectionsProvider, depends_on, settings_of
from shared.vaultkey import master_key

from services.meetings import views
from services.meetings.projections import RosterProjection
from services.meetings.reasons import KeyShredding

SERVICE = "meetings"
LABEL = ("Kho khoá lý do vắng của dịch vụ sinh hoạt", "Absence reasons key vault of the meetings service")


def projections(vault: Vault | None = None):
    """What the service's ``ProjectionsProvider`` runs: its roster of the members service's facts, its meeting
    views and, with the service's key vault, the shredding of a member's key when the members service shreds them."""
    out = [RosterProjection(), views.MeetingsViewProjection()]
    return out + [KeyShredding(vault)] if vault is not None else out


def vault_url(readmodel_url: str) -> str:
    """``meetings.keys.db`` beside the read model on SQLite, the same database on PostgreSQL;
    ``DANGVIEN_VAULT_MEETINGS`` overrides."""
    return keys_url(readmodel_url, os.environ.get("DANGVIEN_VAULT_MEETINGS"))


class ProjectionsAndVault(ProjectionsProvider):
    """The service's projections and its key vault (one per service: the key cache that seals,
    opens and shreds is one). The vault is opened first: one of the projections shreds in it."""

    vault: Vault | None = None

    def __init__(self, sweep_seconds: float = 5.0):
        self.service, self.sweep_seconds = SERVICE, sweep_seconds

    def make(self):
        return projections(self.vault)

    def setup(self):
        settings = settings_of(self.container.config)
        # its own connection: a shredding runs inside a projection's transaction, which on
        # PostgreSQL holds the read model's connection (the same database)
        db = ReadModelDB(vault_url(settings.readmodel_url(SERVICE)), LABEL)
        depends_on(f"vault:{SERVICE}", db)
        # the keys are wrapped with the master key kept outside the data directory, as the members service's
        self.vault = Vault(db, master_key(settings.data_dir))
        super().setup()

    def wire(self, db, stores: dict) -> "ProjectionsAndVault":
        if self.vault is None:  # wired without ``setup`` (a test): a vault beside the read model, unwrapped
            self.vault = Vault(ReadModelDB(vault_url(db.url)))
        return super().wire(db, stores)
