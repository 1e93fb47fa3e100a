"""``GET /api/v1/events``'s cursor and page size as an integrator's program sends them: a position
written as plain digits is read; anything else — digit separators, spaces, signs, other scripts'
digits, decimals — is a malformed cursor, refused with the parameter named in Vietnamese and
English, never silently read as some other position."""
from __future__ import annotations

import pytest

from services.gateway.eventlog import MAX_LIMIT, page_request
from shared.errors import DomainError

SERVICES = ("members", "meetings")


@pytest.mark.parametrize("after,position", [("0", 0), ("7", 7), ("007", 7), (str(2 ** 62), 2 ** 62), ("", 0)])
def test_a_position_in_plain_digits_is_read(after, position):
    assert page_request({"service": "members", "after": after}, SERVICES)[1] == position


@pytest.mark.parametrize("field", ["after", "limit"])
@pytest.mark.parametrize("raw", ["1_0", " 5", "5 ", "+5", "\u0663", "\uff15", "5.0", "1e3", "0x10", "5\n"])
def test_a_malformed_number_is_refused_naming_the_parameter(field, raw):
    with pytest.raises(DomainError) as refused:
        page_request({"service": "members", field: raw}, SERVICES)
    assert refused.value.field == field and refused.value.status == 422
    assert field in refused.value.message_vi and field in refused.value.message_en


@pytest.mark.parametrize("query,field", [({"after": "-1"}, "after"), ({"after": str(2 ** 62 + 1)}, "after"),
                                         ({"limit": "0"}, "limit"), ({"limit": str(MAX_LIMIT + 1)}, "limit"),
                                         ({"limit": "9" * 5000}, "limit")])
def test_out_of_range_and_huge_numbers_are_refused(query, field):
    with pytest.raises(DomainError) as refused:
        page_request({"service": "members", **query}, SERVICES)
    assert refused.value.field == field


def test_the_page_size_bounds_are_allowed():
    assert page_request({"service": "members", "limit": "1"}, SERVICES)[2] == 1
    assert page_request({"service": "members", "limit": str(MAX_LIMIT)}, SERVICES)[2] == MAX_LIMIT
