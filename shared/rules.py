"""Dated rule parameters (DOMAIN.md §8): one table, each row valid from a date.

Every fact is judged by the rule in force on its business date (``rules_on(date)``), so a
replay gives the answer that was right at the time. Values marked [I] are our inference and
may be overridden per deployment by adding rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

D = dt.date

#: (parameter, valid_from, value, source)
RULE_TABLE: list[tuple[str, dt.date, Any, str]] = [
    # admission (Charter art. 4; QĐ 24 → QĐ 294 from 1/7/2025)
    ("admission_min_age_months", D(1900, 1, 1), 18 * 12, "Điều lệ Đảng, Điều 1"),
    ("admission_max_age_months", D(1900, 1, 1), 60 * 12, "QĐ 24-QĐ/TW / QĐ 294-QĐ/TW"),
    ("admission_decision_working_days", D(1900, 1, 1), 60, "QĐ 24 / QĐ 294"),
    ("admission_decision_extension_working_days", D(1900, 1, 1), 30, "QĐ 24 / QĐ 294"),
    ("admission_ceremony_working_days", D(1900, 1, 1), 30, "HD 01-HD/TW"),
    ("introducer_known_months", D(1900, 1, 1), 12, "Điều lệ Đảng, Điều 4"),
    ("admission_min_education", D(1900, 1, 1), "lower_secondary", "QĐ 24 / QĐ 294"),
    # probation
    ("probation_months", D(1900, 1, 1), 12, "Điều lệ Đảng, Điều 5"),
    ("recognition_working_days", D(1900, 1, 1), 30, "Điều lệ Đảng, Điều 5"),
    # transfers and exemptions
    ("transfer_papers_working_days", D(1900, 1, 1), 30, "QĐ 24 / QĐ 294"),
    ("temporary_transfer_min_months", D(1900, 1, 1), 3, "QĐ 24 / QĐ 294"),
    ("temporary_transfer_max_months", D(1900, 1, 1), 12, "QĐ 24 / QĐ 294"),
    ("temporary_study_max_months", D(1900, 1, 1), 24, "QĐ 24 / QĐ 294"),
    ("exemption_max_months_other_grounds", D(1900, 1, 1), 12, "QĐ 24 / QĐ 294"),
    ("abroad_transfer_months", D(1900, 1, 1), 12, "QĐ 24 / QĐ 294"),
    # categories [I]
    ("young_member_max_age", D(1900, 1, 1), 30, "[I] Đoàn TNCS age"),
    # rating (QĐ 124 → QĐ 366 from 9/2025)
    ("rating_scale", D(1900, 1, 1), "levels", "QĐ 124-QĐ/TW"),
    ("rating_scale", D(2025, 9, 1), "points100", "QĐ 366-QĐ/TW"),
    ("rating_points_thresholds", D(2025, 9, 1), {"excellent": 90, "good": 70, "complete": 50}, "QĐ 366"),
    ("rating_excellent_quota_of_good", D(1900, 1, 1), 0.20, "QĐ 124 / QĐ 366"),
    ("rating_min_months_since_admission", D(1900, 1, 1), 6, "QĐ 124 / QĐ 366"),
    # removal / re-admission
    ("removal_unexcused_months_in_year", D(1900, 1, 1), 3, "Điều lệ Đảng, Điều 8"),
    ("readmission_min_months", D(1900, 1, 1), 36, "QĐ 24 / QĐ 294"),
    # meetings (HD 12-HD/BTCTW 2018; HD 42 from 10/2025)
    ("meeting_attendance_min_rate", D(1900, 1, 1), 0.85, "HD 12-HD/BTCTW"),
    ("meeting_max_consecutive_absences", D(1900, 1, 1), 3, "HD 12-HD/BTCTW"),
    ("meeting_min_minutes_regular", D(1900, 1, 1), 0, "HD 12-HD/BTCTW"),
    ("meeting_min_minutes_regular", D(2025, 10, 1), 90, "HD 42-HD/BTCTW"),
    ("meeting_min_minutes_combined", D(2025, 10, 1), 120, "HD 42-HD/BTCTW"),
    ("meetings_regular_per_year", D(1900, 1, 1), 12, "KL 18-KL/TW"),
    ("meetings_thematic_per_year", D(1900, 1, 1), 4, "KL 18-KL/TW"),
    ("meeting_min_minutes_combined", D(1900, 1, 1), 0, "HD 12-HD/BTCTW"),
    # early warning (D0): unexcused absences / unpaid dues months per calendar year that raise a
    # warning; reaching removal_unexcused_months_in_year is removal ground (a) [I]
    ("absence_warning_counts", D(1900, 1, 1), (1, 2), "[I] Điều lệ Đảng, Điều 8; Chỉ thị (D0)"),
    # dues (QĐ 342 → QĐ 01-QĐ/TW from 1/2/2026)
    ("dues_rule", D(1900, 1, 1), "QĐ 342-QĐ/TW", "QĐ 342"),
    ("dues_rule", D(2026, 2, 1), "QĐ 01-QĐ/TW", "QĐ 01"),
    ("dues_reduction_rates", D(1900, 1, 1), (30, 50, 70), "QĐ 342 / QĐ 01"),
    ("dues_reduction_max_months", D(1900, 1, 1), 12, "QĐ 342 / QĐ 01"),
    ("dues_exempt_party_age_years", D(1900, 1, 1), 50, "QĐ 342 / QĐ 01"),
    ("dues_exemption_grounds", D(1900, 1, 1),
     ("party_age_50", "social_pension", "poor_household", "serious_illness"), "QĐ 342 / QĐ 01"),
    # discipline (QĐ 22 → QĐ 296; QĐ 69 amended by QĐ 264 in 2/2025)
    ("limitation_years_member", D(1900, 1, 1),
     {"reprimand": 5, "warning": 10, "dismissal": 10, "expulsion": None}, "QĐ 69 / QĐ 264"),
    ("limitation_years_org_unit", D(1900, 1, 1),
     {"reprimand": 5, "warning": 10, "dissolution": None}, "QĐ 69 / QĐ 264"),
    ("limitation_exempt_matters", D(1900, 1, 1),
     ("internal_politics", "national_interest", "illegal_diploma"), "QĐ 69 / QĐ 264"),
    ("discipline_effect_months", D(1900, 1, 1), 12, "Điều lệ Đảng, Điều 39"),
    ("dismissal_bar_months", D(1900, 1, 1), 12, "QĐ 69 / QĐ 264"),
    ("appeal_months", D(1900, 1, 1), 1, "Điều lệ Đảng, Điều 37"),
    ("discipline_rules", D(1900, 1, 1), "QĐ 22-QĐ/TW", "QĐ 22"),
    ("discipline_rules", D(2025, 7, 1), "QĐ 296-QĐ/TW", "QĐ 296"),
    # members service (services/members)
    ("exemption_open_ended_grounds", D(1900, 1, 1), ("old_age", "illness"), "QĐ 24 / QĐ 294"),
    ("readmission_barred_exits", D(1900, 1, 1), ("removed:abandoned_activity", "resigned"), "QĐ 24 / QĐ 294"),
    ("new_member_class_within_months", D(1900, 1, 1), 12, "HD 01-HD/TW"),
    ("cell_min_official_members", D(1900, 1, 1), 3, "Điều lệ Đảng, Điều 24"),
    # evaluation (D7)
    ("org_not_complete_disciplined_share", D(1900, 1, 1), 0.20, "QĐ 124 / QĐ 366"),
    # reporting (DOMAIN.md §7.6, §7.8) [I]
    ("report_new_member_years", D(1900, 1, 1), 3, "[I] Chỉ thị: đảng viên mới kết nạp"),
    ("report_late_entry_days", D(1900, 1, 1), 30, "[I] ghi nhận muộn"),
]



def _dated_qd24_qd294(rows):
    """QĐ 24-QĐ/TW (2021) applied the Charter until 30/6/2025; QĐ 294-QĐ/TW replaced it from
    1/7/2025 (DOMAIN.md §8). A row citing both becomes two dated rows, so each fact names the text
    in force on its own date (the values carried over unchanged)."""
    out = []
    for name, since, value, source in rows:
        if "QĐ 24" in source and "QĐ 294" in source and since == D(1900, 1, 1):
            out.append((name, since, value, "QĐ 24-QĐ/TW (2021)"))
            out.append((name, D(2025, 7, 1), value, "QĐ 294-QĐ/TW (2025)"))
        else:
            out.append((name, since, value, source))
    return out


RULE_TABLE = _dated_qd24_qd294(RULE_TABLE)

#: terms (nhiệm kỳ), DOMAIN.md §11
TERMS: dict[str, tuple[dt.date, dt.date]] = {
    "2010-2015": (D(2010, 10, 1), D(2015, 9, 30)),
    "2015-2020": (D(2015, 10, 1), D(2020, 9, 30)),
    "2020-2025": (D(2020, 10, 1), D(2025, 9, 30)),
    "2025-2030": (D(2025, 10, 1), D(2030, 9, 30)),
}


@dataclass(frozen=True)
class Rules:
    """The parameters in force on one date, with where each came from."""

    on: dt.date
    values: MappingProxyType
    sources: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __getattr__(self, name: str):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def source(self, name: str) -> str:
        return self.sources.get(name, "")


def rules_on(day: dt.date, table: list = RULE_TABLE) -> Rules:
    """The parameters in force on ``day``. Called on hot paths (every command, every report row),
    so the default table is resolved once per period between two change dates."""
    if table is RULE_TABLE:
        values, sources = _epoch(day)
        return Rules(day, values, sources)
    return _resolve(day, table)


_epochs: dict = {"size": -1, "dates": [], "cache": {}}


def _epoch(day: dt.date):
    import bisect
    if _epochs["size"] != len(RULE_TABLE):  # rows may be added at import time
        _epochs.update(size=len(RULE_TABLE), dates=sorted({row[1] for row in RULE_TABLE}), cache={})
    index = bisect.bisect_right(_epochs["dates"], day)
    cached = _epochs["cache"].get(index)
    if cached is None:
        anchor = _epochs["dates"][index - 1] if index else dt.date.min
        resolved = _resolve(anchor, RULE_TABLE)
        cached = _epochs["cache"][index] = (resolved.values, resolved.sources)
    return cached


def _resolve(day: dt.date, table: list) -> Rules:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    since: dict[str, dt.date] = {}
    for name, valid_from, value, source in table:
        if valid_from <= day and (name not in since or valid_from >= since[name]):
            values[name], sources[name], since[name] = value, source, valid_from
    return Rules(day, MappingProxyType(values), MappingProxyType(sources))


def term_of(day: dt.date) -> str | None:
    for name, (start, end) in TERMS.items():
        if start <= day <= end:
            return name
    return None
