"""The members service in a real nameko container — its providers set up from the settings, as
``dangvien serve`` does — called through nameko's ``entrypoint_hook`` (in a process of its own:
``tests/support/container_calls.py``): the wiring the worker tests skip."""
from __future__ import annotations

import json
import subprocess
import sys

CTX = {"actor": "tester"}
UNIT = {"occurred_on": "2020-01-01", "org_unit_id": "P", "name": "Tỉnh ủy", "kind": "province"}


def calls(tmp_path, service: str, *steps) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "tests.support.container_calls", str(tmp_path), service,
                           json.dumps(steps)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_command_its_retry_refused_and_the_caught_up_wait_through_the_container(tmp_path):
    created, again, head, positions = calls(tmp_path, "members",
                                            ["create_org_unit", UNIT, CTX], ["create_org_unit", UNIT, CTX],
                                            ["head_position", {}, CTX], ["positions", {}, CTX])
    assert [e["type"] for e in created["events"]] == ["org_unit.created"]
    assert (again["ok"], again["error"]["code"], again["error"]["status"]) == (False, "org_unit_exists", 409)
    assert head == {"ok": True, "result": 1}
    assert set(positions["result"]) == {"members", "discipline"}
