"""A small province for the yearly report's tests (D8): known facts in 2024 and 2025, targets."""
from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def province(h, directs: int = 2, members_per_cell: int = 4) -> dict:
    """TN → D0…Dn (direct) → Dd-G (grassroots committee) → Dd-G-C (cell) with members admitted in 2015.

    Facts (all before 30/09/2025, so inside the 2020-2025 term too):
    2024: D0 removes one member. 2025: D0 removes two and one resigns, a reprimand for a D0 member,
    a warning for the organisation D0-G; D1 removes one and warns one member.
    Term targets (Đề án 03): D0 at most 2 removals (has 3: not met), D1 at most 1 (has 1: met, the edge).
    """
    h.add("org_unit.created", "2010-01-01", {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"})
    members: dict[str, list[str]] = {}
    for d in range(directs):
        did, gid = f"D{d}", f"D{d}-G"
        cid = f"{gid}-C"
        h.add("org_unit.created", "2010-01-01", {"org_unit_id": did, "name": f"Đảng bộ huyện Số {d}", "kind": "direct",
                                                 "parent_id": "TN"}, org_unit_id=did)
        h.add("org_unit.created", "2010-01-01", {"org_unit_id": gid, "name": f"Đảng bộ xã Số {d}",
                                                 "kind": "grassroots_committee", "parent_id": did}, org_unit_id=gid)
        h.add("org_unit.created", "2010-01-01", {"org_unit_id": cid, "name": f"Chi bộ ấp Số {d}", "kind": "cell",
                                                 "parent_id": gid}, org_unit_id=cid)
        for i in range(members_per_cell):
            mid = f"M{d:03d}{i:02d}"
            h.add("member.admitted", "2015-03-02", {"member_id": mid, "org_unit_id": cid, "full_name": "Nguyễn Thị Hà",
                                                    "birth_date": "1990-04-04", "sex": "female", "demobilised": "none"},
                  org_unit_id=cid)
            members.setdefault(did, []).append(mid)
    m0, m1 = members["D0"], members.get("D1", [])
    h.add("member.removed", "2024-05-06", {"member_id": m0[0], "ground": "abandoned_activity"}, org_unit_id="D0-G-C")
    h.add("member.removed", "2025-02-03", {"member_id": m0[1], "ground": "abandoned_activity"}, org_unit_id="D0-G-C")
    h.add("member.removed", "2025-04-07", {"member_id": m0[2], "ground": "unpaid_dues"}, org_unit_id="D0-G-C")
    h.add("member.resigned", "2025-06-09", {"member_id": m0[3]}, org_unit_id="D0-G-C")
    h.add("discipline.applied", "2025-03-10", {"case_id": "K1", "subject_kind": "member", "subject_id": m0[3],
                                               "form": "reprimand", "violation_on": "2025-01-10"}, org_unit_id="D0-G-C")
    h.add("discipline.applied", "2025-03-11", {"case_id": "K2", "subject_kind": "org_unit", "subject_id": "D0-G",
                                               "form": "warning", "violation_on": "2025-01-11"}, org_unit_id="D0-G")
    if m1:
        h.add("member.removed", "2025-05-05", {"member_id": m1[0], "ground": "abandoned_activity"},
              org_unit_id="D1-G-C")
        h.add("discipline.applied", "2025-07-01", {"case_id": "K3", "subject_kind": "member", "subject_id": m1[1],
                                                   "form": "warning", "violation_on": "2025-02-01"},
              org_unit_id="D1-G-C")
        h.add("target.registered", "2021-01-15", {"org_unit_id": "D1", "period": "2020-2025",
                                                   "indicator": "members_removed", "value": 1}, org_unit_id="D1")
    h.add("target.registered", "2021-01-15", {"org_unit_id": "D0", "period": "2020-2025",
                                               "indicator": "members_removed", "value": 2}, org_unit_id="D0")
    return members
