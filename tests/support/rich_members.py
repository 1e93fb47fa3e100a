"""A members-service history with most of what a province's store holds — moves, merges,
dissolutions, late-recorded facts, temporary transfers, exemptions, working away, transfers out
and in, leavings, candidates, remediation and loans — appended straight to a store, for tests
that compare a projection applied event by event with the same projection applied in batches."""
from __future__ import annotations

import datetime as dt
import random

from shared.events import NewEvent

D = dt.date


def rich_members_history(store, members: int = 80, seed: int = 7) -> int:
    """Append the history to ``store`` (one append per event); returns how many events."""
    rng = random.Random(seed)
    n = 0

    def add(stream: str, type_: str, on: dt.date, unit: str | None = None, **data) -> None:
        nonlocal n
        n += 1
        store.append(stream, [NewEvent(type=type_, data=data, occurred_on=on, org_unit_id=unit)], -2)

    add("org_unit-TN", "org_unit.created", D(2015, 1, 1), "TN", org_unit_id="TN", name="Tỉnh", kind="province")
    for d in ("D1", "D2"):
        add(f"org_unit-{d}", "org_unit.created", D(2015, 1, 1), d, org_unit_id=d, name=d, kind="direct",
            parent_id="TN")
    cells = [f"C{i}" for i in range(1, 8)]
    for i, c in enumerate(cells):
        add(f"org_unit-{c}", "org_unit.created", D(2015, 1, 1), c, org_unit_id=c, name=c, kind="grassroots_cell",
            parent_id="D1" if i % 2 else "D2")
    where: dict[str, str] = {}
    for i in range(members):
        m, c = f"M{i:03d}", cells[i % 5]
        on = D(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        if i % 6 == 0:
            cand = f"K{i}"
            add(f"candidate-{cand}", "candidate.cell_resolution_passed", on - dt.timedelta(days=40), c,
                candidate_id=cand)
            add(f"candidate-{cand}", "candidate.admission_decided", on - dt.timedelta(days=20), c,
                candidate_id=cand, member_id=m)
        add(f"member-{m}", "member.admitted", on, c, member_id=m, org_unit_id=c, full_name="X",
            birth_date="1990-01-01", sex="male", **({"candidate_id": f"K{i}"} if i % 6 == 0 else {}))
        where[m] = c
    for step in range(members * 3):
        m = f"M{rng.randrange(members):03d}"
        if m not in where:
            continue
        c, kind = where[m], rng.randrange(14)
        on = D(2018, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500))  # dates out of order: late-recorded
        other = rng.choice([x for x in cells if x != c])
        s = f"member-{m}"
        if kind == 0:
            add(s, "member.transferred", on, other, member_id=m, from_org_unit_id=c, to_org_unit_id=other,
                kind="official")
            where[m] = other
        elif kind == 1:
            add(s, "member.transferred", on, other, member_id=m, from_org_unit_id=c, to_org_unit_id=other,
                kind="temporary")
            add(s, "member.temporary_transfer_ended", on + dt.timedelta(days=90), c, member_id=m)
        elif kind == 2:
            add(s, "member.exempted", on, c, member_id=m, ground="health",
                **({"until": (on + dt.timedelta(days=200)).isoformat()} if step % 2 else {}))
        elif kind == 3:
            add(s, "member.exemption_ended", on, c, member_id=m)
        elif kind == 4:
            add(s, "member.working_away_started", on, c, member_id=m,
                **({"expected_return": (on + dt.timedelta(days=120)).isoformat()} if step % 2 else {}))
        elif kind == 5:
            add(s, "member.working_away_ended", on, c, member_id=m)
        elif kind == 6:
            add(s, "member.recognized_official", on, c, member_id=m)
            add(s, "member.new_member_class_completed", on, c, member_id=m)
        elif kind == 7:
            add(s, "member.remediation_planned", on, c, member_id=m, year=on.year,
                due_on=(on + dt.timedelta(days=60)).isoformat())
            if step % 3:
                add(s, "member.remediation_completed", on + dt.timedelta(days=30), c, member_id=m, year=on.year)
        elif kind == 8:
            add(s, "member.loan_granted", on, c, member_id=m, loan_id=f"L{step}",
                **({"due_on": (on + dt.timedelta(days=365)).isoformat()} if step % 2 else {}))
            if step % 4 == 1:
                add(s, "member.loan_repaid", on + dt.timedelta(days=100), c, member_id=m, loan_id=f"L{step}")
        elif kind == 9:
            add(s, "member.transferred_out", on, c, member_id=m, to="another province")
            add(s, "member.transferred_in", on + dt.timedelta(days=30), other, member_id=m, org_unit_id=other,
                full_name="X", birth_date="1990-01-01", sex="male")
            where[m] = other
            add(s, "member.transfer_papers_presented", on + dt.timedelta(days=35), other, member_id=m)
        elif kind == 10 and step % 5 == 0:
            add(s, rng.choice(["member.removed", "member.resigned", "member.died", "member.expelled"]), on, c,
                member_id=m)
            del where[m]
        elif kind == 11 and step == members:  # once, half way: a merge with members in the cell
            add("org_unit-C2", "org_unit.merged", on, "C2", org_unit_id="C2", into_org_unit_id="C3")
            where.update({x: "C3" for x, u in where.items() if u == "C2"})
            cells.remove("C2")
        elif kind == 12 and step == 2 * members:  # once: a move and a dissolution of an empty cell
            add("org_unit-C7", "org_unit.moved", on, "C7", org_unit_id="C7", parent_id="D2")
            add("org_unit-C6", "org_unit.dissolved", on, "C6", org_unit_id="C6")
            where.update({x: "C5" for x, u in where.items() if u == "C6"})
            cells.remove("C6")
        elif kind == 13:
            add(s, "member.rated", on, c, member_id=m, year=on.year, grade="good")
    return n
