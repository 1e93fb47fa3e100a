"""A clerk's JSONL file as the import reads it: each refused line named by its number, code and
field; a fact sent again under its ``event_id`` checked against what is stored; the import
all or nothing, with its progress and what it would write when only checked."""
import json
import time

import pytest

from services.members import application as app
from services.members.dependencies import standalone_deps
from shared.application import Context
from shared.errors import DomainError
from shared.importing import (named_streams, parse_jsonl, progress_of, reporter, run_import, stored_conflict,
                              summary, unit_conflict)

UNIT = {"type": "org_unit.created", "occurred_on": "2020-01-01",
        "data": {"org_unit_id": "TN", "name": "Đảng bộ tỉnh", "kind": "province"}}
CELL = {"type": "org_unit.created", "occurred_on": "2020-01-01",
        "data": {"org_unit_id": "G1", "name": "Chi bộ xã", "kind": "grassroots_cell", "parent_id": "TN"}}


def text(*objs) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs)


def refused(*objs):
    lines, errors = parse_jsonl(text(*objs))
    return [(e["line"], e["code"], e["field"]) for e in errors]


def test_a_good_line_keeps_its_number_and_fields():
    lines, errors = parse_jsonl(text(UNIT, "", "   ", CELL))
    assert errors == []
    assert [(l["line"], l["data"]["org_unit_id"]) for l in lines] == [(1, "TN"), (4, "G1")]
    assert lines[0]["type"] == "org_unit.created" and lines[0]["occurred_on"] == "2020-01-01"


def test_a_byte_order_mark_at_the_start_is_not_part_of_the_first_line():
    lines, errors = parse_jsonl("\ufeff" + text(UNIT, CELL))
    assert errors == [] and [l["line"] for l in lines] == [1, 2]


@pytest.mark.parametrize("bad, code, field", [
    ("not json", "invalid_json", None),
    ("[1, 2]", "invalid_line", None),
    ('"a text"', "invalid_line", None),
    ({"occurred_on": "2020-01-01", "data": {}}, "missing_field", "type"),
    ({"type": "org_unit.created", "data": {}}, "missing_field", "occurred_on"),
    ({"type": "org_unit.created", "occurred_on": "2020-01-01"}, "missing_field", "data"),
    ({"data": {}}, "missing_field", "type"),
    ({**UNIT, "zeta": 1, "comment": "x"}, "unknown_field", "comment"),
    ({**UNIT, "type": "member.teleported"}, "unknown_type", "type"),
    ({**UNIT, "occurred_on": "01/01/2020"}, "invalid_date", "occurred_on"),
    ({**UNIT, "occurred_on": "2021-02-29"}, "invalid_date", "occurred_on"),
    ({**UNIT, "data": ["TN"]}, "invalid_data", "data"),
    ({**UNIT, "org_unit_id": "HN"}, "org_unit_mismatch", "org_unit_id"),
    ({**UNIT, "event_id": ""}, "invalid_event_id", "event_id"),
    ({**UNIT, "event_id": "   "}, "invalid_event_id", "event_id"),
    ({**UNIT, "event_id": 7}, "invalid_event_id", "event_id"),
    ({**UNIT, "event_id": "x" * 101}, "invalid_event_id", "event_id"),
])
def test_a_refused_line_is_named_by_number_code_and_field(bad, code, field):
    assert refused(UNIT, "", bad, CELL) == [(3, code, field)]
    lines, errors = parse_jsonl(text(UNIT, "", bad, CELL))
    assert errors[0]["message_vi"] and errors[0]["message_en"]
    assert [l["line"] for l in lines] == [1, 4]        # the lines after it are still read


@pytest.mark.parametrize("bad, vi, en", [
    ("[1]", "Mỗi dòng phải là một đối tượng JSON", "Each line must be a JSON object"),
    ({**UNIT, "data": 1}, "«data» phải là một đối tượng JSON", "'data' must be a JSON object"),
    ({**UNIT, "event_id": ""}, "«event_id» phải là một chuỗi không rỗng (tối đa 100 ký tự)",
     "'event_id' must be a non-empty string (at most 100 characters)"),
    ({**UNIT, "zeta": 1, "comment": "x"}, "Trường «comment» không được phép", "Field 'comment' is not allowed"),
    ({"data": {}}, "Thiếu trường bắt buộc «type»", "Missing required field 'type'"),
])
def test_a_refused_line_says_why_in_both_languages(bad, vi, en):
    [error] = parse_jsonl(text(bad))[1]
    assert (error["message_vi"], error["message_en"]) == (vi, en)


def test_a_control_character_in_a_line_is_refused_on_its_line():
    bad = {**CELL, "data": {**CELL["data"], "name": "Chi\u0007bộ"}}
    lines, [error] = parse_jsonl(text(UNIT, bad, CELL))
    assert (error["line"], error["code"], error["field"]) == (2, "control_character", "data.name")
    assert "U+0007" in error["message_vi"] and "U+0007" in error["message_en"]
    assert [l["line"] for l in lines] == [1, 3]


def test_the_envelope_fields_a_line_may_carry_are_accepted():
    line = {**CELL, "org_unit_id": "G1", "event_id": "x" * 100}
    lines, errors = parse_jsonl(text(line, {**UNIT, "org_unit_id": "HN"} | {"data": {"name": "x"}}))
    assert errors == [] and [l["line"] for l in lines] == [1, 2]


def test_every_refused_line_is_named_not_only_the_first():
    assert refused("oops", UNIT, {**UNIT, "type": "x.y"}) == [(1, "invalid_json", None), (3, "unknown_type", "type")]


def test_one_event_id_for_two_different_facts_is_refused_naming_both_lines():
    first = {**UNIT, "event_id": "E1"}
    same = {**UNIT, "event_id": "E1"}
    other = {**CELL, "event_id": "E1"}
    lines, errors = parse_jsonl(text(first, same, CELL, other))
    assert [l["line"] for l in lines] == [1, 2, 3]
    assert [(e["line"], e["code"], e["field"]) for e in errors] == [(4, "event_id_conflict", "event_id")]
    assert "line 1" in errors[0]["message_en"] and "line 4" in errors[0]["message_en"]
    assert "dòng 1" in errors[0]["message_vi"] and "G1" in errors[0]["message_en"]
    assert "org_unit.created 2020-01-01" in errors[0]["message_en"]


def test_a_third_use_of_an_event_id_is_compared_with_its_first_line():
    lines, errors = parse_jsonl(text({**UNIT, "event_id": "E1"}, {**CELL, "event_id": "E1"},
                                     {**CELL, "event_id": "E1"}))
    assert [e["line"] for e in errors] == [2, 3]
    assert all("line 1" in e["message_en"] for e in errors)


def test_a_summary_is_cut_to_its_limit_with_an_ellipsis():
    short = summary("org_unit.created", "2020-01-01", {"a": 1})
    assert short == 'org_unit.created 2020-01-01 {"a":1}'
    assert summary("t", "2020-01-01", {"a": 1}, "G1") == 't 2020-01-01 [G1] {"a":1}'
    long = summary("t", "2020-01-01", {"a": "x" * 400})
    assert len(long) == 300 and long.endswith("…") and long.startswith('t 2020-01-01 {"a":"xxx')
    exact = summary("t", "d", {"a": "x" * (300 - len('t d {"a":""}'))})
    assert len(exact) == 300 and not exact.endswith("…")
    assert summary("t", "d", {"a": "x" * 20}, limit=10) == 't d {"a":…'


def test_streams_named_by_a_files_ids_are_guessed_for_the_prefetch():
    lines = [{"data": {"member_id": "M1", "org_unit_id": "G1", "name": "x", "parent_id": "TN"}},
             {"data": {"member_id": "M1", "other_id": "", "count_id": 3, "idea": "y"}}]
    assert named_streams(lines) == ["member-M1", "org_unit-G1", "parent-TN"]


# -- against a store ---------------------------------------------------------------------------

def parsed(*objs):
    lines, errors = parse_jsonl(text(*objs))
    assert errors == []
    return lines


def importers(store):
    return app.importers(standalone_deps(store))


def test_a_fact_sent_again_with_its_event_id_writes_nothing_and_other_content_is_refused(store):
    assert run_import(store, importers(store), parsed({**UNIT, "event_id": "E1"}), Context())["written"] == 1
    again = run_import(store, importers(store), parsed({**UNIT, "event_id": "E1"}), Context())
    assert again["ok"] and again["written"] == 0
    renamed = {**UNIT, "event_id": "E1", "data": {**UNIT["data"], "name": "Tên khác"}}
    out = run_import(store, importers(store), parsed(renamed), Context())
    assert not out["ok"]
    assert [(e["line"], e["code"], e["field"]) for e in out["errors"]] == [(1, "event_id_conflict", "event_id")]
    assert "Tên khác" in out["errors"][0]["message_en"] and "Đảng bộ tỉnh" in out["errors"][0]["message_en"]
    assert store.head_position() == 1


def test_a_stored_event_id_with_another_type_or_day_is_another_fact(store):
    [stored] = store.append("org_unit-TN", [__import__("shared.events", fromlist=["NewEvent"]).NewEvent(
        type="org_unit.created", data=UNIT["data"], occurred_on=__import__("datetime").date(2020, 1, 1))])
    line = {**UNIT, "event_id": stored.event_id, "line": 4}
    assert stored_conflict(line, [stored]) is None
    assert stored_conflict({**line, "event_id": "other"}, [stored]) is None
    assert stored_conflict({**UNIT, "line": 4}, [stored]) is None
    for changed in ({"occurred_on": "2020-01-02"}, {"type": "org_unit.renamed"}):
        err = stored_conflict({**line, **changed}, [stored])
        assert (err["line"], err["code"], err["field"]) == (4, "event_id_conflict", "event_id")
        assert "stored: org_unit.created 2020-01-01" in err["message_en"]  # by default both sides are quoted
    assert stored_conflict({**line, "data": {"name": "Đảng bộ tỉnh"}}, [stored]) is None  # a field it names agrees
    err = stored_conflict({**line, "data": {"kind": "direct"}}, [stored])
    assert err["code"] == "event_id_conflict"
    assert stored_conflict(line, None) is None


def test_a_line_whose_unit_is_not_its_events_unit_is_refused(store):
    class E:
        def __init__(self, unit):
            self.org_unit_id = unit
    line = {"line": 9, "org_unit_id": "G1"}
    assert unit_conflict(line, [E("G1"), E(None)]) is None
    err = unit_conflict(line, [E(None), E("G2")])
    assert (err["line"], err["code"], err["field"]) == (9, "org_unit_mismatch", "org_unit_id")
    assert "G1" in err["message_en"] and "G2" in err["message_en"]
    assert unit_conflict({"line": 9}, [E("G2")]) is None
    assert unit_conflict(line, None) is None


def test_checking_a_file_writes_nothing_and_tells_what_it_would(store):
    out = run_import(store, importers(store), parsed(UNIT, CELL), Context(), commit=False)
    assert out["ok"] and out["lines"] == 2 and out["errors"] == []
    assert out["new_events"] == 2
    assert "written" not in out and store.head_position() == 0


def test_a_good_import_reports_what_it_wrote_and_the_head(store):
    run_import(store, importers(store), parsed(UNIT), Context())
    out = run_import(store, importers(store), parsed(CELL), Context())
    assert out == {**out, "ok": True, "lines": 1, "written": 1, "head": 2}


def test_lines_of_other_services_are_handed_on_not_run(store):
    seen = []
    other = {"type": "meeting.held", "occurred_on": "2020-03-01", "data": {"meeting_id": "X"}, "line": 2}
    lines = [{**UNIT, "line": 1}, other, {**CELL, "line": 3}]
    out = run_import(store, importers(store), lines, Context(), observe=seen.append)
    assert seen == [other] and out["lines"] == 2 and out["written"] == 2
    assert run_import(store, importers(store), [other], Context())["lines"] == 0


def test_a_lines_provenance_is_its_events_correlation(store):
    run_import(store, importers(store), [{**UNIT, "line": 1, "correlation_id": "sheet row 7"}, {**CELL, "line": 2}],
               Context(correlation_id="file"))
    assert [e.correlation_id for e in store.read_all()] == ["sheet row 7", "file"]


def test_a_bad_date_inside_a_command_is_named_on_occurred_on_and_the_rule_on_its_field(store):
    bad_date = {**CELL, "occurred_on": "2020-13-01", "line": 1}
    out = run_import(store, importers(store), [bad_date], Context())
    assert [(e["line"], e["field"]) for e in out["errors"]] == [(1, "occurred_on")]
    assert "status" not in out["errors"][0] and "details" not in out["errors"][0]
    no_name = {**CELL, "data": {k: v for k, v in CELL["data"].items() if k != "name"}, "line": 2}
    out = run_import(store, importers(store), [no_name], Context())
    assert [(e["line"], e["field"]) for e in out["errors"]] == [(2, "data.name")]
    orphan = {**CELL, "line": 3}   # its parent unit does not exist
    out = run_import(store, importers(store), [orphan], Context())
    assert out["errors"][0]["line"] == 3 and "status" not in out["errors"][0]


def test_what_runs_before_the_commit_runs_only_when_it_commits(store):
    calls = []
    run_import(store, importers(store), parsed(UNIT), Context(), before_commit=lambda: calls.append("keys"))
    assert calls == ["keys"] and store.head_position() == 1
    run_import(store, importers(store), parsed(CELL), Context(), commit=False, before_commit=lambda: calls.append("x"))
    assert calls == ["keys"]


def test_past_its_deadline_an_import_writes_nothing(store):
    with pytest.raises(DomainError):
        run_import(store, importers(store), parsed(UNIT), Context(deadline=time.time() - 1))
    assert store.head_position() == 0


def test_the_gateways_job_hears_the_progress_until_the_import_is_done(store, monkeypatch):
    import shared.importing
    monkeypatch.setattr(shared.importing, "clock", lambda: 0.0)  # no report for the time taken
    assert reporter(None) is None and reporter({}) is None and reporter({"import_job": ""}) is None
    report = reporter({"import_job": "J1"})
    heard = []

    def observe(line):
        heard.append(progress_of("J1"))
    other = {"type": "meeting.held", "occurred_on": "2020-03-01", "data": {}, "line": 3}
    run_import(store, importers(store), [{**UNIT, "line": 1}, {**CELL, "line": 2}, other], Context(),
               observe=observe, progress=report)
    assert heard == [{"phase": "validating", "done": 0, "total": 2}]
    assert progress_of("J1") is None
    report("writing", 5, 9)
    got = progress_of("J1")
    got["done"] = 0   # a copy: the job's own count is not changed by its reader
    assert progress_of("J1") == {"phase": "writing", "done": 5, "total": 9}
    report("done", 9, 9)
    assert progress_of("J1") is None


def test_a_stored_fact_is_compared_as_its_event_reads_it_not_as_typed(store):
    """The name's surrounding spaces and a date's form are not another fact: compared after the
    event type's own reading of both (a name is stored stripped, a date as a date)."""
    import datetime as dt

    from shared.events import NewEvent
    [unit] = store.append("org_unit-TN", [NewEvent(type="org_unit.created", data=UNIT["data"],
                                                   occurred_on=dt.date(2020, 1, 1))])
    spaced = {**UNIT, "event_id": unit.event_id, "line": 2,
              "data": {**UNIT["data"], "name": "  Đảng bộ tỉnh  "}}
    assert stored_conflict(spaced, [unit]) is None
    moved_data = {"member_id": "M1", "from_org_unit_id": "G1", "to_org_unit_id": "G2", "kind": "temporary",
                  "until": "2022-01-31"}
    [moved] = store.append("member-M1", [NewEvent(type="member.transferred", data=moved_data,
                                                  occurred_on=dt.date(2021, 3, 1))])
    line = {"type": "member.transferred", "occurred_on": "2021-03-01", "event_id": moved.event_id, "line": 3,
            "data": moved_data}
    assert stored_conflict(line, [moved]) is None
    later = stored_conflict({**line, "data": {**moved_data, "until": "2022-02-28"}}, [moved])
    assert later["code"] == "event_id_conflict" and later["line"] == 3


def test_an_import_past_its_deadline_is_refused_as_such_for_a_gateway_job_too(store):
    with pytest.raises(DomainError):
        run_import(store, importers(store), parsed(UNIT), Context(deadline=time.time() - 1),
                   progress=reporter({"import_job": "J-late"}))
    assert progress_of("J-late") is None and store.head_position() == 0


def test_a_line_naming_another_unit_than_its_events_is_refused_and_nothing_written(store):
    renamed = {"type": "org_unit.renamed", "occurred_on": "2020-02-01", "org_unit_id": "TN", "line": 3,
               "data": {"org_unit_id": "G1", "name": "Chi bộ thôn"}}
    out = run_import(store, importers(store), [{**UNIT, "line": 1}, {**CELL, "line": 2}, renamed], Context())
    assert [(e["line"], e["code"], e["field"]) for e in out["errors"]] == [(3, "org_unit_mismatch", "org_unit_id")]
    assert store.head_position() == 0


def test_two_lines_of_the_same_content_on_other_days_or_of_other_types_are_two_commands():
    from shared.importing import line_command_id
    line = {"type": "org_unit.renamed", "occurred_on": "2020-02-01", "data": {"org_unit_id": "G1", "name": "A"}}
    same = line_command_id(dict(line))
    assert line_command_id(dict(line)) == same                               # a file sent again: a retry
    assert line_command_id({**line, "occurred_on": "2020-02-02"}) != same
    assert line_command_id({**line, "type": "org_unit.created"}) != same
    assert line_command_id({**line, "data": {"org_unit_id": "G1", "name": "B"}}) != same
    assert line_command_id({**line, "event_id": "E7"}) == "E7"


def test_a_deadline_passing_after_the_lines_were_checked_writes_nothing(store, monkeypatch):
    deadline = time.time() + 3600
    other = {"type": "meeting.held", "occurred_on": "2020-03-01", "data": {}, "line": 3}

    def observe(line):   # the last line of the file: the caller gives up after every line passed
        monkeypatch.setattr(time, "time", lambda: deadline + 1)
    with pytest.raises(DomainError) as refused:
        run_import(store, importers(store), [{**UNIT, "line": 1}, {**CELL, "line": 2}, other],
                   Context(deadline=deadline), observe=observe)
    monkeypatch.undo()
    assert refused.value.code == "deadline_exceeded" and store.head_position() == 0


def test_validation_progress_names_the_lines_done_and_the_total(store, monkeypatch):
    import shared.importing
    monkeypatch.setattr(shared.importing, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(shared.importing, "clock", lambda: 0.0)  # lines counted, not timed
    heard = []
    run_import(store, importers(store), parsed(UNIT, CELL), Context(), progress=lambda *p: heard.append(p))
    assert heard == [("validating", 0, 2), ("validating", 1, 2), ("validating", 2, 2), ("writing", 2, 2),
                     ("done", 2, 2)]


def test_slow_lines_report_their_progress_long_before_a_thousand_of_them(store, monkeypatch):
    """A loaded machine checks a line in an eighth of a second: the job's progress (and, through
    ``reporter``, the process's answer to its poll) then comes every quarter of a second of work,
    not only every ``PROGRESS_EVERY`` lines — the bar does not freeze."""
    import shared.importing
    now = [100.0]
    monkeypatch.setattr(shared.importing, "clock", lambda: now[0])

    def slowed(use_case):
        def run(*args):
            now[0] += 0.125
            return use_case(*args)
        return run
    slow = {t: (model, slowed(use_case)) for t, (model, use_case) in importers(store).items()}
    cells = [{**CELL, "data": {**CELL["data"], "org_unit_id": f"G{i}"}} for i in range(1, 7)]
    heard = []
    assert run_import(store, slow, parsed(UNIT, *cells), Context(), progress=lambda *p: heard.append(p))["ok"]
    assert heard == [("validating", 0, 7), ("validating", 3, 7), ("validating", 5, 7), ("validating", 7, 7),
                     ("writing", 7, 7), ("done", 7, 7)]


def test_the_units_of_a_conflicting_fact_are_named(store):
    assert run_import(store, importers(store), parsed({**UNIT, "event_id": "E1"}), Context())["ok"]
    renamed = {**UNIT, "event_id": "E1", "org_unit_id": "TN", "data": {**UNIT["data"], "name": "Tên khác"}}
    [err] = run_import(store, importers(store), parsed(renamed), Context())["errors"]
    [stored] = store.read_all()
    assert err["message_en"].count("org_unit.created 2020-01-01") == 2
    assert f"[{stored.org_unit_id}]" in err["message_en"].split("; line")[0] and "[TN]" in err["message_en"].split("; line")[1]
    _, [dup] = parse_jsonl(text({**UNIT, "event_id": "E2", "org_unit_id": "TN"},
                                {**UNIT, "event_id": "E2", "org_unit_id": "TN", "data": {**UNIT["data"], "name": "x"}}))
    assert dup["message_en"].count("[TN]") == 2


MEMBER = {"type": "member.admitted", "occurred_on": "2020-02-03", "event_id": "c3a5b1f2-7d3e-4c1a-9f0b-2d6e8a4b5c71",
          "data": {"member_id": "M1", "org_unit_id": "G1", "full_name": "Trần Thị Bình", "birth_date": "1995-02-01",
                   "sex": "female"}}


def test_a_line_with_sealed_personal_fields_and_its_event_id_imports_and_imports_again_as_nothing(store):
    """The stored event keeps the name and birth date sealed (random ciphertext): the line's own
    new event, and on a second import the stored one opened with the person's key, is the same
    fact — not an ``event_id_conflict`` (every such line was refused, even on its first import)."""
    deps = standalone_deps(store)
    opener = app.sealed_opener(deps.vault)
    first = run_import(store, app.importers(deps), parsed(UNIT, CELL, MEMBER, MEMBER), Context())  # its own events
    assert first["ok"], first["errors"]
    assert first["written"] == 3
    again = run_import(store, app.importers(deps), parsed(MEMBER), Context(), open_sealed=opener)
    assert again["ok"] and again["written"] == 0, again["errors"]
    for changed in ({"full_name": "Trần Thị Bính"}, {"birth_date": "1995-02-02"}):
        other = {**MEMBER, "data": {**MEMBER["data"], **changed}}
        out = run_import(store, app.importers(deps), parsed(other), Context(), open_sealed=opener)
        assert [(e["line"], e["code"]) for e in out["errors"]] == [(1, "event_id_conflict")]
        assert "sealed:v1:" in out["errors"][0]["message_en"]  # the stored side is quoted sealed, never opened
    # without the key to open them, sealed values cannot be shown equal: refused, as before
    out = run_import(store, app.importers(deps), parsed(MEMBER), Context())
    assert [(e["line"], e["code"]) for e in out["errors"]] == [(1, "event_id_conflict")]
    assert store.head_position() == 3


def test_a_sealed_value_that_cannot_be_opened_is_not_taken_for_an_empty_one():
    """A shredded person's stored value opens to nothing: a line that leaves the field empty is
    still not the stored fact (nothing to compare it with)."""
    import datetime as dt
    from types import SimpleNamespace

    def no_model():
        raise KeyError("x.y")
    env = SimpleNamespace(event_id="E1", type="x.y", occurred_on=dt.date(2020, 1, 1), org_unit_id=None,
                          data={"note": "sealed:v1:abc"}, payload=no_model)
    line = {"event_id": "E1", "type": "x.y", "occurred_on": "2020-01-01", "data": {"note": None}, "line": 3}
    err = stored_conflict(line, [env], open_sealed=lambda e, value: None)
    assert (err["line"], err["code"]) == (3, "event_id_conflict")
    assert stored_conflict({**line, "data": {"note": "ghi chú"}}, [env], open_sealed=lambda e, value: "ghi chú") is None
    assert stored_conflict({**line, "data": {"note": "ghi chú"}}, [env]) is not None  # no opener: not shown equal


def test_a_refusal_for_a_user_limited_to_part_of_the_tree_quotes_only_the_line(store):
    from shared.importing import quotes_stored
    assert quotes_stored(None) and quotes_stored({}) and quotes_stored({"scoped": False})
    assert not quotes_stored({"scoped": True})
    assert run_import(store, importers(store), parsed({**UNIT, "event_id": "E1"}), Context())["written"] == 1
    renamed = {**CELL, "event_id": "E1"}
    out = run_import(store, importers(store), parsed(renamed), Context(), quote_stored=False)
    [err] = out["errors"]
    assert (err["line"], err["code"], err["field"]) == (1, "event_id_conflict", "event_id")
    assert "Đảng bộ tỉnh" not in err["message_en"] + err["message_vi"] and "TN" not in err["message_en"].split("—")[0]
    assert "Chi bộ xã" in err["message_en"] and "Chi bộ xã" in err["message_vi"]
    assert "E1" in err["message_en"] and "already used by another fact" in err["message_en"]
    assert "đã được dùng cho một sự kiện khác" in err["message_vi"] and "dòng 1" in err["message_vi"]
    assert "line 1" in err["message_en"]
    out = run_import(store, importers(store), parsed(renamed), Context())
    assert "Đảng bộ tỉnh" in out["errors"][0]["message_en"]  # province-wide: both sides, as before
