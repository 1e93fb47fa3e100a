"""Audit (DOMAIN.md §7.8, §9; D7): a member's trail across every source, and hash-chain checks.

Both read the event stores themselves — the record — not the read model; the read model only
says which events name the member, so the trail does not scan millions of attendance facts.
"""
from __future__ import annotations

from typing import Mapping

from shared.events import Envelope, model_for, stream_name
from shared.integrity import SealBook, StoreVerifier, verify_stores
from shared.eventstore import EventStore
from shared.logging import PERSONAL_KEYS

from services.reporting.periods import vn_date
from services.reporting.view import View


def _public(env: Envelope) -> dict:
    """The payload without personal fields (names, birth dates stay in the members service)."""
    personal = set(PERSONAL_KEYS)
    try:
        personal |= set(model_for(env.type).PERSONAL)
    except KeyError:
        pass
    return {k: v for k, v in env.data.items() if k not in personal}


def trail(v: View, stores: Mapping[str, EventStore], member_id: str) -> dict:
    refs: set[tuple[str, str]] = set()
    for (event_id,) in v.q(f"SELECT event_id FROM {v.t('member_facts')} WHERE member_id = ?", (member_id,)):
        refs.add(("members", event_id))
    for event_id, source in v.q(f"SELECT event_id, source FROM {v.t('member_refs')} WHERE member_id = ?", (member_id,)):
        refs.add((source, event_id))
    for (event_id,) in v.q(f"SELECT event_id FROM {v.t('absences')} WHERE member_id = ?", (member_id,)):
        refs.add(("meetings", event_id))
    found: dict[str, tuple[str, Envelope]] = {}
    if "members" in stores:  # the member's own stream, even events the read model has not seen yet
        for env in stores["members"].read_stream(stream_name("member", member_id)):
            found[env.event_id] = ("members", env)
    for source, event_id in refs:
        if event_id not in found and source in stores:
            env = stores[source].find_event(event_id)
            if env is not None:
                found[event_id] = (source, env)
    rows = [{"source": source, "type": env.type, "event_id": env.event_id, "stream": env.stream,
             "position": env.position, "occurred_on": env.occurred_on.isoformat(),
             "occurred_on_vi": vn_date(env.occurred_on), "recorded_at": env.recorded_at.isoformat(),
             "actor": env.actor, "org_unit_id": env.org_unit_id, "data": _public(env)}
            for source, env in found.values()]
    rows.sort(key=lambda r: (r["occurred_on"], r["recorded_at"], r["source"], r["position"]))
    return {"member_id": member_id, "rows": rows}


def verify(stores: Mapping[str, EventStore], book: SealBook | None = None, seals: list[dict] | None = None) -> dict:
    """Every store whole (positions, stream versions, links, keyed hashes) and against every seal
    (the seal folder's and any external copy given); the first broken event of each broken stream
    and each store-level problem, named with the failed check in Vietnamese and English."""
    return verify_stores(stores, book=book, seals=seals)


def seal(stores: Mapping[str, EventStore], book: SealBook | None) -> dict:
    """Verify every store and seal each one that is intact now (kept in the seal folder and
    returned, to be copied outside the province's servers). A failing store is not sealed."""
    out = {"intact": True, "seals": [], "sources": []}
    for source, store in stores.items():
        verifier = StoreVerifier(source, store, seals=book.load(source) if book else ())
        verifier.advance()
        report = verifier.report()
        out["sources"].append(report)
        if not report["ok"]:
            out["intact"] = False
            continue
        s = verifier.seal()
        if book is not None:
            book.add(s)
        out["seals"].append(s)
    return out
