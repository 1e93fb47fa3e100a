"""A process started with a wrong DANGVIEN_* variable says which one and why, and starts nothing."""
from __future__ import annotations

import subprocess

from tests.support.services import base_env, cli


def test_serve_names_a_wrong_setting_and_exits_2(tmp_path):
    env = base_env(DANGVIEN_REPORTING_PARTITION="3/2", DANGVIEN_DATA_DIR=str(tmp_path))
    done = subprocess.run(cli("serve", "reporting"), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "DANGVIEN_REPORTING_PARTITION" in said and "phân vùng '3/2'" in said and "partition '3/2'" in said
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())  # nothing was created
