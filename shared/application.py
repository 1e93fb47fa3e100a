"""The application step every command shares: load, fold, decide, append; retry once on conflict.

Services call ``execute`` with their pure ``fold`` and ``decide`` functions. A command carrying
an idempotency key gets event ids derived from it, so a retried command writes nothing twice and
returns what the first attempt stored.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from shared.dates import today_vn
from shared.events import Envelope, EventData, NewEvent, derived_event_id
from shared.errors import DomainError
from shared.eventstore import ConcurrencyError, EventStreams


@dataclass(frozen=True)
class Context:
    """Who asks, why, and when: carried into every event's envelope."""

    actor: str = "system"
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None
    #: idempotency key of the command (HTTP ``Idempotency-Key`` or a derived import line id)
    command_id: str | None = None
    #: "today" for rules that depend on the present (e.g. no meetings dated in the future)
    today: dt.date = field(default_factory=lambda: today_vn())
    #: when the caller stops waiting (Unix time, set by the gateway): past it nothing is appended
    deadline: float | None = None

    def child(self, **changes) -> "Context":
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Context":
        d = dict(d or {})
        if isinstance(d.get("today"), str):
            d["today"] = dt.date.fromisoformat(d["today"])
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**known)


def check_deadline(deadline: float | None) -> None:
    """Refuse to start (or to append) once the caller has stopped waiting: the gateway has already
    answered 504, so work done now would be a write nobody was told about."""
    import time

    from shared.errors import deadline_exceeded
    if deadline is not None and time.time() > float(deadline):
        raise deadline_exceeded()


def event_id_for(ctx: Context, index: int) -> str:
    """The first event of a command carries the command id itself; later ones derive from it."""
    if not ctx.command_id:
        return str(uuid.uuid4())
    return ctx.command_id if index == 0 else derived_event_id(ctx.command_id, index)


@dataclass(frozen=True)
class Decided:
    """One fact a decision produced: its payload, business date and org unit."""

    payload: EventData
    occurred_on: dt.date
    org_unit_id: str | None = None
    stream: str | None = None  # defaults to the command's stream


def to_new_events(decided: Sequence[Decided], ctx: Context, stream: str) -> list[tuple[str, NewEvent]]:
    out = []
    for i, d in enumerate(decided):
        target = d.stream or stream
        event_id = event_id_for(ctx, i)
        out.append((target, NewEvent.of(d.payload, d.occurred_on, d.org_unit_id, event_id=event_id,
                                        actor=ctx.actor, correlation_id=ctx.correlation_id,
                                        causation_id=ctx.causation_id)))
    return out


def already_done(store: EventStreams, ctx: Context, stream: str | None = None) -> list[Envelope] | None:
    """Events stored by an earlier attempt of this very command, if any (``stream``: where its
    first event went, a hint for stores without an index by event id)."""
    if not ctx.command_id:
        return None
    first = store.find_event(event_id_for(ctx, 0), stream)
    if first is None:
        return None
    found, i = [first], 1
    while (nxt := store.find_event(event_id_for(ctx, i))) is not None:
        found.append(nxt)
        i += 1
    return found


def execute(store: EventStreams, stream: str, fold: Callable[[list[Envelope]], object],
            decide: Callable[[object], Sequence[Decided]], ctx: Context) -> list[Envelope]:
    """Run one command against one stream (other streams it touches are appended without a check)."""
    done = already_done(store, ctx, stream)
    if done is not None:
        return done
    for attempt in (1, 2):
        history = store.read_stream(stream)
        version = history[-1].stream_version if history else -1
        try:
            decided = decide(fold(history))
        except DomainError:
            # refused on a state that may hold this very command, written by its other attempt
            # (a retry sent while the first was still running): its answer, not a refusal
            done = already_done(store, ctx, stream)
            if done is not None:
                return done
            raise
        if not decided:
            return []
        grouped: dict[str, list[NewEvent]] = {}
        for target, ev in to_new_events(decided, ctx, stream):
            grouped.setdefault(target, []).append(ev)
        batches = [(s, evs, version if s == stream else -2) for s, evs in grouped.items()]
        check_deadline(ctx.deadline)
        try:
            return store.append_batch(batches)
        except ConcurrencyError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
