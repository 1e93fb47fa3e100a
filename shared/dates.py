"""Dates as users read them: dd/mm/yyyy (Vietnamese convention), everywhere a person sees one."""
from __future__ import annotations

import datetime as dt


def vn_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""
