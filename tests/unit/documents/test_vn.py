"""Numbers the Vietnamese way (dot for thousands, comma for decimals) and dates dd/mm/yyyy."""
from __future__ import annotations

import datetime as dt

import pytest

from documents import vn


@pytest.mark.parametrize("value, text", [
    (0, "0"), (999, "999"), (1000, "1.000"), (1234567, "1.234.567"), (-1000, "-1.000"),
    (1234.5, "1.234,5"), (109.09, "109,09"), (-17.47, "-17,47"), (98.0, "98"), (0.005, "0,01"), (-0.005, "-0,01"),
    (2.675, "2,68"), (None, "—"),
])
def test_number(value, text):
    assert vn.number(value) == text


def test_change_has_its_sign_and_none_when_nothing_to_compare():
    assert vn.change(109.09) == "+109,09" and vn.change(-17.47) == "-17,47" and vn.change(0.0) == "0"
    assert vn.change(1500.0) == "+1.500" and vn.change(None) == "—"


def test_met_dates_and_moments():
    assert (vn.met(True), vn.met(False), vn.met(None)) == ("Đạt", "Không đạt", "—")
    assert vn.date("2025-01-05") == "05/01/2025" and vn.date(dt.date(2025, 12, 31)) == "31/12/2025"
    assert vn.moment("2026-11-30T14:05:03.123456Z") == "21:05:03 30/11/2026 (giờ Việt Nam, UTC+7)"
    # after 17:00 UTC it is already the next day in Viet Nam: the next year, on 31/12
    assert vn.moment("2025-12-31T17:30:00Z") == "00:30:00 01/01/2026 (giờ Việt Nam, UTC+7)"
    assert vn.moment("2025-12-31T16:59:59+00:00") == "23:59:59 31/12/2025 (giờ Việt Nam, UTC+7)"
    assert vn.moment("9999-12-31T23:59:59.999999Z") == "mọi dữ kiện đã ghi nhận"


def test_a_yes_no_value_is_not_a_number():
    with pytest.raises(TypeError):
        vn.number(True)
