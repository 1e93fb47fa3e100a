"""What a client reads from a refusal (shared/errors.py): its code, HTTP status, the field it
names, the Vietnamese and the English text, and, for a malformed request, every field at fault
with its reason in both languages."""
from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared import errors
from shared.errors import (Conflict, DeadlineExceeded, DomainError, NotFound, Rule, Unavailable,
                           from_validation_error, reason)


# --- the problem a client receives ----------------------------------------------------------------

def test_a_broken_rule_is_a_422_naming_its_code_field_and_both_texts():
    err = DomainError("date_in_future", "Ngày ở tương lai", "Date in the future", field="admitted_on")
    assert err.to_dict() == {"code": "date_in_future", "message_vi": "Ngày ở tương lai",
                             "message_en": "Date in the future", "field": "admitted_on", "status": 422}
    assert str(err) == "date_in_future: Date in the future"  # what a log line shows


def test_details_are_sent_only_when_there_are_some():
    err = DomainError("member_left", "vi", "en", member_id="M1", day="2025-01-02")
    assert err.to_dict()["details"] == {"member_id": "M1", "day": "2025-01-02"}
    assert err.field is None and err.to_dict()["field"] is None
    assert "details" not in DomainError("x", "vi", "en").to_dict()


@pytest.mark.parametrize("kind, status", [(DomainError, 422), (NotFound, 404), (Conflict, 409),
                                          (Unavailable, 503), (DeadlineExceeded, 504)])
def test_each_kind_of_failure_has_its_http_status(kind, status):
    err = kind("c", "vi", "en")
    assert err.status == status and err.to_dict()["status"] == status
    assert isinstance(err, DomainError)


def test_invalid_names_the_field_and_defaults_to_invalid_input():
    err = errors.invalid("card_number", "Số thẻ sai", "Bad card number")
    assert (err.code, err.field, err.message_vi, err.message_en, err.status) == (
        "invalid_input", "card_number", "Số thẻ sai", "Bad card number", 422)
    assert errors.invalid("x", "vi", "en", code="too_many").code == "too_many"


def test_an_unreachable_dependency_is_a_503_asking_for_a_retry_with_the_same_key():
    err = errors.dependency_unavailable("Kho sự kiện", "The event store")
    assert (err.code, err.status) == ("dependency_unavailable", 503)
    assert err.message_vi.startswith("Kho sự kiện tạm thời không truy cập được")
    assert err.message_en.startswith("The event store is unreachable for now")
    assert "Idempotency-Key" in err.message_vi and "Idempotency-Key" in err.message_en
    assert err.to_dict()["details"] == {"dependency": "The event store"}
    assert err.field is None


def test_a_passed_deadline_is_a_504_saying_nothing_was_written():
    err = errors.deadline_exceeded()
    assert (err.code, err.status, err.field) == ("deadline_exceeded", 504, None)
    assert "không có dữ liệu nào được ghi" in err.message_vi
    assert "nothing was written" in err.message_en


def test_a_batch_too_large_for_the_store_is_a_413_with_both_sizes_read_as_users_write_them():
    err = errors.batch_too_large(1234567, 1048576)
    assert (err.code, err.status, err.field) == ("batch_too_large", 413, None)
    assert isinstance(err, errors.TooLarge)
    assert err.message_vi == ("Lô dữ liệu quá lớn để máy chủ kho sự kiện ghi trong một lần (1.234.567 byte, "
                              "tối đa 1.048.576 byte); không có dữ liệu nào được ghi. Hãy chia tệp nhập thành "
                              "các tệp nhỏ hơn hoặc tăng giới hạn kích thước ghi của máy chủ")
    assert err.message_en == ("The batch is too large for the event store's server to write at once "
                              "(1,234,567 bytes, at most 1,048,576 bytes); nothing was written. Split the import "
                              "file into smaller files or raise the server's append size limit")
    assert err.to_dict()["details"] == {"size": 1234567, "max_size": 1048576}


def test_a_batch_too_large_whose_sizes_the_server_did_not_give_still_says_what_to_do():
    err = errors.batch_too_large(None, None)
    assert "(vượt giới hạn, giới hạn của máy chủ)" in err.message_vi
    assert "(over the limit, the server's limit)" in err.message_en
    assert "Hãy chia tệp nhập" in err.message_vi and "Split the import file" in err.message_en


# --- named rules ----------------------------------------------------------------------------------

def age_rule() -> Rule:
    # built inside each test, not at import: a rule's error type is made when the rule is made
    return Rule("too_young", "Chưa đủ {years} tuổi ngày {day}", "Under {years} on {day}",
                "Điều lệ Đảng, Điều 1", field="birth_date")


def gone_rule() -> Rule:
    return Rule("case_not_found", "Không có vụ {case}", "No case {case}", "QĐ 22", kind=NotFound)


def test_a_rule_fills_both_texts_and_names_its_field_code_and_status():
    AGE = age_rule()
    err = AGE(years=18, day="01/02/2025")
    assert (err.code, err.field, err.status) == ("too_young", "birth_date", 422)
    assert err.message_vi == "Chưa đủ 18 tuổi ngày 01/02/2025"
    assert err.message_en == "Under 18 on 01/02/2025"
    assert err.rule is AGE and AGE.source == "Điều lệ Đảng, Điều 1"


def test_a_rule_can_name_another_field_or_none_and_carry_details():
    AGE = age_rule()
    assert AGE(years=18, day="d", field="admitted_on").field == "admitted_on"
    assert AGE(years=18, day="d", field=None).field is None
    assert AGE(years=18, day="d", details={"member_id": "M1"}).details == {"member_id": "M1"}
    assert AGE(years=18, day="d").details == {}


def test_a_rule_raises_its_own_type_a_subclass_of_its_kind():
    AGE, GONE = age_rule(), gone_rule()
    err = GONE(case="C1")
    assert type(err) is GONE.error and type(err).__name__ == "CaseNotFound"
    assert isinstance(err, NotFound) and err.status == 404 and err.field is None
    assert not issubclass(AGE.error, NotFound) and issubclass(AGE.error, DomainError)
    assert AGE.error.__module__ == "shared.errors"
    assert type(AGE(years=1, day="d")).__name__ == "TooYoung"
    assert Rule("x", "", "", "").error.__name__ == "X"
    assert Rule("dismissal_needs_post", "", "", "").error.__name__ == "DismissalNeedsPost"
    with pytest.raises(GONE.error):
        raise GONE(case="C2")


# --- pydantic's reasons in both languages ---------------------------------------------------------

@pytest.mark.parametrize("kind, ctx, vi, en", [
    ("int_parsing", None, "phải là số nguyên", "must be a whole number"),
    ("string_too_long", {"max_length": 8}, "dài quá 8 ký tự", "must have at most 8 characters"),
    ("greater_than_equal", {"ge": 1}, "phải từ 1 trở lên", "must be at least 1"),
    ("literal_error", {"expected": "'a' or 'b'"}, "phải là một trong: 'a' or 'b'", "must be one of: 'a' or 'b'"),
])
def test_a_known_error_type_reads_as_a_reason_filled_from_its_context(kind, ctx, vi, en):
    assert reason({"type": kind, "ctx": ctx, "msg": "ignored"}) == (vi, en)


def test_a_reason_whose_context_lacks_a_value_is_cut_before_it():
    assert reason({"type": "string_too_short", "ctx": {}}) == ("phải có ít nhất", "must have at least")
    assert reason({"type": "greater_than"}) == ("phải lớn hơn", "must be greater than")


def test_a_validators_own_bilingual_message_is_split():
    assert reason({"type": "value_error", "msg": "Value error, sai ngày / wrong day"}) == ("sai ngày", "wrong day")
    assert reason({"type": "assertion_error", "msg": "Assertion failed, trống / empty"}) == ("trống", "empty")
    # the Vietnamese side ends at the first " / ": the English may hold one of its own
    assert reason({"type": "value_error", "msg": "Value error, sai ngày / wrong day / month"}) == (
        "sai ngày", "wrong day / month")
    # the error object in ctx is read before msg
    assert reason({"type": "value_error", "ctx": {"error": ValueError("a / b")}, "msg": "x / y"}) == ("a", "b")


def test_an_english_only_message_stays_on_the_english_side():
    assert reason({"type": "value_error", "msg": "Value error, too far"}) == (
        "giá trị không hợp lệ", "invalid value: too far")
    assert reason({"type": "weird"}) == ("giá trị không hợp lệ", "invalid value")
    assert reason({}) == ("giá trị không hợp lệ", "invalid value")


class Card(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=8, max_length=8)
    admitted_on: dt.date
    grade: int = 0

    @field_validator("grade")
    @classmethod
    def _grade(cls, v):
        if v > 10:
            raise ValueError("quá lớn / too large")
        return v


def failure(data, prefix="") -> DomainError:
    with pytest.raises(ValidationError) as exc:
        Card.model_validate(data)
    return from_validation_error(exc.value, prefix)


def test_a_missing_field_is_named_in_both_languages():
    err = failure({"number": "12345678"})
    assert (err.code, err.field, err.status) == ("invalid_input", "admitted_on", 422)
    assert err.message_vi == "Thiếu trường bắt buộc «admitted_on»"
    assert err.message_en == "Missing required field 'admitted_on'"
    assert err.details["errors"] == [{"field": "admitted_on", "message": "missing required field",
                                      "message_vi": "thiếu trường bắt buộc", "message_en": "missing required field"}]


def test_an_extra_field_is_refused_by_name():
    err = failure({"number": "12345678", "admitted_on": "2025-01-01", "colour": "red"})
    assert err.field == "colour"
    assert err.message_vi == "Trường «colour» không được phép"
    assert err.message_en == "Field 'colour' is not allowed"
    assert err.details["errors"][0]["message_vi"] == "trường không được phép"
    assert err.details["errors"][0]["message_en"] == "field not allowed"


def test_a_bad_value_names_the_field_and_why_and_every_error_is_listed():
    err = failure({"number": "123", "admitted_on": "2025-02-30", "grade": 11}, prefix="body.card")
    assert err.field == "body.card.number"  # the first error, under the prefix
    assert err.message_vi == "Giá trị của «body.card.number» không hợp lệ: phải có ít nhất 8 ký tự"
    assert err.message_en == "Invalid value for 'body.card.number': must have at least 8 characters"
    listed = err.details["errors"]
    assert [e["field"] for e in listed] == ["number", "admitted_on", "grade"]
    assert listed[2]["message_vi"] == "quá lớn" and listed[2]["message_en"] == "too large"
    assert listed[2]["message"] == "too large"
    assert listed[1]["message_vi"] == "phải là ngày hợp lệ dạng yyyy-mm-dd"


class Unit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cards: list[Card] = []


def test_a_nested_error_is_listed_by_its_dotted_path():
    with pytest.raises(ValidationError) as exc:
        Unit.model_validate({"cards": [{"number": "12345678", "admitted_on": "2025-01-01"},
                                       {"number": "12345678", "admitted_on": "x"}]})
    err = from_validation_error(exc.value, prefix="data")
    assert err.field == "data.cards.1.admitted_on"
    assert err.details["errors"][0]["field"] == "cards.1.admitted_on"


def test_an_empty_key_adds_no_empty_part_to_the_field():
    with pytest.raises(ValidationError) as exc:
        Card.model_validate({"number": "12345678", "admitted_on": "2025-01-01", "": 1})
    err = from_validation_error(exc.value, prefix="data")
    assert err.field == "data"
    assert err.message_en == "Field 'data' is not allowed"


def test_an_error_without_a_location_names_no_field():
    class Fake:
        def errors(self):
            return [{"loc": (), "msg": "Value error, cả bản ghi / whole record", "type": "value_error"}]

    err = from_validation_error(Fake())
    assert err.field is None
    assert err.message_vi == "Giá trị của «» không hợp lệ: cả bản ghi"
    assert err.details["errors"][0]["field"] == ""


def test_no_listed_error_falls_back_to_the_exception_text():
    class Empty:
        def errors(self):
            return []

        def __str__(self):
            return "broken"

    err = from_validation_error(Empty(), prefix="body")
    assert err.field == "body"
    assert err.message_en == "Invalid value for 'body': invalid value: broken"
    assert err.details == {"errors": []}
