"""Use cases of the meetings service: load streams, ask the roster, call the domain, append.

A meeting touches its own stream and the year record of every absent member; dues touch the
member's year records. ``execute_streams`` checks the expected version of every stream it read
(the kernel's ``execute`` checks only the first), because warnings are decided from counts in
those streams and two concurrent commands must not both decide "this is the first absence".
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

from shared.application import Context, Decided, already_done, check_deadline, to_new_events
from shared.events import Envelope
from shared.eventstore import ConcurrencyError, EventStore
from shared.personal import Vault
from shared.rules import rules_on

from services.meetings import domain, dues, member_year as my
from services.meetings import rules as R
from services.meetings.reasons import sealed_reasons
from services.meetings.roster import RosterEntry, Timeline, Unit
from shared.contracts.meetings import RecordDues, RecordMeeting, ScheduleMeeting


class Roster(Protocol):
    def unit(self, org_unit_id: str) -> Unit | None: ...
    def on(self, org_unit_id, day) -> list[RosterEntry]: ...
    def timeline(self, member_id: str) -> Timeline | None: ...


def execute_streams(store: EventStore, streams: Sequence[str],
                    decide: Callable[[dict[str, list[Envelope]]], Sequence[Decided]], ctx: Context) -> list[Envelope]:
    """Like ``shared.application.execute`` over several streams, each append checked against the
    version read; idempotent by ``ctx.command_id``; retried once on a concurrent write."""
    done = already_done(store, ctx)
    if done is not None:
        return done
    streams = list(dict.fromkeys(streams))
    for attempt in (1, 2):
        history = {s: store.read_stream(s) for s in streams}
        versions = {s: (h[-1].stream_version if h else -1) for s, h in history.items()}
        decided = decide(history)
        if not decided:
            return []
        grouped: dict[str, list] = {}
        for target, ev in to_new_events(decided, ctx, streams[0]):
            grouped.setdefault(target, []).append(ev)
        unknown = set(grouped) - set(versions)
        if unknown:  # a decision wrote to a stream it did not read: a bug, not a user error
            raise AssertionError(f"decided events for unread streams {sorted(unknown)}")
        check_deadline(ctx.deadline)
        try:
            return store.append_batch([(s, evs, versions[s]) for s, evs in grouped.items()])
        except ConcurrencyError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def schedule_meeting(store: EventStore, roster: Roster, cmd: ScheduleMeeting, ctx: Context) -> list[Envelope]:
    domain.not_in_future(cmd.occurred_on, ctx.today)
    unit = roster.unit(cmd.org_unit_id)
    stream = domain.meeting_stream(cmd.meeting_id)
    return execute_streams(store, [stream], lambda h: domain.schedule_meeting(domain.fold(h[stream]), unit, cmd), ctx)


def record_meeting(store: EventStore, roster: Roster, vault: Vault, cmd: RecordMeeting,
                   ctx: Context) -> list[Envelope]:
    """The absence reasons are sealed with each member's key (``reasons``) before anything is stored."""
    unit = roster.unit(cmd.org_unit_id)
    entries = roster.on(cmd.org_unit_id, cmd.occurred_on) if unit is not None else []
    stream = domain.meeting_stream(cmd.meeting_id)
    year = cmd.occurred_on.year
    absent = [a.member_id for a in cmd.attendance if a.status != "present"]
    streams = [stream] + [my.year_stream(m, year) for m in absent]
    rules = rules_on(cmd.occurred_on)

    def decide(h):  # not called for a retried command (its stored events are the answer): nothing sealed
        years = {m: my.fold(h[my.year_stream(m, year)]) for m in absent}
        return domain.record_meeting(domain.fold(h[stream]), unit, entries, years, cmd, ctx.today, rules,
                                     sealed_reasons(vault, cmd.attendance))

    return execute_streams(store, streams, decide, ctx)


def record_dues(store: EventStore, roster: Roster, cmd: RecordDues, ctx: Context) -> list[Envelope]:
    domain.not_in_future(cmd.occurred_on, ctx.today)
    year = int(cmd.month[:4])
    years_read = (year, year - 1, year + 1)  # the month's own year first: its stream is the one written
    streams = [my.year_stream(cmd.member_id, y) for y in years_read]
    timeline = roster.timeline(cmd.member_id)
    rules = rules_on(my.month_start(cmd.month))

    def decide(h):
        years = {y: my.fold(h[s]) for y, s in zip(years_read, streams)}
        return dues.record_dues(years, timeline, cmd, ctx.today, rules)

    return execute_streams(store, streams, decide, ctx)


def derived_only(type_: str):
    """Import of a type this service derives itself: refused with the line that records it."""

    def refuse(store, cmd, ctx):
        raise R.DERIVED_EVENT(type=type_)

    return refuse


def importers(roster: Roster, vault: Vault) -> dict:
    """import: catalog type -> (command model, use case); the roster is the import's overlay, the
    vault the import's batch of keys (``shared.keybatch``)."""
    from shared.contracts import Command

    class AnyLine(Command):
        model_config = {**Command.model_config, "extra": "allow"}

    return {
        "meeting.scheduled": (ScheduleMeeting, lambda s, c, x: schedule_meeting(s, roster, c, x)),
        "meeting.held": (RecordMeeting, lambda s, c, x: record_meeting(s, roster, vault, c, x)),
        "dues.recorded": (RecordDues, lambda s, c, x: record_dues(s, roster, c, x)),
        "meeting.missed": (AnyLine, derived_only("meeting.missed")),
        "attendance.warning_raised": (AnyLine, derived_only("attendance.warning_raised")),
    }
