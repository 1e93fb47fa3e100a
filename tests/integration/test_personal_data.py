"""Personal data at rest and in logs, on the embedded system a user starts with ``dangvien up --demo``
— at DEBUG, the most talkative level, with the vault's master key in a file of its own.

- every file written into the data folder is its owner's only (0600, the folder 0700);
- the vault's master key is not in the data folder, and nothing in a copy of the folder opens a
  sealed name;
- after ``shred_member`` not even the master key together with a copy of the folder opens the
  shredded person's sealed values (the key is gone from the database, its WAL and free pages);
- no log line, of ours or of nameko/kombu/eventlet, carries a demo name, birth date, citizen id,
  file number, card number or the free-text reason of a read.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import stat
import urllib.parse

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tests.support.services import Process, base_env, cli, free_port, http

pytestmark = pytest.mark.integration

TODAY = dt.date.today()
SECRET = {"citizen_id": "079188004711", "background_file_number": "471147TN", "card_number": "47114711"}
REASON = "Xác minh đơn thư nặc danh số 4711"
SHRED_NAME = "Hoàng Thị Xóa Bỏ"
SHRED_CITIZEN = "079199005822"
#: Fernet keys and wrapped tokens as they may sit in any file
KEY_SHAPE = re.compile(rb"[A-Za-z0-9_-]{43}=")
WRAPPED = re.compile(rb"wrapped:v1:([A-Za-z0-9_=-]{80,})")


class Demo:
    def __init__(self, tmp):
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.key_file = tmp / "keys" / "vault.key"
        self.key_file.parent.mkdir(mode=0o700)
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode() + "\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = Process(cli("up", "--demo", "--data-dir", str(self.data_dir), "--port", str(self.port)),
                            base_env(DANGVIEN_LOG_LEVEL="DEBUG", DANGVIEN_VAULT_KEY_FILE=str(self.key_file)),
                            tmp / "up.log")

    def call(self, method, path, body=None, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return http(method, f"{self.url}{path}", body, headers)

    def master(self) -> MultiFernet:
        return MultiFernet([Fernet(self.key_file.read_text().strip().encode())])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = Demo(tmp_path_factory.mktemp("personal"))
    try:
        d.proc.wait_for_output("(Ctrl+C", timeout=600)
        d.token = (d.data_dir / "admin.token").read_text().strip()
        yield d
    finally:
        d.proc.stop()


def demo_people() -> tuple[set[str], set[str]]:
    from dangvien import demo as demo_data
    names, births = set(), set()
    for line in demo_data.world()["lines"]:
        data = line["data"]
        if data.get("full_name"):
            names.add(data["full_name"])
        if data.get("birth_date"):
            births.add(str(data["birth_date"]))
    return names, births


def sealed_values(data_dir, member_id: str) -> list[str]:
    import sqlite3
    with sqlite3.connect(data_dir / "members.events.db") as db:
        rows = db.execute("SELECT data FROM events WHERE stream = ?", (f"member-{member_id}",)).fetchall()
    out = []
    for (data,) in rows:
        for value in json.loads(data).values():
            if isinstance(value, str) and value.startswith("sealed:v1:"):
                out.append(value[len("sealed:v1:"):])
    return out


def openers(folder, master: MultiFernet | None) -> list[Fernet]:
    """Every Fernet key one could find in a copy of the folder: key-shaped strings anywhere in any
    file (WAL and free pages included), and, given the master key, every wrapped key it opens."""
    keys = set()
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        keys.update(KEY_SHAPE.findall(raw))
        if master is not None:
            for token in WRAPPED.findall(raw):
                try:
                    keys.add(master.decrypt(token))
                except InvalidToken:
                    continue
    out = []
    for k in keys:
        try:
            if len(base64.urlsafe_b64decode(k)) == 32:
                out.append(Fernet(k))
        except (ValueError, TypeError):
            continue
    return out


def opens(keys: list[Fernet], ciphertexts: list[str]) -> bool:
    for f in keys:
        for c in ciphertexts:
            try:
                f.decrypt(c.encode())
                return True
            except InvalidToken:
                continue
    return False


def active_member(demo) -> str:
    for n in range(1, 200):
        status, m = demo.call("GET", "/api/v1/members/get_member", params={"member_id": f"M{n:06d}"})
        if status == 200 and m["status"] in ("official", "probationary"):
            return m["member_id"]
    raise AssertionError("no active member in the demo")


def test_every_file_in_the_data_folder_is_the_owners_only(demo):
    assert stat.S_IMODE(demo.data_dir.stat().st_mode) == 0o700
    files = [p for p in demo.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "members.keys.db" for p in files)
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path.name, oct(path.stat().st_mode))


def test_the_master_key_is_outside_the_data_folder_and_a_copy_of_the_folder_opens_nothing(demo, tmp_path):
    master_text = demo.key_file.read_text().strip().encode()
    copy = tmp_path / "copy"
    shutil.copytree(demo.data_dir, copy)
    for path in copy.rglob("*"):
        if path.is_file():
            assert master_text not in path.read_bytes(), path.name
    import sqlite3
    with sqlite3.connect(copy / "members.keys.db") as db:
        stored = [k for (k,) in db.execute("SELECT key FROM personal_keys")]
    assert stored and all(k.startswith("wrapped:v1:") for k in stored)
    member = "M000002"
    sealed = sealed_values(copy, member)
    assert sealed, "the demo's member records are sealed"
    assert not opens(openers(copy, None), sealed)
    # the same search, given the master key, does open them: the copy alone is what falls short
    assert opens(openers(copy, demo.master()), sealed)


def test_after_shredding_nothing_in_a_copy_of_the_data_folder_opens_the_old_values(demo, tmp_path):
    member = "MX-SHRED-1"
    status, body = demo.call("POST", "/api/v1/members/admit_member", {
        "member_id": member, "org_unit_id": demo_cell(demo), "full_name": SHRED_NAME, "birth_date": "1994-03-04",
        "sex": "female", "citizen_id": SHRED_CITIZEN, "occurred_on": (TODAY - dt.timedelta(days=2)).isoformat()})
    assert status == 201, body
    sealed = sealed_values(demo.data_dir, member)
    assert len(sealed) >= 2  # name and citizen id
    before = tmp_path / "before"
    shutil.copytree(demo.data_dir, before)
    assert opens(openers(before, demo.master()), sealed)  # the search finds the key while it exists

    status, body = demo.call("POST", "/api/v1/members/shred_member", {"member_id": member,
                                                                      "occurred_on": TODAY.isoformat()})
    assert status == 201, body
    after = tmp_path / "after"
    shutil.copytree(demo.data_dir, after)
    # not with the master key, not from the WAL, not from a free page
    assert not opens(openers(after, demo.master()), sealed)
    wal = after / "members.keys.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    status, record = demo.call("GET", "/api/v1/members/get_member", params={"member_id": member})
    assert status == 200 and record["full_name"] is None and record["personal_data_shredded"] is True
    # the erasure deleted a key, not an event: every store still verifies whole, against its seals
    status, verified = demo.call("GET", "/api/v1/reporting/audit_verify")
    assert status == 200 and verified["ok"] and not verified["problems"], verified
    members = next(s for s in verified["sources"] if s["source"] == "members")
    assert members["broken"] == [] and members["events"] >= 2
    for path in after.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert SHRED_NAME.encode() not in raw and SHRED_CITIZEN.encode() not in raw, path.name


def demo_cell(demo) -> str:
    status, m = demo.call("GET", "/api/v1/members/get_member", params={"member_id": active_member(demo)})
    return m["org_unit_id"]


def test_no_log_line_at_debug_carries_personal_data(demo):
    member = active_member(demo)
    status, body = demo.call("POST", "/api/v1/members/update_member_record",
                             {"member_id": member, "occurred_on": TODAY.isoformat(), **SECRET})
    assert status == 201, body
    status, record = demo.call("GET", "/api/v1/members/get_member", params={"member_id": member, "reason": REASON})
    assert status == 200 and record["citizen_id"] == SECRET["citizen_id"]
    status, _ = demo.call("GET", "/api/v1/members/unit_members", params={"org_unit_id": record["org_unit_id"],
                                                                         "reason": REASON})
    assert status == 200
    # a refused command quoting personal values, and a malformed one
    demo.call("POST", "/api/v1/members/admit_member", {"member_id": member, "org_unit_id": record["org_unit_id"],
                                                        "full_name": record["full_name"], "occurred_on": "bad"})
    names, births = demo_people()
    log = demo.proc.output()
    assert "RPC reply event complete" in log, "DEBUG lines of nameko are in the log"
    leaks = [n for n in names if n in log] + [b for b in births if b in log]
    leaks += [v for v in (*SECRET.values(), REASON, urllib.parse.quote(REASON), SHRED_NAME, SHRED_CITIZEN)
              if v in log]
    for b in births:  # dd/mm/yyyy as well
        y, m, d = b.split("-")
        if f"{d}/{m}/{y}" in log:
            leaks.append(f"{d}/{m}/{y}")
    assert not leaks, leaks[:10]
