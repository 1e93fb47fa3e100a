"""A store restored from an older backup behind a projection or a relay (QA: the checkpoints were
ahead of the restored head, so events appended after the restore took positions the checkpoint
said were applied, and were skipped as duplicates: a silent drop).

The runner now stops applying that source and says why on ``/readyz`` (Vietnamese and English)
until the read model is rebuilt; the relay publishes again what the restored log holds past its
own checkpoint. Real SQLite files, restored with SQLite's backup API (what copying the file back
does, without tearing its write-ahead log)."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid

import pytest
from kombu import Connection, Queue

from shared import checkpoints_watch, ops
from shared.events import NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.projection import DIVERGED, ProjectionRunner, Route
from shared.readmodel import ReadModelDB
from shared.relay import Relay, event_exchange
from tests.unit.spine.test_projection_runner import Recording, seen


def copy(src: str, dst: str) -> None:
    """A consistent copy of the SQLite database ``src`` into ``dst`` (a backup, or its restore)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def add(store, n: int, tag: str) -> list:
    return store.append(f"s-{tag}", [NewEvent(type="member.died", data={"member_id": f"{tag}{i}"},
                                              occurred_on=dt.date(2021, 1, 1)) for i in range(n)])


class Site:
    """A members store and a read model projected from it, in ``tmp_path``."""

    def __init__(self, tmp_path):
        self.path = str(tmp_path / "members.events.db")
        self.backup = str(tmp_path / "members.backup.db")
        self.store = SQLiteEventStore(self.path)
        self.db = ReadModelDB(f"sqlite:///{tmp_path}/read.db")
        self.runner = ProjectionRunner(self.db, Recording(), {"members": self.store})

    def take_backup(self) -> None:
        copy(self.path, self.backup)

    def restore(self) -> None:
        """Copy the backup back over the store (the running runner keeps its objects)."""
        self.store.close()
        copy(self.backup, self.path)
        self.store = SQLiteEventStore(self.path)
        self.runner.stores = {"members": self.store}

    def close(self):
        self.store.close()
        self.db.close()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()


def failed(name="recording", source="members") -> dict | None:
    return checkpoints_watch.snapshot().get(f"projection:{name}/{source}")


def readyz_checkpoints() -> dict:
    """The ``checkpoints`` part of ``/readyz`` as the ops server answers it."""
    class Runner:
        containers: list = []
    body = b"".join(ops.wsgi_app(Runner(), None)({"PATH_INFO": "/readyz"}, lambda status, headers: None))
    return json.loads(body.decode("utf-8"))["checkpoints"]


def test_new_events_at_positions_below_the_old_checkpoint_stop_the_source_and_say_why(site):
    """Backup at 3; the read model goes on to 5; the store is restored (head 3) and one event is
    appended (position 4): it is not skipped silently — the source is reported failed."""
    add(site.store, 3, "a")
    site.take_backup()
    add(site.store, 2, "b")
    assert site.runner.catch_up("members") == 5
    site.restore()
    new = add(site.store, 1, "new")
    assert site.runner.catch_up("members") == 0
    assert [p for p, *_ in seen(site.db)] == [1, 2, 3, 4, 5]  # nothing more applied on a restored store
    state = failed()
    assert state["state"] == "failed" and state["checkpoint"] == 5 and state["head"] == 4
    # which read model stopped, and on which store: what the operator rebuilds
    assert (state["kind"], state["name"], state["source"]) == ("projection", "recording", "members")
    assert "khôi phục" in state["message_vi"] and "restored" in state["message_en"]
    assert state["action"] == "dangvien rebuild <service>"
    assert readyz_checkpoints()["projection:recording/members"]["message_vi"] == state["message_vi"]
    # a fresh process (no memory of the checkpoint) is told the same by its first catch-up
    again = ProjectionRunner(site.db, Recording(), {"members": site.store})
    assert again.handle("members", new[0].to_message()) == "duplicate"  # at or below the checkpoint
    assert again.catch_up("members") == 0 and failed() is not None
    # the rebuild writes the rows from the restored store, new event included, and clears the state
    assert site.runner.rebuild() == 4
    assert seen(site.db) == [(1, "s-a", 0), (2, "s-a", 1), (3, "s-a", 2), (4, "s-new", 0)]
    assert failed() is None
    more = add(site.store, 1, "more")
    assert site.runner.handle("members", more[0].to_message()) == "applied"
    assert [p for p, *_ in seen(site.db)] == [1, 2, 3, 4, 5]


def test_a_restored_store_written_on_past_the_old_head_is_told_by_the_event_id(site):
    """Backup at 3; the read model goes on to 5; restored and written on to 6: the head is past the
    checkpoint again, but the event at 5 is not the one applied — without the recorded id, 4 and 5
    were skipped and 6 applied."""
    add(site.store, 3, "a")
    site.take_backup()
    add(site.store, 2, "b")
    assert site.runner.catch_up("members") == 5
    site.restore()
    new = add(site.store, 3, "new")  # positions 4, 5, 6
    assert site.runner.handle("members", new[2].to_message()) == DIVERGED
    assert site.runner.catch_up("members") == 0
    assert [p for p, *_ in seen(site.db)] == [1, 2, 3, 4, 5] and site.runner.checkpoint("members") == 5
    state = failed()
    assert state["checkpoint"] == 5 and state["head"] == 6
    assert "vị trí 5" in state["message_vi"] and "position 5" in state["message_en"]
    site.runner.rebuild()
    assert seen(site.db)[3:] == [(4, "s-new", 0), (5, "s-new", 1), (6, "s-new", 2)]
    assert failed() is None


def test_a_rebuild_in_another_process_lets_the_running_runner_go_on(site, tmp_path):
    """``dangvien rebuild`` runs in its own process: the service's runner sees the new checkpoint
    on its next round and applies again."""
    add(site.store, 3, "a")
    site.take_backup()
    add(site.store, 2, "b")
    site.runner.catch_up("members")
    site.restore()
    add(site.store, 1, "new")
    assert site.runner.catch_up("members") == 0 and failed() is not None
    other = ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Recording(), {"members": site.store})
    other.rebuild()
    after = add(site.store, 2, "after")  # 5 (at or below the checkpoint it remembers: left to the sweep), 6
    # the first delivery past it applies again, and /readyz says so at once (not one round later)
    assert site.runner.handle("members", after[1].to_message()) == "filled"
    assert failed() is None and "projection:recording/members" not in readyz_checkpoints()
    assert [p for p, *_ in seen(site.db)] == [1, 2, 3, 4, 5, 6]


def test_a_restart_without_a_restore_goes_on_as_before_one_after_a_restore_stops(site, tmp_path):
    add(site.store, 3, "a")
    site.take_backup()
    assert site.runner.catch_up("members") == 3
    site.store.close()
    site.store = SQLiteEventStore(site.path)  # the process restarts: store and read model opened again
    db = ReadModelDB(f"sqlite:///{tmp_path}/read.db")
    runner = ProjectionRunner(db, Recording(), {"members": site.store})
    more = add(site.store, 2, "b")
    assert runner.handle("members", more[1].to_message()) == "filled"
    assert runner.catch_up("members") == 0
    assert [p for p, *_ in seen(db)] == [1, 2, 3, 4, 5] and failed() is None
    site.restore()  # now restored to 3 events, and the process restarted on it
    runner = ProjectionRunner(db, Recording(), {"members": site.store})
    new = add(site.store, 3, "new")
    assert runner.catch_up("members") == 0 and failed()["head"] == 6
    assert runner.handle("members", new[2].to_message()) == DIVERGED
    assert [p for p, *_ in seen(db)] == [1, 2, 3, 4, 5]
    db.close()


def test_a_checkpoint_from_before_event_ids_were_recorded_is_checked_by_its_position(site):
    """A read model projected before the id was kept (NULL): the event at the checkpoint only has
    to be there; its next move records the id."""
    add(site.store, 3, "a")
    site.runner.catch_up("members")
    site.db.executescript("UPDATE projection_checkpoints SET event_id = NULL")
    add(site.store, 1, "b")
    assert site.runner.catch_up("members") == 1 and failed() is None
    assert site.db.query("SELECT event_id FROM projection_checkpoints")[0][0] == site.store.find_event(
        list(site.store.read_all(4))[0].event_id).event_id


def test_the_head_exactly_at_the_checkpoint_is_fine_one_below_trips(site):
    """The edge: a backup taken exactly at the read model's checkpoint restores the events it
    applied (the new ones follow it: applied); one event fewer than the checkpoint trips."""
    add(site.store, 5, "a")
    site.take_backup()
    assert site.runner.catch_up("members") == 5
    site.restore()  # head 5 = checkpoint 5
    new = add(site.store, 1, "new")
    assert site.runner.handle("members", new[0].to_message()) == "applied" and failed() is None
    assert seen(site.db)[-1] == (6, "s-new", 0) and site.runner.checkpoint("members") == 6
    site.restore()  # head 5 = checkpoint 6 - 1
    assert site.runner.catch_up("members") == 0 and failed()["head"] == 5
    new = add(site.store, 1, "other")  # position 6 again: another event than the one applied
    assert site.runner.handle("members", new[0].to_message()) == "duplicate"
    # still stopped (as first seen: the head then, read no more while the checkpoint stays)
    assert site.runner.catch_up("members") == 0 and failed()["head"] == 5
    assert seen(site.db)[-1] == (6, "s-new", 0)


def test_the_check_is_one_row_per_transaction_not_one_per_event(site):
    """Cost: one indexed read of one row (two columns) at the checkpoint per transaction that would
    apply; none from a checkpoint at 0."""
    add(site.store, 3, "a")
    reads, inner = [], site.store.event_at
    site.store.event_at = lambda position: reads.append(position) or inner(position)
    assert site.runner.catch_up("members", batch=2) == 3
    assert reads == [2, 3]
    more = add(site.store, 4, "b")
    assert site.runner.handle("members", more[-1].to_message()) == "filled"  # 4..7 in one transaction
    assert reads == [2, 3, 3]
    assert site.store.event_at(7) == (7, more[-1].event_id) and site.store.event_at(8) is None


def _feed(conn):
    queue = Queue(f"feed-{uuid.uuid4().hex}", exchange=event_exchange("members"), routing_key="#")
    queue(conn.channel()).declare()
    return queue


def _published(conn, queue, n):
    got = []
    with conn.Consumer(queue, callbacks=[lambda body, msg: (got.append((body["position"], body["event_id"])),
                                                            msg.ack())]):
        for _ in range(n):
            conn.drain_events(timeout=2)
    return got


@pytest.mark.parametrize("written_past", [False, True])
def test_a_relay_running_on_a_restored_store_publishes_the_new_events(site, written_past):
    """The relay published 1..5; the store is restored to its backup (3 events, relay checkpoint 3
    in it) and written on: the new events are published (from the restored checkpoint on), not
    skipped as already published; the relay says what happened."""
    uri = f"memory://relay-{uuid.uuid4().hex}"
    with Connection(uri) as conn:
        queue = _feed(conn)
        relay = Relay(site.store, "members", uri)
        add(site.store, 3, "a")
        assert relay.run_once() == 3
        relay.store_checkpoint()
        site.take_backup()
        add(site.store, 2, "b")
        assert relay.run_once() == 2
        assert [p for p, _ in _published(conn, queue, 5)] == [1, 2, 3, 4, 5]
        site.restore()
        relay.store = site.store
        new = add(site.store, 3 if written_past else 1, "new")
        assert relay.run_once() == len(new)
        got = _published(conn, queue, len(new))
        assert got == [(e.position, e.event_id) for e in new]
        state = checkpoints_watch.snapshot()["relay:members"]
        assert state["checkpoint"] == 5 and "vị trí 3" in state["message_vi"] and "position 3" in state["message_en"]
        relay.store_checkpoint()
        assert relay.checkpoint == new[-1].position


def test_a_relay_started_on_a_store_whose_checkpoint_is_past_its_head_publishes_from_the_start(site):
    """A relay checkpoint stored past the log's head (written by a process that ran on through a
    restore): nothing it cannot prove published is skipped — the log is published again."""
    uri = f"memory://relay-{uuid.uuid4().hex}"
    add(site.store, 2, "a")
    site.store.set_checkpoint("relay", 5)
    with Connection(uri) as conn:
        queue = _feed(conn)
        relay = Relay(site.store, "members", uri)
        assert relay.run_once() == 2
        assert [p for p, _ in _published(conn, queue, 2)] == [1, 2]
    assert checkpoints_watch.snapshot()["relay:members"]["head"] == 2


def test_a_postgresql_store_restored_by_pg_restore_stops_the_projection_until_rebuilt(tmp_path):
    """The documented logical copy (deploy/README.md §3): ``pg_dump -Fc`` at 3 events, the read
    model goes on to 5, ``pg_restore --clean --if-exists`` puts the 3 back, 3 are written on."""
    import shutil
    import subprocess

    from shared.eventstore import open_store
    from tests.support.services import pg_database
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed")
    with pg_database() as url:
        store = open_store(url)
        db = ReadModelDB(f"sqlite:///{tmp_path}/read.db")
        runner = ProjectionRunner(db, Recording(), {"members": store})
        add(store, 3, "a")
        dump = str(tmp_path / "store.dump")
        subprocess.run(["pg_dump", "-Fc", "-f", dump, url], check=True, capture_output=True, timeout=120)
        add(store, 2, "b")
        assert runner.catch_up("members") == 5
        store.close()
        subprocess.run(["pg_restore", "--clean", "--if-exists", "-d", url, dump], check=True, capture_output=True,
                       timeout=120)
        store = open_store(url)
        runner.stores = {"members": store}
        new = add(store, 3, "new")
        assert [e.position for e in new] == [4, 5, 6]
        assert runner.handle("members", new[2].to_message()) == DIVERGED
        assert runner.catch_up("members") == 0 and failed()["checkpoint"] == 5
        assert [p for p, *_ in seen(db)] == [1, 2, 3, 4, 5]
        runner.rebuild()
        assert seen(db)[3:] == [(4, "s-new", 0), (5, "s-new", 1), (6, "s-new", 2)] and failed() is None
        store.close()
        db.close()


class Pausing(Recording):
    """Waits at ``stop_at`` (another partition's turn, as far as the runner can tell)."""
    stop_at: int | None = None

    def route(self, tx, source, e):
        return Route.WAIT if e.position == self.stop_at else Route.MINE


def waiting_at(site, position: int) -> Pausing:
    """The site's runner made anew, waiting at ``position`` (its ``Pausing``, to move the wait)."""
    pausing = Pausing()
    pausing.stop_at = position
    site.runner = ProjectionRunner(site.db, pausing, {"members": site.store})
    return pausing


def test_events_read_before_a_restore_are_not_applied_after_a_rebuild_elsewhere(site, tmp_path):
    """A batch read 1..5 and stopped at 3 (kept, to be applied later); the store is restored to 1
    event and written on; ``dangvien rebuild`` in another process puts the checkpoint at the new 3:
    the runner reads the store again instead of applying the 4 and 5 it read before the restore."""
    add(site.store, 1, "a")
    site.take_backup()
    add(site.store, 4, "b")
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=10) == 2  # 1, 2 applied; 3..5 kept, read before the restore
    site.restore()
    add(site.store, 2, "new")  # positions 2, 3
    ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Recording(), {"members": site.store}).rebuild()
    add(site.store, 2, "more")  # 4, 5
    pausing.stop_at = None
    assert site.runner.catch_up("members", batch=10) == 2
    assert [stream for _, stream, _ in seen(site.db)] == ["s-a", "s-new", "s-new", "s-more", "s-more"]


def test_a_restore_exactly_at_the_checkpoint_does_not_apply_the_event_read_past_it(site):
    """A batch read 1..3 and stopped at 3 (checkpoint 2, 3 kept); the store is restored from a
    backup of exactly 2 events (the checkpoint's event is there: no stop) and written on (3): the
    new 3 is applied, never the one read before the restore (the old code applied that from
    memory, then stopped one round later)."""
    add(site.store, 2, "a")
    site.take_backup()
    add(site.store, 1, "old")
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=10) == 2
    site.restore()
    add(site.store, 1, "new")
    pausing.stop_at = None
    assert site.runner.catch_up("members", batch=10) == 1
    assert [s for _, s, _ in seen(site.db)] == ["s-a", "s-a", "s-new"] and failed() is None


def test_a_rebuild_elsewhere_just_before_the_events_read_does_not_apply_them(site, tmp_path):
    """Checkpoint 4, 3..7 kept (read from 3, stopped at 5); the store is restored to 1 event,
    written on (2) and rebuilt in another process (checkpoint 2: the kept events follow it, none is
    at it to compare), then written on (3..7): the store's 3..7 are applied."""
    add(site.store, 1, "a")
    site.take_backup()
    add(site.store, 6, "old")  # 2..7
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=2) == 2  # 1, 2; 3, 4 kept
    pausing.stop_at = 5
    assert site.runner.catch_up("members", batch=10) == 2  # 3, 4; 3..7 kept
    site.restore()
    add(site.store, 1, "new")
    ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Recording(), {"members": site.store}).rebuild()
    add(site.store, 5, "more")  # 3..7
    pausing.stop_at = None
    assert site.runner.catch_up("members", batch=10) == 5
    assert [s for _, s, _ in seen(site.db)] == ["s-a", "s-new"] + ["s-more"] * 5 and failed() is None


def test_a_store_restored_to_empty_and_rebuilt_before_the_runner_looks_applies_only_its_own_events(site, tmp_path):
    """As the next test, but the runner never saw the restore (no stop): the rebuild elsewhere
    put the checkpoint at 0, where there is no event to compare."""
    site.take_backup()  # empty
    add(site.store, 5, "old")
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=10) == 2
    site.restore()
    ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Recording(), {"members": site.store}).rebuild()
    add(site.store, 2, "new")
    pausing.stop_at = None
    assert site.runner.catch_up("members", batch=10) == 2 and failed() is None
    assert seen(site.db) == [(1, "s-new", 0), (2, "s-new", 1)]


def test_events_kept_to_be_applied_cost_one_more_row_read_only_when_they_are_used(site):
    """The check of the kept events: one indexed read of their last one, in the catch-up that
    takes them from memory; none when nothing was kept past the checkpoint."""
    add(site.store, 5, "a")
    pausing = waiting_at(site, 3)
    reads, inner = [], site.store.event_at
    site.store.event_at = lambda position: reads.append(position) or inner(position)
    assert site.runner.catch_up("members", batch=10) == 2 and reads == []
    pausing.stop_at = None
    read_from, read_all = [], site.store.read_all
    site.store.read_all = lambda first=1, **kw: read_from.append(first) or read_all(first, **kw)
    assert site.runner.catch_up("members", batch=10) == 3
    assert read_from == [6, 6]  # 3..5 from memory: the store read only past them
    # the checkpoint's event and the last kept one; then the new checkpoint's (nothing more to read)
    assert reads == [2, 5, 5]
    assert site.runner.catch_up("members", batch=10) == 0 and reads == [2, 5, 5, 5]


def test_a_store_restored_to_empty_applies_only_its_own_events_after_a_rebuild_elsewhere(site, tmp_path):
    """A batch read 1..5 and stopped at 3 (kept); the store is restored from a backup taken before
    any event: the runner stops; ``dangvien rebuild`` in another process puts the checkpoint at 0
    (nothing to compare there); the events written since are the ones applied, never the 1..5 read
    before the restore."""
    site.take_backup()  # empty
    add(site.store, 5, "old")
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=10) == 2
    site.restore()
    assert site.runner.catch_up("members") == 0 and failed()["head"] == 0
    ProjectionRunner(ReadModelDB(f"sqlite:///{tmp_path}/read.db"), Recording(), {"members": site.store}).rebuild()
    add(site.store, 2, "new")
    pausing.stop_at = None
    assert site.runner.catch_up("members", batch=10) == 2 and failed() is None
    assert seen(site.db) == [(1, "s-new", 0), (2, "s-new", 1)]


def test_a_rebuild_by_the_runner_that_read_before_the_restore_writes_the_restored_store(site):
    """The same runner (a service rebuilding at its start) read 1..5 and stopped at 3; the store is
    restored to 1 event and written on (2, 3): its rebuild writes the store's 3 events, not the 5
    it read before."""
    add(site.store, 1, "a")
    site.take_backup()
    add(site.store, 4, "b")
    pausing = waiting_at(site, 3)
    assert site.runner.catch_up("members", batch=10) == 2
    site.restore()
    add(site.store, 2, "new")
    pausing.stop_at = None
    assert site.runner.rebuild() == 3
    assert seen(site.db) == [(1, "s-a", 0), (2, "s-new", 0), (3, "s-new", 1)]
    assert site.runner.checkpoint("members") == 3


def test_a_rebuild_of_an_empty_store_then_applies_its_first_event(site):
    """A read model rebuilt while its store holds nothing (a new site, or one restored from an
    empty backup): checkpoint 0, and the first event written afterwards is applied when delivered,
    not taken for a duplicate."""
    assert site.runner.rebuild() == 0 and site.runner.checkpoint("members") == 0
    first = add(site.store, 1, "first")
    assert site.runner.handle("members", first[0].to_message()) == "applied"
    assert seen(site.db) == [(1, "s-first", 0)] and site.runner.checkpoint("members") == 1


def _migrated(db) -> None:
    """``projection_checkpoints`` from before ``event_id`` gets it (NULL: not recorded), its
    positions kept; opening it again changes nothing."""
    db.executescript("CREATE TABLE projection_checkpoints (projection TEXT NOT NULL, source TEXT NOT NULL, "
                     "position BIGINT NOT NULL, PRIMARY KEY (projection, source));"
                     "INSERT INTO projection_checkpoints VALUES ('recording', 'members', 7)")
    for _ in range(2):
        runner = ProjectionRunner(db, Recording(), {})
        assert db.query("SELECT projection, source, position, event_id FROM projection_checkpoints") == \
            [("recording", "members", 7, None)]
        assert runner.checkpoint("members") == 7
    db.close()


def test_a_read_model_from_before_event_ids_gets_the_column_and_keeps_its_checkpoints(tmp_path):
    _migrated(ReadModelDB(f"sqlite:///{tmp_path}/old.db"))


def test_on_postgresql_a_read_model_from_before_event_ids_gets_the_column_and_keeps_its_checkpoints():
    from tests.support.services import pg_database
    with pg_database() as url:
        _migrated(ReadModelDB(url))
