"""``dangvien user disable|enable|revoke|list|log`` and the vault's master key, as an operator runs them."""
from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
from cryptography.fernet import Fernet

from shared.personal import Vault
from shared.readmodel import ReadModelDB
from shared.vaultkey import VaultKeyError, master_key, parse

from services.gateway.auth import UserStore

from tests.support.services import base_env, cli


def run(tmp_path, *args, **env):
    done = subprocess.run(cli("user", *args, "--data-dir", str(tmp_path)), env=base_env(**env),
                          capture_output=True, text=True, timeout=120)
    return done


def users(tmp_path) -> UserStore:
    return UserStore(ReadModelDB(f"sqlite:///{tmp_path}/gateway.db"))


def test_disable_enable_revoke_with_an_audit_of_who_did_it(tmp_path):
    token = run(tmp_path, "add", "clerk7", "--role", "clerk", "--scope", "TN-D1", "--by", "chanh_vp").stdout.strip()
    assert users(tmp_path).authenticate(token).name == "clerk7"

    done = run(tmp_path, "disable", "clerk7", "--by", "chanh_vp")
    assert done.returncode == 0 and "Đã khóa «clerk7»" in done.stdout, done.stderr
    assert users(tmp_path).authenticate(token) is None
    listed = run(tmp_path, "list").stdout
    assert "clerk7" in listed and "đã khóa / disabled" in listed

    assert run(tmp_path, "enable", "clerk7", DANGVIEN_OPERATOR="pho_vp").returncode == 0
    assert users(tmp_path).authenticate(token).name == "clerk7"  # the same token works again

    assert run(tmp_path, "revoke", "clerk7").returncode == 0
    assert users(tmp_path).authenticate(token) is None
    assert "đã thu hồi / revoked" in run(tmp_path, "list").stdout
    assert run(tmp_path, "enable", "clerk7").returncode == 0
    assert users(tmp_path).authenticate(token) is None  # a revoked token never comes back
    fresh = run(tmp_path, "token", "clerk7", "--by", "chanh_vp").stdout.strip()
    assert users(tmp_path).authenticate(fresh).name == "clerk7"

    log = [(r["actor"], r["action"], r["name"]) for r in users(tmp_path).audit("clerk7")]
    host = log[3][0]
    assert log == [("chanh_vp", "add", "clerk7"), ("chanh_vp", "disable", "clerk7"), ("pho_vp", "enable", "clerk7"),
                   (host, "revoke", "clerk7"), (host, "enable", "clerk7"), ("chanh_vp", "token", "clerk7")]
    assert host.startswith("host:")
    shown = run(tmp_path, "log", "clerk7").stdout
    assert "chanh_vp\tdisable\tclerk7" in shown and "pho_vp\tenable\tclerk7" in shown
    assert fresh not in shown and token not in shown
    stored = sqlite3.connect(tmp_path / "gateway.db").execute("SELECT * FROM gw_user_audit").fetchall()
    assert fresh not in str(stored)


def test_an_unknown_user_is_named_and_nothing_is_recorded(tmp_path):
    for action in ("disable", "enable", "revoke"):
        done = run(tmp_path, action, "nobody")
        assert done.returncode == 2 and "không có người dùng «nobody»" in done.stderr and "no user 'nobody'" in done.stderr
    assert users(tmp_path).audit() == []


def key_file(path, mode=0o600, text=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((text or Fernet.generate_key().decode()) + "\n")
    os.chmod(path, mode)
    return path


def test_the_master_key_file_must_be_private_and_outside_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DANGVIEN_VAULT_KEY", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("DANGVIEN_VAULT_KEY_FILE", str(key_file(data / "vault.key")))
    with pytest.raises(VaultKeyError, match="inside the data directory"):
        master_key(data)
    monkeypatch.setenv("DANGVIEN_VAULT_KEY_FILE", str(key_file(tmp_path / "keys" / "open.key", mode=0o644)))
    with pytest.raises(VaultKeyError, match="chmod 600"):
        master_key(data)
    monkeypatch.setenv("DANGVIEN_VAULT_KEY_FILE", str(tmp_path / "keys" / "missing.key"))
    with pytest.raises(VaultKeyError, match="no vault key file"):
        master_key(data)
    monkeypatch.setenv("DANGVIEN_VAULT_KEY_FILE", str(key_file(tmp_path / "keys" / "ok.key")))
    assert master_key(data) is not None
    with pytest.raises(VaultKeyError, match="not a Fernet key"):
        parse("not-a-key")


def test_the_default_key_is_made_private_outside_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DANGVIEN_VAULT_KEY", raising=False)
    monkeypatch.delenv("DANGVIEN_VAULT_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    master_key(tmp_path / "data")
    made = tmp_path / "config" / "dangvien" / "vault.key"
    assert oct(made.stat().st_mode & 0o777) == "0o600"
    assert oct(made.parent.stat().st_mode & 0o777) == "0o700"


def test_serve_without_a_usable_master_key_says_so_and_exits_2(tmp_path):
    env = base_env(DANGVIEN_DATA_DIR=str(tmp_path / "data"),
                   DANGVIEN_VAULT_KEY_FILE=str(key_file(tmp_path / "open.key", mode=0o644)))
    done = subprocess.run(cli("serve", "members"), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert "chmod 600" in said and "vault key file" in said


def test_rotation_rewraps_every_key_and_the_old_master_key_can_then_go(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    db = ReadModelDB(f"sqlite:///{tmp_path}/members.keys.db")
    vault = Vault(db, parse(old))
    sealed = vault.seal("M1", "Nguyễn Thị Xoay")
    # rotation: the new key in front, every stored key rewrapped, then the old key dropped
    assert Vault(db, parse(f"{new},{old}")).rewrap() == 1
    assert Vault(db, parse(new)).unseal("M1", sealed) == "Nguyễn Thị Xoay"
    from shared.personal import MasterKeyMissing
    with pytest.raises(Exception):
        Vault(db, parse(old)).unseal("M1", sealed)
    with pytest.raises(MasterKeyMissing):
        Vault(db).unseal("M1", sealed)


def test_keys_written_before_wrapping_are_wrapped_on_the_next_start(tmp_path):
    db = ReadModelDB(f"sqlite:///{tmp_path}/members.keys.db")
    sealed = Vault(db).seal("M1", "Trần Văn Cũ")  # an older vault: keys in clear
    assert not db.query("SELECT key FROM personal_keys")[0][0].startswith("wrapped:")
    master = parse(Fernet.generate_key().decode())
    assert Vault(db, master).unseal("M1", sealed) == "Trần Văn Cũ"
    assert db.query("SELECT key FROM personal_keys")[0][0].startswith("wrapped:v1:")
