"""Adapters of the reporting service: its read model generations as a nameko dependency."""
from __future__ import annotations

import datetime as dt

from shared.integrity import SealBook
from shared.projection import WAITING
from shared.runtime import SweepingProvider, depends_on, log, readmodel_at, readmodel_label, settings_of, store_at

from services.reporting import rules as R
from services.reporting.generations import SOURCE_ORDER, Generations
from services.reporting.view import View

SERVICE = "reporting"


class ReadModels(SweepingProvider):
    """The reporting read model generations: catch up on start, apply the bus, sweep, replay."""

    service = SERVICE

    def __init__(self, sweep_seconds: float = 5.0):
        self.sweep_seconds = sweep_seconds
        self._stopping = False
        self._replaying = False

    def setup(self):
        settings = settings_of(self.container.config)
        db = readmodel_at(settings.readmodel_url(SERVICE), readmodel_label(SERVICE))
        depends_on(f"readmodel:{SERVICE}", db)
        stores = {s: store_at(settings.store_url(s)) for s in SOURCE_ORDER}
        for s, store in stores.items():
            depends_on(f"store:{s}", store)
        self.wire(db, stores, SealBook(settings.seal_path()), settings.partition)

    def wire(self, db, stores: dict, seal_book: SealBook, partition) -> "ReadModels":
        """Keep the generations in ``db`` from ``stores`` (``setup`` opens them from the settings; a
        test may pass its own)."""
        import eventlet
        self.db, self.stores, self.seal_book = db, stores, seal_book
        self.generations = Generations(db, stores, yield_now=lambda: eventlet.sleep(0), partition=partition)
        return self

    def start(self):
        self._stopping = False
        self.generations.catch_up()
        self.start_sweeping()
        if self.generations.legacy and self.generations.partition.index == 0:
            # built before stream heads were kept: partition 0 rebuilds it beside, all then switch
            log.info("replay_for_stream_heads", service=SERVICE, generation=self.generations.legacy)
            self.start_replay()

    def handle(self, source: str, message: dict) -> str:
        """Apply a delivery; one that waits for another partition's earlier event of its stream is
        retried here for a moment (each retry reads what it missed from the store; then the sweep
        takes over, and the store keeps the event either way)."""
        return self.handle_batch(source, [message])

    def handle_batch(self, source: str, messages: list) -> str:
        """Apply a batch of deliveries (the bus's burst) in one transaction; retried as ``handle``."""
        import eventlet
        outcome = self.generations.handle_batch(source, messages)
        for pause in (0.05, 0.1, 0.2, 0.4, 0.8):
            if outcome != WAITING or self._stopping:
                break
            eventlet.sleep(pause)
            outcome = self.generations.handle_batch(source, messages)
        return outcome

    def start_replay(self) -> dict:
        if self._replaying:
            raise R.REPLAY_RUNNING()
        self._replaying = True
        self.generations.progress = {"state": "starting", "done": 0, "total": 0}

        def run():
            try:
                self.generations.replay()
            except Exception as exc:
                log.warning("replay_failed", service=SERVICE, error=type(exc).__name__)
                self.generations.progress = {**self.generations.progress, "state": "failed",
                                             "error": type(exc).__name__}
            finally:
                self._replaying = False

        self.container.spawn_managed_thread(run)
        return dict(self.generations.progress)

    def checksum(self) -> str:
        """The read model's checksum (a full scan), computed again only when it has applied something
        since: documents made one after another from an unchanged read model share one scan."""
        g = self.generations
        key = (g.prefix, tuple(sorted(g.positions().items())))
        cached = getattr(self, "_checksum", None)
        if cached is None or cached[0] != key:
            cached = self._checksum = (key, g.checksum())
        return cached[1]

    def view(self, as_of: dt.date | None = None, known_at: dt.datetime | None = None,
             structure: str | None = None) -> View:
        return View.of(self.db, self.generations.follow(), as_of, known_at, structure)

    def positions(self) -> dict[str, int]:
        """How far the current generation has read each source (for 'caught up' checks)."""
        return self.generations.positions()

    def catch_up(self, batch: int = 2000):
        return self.generations.catch_up(batch)

    def get_dependency(self, worker_ctx):
        return self
