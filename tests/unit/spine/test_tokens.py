"""The fast sealer's tokens are Fernet's (``shared.tokens``): byte for byte the same for the same
key, time and IV, whatever the value's length (padding at each edge of a block), opened by
Fernet itself, refused by another key, and a fresh IV each time."""
import os

import pytest
from cryptography.fernet import Fernet, InvalidToken

from shared.tokens import TokenMaker


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 31, 32, 33, 100])
def test_a_token_is_the_one_fernet_makes_for_the_same_time_and_iv(size):
    key, iv, at = Fernet.generate_key(), os.urandom(16), 1_764_547_200
    data = os.urandom(size)
    made = TokenMaker(key).token(data, at, iv)
    assert made == Fernet(key)._encrypt_from_parts(data, at, iv)
    assert Fernet(key).decrypt(made) == data


def test_each_value_gets_its_own_iv_and_only_its_key_opens_it():
    key = Fernet.generate_key()
    maker = TokenMaker(key)
    one, two = maker.token("Trần Thị Bình".encode()), maker.token("Trần Thị Bình".encode())
    assert one != two
    assert Fernet(key).decrypt(one) == Fernet(key).decrypt(two) == "Trần Thị Bình".encode()
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(one)
    assert abs(Fernet(key).extract_timestamp(one) - __import__("time").time()) < 60


def test_a_key_that_is_not_32_bytes_is_refused():
    import base64
    with pytest.raises(ValueError):
        TokenMaker(base64.urlsafe_b64encode(os.urandom(16)))


def test_every_token_of_one_maker_is_signed_alone():
    """The maker keys its HMAC once and signs a copy per value: the tenth token of a maker is the
    one Fernet makes, as the first is (a signature state carried from one value to the next would
    differ)."""
    key, at = Fernet.generate_key(), 1_764_547_200
    maker = TokenMaker(key)
    for size in (0, 5, 16, 33, 5, 0, 100, 17, 1, 48):
        iv, data = os.urandom(16), os.urandom(size)
        assert maker.token(data, at, iv) == Fernet(key)._encrypt_from_parts(data, at, iv)
