"""Vietnam's public holidays (ngày nghỉ lễ, Tết), a dated table used by every working-day deadline.

Sources [C]:
- Bộ luật Lao động 2019 (Labour Code, No. 45/2019/QH14), Điều 112, from 1/1/2021: Tết Dương lịch
  1/1; Tết Âm lịch 5 days (dates set each year by the Prime Minister); Giỗ Tổ Hùng Vương 10/3 lunar;
  30/4; 1/5; Quốc khánh 2/9 plus one day before or after (1/9 or 3/9). Điều 111(3): a holiday on a
  weekly rest day is compensated on the next working day.
- Bộ luật Lao động 2012 (No. 10/2012/QH13), Điều 115, until 31/12/2020: the same without the
  extra day at 2/9.
- Each year's notice on holidays for public servants (Thông báo của Bộ Lao động – Thương binh và
  Xã hội, from 3/2025 Bộ Nội vụ, under the Prime Minister's decision): the Tết days and the days
  moved (a weekday off, worked back on a Saturday).

The lunar holidays and each year's moved days are listed per year below, 2015–2026. For later years
(or a correction) an administrator adds a JSON file named by ``DANGVIEN_HOLIDAYS``:
``{"days_off": ["2027-02-04", ...], "working_days": ["2027-..."], "source": "Thông báo số ..."}``
(``working_days``: make-up Saturdays). [I] A year with no Tết listed counts only the solar holidays.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache

D = dt.date

SOURCE = ("Bộ luật Lao động 2019, Điều 111–112 (2012: Điều 115); thông báo nghỉ lễ, Tết hằng năm "
          "của Bộ LĐTBXH / Bộ Nội vụ theo quyết định của Thủ tướng Chính phủ")

#: Tết Nguyên đán days off for public servants, first and last day (weekends inside included)
TET = {
    2015: (D(2015, 2, 16), D(2015, 2, 24)), 2016: (D(2016, 2, 6), D(2016, 2, 14)),
    2017: (D(2017, 1, 26), D(2017, 2, 1)), 2018: (D(2018, 2, 14), D(2018, 2, 20)),
    2019: (D(2019, 2, 2), D(2019, 2, 10)), 2020: (D(2020, 1, 23), D(2020, 1, 29)),
    2021: (D(2021, 2, 10), D(2021, 2, 16)), 2022: (D(2022, 1, 29), D(2022, 2, 6)),
    2023: (D(2023, 1, 20), D(2023, 1, 26)), 2024: (D(2024, 2, 8), D(2024, 2, 14)),
    2025: (D(2025, 1, 25), D(2025, 2, 2)), 2026: (D(2026, 2, 14), D(2026, 2, 22)),
}
#: Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month, by its solar date
HUNG_KINGS = {2015: D(2015, 4, 28), 2016: D(2016, 4, 16), 2017: D(2017, 4, 6), 2018: D(2018, 4, 25),
              2019: D(2019, 4, 14), 2020: D(2020, 4, 2), 2021: D(2021, 4, 21), 2022: D(2022, 4, 10),
              2023: D(2023, 4, 29), 2024: D(2024, 4, 18), 2025: D(2025, 4, 7), 2026: D(2026, 4, 26)}
#: the day beside 2/9 (Labour Code 2019, from 2021), as chosen each year
NATIONAL_DAY_EXTRA = {2021: D(2021, 9, 3), 2022: D(2022, 9, 1), 2023: D(2023, 9, 1), 2024: D(2024, 9, 3),
                      2025: D(2025, 9, 1), 2026: D(2026, 9, 1)}
#: weekdays given off by moving a working day to a Saturday (and those Saturdays)
MOVED_OFF = {2019: (D(2019, 4, 29),), 2024: (D(2024, 4, 29),), 2025: (D(2025, 5, 2),)}
MAKE_UP = {2019: (D(2019, 5, 4),), 2024: (D(2024, 5, 4),), 2025: (D(2025, 4, 26),)}


def _extra(path: str | None) -> dict:
    """The administrator's file at ``path`` (none: nothing added)."""
    if not path:
        return {"days_off": [], "working_days": []}
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: [dt.date.fromisoformat(x) for x in data.get(k, [])] for k in ("days_off", "working_days")}


@lru_cache(maxsize=None)
def _extra_cached(path: str | None) -> dict:
    return _extra(path)


def holidays(year: int) -> list[tuple[dt.date, str]]:
    """The public holidays of ``year`` as the law names them (weekend ones included)."""
    out = [(D(year, 1, 1), "Tết Dương lịch"), (D(year, 4, 30), "Ngày Chiến thắng"),
           (D(year, 5, 1), "Ngày Quốc tế lao động"), (D(year, 9, 2), "Quốc khánh")]
    if year in NATIONAL_DAY_EXTRA:
        out.append((NATIONAL_DAY_EXTRA[year], "Quốc khánh (ngày liền kề)"))
    if year in HUNG_KINGS:
        out.append((HUNG_KINGS[year], "Giỗ Tổ Hùng Vương"))
    if year in TET:
        first, last = TET[year]
        out += [(first + dt.timedelta(days=i), "Tết Âm lịch") for i in range((last - first).days + 1)]
    return sorted(out)


@lru_cache(maxsize=None)
def _days_off(year: int, path: str | None) -> frozenset:
    listed = {d for d, _ in holidays(year)}
    off = set(listed)
    tet = TET.get(year)
    for day in sorted(listed):  # a holiday on a weekend: the next working day off (art. 111(3))
        if day.weekday() >= 5 and not (tet and tet[0] <= day <= tet[1]):
            nxt = day + dt.timedelta(days=1)
            while nxt.weekday() >= 5 or nxt in off:
                nxt += dt.timedelta(days=1)
            off.add(nxt)
    off |= set(MOVED_OFF.get(year, ()))
    off |= {d for d in _extra_cached(path)["days_off"] if d.year == year}
    return frozenset(off)


def days_off(year: int) -> frozenset:
    """Every day of ``year`` with no work because of a holiday (compensations and moved days included)."""
    return _days_off(year, os.environ.get("DANGVIEN_HOLIDAYS"))


def make_up_days(year: int) -> frozenset:
    """Saturdays worked in exchange for a moved day off."""
    return _make_up_days(year, os.environ.get("DANGVIEN_HOLIDAYS"))


@lru_cache(maxsize=None)
def _make_up_days(year: int, path: str | None) -> frozenset:
    extra = _extra_cached(path)["working_days"]
    return frozenset(set(MAKE_UP.get(year, ())) | {d for d in extra if d.year == year})


def working_day_test(path: str | None = None):
    """``is_working_day`` for a run of days, the holiday file looked up once (a projection adds
    45 working days to each admission: a province's import asks ~5 million times)."""
    path = os.environ.get("DANGVIEN_HOLIDAYS") if path is None else path

    def is_working(day: dt.date) -> bool:
        if day in _make_up_days(day.year, path):
            return True
        return day.weekday() < 5 and day not in _days_off(day.year, path)
    return is_working
