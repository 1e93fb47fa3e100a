"""Named rule failures, with the message in Vietnamese and English and the field at fault.

Domain functions raise them; service entrypoints turn them into a result the gateway maps to
``application/problem+json``.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field


class DomainError(Exception):
    """A command broke a rule. ``code`` is stable for machines; messages are for people."""

    status = 422

    def __init__(self, code: str, message_vi: str, message_en: str, field: str | None = None, **details):
        super().__init__(f"{code}: {message_en}")
        self.code, self.message_vi, self.message_en, self.field = code, message_vi, message_en, field
        self.details = details

    def to_dict(self) -> dict:
        out = {"code": self.code, "message_vi": self.message_vi, "message_en": self.message_en,
               "field": self.field, "status": self.status}
        if self.details:
            out["details"] = self.details
        return out


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


_DEFAULT = object()


@dataclass(frozen=True)
class Rule:
    """A named refusal: its stable ``code``, its texts (``str.format`` templates, Vietnamese first),
    the ``source`` it cites, the kind of failure (a broken rule 422, ``NotFound`` 404, ``Conflict``
    409) and the field it names unless told another.

    ``RULE(day=vn(d), field=...)`` builds the failure to raise; ``RULE.error`` is its exception type
    (a subclass of ``kind``), so a test can say ``pytest.raises(rules.DATE_IN_FUTURE.error)``."""

    code: str
    vi: str
    en: str
    source: str
    kind: type = DomainError
    field: str | None = None
    error: type = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self):
        name = "".join(part.capitalize() for part in self.code.split("_"))
        object.__setattr__(self, "error", type(name, (self.kind,), {"rule": self, "__module__": __name__}))

    def __call__(self, *, field=_DEFAULT, details: dict | None = None, **values) -> DomainError:
        return self.error(self.code, self.vi.format(**values), self.en.format(**values),
                          field=self.field if field is _DEFAULT else field, **(details or {}))


def invalid(field: str, message_vi: str, message_en: str, code: str = "invalid_input") -> DomainError:
    return DomainError(code, message_vi, message_en, field=field)


#: pydantic's error types as people read them: (Vietnamese, English), filled from the error's ``ctx``
REASONS = {
    "int_parsing": ("phải là số nguyên", "must be a whole number"),
    "int_type": ("phải là số nguyên", "must be a whole number"),
    "int_from_float": ("phải là số nguyên", "must be a whole number"),
    "float_parsing": ("phải là số", "must be a number"),
    "float_type": ("phải là số", "must be a number"),
    "bool_parsing": ("phải là có/không (true/false)", "must be true or false"),
    "bool_type": ("phải là có/không (true/false)", "must be true or false"),
    "date_parsing": ("phải là ngày hợp lệ dạng yyyy-mm-dd", "must be a valid date, yyyy-mm-dd"),
    "date_from_datetime_parsing": ("phải là ngày hợp lệ dạng yyyy-mm-dd", "must be a valid date, yyyy-mm-dd"),
    "date_from_datetime_inexact": ("phải là ngày, không kèm giờ", "must be a date without a time"),
    "date_type": ("phải là ngày hợp lệ dạng yyyy-mm-dd", "must be a valid date, yyyy-mm-dd"),
    "datetime_parsing": ("phải là thời điểm ISO 8601", "must be an ISO 8601 date and time"),
    "datetime_from_date_parsing": ("phải là thời điểm ISO 8601", "must be an ISO 8601 date and time"),
    "datetime_type": ("phải là thời điểm ISO 8601", "must be an ISO 8601 date and time"),
    "string_type": ("phải là chuỗi ký tự", "must be text"),
    "string_too_short": ("phải có ít nhất {min_length} ký tự", "must have at least {min_length} characters"),
    "string_too_long": ("dài quá {max_length} ký tự", "must have at most {max_length} characters"),
    "string_pattern_mismatch": ("không đúng dạng quy định", "does not have the required form"),
    "literal_error": ("phải là một trong: {expected}", "must be one of: {expected}"),
    "enum": ("phải là một trong: {expected}", "must be one of: {expected}"),
    "greater_than": ("phải lớn hơn {gt}", "must be greater than {gt}"),
    "greater_than_equal": ("phải từ {ge} trở lên", "must be at least {ge}"),
    "less_than": ("phải nhỏ hơn {lt}", "must be less than {lt}"),
    "less_than_equal": ("phải không quá {le}", "must be at most {le}"),
    "too_short": ("phải có ít nhất {min_length} phần tử", "must have at least {min_length} items"),
    "too_long": ("có quá {max_length} phần tử", "must have at most {max_length} items"),
    "list_type": ("phải là một danh sách", "must be a list"),
    "dict_type": ("phải là một đối tượng", "must be an object"),
    "model_type": ("phải là một đối tượng", "must be an object"),
    "uuid_parsing": ("phải là mã UUID", "must be a UUID"),
    "json_invalid": ("không phải JSON hợp lệ", "is not valid JSON"),
}


def reason(error: dict) -> tuple[str, str]:
    """One pydantic error as a Vietnamese and an English reason (no English inside the Vietnamese).
    A validator's own message (``value_error``) is kept whole on the English side; a message already
    bilingual ("vi / en") is split."""
    kind = error.get("type", "")
    ctx = {k: v for k, v in (error.get("ctx") or {}).items()}
    if kind in REASONS:
        vi, en = REASONS[kind]
        try:
            return vi.format(**ctx), en.format(**ctx)
        except (KeyError, IndexError):
            return vi.split(" {")[0], en.split(" {")[0]
    text = str(ctx.get("error") or error.get("msg") or "").removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if " / " in text:
        vi, _, en = text.partition(" / ")
        return vi, en
    return "giá trị không hợp lệ", (f"invalid value: {text}" if text else "invalid value")


def from_validation_error(exc, prefix: str = "") -> DomainError:
    """Turn a pydantic ValidationError into a DomainError naming the first field at fault; every
    error listed has its reason in Vietnamese and in English."""
    errs = exc.errors()
    first = errs[0] if errs else {"loc": (), "msg": str(exc), "type": "value_error"}
    field = ".".join(str(p) for p in (prefix.split(".") if prefix else []) + list(first["loc"]) if p != "")
    kind = first.get("type", "")
    if kind == "missing":
        vi = f"Thiếu trường bắt buộc «{field}»"
        en = f"Missing required field '{field}'"
    elif kind == "extra_forbidden":
        vi = f"Trường «{field}» không được phép"
        en = f"Field '{field}' is not allowed"
    else:
        why_vi, why_en = reason(first)
        vi = f"Giá trị của «{field}» không hợp lệ: {why_vi}"
        en = f"Invalid value for '{field}': {why_en}"
    listed = []
    for e in errs:
        why_vi, why_en = (("thiếu trường bắt buộc", "missing required field") if e.get("type") == "missing"
                          else ("trường không được phép", "field not allowed") if e.get("type") == "extra_forbidden"
                          else reason(e))
        listed.append({"field": ".".join(map(str, e["loc"])), "message": why_en, "message_vi": why_vi,
                       "message_en": why_en})
    return DomainError("invalid_input", vi, en, field=field or None, errors=listed)


class Unavailable(DomainError):
    """A dependency (database, broker, another service) did not answer, even after retries. Nothing
    of the request is known to be written; the client may retry with the same Idempotency-Key."""

    status = 503


class DeadlineExceeded(DomainError):
    """The caller stopped waiting before the work began (or before its append): nothing was written."""

    status = 504


class TooLarge(DomainError):
    """The store's server refused the write as a whole because it is larger than it accepts in one
    transaction. Nothing was written; the same request will be refused again."""

    status = 413


def batch_too_large(size: int | None, max_size: int | None) -> TooLarge:
    """An append the event store's server refused for its size (KurrentDB's maximum append /
    transaction size): the import must be split, or the server's limit raised."""
    said_vi = f"{size:,} byte".replace(",", ".") if size else "vượt giới hạn"
    said_en = f"{size:,} bytes" if size else "over the limit"
    limit_vi = f"tối đa {max_size:,} byte".replace(",", ".") if max_size else "giới hạn của máy chủ"
    limit_en = f"at most {max_size:,} bytes" if max_size else "the server's limit"
    return TooLarge("batch_too_large",
                    f"Lô dữ liệu quá lớn để máy chủ kho sự kiện ghi trong một lần ({said_vi}, {limit_vi}); "
                    "không có dữ liệu nào được ghi. Hãy chia tệp nhập thành các tệp nhỏ hơn hoặc tăng giới hạn "
                    "kích thước ghi của máy chủ",
                    f"The batch is too large for the event store's server to write at once ({said_en}, "
                    f"{limit_en}); nothing was written. Split the import file into smaller files or raise the "
                    "server's append size limit", size=size, max_size=max_size)


def dependency_unavailable(dependency_vi: str, dependency_en: str) -> Unavailable:
    return Unavailable("dependency_unavailable",
                       f"{dependency_vi} tạm thời không truy cập được; hãy thử lại sau với cùng "
                       "Idempotency-Key (một yêu cầu đã ghi sẽ không bị ghi lại)",
                       f"{dependency_en} is unreachable for now; retry later with the same "
                       "Idempotency-Key (a request already written is not written twice)", dependency=dependency_en)


def deadline_exceeded() -> DeadlineExceeded:
    return DeadlineExceeded("deadline_exceeded",
                            "Hết thời hạn chờ trước khi yêu cầu được thực hiện; không có dữ liệu nào được ghi",
                            "The deadline passed before the request was carried out; nothing was written")
