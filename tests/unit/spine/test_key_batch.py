"""An import stores the new members' personal-data keys in one transaction, before its events
(issue 15), and keeps all-or-nothing: a refused file stores no key; a key made meanwhile by
another command for the same member fails the import and writes nothing. Real SQLite files."""
from __future__ import annotations

import dataclasses
import json

import pytest

from services.members import application as app
from services.members.dependencies import standalone_deps
from shared.application import Context
from shared.errors import DomainError
from shared.eventstore import open_store
from shared.importing import parse_jsonl, run_import
from shared.keybatch import KeyBatch
from shared.personal import Vault, is_sealed
from shared.readmodel import ReadModelDB


def history(members: int, bad_line: bool = False) -> str:
    lines = [{"type": "org_unit.created", "occurred_on": "2020-01-01",
              "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"}},
             {"type": "org_unit.created", "occurred_on": "2020-01-01",
              "data": {"org_unit_id": "C1", "name": "Chi bộ 1", "kind": "grassroots_cell", "parent_id": "TN"}}]
    for i in range(members):
        lines.append({"type": "member.admitted", "occurred_on": "2020-02-03", "data": {
            "member_id": f"M{i}", "org_unit_id": "C1" if not (bad_line and i == members - 1) else "NOWHERE",
            "full_name": f"Trần Thị Bình {i}", "birth_date": "1995-02-01", "sex": "female"}})
    return "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)


@pytest.fixture
def setting(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/members.events.db")
    vault_db = ReadModelDB(f"sqlite:///{tmp_path}/vault.db")
    vault = Vault(vault_db)
    yield store, vault, vault_db, tmp_path
    store.close()
    vault_db.close()


def run(store, vault, text, before=None):
    keys = KeyBatch(vault)
    deps = dataclasses.replace(standalone_deps(store), vault=keys)
    lines, errors = parse_jsonl(text)
    assert not errors
    flush = keys.flush if before is None else (lambda: (before(), keys.flush()))
    return run_import(store, app.importers(deps), lines, Context(), before_commit=flush), keys


def stored_keys(vault_db) -> int:
    return vault_db.query("SELECT COUNT(*) FROM personal_keys")[0][0]


def test_the_keys_are_stored_once_and_open_what_was_sealed(setting):
    store, vault, vault_db, tmp_path = setting
    result, keys = run(store, vault, history(30))
    assert result["ok"] and result["written"] == 32
    assert stored_keys(vault_db) == 30 and keys.new == {}
    # a vault opened afresh on the same file (another process, a restart) reads every name
    fresh = Vault(ReadModelDB(f"sqlite:///{tmp_path}/vault.db"))
    admitted = [e for e in store.read_all() if e.type == "member.admitted"]
    assert len(admitted) == 30 and all(is_sealed(e.data["full_name"]) for e in admitted)
    assert {fresh.unseal(e.data["member_id"], e.data["full_name"]) for e in admitted} == \
        {f"Trần Thị Bình {i}" for i in range(30)}


def test_a_refused_file_stores_no_key_and_no_event(setting):
    store, vault, vault_db, _ = setting
    result, keys = run(store, vault, history(5, bad_line=True))
    assert not result["ok"] and result["errors"][0]["line"] == 7
    assert stored_keys(vault_db) == 0 and store.head_position() == 0
    assert vault._key("M0", create=False) is None  # nor left in the shared vault's cache


def test_a_key_made_meanwhile_by_another_command_fails_the_import(setting):
    store, vault, vault_db, tmp_path = setting
    other = Vault(ReadModelDB(f"sqlite:///{tmp_path}/vault.db"))  # another process
    with pytest.raises(DomainError) as caught:
        run(store, vault, history(3), before=lambda: other.seal("M1", "Lê Văn C"))
    assert caught.value.code == "personal_keys_changed" and "gửi lại" in caught.value.message_vi
    assert store.head_position() == 0  # nothing written


def test_a_member_with_a_stored_key_is_sealed_with_it(setting):
    store, vault, vault_db, _ = setting
    sealed_before = vault.seal("M0", "Tên cũ")
    result, _ = run(store, vault, history(2))
    assert result["ok"] and stored_keys(vault_db) == 2
    admitted = next(e for e in store.read_all() if e.type == "member.admitted" and e.data["member_id"] == "M0")
    assert vault.unseal("M0", admitted.data["full_name"]) == "Trần Thị Bình 0"
    assert vault.unseal("M0", sealed_before) == "Tên cũ"


@pytest.mark.parametrize("by_other", [False, True])
def test_with_a_master_key_the_stored_keys_are_wrapped_and_one_made_meanwhile_still_fails_it(setting, by_other):
    """The batch recognises its own rows by their wrapped text; another command's key (wrapped with
    the same master key) is still told apart."""
    from cryptography.fernet import Fernet

    from shared.vaultkey import parse
    store, _, vault_db, tmp_path = setting
    master = parse(Fernet.generate_key().decode())
    vault = Vault(vault_db, master)
    other = Vault(ReadModelDB(f"sqlite:///{tmp_path}/vault.db"), master)
    if by_other:
        with pytest.raises(DomainError) as caught:
            run(store, vault, history(3), before=lambda: other.seal("M1", "Lê Văn C"))
        assert caught.value.code == "personal_keys_changed" and store.head_position() == 0
        return
    result, _ = run(store, vault, history(3))
    assert result["ok"] and stored_keys(vault_db) == 3
    assert all(k.startswith("wrapped:v1:") for (k,) in vault_db.query("SELECT key FROM personal_keys"))
    admitted = [e for e in store.read_all() if e.type == "member.admitted"]
    assert {other.unseal(e.data["member_id"], e.data["full_name"]) for e in admitted} == \
        {f"Trần Thị Bình {i}" for i in range(3)}
