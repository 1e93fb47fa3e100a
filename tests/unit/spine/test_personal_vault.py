"""Personal data sealed per subject (Decree 13/2023/NĐ-CP) as a data-protection officer checks it:
a sealed value opens only with its subject's key, shredding the key erases it for every reader
(another process included) and for good, and no key is stored in the clear once a master key is
given."""
import pytest
from cryptography.fernet import Fernet

from shared.personal import PREFIX, MasterKeyMissing, ShreddedError, Vault, is_sealed
from shared.readmodel import ReadModelDB
from shared.vaultkey import parse

NAME = "Nguyễn Thị Hoà"


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/vault.db"


def stored_keys(url):
    return dict(ReadModelDB(url).query("SELECT subject, key FROM personal_keys"))


def test_a_sealed_value_hides_the_value_and_opens_for_its_subject(url):
    vault = Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    assert sealed.startswith("sealed:v1:") and is_sealed(sealed) and NAME not in sealed
    assert vault.unseal("M1", sealed) == NAME
    assert Vault(ReadModelDB(url)).unseal("M1", sealed) == NAME     # another process, the same vault
    assert vault.seal("M1", sealed) == sealed                      # not sealed twice
    assert vault.seal("M1", None) is None and vault.unseal("M1", None) is None


def test_a_value_sealed_for_one_subject_does_not_open_for_another(url):
    vault = Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    vault.seal("M2", "x")
    assert vault.unseal("M2", sealed) is None
    assert vault.unseal("M3", sealed) is None       # no key at all: none is made to read
    assert "M3" not in stored_keys(url)
    assert set(stored_keys(url)) == {"M1", "M2"}


def test_a_value_that_is_not_sealed_passes_through_and_a_number_is_sealed_as_text(url):
    vault = Vault(ReadModelDB(url))
    assert vault.unseal("M1", "legacy clear") == "legacy clear"
    assert not is_sealed(42) and not is_sealed("sealed:v2:x") and is_sealed(PREFIX)
    assert vault.unseal("M1", vault.seal("M1", 1995)) == "1995"


def test_a_damaged_sealed_value_reads_as_unknown_not_an_error(url):
    vault = Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    assert vault.unseal("M1", sealed[:-4] + "AAAA") is None


def test_shredding_erases_the_subject_for_every_reader_and_for_good(url):
    vault, other = Vault(ReadModelDB(url)), Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    kept = vault.seal("M2", "Trần Văn Giữ")
    assert other.unseal("M1", sealed) == NAME       # the other process has the key cached
    vault.shred("M1")
    assert vault.unseal("M1", sealed) is None
    assert Vault(ReadModelDB(url)).unseal("M1", sealed) is None
    assert vault.is_shredded("M1") and not vault.is_shredded("M2")
    assert vault.unseal("M2", kept) == "Trần Văn Giữ"
    assert "M1" not in stored_keys(url)
    with pytest.raises(ShreddedError):
        vault.seal("M1", "again")
    with pytest.raises(ShreddedError):
        Vault(ReadModelDB(url)).seal("M1", "again")
    vault.shred("M1")                               # idempotent
    assert "M1" not in stored_keys(url)


def test_sealed_fields_are_only_the_named_ones_that_hold_a_value(url):
    vault = Vault(ReadModelDB(url))
    data = {"member_id": "M1", "full_name": NAME, "birth_date": None, "sex": "female"}
    sealed = vault.seal_fields("M1", data, ["full_name", "birth_date", "phone"])
    assert is_sealed(sealed["full_name"]) and sealed["birth_date"] is None and "phone" not in sealed
    assert sealed["member_id"] == "M1" and sealed["sex"] == "female"
    assert data["full_name"] == NAME                 # the caller's data is not changed
    opened = vault.unseal_fields("M1", sealed, ["full_name", "birth_date", "phone"])
    assert opened == data and "phone" not in opened
    assert is_sealed(sealed["full_name"])


def test_a_keyed_hash_is_stable_per_vault_and_not_the_plain_hash(url):
    import hashlib
    vault = Vault(ReadModelDB(url))
    h = vault.keyed_hash("12345678")
    assert len(h) == 32 and int(h, 16) >= 0
    assert Vault(ReadModelDB(url)).keyed_hash("12345678") == h
    assert vault.keyed_hash("12345679") != h
    assert h != hashlib.sha256(b"12345678").hexdigest()[:32]
    assert Vault(ReadModelDB(url.replace("vault.db", "other.db"))).keyed_hash("12345678") != h


def test_with_a_master_key_no_subject_key_is_stored_in_the_clear(url):
    master = parse(Fernet.generate_key().decode())
    vault = Vault(ReadModelDB(url), master)
    sealed = vault.seal("M1", NAME)
    [key] = stored_keys(url).values()
    assert key.startswith("wrapped:v1:")
    assert Vault(ReadModelDB(url), master).unseal("M1", sealed) == NAME
    with pytest.raises(MasterKeyMissing):
        Vault(ReadModelDB(url)).unseal("M1", sealed)
    with pytest.raises(MasterKeyMissing):
        Vault(ReadModelDB(url)).rewrap()


def test_rewrapping_answers_how_many_keys_and_keeps_every_value_open(url):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    vault = Vault(ReadModelDB(url), parse(old))
    a, b = vault.seal("M1", NAME), vault.seal("M2", "Lê Văn Hai")
    assert Vault(ReadModelDB(url), parse(f"{new},{old}")).rewrap() == 2
    fresh = Vault(ReadModelDB(url), parse(new))
    assert fresh.unseal("M1", a) == NAME and fresh.unseal("M2", b) == "Lê Văn Hai"
    assert all(k.startswith("wrapped:v1:") for k in stored_keys(url).values())


def test_clear_keys_of_an_older_vault_are_all_wrapped_when_a_master_key_comes(url):
    old = Vault(ReadModelDB(url))
    a, b = old.seal("M1", NAME), old.seal("M2", "Lê Văn Hai")
    master = parse(Fernet.generate_key().decode())
    Vault(ReadModelDB(url), master)
    assert all(k.startswith("wrapped:v1:") for k in stored_keys(url).values())
    fresh = Vault(ReadModelDB(url), master)
    assert fresh.unseal("M1", a) == NAME and fresh.unseal("M2", b) == "Lê Văn Hai"


def test_a_refused_seal_names_the_shredded_subject(url):
    vault = Vault(ReadModelDB(url))
    vault.shred("M9")
    with pytest.raises(ShreddedError) as refused:
        vault.seal("M9", NAME)
    assert refused.value.args == ("M9",)


def test_shredding_drops_the_processs_copy_of_the_key_too(url):
    """No cipher made from a shredded key stays in the process's memory."""
    vault = Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    key = stored_keys(url)["M1"].encode()
    assert vault.unseal("M1", sealed) == NAME and key in vault._ciphers
    vault.shred("M1")
    assert key not in vault._ciphers and key not in vault._makers and "M1" not in vault._cache


def test_a_sealed_value_is_a_fernet_token_of_the_subjects_key_as_every_reader_opens_it(url):
    vault = Vault(ReadModelDB(url))
    sealed = vault.seal("M1", NAME)
    key = stored_keys(url)["M1"].encode()
    assert Fernet(key).decrypt(sealed[len(PREFIX):].encode()).decode() == NAME
    assert vault.seal("M1", NAME) != sealed  # a fresh IV each time


def test_new_keys_are_wrapped_with_the_first_master_key_alone(url):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    vault = Vault(ReadModelDB(url), parse(f"{new},{old}"))
    sealed = vault.seal("M1", NAME)
    wrapped = stored_keys(url)["M1"][len("wrapped:v1:"):]
    key = Fernet(new.encode()).decrypt(wrapped.encode())
    assert Fernet(key).decrypt(sealed[len(PREFIX):].encode()).decode() == NAME
    assert Vault(ReadModelDB(url), parse(new)).unseal("M1", sealed) == NAME


def test_a_master_key_given_as_a_plain_multifernet_wraps_the_keys_too(url):
    """A master key ring built by hand (not ``vaultkey.parse``) wraps with its first key as well."""
    from cryptography.fernet import MultiFernet
    first = Fernet(Fernet.generate_key())
    vault = Vault(ReadModelDB(url), MultiFernet([first]))
    sealed = vault.seal("M1", NAME)
    wrapped = stored_keys(url)["M1"]
    assert wrapped.startswith("wrapped:v1:")
    key = first.decrypt(wrapped[len("wrapped:v1:"):].encode())
    assert Fernet(key).decrypt(sealed[len(PREFIX):].encode()).decode() == NAME
