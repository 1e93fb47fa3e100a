"""A feed page that shows members' facts is written to the personal-data access log naming every
member it shows (docs/events/README.md; Decree 13/2023): not only a payload's own ``member_id`` but
the members of a meeting's attendance, and the member a discipline, inspection or supervision is
about (``subject_kind`` member)."""
from __future__ import annotations

from services.gateway.eventlog import members_named


def event(type_: str, data: dict) -> dict:
    return {"type": type_, "org_unit_id": "C1", "data": data}


def test_every_member_a_page_shows_is_named():
    page = [
        event("member.died", {"member_id": "M1"}),
        event("meeting.held", {"meeting_id": "H1", "org_unit_id": "C1", "kind": "regular", "duration_minutes": 90,
                               "attendance": [{"member_id": "M2", "status": "present", "reason": None},
                                              {"member_id": "M3", "status": "excused", "reason": "ốm"}]}),
        event("discipline.applied", {"case_id": "K1", "subject_kind": "member", "subject_id": "M4",
                                     "form": "reprimand", "violation_on": "2025-01-02"}),
        event("inspection.opened", {"inspection_id": "I1", "subject_kind": "member", "subject_id": "M5"}),
        event("supervision.opened", {"supervision_id": "S1", "subject_kind": "member", "subject_id": "M6"}),
    ]
    assert members_named(page) == ["M1", "M2", "M3", "M4", "M5", "M6"]


def test_a_unit_is_no_member():
    page = [event("discipline.applied", {"case_id": "K2", "subject_kind": "org_unit", "subject_id": "C1",
                                         "form": "warning", "violation_on": "2025-01-02"}),
            event("org_unit.renamed", {"org_unit_id": "C1", "name": "Chi bộ 1"})]
    assert members_named(page) == []
