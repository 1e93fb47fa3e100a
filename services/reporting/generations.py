"""Read model generations: live projection, full replay into a fresh copy, atomic switch, checksum.

The live projection writes tables prefixed with the current generation (``g1_`` …). A replay
builds generation n+1 from the event stores — not from the bus — while queries keep reading
generation n; when it has caught up with every store it takes the projection lock, applies the
last few events, records the new prefix in ``rp_generation`` and switches. The previous
generation's tables stay until the replay after next, so a query that looked up the prefix just
before a switch still finds its tables even when replays follow each other closely.

Partitioned (``DANGVIEN_REPORTING_PARTITION=i/n``), each process applies only its direct units'
facts, with its own checkpoints (``g2_facts.p1of3``), into the same tables; a replay is built whole
by the process asked for it, and every partition then starts in the new generation from the
replay's checkpoints (its stream heads make that safe for any partition). Processes follow a
switch made by another process (``rp_generation``) on their next delivery, sweep or query.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Mapping

from shared import checkpoints_watch
from shared.collector import settled
from shared.eventstore import EventStore
from shared.partitioning import Partition
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB
from shared.runtime import settling

from services.reporting import bulk_replay, daycounts, known_tree, schema, staged_replay, warning_spans
from services.reporting.checksum import table_checksum
from services.reporting.facts import FactsProjection, checkpoint_name

#: a live delivery applies up to this many stored events in its one transaction (a burst of commands
#: then costs one transaction, and the burst's other deliveries are skipped as duplicates)
LIVE_BURST = 500

#: sources in a fixed order, so a replay applies the org tree and members before what refers to them
SOURCE_ORDER = ("members", "discipline", "meetings", "reporting")


def _number(prefix: str) -> int:
    return int(prefix[1:-1])


class Generations:
    def __init__(self, db: ReadModelDB, stores: Mapping[str, EventStore],
                 yield_now: Callable[[], None] = lambda: None, partition: Partition = Partition()):
        self.db, self.stores, self.yield_now, self.partition = db, dict(stores), yield_now, partition
        self.prefix = self._stored_prefix()
        #: a generation built before stream heads were kept: applied leniently until a replay replaces it
        self.legacy = self.prefix if self._has(self.prefix, "units") and not self._has(self.prefix, "stream_heads") \
            else None
        db.executescript(schema.ddl("g1_"))  # also creates rp_generation
        schema.migrate(db, self.prefix)
        self._switch = threading.RLock()
        self._followed = 0.0
        self.runner = self._runner(self.prefix)
        daycounts.ensure(db, self.prefix)  # a generation built before the counts per day gets them once
        warning_spans.ensure(db, self.prefix)  # … and the early-warning spans
        self.progress: dict = {"state": "idle", "generation": _number(self.prefix)}

    def _stored_prefix(self) -> str:
        try:
            rows = self.db.query("SELECT prefix FROM rp_generation WHERE id = 1")
        except Exception:  # a new read model
            return "g1_"
        return rows[0][0] if rows else "g1_"

    def _has(self, prefix: str, table: str) -> bool:
        try:
            self.db.query(f"SELECT 1 FROM {prefix}{table} WHERE 1 = 0")
            return True
        except Exception:
            return False

    def _projection(self, prefix: str, partition: Partition) -> FactsProjection:
        members = self.stores.get("members")
        projection = FactsProjection(prefix, partition, members.head_position if members else None)
        projection.lenient_streams = prefix == self.legacy
        return projection

    def _runner(self, prefix: str) -> ProjectionRunner:
        """This process's runner in ``prefix``; a partition new to the generation starts from the
        whole generation's checkpoints (a replay's), which its stream heads make safe."""
        runner = ProjectionRunner(self.db, self._projection(prefix, self.partition), self.stores, burst=LIVE_BURST)
        if not self.partition.whole:
            with self.db.transaction() as tx:
                tx.execute("INSERT INTO projection_checkpoints (projection, source, position, event_id) "
                           "SELECT ?, source, position, event_id FROM projection_checkpoints WHERE projection = ? "
                           "ON CONFLICT (projection, source) DO NOTHING",
                           (runner.projection.name, checkpoint_name(prefix, Partition())))
        return runner

    def follow(self, at_most_every: float = 0.0) -> str:
        """Switch to the generation another process switched to; the current prefix. With
        ``at_most_every`` seconds, look at ``rp_generation`` no more often than that (deliveries:
        a few more events applied to the previous generation, which is kept, lose nothing)."""
        now = time.monotonic()
        if at_most_every and now - self._followed < at_most_every:
            return self.prefix
        self._followed = now
        stored = self._stored_prefix()
        if stored != self.prefix:
            with self._switch:
                if stored != self.prefix:
                    self._retire(self.runner)
                    self.prefix, self.runner = stored, self._runner(stored)
        return self.prefix

    @staticmethod
    def _retire(runner: ProjectionRunner) -> None:
        """A generation replaced: what its runner reported stopped (a restored store) is no longer so."""
        checkpoints_watch.forget(f"projection:{runner.projection.name}/")

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in SOURCE_ORDER if s in self.stores)

    # -- live ----------------------------------------------------------------------------------
    def handle(self, source: str, message: dict) -> str:
        self.follow(at_most_every=1.0)
        with self._switch:
            return self.runner.handle(source, message)

    def handle_batch(self, source: str, messages: list) -> str:
        """A batch of deliveries of ``source``, in one transaction (``ProjectionRunner.handle_batch``)."""
        self.follow(at_most_every=1.0)
        with self._switch:
            return self.runner.handle_batch(source, messages)

    def catch_up(self, batch: int = 2000) -> int:
        self.follow()
        with self._switch, settled() as settle:  # the collector walks only each batch's allocations
            return sum(self.runner.catch_up(s, batch, progress=settling(settle)) for s in self.sources)

    def positions(self) -> dict[str, int]:
        """How far the read model has applied each source: the least over all partitions."""
        names = [checkpoint_name(self.prefix, p) for p in self.partition.siblings()]
        marks = ",".join("?" * len(names))
        rows = self.db.query(f"SELECT projection, source, position FROM projection_checkpoints "
                             f"WHERE projection IN ({marks})", names)
        seen = {(name, source): position for name, source, position in rows}
        return {s: min(seen.get((n, s), 0) for n in names) for s in self.sources}

    # -- replay --------------------------------------------------------------------------------
    def replay(self) -> dict:
        """Rebuild every table from the stores into the next generation, then switch. Blocking."""
        old = self.prefix
        new = f"g{_number(old) + 1}_"
        self._drop_older_than(_number(old) - 1)
        total = sum(self.stores[s].count_after(0) for s in self.sources)  # events (KurrentDB positions are offsets)
        self.progress = {"state": "running", "generation": _number(new), "done": 0, "total": total,
                         "started": time.time()}
        ahead: list = []  # the second process of a replay, hashing its fact tables meanwhile
        try:
            if self.db.pg:  # built in a local file by the same code, then loaded by COPY
                staged_replay.build(self.db, self.stores, self.sources, lambda: self._projection(new, Partition()),
                                    self._advance)
            runner = ProjectionRunner(self.db, self._projection(new, Partition()), self.stores,
                                      burst=LIVE_BURST)  # built whole
            if not self.db.pg:
                runner.projection.day_counts.enabled = runner.projection.warning_spans.enabled = False  # the replay's
                bulk_replay.replay(self.db, self.stores, self.sources, runner.projection, self._advance, ahead)
                runner.projection.day_counts.enabled = runner.projection.warning_spans.enabled = True  # the last events live
            with self._switch:  # the last events appended while replaying, then the switch
                caught = sum(runner.catch_up(source, progress=self._advance) for source in self.sources)
                with self.db.transaction() as tx:
                    tx.execute("INSERT INTO rp_generation (id, prefix) VALUES (1, ?) "
                               "ON CONFLICT (id) DO UPDATE SET prefix = excluded.prefix", (new,))
                self.prefix = new
                self._retire(self.runner)
                self.runner = runner if self.partition.whole else self._runner(new)
            # part of the wait (an audit's replay ends with it): the tables as the replay wrote them,
            # hashed by its second process, where nothing was applied since; else read here
            checksum = ahead[0].checksum() if ahead and not caught else None
        finally:
            for helper in ahead:
                helper.close()
        if checksum is None:
            checksum = self.checksum()
        elapsed = max(time.time() - self.progress["started"], 1e-6)
        done = self.progress["done"]
        self.progress = {"state": "done", "generation": _number(new), "done": done, "total": max(total, done),
                         "seconds": round(elapsed, 3), "events_per_second": round(done / elapsed, 1),
                         "checksum": checksum}
        return dict(self.progress)

    def _advance(self, n: int) -> None:
        self.progress["done"] = self.progress.get("done", 0) + n
        self.yield_now()  # let queries in between batches (eventlet)

    def _drop_older_than(self, keep_from: int) -> None:
        """Drop generations before ``keep_from`` and any half-built one after the current.

        The current generation and the one before it stay: a report that looked up the prefix
        just before the last switch still finds its tables, however soon the next replay starts.
        """
        current = _number(self.prefix)
        for n in list(range(1, keep_from)) + [current + 1]:
            prefix = f"g{n}_"
            with self.db.transaction() as tx:
                for table in schema.TABLES + daycounts.TABLES + warning_spans.TABLES:
                    tx.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
                known_tree.drop_all(tx, prefix)
                tx.execute("DELETE FROM projection_checkpoints WHERE projection = ? OR projection LIKE ?",
                           (f"{prefix}facts", f"{prefix}facts.%"))

    # -- checksum ------------------------------------------------------------------------------
    def checksum(self) -> str:
        """sha-256 over every table reports read in the current generation, rows in key order
        (prefix-free): each row as compact JSON and a newline (``checksum.table_checksum``)."""
        return table_checksum(self.db, self.prefix)
