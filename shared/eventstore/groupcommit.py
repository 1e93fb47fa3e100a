"""Group commit, shared by the SQL adapters: appends made at the same time by several threads (or
green threads) of one process share one transaction.

Each caller queues its batch; the first, finding nobody writing, leads: it takes every queued
batch, has the adapter write them (``_commit_group``: each batch all-or-nothing on its own, one
batch's conflict does not undo another's), commits once, then wakes their callers, and goes on
with what queued meanwhile by handing the lead to the oldest waiting caller. The others just wait
for their answer. Nobody is answered before the commit, so nothing is reported stored that could
be lost; a failure of the whole transaction is every caller's answer.
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence

from shared.eventstore.port import ANY
from shared.eventstore.records import Stamp, chain_rows

#: the longest a leader waits for the callers of the previous group to queue again (seconds); it
#: waits no longer than the last commit took, so only where commits are slow is it felt
GATHER_MAX = 0.002


class Pending:
    """One caller's batch waiting for a group commit; ``signal`` is held until it is answered
    (or until the leader hands this caller the lead: ``lead``)."""

    __slots__ = ("batches", "envelopes", "result", "error", "signal", "lead")

    def __init__(self, batches, envelopes: bool = True) -> None:
        self.batches, self.result, self.error, self.signal, self.lead = batches, None, None, None, False
        self.envelopes = envelopes  # False: the caller is answered with positions (``append_positions``)


class GroupCommit:
    """Mixin: ``_append(Pending(...))`` queues and answers; the adapter provides ``_lock`` (its
    writer's lock), ``_commit_group(group)`` (writes and answers each ``Pending``: ``result`` or
    ``error``) and sets ``_commit_seconds`` (how long its last COMMIT took)."""

    _lock: threading.RLock

    def _init_group_commit(self) -> None:
        self._pending: list[Pending] = []
        self._pending_lock = threading.Lock()
        self._queued = threading.Condition(self._pending_lock)  # a leader gathering is woken by it
        self._leading = False  # a caller is writing queued batches (the group commit's leader)
        self._last_group = 1  # callers in the last group
        self._gather = 0  # how many queued callers a gathering leader waits for (0: none waits)
        self._commit_seconds = 0.0  # how long the last COMMIT took

    def _commit_group(self, group: list[Pending]) -> None:
        raise NotImplementedError

    def _append(self, mine: Pending) -> list:
        with self._pending_lock:
            self._pending.append(mine)
            if self._leading:  # a leader is writing or gathering: it (or its heir) takes this batch
                mine.signal = threading.Lock()
                mine.signal.acquire()
                if self._gather and len(self._pending) >= self._gather:
                    self._queued.notify()
            else:
                self._leading = True
        if mine.signal is not None:
            mine.signal.acquire()  # released once answered, or to hand this caller the lead
        if mine.signal is None or mine.lead:
            self._lead(mine)
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _lead(self, mine: Pending) -> None:
        """Gather, write and answer one group, then hand the lead to the oldest caller that queued
        meanwhile (whose batch is in the next group), if any.

        Gathering: when the last group had several callers, they are likely to queue again (a
        busy service's workers): the leader waits for as many, but no longer than the last commit
        took (what committing without them would cost: PostgreSQL's ``commit_delay`` idea)."""
        group: list[Pending] = []
        try:
            with self._pending_lock:
                want, wait = self._last_group, min(self._commit_seconds, GATHER_MAX)
                if len(self._pending) < want and wait > 0:
                    self._gather = want
                    self._queued.wait_for(lambda: len(self._pending) >= want, wait)
                    self._gather = 0
            with self._lock:  # batches queued while the writer is busy (a read) join this group
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._commit_group(group)  # answers each of them (result or error)
            self._notify_appended()
        finally:
            with self._pending_lock:
                self._last_group = max(len(group), 1)
                for pending in group:
                    if pending is not mine and pending.signal is not None:
                        pending.signal.release()
                if mine in self._pending:  # only when leading failed before taking it: it gives up
                    self._pending.remove(mine)
                if self._pending:
                    heir = self._pending[0]  # it found a leader, so it holds a signal
                    heir.lead = True
                    heir.signal.release()
                else:
                    self._leading = False


class Careful(Exception):
    """A group the fast way cannot settle (an event id stored already: a retry): nothing of the
    group is written, the adapter goes batch by batch (each on a savepoint) instead."""


#: what ``chain_group`` calls when a caller's expected version is not its stream's: the exception
#: that is this caller's answer, or it raises ``Careful`` (the whole group goes the careful way).
#: Called with the caller, the stream, its expected and actual versions and the rows of the
#: callers settled before it.
Stale = Callable[[Pending, str, int, int, Sequence[tuple]], Exception]


def chain_group(group: list[Pending], tails: dict, position: int, now, stale: Stale) -> tuple[list[tuple], int]:
    """The fast way's chaining of a commit group, in memory, shared by the SQL adapters.

    Each caller's batches are chained (``chain_rows``) against ``tails`` (stream -> last version
    and hash, read in one go by the adapter; updated here) from global ``position`` on, and the
    caller answered (``result``: its envelopes, or its positions; ``error``: its refusal). A caller
    whose batch fails takes no row and no position, and the callers after it chain as if it had
    not come. Returns the INSERT rows of the whole group and the next position."""
    rows: list[tuple] = []
    stamp = Stamp(now)  # the group's recording time, written once for all its callers
    for pending in group:
        mine: dict[str, tuple[int, str]] = {}  # this caller's own tails until it is settled
        out: list = []
        first, kept = position, len(rows)
        try:
            for stream, events, expected in pending.batches:
                if not events:
                    continue
                version, last_hash = mine.get(stream) or tails.get(stream) or (-1, None)
                if expected != ANY and expected != version:
                    raise stale(pending, stream, expected, version, rows[:kept])
                new_rows, built = chain_rows(stream, events, version, last_hash, position, stamp, pending.envelopes)
                rows += new_rows
                out += built if pending.envelopes else range(position, position + len(new_rows))
                position += len(new_rows)
                mine[stream] = (new_rows[-1][3], new_rows[-1][13])
        except Careful:
            raise
        except Exception as exc:  # this caller only (nothing of it is written)
            del rows[kept:]
            position = first
            pending.result, pending.error = None, exc
            continue
        tails.update(mine)
        pending.result, pending.error = out, None
    return rows, position
