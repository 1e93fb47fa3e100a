"""What each query answers, for the OpenAPI document: a JSON Schema and an example per query.

The schemas name the fields a client may rely on (``required``) and allow more (a service may add a
field without breaking a client). The examples are real answers of the test tree (shortened).
"""
from __future__ import annotations

ID = {"type": "string", "maxLength": 64, "examples": ["TN-D1-G1-C1"]}
DAY = {"type": "string", "format": "date", "description": "ISO date YYYY-MM-DD (1900-01-01 … 2199-12-31)"}
DAY_VI = {"type": "string", "description": "the same date as dd/mm/yyyy"}
INT = {"type": "integer"}
NUM_OR_NULL = {"type": ["number", "null"]}
TEXT = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}


def obj(required: dict, optional: dict | None = None, description: str | None = None) -> dict:
    out = {"type": "object", "required": list(required), "properties": {**required, **(optional or {})},
           "additionalProperties": True}
    if description:
        out["description"] = description
    return out


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def paged(row: dict) -> dict:
    """A list answered whole, or one page of it when ``page``/``page_size`` is given."""
    return {"anyOf": [array(row), obj({"rows": array(row), "total": INT, "page": INT, "page_size": INT,
                                       "pages": INT}, description="one page (page, page_size given)")]}


#: the report's unit (its fields null when no unit stood on the date asked)
UNIT_ROW = obj({"org_unit_id": {**ID, "type": ["string", "null"]}, "name": TEXT_OR_NULL, "kind": TEXT_OR_NULL})
#: the unit is null when none stood on ``as_of`` (a date before the tree was made)
REPORT_HEAD = {"report": TEXT, "org_unit_id": {**ID, "type": ["string", "null"]}, "unit_name": TEXT_OR_NULL,
               "as_of": DAY, "as_of_vi": DAY_VI, "known_at": TEXT_OR_NULL,
               "structure": {"enum": ["as_stood", "current"]}, "structure_vi": TEXT}
PAGE_FIELDS = {"total": INT, "page": INT, "page_size": INT, "pages": INT}
REPORT_EXAMPLE_HEAD = {"report": "term", "org_unit_id": "TN-D1-G1-C1", "unit_name": "Chi bộ Ấp 1.1.1",
                       "as_of": "2026-11-30", "as_of_vi": "30/11/2026", "known_at": None, "structure": "as_stood",
                       "structure_vi": "Theo cơ cấu tổ chức tại thời điểm phát sinh dữ kiện / structure as it stood"}


def report(rows: dict, extra: dict | None = None, optional: dict | None = None) -> dict:
    return obj({**REPORT_HEAD, **(extra or {}), "rows": array(rows)}, {**PAGE_FIELDS, **(optional or {})})


PERIOD = {"period": TEXT, "period_vi": TEXT}
INDICATOR_ROW = obj({"indicator": TEXT, "label_vi": TEXT, "value": NUM_OR_NULL},
                    {"previous": NUM_OR_NULL, "change_pct": NUM_OR_NULL})
HEADCOUNT_ROW = obj({"org_unit_id": ID, "name": TEXT, "kind": TEXT, "own": INT, "total": INT},
                    {"parent_id": TEXT_OR_NULL, "depth": INT})

CASE = obj({"case_id": ID, "subject_kind": {"enum": ["member", "org_unit"]}, "subject_id": ID, "form": TEXT},
           {"org_unit_id": TEXT_OR_NULL, "original_form": TEXT_OR_NULL, "decided_on": DAY, "announced_on": DAY,
            "violation_on": DAY, "appealed_on": TEXT_OR_NULL, "appeal_pending": {"type": "boolean"},
            "annulled_on": TEXT_OR_NULL, "lapses_on": TEXT_OR_NULL, "election_barred_until": TEXT_OR_NULL})
CASE_EXAMPLE = {"case_id": "KL-2025-001", "subject_kind": "member", "subject_id": "M000001",
                "org_unit_id": "TN-D1-G1-C1", "form": "reprimand", "original_form": "reprimand",
                "decided_on": "2025-03-10", "announced_on": "2025-03-12", "violation_on": "2025-02-01",
                "appealed_on": None, "appeal_pending": False, "annulled_on": None, "lapses_on": "2026-03-10",
                "election_barred_until": None}

#: (service, query) -> (schema, example)
RESULTS: dict[tuple[str, str], tuple[dict, object]] = {
    ("members", "get_member"): (
        obj({"member_id": ID, "org_unit_id": ID, "status": TEXT},
            {"admitted_on": DAY, "birth_date": DAY, "sex": TEXT, "full_name": TEXT_OR_NULL,
             "personal_data_shredded": {"type": "boolean"}},
            "the member's record; personal fields opened for the caller (the read is logged)"),
        {"member_id": "M000001", "org_unit_id": "TN-D1-G1-C1", "host_org_unit_id": None, "status": "official",
         "admitted_on": "2016-03-01", "birth_date": "1980-05-01", "sex": "male", "demobilised": "none",
         "categories": [], "exemption": None, "left_on": None, "left_how": None, "personal_data_shredded": False,
         "full_name": "Nguyễn Văn An"}),
    ("members", "unit_ancestors"): (
        {**array(ID), "description": "the unit's parents, nearest first"}, ["TN-D1-G1", "TN-D1", "TN"]),
    ("members", "org_tree"): (
        array(obj({"org_unit_id": ID, "name": TEXT, "kind": TEXT, "children": {"type": "array"}},
                  {"parent_id": TEXT_OR_NULL, "created_on": DAY, "kind_vi": TEXT})),
        [{"org_unit_id": "TN-D1-G1-C1", "name": "Chi bộ Ấp 1.1.1", "kind": "cell", "parent_id": "TN-D1-G1",
          "created_on": "2015-10-01", "kind_vi": "Chi bộ trực thuộc", "children": []}]),
    ("members", "overdue"): (
        array(obj({"item": TEXT, "kind": TEXT, "subject_id": ID, "org_unit_id": ID, "due_on": DAY,
                   "days_overdue": INT})),
        [{"item": "class:M000001", "kind": "new_member_class", "subject_id": "M000001",
          "org_unit_id": "TN-D1-G1-C1", "due_on": "2017-03-01", "days_overdue": 3561}]),
    ("members", "search_members"): (
        obj({"total": INT, "rows": array(obj({"member_id": ID, "org_unit_id": TEXT_OR_NULL},
                                            {"full_name": TEXT_OR_NULL, "status": TEXT_OR_NULL,
                                             "active": {"type": ["boolean", "integer"]}, "unit_name": TEXT_OR_NULL,
                                             "parent_id": TEXT_OR_NULL, "parent_name": TEXT_OR_NULL}))},
            description="members in the caller's scope matching the words (the search is logged)"),
        {"total": 1, "rows": [{"member_id": "M000001", "full_name": "Nguyễn Văn An", "status": "official",
                               "active": True, "org_unit_id": "TN-D1-G1-C1", "unit_name": "Chi bộ Ấp 1.1.1",
                               "parent_id": "TN-D1-G1", "parent_name": "Đảng bộ Xã 1.1"}]}),
    ("members", "unit_members"): (
        {**array(ID), "description": "ids of the unit's members"}, ["M000001", "M000002", "M000003"]),
    ("meetings", "roster"): (
        array(obj({"member_id": ID, "expected": {"type": "boolean"}},
                  {"temporary": {"type": "boolean"}, "exempt": {"type": "boolean"},
                   "working_away": {"type": "boolean"}})),
        [{"member_id": "M000001", "temporary": False, "exempt": False, "working_away": False, "expected": True}]),
    ("meetings", "meeting"): (
        obj({"meeting_id": ID, "org_unit_id": ID, "kind": TEXT},
            {"planned_on": TEXT_OR_NULL, "held_on": TEXT_OR_NULL, "duration_minutes": {"type": ["integer", "null"]},
             "attendance": {"type": "array"}}),
        {"meeting_id": "MT-2025-01", "org_unit_id": "TN-D1-G1-C1", "kind": "regular", "planned_on": "2025-01-05",
         "held_on": "2025-01-05", "duration_minutes": 95, "combined": False, "committee_member_attended": True,
         "content_summary": "Sinh hoạt thường kỳ tháng 1", "quality": None,
         "attendance": [{"member_id": "M000001", "status": "present"}]}),
    ("meetings", "cell_quality"): (
        obj({"org_unit_id": ID, "year": INT, "regular": {"type": "object"}, "thematic": {"type": "object"}},
            {"attendance_rate": NUM_OR_NULL, "meetings": {"type": "array"}}),
        {"org_unit_id": "TN-D1-G1-C1", "year": 2020, "regular": {"held": 0, "expected": 12, "months_without": [1]},
         "thematic": {"held": 0, "expected": 4, "quarters_without": [1]}, "attendance_rate": None,
         "meetings_meeting_standard": 0, "meetings_assessed": 0,
         "committee_member_attended": {"recorded": 0, "attended": 0}, "meetings": []}),
    ("meetings", "absences"): (array({"type": "object"}), []),
    ("meetings", "warnings"): (array({"type": "object"}), []),
    ("discipline", "in_effect"): (array(CASE), [CASE_EXAMPLE]),
    ("discipline", "case"): (CASE, CASE_EXAMPLE),
    ("discipline", "subject_cases"): (array(CASE), [CASE_EXAMPLE]),
    ("reporting", "headcount"): (
        paged(HEADCOUNT_ROW),
        [{"org_unit_id": "TN-D1-G1-C1", "parent_id": "TN-D1-G1", "name": "Chi bộ Ấp 1.1.1", "kind": "cell",
          "own": 3, "total": 3, "depth": 0}]),
    ("reporting", "headcount_report"): (
        report(HEADCOUNT_ROW),
        {**REPORT_EXAMPLE_HEAD, "report": "headcount",
         "rows": [{"org_unit_id": "TN-D1-G1-C1", "parent_id": "TN-D1-G1", "name": "Chi bộ Ấp 1.1.1", "kind": "cell",
                   "own": 3, "total": 3, "depth": 0}]}),
    ("reporting", "term"): (
        report(INDICATOR_ROW, PERIOD, {"compare": TEXT_OR_NULL, "compare_vi": TEXT_OR_NULL}),
        {**REPORT_EXAMPLE_HEAD, "period": "2026", "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)",
         "compare": "2025", "compare_vi": "Năm 2025 (01/01/2025 – 31/12/2025)",
         "rows": [{"indicator": "admitted", "label_vi": "Kết nạp đảng viên", "value": 13, "previous": 12,
                   "change_pct": 8.33}]}),
    ("reporting", "movement"): (
        report(obj({"org_unit_id": ID, "name": TEXT, "opening": INT, "closing": INT},
                   {"admitted": INT, "transferred_in": INT, "transferred_out": INT, "died": INT, "removed": INT,
                    "resigned": INT, "expelled": INT, "reconciles": {"type": "boolean"}}), PERIOD),
        {**REPORT_EXAMPLE_HEAD, "report": "movement", "period": "2026",
         "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)",
         "rows": [{"org_unit_id": "TN-D1-G1-C1", "name": "Chi bộ Ấp 1.1.1", "kind": "cell", "level": 0,
                   "opening": 3, "admitted": 1, "transferred_in": 0, "moved_in": 0, "transferred_out": 0, "died": 0,
                   "removed": 0, "resigned": 0, "expelled": 0, "moved_out": 0, "closing": 4, "reconciles": True}]}),
    ("reporting", "warnings"): (
        report(obj({"list": TEXT, "org_unit_id": ID, "level": TEXT},
                   {"member_id": TEXT, "value": NUM_OR_NULL, "unit_name": TEXT, "label_vi": TEXT}), {"year": INT}),
        {**REPORT_EXAMPLE_HEAD, "report": "warnings", "year": 2026, "total": 1,
         "rows": [{"list": "cell_below_minimum", "member_id": "", "org_unit_id": "TN-D1-G1-C1", "value": 2,
                   "level": "warning", "unit_name": "Chi bộ Ấp 1.1.1",
                   "label_vi": "Chi bộ có dưới 3 đảng viên chính thức"}]}),
    ("reporting", "evaluation"): (
        report(obj({"org_unit_id": ID, "indicator": TEXT},
                   {"name": TEXT, "label_vi": TEXT, "actual": NUM_OR_NULL, "target": NUM_OR_NULL,
                    "met": {"type": ["boolean", "null"]}, "previous": NUM_OR_NULL, "change_pct": NUM_OR_NULL}),
               PERIOD, {"ratings": {"type": "array"}}),
        {**REPORT_EXAMPLE_HEAD, "report": "evaluation", "period": "2026",
         "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)", "compare": "2025",
         "rows": [{"org_unit_id": "TN-D1-G1-C1", "name": "Chi bộ Ấp 1.1.1", "indicator": "orgs_disciplined",
                   "label_vi": "Tổ chức đảng bị xử lý kỷ luật", "actual": 0, "target": None, "met": None,
                   "previous": 0, "change_pct": None}], "ratings": []}),
    ("reporting", "meetings"): (
        report(obj({"org_unit_id": ID, "name": TEXT},
                   {"regular_held": INT, "regular_expected": INT, "thematic_held": INT, "thematic_expected": INT,
                    "attendance_rate": NUM_OR_NULL}), PERIOD, {"standard_source": TEXT}),
        {**REPORT_EXAMPLE_HEAD, "report": "meetings", "period": "2026",
         "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)", "standard_source": "HD 12-HD/BTCTW",
         "rows": [{"org_unit_id": "TN-D1-G1-C1", "name": "Chi bộ Ấp 1.1.1", "kind": "cell", "regular_held": 10,
                   "regular_expected": 11, "thematic_held": 3, "thematic_expected": 4, "attendance_rate": 0.93}]}),
    ("reporting", "causes"): (
        report(obj({"group": TEXT, "key": TEXT}, {"label_vi": TEXT, "removed": INT, "resigned": INT,
                                                  "expelled": INT, "disciplined": INT}), PERIOD),
        {**REPORT_EXAMPLE_HEAD, "report": "causes", "period": "2026",
         "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)",
         "rows": [{"group": "category", "key": "young", "label_vi": "Đảng viên trẻ", "removed": 0, "resigned": 1,
                   "expelled": 0, "disciplined": 0}]}),
    ("reporting", "composition"): (
        report(obj({"group": TEXT, "key": TEXT, "label_vi": TEXT, "value": INT}), {"rating_year": INT}),
        {**REPORT_EXAMPLE_HEAD, "report": "composition", "rating_year": 2025,
         "rows": [{"group": "total", "key": "members", "label_vi": "Tổng số đảng viên", "value": 3}]}),
    ("reporting", "anomalies"): (
        report({"type": "object"}, PERIOD),
        {**REPORT_EXAMPLE_HEAD, "report": "anomalies", "period": "2026",
         "period_vi": "Năm 2026 (01/01/2026 – 31/12/2026)", "rows": []}),
    ("reporting", "yearly"): (
        obj({"version": INT, "report": {"const": "yearly"}, "params": {"type": "object"}, "unit": UNIT_ROW,
             "periods": {"type": "object"}, "tables": {"type": "object"}, "digest": TEXT},
            {"province": TEXT, "read_model": {"type": "object"}},
            "the figures of the yearly report to the Standing Committee (D8)"),
        {"version": 1, "report": "yearly", "province": "Đảng bộ tỉnh Tây Ninh",
         "params": {"org_unit_id": "TN", "year": 2025, "term": "2020-2025", "as_of": "2025-12-31",
                    "known_at": "2026-01-05T08:00:00Z"},
         "unit": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh Tây Ninh", "kind": "province"},
         "periods": {"year": "Năm 2025 (01/01/2025 – 31/12/2025)"}, "tables": {}, "digest": "3f1c…",
         "read_model": {"checksum": "b039…", "generation": "1"}}),
    ("reporting", "replay_status"): (
        obj({"state": TEXT}, {"generation": INT}), {"state": "ready", "generation": 1}),
    ("reporting", "checksum"): (
        obj({"checksum": TEXT, "generation": TEXT, "positions": {"type": "object",
                                                                "additionalProperties": INT}}),
        {"checksum": "b039142bdc5b4917bae04a7cb1ddd1c7b96a506c39e46ae6f4fc507a4f8b3dae", "generation": "1",
         "positions": {"members": 39, "discipline": 0, "meetings": 0, "reporting": 0}}),
    ("reporting", "audit_trail"): (
        obj({"member_id": ID, "rows": array(obj({"source": TEXT, "type": TEXT, "event_id": TEXT, "position": INT,
                                                 "occurred_on": DAY},
                                                {"occurred_on_vi": DAY_VI, "recorded_at": TEXT,
                                                 "actor": TEXT_OR_NULL, "org_unit_id": TEXT_OR_NULL,
                                                 "data": {"type": "object"}}))}),
        {"member_id": "M000001", "rows": [{"source": "members", "type": "member.admitted",
                                           "event_id": "a1045278-11f8-54f9-a0d7-13dacfcf75cf",
                                           "stream": "member-M000001", "position": 5, "occurred_on": "2016-03-01",
                                           "occurred_on_vi": "01/03/2016",
                                           "recorded_at": "2026-11-30T18:09:30.165828+00:00", "actor": "admin",
                                           "org_unit_id": "TN-D1-G1-C1", "data": {"member_id": "M000001"}}]}),
    ("reporting", "audit_verify"): (
        obj({"ok": {"type": "boolean"}, "sources": array(obj({"source": TEXT, "ok": {"type": "boolean"}})),
             "checked_at": TEXT}),
        {"ok": True, "sources": [{"source": "members", "streams": 39, "events": 39, "head_position": 39,
                                  "broken": [], "problems": [], "ok": True}], "checked_at": "2026-11-30T18:09:36Z"}),
}

#: a query without an entry above still gets a schema (any JSON object or list), never ``{}``
FALLBACK = ({"type": ["object", "array"]}, None)


def result_of(service: str, name: str) -> tuple[dict, object]:
    return RESULTS.get((service, name), FALLBACK)

#: the commands whose answer is not the events they stored (operations on the whole province)
SEAL = obj({"source": TEXT, "head_position": INT, "event_count": INT, "last_hash": TEXT, "signature": TEXT},
           {"kind": TEXT, "store": TEXT, "key_id": TEXT, "sealed_at": TEXT})
SEAL_EXAMPLE = {"kind": "dangvien.seal", "source": "members", "head_position": 39, "event_count": 39,
                "last_hash": "hp:k20261130fd33:54fb…", "key_id": "k20261130fd33", "sealed_at": "2026-11-30T18:18:58Z",
                "signature": "50c2…"}
COMMAND_RESULTS: dict[tuple[str, str], tuple[dict, object]] = {
    ("reporting", "audit_seal"): (
        obj({"intact": {"type": "boolean"}, "seals": array(SEAL), "sources": {"type": "array"}},
            description="every store verified; each intact one sealed (copy the seals outside the servers)"),
        {"intact": True, "seals": [SEAL_EXAMPLE], "sources": [{"source": "members", "ok": True}]}),
    ("reporting", "audit_verify_seals"): (
        obj({"intact": {"type": "boolean"}, "sources": {"type": "array"}},
            description="the stores checked against the seals given"),
        {"intact": True, "sources": [{"source": "members", "ok": True}], "checked_at": "2026-11-30T18:20:00Z"}),
    ("reporting", "replay"): (
        obj({"progress": {"type": "object"}}, description="a rebuild of the read models started"),
        {"progress": {"state": "replaying", "generation": 2}}),
}


def command_result_of(service: str, name: str, default: tuple[dict, object]) -> tuple[dict, object]:
    return COMMAND_RESULTS.get((service, name), default)
