"""Numbers and dates the Vietnamese way: 1.234,5 (dot for thousands, comma for decimals), dd/mm/yyyy."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from shared.dates import VN_TIME

DASH = "—"


def number(value: int | float | None, decimals: int = 2) -> str:
    """1234 → 1.234; 1234.5 → 1.234,5; 109.09 → 109,09 (trailing zeros dropped, half away from zero)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    frac = frac.rstrip("0")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def change(value: float | None) -> str:
    """A change percentage with its sign: +109,09 / -17,47 / 0; none when there is nothing to compare."""
    if value is None:
        return DASH
    text = number(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def met(value: bool | None) -> str:
    return DASH if value is None else ("Đạt" if value else "Không đạt")


def yes(value: bool | None) -> str:
    """A yes/no fact (expected at a meeting, working away): Có / Không — "Đạt" is for a target met."""
    return DASH if value is None else ("Có" if value else "Không")


def date(day: dt.date | str | None) -> str:
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return day.strftime("%d/%m/%Y")


def moment(text: str | None) -> str:
    """A recording time (stored in UTC) as people in Viet Nam read it, on their own clock (UTC+7,
    no daylight saving): 2026-11-30T14:05:03Z → 21:05:03 30/11/2026 (giờ Việt Nam, UTC+7); a
    time after 17:00 UTC is already the next day there."""
    if not text or text.startswith("9999"):
        return "mọi dữ kiện đã ghi nhận"
    return local_time(text).strftime("%H:%M:%S %d/%m/%Y") + " (giờ Việt Nam, UTC+7)"


def local_time(text: str) -> dt.datetime:
    """A recording time (ISO 8601, UTC when it names no zone) on Viet Nam's clock, to the second."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:  # recording times are UTC
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(VN_TIME).replace(microsecond=0)


def cell(value, kind: str) -> str:
    if kind == "change":
        return change(value)
    if kind == "met":
        return met(value)
    return number(value, 0) if isinstance(value, int) else number(value)
