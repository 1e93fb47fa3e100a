"""Signing in with a name and a password: set by ``dangvien user password``, stored as a salted
scrypt hash, answered the same for a wrong password and an unknown name, locked after repeated
failures (for any name, known or not), and a session that signing out closes."""
from __future__ import annotations

import sqlite3
import subprocess

import pytest

from tests.support.services import base_env, cli, http

pytestmark = pytest.mark.integration

PASSWORD = "Chi-bo-Ap-1-nam-2026"


def set_password(system, name: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli("user", "password", name, "--password-stdin", "--data-dir", str(system.data_dir)),
                          input=password + "\n", env=base_env(), capture_output=True, text=True, timeout=120)


def login(system, name, password):
    return http("POST", f"{system.url}/api/v1/login", {"name": name, "password": password},
                {"Content-Type": "application/json"})


def test_sign_in_with_name_and_password_opens_a_session_and_signing_out_closes_it(system):
    system.user_add("pw_clerk", "clerk", "TN-D1")
    done = set_password(system, "pw_clerk", PASSWORD)
    assert done.returncode == 0, done.stderr
    status, body = login(system, "pw_clerk", PASSWORD)
    assert status == 200, body
    assert body["name"] == "pw_clerk" and body["role"] == "clerk" and body["scope"] == "TN-D1"
    session = {"Authorization": f"Bearer {body['token']}"}
    status, me = http("GET", f"{system.url}/api/v1/me", None, session)
    assert status == 200 and me["name"] == "pw_clerk"
    # the session is cut to the user's scope like a token: another district's cell is refused
    status, _ = http("GET", f"{system.url}/api/v1/members/unit_members?org_unit_id=TN-D2-G1-C1", None, session)
    assert status == 403
    assert http("POST", f"{system.url}/api/v1/logout", None, session)[0] == 200
    assert http("GET", f"{system.url}/api/v1/me", None, session)[0] == 401


def test_the_password_is_stored_as_a_salted_scrypt_hash_and_the_change_is_audited(system):
    for name in ("pw_a", "pw_b"):
        system.user_add(name, "viewer", None)
        assert set_password(system, name, PASSWORD).returncode == 0
    with sqlite3.connect(system.data_dir / "gateway.db") as db:
        stored = dict(db.execute("SELECT name, password_hash FROM gw_users WHERE name IN ('pw_a', 'pw_b')"))
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored.values())
    assert stored["pw_a"] != stored["pw_b"]  # a salt of its own each
    log = subprocess.run(cli("user", "log", "pw_a", "--data-dir", str(system.data_dir)), env=base_env(),
                         capture_output=True, text=True, timeout=120)
    assert "\tpassword\tpw_a" in log.stdout and PASSWORD not in log.stdout


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(system):
    system.user_add("pw_same", "viewer", None)
    assert set_password(system, "pw_same", PASSWORD).returncode == 0
    wrong = login(system, "pw_same", PASSWORD + "x")
    unknown = login(system, "pw_nobody_here", PASSWORD)
    no_password = login(system, "prov_viewer", PASSWORD)  # a user who has only a token
    assert wrong[0] == unknown[0] == no_password[0] == 401
    assert wrong[1] == unknown[1] == no_password[1]
    assert wrong[1]["message_vi"] == "Tên đăng nhập hoặc mật khẩu không đúng"
    # a token is not a password either
    assert login(system, "prov_viewer", system.tokens["prov_viewer"])[0] == 401


def test_repeated_failures_lock_the_name_whether_it_exists_or_not(system):
    system.user_add("pw_locked", "viewer", None)
    assert set_password(system, "pw_locked", PASSWORD).returncode == 0
    for name in ("pw_locked", "pw_ghost"):
        answers = [login(system, name, f"sai-mat-khau-{i}")[0] for i in range(5)]
        assert answers == [401] * 5
        locked = login(system, name, PASSWORD)  # even the right password now waits
        assert locked[0] == 429 and locked[1]["code"] == "too_many_attempts", locked
        assert "15 phút" in locked[1]["message_vi"]
    # the lock is the name's: another user still signs in (4 failures do not lock)
    system.user_add("pw_free", "viewer", None)
    assert set_password(system, "pw_free", PASSWORD).returncode == 0
    assert [login(system, "pw_free", f"sai-{i}")[0] for i in range(4)] == [401] * 4
    assert login(system, "pw_free", PASSWORD)[0] == 200


def test_a_weak_password_or_an_unknown_user_is_refused_by_the_cli(system):
    short = set_password(system, "prov_viewer", "ngan-qua")
    assert short.returncode == 2 and "ít nhất 10 ký tự" in short.stderr and "at least 10" in short.stderr
    named = set_password(system, "prov_viewer", "prov_viewer-2026-x")
    assert named.returncode == 2 and "tên đăng nhập" in named.stderr
    ghost = set_password(system, "pw_nobody_here", PASSWORD)
    assert ghost.returncode == 2 and "không có người dùng" in ghost.stderr
    assert login(system, "prov_viewer", "ngan-qua")[0] == 401  # nothing was set
