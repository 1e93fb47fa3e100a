"""Members' records as known at a past recording time (DESIGN.md §2, two clocks).

The ``members`` table holds each member's record as it stands now: a correction
(``member.record_updated``) or a re-entry (``member.transferred_in``) overwrites the demobilised
category there. A report as known at an earlier time must read the record as it stood then, so for
the few members whose category was set again after that time, it is taken from their facts
recorded by then (each admission, entry and correction keeps the category it set in its
``detail``: ``facts.fact_detail``). A read model built before the facts kept it finds no such
fact and reads the table, as before.
"""
from __future__ import annotations

import json
from typing import Iterable

from services.reporting.facts import RECORD_FACTS
from services.reporting.periods import ALL_KNOWN

CHUNK = 500


def records_as_known(v, ids: Iterable[str] | None = None) -> dict[str, dict]:
    """Member → ``{"birth_year", "demobilised", "admitted_on"}`` as known at the view's recording
    time: every member (``ids`` None) or those named."""
    table = v.t("members")
    rows: list[tuple] = []
    if ids is None:
        rows = v.q(f"SELECT member_id, birth_year, demobilised, admitted_on FROM {table}")
    else:
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i:i + CHUNK]
            rows += v.q(f"SELECT member_id, birth_year, demobilised, admitted_on FROM {table} "
                        f"WHERE member_id IN ({','.join('?' * len(chunk))})", chunk)
    out = {m: {"birth_year": birth, "demobilised": demob, "admitted_on": admitted}
           for m, birth, demob, admitted in rows}
    for member, demobilised in demobilised_then(v).items():
        if member in out:
            out[member]["demobilised"] = demobilised
    return out


def demobilised_then(v) -> dict[str, str]:
    """Member → the demobilised category the record had at the view's recording time, for the
    members whose category was set again after it (none when the view knows everything)."""
    if v.known == ALL_KNOWN:
        return {}
    facts, marks = v.t("member_facts"), ",".join("?" * len(RECORD_FACTS))
    later = [r[0] for r in v.q(
        f"SELECT DISTINCT member_id FROM {facts} WHERE type IN ({marks}) AND recorded_at > ? "
        "AND detail LIKE ?", (*RECORD_FACTS, v.known, '%"demobilised"%'))]
    rank = {t: i for i, t in enumerate(RECORD_FACTS)}  # on one day, an entry before a correction
    out: dict[str, str] = {}
    for i in range(0, len(later), CHUNK):
        chunk = later[i:i + CHUNK]
        found: dict[str, tuple] = {}
        for member, type_, on, rec, detail in v.q(
                f"SELECT member_id, type, occurred_on, recorded_at, detail FROM {facts} WHERE type IN ({marks}) "
                f"AND recorded_at <= ? AND member_id IN ({','.join('?' * len(chunk))})",
                (*RECORD_FACTS, v.known, *chunk)):
            value = json.loads(detail or "{}").get("demobilised")
            key = (rec, on, rank[type_])
            if value and (member not in found or key >= found[member][0]):
                found[member] = (key, value)
        out.update((member, value) for member, (_, value) in found.items())
    return out
