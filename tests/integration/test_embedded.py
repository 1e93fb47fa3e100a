"""The embedded way, as a user runs it: `dangvien up` on a free port, import a file, read the report."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.services import base_env, cli, embedded, http

pytestmark = pytest.mark.integration

FILE = [
    {"type": "org_unit.created", "occurred_on": "2020-01-01",
     "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"}},
    {"type": "org_unit.created", "occurred_on": "2020-01-01",
     "data": {"org_unit_id": "D1", "name": "Đảng bộ huyện Gò Dầu", "kind": "direct", "parent_id": "TN"}},
    {"type": "org_unit.created", "occurred_on": "2020-01-01",
     "data": {"org_unit_id": "G1", "name": "Chi bộ xã Thạnh Đức", "kind": "grassroots_cell", "parent_id": "D1"}},
] + [
    {"type": "member.admitted", "occurred_on": "2021-05-0%d" % (i + 1),
     "data": {"member_id": f"M{i}", "org_unit_id": "G1", "full_name": "Võ Thị Lan", "birth_date": "1990-01-01",
              "sex": "female"}}
    for i in range(3)
]


def run_cli(url, data_dir, *args):
    env = base_env(DANGVIEN_URL=url, DANGVIEN_DATA_DIR=str(data_dir))
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=300)


def test_embedded_up_import_and_report(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(l, ensure_ascii=False) for l in FILE) + "\n", encoding="utf-8")
    with embedded(tmp_path) as (url, proc):
        data_dir = tmp_path / "data"
        first = run_cli(url, data_dir, "import", "events", str(path))
        assert first.returncode == 0, first.stderr
        assert "6 sự kiện mới / new events" in first.stdout, first.stdout
        again = run_cli(url, data_dir, "import", "events", str(path), "--format", "json")
        assert again.returncode == 0 and json.loads(again.stdout.strip().splitlines()[-1])["written"] == 0

        report = run_cli(url, data_dir, "report", "headcount", "--org", "D1", "--format", "json")
        assert report.returncode == 0, report.stderr
        answer = json.loads(report.stdout)  # every report: the figures with what they are (date, structure)
        assert answer["report"] == "headcount" and answer["structure"] == "as_stood"
        assert [(r["org_unit_id"], r["total"]) for r in answer["rows"]] == [("D1", 3), ("G1", 3)]
        table = run_cli(url, data_dir, "report", "headcount", "--org", "D1")
        assert "Chi bộ xã Thạnh Đức" in table.stdout

        # composition (DOMAIN §7.3) with the same options, through the API: the day of the 2nd admission
        made = run_cli(url, data_dir, "report", "composition", "--org", "D1", "--as-of", "02/05/2021",
                       "--format", "json")
        assert made.returncode == 0, made.stderr
        figures = {(r["group"], r["key"]): r["value"] for r in json.loads(made.stdout)["rows"]}
        assert figures[("total", "members")] == 2 and figures[("status", "probationary")] == 2
        assert figures[("category", "young")] == 0  # born 1990: 31 in 2021
        table = run_cli(url, data_dir, "report", "composition", "--org", "D1", "--year", "2021")
        assert table.returncode == 0 and "Đảng viên dự bị" in table.stdout and "Cơ cấu đảng viên" in table.stdout


def test_embedded_refuses_a_bad_file_and_names_the_lines(tmp_path):
    bad = FILE + [
        {"type": "member.teleported", "occurred_on": "2021-01-01", "data": {}},
        {"type": "member.admitted", "occurred_on": "2021-13-01", "data": {}},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(l, ensure_ascii=False) for l in bad) + "\n", encoding="utf-8")
    with embedded(tmp_path) as (url, proc):
        result = run_cli(url, tmp_path / "data", "import", "events", str(path))
        assert result.returncode == 1
        assert "dòng/line 7" in result.stderr and "member.teleported" in result.stderr
        assert "dòng/line 8" in result.stderr and "2021-13-01" in result.stderr
        token = (tmp_path / "data" / "admin.token")
        headers = {"Authorization": f"Bearer {token.read_text().strip()}"} if token.exists() else {}
        status, rows = http("GET", f"{url}/api/v1/reporting/headcount", headers=headers)
        assert status == 200 and rows == []  # nothing was written, not even the valid lines


def test_memory_transport_shim_is_what_makes_rpc_work(tmp_path):
    """nameko RPC on memory:// fails without the shim (content_type) and answers with it."""
    script = tmp_path / "probe.py"
    script.write_text('''
import sys, eventlet
eventlet.monkey_patch()
from nameko.rpc import rpc
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy
from dangvien import memory_shim

class Echo:
    name = "echo"
    @rpc
    def hello(self, who):
        return "xin chào " + who

if sys.argv[1] == "shim":
    memory_shim.apply()
config = {"AMQP_URI": "memory://", "TRANSPORT_OPTIONS": memory_shim.transport_options("memory://")}
runner = ServiceRunner(config); runner.add_service(Echo); runner.start()
try:
    with eventlet.Timeout(5):
        with ClusterRpcProxy(config) as proxy:
            print("ANSWER", proxy.echo.hello("Tây Ninh"))
except BaseException as exc:
    print("FAILED", type(exc).__name__)
runner.kill()
''')
    import sys
    with_shim = subprocess.run([sys.executable, str(script), "shim"], capture_output=True, text=True, timeout=60)
    without = subprocess.run([sys.executable, str(script), "plain"], capture_output=True, text=True, timeout=60)
    assert "ANSWER xin chào Tây Ninh" in with_shim.stdout, with_shim.stderr[-2000:]
    assert "ANSWER" not in without.stdout
