"""The integrity warning as every document and export prints it (pure: flag → text).

Every service puts ``shared.integrity_watch.flag()`` on each answer drawn while a store it watches
fails verification (or could not be verified): beside the result in the answer's envelope (member
lists, meeting registers, discipline cases, the event log, the headcount tree) and inside a report's
own JSON as ``integrity``. Whatever renders those figures for a person — the
XLSX/CSV exports, the yearly DOCX/PDF, the CLI — takes its warning line from here."""
from __future__ import annotations

from typing import Any


def flag_of(result: Any, integrity: Any = None) -> dict | None:
    """The flag that goes with ``result``: the one given (an answer's envelope), else the one the
    report carries itself; None when the figures were drawn from intact stores."""
    flag = integrity if integrity is not None else (result.get("integrity") if isinstance(result, dict) else None)
    return flag if isinstance(flag, dict) and flag.get("intact") is False else None


def warning(result: Any, integrity: Any = None) -> str | None:
    """The warning line, Vietnamese then English (None: intact)."""
    flag = flag_of(result, integrity)
    if flag is None:
        return None
    return f"{flag.get('message_vi', '')} / {flag.get('message_en', '')}"
