"""What the system accepts as text, as a clerk meets it: a file not saved as UTF-8, a control
character pasted into a name, hostile nesting — each refused with the place it was found."""
from __future__ import annotations

import json

import pytest

from shared.inputcheck import MAX_DEPTH, InputError, check_text, decode_utf8, loads, split_lines


def refused(fn, *args) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args)
    return info.value


def test_utf8_with_or_without_a_bom_is_read_as_written():
    assert decode_utf8("Phạm Thị Hoa".encode()) == "Phạm Thị Hoa"
    assert decode_utf8(b"\xef\xbb\xbf" + "Tây Ninh".encode()) == "Tây Ninh"
    assert decode_utf8(b"a\xef\xbb\xbfb") == "a\ufeffb"  # only a leading BOM is dropped


def test_bytes_that_are_not_utf8_name_the_line_the_byte_and_its_value():
    err = refused(decode_utf8, "dòng một\nab\xe9".encode("utf-8")[:-2] + b"\xe9c")
    assert err.code == "invalid_utf8" and err.line == 2
    assert "Dòng 2, byte 3" in err.message_vi and "0xe9" in err.message_vi
    assert "Line 2, byte 3" in err.message_en and "UTF-8" in err.message_en
    assert str(err) == err.message_en  # what a log line or a traceback shows


def test_the_line_and_byte_count_every_newline_before_the_bad_byte_and_none_after_it():
    # a file that starts with an empty line, a bad byte on line 3, more lines after it
    err = refused(decode_utf8, b"\nab\ncd\xffe\nf\ng\n")
    assert err.line == 3 and "Line 3, byte 3" in err.message_en
    err = refused(decode_utf8, b"\n\xff")
    assert err.line == 2 and "Line 2, byte 1" in err.message_en


def test_a_bad_byte_on_the_first_line_after_a_bom_counts_from_the_line_start():
    err = refused(decode_utf8, b"\xef\xbb\xbfxy\xff")
    assert err.line == 1 and "Line 1, byte 3" in err.message_en and "0xff" in err.message_en


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\x80", "\x9f",
                                  "\ud800", "\udfff", "\ufffe", "\uffff"])
def test_a_control_or_invalid_character_is_refused_naming_the_field_and_the_character(char):
    err = refused(check_text, {"full_name": f"Phạm{char}Hoa"})
    assert err.code == "control_character" and err.field == "full_name"
    assert f"U+{ord(char):04X}" in err.message_en and "«full_name»" in err.message_vi


@pytest.mark.parametrize("text", ["tab\there", "line\nbreak", "cr\rlf", "Nguyễn Văn An", "\xa0nbsp", "\u2028"])
def test_tabs_newlines_and_ordinary_text_pass(text):
    check_text({"note": text, "list": [text]})


def test_the_place_of_a_bad_character_is_its_path_in_lists_and_objects_and_keys_are_checked():
    assert refused(check_text, {"lines": [{"name": "ok"}, {"name": "x\x00"}]}).field == "lines.1.name"
    assert refused(check_text, {"a\x01": 1}).field == "a\x01"
    err = refused(check_text, "x\x00")
    assert err.field is None and "'body'" in err.message_en and "«nội dung»" in err.message_vi


def nested(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_is_accepted_up_to_the_limit_and_refused_one_level_deeper():
    check_text(nested(MAX_DEPTH))
    err = refused(check_text, nested(MAX_DEPTH + 1))
    assert err.code == "too_deep" and str(MAX_DEPTH) in err.message_en and str(MAX_DEPTH) in err.message_vi
    assert err.field == ".".join(["0"] * MAX_DEPTH)


def test_hostile_depth_in_json_text_is_an_input_error_not_a_crash():
    err = refused(loads, "[" * 100_000 + "]" * 100_000)
    assert err.code == "too_deep" and str(MAX_DEPTH) in err.message_vi and str(MAX_DEPTH) in err.message_en
    assert loads('{"a": [1, "b"]}') == {"a": [1, "b"]}
    assert refused(loads, json.dumps({"a": "\u0000"})).field == "a"
    with pytest.raises(json.JSONDecodeError):
        loads("{not json")


def test_jsonl_lines_split_on_newline_only_and_lose_a_windows_carriage_return():
    assert split_lines('{"a":"x\u2028y"}\r\n{"b":1}\n') == ['{"a":"x\u2028y"}', '{"b":1}', ""]
    assert split_lines("a\rb\r") == ["a\rb"]


@pytest.mark.parametrize("char", ["\x7f", "\x85", "\ufffe", "\uffff"])
def test_a_bad_character_written_as_is_not_escaped_is_refused_with_its_field(char):
    # json itself accepts these unescaped; the check must find them in the text as written
    err = refused(loads, '{"data": {"full_name": "Trần' + char + 'Bình"}}')
    assert err.code == "control_character" and err.field == "data.full_name"


def test_nesting_too_deep_without_any_escape_is_refused():
    err = refused(loads, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert err.code == "too_deep"
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)  # the limit itself passes
