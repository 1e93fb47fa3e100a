"""What the system accepts as text and JSON, for commands and imports alike (docs/limits.md).

Nothing is silently dropped or mangled: bytes that are not UTF-8, control characters, lone
surrogates and absurdly deep JSON are refused with the place they were found, never replaced.
"""
from __future__ import annotations

import json
import re

#: deepest JSON nesting accepted (objects and arrays; the catalog's deepest payload needs 4)
MAX_DEPTH = 32
#: largest command body (bytes) and largest import file (bytes)
MAX_COMMAND_BYTES = 1 << 20
MAX_IMPORT_BYTES = 256 << 20
#: longest single header line / all headers (eventlet's limits, answered with 431 problem+json)
MAX_HEADER_LINE = 8192
MAX_HEADERS_TOTAL = 65536

BOM = "\ufeff"
# C0 controls but tab, newline and carriage return; DEL; C1 controls; surrogates (from \ud800
# escapes); the two non-characters U+FFFE/U+FFFF
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class InputError(ValueError):
    """``code``, Vietnamese and English messages, and the field path where it was found."""

    def __init__(self, code: str, vi: str, en: str, field: str | None = None, line: int | None = None):
        super().__init__(en)
        self.code, self.message_vi, self.message_en, self.field, self.line = code, vi, en, field, line


def decode_utf8(raw: bytes) -> str:
    """Strict UTF-8 (a leading BOM dropped); the error names the line and byte offset."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError("invalid_utf8",
                         f"Dòng {line}, byte {column}: không phải UTF-8 hợp lệ (byte 0x{raw[exc.start]:02x}); "
                         "hãy lưu tệp dạng UTF-8",
                         f"Line {line}, byte {column}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}); "
                         "save the file as UTF-8", line=line) from None


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check_text(value, path: str = "") -> None:
    """Refuse control characters and surrogates in every string (keys too), and nesting deeper
    than ``MAX_DEPTH``. Iterative: a hostile depth cannot exhaust the stack."""
    stack = [(value, path, 0)]
    while stack:
        v, p, depth = stack.pop()
        if isinstance(v, str):
            m = _BAD_CHAR.search(v)
            if m:
                raise InputError("control_character",
                                 f"Trường «{p or 'nội dung'}» chứa ký tự điều khiển/không hợp lệ {_char_name(m.group())}",
                                 f"Field '{p or 'body'}' contains a control or invalid character {_char_name(m.group())}",
                                 p or None)
        elif isinstance(v, (dict, list)):
            if depth >= MAX_DEPTH:
                raise InputError("too_deep", f"JSON lồng nhau quá {MAX_DEPTH} cấp",
                                 f"JSON nested deeper than {MAX_DEPTH} levels", p or None)
            items = v.items() if isinstance(v, dict) else enumerate(v)
            for k, item in items:
                sub = f"{p}.{k}" if p else str(k)
                if isinstance(k, str):
                    stack.append((k, sub, depth + 1))
                stack.append((item, sub, depth + 1))


def loads(text: str):
    """``json.loads`` that answers a hostile depth with ``InputError`` (never RecursionError)
    and checks every string. ``json.JSONDecodeError`` passes through for the caller to word."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputError("too_deep", f"JSON lồng nhau quá {MAX_DEPTH} cấp",
                         f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if not _plain(text):
        check_text(value)
    return value


def _plain(text: str) -> bool:
    """True when the JSON text cannot hold what ``check_text`` refuses, read from the text alone
    (no walk of the parsed value — a province's import file: 100,000 lines): no escape at all (so
    every string is as written), no bad character written, and fewer brackets than the depth limit."""
    return "\\" not in text and not _BAD_CHAR.search(text) and text.count("{") + text.count("[") <= MAX_DEPTH


def split_lines(text: str) -> list[str]:
    """Lines of a JSONL file: split on "\\n" only (U+2028/U+2029 and other separators that may
    sit inside JSON strings never split a line), a trailing "\\r" dropped (Windows files)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
