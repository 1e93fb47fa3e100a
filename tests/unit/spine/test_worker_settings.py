"""Workers of the service processes and the gateway's calls per backend, sized together (issue 15,
command → visible): both come from the settings, the bulkhead defaults to 40% of the gateway's
workers, and the broker connection/producer pools of a process grow with its workers."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from dangvien import runner
from shared.config import Settings


def test_the_bulkhead_is_40_percent_of_the_gateway_workers_unless_set():
    assert Settings().backend_calls == 16  # 40 workers
    assert Settings(gateway_workers=10).backend_calls == 4
    assert Settings(gateway_workers=2).backend_calls == 1
    assert Settings(gateway_workers=100, gateway_backend_calls=64).backend_calls == 64
    assert Settings(gateway_workers=20, gateway_backend_calls=64).backend_calls == 20  # never above the workers


def test_service_workers_reach_nameko_and_must_be_positive():
    assert runner.nameko_config(Settings())["max_workers"] == 10
    assert runner.nameko_config(Settings(service_workers=32))["max_workers"] == 32
    with pytest.raises(ValidationError):
        Settings(service_workers=0)
    with pytest.raises(ValidationError):
        Settings(gateway_workers=0)


def test_publisher_pools_grow_with_the_workers_of_the_process(monkeypatch):
    from kombu import pools
    limits = [10]
    monkeypatch.setattr(pools, "get_limit", lambda: limits[-1])
    monkeypatch.setattr(pools, "set_limit", limits.append)
    runner.size_publisher_pools(Settings(service_workers=8), ["members"])
    assert limits == [10]  # never below kombu's own
    runner.size_publisher_pools(Settings(service_workers=32), ["members", "reporting"])
    assert limits == [10, 32]
    runner.size_publisher_pools(Settings(service_workers=32, gateway_workers=100), ["members", "gateway"])
    assert limits == [10, 32, 100]

