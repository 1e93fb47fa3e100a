"""Composition (DOMAIN.md §7.3): the members of a subtree on one day, by category (young,
demobilised army / police, working away, abroad, exempt, on a temporary transfer elsewhere), by
status (probationary / official) and by the rating of a year.

A member counts in the unit of their official activity that day (a temporary transfer keeps the
home unit, DOMAIN.md §3), judged on the structure the view uses and as known at its recording time.
"""
from __future__ import annotations

import json
from collections import Counter

from shared.labels import VALUE_VI
from shared.rules import rules_on

from services.reporting.view import View
from services.reporting.early_warnings import _recognised
from services.reporting.known_records import records_as_known

CATEGORIES_VI = {"young": "Đảng viên trẻ (đến 30 tuổi)", "army": "Quân nhân xuất ngũ", "police": "Công an xuất ngũ",
                 "working_away": "Đi làm ăn xa", "abroad": "Ở nước ngoài", "exempt": "Miễn công tác và sinh hoạt",
                 "temporary": "Sinh hoạt tạm thời nơi khác"}
STATUS_VI = {"probationary": "Đảng viên dự bị", "official": "Đảng viên chính thức"}
RATINGS = ("excellent", "good", "complete", "not_complete")
#: situations held between two facts (start type, end type); a temporary transfer also ends on its
#: ``until``, an exemption the day after its ``until`` (as the members service's roster counts it)
SPANS = {"working_away": ("member.working_away_started", "member.working_away_ended"),
         "abroad": ("member.abroad_started", "member.abroad_ended"),
         "exempt": ("member.exempted", "member.exemption_ended"),
         "temporary": ("member.transferred", "member.temporary_transfer_ended")}


def composition(v: View, org: str | None, rating_year: int) -> dict:
    day = v.as_of.isoformat()
    cond, params = v.subtree("s.org_unit_id", org)
    present = [r[0] for r in v.q(
        f"SELECT s.member_id FROM {v.t('stints')} s WHERE s.from_on <= ? AND s.from_rec <= ? "
        "AND NOT (s.to_on IS NOT NULL AND s.to_on <= ? AND s.to_rec <= ?) AND " + cond,
        [day, v.known, day, v.known, *params])]
    members = {m: (r["birth_year"], r["demobilised"], r["admitted_on"]) for m, r in records_as_known(v).items()}
    recognised = _recognised(v)
    situations = _situations(v)
    young_age = rules_on(v.as_of).young_member_max_age
    cats: Counter = Counter()
    status: Counter = Counter()
    for m in present:
        birth, demob, admitted = members.get(m, (None, None, None))
        if birth and v.as_of.year - int(birth) <= young_age:
            cats["young"] += 1
        if demob in ("army", "police"):
            cats[demob] += 1
        for name in situations.get(m, set()):
            cats[name] += 1
        # official: recognised by then, or come from elsewhere (their probation was judged there)
        status["official" if not admitted or recognised.get(m, "9999") <= day else "probationary"] += 1
    ratings = _ratings(v, set(present), rating_year)
    rows = [{"group": "total", "key": "members", "label_vi": "Tổng số đảng viên", "value": len(present)}]
    rows += [{"group": "status", "key": k, "label_vi": label, "value": status[k]} for k, label in STATUS_VI.items()]
    rows += [{"group": "category", "key": k, "label_vi": label, "value": cats[k]} for k, label in CATEGORIES_VI.items()]
    rows += [{"group": "rating", "key": k, "label_vi": VALUE_VI["rating"][k], "value": ratings[k]} for k in RATINGS]
    rows.append({"group": "rating", "key": "not_rated", "label_vi": "Chưa xếp loại", "value": ratings["not_rated"]})
    return {**v.meta("composition", org, rating_year=rating_year), "rows": rows}


def _situations(v: View) -> dict[str, set[str]]:
    """Member → the situations (working away, abroad, exempt, temporary) open on the as-of date."""
    day = v.as_of.isoformat()
    kinds = {t: (name, i == 0) for name, pair in SPANS.items() for i, t in enumerate(pair)}
    open_: dict[str, dict[str, bool]] = {}
    for m, kind, on, detail in v.q(
            f"SELECT member_id, type, occurred_on, detail FROM {v.t('member_facts')} WHERE type IN "
            f"({','.join('?' * len(kinds))}) AND occurred_on <= ? AND recorded_at <= ? "
            "ORDER BY member_id, occurred_on, recorded_at", [*kinds, day, v.known]):
        name, starts = kinds[kind]
        d = json.loads(detail or "{}")
        if kind == "member.transferred":
            if d.get("kind") != "temporary":
                continue
            starts = not d.get("until") or d["until"] > day
        elif kind == "member.exempted":  # on other grounds it runs out by itself after its last day
            starts = not d.get("until") or d["until"] >= day
        open_.setdefault(m, {})[name] = starts
    return {m: {n for n, is_open in s.items() if is_open} for m, s in open_.items()}


def _ratings(v: View, present: set[str], year: int) -> Counter:
    """The latest rating of ``year`` given by the as-of date for each member counted."""
    latest: dict[str, str] = {}
    for m, detail in v.q(f"SELECT member_id, detail FROM {v.t('member_facts')} WHERE type = 'member.rated' "
                         "AND occurred_on <= ? AND recorded_at <= ? ORDER BY occurred_on, recorded_at",
                         [v.as_of.isoformat(), v.known]):
        d = json.loads(detail or "{}")
        if m in present and d.get("year") == year and d.get("rating") in RATINGS:
            latest[m] = d["rating"]
    out = Counter(latest.values())
    out["not_rated"] = len(present) - len(latest)
    return out
