"""The integrity key: loaded from outside the data folder, refused when readable by others, inside
the data folder, malformed or too short — each named (Vietnamese and English), exit 2, nothing
started. Rotation keeps the old keys."""
from __future__ import annotations

import os
import subprocess

import pytest

from shared import keys
from tests.support.services import base_env, cli


def up(tmp_path, **env):
    done = subprocess.run(cli("up", "--data-dir", str(tmp_path / "data"), "--port", "1"),
                          env=base_env(DANGVIEN_METRICS_PORT="0", **env), capture_output=True, text=True, timeout=120)
    return done.returncode, " ".join(done.stderr.split())


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "k" / "integrity.key"
    keys.create_file(path)
    os.chmod(path, 0o644)
    code, said = up(tmp_path, DANGVIEN_INTEGRITY_KEY_FILE=str(path))
    assert code == 2 and "0600" in said and "quyền" in said and "chmod 600" in said and "Traceback" not in said


def test_a_key_file_inside_the_data_folder_is_refused(tmp_path):
    path = tmp_path / "data" / "integrity.key"
    keys.create_file(path)
    code, said = up(tmp_path, DANGVIEN_INTEGRITY_KEY_FILE=str(path))
    assert code == 2 and "thư mục dữ liệu" in said and "inside the data folder" in said


@pytest.mark.parametrize("value,why", [("nocolon", "<key id>:<secret>"), ("k1:abcd", "shorter than 16 bytes"),
                                       ("k1:zz-not-hex-nor-base64!", "neither hex nor base64"),
                                       ("bad id:" + "00" * 32, "invalid key id")])
def test_a_malformed_key_secret_is_refused(tmp_path, value, why):
    code, said = up(tmp_path, DANGVIEN_INTEGRITY_KEY=value)
    assert code == 2 and why in said


def test_sixteen_bytes_is_enough_and_the_last_key_signs():
    ring = keys.parse_env("old:" + "11" * 16 + ",new:" + "22" * 32)
    assert ring.current.id == "new" and set(ring.keys) == {"old", "new"}
    with pytest.raises(keys.KeyError_):
        keys.parse_env("k:" + "11" * 15)


def test_the_default_key_is_created_once_beside_the_data_folder(tmp_path):
    from shared.config import Settings
    settings = Settings(data_dir=tmp_path / "data", integrity_key=None, integrity_key_file="")
    first = keys.resolve(settings)
    path = tmp_path / "data.integrity" / "integrity.key"
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert keys.resolve(settings).current == first.current  # read back, not made again
    new_id = keys.rotate_file(path)
    rotated = keys.resolve(settings)
    assert rotated.current.id == new_id and rotated.get(first.current.id) == first.current
