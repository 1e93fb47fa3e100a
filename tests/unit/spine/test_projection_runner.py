"""The projection runner as a read model's owner checks it: every event applied once, in order,
and the checkpoint moved in the same transaction (nothing half-applied after a failure); the
per-stream guard that lets several partitions share one read model."""
import datetime as dt
import re

import pytest

from shared.events import NewEvent
from shared.projection import WAITING, Projection, ProjectionRunner, Route
from shared.readmodel import ReadModelDB


class Recording(Projection):
    """Writes down each event it applies (stream, version, position), and each prepare/finish."""
    name = "recording"
    sources = ("members",)

    def __init__(self):
        self.calls: list = []

    def ddl(self):
        return ("CREATE TABLE IF NOT EXISTS seen (position INTEGER, stream TEXT, version INTEGER, "
                "type TEXT);CREATE TABLE IF NOT EXISTS other_table (k TEXT);"
                "CREATE TABLE IF NOT EXISTS batches (ok INTEGER)")

    def prepare(self, tx, source, events):
        self.calls.append(("prepare", source, [e.position for e in events]))

    def finish(self, tx, ok=True):
        """What a batch kept is written here, in the batch's transaction."""
        self.calls.append(("finish", ok))
        tx.execute("INSERT INTO batches (ok) VALUES (?)", (ok,))

    def apply(self, tx, e):
        tx.execute("INSERT INTO seen (position, stream, version, type) VALUES (?, ?, ?, ?)",
                   (e.position, e.stream, e.stream_version, e.type))


def seen(db):
    return [tuple(r) for r in db.query("SELECT position, stream, version FROM seen ORDER BY position")]


def new(kind="member.died", i=0):
    return NewEvent(type=kind, data={"member_id": f"M{i}"}, occurred_on=dt.date(2021, 1, 1))


def append(store, n, stream="s-1", kind="member.died"):
    return store.append(stream, [new(kind, i) for i in range(n)])


def runner(tmp_path, projection=None, stores=None, name="read", **kw):
    return ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/{name}.db"), projection or Recording(), stores, **kw)


def test_the_tables_of_a_projection_are_read_from_its_ddl():
    assert Recording().tables() == ["seen", "other_table", "batches"]


def test_a_new_runner_stands_at_position_zero(store, tmp_path):
    r = runner(tmp_path, stores={"members": store})
    assert r.checkpoint("members") == 0
    assert r.catch_up("members") == 0


def test_the_first_delivery_is_applied_and_only_it(store, tmp_path):
    stored = append(store, 3)
    r = runner(tmp_path, stores={"members": store})
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert seen(r.db) == [(1, "s-1", 0)]
    assert r.checkpoint("members") == 1


def test_an_envelope_can_be_delivered_as_it_is(store, tmp_path):
    stored = append(store, 1)
    r = runner(tmp_path, stores={"members": store})
    assert r.handle("members", stored[0]) == "applied"
    assert seen(r.db) == [(1, "s-1", 0)]


def test_a_gap_is_filled_from_the_checkpoint_exactly(store, tmp_path):
    stored = append(store, 6)
    r = runner(tmp_path, stores={"members": store})
    r.handle("members", stored[1].to_message())   # 1 read from the store, then 2
    assert [p for p, *_ in seen(r.db)] == [1, 2]
    assert r.handle("members", stored[4].to_message()) == "filled"
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5]
    assert r.checkpoint("members") == 5


def test_burst_applies_what_the_store_already_holds_after_the_delivered_event(store, tmp_path):
    stored = append(store, 6)
    told = []
    r = runner(tmp_path, stores={"members": store}, burst=3, on_applied=lambda s, p: told.append((s, p)))
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3]
    assert r.checkpoint("members") == 3
    assert told == [("members", 3)]
    assert r.handle("members", stored[1].to_message()) == "duplicate"
    assert r.handle("members", stored[2].to_message()) == "duplicate"
    assert r.handle("members", stored[3].to_message()) == "applied"
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5, 6]
    assert told == [("members", 3), ("members", 6)]


def statements(db) -> list[str]:
    """Starts noting every statement ``db`` is sent (SQLite)."""
    sent: list[str] = []
    db._conn.set_trace_callback(sent.append)
    return sent


def test_a_burst_s_later_deliveries_are_told_duplicates_without_touching_the_read_model(store, tmp_path):
    """After a delivery applied a burst (or a catch-up a bulk write), the bus still rings once per
    event: those deliveries are duplicates, told from the checkpoint the runner committed, with no
    transaction; the first event beyond it is applied as usual."""
    stored = append(store, 6)
    r = runner(tmp_path, stores={"members": store}, burst=3)
    assert r.handle("members", stored[0].to_message()) == "applied"
    sent = statements(r.db)
    assert [r.handle("members", e.to_message()) for e in stored[:3]] == ["duplicate"] * 3
    assert r.handle("members", stored[1]) == "duplicate"  # an envelope delivered as it is, too
    assert sent == []
    assert r.handle("members", stored[3].to_message()) == "applied"
    assert sent and [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5, 6]


def test_deliveries_a_catch_up_passed_are_duplicates_without_a_transaction(store, tmp_path):
    stored = append(store, 4)
    r = runner(tmp_path, stores={"members": store})
    assert r.catch_up("members") == 4
    sent = statements(r.db)
    assert [r.handle("members", e.to_message()) for e in stored] == ["duplicate"] * 4
    assert sent == []


def test_a_batch_of_deliveries_is_applied_in_one_transaction_with_one_checkpoint_write(store, tmp_path):
    """The bus's prefetched burst, handed over together: every event up to the latest delivery,
    in store order whatever order they came in, prepared once, the checkpoint written once."""
    stored = append(store, 5)
    told = []
    r = runner(tmp_path, stores={"members": store}, on_applied=lambda s, p: told.append((s, p)))
    sent = statements(r.db)
    batch = [stored[2].to_message(), stored[0].to_message(), stored[3].to_message(), stored[1].to_message()]
    assert r.handle_batch("members", batch) == "applied"  # no gap: the store gave what the batch carried
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4]
    assert [c for c in r.projection.calls if c[0] == "prepare"] == [("prepare", "members", [1, 2, 3, 4])]
    assert len([q for q in sent if q.startswith("BEGIN")]) == 1
    assert len([q for q in sent if q.startswith("INSERT INTO projection_checkpoints")]) == 1
    assert r.checkpoint("members") == 4
    assert told == [("members", 4)]
    assert r.handle_batch("members", [stored[4]]) == "applied"  # envelopes as they are, too
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5]


class Unread(dict):
    """A delivery as the bus hands it to a lazy handler: its position known, its body read only
    when asked for (``shared.bus_batches.Delivery``); ``opened`` tells whether it was."""

    def __init__(self, message: dict):
        super().__init__(message)
        self.opened = False

    def get(self, key, default=None):
        if key != "position":
            self.opened = True
        return super().get(key, default)

    def __getitem__(self, key):
        self.opened = True
        return super().__getitem__(key)

    def keys(self):
        self.opened = True
        return super().keys()


def test_a_batch_reads_the_body_of_its_latest_delivery_only_and_none_once_applied(store, tmp_path):
    stored = append(store, 4)
    r = runner(tmp_path, stores={"members": store})
    batch = [Unread(e.to_message()) for e in stored[:3]]
    assert r.handle_batch("members", batch) == "applied"
    assert [d.opened for d in batch] == [False, False, True]  # the store gave the others
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3]
    again = [Unread(e.to_message()) for e in stored[:3]]  # redelivered: known duplicates
    assert r.handle_batch("members", again) == "duplicate"
    assert not any(d.opened for d in again)


def test_a_batch_redelivered_after_its_commit_is_a_duplicate_without_a_statement(store, tmp_path):
    """A process killed after the commit, before the ack: the broker delivers the batch again."""
    stored = append(store, 3)
    r = runner(tmp_path, stores={"members": store})
    batch = [e.to_message() for e in stored]
    assert r.handle_batch("members", batch) == "applied"
    sent = statements(r.db)
    assert r.handle_batch("members", batch) == "duplicate"
    assert r.handle_batch("members", []) == "duplicate"
    assert sent == [] and r.checkpoint("members") == 3
    again = runner(tmp_path, stores={"members": store})  # the restarted process: same read model
    assert again.handle_batch("members", list(reversed(batch))) == "duplicate"
    assert seen(again.db) == [(1, "s-1", 0), (2, "s-1", 1), (3, "s-1", 2)]


def test_a_batch_beyond_what_was_delivered_before_is_filled_from_the_store(store, tmp_path):
    stored = append(store, 6)
    r = runner(tmp_path, stores={"members": store})
    assert r.handle_batch("members", [stored[0].to_message()]) == "applied"
    assert r.handle_batch("members", [stored[4].to_message(), stored[3].to_message()]) == "filled"
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5]


def test_a_delivery_whose_position_is_text_in_a_batch_is_handled_alone_after_the_others(store, tmp_path):
    """A producer that wrote the position as text ("3"): not a number the batch can order by, so
    that delivery is validated (and read as position 3) and applied alone, after the others."""
    stored = append(store, 3)
    r = runner(tmp_path, stores={"members": store})
    text = {**stored[2].to_message(), "position": "3"}
    assert r.handle_batch("members", [text, stored[1].to_message(), stored[0].to_message()]) == "applied"
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3]
    assert r.checkpoint("members") == 3


def test_a_delivery_without_a_position_in_a_batch_is_handled_alone_after_the_others(store, tmp_path):
    stored = append(store, 2)
    r = runner(tmp_path, stores={"members": store})
    odd = {k: v for k, v in stored[0].to_message().items() if k != "position"}
    with pytest.raises(ValueError):  # refused as a single delivery without one is
        r.handle_batch("members", [odd, stored[1].to_message()])
    assert [p for p, *_ in seen(r.db)] == [1, 2]  # the others were applied first


def test_a_duplicate_seen_in_the_read_model_is_remembered(store, tmp_path):
    """Another runner (a replica) applied the events: this one learns the checkpoint from its first
    delivery's transaction and answers the next duplicates without one."""
    stored = append(store, 3)
    url = f"sqlite:///{tmp_path}/shared.db"
    other = ProjectionRunner(ReadModelDB(url), Recording(), {"members": store})
    assert other.catch_up("members") == 3
    r = ProjectionRunner(ReadModelDB(url), Recording(), {"members": store})
    assert r.handle("members", stored[2].to_message()) == "duplicate"  # read in a transaction
    sent = statements(r.db)
    assert r.handle("members", stored[0].to_message()) == "duplicate"
    assert r.handle("members", stored[2].to_message()) == "duplicate"
    assert sent == []


def test_a_delivery_is_not_taken_for_a_duplicate_before_its_checkpoint_is_known(store, tmp_path):
    stored = append(store, 2)
    r = runner(tmp_path, stores={"members": store})
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert r.handle("members", stored[1].to_message()) == "applied"
    assert seen(r.db) == [(1, "s-1", 0), (2, "s-1", 1)]


def test_a_checkpoint_moved_back_is_taken_by_the_next_catch_up_and_deliveries_follow_it(store, tmp_path):
    """An operator moving a checkpoint back (to apply again): a delivery in between may still be
    told a duplicate, the sweep's next catch-up reads the checkpoint as stored and applies from it,
    and deliveries are judged against the checkpoint it read from then on — here the catch-up
    stops at a failing event, whose delivery then applies it."""
    class FailsOnce(Recording):
        failed = False

        def apply(self, tx, e):
            if e.position == 3 and not self.failed:
                self.failed = True
                raise RuntimeError("the disk was full for a moment")
            super().apply(tx, e)
    stored = append(store, 3)
    r = runner(tmp_path, FailsOnce(), stores={"members": store})
    r.projection.failed = True
    assert r.catch_up("members") == 3
    # by hand, the recorded event id goes with the position (NULL: not recorded; the old one would
    # be another event than the one at position 1, which is how a restored store is told)
    r.db.executescript("UPDATE projection_checkpoints SET position = 1, event_id = NULL; "
                       "DELETE FROM seen WHERE position > 1")
    assert r.handle("members", stored[1].to_message()) == "duplicate"  # not yet known: the sweep's
    r.projection.failed = False
    with pytest.raises(RuntimeError):
        r.catch_up("members", batch=1)  # 2 applied, 3 failed
    assert r.checkpoint("members") == 2
    assert r.handle("members", stored[2].to_message()) == "applied"
    assert seen(r.db) == [(1, "s-1", 0), (2, "s-1", 1), (3, "s-1", 2)]


def test_without_burst_only_the_delivered_event_is_applied(store, tmp_path):
    stored = append(store, 3)
    told = []
    r = runner(tmp_path, stores={"members": store}, on_applied=lambda s, p: told.append((s, p)))
    r.handle("members", stored[0].to_message())
    r.handle("members", stored[0].to_message())   # a duplicate tells nobody
    assert told == [("members", 1)]
    assert r.checkpoint("members") == 1


def test_types_not_wanted_only_move_the_checkpoint(store, tmp_path):
    class Deaths(Recording):
        types = frozenset({"member.died"})
    store.append("s-1", [new("member.died", 0), new("member.admitted", 1), new("member.died", 2)])
    r = runner(tmp_path, Deaths(), {"members": store})
    assert r.catch_up("members") == 3
    assert [p for p, *_ in seen(r.db)] == [1, 3]
    assert r.checkpoint("members") == 3


def test_catch_up_applies_in_batches_and_reports_each(store, tmp_path):
    append(store, 5)
    progress, told = [], []
    proj = Recording()
    r = runner(tmp_path, proj, {"members": store}, on_applied=lambda s, p: told.append((s, p)))
    assert r.catch_up("members", batch=2, progress=progress.append) == 5
    assert progress == [2, 2, 1]
    assert told == [("members", 2), ("members", 4), ("members", 5)]
    assert [c for c in proj.calls if c[0] == "prepare"] == [
        ("prepare", "members", [1, 2]), ("prepare", "members", [3, 4]), ("prepare", "members", [5])]
    assert [c for c in proj.calls if c[0] == "finish"] == [("finish", True)] * 3
    assert [p for p, *_ in seen(r.db)] == [1, 2, 3, 4, 5]


def test_catch_up_all_reads_each_source_the_runner_has_a_store_for(tmp_path):
    from shared.eventstore.sqlite import SQLiteEventStore

    class Two(Recording):
        sources = ("members", "meetings", "discipline")   # no store for discipline here
    members, meetings = SQLiteEventStore(tmp_path / "m.db"), SQLiteEventStore(tmp_path / "g.db")
    try:
        append(members, 2)
        append(meetings, 3, stream="mt-1")
        r = runner(tmp_path, Two(), {"members": members, "meetings": meetings})
        assert r.catch_up_all() == 5
        assert r.checkpoint("members") == 2 and r.checkpoint("meetings") == 3
    finally:
        members.close()
        meetings.close()


class Failing(Recording):
    def apply(self, tx, e):
        super().apply(tx, e)
        if e.position == 2:
            raise RuntimeError("broken read model")


def test_a_failure_rolls_back_the_batch_and_its_checkpoint(store, tmp_path):
    stored = append(store, 3)
    proj = Failing()
    r = runner(tmp_path, proj, {"members": store})
    with pytest.raises(RuntimeError):
        r.handle("members", stored[2].to_message())
    assert seen(r.db) == [] and r.checkpoint("members") == 0
    assert r.db.query("SELECT * FROM batches") == []      # rolled back with the rest
    assert proj.calls[-1] == ("finish", False)
    assert ("finish", True) not in proj.calls


class Routed(Recording):
    """Applies stream s-1, leaves s-2 to another runner, and cannot tell yet for s-3."""
    def route(self, tx, source, e):
        # a real route reads the read model (which unit a member is in now) and its source
        assert tx.scalar("SELECT COUNT(*) FROM seen") >= 0 and source == "members"
        return {"s-1": Route.MINE, "s-2": Route.OTHER}.get(e.stream, Route.WAIT)


def test_another_partitions_events_only_move_the_checkpoint(store, tmp_path):
    append(store, 1, "s-1")
    append(store, 1, "s-2")
    append(store, 1, "s-1")
    r = runner(tmp_path, Routed(), {"members": store})
    assert r.catch_up("members") == 3
    assert [p for p, *_ in seen(r.db)] == [1, 3]
    assert r.checkpoint("members") == 3


def test_a_batch_prepares_only_the_events_its_runner_applies(store, tmp_path):
    """Another partition's events, and types not wanted, are passed but not prepared: a partition
    locks and reads ahead only what it writes (the other partition prepares its own)."""
    class Deaths(Routed):
        types = frozenset({"member.died"})
    append(store, 1, "s-1")
    append(store, 1, "s-2")
    store.append("s-1", [new("member.admitted", 1), new("member.died", 2)])
    r = runner(tmp_path, Deaths(), {"members": store})
    assert r.catch_up("members") == 4
    assert [c for c in r.projection.calls if c[0] == "prepare"] == [("prepare", "members", [1, 4])]
    assert [p for p, *_ in seen(r.db)] == [1, 4]


def test_an_event_that_must_wait_stops_the_runner_before_it(store, tmp_path):
    a = append(store, 1, "s-1")
    append(store, 1, "s-3")
    c = append(store, 1, "s-1")
    told = []
    r = runner(tmp_path, Routed(), {"members": store}, on_applied=lambda s, p: told.append((s, p)))
    assert r.catch_up("members") == 1          # waits at 2: 3 is not applied past it
    assert [p for p, *_ in seen(r.db)] == [1]
    assert r.checkpoint("members") == 1
    assert told == [("members", 1)]
    assert r.handle("members", c[0].to_message()) == WAITING
    assert r.checkpoint("members") == 1 and [p for p, *_ in seen(r.db)] == [1]
    assert r.handle("members", a[0].to_message()) == "duplicate"


def test_a_delivered_event_that_must_wait_applies_nothing_and_waits(store, tmp_path):
    b = append(store, 1, "s-3")
    told = []
    r = runner(tmp_path, Routed(), {"members": store}, on_applied=lambda s, p: told.append((s, p)))
    assert r.handle("members", b[0].to_message()) == WAITING
    assert r.checkpoint("members") == 0 and told == []


# -- the per-stream guard (partitions sharing one read model) ------------------------------------

class Guarded(Recording):
    streams_table = "heads"

    def __init__(self, name="p0", mine=None, lenient=False):
        super().__init__()
        self.name, self.mine, self.lenient_streams = name, mine, lenient

    def ddl(self):
        return super().ddl() + (";CREATE TABLE IF NOT EXISTS heads (source TEXT, stream TEXT, version INTEGER, "
                                "PRIMARY KEY (source, stream))")

    def route(self, tx, source, e):
        return Route.MINE if self.mine is None or self.mine(e) else Route.OTHER


def heads(db):
    return dict(db.query("SELECT stream, version FROM heads"))


def test_the_guard_keeps_each_streams_last_applied_version(store, tmp_path):
    append(store, 3, "s-1")
    append(store, 2, "s-2")
    r = runner(tmp_path, Guarded(), {"members": store})
    assert r.catch_up("members", batch=2) == 5
    assert heads(r.db) == {"s-1": 2, "s-2": 1}
    assert [(s, v) for _, s, v in seen(r.db)] == [("s-1", 0), ("s-1", 1), ("s-1", 2), ("s-2", 0), ("s-2", 1)]


def test_a_streams_next_event_waits_until_its_previous_one_is_applied_by_the_other_partition(store, tmp_path):
    """Partition 0 owns s-1's first event, partition 1 its second: partition 1 waits for 0."""
    append(store, 2, "s-1")
    url = f"sqlite:///{tmp_path}/shared.db"
    p0 = ProjectionRunner(ReadModelDB(url), Guarded("p0", lambda e: e.position == 1), {"members": store})
    p1 = ProjectionRunner(ReadModelDB(url), Guarded("p1", lambda e: e.position == 2), {"members": store})
    assert p1.catch_up("members") == 1          # its first is another's; its own (version 1) waits
    assert p1.checkpoint("members") == 1 and seen(p1.db) == []
    assert p0.catch_up("members") == 2
    assert seen(p0.db) == [(1, "s-1", 0)]
    assert p1.catch_up("members") == 1
    assert seen(p1.db) == [(1, "s-1", 0), (2, "s-1", 1)]
    assert heads(p1.db) == {"s-1": 1}


def test_an_event_the_other_partition_already_applied_is_not_applied_twice(store, tmp_path):
    """A member moved between partitions: both route the stream's event to themselves."""
    append(store, 2, "s-1")
    url = f"sqlite:///{tmp_path}/shared.db"
    p0 = ProjectionRunner(ReadModelDB(url), Guarded("p0"), {"members": store})
    p1 = ProjectionRunner(ReadModelDB(url), Guarded("p1"), {"members": store})
    assert p0.catch_up("members") == 2
    assert p1.catch_up("members") == 2
    assert seen(p1.db) == [(1, "s-1", 0), (2, "s-1", 1)]
    assert p1.checkpoint("members") == 2 and heads(p1.db) == {"s-1": 1}


def test_a_stream_without_a_head_row_waits_for_its_first_event_unless_lenient(store, tmp_path):
    store.append("s-1", [new()])
    later = store.append("s-1", [new(i=1)])
    strict = runner(tmp_path, Guarded(mine=lambda e: e.position == 2), {"members": store}, name="strict")
    assert strict.handle("members", later[0].to_message()) == WAITING
    assert seen(strict.db) == [] and heads(strict.db) == {}
    lenient = runner(tmp_path, Guarded(mine=lambda e: e.position == 2, lenient=True), {"members": store},
                     name="lenient")
    assert lenient.handle("members", later[0].to_message()) == "filled"
    assert seen(lenient.db) == [(2, "s-1", 1)] and heads(lenient.db) == {"s-1": 1}


class Racing(Guarded):
    """Another runner writes a stream head between this batch's read of the heads and its write."""
    def __init__(self, meanwhile, **kw):
        super().__init__(**kw)
        self.meanwhile = meanwhile

    def prepare(self, tx, source, events):
        super().prepare(tx, source, events)
        tx.execute(self.meanwhile)


def test_a_head_written_meanwhile_rolls_the_batch_back(store, tmp_path):
    stored = append(store, 1, "s-1")
    r = runner(tmp_path, Racing("INSERT INTO heads VALUES ('members', 's-1', 0)"), {"members": store})
    assert r.handle("members", stored[0].to_message()) == WAITING
    assert seen(r.db) == [] and r.checkpoint("members") == 0 and heads(r.db) == {}
    assert r.catch_up("members") == 0
    assert seen(r.db) == [] and r.checkpoint("members") == 0


def test_a_head_moved_meanwhile_rolls_the_batch_back(store, tmp_path):
    append(store, 1, "s-1")
    more = append(store, 1, "s-1")
    r = runner(tmp_path, Guarded(), {"members": store})
    r.catch_up("members")
    r.projection.__class__ = Racing
    r.projection.meanwhile = "UPDATE heads SET version = 5"
    before = seen(r.db)
    store.append("s-1", [new(i=2)])
    assert r.handle("members", more[0].to_message()) == "duplicate"
    assert r.catch_up("members") == 0
    assert seen(r.db) == before and r.checkpoint("members") == 2 and heads(r.db) == {"s-1": 1}


def test_lenient_heads_written_meanwhile_by_a_newer_runner_are_moved_on(store, tmp_path):
    stored = append(store, 3, "s-1")
    r = runner(tmp_path, Racing("INSERT INTO heads VALUES ('members', 's-1', 0)", lenient=True),
               {"members": store}, burst=3)
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert heads(r.db) == {"s-1": 2} and r.checkpoint("members") == 3


def test_lenient_heads_written_meanwhile_further_on_are_not_moved_back(store, tmp_path):
    stored = append(store, 1, "s-1")
    r = runner(tmp_path, Racing("INSERT INTO heads VALUES ('members', 's-1', 7)", lenient=True),
               {"members": store})
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert heads(r.db) == {"s-1": 7}


def test_a_burst_of_two_applies_the_next_stored_event_too(store, tmp_path):
    stored = append(store, 3)
    r = runner(tmp_path, stores={"members": store}, burst=2)
    assert r.handle("members", stored[0].to_message()) == "applied"
    assert [p for p, *_ in seen(r.db)] == [1, 2] and r.checkpoint("members") == 2


def test_catch_up_works_in_transactions_of_two_thousand_events(store, tmp_path):
    store.append("s-1", [new(i=i) for i in range(2001)])
    progress = []
    r = runner(tmp_path, stores={"members": store})
    assert r.catch_up("members", progress=progress.append) == 2001
    assert progress == [2000, 1]
    assert r.db.query("SELECT COUNT(*) FROM batches WHERE ok") == [(2,)]


class Gappy:
    """A store whose positions have gaps, as KurrentDB's do."""
    def __init__(self, events):
        self.events = events

    def read_all(self, from_position=1, limit=None, to_position=None):
        got = [e for e in self.events if e.position >= from_position
               and (to_position is None or e.position <= to_position)]
        return iter(got if limit is None else got[:limit])


def test_a_gap_in_the_stores_positions_is_not_a_missed_event(store, tmp_path):
    stored = append(store, 3)
    a = stored[0]
    b = stored[2].model_copy(update={"position": 40})
    r = runner(tmp_path, stores={"members": Gappy([a, b])})
    assert r.handle("members", a.to_message()) == "applied"
    assert r.handle("members", b.to_message()) == "applied"    # nothing between 1 and 40: not "filled"
    assert r.checkpoint("members") == 40 and [p for p, *_ in seen(r.db)] == [1, 40]


def test_the_guard_reads_the_heads_of_more_than_a_thousand_streams_in_one_batch(store, tmp_path):
    n = 1100
    store.append_batch([(f"s-{i:04}", [new(i=i)], -1) for i in range(n)])
    r = runner(tmp_path, Guarded(), {"members": store})
    assert r.catch_up("members", batch=n) == n
    store.append_batch([(f"s-{i:04}", [new(i=i)], 0) for i in range(n)])
    assert r.catch_up("members", batch=n) == n
    assert len(seen(r.db)) == 2 * n and set(heads(r.db).values()) == {1}


class Deadlocked(Recording):
    """The database rolls the first ``times`` batches back to break a deadlock (or a serialisation
    failure): the exception psycopg raises for it, as the runner meets it."""
    def __init__(self, times, error):
        super().__init__()
        self.times, self.error = times, error

    def apply(self, tx, e):
        super().apply(tx, e)
        if self.times:
            self.times -= 1
            raise self.error()


@pytest.mark.parametrize("error", ["DeadlockDetected", "SerializationFailure"])
def test_a_batch_rolled_back_to_break_a_deadlock_is_tried_again(store, tmp_path, error):
    import psycopg.errors
    append(store, 3)
    r = runner(tmp_path, Deadlocked(3, getattr(psycopg.errors, error)), {"members": store})
    assert r.catch_up("members") == 3  # three rollbacks, then the fourth try goes through
    assert seen(r.db) == [(1, "s-1", 0), (2, "s-1", 1), (3, "s-1", 2)] and r.checkpoint("members") == 3
    more = append(store, 1)
    r.projection.times = 2
    assert r.handle("members", more[0].to_message()) == "applied"
    assert seen(r.db)[-1] == (4, "s-1", 3) and r.checkpoint("members") == 4


def test_a_batch_still_deadlocked_after_a_few_tries_is_left_to_the_next_round(store, tmp_path):
    import psycopg.errors
    stored = append(store, 2)
    r = runner(tmp_path, Deadlocked(4, psycopg.errors.DeadlockDetected), {"members": store})
    assert r.catch_up("members") == 0 and seen(r.db) == [] and r.checkpoint("members") == 0
    r.projection.times = 4
    assert r.handle("members", stored[0].to_message()) == WAITING
    assert seen(r.db) == [] and r.checkpoint("members") == 0
    assert r.catch_up("members") == 2 and r.checkpoint("members") == 2


def test_other_database_errors_are_not_tried_again(store, tmp_path):
    import psycopg.errors
    stored = append(store, 2)
    r = runner(tmp_path, Deadlocked(1, psycopg.errors.UniqueViolation), {"members": store})
    with pytest.raises(psycopg.errors.UniqueViolation):
        r.catch_up("members")
    r.projection.times = 1
    with pytest.raises(psycopg.errors.UniqueViolation):
        r.handle("members", stored[0].to_message())
    assert seen(r.db) == [] and r.checkpoint("members") == 0


class LockingInTurn(Recording):
    """Its first batch takes row 1 of ``locks``, then row 2 while another connection holds row 2
    and waits for row 1: a real deadlock, which PostgreSQL breaks by rolling this batch back."""
    def __init__(self, url):
        super().__init__()
        self.url, self.provoked, self.other = url, False, None

    def ddl(self):
        return super().ddl() + ";CREATE TABLE IF NOT EXISTS locks (id INTEGER PRIMARY KEY, n INTEGER)"

    def finish(self, tx, ok=True):
        self.calls.append(("finish", ok))

    def prepare(self, tx, source, events):
        super().prepare(tx, source, events)
        if self.provoked:
            return
        self.provoked = True
        import threading
        import time

        import psycopg
        held = threading.Event()

        def other():
            with psycopg.connect(self.url, autocommit=False) as conn:
                conn.execute("SET deadlock_timeout = '10s'")  # this side waits: PostgreSQL picks the batch
                conn.execute("UPDATE locks SET n = n + 1 WHERE id = 2")
                held.set()
                time.sleep(0.1)
                conn.execute("UPDATE locks SET n = n + 1 WHERE id = 1")  # waits for the batch
                conn.commit()
        tx.execute("SET LOCAL deadlock_timeout = '500ms'")
        tx.execute("UPDATE locks SET n = n + 1 WHERE id = 1 RETURNING id").fetchone()
        self.other = threading.Thread(target=other)
        self.other.start()
        held.wait(10)
        tx.execute("UPDATE locks SET n = n + 1 WHERE id = 2 RETURNING id").fetchone()  # deadlock


def test_a_real_postgres_deadlock_rolls_the_batch_back_and_it_is_tried_again(store):
    from tests.support.services import pg_database
    with pg_database() as url:
        proj = LockingInTurn(url)
        r = ProjectionRunner(ReadModelDB(url), proj, {"members": store})
        try:
            r.db.executescript("INSERT INTO locks VALUES (1, 0), (2, 0)")
            append(store, 2)
            assert r.catch_up("members") == 2
            proj.other.join(10)
            assert proj.provoked and ("finish", True) in proj.calls
            assert seen(r.db) == [(1, "s-1", 0), (2, "s-1", 1)] and r.checkpoint("members") == 2
            # the other connection went through once the batch was rolled back; the retry did not lock
            assert sorted(r.db.query("SELECT id, n FROM locks")) == [(1, 1), (2, 1)]
        finally:
            r.db.close()


class DeadlockedPerBatch(Recording):
    """Each batch is rolled back ``times`` times (a deadlock) before it goes through."""
    def __init__(self, times):
        super().__init__()
        self.times, self.left = times, {}

    def prepare(self, tx, source, events):
        super().prepare(tx, source, events)
        first = events[0].position
        self.left.setdefault(first, self.times)
        if self.left[first]:
            import psycopg.errors
            self.left[first] -= 1
            raise psycopg.errors.DeadlockDetected()


def test_each_batch_of_a_catch_up_gets_its_own_tries(store, tmp_path):
    append(store, 6)
    r = runner(tmp_path, DeadlockedPerBatch(3), {"members": store})
    assert r.catch_up("members", batch=2) == 6  # three rollbacks of each of the three batches
    assert len(seen(r.db)) == 6 and r.checkpoint("members") == 6


class GuardedOnPostgres(Guarded):
    def finish(self, tx, ok=True):  # ``batches.ok`` is an integer there, not a boolean
        self.calls.append(("finish", ok))


def test_on_postgresql_the_guard_reads_the_batchs_heads_of_its_own_source(store):
    """PostgreSQL reads the heads of a batch's streams in one statement, joined to their names
    (the IN list a prepared statement plans once made it scan the whole source per name)."""
    from tests.support.services import pg_database
    n = 1100
    store.append_batch([(f"s-{i:04}", [new(i=i)], -1) for i in range(n)])
    with pg_database() as url:
        r = ProjectionRunner(ReadModelDB(url), GuardedOnPostgres(), {"members": store})
        try:
            assert r.catch_up("members", batch=n) == n
            store.append_batch([(f"s-{i:04}", [new(i=i)], 0) for i in range(n)])
            # another source's stream of the same name is not this one's: its first event applies
            r.db.executescript("INSERT INTO heads (source, stream, version) VALUES ('discipline', 's-new', 0)")
            store.append("s-new", [new(i=n)])
            assert r.catch_up("members", batch=n + 1) == n + 1
            assert len(seen(r.db)) == 2 * n + 1
            assert dict(r.db.query("SELECT stream, version FROM heads WHERE source = 'members'")) == {
                **{f"s-{i:04}": 1 for i in range(n)}, "s-new": 0}
        finally:
            r.db.close()


class RacingOnPostgres(Racing):
    def finish(self, tx, ok=True):
        self.calls.append(("finish", ok))


def test_on_postgresql_the_heads_move_in_one_statement_and_one_moved_meanwhile_rolls_the_batch_back(store):
    from tests.support.services import pg_database
    append(store, 1, "s-1")
    append(store, 1, "s-2")
    with pg_database() as url:
        proj = RacingOnPostgres("SELECT 1")
        r = ProjectionRunner(ReadModelDB(url), proj, {"members": store})
        try:
            assert r.catch_up("members") == 2
            store.append("s-1", [new(i=2)])
            store.append("s-2", [new(i=3)])
            proj.meanwhile = "UPDATE heads SET version = 5 WHERE stream = 's-2'"
            before = seen(r.db)
            assert r.catch_up("members") == 0  # s-2 moved by another: nothing of the batch stays
            assert seen(r.db) == before and r.checkpoint("members") == 2 and heads(r.db) == {"s-1": 0, "s-2": 0}
            proj.meanwhile = "SELECT 1"
            assert r.catch_up("members") == 2
            assert heads(r.db) == {"s-1": 1, "s-2": 1} and r.checkpoint("members") == 4
        finally:
            r.db.close()


class Counting:
    """A store that notes where each read starts and how many events it asks for; and apart, where
    each read of rows starts (the one row at the checkpoint a batch checks, SQL stores)."""
    def __init__(self, inner):
        self.inner, self.reads, self.checks = inner, [], []
        if hasattr(inner, "read_rows"):
            self.read_rows = self._read_rows

    def _read_rows(self, columns, from_position=1, page=1000):
        self.checks.append((from_position, page))
        return self.inner.read_rows(columns, from_position, page)

    def read_all(self, from_position=1, limit=None, to_position=None):
        self.reads.append((from_position, limit))
        return self.inner.read_all(from_position, limit=limit, to_position=to_position)


def waiting_partitions(store, tmp_path):
    """s-1's first event (partition 0's), then s-1's second, s-2, s-3 and s-4's first (partition 1's):
    partition 1, reading through a ``Counting`` store, waits at position 2 for partition 0."""
    append(store, 2, "s-1")
    for stream in ("s-2", "s-3", "s-4"):
        append(store, 1, stream)
    url = f"sqlite:///{tmp_path}/shared.db"
    p0 = ProjectionRunner(ReadModelDB(url), Guarded("p0", lambda e: e.position == 1), {"members": store})
    counted = Counting(store)
    p1 = ProjectionRunner(ReadModelDB(url), Guarded("p1", lambda e: e.position != 1), {"members": counted})
    return p0, p1, counted


def test_a_batch_that_waited_is_read_again_from_what_it_read_then_the_store_after_it(store, tmp_path):
    """Partition 1 stops at s-1's second event (partition 0 owns the first): its next catch-ups take
    the events from there out of their last read, and ask the store only for what follows them."""
    p0, p1, counted = waiting_partitions(store, tmp_path)
    assert p1.catch_up("members", batch=10) == 1 and p1.checkpoint("members") == 1
    assert p1.catch_up("members", batch=10) == 0  # 2..5 as read before, the store after 5
    assert p1.catch_up("members", batch=3) == 0   # 2..4 as read before: the store not at all
    assert counted.reads == [(1, 10), (6, 6)]
    # each batch from a checkpoint past 0: one row at it, and one at the last event kept (still the store's?)
    assert counted.checks == [(1, 1), (5, 1), (1, 1), (5, 1)]
    assert p0.catch_up("members", batch=10) == 5
    store.append("s-2", [new(i=6)])
    assert p1.catch_up("members", batch=5) == 5   # 2..4 as read before, 5 and 6 from the store
    assert counted.reads == [(1, 10), (6, 6), (5, 2), (7, 5)]
    assert counted.checks == [(1, 1), (5, 1), (1, 1), (5, 1), (1, 1), (4, 1), (6, 1)]
    assert [p for p, *_ in seen(p1.db)] == [1, 2, 3, 4, 5, 6] and p1.checkpoint("members") == 6


def test_a_checkpoint_moved_back_reads_the_store_from_it(store, tmp_path):
    p0, p1, counted = waiting_partitions(store, tmp_path)
    assert p1.catch_up("members", batch=10) == 1
    assert p1.catch_up("members", batch=10) == 0  # 2..5 kept
    p1.db.executescript("UPDATE projection_checkpoints SET position = 0 WHERE projection = 'p1'")
    assert p1.catch_up("members", batch=10) == 1  # from 1 again, not from what was kept
    assert counted.reads == [(1, 10), (6, 6), (1, 10)]
    assert seen(p1.db) == [] and p1.checkpoint("members") == 1


def test_a_store_with_gaps_is_read_again_from_the_checkpoint(store, tmp_path):
    """Positions with gaps (KurrentDB): what was read cannot show that nothing lies between, so a
    batch that waited reads the store again from its checkpoint."""
    first, second = append(store, 2, "s-1")
    gappy = Counting(Gappy([first, second.model_copy(update={"position": 40})]))
    url = f"sqlite:///{tmp_path}/shared.db"
    p0 = ProjectionRunner(ReadModelDB(url), Guarded("p0", lambda e: e.position == 1), {"members": store})
    p1 = ProjectionRunner(ReadModelDB(url), Guarded("p1", lambda e: e.position != 1), {"members": gappy})
    assert p1.catch_up("members") == 1 and p0.catch_up("members") == 2
    assert p1.catch_up("members") == 1
    # 1 and 40: the one event at the checkpoint, checked before each batch (no rows read: KurrentDB)
    assert [start for start, _ in gappy.reads] == [1, 1, 2, 40, 41]
    assert seen(p1.db) == [(1, "s-1", 0), (40, "s-1", 1)] and p1.checkpoint("members") == 40


def heads_asked(db) -> list[list[str]]:
    """Starts noting the stream names of every read of the heads ``db`` is sent (SQLite)."""
    asked: list[list[str]] = []

    def note(sql: str) -> None:
        if sql.startswith("SELECT stream, version FROM heads"):
            asked.append(re.findall(r"'(s-[^']*)'", sql))
    db._conn.set_trace_callback(note)
    return asked


def test_a_batch_that_must_wait_after_its_first_events_reads_only_the_heads_it_reaches(store, tmp_path):
    """Partition 1 meets s-a's second event (partition 0 owns the first) as the second of a batch of
    1,002: it waits there, having asked for the heads of the first 64 events' streams, not of all
    1,001. Once partition 0 has applied it, the whole batch passes, its heads read in windows of
    64, 128, 256 … events (six reads), every stream once, and it applies as one read would."""
    append(store, 2, "s-a")
    store.append_batch([(f"s-{i:04}", [new(i=i)], -1) for i in range(1000)])
    url = f"sqlite:///{tmp_path}/shared.db"
    p0 = ProjectionRunner(ReadModelDB(url), Guarded("p0", lambda e: e.position == 1), {"members": store})
    p1 = ProjectionRunner(ReadModelDB(url), Guarded("p1", lambda e: e.position != 1), {"members": store})
    asked = heads_asked(p1.db)
    assert p1.catch_up("members", batch=1002) == 1 and p1.checkpoint("members") == 1
    assert [len(names) for names in asked] == [63]  # s-a and s-0000 … s-0061
    assert asked[0][:3] == ["s-a", "s-0000", "s-0001"] and seen(p1.db) == []
    assert p0.catch_up("members") == 1002  # applies position 1, passes the rest (partition 1's)
    asked.clear()
    assert p1.catch_up("members", batch=1001) == 1001
    assert [len(names) for names in asked] == [64, 128, 256, 500, 12, 41]  # 64 … 512 (500 a statement), 41
    assert sorted(n for names in asked for n in names) == sorted(["s-a"] + [f"s-{i:04}" for i in range(1000)])
    assert len(seen(p1.db)) == 1002 and heads(p1.db) == {"s-a": 1, **{f"s-{i:04}": 0 for i in range(1000)}}


def test_a_stream_read_alone_when_the_event_is_not_among_the_batchs(store, tmp_path):
    """The guard asked about an event outside the batch it was given reads that stream's head
    alone (once every window is read), and answers as for any other."""
    from shared.projection import _Heads
    append(store, 2, "s-1")
    first, second = store.read_all(1)
    db = ReadModelDB(f"sqlite:///{tmp_path}/alone.db")
    db.executescript(Guarded().ddl() + ";INSERT INTO heads VALUES ('members', 's-1', 0)")
    with db.transaction() as tx:
        guard = _Heads(tx, Guarded(), "members", [])
        assert guard.step(second) == "apply" and guard.step(first) == "duplicate"
        assert guard.before == {"s-1": 0}


def test_a_catch_up_that_stops_to_wait_remembers_what_it_passed(store, tmp_path):
    """Partition 1 passes position 1 (partition 0's) and stops at 2 to wait: position 1's delivery
    is then a duplicate told without a transaction."""
    p0, p1, counted = waiting_partitions(store, tmp_path)
    assert p1.catch_up("members") == 1 and p1.checkpoint("members") == 1
    sent = statements(p1.db)
    first = list(store.read_all(1, limit=1))[0]
    assert p1.handle("members", first.to_message()) == "duplicate"
    assert sent == []

