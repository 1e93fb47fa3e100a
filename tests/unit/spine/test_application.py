"""The application step: idempotent retries, concurrency, all-or-nothing import."""
import datetime as dt

import pytest

from services.members import application as app
from services.members.dependencies import standalone_deps
from shared.application import Context, Decided, execute
from shared.catalog.members import OrgUnitRenamed
from shared.errors import DomainError
from shared.importing import parse_jsonl, run_import

D = dt.date(2020, 1, 1)


def decide_rename(state, name):
    """A toy aggregate: a unit can be renamed, not to the name it already has."""
    if state == name:
        raise DomainError("same_name", "Tên mới trùng tên cũ", "The new name is the current name", field="name")
    return [Decided(OrgUnitRenamed(org_unit_id="U1", name=name), D, "U1")]


def fold(events):
    return events[-1].data["name"] if events else None


def rename(store, name, ctx):
    return execute(store, "org_unit-U1", fold, lambda state: decide_rename(state, name), ctx)


def test_a_retried_command_writes_nothing_twice(store):
    ctx = Context(command_id="req-42")
    first = rename(store, "Chi bộ Ấp 1", ctx)
    head = store.head_position()
    again = rename(store, "Chi bộ Ấp 1", ctx)  # would break the rule if it ran again
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert store.head_position() == head


def test_a_rule_failure_writes_nothing(store):
    rename(store, "Chi bộ Ấp 1", Context())
    head = store.head_position()
    with pytest.raises(DomainError) as err:
        rename(store, "Chi bộ Ấp 1", Context())
    assert err.value.code == "same_name" and err.value.field == "name"
    assert store.head_position() == head


def test_a_concurrent_append_is_retried_once_against_the_new_state(store):
    calls = []

    def decide(state):
        calls.append(state)
        if len(calls) == 1:  # someone else renames between our read and our append
            rename(store, "Tên khác", Context())
        return decide_rename(state, "Chi bộ mới")

    execute(store, "org_unit-U1", fold, decide, Context())
    assert calls == [None, "Tên khác"]
    assert [e.data["name"] for e in store.read_stream("org_unit-U1")] == ["Tên khác", "Chi bộ mới"]



class _LandsAfterTheCheck:
    """A store whose first command-id lookup misses the command's other attempt, which is written
    right after it (a retry sent while the first attempt was still running)."""

    def __init__(self, store, first_attempt):
        self.store, self.first_attempt, self.looked = store, first_attempt, False

    def find_event(self, event_id, stream=None):
        if not self.looked:
            self.looked = True
            self.first_attempt()
            return None
        return self.store.find_event(event_id, stream)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_retry_refused_on_the_state_its_first_attempt_wrote_answers_with_that_attempt(store):
    ctx = Context(command_id="req-7")
    first: list = []
    racing = _LandsAfterTheCheck(store, lambda: first.extend(rename(store, "Chi bộ Ấp 7", ctx)))
    again = rename(racing, "Chi bộ Ấp 7", ctx)  # its state now has the name: the rule would refuse it
    assert first and [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.data["name"] for e in store.read_stream("org_unit-U1")] == ["Chi bộ Ấp 7"]


def test_a_retry_whose_append_meets_its_first_attempt_answers_with_it_and_writes_nothing(store):
    """(The store knows the command's event id: the append answers with what is stored.)"""
    ctx = Context(command_id="req-8")
    first: list = []

    def decide(state):  # a command no state refuses: only the command id can tell the two apart
        if not first:  # the first attempt lands between this attempt's read and its append
            first.extend(execute(store, "org_unit-U1", fold, lambda s: decide_rename(s, "Ấp 8"), ctx))
        return decide_rename(None, "Ấp 8")

    again = execute(store, "org_unit-U1", fold, decide, ctx)
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.data["name"] for e in store.read_stream("org_unit-U1")] == ["Ấp 8"]



def test_past_its_deadline_a_command_writes_nothing(store):
    """The gateway has answered 504 once the deadline passed: the command must not write after it."""
    import time
    head = store.head_position()
    with pytest.raises(DomainError) as err:
        rename(store, "Chi bộ trễ hạn", Context(deadline=time.time() - 1))
    assert err.value.code == "deadline_exceeded"
    assert store.head_position() == head


def test_a_deadline_is_passed_only_after_its_instant(monkeypatch):
    import time
    from shared.application import check_deadline
    monkeypatch.setattr(time, "time", lambda: 1_000.0)
    check_deadline(1_000.0)  # the very instant: still in time
    check_deadline(None)
    with pytest.raises(DomainError):
        check_deadline(999.999)


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
    return run_import(store, app.importers(standalone_deps(store)), lines, Context())


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
