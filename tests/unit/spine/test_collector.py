"""The collector during bulk work (``shared.collector``): raised young threshold and ``settle``
(``gc.freeze``) inside, the process's own settings back once the last bulk job has left — also
when jobs interleave (eventlet: an import's validation beside another service's catch-up) or fail."""
from __future__ import annotations

import gc

import pytest

from shared.collector import YOUNG, settled


@pytest.fixture(autouse=True)
def own_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_inside_the_young_generation_waits_longer_and_settle_freezes_what_is_alive():
    with settled() as settle:
        assert gc.get_threshold() == (YOUNG, 10, 10)
        kept = [[i] for i in range(1000)]
        settle()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0  # everything back where the collector walks it


def test_interleaved_jobs_restore_the_settings_only_when_the_last_one_leaves():
    first, second = settled(), settled()
    first.__enter__()
    settle = second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert gc.get_threshold()[0] == YOUNG
    settle()
    assert gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_a_failed_job_restores_the_settings_too():
    with pytest.raises(RuntimeError):
        with settled():
            raise RuntimeError("refused")
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_a_higher_young_threshold_of_the_process_is_kept():
    gc.set_threshold(YOUNG * 2, 5, 5)
    with settled():
        assert gc.get_threshold() == (YOUNG * 2, 5, 5)
    assert gc.get_threshold() == (YOUNG * 2, 5, 5)
