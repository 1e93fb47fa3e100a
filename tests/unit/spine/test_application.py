"""The application step: idempotent retries, concurrency, all-or-nothing import."""
import datetime as dt

import pytest

from services.members import application as app
from shared.application import Context
from shared.contracts.members import AdmitMember, CreateOrgUnit
from shared.errors import DomainError
from shared.importing import parse_jsonl, run_import

D = dt.date(2020, 1, 1)


def tree(store):
    ctx = Context()
    app.create_org_unit(store, CreateOrgUnit(occurred_on=D, org_unit_id="TN", name="Tỉnh ủy", kind="province"), ctx)
    app.create_org_unit(store, CreateOrgUnit(occurred_on=D, org_unit_id="D1", name="Huyện ủy", kind="direct",
                                             parent_id="TN"), ctx)
    app.create_org_unit(store, CreateOrgUnit(occurred_on=D, org_unit_id="G1", name="Đảng ủy xã",
                                             kind="grassroots_committee", parent_id="D1"), ctx)
    app.create_org_unit(store, CreateOrgUnit(occurred_on=D, org_unit_id="C1", name="Chi bộ Ấp 1", kind="cell",
                                             parent_id="G1"), ctx)


def admit(member_id="M1", **kw):
    data = dict(occurred_on=D, member_id=member_id, org_unit_id="C1", full_name="Nguyễn Văn An",
                birth_date=dt.date(1990, 5, 1), sex="male")
    data.update(kw)
    return AdmitMember(**data)


def test_a_retried_command_writes_nothing_twice(store):
    tree(store)
    ctx = Context(command_id="req-42")
    first = app.admit_member(store, admit(), ctx)
    head = store.head_position()
    again = app.admit_member(store, admit(), ctx)
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert store.head_position() == head


def test_a_rule_failure_writes_nothing(store):
    tree(store)
    head = store.head_position()
    with pytest.raises(DomainError) as err:
        app.admit_member(store, admit(birth_date=dt.date(1958, 1, 1)), Context())
    assert err.value.code == "too_old" and "60" in err.value.message_vi
    assert store.head_position() == head


LINES = [
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"TN","name":"Đảng bộ tỉnh","kind":"province"}}',
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"D1","name":"Huyện ủy","kind":"direct","parent_id":"TN"}}',
    '{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"G1","name":"Đảng ủy xã","kind":"grassroots_cell","parent_id":"D1"}}',
    '{"type":"member.admitted","occurred_on":"2020-02-03","data":{"member_id":"M1","org_unit_id":"G1","full_name":"Trần Thị Bình","birth_date":"1995-02-01","sex":"female"}}',
]


def do_import(store, text):
    lines, errors = parse_jsonl(text)
    if errors:
        return {"ok": False, "errors": errors}
    return run_import(store, app.IMPORTERS, lines, Context())


def test_a_valid_file_twice_writes_once(store):
    text = "\n".join(LINES)
    assert do_import(store, text)["written"] == 4
    second = do_import(store, text)
    assert second["ok"] and second["written"] == 0
    assert store.head_position() == 4


@pytest.mark.parametrize("bad_line, line_no, code, field", [
    ('{"type":"member.teleported","occurred_on":"2020-01-01","data":{}}', 5, "unknown_type", "type"),
    ('{"type":"member.admitted","occurred_on":"2020-02-30","data":{}}', 5, "invalid_date", "occurred_on"),
    ('{"type":"member.admitted","occurred_on":"2020-02-03","data":{"member_id":"M2","org_unit_id":"G1","birth_date":"1995-02-01","sex":"female"}}',
     5, "invalid_input", "data.full_name"),
    ('{"type":"member.admitted","occurred_on":"2020-03-03","data":{"member_id":"M1","org_unit_id":"G1","full_name":"Lê Văn C","birth_date":"1990-02-01","sex":"male"}}',
     5, "member_exists", "member_id"),
    ('not json', 5, "invalid_json", None),
])
def test_an_invalid_file_is_refused_with_line_numbers_and_nothing_written(store, bad_line, line_no, code, field):
    result = do_import(store, "\n".join(LINES + [bad_line]))
    assert not result["ok"]
    assert [(e["line"], e["code"], e["field"]) for e in result["errors"]] == [(line_no, code, field)]
    assert result["errors"][0]["message_vi"] and result["errors"][0]["message_en"]
    assert store.head_position() == 0
