"""Projection runner: the bus is the doorbell, the store is the truth."""
import datetime as dt

from shared.events import NewEvent
from shared.projection import Projection, ProjectionRunner
from shared.readmodel import ReadModelDB


class Counting(Projection):
    """Deliberately not idempotent by itself: only the runner stops double counting."""
    name = "counting"
    sources = ("members",)

    def ddl(self):
        return "CREATE TABLE IF NOT EXISTS counts (k TEXT PRIMARY KEY, n INTEGER)"

    def apply(self, tx, e):
        tx.execute("INSERT INTO counts (k, n) VALUES ('all', 1) ON CONFLICT (k) DO UPDATE SET n = counts.n + 1")


def count(db):
    rows = db.query("SELECT n FROM counts WHERE k = 'all'")
    return rows[0][0] if rows else 0


def events(store, n):
    return store.append("s-1", [NewEvent(type="member.died", data={"member_id": f"M{i}"},
                                         occurred_on=dt.date(2021, 1, 1)) for i in range(n)])


def test_duplicates_are_skipped_and_gaps_read_from_the_store(store, tmp_path):
    runner = ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Counting(), {"members": store})
    stored = events(store, 5)
    assert runner.handle("members", stored[0].to_message()) == "applied"
    assert runner.handle("members", stored[0].to_message()) == "duplicate"
    # events 2..4 never rang the bell: delivering 5 reads them from the store first
    assert runner.handle("members", stored[4].to_message()) == "filled"
    assert count(runner.db) == 5 and runner.checkpoint("members") == 5
    # late deliveries of what the gap fill already applied change nothing
    for e in stored[1:4]:
        assert runner.handle("members", e.to_message()) == "duplicate"
    assert count(runner.db) == 5


def test_catch_up_resumes_from_the_checkpoint(store, tmp_path):
    db_url = f"sqlite:///{tmp_path}/read.db"
    events(store, 3)
    assert ProjectionRunner(ReadModelDB(db_url), Counting(), {"members": store}).catch_up("members") == 3
    events(store, 2)
    again = ProjectionRunner(ReadModelDB(db_url), Counting(), {"members": store})
    assert again.catch_up("members") == 2
    assert count(again.db) == 5
