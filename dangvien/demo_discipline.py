"""Demo data of the Inspection Committee's work (D7) over ``dangvien.demo.world()``.

Four terms (2010–2015 to the first months of 2025–2030) of supervision, inspections and discipline
decisions. Organisations to members follow the directive's footnote 1: 23 organisations to 633
members disciplined in 2015–2020 (≈ 1 : 27.5). Members disciplined: Tây Ninh's 633 in a term for
some 45,000 members is about 1.4 % a term; the demo shows 5–6 % a term (a small demo still needs
each form and appeal outcome), fewer in 2020–2025 (the directive's aim). Every line
passes the live rules: subjects exist on the decision date, forms fit the subject, violations are
within the limitation period, appeals are lodged within a month. It includes an expulsion, a
dismissal from a post, and appeals that end upheld, changed and annulled.

Deterministic (seeded): loading the demo twice writes nothing new.
"""
from __future__ import annotations

import datetime as dt
import random

from shared.dates import add_months

#: (term, first and last decision day, share of members disciplined, organisations per member disciplined)
PLAN = (
    ("2010-2015", dt.date(2011, 3, 1), dt.date(2015, 8, 31), 0.06),
    ("2015-2020", dt.date(2016, 6, 1), dt.date(2020, 8, 31), 0.06),
    ("2020-2025", dt.date(2020, 11, 1), dt.date(2025, 8, 31), 0.05),
    ("2025-2030", dt.date(2025, 11, 1), dt.date(2026, 5, 31), 0.015),  # the first months of the term
)
ORG_PER_MEMBER_CASE = 23 / 633
MEMBER_FORMS = (("reprimand", 55), ("warning", 28), ("dismissal", 6), ("expulsion", 11))
POSTS = ("Chi ủy viên", "Phó Bí thư chi bộ", "Bí thư chi bộ")
SUPERVISION_TOPICS = ("Việc thực hiện chế độ sinh hoạt chi bộ", "Việc quản lý đảng viên đi làm ăn xa",
                      "Việc thu, nộp đảng phí", "Việc chuyển sinh hoạt đảng")


def line(type_: str, occurred_on: dt.date, data: dict) -> dict:
    return {"type": type_, "occurred_on": occurred_on.isoformat(),
            "data": {k: v for k, v in data.items() if v is not None}}


def _body(cell: str) -> str:
    """The inspecting body is the grassroots committee above the cell (``TN-D1-G2-C3`` → ``TN-D1-G2``)."""
    return f"Ủy ban Kiểm tra Đảng ủy {cell.rsplit('-', 1)[0]}"


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _recognitions(world: dict) -> dict[str, dt.date]:
    """Recognitions already in the world's lines (the members area may add them itself)."""
    return {l["data"]["member_id"]: dt.date.fromisoformat(l["occurred_on"])
            for l in world["lines"] if l["type"] == "member.recognized_official"}


EXITS = ("member.removed", "member.resigned", "member.expelled", "member.died", "member.transferred_out")


def _ends(world: dict, types: tuple[str, ...], key: str) -> dict[str, dt.date]:
    """When members left, or units closed, in the world's own lines (a subject must exist on the day)."""
    out: dict[str, dt.date] = {}
    for l in world["lines"]:
        if l["type"] in types:
            out.setdefault(l["data"][key], dt.date.fromisoformat(l["occurred_on"]))
    return out


def plan(world: dict, seed: int = 37) -> list[dict]:
    """The cases, as plain dicts (also used by ``expulsions`` for other areas' demo data)."""
    rng = random.Random(seed)
    # a member who changes cell is left alone too (the case names the admission cell)
    left = _ends(world, EXITS + ("member.transferred",), "member_id")
    closed = _ends(world, ("org_unit.merged", "org_unit.dissolved"), "org_unit_id")
    last_seen: dict[str, dt.date] = {}  # a member's last line in the world
    cells_of: dict[str, set[str]] = {}  # every cell a member belongs to in the world
    for l in world["lines"]:
        who = l["data"].get("member_id")
        if who:
            last_seen[who] = max(last_seen.get(who, dt.date.min), dt.date.fromisoformat(l["occurred_on"]))
            cells_of.setdefault(who, set()).update(
                u for u in (l["data"].get("org_unit_id"), l["data"].get("to_org_unit_id")) if u)

    def expellable(case: dict) -> bool:
        """Expel only a member with no later fact in the world: no later line, and no cell that is
        merged or dissolved (the members service then transfers its members)."""
        who = case["subject_id"]
        return last_seen.get(who, dt.date.min) < case["decided_on"] and not (cells_of.get(who, set()) & set(closed))
    members = sorted(world["members"], key=lambda m: m["member_id"])
    cases: list[dict] = []
    taken: set[str] = set()
    n = 0
    for term, first, last, share in PLAN:
        count = max(3, round(len(members) * share))
        for _ in range(count):
            decided = _day(rng, first, last)
            # a member admitted at least a year and a half before, not already disciplined; members
            # and cells that leave or close in the world's lines are left alone, so no later line
            # of theirs meets an expelled member
            pool = [m for m in members if m["member_id"] not in taken and m["member_id"] not in left
                    and dt.date.fromisoformat(m["admitted_on"]) + dt.timedelta(days=550) < decided]
            if not pool:
                continue
            m = rng.choice(pool)
            taken.add(m["member_id"])
            n += 1
            admitted = dt.date.fromisoformat(m["admitted_on"])
            form = rng.choices([f for f, _ in MEMBER_FORMS], [w for _, w in MEMBER_FORMS])[0]
            violation = decided - dt.timedelta(days=rng.randrange(60, 400))
            violation = max(violation, admitted + dt.timedelta(days=30))
            cases.append({"case_id": f"KL-{term[:4]}-{n:04d}", "subject_kind": "member", "subject_id": m["member_id"],
                          "org_unit_id": m["org_unit_id"], "admitted_on": admitted, "form": form,
                          "violation_on": violation, "decided_on": decided,
                          "post": rng.choice(POSTS) if form == "dismissal" else None})
            if form == "expulsion" and not expellable(cases[-1]):
                cases[-1]["form"] = "warning"
        for _ in range(max(1, round(count * ORG_PER_MEMBER_CASE))):
            n += 1
            decided = _day(rng, first, last)
            cells = [c for c in world["cells"] if c not in closed]
            if not cells:
                continue
            cell = rng.choice(cells)
            cases.append({"case_id": f"KL-{term[:4]}-{n:04d}", "subject_kind": "org_unit", "subject_id": cell,
                          "org_unit_id": cell, "form": rng.choice(["reprimand", "warning"]),
                          "violation_on": decided - dt.timedelta(days=rng.randrange(90, 500)), "decided_on": decided,
                          "post": None})
    # the tour of forms the demo must show, whatever the dice said
    member_cases = [c for c in cases if c["subject_kind"] == "member"]
    if not any(c["form"] == "expulsion" for c in member_cases):
        for case in member_cases:
            if expellable(case):
                case["form"], case["post"] = "expulsion", None
                break
    if not any(c["form"] == "dismissal" for c in member_cases):
        case = next(c for c in member_cases if c["form"] != "expulsion")
        case["form"], case["post"] = "dismissal", "Bí thư chi bộ"
    rest = [c for c in member_cases if c["form"] not in ("expulsion", "dismissal")]
    warnings = [c for c in rest if c["form"] == "warning"] or rest
    for case, outcome in zip(warnings, ("annulled", "upheld", "changed")):
        case["form"], case["appeal"] = "warning", outcome
    return cases


def expulsions(world: dict) -> dict[str, dt.date]:
    """Members the demo expels, with the decision date: the members service ends their membership
    then, so other areas' demo data should not show them active afterwards."""
    return {c["subject_id"]: c["decided_on"] for c in plan(world)
            if c["subject_kind"] == "member" and c["form"] == "expulsion"}


def lines(world: dict) -> list[dict]:
    rng = random.Random(41)
    recognized = _recognitions(world)
    out: list[dict] = []
    for c in plan(world):
        decided = c["decided_on"]
        body = _body(c["org_unit_id"])
        if c["subject_kind"] == "member" and c["form"] in ("dismissal", "expulsion") \
                and c["subject_id"] not in recognized:
            # only an official member can be dismissed or expelled: end the probation in the record
            recognized[c["subject_id"]] = add_months(c["admitted_on"], 12)
            out.append(line("member.recognized_official", recognized[c["subject_id"]],
                            {"member_id": c["subject_id"]}))
        inspection = f"KT-{c['case_id'][3:]}"
        opened = decided - dt.timedelta(days=rng.randrange(40, 70))
        opened = max(opened, c["violation_on"] + dt.timedelta(days=1))
        concluded = opened + dt.timedelta(days=rng.randrange(10, max(11, (decided - opened).days)))
        concluded = min(concluded, decided)
        out.append(line("inspection.opened", opened, {
            "inspection_id": inspection, "kind": "signs_of_violation", "body": body,
            "subject_kind": c["subject_kind"], "subject_id": c["subject_id"]}))
        out.append(line("inspection.concluded", concluded, {
            "inspection_id": inspection, "conclusion": "Có vi phạm, đề nghị xem xét thi hành kỷ luật",
            "violations": [{"committed_on": c["violation_on"].isoformat(),
                            "summary": "Vi phạm quy định về những điều đảng viên không được làm"}]}))
        announced = decided + dt.timedelta(days=rng.randrange(2, 10))
        out.append(line("discipline.applied", decided, {
            "case_id": c["case_id"], "subject_kind": c["subject_kind"], "subject_id": c["subject_id"],
            "form": c["form"], "violation_on": c["violation_on"].isoformat(), "decided_by": body,
            "announced_on": announced.isoformat(), "post": c["post"], "inspection_id": inspection}))
        outcome = c.get("appeal")
        if outcome:
            appealed = announced + dt.timedelta(days=rng.randrange(5, 25))
            out.append(line("discipline.appealed", appealed, {"case_id": c["case_id"],
                                                              "received_on": announced.isoformat()}))
            answered = appealed + dt.timedelta(days=rng.randrange(30, 80))
            higher = "Ban Thường vụ Huyện ủy"
            if outcome == "annulled":
                out.append(line("discipline.annulled", answered, {"case_id": c["case_id"], "decided_by": higher}))
            elif outcome == "changed":
                out.append(line("discipline.changed", answered, {"case_id": c["case_id"], "form": "reprimand",
                                                                 "decided_by": higher}))
            else:
                out.append(line("discipline.upheld", answered, {"case_id": c["case_id"], "decided_by": higher}))
    out.extend(_supervision(world, rng))
    return out


def _supervision(world: dict, rng: random.Random) -> list[dict]:
    """Regular and thematic supervision of cells, and a few regular inspections finding nothing."""
    out = []
    for year in range(2016, 2026):
        for i, cell in enumerate(rng.sample(world["cells"], min(4, len(world["cells"])))):
            opened = dt.date(year, rng.randint(2, 9), rng.randint(1, 28))
            if i < 3:
                sid = f"GS-{year}-{i + 1}"
                out.append(line("supervision.opened", opened, {
                    "supervision_id": sid, "kind": "thematic" if i % 2 else "regular", "body": _body(cell),
                    "subject_kind": "org_unit", "subject_id": cell, "topic": rng.choice(SUPERVISION_TOPICS)}))
                out.append(line("supervision.concluded", opened + dt.timedelta(days=45), {
                    "supervision_id": sid, "signs_of_violation": False,
                    "conclusion": "Chấp hành tốt; cần duy trì sinh hoạt chi bộ định kỳ"}))
            else:
                iid = f"KT-{year}-R{i}"
                out.append(line("inspection.opened", opened, {
                    "inspection_id": iid, "kind": "regular", "body": _body(cell),
                    "subject_kind": "org_unit", "subject_id": cell,
                    "topic": "Kiểm tra việc thực hiện nhiệm vụ kiểm tra, giám sát"}))
                out.append(line("inspection.concluded", opened + dt.timedelta(days=30), {
                    "inspection_id": iid, "conclusion": "Không phát hiện vi phạm"}))
    return out
