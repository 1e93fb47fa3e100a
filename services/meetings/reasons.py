"""Absence reasons are personal data: sealed with the member's key in this service's key vault.

An excused absence's reason is often a health matter ("nằm viện điều trị"). It is sealed
(``shared.personal``) before it reaches the store, so neither the store, the integrators' feed nor
a copy of the data directory holds it in clear. The vault is the service's own (its keys file or
table, wrapped by the same master key as the members service's). When the members service shreds
a member's personal data (``member.personal_data_shredded``), ``KeyShredding`` deletes this
service's key for that member too: the reasons stay in the events but can no longer be opened.
Events written before the reasons were sealed keep their clear value; reads take both forms.
"""
from __future__ import annotations

from shared.eventstore import EventStore
from shared.personal import ShreddedError, Vault
from shared.projection import Projection
from shared.readmodel import Tx

from services.meetings import domain
from services.meetings import rules as R

SHREDDED = "member.personal_data_shredded"


def sealed_reasons(vault: Vault, attendance) -> dict[str, str]:
    """Member id → their reason sealed with their key, for each entry with a reason (a blank one
    is left as it is: the domain refuses it when the absence is excused)."""
    try:
        return {a.member_id: vault.seal(a.member_id, a.reason) for a in attendance if a.reason and a.reason.strip()}
    except ShreddedError as exc:
        raise R.PERSON_SHREDDED(member_id=exc.args[0]) from None


def subjects(lines) -> list[str]:
    """The members whose reasons a file's meeting lines may seal (asked of the vault in bulk)."""
    out: dict[str, None] = {}
    for line in lines:
        data = line.get("data")
        for a in (data.get("attendance") if isinstance(data, dict) else None) or ():
            if isinstance(a, dict) and isinstance(a.get("member_id"), str) and a.get("reason"):
                out[a["member_id"]] = None
    return list(out)


def sealed_opener(vault: Vault):
    """``run_import``'s ``open_sealed``: a stored reason opened with the key of the member it is
    about — the attendance entry (or the ``meeting.missed``) that holds that very value."""
    def open_sealed(env, value):
        for entry in env.data.get("attendance") or (env.data,):
            if isinstance(entry, dict) and entry.get("reason") == value and entry.get("member_id"):
                return vault.unseal(entry["member_id"], value)
        return None
    return open_sealed


def with_reasons(store: EventStore, vault: Vault, meeting: dict) -> dict:
    """A held meeting's attendance with each recorded reason, opened (for a reader the gateway
    let see the meeting). A shredded member's reason reads as erased: ``reason`` None and
    ``personal_data_shredded`` true, as the members service shows a shredded record."""
    if not meeting.get("attendance"):
        return meeting
    # the view's attendance comes from this very event of the service's own store
    held = next(e for e in store.read_stream(domain.meeting_stream(meeting["meeting_id"])) if e.type == "meeting.held")
    stored = {a["member_id"]: a.get("reason") for a in held.data["attendance"]}
    rows = []
    for row in meeting["attendance"]:
        value = stored.get(row["member_id"])
        if value is not None:
            clear = vault.unseal(row["member_id"], value)
            row = {**row, "reason": clear}
            if clear is None:
                row["personal_data_shredded"] = True
        rows.append(row)
    return {**meeting, "attendance": rows}


class KeyShredding(Projection):
    """Follows the members service's shreddings: the member's key in this service's vault is
    deleted (``Vault.shred``: idempotent, so a redelivery, a sweep or a rebuild changes nothing).
    It keeps no table: its checkpoint says how far it has read."""

    name = "meetings_key_shredding"
    sources = ("members",)
    types = frozenset({SHREDDED})

    def __init__(self, vault: Vault):
        self.vault = vault

    def ddl(self) -> str:
        return ""

    def apply(self, tx: Tx, e) -> None:
        self.vault.shred(e.data["member_id"])
