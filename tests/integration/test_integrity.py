"""Issue 12 as an auditor and an insider try it on `dangvien up`: the key lives beside (not in) the
data folder, verify and seal work from the CLI, and after the stopped instance's SQLite store is
edited, the restarted server says so — in its log, on /readyz and /metrics, in `audit verify`
(also against an exported seal copy when the local seals are gone) and in every report header."""
from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import stat
import subprocess
import urllib.request

import pytest

from tests.support.services import Process, base_env, cli, free_port, http, metric, wait_until

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


@contextlib.contextmanager
def up(tmp, name: str):
    port, ops = free_port(), free_port()
    env = base_env(DANGVIEN_METRICS_PORT=str(ops), DANGVIEN_INTEGRITY_INTERVAL_SECONDS="0.5",
                   DANGVIEN_LOG_FORMAT="json")
    proc = Process(cli("up", "--data-dir", str(tmp / "data"), "--port", str(port)), env, tmp / f"{name}.log")
    try:
        proc.wait_for_output("http://127.0.0.1", timeout=300)
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ops}", proc
    finally:
        proc.stop()


def run_cli(url, tmp, *args):
    env = base_env(DANGVIEN_URL=url, DANGVIEN_DATA_DIR=str(tmp / "data"), COLUMNS="400")
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=300)


def integrity(ops_url):
    return http("GET", f"{ops_url}/readyz")[1]["integrity"]


def test_tampered_store_is_named_everywhere_after_a_restart(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(l, ensure_ascii=False) for l in FILE) + "\n", encoding="utf-8")
    with up(tmp_path, "first") as (url, ops, proc):
        assert run_cli(url, tmp_path, "import", "events", str(path)).returncode == 0
        key = tmp_path / "data.integrity" / "integrity.key"
        assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
        assert not list((tmp_path / "data").rglob("*.key"))  # never inside the data folder
        assert str(key) in proc.output()  # `up` says where the key is
        ok = run_cli(url, tmp_path, "audit", "verify")
        assert ok.returncode == 0 and "nguyên vẹn / intact" in ok.stdout, ok.stdout + ok.stderr
        wait_until(lambda: integrity(ops).get("members", {}).get("state") == "intact", 60, what="members intact")
        seal = run_cli(url, tmp_path, "audit", "seal", "--output", str(tmp_path / "seals.json"))
        assert seal.returncode == 0, seal.stderr
        exported = json.loads((tmp_path / "seals.json").read_text(encoding="utf-8"))["seals"]
        members = next(s for s in exported if s["source"] == "members")
        assert members["head_position"] == members["event_count"] == 6 and members["signature"]
        metrics = urllib.request.urlopen(f"{ops}/metrics").read().decode()
        assert metric(metrics, "dangvien_integrity_ok", store="members") == 1

    # the insider: the server stopped, the last member's admission deleted from the SQLite file
    with sqlite3.connect(tmp_path / "data" / "members.events.db") as db:
        db.execute("DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)")

    with up(tmp_path, "second") as (url, ops, proc):
        state = wait_until(lambda: integrity(ops).get("members", {}).get("state") == "failed" and integrity(ops),
                           60, what="members failed")
        assert state["members"]["first_problem"]["check"] == "seal_truncated"
        wait_until(lambda: "integrity_failed" in proc.output(), 30, what="loud log")
        metrics = urllib.request.urlopen(f"{ops}/metrics").read().decode()
        assert metric(metrics, "dangvien_integrity_ok", store="members") == 0
        bad = run_cli(url, tmp_path, "audit", "verify", "--format", "json")
        assert bad.returncode == 1
        report = json.loads(bad.stdout)
        members = next(s for s in report["sources"] if s["source"] == "members")
        assert members["problems"][0]["check"] == "seal_truncated"
        assert "sự kiện cuối" in members["problems"][0]["message_vi"]
        table = run_cli(url, tmp_path, "audit", "verify")
        assert "deleted" in table.stdout and "niêm phong" in table.stdout
        movement = run_cli(url, tmp_path, "report", "movement", "--org", "D1", "--year", "2021", "--format", "json")
        assert movement.returncode == 0, movement.stderr
        assert "members" in json.loads(movement.stdout)["integrity"]["failing_sources"]
        # the yearly report to the Standing Committee (D8) too: its figures and the document say so
        yearly = run_cli(url, tmp_path, "report", "yearly", "--org", "D1", "--year", "2021", "--format", "json",
                         "--output", str(tmp_path / "yearly.json"))
        assert yearly.returncode == 0, yearly.stderr
        assert "WARNING: event store members" in yearly.stdout, yearly.stdout
        figures = json.loads((tmp_path / "yearly.json").read_text(encoding="utf-8"))
        assert figures["integrity"]["intact"] is False and figures["integrity"]["failing_sources"] == ["members"]
        # the headcount tree in list form and every export say it too (they said nothing before)
        token = (tmp_path / "data" / "admin.token").read_text().strip()

        def raw_get(path):
            req = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.headers, resp.read()
        headers, body = raw_get("/api/v1/reporting/headcount?org_unit_id=D1")
        assert headers["X-Dangvien-Integrity"] == "failed; stores=members" and isinstance(json.loads(body), list)
        for path in ("/api/v1/exports/reporting/headcount?org_unit_id=D1&format=csv",
                     "/api/v1/exports/reporting/movement?org_unit_id=D1&year=2021&format=csv"):
            headers, body = raw_get(path)
            first = body.decode("utf-8-sig").splitlines()[0]
            assert first.startswith("CẢNH BÁO: kho sự kiện members") and "WARNING: event store members" in first, path
            assert headers["X-Dangvien-Integrity"] == "failed; stores=members"
        # the member list, its export and the event log too (only the reports said it before)
        for path in ("/api/v1/members/unit_members?org_unit_id=G1", "/api/v1/events?service=members",
                     "/api/v1/exports/members/unit_members?org_unit_id=G1&format=csv",
                     "/api/v1/exports/meetings/roster?org_unit_id=G1&on=2021-06-01&format=csv"):
            headers, body = raw_get(path)
            assert headers["X-Dangvien-Integrity"] == "failed; stores=members", path
            if "/exports/" in path:
                first = body.decode("utf-8-sig").splitlines()[0]
                assert first.startswith("CẢNH BÁO: kho sự kiện members"), path

        # the insider also deletes the local seals: the exported copy still tells
        shutil.rmtree(tmp_path / "data.integrity" / "seals")
        copy = run_cli(url, tmp_path, "audit", "verify", "--seals", str(tmp_path / "seals.json"), "--format", "json")
        assert copy.returncode == 1 and copy.stdout, copy.stderr
        members = next(s for s in json.loads(copy.stdout)["sources"] if s["source"] == "members")
        assert members["problems"][0]["check"] == "seal_truncated"


def test_an_old_plain_hash_store_is_upgraded_by_sealing_never_rewritten(tmp_path):
    """A members store written before keyed hashing: `dangvien up` appends one keyed
    integrity.upgraded event, leaves every old row as it was, and verifies intact from then on."""
    from shared.events import NewEvent, legacy_hash
    from shared.eventstore import open_store, records

    class LegacyHasher:
        """Writes the way the code did before keyed hashing: a plain sha-256 of the fields."""

        def __call__(self, event_id, type_, schema_version, stream, stream_version, occurred_on, recorded_at,
                     org_unit_id, actor, correlation_id, causation_id, data_json, prev_hash, position):
            return legacy_hash({
                "event_id": event_id, "type": type_, "schema_version": schema_version, "stream": stream,
                "stream_version": stream_version, "occurred_on": occurred_on, "recorded_at": recorded_at,
                "org_unit_id": org_unit_id, "actor": actor, "correlation_id": correlation_id,
                "causation_id": causation_id, "data": json.loads(data_json), "prev_hash": prev_hash})

    original = records.current_hasher  # the append path's hasher, made by this class instead
    records.current_hasher = LegacyHasher
    try:
        store = open_store(f"sqlite:///{tmp_path / 'data' / 'members.events.db'}")
        for line in FILE[:3]:
            store.append(f"org_unit-{line['data']['org_unit_id']}",
                         [NewEvent(type=line["type"], data={**line["data"], "parent_id": line["data"].get("parent_id")},
                                   occurred_on=line["occurred_on"], org_unit_id=line["data"]["org_unit_id"])], -1)
        store.close()
    finally:
        records.current_hasher = original
    with sqlite3.connect(tmp_path / "data" / "members.events.db") as db:
        before = db.execute("SELECT position, hash, data FROM events ORDER BY position").fetchall()
    assert all(len(h) == 64 for _, h, _ in before)

    with up(tmp_path, "upgrade") as (url, ops, proc):
        wait_until(lambda: integrity(ops).get("members", {}).get("state") == "intact", 60, what="members intact")
        done = run_cli(url, tmp_path, "audit", "verify", "--format", "json")
        assert done.returncode == 0, done.stdout + done.stderr
        members = next(s for s in json.loads(done.stdout)["sources"] if s["source"] == "members")
        assert members["legacy_events"] == 3 and members["events"] == 4
    with sqlite3.connect(tmp_path / "data" / "members.events.db") as db:
        rows = db.execute("SELECT position, hash, data FROM events ORDER BY position").fetchall()
        upgrade = db.execute("SELECT type, stream, data FROM events WHERE position = 4").fetchone()
    assert rows[:3] == before  # history untouched
    assert upgrade[0] == "integrity.upgraded" and upgrade[1] == "integrity"
    assert json.loads(upgrade[2])["legacy_head_position"] == 3 and rows[3][1].startswith("hp:")
