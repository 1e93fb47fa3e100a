"""The embedded system as a user starts it, loaded with a small tree of its own (so the suite does
not depend on how the demo evolves), plus users of several roles and scopes.

Tree: TN → TN-D1, TN-D2 (direct) → TN-Dx-G1, G2 (grassroots committees) → TN-Dx-Gy-C1, C2 (cells),
three members a cell numbered in cell order: M000001–M000003 in TN-D1-G1-C1, M000013 in TN-D2-G1-C1.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.services import Process, base_env, cli, free_port, http

OWN_CELL, OTHER_CELL, GHOST_UNIT = "TN-D1-G1-C1", "TN-D2-G1-C1", "TN-NO-SUCH-UNIT"
OWN_MEMBER, OTHER_MEMBER, GHOST_MEMBER = "M000001", "M000013", "M999999"
FAMILY = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hữu Cường"]


def tree_lines() -> list[dict]:
    def line(type_, on, data):
        return {"type": type_, "occurred_on": on, "data": data}

    out = [line("org_unit.created", "2015-10-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh",
                                                   "kind": "province"})]
    n = 0
    for d in (1, 2):
        did = f"TN-D{d}"
        out.append(line("org_unit.created", "2015-10-01", {"org_unit_id": did, "name": f"Đảng bộ Huyện {d}",
                                                           "kind": "direct", "parent_id": "TN"}))
        for g in (1, 2):
            gid = f"{did}-G{g}"
            out.append(line("org_unit.created", "2015-10-01", {"org_unit_id": gid, "name": f"Đảng bộ Xã {d}.{g}",
                                                               "kind": "grassroots_committee", "parent_id": did}))
            for c in (1, 2):
                cid = f"{gid}-C{c}"
                out.append(line("org_unit.created", "2015-10-01", {"org_unit_id": cid, "name": f"Chi bộ Ấp {d}.{g}.{c}",
                                                                   "kind": "cell", "parent_id": gid}))
                for i in range(3):
                    n += 1
                    out.append(line("member.admitted", "2016-03-0%d" % (i + 1), {
                        "member_id": f"M{n:06d}", "org_unit_id": cid, "full_name": FAMILY[i],
                        "birth_date": "1980-05-0%d" % (i + 1), "sex": "female" if i == 1 else "male",
                        "demobilised": "none"}))
    return out

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

    def user_add(self, name: str, role: str, scope: str | None, *more: str) -> str:
        args = ["user", "add", name, "--role", role, "--data-dir", str(self.data_dir), *more]
        if scope:
            args += ["--scope", scope]
        done = subprocess.run(cli(*args), env=base_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def running_system(tmp: Path, **env: str):
    """``dangvien up --demo`` in a subprocess with the users above (``env``: more settings);
    stopped (by its own pid) at the end."""
    data_dir = tmp / "data"
    port = free_port()
    # INFO, as in production: the log must stay free of personal data at the level people run
    proc = Process(cli("up", "--data-dir", str(data_dir), "--port", str(port)),
                   base_env(DANGVIEN_LOG_LEVEL="INFO", **env), tmp / "up.log")
    try:
        proc.wait_for_output("(Ctrl+C", timeout=300)
        sys_ = System(f"http://127.0.0.1:{port}", data_dir, proc)
        sys_.tokens["admin"] = (data_dir / "admin.token").read_text().strip()
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in tree_lines())
        status, body = http("POST", f"{sys_.url}/api/v1/imports", None,
                            {"Authorization": f"Bearer {sys_.tokens['admin']}",
                             "Content-Type": "application/x-ndjson"}, raw=text.encode("utf-8"))
        assert status == 201, body
        for name, (role, scope) in USERS.items():
            sys_.tokens[name] = sys_.user_add(name, role, scope)
        yield sys_
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    with running_system(tmp_path_factory.mktemp("gateway")) as s:
        yield s
