"""structlog set-up: JSON in production, bound service/correlation id/event type.

Personal data never goes into logs, at any level: our own lines log ids and types, never payloads
(and the keys below are redacted should one slip in); the frameworks' own loggers (nameko, kombu,
eventlet/werkzeug, ...) go through ``FrameworkRedaction``, which keeps what a record says about
the machinery and drops what it carries: message bodies (dicts, lists, bytes), query strings,
exception messages (their type and traceback stay).
"""
from __future__ import annotations

import logging
import re
import sys
import traceback

import structlog

PERSONAL_KEYS = {"full_name", "birth_date", "citizen_id", "card_number", "background_number",
                 "background_file_number", "phone", "address", "contact", "ethnicity", "religion",
                 "occupation", "health_reason", "feedback", "reason", "query", "query_string", "params",
                 "body", "result", "data", "payload"}

REDACTED = "[redacted]"
#: ``?a=b&c=d`` in a URL or a request line (the reason and the ids asked for live there)
QUERY = re.compile(r"\?[^\s\"']*")


def _drop_personal(_, __, event_dict):
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = REDACTED
    return event_dict


def _clean_text(text: str) -> str:
    text = QUERY.sub("?" + REDACTED, text)
    # a rendered mapping is a message body: keep what precedes it
    at = text.find("{")
    return text[:at] + REDACTED if at >= 0 else text


def _clean_arg(arg):
    if isinstance(arg, (int, float, bool)) or arg is None:
        return arg
    if isinstance(arg, (dict, list, tuple, set, frozenset, bytes, bytearray)):
        return REDACTED
    if isinstance(arg, BaseException):  # its message may quote the input
        return f"{type(arg).__name__}({REDACTED})"
    return _clean_text(str(arg))


class FrameworkRedaction(logging.Filter):
    """Strip personal data from the records of every ``logging`` logger (structlog lines do not
    pass here). Attached to the root handlers by ``configure``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict):
            record.args = {k: _clean_arg(v) for k, v in args.items()}
        elif args:
            record.args = tuple(_clean_arg(a) for a in args)
        if isinstance(record.msg, str):
            record.msg = _clean_text(record.msg) if not args else record.msg
        else:
            record.msg = _clean_arg(record.msg)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            record.exc_text = "".join(traceback.format_tb(tb)) + f"{kind.__module__}.{kind.__qualname__}: {REDACTED}"
            record.exc_info = None
        return True


def configure(fmt: str = "json", level: str = "INFO") -> None:
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" \
        else structlog.dev.ConsoleRenderer(colors=False)
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, FrameworkRedaction) for f in handler.filters):
            handler.addFilter(FrameworkRedaction())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_personal,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get(service: str, **bound):
    return structlog.get_logger().bind(service=service, **bound)
