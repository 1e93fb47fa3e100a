"""Early-warning lists (DOMAIN.md §4 "detect in time", §7.4; D0).

Rows name members by id and unit only — never by name (personal data stays in the members
service). Limits come from the rule table in force on the date judged.
"""
from __future__ import annotations

import datetime as dt
import json

from shared.dates import add_months, add_working_days
from shared.rules import rules_on

from services.reporting.periods import vn_date
from services.reporting.view import MEMBER_HOLDING, View

LISTS_VI = {
    "unexcused_absences": "Vắng sinh hoạt không lý do trong năm",
    "unpaid_dues": "Tháng chưa đóng đảng phí trong năm",
    "recognition_overdue": "Quá hạn xét công nhận đảng viên chính thức",
    "exemption_overdue": "Hết hạn miễn sinh hoạt chưa kết thúc",
    "not_complete_twice": "Hai năm liền không hoàn thành nhiệm vụ",
    "working_away_overdue": "Đi làm ăn xa quá ngày dự kiến trở về",
    "working_away_no_contact": "Đi làm ăn xa không có thông tin liên lạc",
    "transfer_papers_overdue": "Quá hạn nộp hồ sơ chuyển sinh hoạt đảng",
    "remediation_overdue": "Quá hạn thực hiện kế hoạch khắc phục sau kiểm điểm",
    "new_member_class_overdue": "Quá hạn học lớp bồi dưỡng đảng viên mới",
    "cell_below_minimum": "Chi bộ có dưới 3 đảng viên chính thức",
}


def level(count: int, limit: int) -> str:
    """1 and 2 are warnings; the removal limit (3) reaches ground (a) of Charter art. 8."""
    return "removal_ground" if count >= limit else "warning"


def _active(v: View) -> str:
    s = v.t("stints")
    return (f"SELECT s.member_id, s.org_unit_id FROM {s} s WHERE s.from_on <= ? AND s.from_rec <= ? "
            "AND NOT (s.to_on IS NOT NULL AND s.to_on <= ? AND s.to_rec <= ?)")


def warnings(v: View, org: str | None, year: int | None = None) -> dict:
    year = year or v.as_of.year
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), v.as_of)
    rules = rules_on(end)
    limit = rules.removal_unexcused_months_in_year
    units = v.names_then(dict(v.q(f"SELECT org_unit_id, name FROM {v.t('units')}")), v.naming_day(start, end))
    rows: list[dict] = []
    cond, params = v.subtree("a.org_unit_id", org, on="a.occurred_on")
    # counted in months (Charter art. 8 ground (a): three months; several absences in a month are one)
    for member, unit in v.q(
            f"SELECT DISTINCT a.member_id, a.org_unit_id FROM {v.t('absences')} a "
            "WHERE a.excused = 0 "
            f"AND a.occurred_on BETWEEN ? AND ? AND a.recorded_at <= ? AND {cond}",
            [start.isoformat(), end.isoformat(), v.known, *params]):
        rows.append({"list": "unexcused_absences", "member_id": member, "org_unit_id": unit})
    # the count (and its level) is the member's, over the year: a member who moved cells keeps the months
    months = absent_months(v, sorted({r["member_id"] for r in rows}), start.isoformat(), end.isoformat())
    for r in rows:
        n = months.get(r["member_id"], 0)
        r.update(value=n, level=level(n, limit))
    active = {m: u for m, u in v.q(_active(v), (end.isoformat(), v.known, end.isoformat(), v.known))}
    in_scope = _scope(v, org, end)
    for member, n in unpaid_months(v, f"{year}-01", f"{year}-{end.month:02d}").items():
        unit = active.get(member)
        if unit and in_scope(unit):
            rows.append({"list": "unpaid_dues", "member_id": member, "org_unit_id": unit, "value": n,
                         "level": level(n, limit)})
    rows += _recognition_overdue(v, active, in_scope, end)
    recognised = _recognised(v)
    rows += _deadline_lists(v, active, in_scope, end, recognised)
    rows += _small_cells(v, active, in_scope, end, recognised)
    rows += _facts_lists(v, active, in_scope, year, end)
    for r in rows:
        r["unit_name"] = units.get(r["org_unit_id"], r["org_unit_id"])
        r["label_vi"] = LISTS_VI[r["list"]]
    rows.sort(key=lambda r: (r["list"], r["org_unit_id"] or "", r["member_id"]))
    return {**v.meta("warnings", org, v.naming_day(dt.date(year, 1, 1), dt.date(year, 12, 31)), year=year), "rows": rows}


def absent_months(v: View, members: list[str], first_day: str, day: str) -> dict[str, int]:
    """Member → the months of [first_day, day] with an unexcused absence, in any unit (DOMAIN.md §4:
    per member per calendar year; several absences in one month are one), as known at ``v.known``."""
    out: dict[str, int] = {}
    for i in range(0, len(members), 500):
        chunk = members[i:i + 500]
        out.update(v.q(f"SELECT member_id, COUNT(DISTINCT substr(occurred_on, 1, 7)) FROM {v.t('absences')} "
                       f"WHERE member_id IN ({','.join('?' * len(chunk))}) AND excused = 0 AND occurred_on BETWEEN "
                       "? AND ? AND recorded_at <= ? GROUP BY member_id", [*chunk, first_day, day, v.known]))
    return out


def unpaid_months(v: View, first: str, last: str, member: str | None = None) -> dict[str, int]:
    """Member (or just ``member``) → the months of [first, last] ('yyyy-mm') whose dues stand
    unpaid by the latest record of the month as known at ``v.known`` (a month paid later, or
    corrected, is no longer unpaid)."""
    d, one = v.t("dues"), "AND d.member_id = ? " if member else ""
    return dict(v.q(
        f"SELECT d.member_id, COUNT(*) FROM {d} d WHERE d.month BETWEEN ? AND ? AND d.recorded_at <= ? {one}"
        f"AND d.recorded_at = (SELECT MAX(x.recorded_at) FROM {d} x WHERE x.member_id = d.member_id "
        "AND x.month = d.month AND x.recorded_at <= ?) AND d.status = 'unpaid' GROUP BY d.member_id",
        (first, last, v.known, *([member] if member else []), v.known)))


def _scope(v: View, org: str | None, on: dt.date):
    """Units in ``org``'s subtree on ``on`` (as it stood then, or today's tree on ``current``)."""
    if not org:
        return lambda unit: True
    inside = v.inside(org, on, on)
    return lambda unit: unit in inside


def _recognition_overdue(v: View, active: dict, in_scope, on: dt.date) -> list[dict]:
    """Probationary members whose recognition is past probation + the working days allowed."""
    out = []
    mf = v.t("member_facts")
    due_of: dict[str, tuple[dt.date, str]] = {}  # admissions share dates: one computation per day
    recognised = _recognised(v)  # by ``on``: judged by the decision's own date
    for member, admitted in v.q(
            f"SELECT member_id, occurred_on FROM {mf} WHERE type = 'member.admitted' AND recorded_at <= ? "
            "", (v.known,)):
        unit = active.get(member)
        if not unit or not in_scope(unit) or recognised.get(member, "9999") <= on.isoformat():
            continue
        if admitted not in due_of:
            admitted_on = dt.date.fromisoformat(admitted)
            rules = rules_on(admitted_on)
            due = add_working_days(add_months(admitted_on, rules.probation_months), rules.recognition_working_days)
            due_of[admitted] = (due, vn_date(due))
        due, since = due_of[admitted]
        if due < on:
            out.append({"list": "recognition_overdue", "member_id": member, "org_unit_id": unit,
                        "value": (on - due).days, "level": "overdue", "since": since})
    return out


def _recognised(v: View) -> dict[str, str]:
    """Member → the date recognition as official was decided (the fact is dated from the end of probation)."""
    out: dict[str, str] = {}
    for member, occurred, detail in v.q(f"SELECT member_id, occurred_on, detail FROM {v.t('member_facts')} "
                                        "WHERE type = 'member.recognized_official' AND recorded_at <= ?", (v.known,)):
        out[member] = min(out.get(member, "9999"), json.loads(detail or "{}").get("decided_on") or occurred)
    return out


def _small_cells(v: View, active: dict, in_scope, on: dt.date, recognised: dict[str, str]) -> list[dict]:
    """Member-holding units with fewer official members than the Charter's minimum on ``on``
    (art. 24: a cell has at least 3 official members). Official: recognised by then, or come from
    elsewhere (transferred in; their probation was judged there)."""
    day = on.isoformat()
    admitted = dict(v.q(f"SELECT member_id, admitted_on FROM {v.t('members')}"))
    official: dict[str, int] = {}
    for member, unit in active.items():
        if not admitted.get(member) or recognised.get(member, "9999") <= day:
            official[unit] = official.get(unit, 0) + 1
    return _small_cells_of(v, official, in_scope, on)


def member_holding(v: View) -> list[tuple]:
    """(unit, merged_on, dissolved_on, created_on) of the units that hold members (cells)."""
    return v.q(f"SELECT org_unit_id, merged_on, dissolved_on, created_on FROM {v.t('units')} WHERE kind IN (?, ?)",
               MEMBER_HOLDING)


def _small_cells_of(v: View, official: dict[str, int], in_scope, on: dt.date, cells: list[tuple] | None = None
                    ) -> list[dict]:
    """``_small_cells`` from the official members per unit on ``on`` (of ``cells``: ``member_holding``)."""
    limit, day = rules_on(on).cell_min_official_members, on.isoformat()
    out = []
    for uid, merged, dissolved, created in (member_holding(v) if cells is None else cells):
        if (merged and merged <= day) or (dissolved and dissolved <= day) or (created and created > day):
            continue
        n = official.get(uid, 0)
        if n < limit and in_scope(uid):
            out.append({"list": "cell_below_minimum", "member_id": "", "org_unit_id": uid, "value": n,
                        "level": "warning"})
    return out


def _deadline_lists(v: View, active: dict, in_scope, on: dt.date, recognised: dict[str, str]) -> list[dict]:
    """Time limits open on ``on`` (DOMAIN.md §3, §7.4): transfer papers within 30 working days of an
    official transfer, the remediation plan's due date, the new-member class within 12 months of
    admission. An item done later was still overdue on a past date: "done" counts only when done
    (its business date) by ``on``. Papers are owed for the member's latest official transfer by
    ``on`` only: a new transfer replaces the limit of the one before (``papers_superseded``)."""
    mf, day = v.t("member_facts"), on.isoformat()
    done: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for member, type_, occurred, detail in v.q(
            f"SELECT member_id, type, occurred_on, detail FROM {mf} WHERE type IN ("
            "'member.transfer_papers_presented', 'member.remediation_completed', "
            "'member.new_member_class_completed') AND recorded_at <= ? AND occurred_on <= ?", (v.known, day)):
        done.setdefault((member, type_), []).append((occurred, json.loads(detail or "{}")))
    out = []
    since: dict[dt.date, str] = {}  # thousands of items share a due day: its Vietnamese date once

    def add(kind: str, member: str, unit: str, due: dt.date) -> None:
        if due < on:
            if due not in since:
                since[due] = vn_date(due)
            out.append({"list": kind, "member_id": member, "org_unit_id": unit, "value": (on - due).days,
                        "level": "overdue", "since": since[due]})

    dues: dict[tuple[str, str], dt.date] = {}  # (limit, start day) → due day: many facts share a day

    def due_of(limit: str, occurred: str) -> dt.date:
        if (limit, occurred) not in dues:
            start = dt.date.fromisoformat(occurred)
            rules = rules_on(start)
            dues[(limit, occurred)] = (add_working_days(start, rules.transfer_papers_working_days)
                                       if limit == "papers" else
                                       add_months(start, rules.new_member_class_within_months))
        return dues[(limit, occurred)]

    papers: dict[str, str] = {}  # member → the day of the latest official transfer (in date, then record order)
    for member, type_, occurred, detail in v.q(
            f"SELECT member_id, type, occurred_on, detail FROM {mf} WHERE type IN ('member.transferred', "
            "'member.transferred_in', 'member.remediation_planned', 'member.admitted') AND recorded_at <= ? "
            "AND occurred_on <= ? ORDER BY occurred_on, recorded_at", (v.known, day)):
        unit = active.get(member)
        if not unit or not in_scope(unit):
            continue  # not (or no longer) a member here on that day
        if type_ == "member.admitted":
            # the class belongs to probation: a member recognised official by then is past it
            if done.get((member, "member.new_member_class_completed")) or recognised.get(member, "9999") <= day:
                continue
            add("new_member_class_overdue", member, unit, due_of("class", occurred))
            continue
        d = json.loads(detail or "{}")
        if type_ in ("member.transferred", "member.transferred_in"):
            if asks_for_papers(d):
                papers[member] = occurred
        elif type_ == "member.remediation_planned" and d.get("due_on"):
            if any(str(x.get("year")) == str(d.get("year")) for _, x in done.get((member, "member.remediation_completed"), [])):
                continue
            add("remediation_overdue", member, unit, dt.date.fromisoformat(d["due_on"]))
    for member, occurred in papers.items():
        if not any(o >= occurred for o, _ in done.get((member, "member.transfer_papers_presented"), [])):
            add("transfer_papers_overdue", member, active[member], due_of("papers", occurred))
    return out


def asks_for_papers(detail: dict) -> bool:
    """An official transfer (or a transfer in) asks for papers; a temporary one and a cell's merge do not."""
    return detail.get("kind", "official") == "official" and detail.get("purpose") != "merge"


def papers_superseded(transfers: list[str]) -> list[str | None]:
    """For each of a member's transfers asking for papers (their days, in date then record order),
    the day a later one replaced its time limit (None for the last): papers go to the latest unit."""
    return [*transfers[1:], None]


def _facts_lists(v: View, active: dict, in_scope, year: int, on: dt.date) -> list[dict]:
    out = []
    mf = v.t("member_facts")
    ratings: dict[str, dict[int, str]] = {}  # the latest rating of each year given by ``on`` (as the spans)
    for member, detail in v.q(f"SELECT member_id, detail FROM {mf} WHERE type = 'member.rated' AND recorded_at <= ? "
                              "AND occurred_on <= ? ORDER BY occurred_on, recorded_at", (v.known, on.isoformat())):
        d = json.loads(detail or "{}")
        if "year" in d and "rating" in d:
            ratings.setdefault(member, {})[int(d["year"])] = d["rating"]
    for member, years in ratings.items():
        unit = active.get(member)
        last = [y for y in (year - 1, year) if y in years]
        if unit and in_scope(unit) and len(last) == 2 and all(years[y] == "not_complete" for y in last):
            out.append({"list": "not_complete_twice", "member_id": member, "org_unit_id": unit, "value": 2,
                        "level": "screening"})
    decided: dict[str, dict[str, list[str]]] = {}  # member → fact type → the days, by ``on``
    exempted = []
    for member, type_, started, detail in v.q(
            f"SELECT member_id, type, occurred_on, detail FROM {mf} WHERE type IN ('member.exempted', "
            "'member.exemption_ended') AND recorded_at <= ? AND occurred_on <= ?", (v.known, on.isoformat())):
        decided.setdefault(member, {}).setdefault(type_, []).append(started)
        if type_ == "member.exempted":
            exempted.append((member, started, detail))
    for member, started, detail in exempted:
        until = json.loads(detail or "{}").get("until")
        unit = active.get(member)
        mine = decided[member]
        if until and until < on.isoformat() and unit and in_scope(unit) and \
                exemption_closed(started, mine.get("member.exemption_ended", []), mine["member.exempted"]) is None:
            out.append({"list": "exemption_overdue", "member_id": member, "org_unit_id": unit,
                        "value": (on - dt.date.fromisoformat(until)).days, "level": "overdue",
                        "since": vn_date(dt.date.fromisoformat(until))})
    return out + _working_away_lists(v, active, in_scope, on)


def exemption_closed(started: str, ended: list[str], exempted: list[str]) -> str | None:
    """The day an exemption decided on ``started`` stopped standing: the first end of exemption
    on or after it, or the next exemption decided after it (a renewal replaces it); None while
    it stands. Its end date past, it is overdue until then (an end recorded later does not undo
    the days it was overdue)."""
    return min([o for o in ended if o >= started] + [o for o in exempted if o > started], default=None)


def _working_away_lists(v: View, active: dict, in_scope, on: dt.date) -> list[dict]:
    """Members away for work (D0, D3) with no contact, or past their expected return."""
    mf = v.t("member_facts")
    latest: dict[str, tuple[str, str, dict]] = {}
    for member, type_, occurred, detail in v.q(
            f"SELECT member_id, type, occurred_on, detail FROM {mf} WHERE type IN ('member.working_away_started', "
            "'member.working_away_ended') AND recorded_at <= ? AND occurred_on <= ? ORDER BY occurred_on, recorded_at",
            (v.known, on.isoformat())):
        latest[member] = (type_, occurred, json.loads(detail or "{}"))
    out = []
    for member, (type_, started, d) in latest.items():
        unit = active.get(member)
        if type_ != "member.working_away_started" or not unit or not in_scope(unit):
            continue
        due = d.get("expected_return")
        if due and due < on.isoformat():
            out.append({"list": "working_away_overdue", "member_id": member, "org_unit_id": unit,
                        "value": (on - dt.date.fromisoformat(due)).days, "level": "overdue",
                        "since": vn_date(dt.date.fromisoformat(due))})
        if not d.get("has_contact", True):
            out.append({"list": "working_away_no_contact", "member_id": member, "org_unit_id": unit,
                        "value": (on - dt.date.fromisoformat(started)).days, "level": "warning",
                        "since": vn_date(dt.date.fromisoformat(started))})
    return out
