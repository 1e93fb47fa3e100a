"""Adapters of the members service: the personal-data key vault and the wiring of its indexes."""
from __future__ import annotations

import os

from nameko.extensions import DependencyProvider

from shared.personal import Vault, keys_url
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB
from shared.runtime import depends_on, readmodel_at, settings_of
from shared.vaultkey import master_key

from services.members.application import Deps
from services.members.index import DisciplineIndex, DisciplineIndexProjection, MembersIndex, MembersIndexProjection


def vault_url(readmodel_url: str) -> str:
    """Keys sit apart from the rebuildable read model: ``members.keys.db`` beside it on SQLite; on
    PostgreSQL the ``personal_keys`` table of the same database (never dropped by a rebuild).
    ``DANGVIEN_VAULT_MEMBERS`` overrides."""
    return keys_url(readmodel_url, os.environ.get("DANGVIEN_VAULT_MEMBERS"))


class VaultProvider(DependencyProvider):
    def setup(self):
        settings = settings_of(self.container.config)
        url = vault_url(settings.readmodel_url("members"))
        db = readmodel_at(url, ("Kho khoá dữ liệu cá nhân", "Personal data key vault"))
        depends_on("vault:members", db)
        # the keys are wrapped with a master key kept outside the data directory
        self.vault = Vault(db, master_key(settings.data_dir))

    def get_dependency(self, worker_ctx):
        return self.vault


def standalone_deps(store) -> Deps:
    """The use cases' dependencies without the service, for scripts and tests that call the use
    cases or ``run_import`` directly: an in-memory index over ``store`` (caught up before each
    check, as the service's is) and a throwaway vault. The caller keeps it for as long as it uses
    the store: the vault holds the keys of what it sealed."""
    db = ReadModelDB(":memory:")
    runner = ProjectionRunner(db, MembersIndexProjection(), {"members": store})
    ProjectionRunner(db, DisciplineIndexProjection(), {})  # its tables, empty: no discipline source
    return Deps(Vault(ReadModelDB(":memory:")), MembersIndex(db, lambda: runner.catch_up("members")),
                DisciplineIndex(db))


def projections():
    """What the service's ``ProjectionsProvider`` runs: its own index and the discipline index."""
    return [MembersIndexProjection(), DisciplineIndexProjection()]
