"""A replay into a PostgreSQL read model, built beside it and loaded in bulk (issue 15).

Applied statement by statement, a PostgreSQL replay is bound by round trips (about a hundred
events a second on a busy machine). So the new generation is first built by the very same
projection code in a local SQLite file — no network, no fsync (``synchronous=OFF``: it is thrown
away if anything fails, and the replay starts again) — and its tables and checkpoints are then
loaded into PostgreSQL with ``COPY``, one table per transaction, streamed (memory stays bounded
by SQLite's page cache, not by the province's size). The generation is not read before the
switch, so a half-loaded one is never seen, and the next replay drops it.

Same code, same rows: the checksum of the loaded generation equals a SQLite replay's
(``tests/unit/reporting/test_fast_paths.py``). The last events appended meanwhile are applied on
PostgreSQL from the copied checkpoints, as the live projection applies them.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Callable, Mapping

from shared.eventstore import EventStore
from shared.projection import ProjectionRunner
from shared.readmodel import ReadModelDB

from services.reporting import bulk_replay, daycounts, schema, warning_spans
from services.reporting.facts import FactsProjection

#: where the staging file goes (default: the system's temporary folder); about 2.4 kB per member
#: over five years of monthly meetings
STAGE_DIR_ENV = "DANGVIEN_REPLAY_STAGE_DIR"


def build(db: ReadModelDB, stores: Mapping[str, EventStore], sources: tuple[str, ...],
          projection: Callable[[], FactsProjection], progress: Callable[[int], None]) -> None:
    """Build the generation of ``projection().prefix`` in a staging file, then copy it into ``db``."""
    with tempfile.TemporaryDirectory(prefix="dangvien-replay-", dir=os.environ.get(STAGE_DIR_ENV) or None) as tmp:
        path = os.path.join(tmp, "stage.db")
        stage = ReadModelDB(f"sqlite:///{path}")
        try:
            stage.query("PRAGMA synchronous=OFF")
            staged = projection()
            ProjectionRunner(stage, staged, stores)  # creates the generation's tables
            staged.day_counts.enabled = staged.warning_spans.enabled = False  # filled by the replay at its end
            bulk_replay.replay(stage, stores, sources, staged, progress)
        finally:
            stage.close()
        target = projection()
        ProjectionRunner(db, target, stores)  # creates the generation's tables
        load(path, db, target.prefix, target.name)


def load(path: str, db: ReadModelDB, prefix: str, name: str) -> int:
    """Copy every table of ``prefix`` and the checkpoints of ``name`` from the staging file."""
    src = sqlite3.connect(path)
    written = 0
    try:
        for table in schema.TABLES + daycounts.TABLES + warning_spans.TABLES:
            cur = src.execute(f"SELECT * FROM {prefix}{table}")
            columns = [d[0] for d in cur.description]
            with db.transaction() as tx:
                tx.execute(f"DELETE FROM {prefix}{table}")
                written += tx.copy_rows(f"{prefix}{table}", columns, _streamed(cur))
                if tx.pg:  # statistics now, not when autovacuum comes by: the first reports and the
                    # live projection's statements are planned for the rows loaded, not for an empty table
                    tx.execute(f"ANALYZE {prefix}{table}")
        with db.transaction() as tx:
            for source, position, event_id in src.execute(
                    "SELECT source, position, event_id FROM projection_checkpoints WHERE projection = ?", (name,)):
                tx.execute("INSERT INTO projection_checkpoints (projection, source, position, event_id) "
                           "VALUES (?, ?, ?, ?) ON CONFLICT (projection, source) DO UPDATE SET "
                           "position = excluded.position, event_id = excluded.event_id",
                           (name, source, position, event_id))
    finally:
        src.close()
    return written


def _streamed(cur, size: int = 5000):
    while rows := cur.fetchmany(size):
        yield from rows
