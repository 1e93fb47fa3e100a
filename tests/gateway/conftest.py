"""The embedded system with demo data, as a user starts it, plus users of several roles and scopes.

Demo tree (dangvien/demo.py): TN → TN-D1..D3 → TN-Dx-G1..G4 → TN-Dx-Gy-C1..C3, six members a cell
numbered in cell order, so M000001–M000006 sit in TN-D1-G1-C1 and M000073 in TN-D2-G1-C1.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.services import Process, base_env, cli, free_port, http

OWN_CELL, OTHER_CELL, GHOST_UNIT = "TN-D1-G1-C1", "TN-D2-G1-C1", "TN-NO-SUCH-UNIT"
OWN_MEMBER, OTHER_MEMBER, GHOST_MEMBER = "M000001", "M000073", "M999999"

#: name -> (role, scope)
USERS = {
    "prov_viewer": ("viewer", None),
    "d1_viewer": ("viewer", "TN-D1"),
    "d1_clerk": ("clerk", "TN-D1"),
    "d1_inspector": ("inspector", "TN-D1"),
    "d1_admin": ("administrator", "TN-D1"),
    "cell_clerk": ("clerk", OWN_CELL),
}


@dataclass
class System:
    url: str
    data_dir: Path
    proc: Process
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, user: str | None = "admin", body=None, headers=None):
        h = dict(headers or {})
        if user:
            h["Authorization"] = f"Bearer {self.tokens[user]}"
        if body is not None:
            h["Content-Type"] = "application/json"
        return http(method, f"{self.url}{path}", body, h)

    def user_add(self, name: str, role: str, scope: str | None) -> str:
        args = ["user", "add", name, "--role", role, "--data-dir", str(self.data_dir)]
        if scope:
            args += ["--scope", scope]
        done = subprocess.run(cli(*args), env=base_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gateway")
    data_dir = tmp / "data"
    port = free_port()
    # INFO, as in production: the log must stay free of personal data at the level people run
    proc = Process(cli("up", "--data-dir", str(data_dir), "--port", str(port), "--demo"),
                   base_env(DANGVIEN_LOG_LEVEL="INFO"), tmp / "up.log")
    try:
        proc.wait_for_output("(Ctrl+C", timeout=300)
        sys_ = System(f"http://127.0.0.1:{port}", data_dir, proc)
        sys_.tokens["admin"] = (data_dir / "admin.token").read_text().strip()
        for name, (role, scope) in USERS.items():
            sys_.tokens[name] = sys_.user_add(name, role, scope)
        yield sys_
    finally:
        proc.stop()
