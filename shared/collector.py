"""The cyclic garbage collector during bulk work (a replay, an import, a catch-up of a file's events).

Bulk work allocates hundreds of thousands of containers that all stay alive until it ends (decoded
payloads, buffered envelopes, a batch's held rows), and the collector walks them again and again:
measured on an import of 20,000 members, a quarter of the reporting catch-up's CPU and a sixth of
the validation's. ``settled()`` keeps the collector running, but told what the work keeps: the
young generation is collected after ``YOUNG`` allocations rather than 700, and ``settle()`` (called
by the work between two of its steps) moves what is alive into the collector's permanent
generation (``gc.freeze``), so a collection walks only what was allocated since.

The collector's settings belong to the process, and under eventlet several bulk jobs may interleave
(an import's validation, the sweeps of other services): the first to enter changes them, the last
to leave restores the thresholds and puts everything back (``gc.unfreeze``), so cycles left
meanwhile are collected as usual.
"""
from __future__ import annotations

import contextlib
import gc
import threading
from typing import Callable, Iterator

#: containers allocated between two young collections while bulk work runs (Python's default: 700)
YOUNG = 200_000

_lock = threading.Lock()
_state = {"inside": 0, "thresholds": None}


@contextlib.contextmanager
def settled() -> Iterator[Callable[[], None]]:
    """Run bulk work with the collector settled; yields ``settle`` (``gc.freeze``)."""
    with _lock:
        if _state["inside"] == 0:
            _state["thresholds"] = gc.get_threshold()
            young, *older = _state["thresholds"]
            gc.set_threshold(max(young, YOUNG), *older)
        _state["inside"] += 1
    try:
        yield gc.freeze
    finally:
        with _lock:
            _state["inside"] -= 1
            if _state["inside"] == 0:
                gc.set_threshold(*_state["thresholds"])
                gc.unfreeze()
