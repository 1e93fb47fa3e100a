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


def from_validation_error(exc, prefix: str = "") -> DomainError:
    """Turn a pydantic ValidationError into a DomainError naming the first field at fault."""
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
        vi = f"Giá trị của «{field}» không hợp lệ: {first['msg']}"
        en = f"Invalid value for '{field}': {first['msg']}"
    return DomainError("invalid_input", vi, en, field=field or None,
                       errors=[{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in errs])


class Unavailable(DomainError):
    """A dependency (database, broker, another service) did not answer, even after retries. Nothing
    of the request is known to be written; the client may retry with the same Idempotency-Key."""

    status = 503


class DeadlineExceeded(DomainError):
    """The caller stopped waiting before the work began (or before its append): nothing was written."""

    status = 504


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
