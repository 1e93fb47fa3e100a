"""Under eventlet (nameko's runtime) a PostgreSQL call must not freeze the other green threads.

psycopg waits in C by default, which blocks eventlet's hub for as long as the server takes;
the adapter switches to a cooperative wait. Proof: while an append waits on a row lock held
by this test, a green ticker in the same process keeps ticking.
"""
from __future__ import annotations

import subprocess
import sys
import time
import uuid

import psycopg

from shared.eventstore.postgres import PostgresEventStore

CHILD = r"""
import eventlet
eventlet.monkey_patch()
import datetime as dt, sys, time
from shared.events import NewEvent
from shared.eventstore.postgres import PostgresEventStore

store = PostgresEventStore(sys.argv[1])
ticks = []

def ticker():
    while True:
        ticks.append(time.monotonic())
        eventlet.sleep(0.01)

eventlet.spawn(ticker)
eventlet.sleep(0.05)
start = time.monotonic()
store.append("s", [NewEvent(type="t.x", data={}, occurred_on=dt.date(2024, 1, 1))], -1)
end = time.monotonic()
print(end - start, sum(start <= t <= end for t in ticks))
"""


def test_an_append_waiting_on_the_server_lets_other_green_threads_run(pg_database):
    schema = f"g_{uuid.uuid4().hex[:12]}"
    url = f"{pg_database}?schema={schema}"
    PostgresEventStore(url).close()  # create the schema
    child = None
    try:
        with psycopg.connect(pg_database) as holder:  # a transaction holding the log's counter
            holder.execute(f'SELECT position FROM "{schema}".log_head FOR UPDATE')
            child = subprocess.Popen([sys.executable, "-c", CHILD, url],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while not _someone_waits_on_a_lock(pg_database):
                assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
                time.sleep(0.05)
            time.sleep(0.5)
            holder.rollback()
        out, err = child.communicate(timeout=60)
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    waited, ticks = out.split()
    assert float(waited) >= 0.5
    # A frozen hub gives exactly 0 ticks; a busy machine may slow the ticker, not stop it.
    assert int(ticks) >= 5, f"the hub froze: {ticks} ticks in {waited}s"


def _someone_waits_on_a_lock(db_url: str) -> bool:
    with psycopg.connect(db_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND wait_event_type = 'Lock'").fetchone()[0] > 0
