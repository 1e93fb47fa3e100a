"""SQLite's WAL stays bounded under single appends (SQLite checkpoints it every 1,000 frames), and
what a caller of a commit group was told is stored survives the process dying at any point."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from shared.events import NewEvent, verify_chain
from shared.eventstore import ANY
from shared.eventstore.sqlite import SQLiteEventStore

CHECKPOINT_FRAMES = 1000  # SQLite's wal_autocheckpoint default


def ev(i: int) -> NewEvent:
    return NewEvent(type="test.appended", data={"i": i, "note": "Hoàn thành tốt"}, occurred_on=dt.date(2024, 5, 1))


def wal_frames(path: Path, page_size: int) -> int:
    """How many frames the WAL file has room for (it is not shortened when restarted: its size
    is the most it ever held)."""
    wal = Path(f"{path}-wal")
    return (wal.stat().st_size - 32) // (page_size + 24) if wal.exists() else 0


def test_the_wal_stays_bounded_under_single_appends(tmp_path):
    store = SQLiteEventStore(tmp_path / "events.db", synchronous="normal")
    page_size = store._db.execute("PRAGMA page_size").fetchone()[0]
    for i in range(1500):  # one event per commit: about 3 frames each, 4,500 without a checkpoint
        store.append(f"s-{i % 40}", [ev(i)], ANY)
    assert wal_frames(tmp_path / "events.db", page_size) < 2 * CHECKPOINT_FRAMES
    for i in range(40):
        store.set_checkpoint(f"reader-{i}", i)  # commits of checkpoints count too
    assert store.head_position() == 1500
    store.close()


WRITER = textwrap.dedent("""
    import datetime as dt, sys, threading
    from shared.events import NewEvent
    from shared.eventstore.sqlite import SQLiteEventStore
    store = SQLiteEventStore(sys.argv[1], synchronous="full")
    lock = threading.Lock()
    def run(w):
        for i in range(100000):
            env = store.append(f"w-{w}", [NewEvent(type="test.appended", data={"i": i},
                                                   occurred_on=dt.date(2024, 5, 1))], i - 1)[0]
            with lock:
                print(env.event_id, flush=True)
    for w in range(16):
        threading.Thread(target=run, args=(w,), daemon=True).start()
    threading.Event().wait()
""")


def test_a_process_killed_between_and_within_groups_loses_nothing_it_answered(tmp_path):
    """Sixteen writers through one store object, the process killed (SIGKILL) while groups are
    being written, committed and checkpointed: every event a caller was answered with is stored,
    each stream's chain verifies, versions have no gap."""
    path = tmp_path / "events.db"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[3], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    answered = []
    for line in child.stdout:
        answered.append(line.strip())
        if len(answered) >= 3000:  # a few checkpoints' worth of groups
            break
    assert len(answered) >= 3000, "the writing process stopped on its own"
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    answered += [line.strip() for line in child.stdout]  # printed before the kill
    store = SQLiteEventStore(path)
    stored = {e.event_id for e in store.read_all()}
    assert set(answered) <= stored
    for w in range(16):
        events = store.read_stream(f"w-{w}")
        assert [e.stream_version for e in events] == list(range(len(events)))
        assert verify_chain(events) is None
    store.close()


def test_processes_starting_together_all_open_a_fresh_store(tmp_path):
    """Services started at once open the same fresh SQLite file: each switches it to WAL and creates
    the schema. SQLite answers a concurrent switch with "database is locked" at once (no busy wait),
    so without a retry one starter in a few dozen died at boot. 60 fresh files, 8 openers each."""
    import threading

    from shared.eventstore.port import NO_STREAM

    errors, opened = [], []
    for round_ in range(60):
        path = tmp_path / f"boot-{round_}" / "members.events.db"
        start = threading.Barrier(8)

        def boot(i):
            try:
                start.wait()
                store = SQLiteEventStore(path)
                opened.append(store)
                store.append(f"boot-{i}", [NewEvent(type="member.died", occurred_on=dt.date(2020, 1, 1),
                                                    data={"member_id": f"M{i}"})], NO_STREAM)
            except Exception as exc:  # noqa: BLE001 (collected and reported below)
                errors.append(exc)

        threads = [threading.Thread(target=boot, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [], f"round {round_}: {errors[:3]}"
        assert len(list(SQLiteEventStore(path).read_all())) == 8
    for store in opened:
        store.close()
