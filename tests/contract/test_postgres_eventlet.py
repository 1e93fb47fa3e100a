"""Under eventlet (nameko's runtime) a PostgreSQL call must not freeze the other green threads.

psycopg waits in C by default, which blocks eventlet's hub for as long as the server takes;
the adapter switches to a cooperative wait. Proof: while an append waits on a row lock held
by this test, a green ticker in the same process keeps counting — the test watches the count
grow while the append is still waiting, then lets the append through. No clocks are compared:
a frozen hub never moves the count, and the wait for it fails after a generous timeout.
"""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from shared.eventstore.postgres import PostgresEventStore
from tests.support.services import wait_until

CHILD = r"""
import eventlet
eventlet.monkey_patch()
import datetime as dt, sys
from shared.events import NewEvent
from shared.eventstore.postgres import PostgresEventStore

store = PostgresEventStore(sys.argv[1])
counter = sys.argv[2]

def ticker():
    n = 0
    while True:
        n += 1
        with open(counter, "w") as f:
            f.write(str(n))
        eventlet.sleep(0.01)

eventlet.spawn(ticker)
eventlet.sleep(0.05)
[env] = store.append("s", [NewEvent(type="t.x", data={}, occurred_on=dt.date(2024, 1, 1))], -1)
print("appended", env.position)
"""


def ticks(counter: Path) -> int:
    try:
        return int(counter.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def test_an_append_waiting_on_the_server_lets_other_green_threads_run(pg_database, tmp_path):
    schema = f"g_{uuid.uuid4().hex[:12]}"
    url = f"{pg_database}?schema={schema}"
    PostgresEventStore(url).close()  # create the schema
    counter = tmp_path / "ticks"
    child = None
    try:
        with psycopg.connect(pg_database) as holder:  # a transaction holding the log's counter
            holder.execute(f'SELECT position FROM "{schema}".log_head FOR UPDATE')
            child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(counter)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

            def append_waits():
                assert child.poll() is None, child.stderr.read()
                return _someone_waits_on_a_lock(pg_database)

            wait_until(append_waits, timeout=60, interval=0.05, what="the child's append waiting on the lock")
            at_wait = ticks(counter)
            # the append is blocked on the server: the ticker must keep counting meanwhile
            wait_until(lambda: ticks(counter) >= at_wait + 5, timeout=60, interval=0.05,
                       what="the green ticker counting while the append waits (a frozen hub never does)")
            assert child.poll() is None and _someone_waits_on_a_lock(pg_database)  # still waiting
            holder.rollback()
        out, err = child.communicate(timeout=60)
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert out.split() == ["appended", "1"]


def _someone_waits_on_a_lock(db_url: str) -> bool:
    with psycopg.connect(db_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND wait_event_type = 'Lock'").fetchone()[0] > 0
