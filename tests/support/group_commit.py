"""The group commit shared by the SQL stores (``shared.eventstore.groupcommit``), driven the same
way for SQLite and PostgreSQL: calls queued while the writer is held, then one group."""
from __future__ import annotations

import threading
import time
from typing import Callable

from shared.eventstore import NO_STREAM


def queued_while_busy(store, calls: list, groups: list | None = None) -> list:
    """Hold the writing connection (as a long commit would), let every call queue, then release:
    one group, one transaction. Returns each call's result or exception, in call order."""
    answers: list = [None] * len(calls)
    commits: list[int] = []
    real_commit = store._commit_group

    def counting(group):
        commits.append(len(group))
        return real_commit(group)

    store._commit_group = counting

    def run(i, fn):
        try:
            answers[i] = fn()
        except Exception as exc:  # noqa: BLE001 (the answer under test)
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    with store._lock:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(store._pending) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(store._pending) == len(calls)
        assert all(a is None for a in answers)  # nobody is answered before the commit
    for t in threads:
        t.join(timeout=30)
    assert commits == [len(calls)]  # one transaction for all of them
    if groups is not None:
        groups.extend(commits)
    del store._commit_group
    return answers


def workload(store, at: Callable, positions: bool = False) -> list:
    """One group mixing everything a group can hold (events made by ``at(i, event_id)``); then its
    answers, as text. ``positions``: three of the callers use ``append_positions`` (answered with
    positions, as the import is)."""
    store.append("taken", [at(0, "t-0")], NO_STREAM)
    store.append("retried", [at(1, "r-1"), at(2, "r-2")], NO_STREAM)
    batch = store.append_positions if positions else store.append_batch
    answers = queued_while_busy(store, [
        lambda: store.append("a", [at(10, "a-10")], NO_STREAM),
        lambda: store.append("taken", [at(11, "t-11")], NO_STREAM),  # conflict
        lambda: batch([("b", [at(12, "b-12"), at(13, "b-13")], NO_STREAM),
                       ("taken", [at(14, "t-14")], NO_STREAM)]),  # conflict in its 2nd stream
        lambda: batch([("c", [at(20, "c-20")], NO_STREAM), ("d", [at(21, "d-21")], NO_STREAM),
                       ("c", [at(22, "c-22"), at(23, "c-23")], 0)]),  # a stream twice
        lambda: store.append("a", [at(15, "a-15")], 0),  # after the first call, in the same group
        lambda: batch([("e", [at(30, "e-30")], -2)]),  # ANY
    ])
    return [[x if isinstance(x, int) else (x.position, x.hash) for x in a] if isinstance(a, list)
            else type(a).__name__ for a in answers]
