"""structlog set-up: JSON in production, bound service/correlation id/event type.

Personal data never goes into logs: log ids and types, never payloads.
"""
from __future__ import annotations

import logging
import sys

import structlog

PERSONAL_KEYS = {"full_name", "birth_date", "citizen_id", "card_number", "background_number",
                 "phone", "address", "contact", "ethnicity", "religion", "data", "payload"}


def _drop_personal(_, __, event_dict):
    for key in PERSONAL_KEYS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


def configure(fmt: str = "json", level: str = "INFO") -> None:
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" \
        else structlog.dev.ConsoleRenderer(colors=False)
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(message)s")
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
