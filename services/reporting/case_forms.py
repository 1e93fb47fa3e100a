"""The form of a discipline decision as known at a recording time (DESIGN.md §2, two clocks).

A decision's form can be changed later (``discipline.changed``: on appeal, or by a higher body's
review), more than once. The ``cases`` row holds the latest form in ``form`` and, in ``forms``,
every form the case was given with the time each was recorded (JSON ``[[recorded_at, form], ...]``,
in the order they were recorded), so a report as known at an earlier time reads the form the
decision had then. A row written before ``forms`` was kept (NULL) reads ``form``.
"""
from __future__ import annotations

import json

from services.reporting.periods import ALL_KNOWN


def with_form(forms: str | None, recorded_at: str, form: str) -> str:
    """``forms`` with one more form, recorded at ``recorded_at`` (the same text live and in a replay)."""
    history = json.loads(forms) if forms else []
    history.append([recorded_at, form])
    return json.dumps(history, separators=(",", ":"))


def form_as_known(known: str, form: str, forms: str | None) -> str:
    """The form recorded last by ``known`` (UTC text); ``form`` (the latest) when everything is
    known or the row keeps no history."""
    if known == ALL_KNOWN or not forms:
        return form
    then = form
    for recorded_at, value in json.loads(forms):
        if recorded_at <= known:
            then = value
        else:
            break
    return then
