"""What a command's events carry (who, why, where) and how a retried multi-event command answers:
the audit trail and the event feed read these fields. Written from mutation survivors."""
import datetime as dt

from shared.application import Context, Decided, execute
from shared.catalog.members import OrgUnitRenamed
from shared.events import derived_event_id

D = dt.date(2020, 1, 1)


def three_renames(_state):
    """One command, three facts: two on its own stream, one on another unit's stream."""
    return [Decided(OrgUnitRenamed(org_unit_id="U1", name="Chi bộ Ấp 1"), D, "U1"),
            Decided(OrgUnitRenamed(org_unit_id="U1", name="Chi bộ Ấp Một"), D, "U1"),
            Decided(OrgUnitRenamed(org_unit_id="U2", name="Chi bộ Ấp 2"), D, "U2", stream="org_unit-U2")]


def run(store, ctx):
    return execute(store, "org_unit-U1", lambda events: None, three_renames, ctx)


def test_events_carry_the_actor_the_correlation_the_cause_and_the_unit(store):
    ctx = Context(actor="clerk-tn-d1", correlation_id="corr-7", causation_id="event-3", command_id="cmd-7")
    events = run(store, ctx)
    assert [(e.stream, e.org_unit_id) for e in events] == [("org_unit-U1", "U1"), ("org_unit-U1", "U1"),
                                                           ("org_unit-U2", "U2")]
    for e in events:
        assert (e.actor, e.correlation_id, e.causation_id) == ("clerk-tn-d1", "corr-7", "event-3")
    stored = list(store.read_all())
    assert [(e.actor, e.correlation_id, e.causation_id, e.org_unit_id) for e in stored] == \
        [(e.actor, e.correlation_id, e.causation_id, e.org_unit_id) for e in events]


def test_event_ids_derive_from_the_command_id(store):
    """The first event carries the idempotency key itself; the others a stable derivation of it,
    so another process retrying the command finds them."""
    events = run(store, Context(command_id="cmd-8"))
    assert [e.event_id for e in events] == ["cmd-8", derived_event_id("cmd-8", 1), derived_event_id("cmd-8", 2)]
    assert len({e.event_id for e in events}) == 3


def test_a_retried_command_answers_all_its_events_and_writes_none(store):
    first = run(store, Context(command_id="cmd-9"))
    head = store.head_position()
    again = run(store, Context(command_id="cmd-9"))
    assert [e.event_id for e in again] == [e.event_id for e in first]
    assert [e.position for e in again] == [e.position for e in first]
    assert store.head_position() == head == 3


def test_without_a_key_each_command_is_new(store):
    a, b = run(store, Context()), run(store, Context())
    assert len({e.event_id for e in a + b}) == 6


def test_a_context_arrives_over_rpc_as_a_dict():
    ctx = Context.from_dict({"actor": "d1_clerk", "correlation_id": "c-1", "command_id": None,
                             "today": "2024-02-29", "not_a_field": "ignored"})
    assert (ctx.actor, ctx.correlation_id, ctx.command_id, ctx.today) == ("d1_clerk", "c-1", None,
                                                                         dt.date(2024, 2, 29))
    assert Context.from_dict({"today": dt.date(2023, 1, 2)}).today == dt.date(2023, 1, 2)
    default = Context.from_dict(None)
    assert default.actor == "system" and default.command_id is None and default.correlation_id
    assert default.child(actor="x").correlation_id == default.correlation_id


def test_a_stream_that_keeps_moving_is_a_concurrency_error_after_one_retry(store):
    """Retried once against the new state; if another writer wins again, the caller is told
    (a 409 at the gateway), never an internal error and never a third attempt."""
    import pytest
    from shared.eventstore import ANY, ConcurrencyError
    from shared.events import NewEvent
    attempts = []

    def decide_while_another_writes(_state):
        attempts.append(1)
        store.append("org_unit-U1", [NewEvent(type="org_unit.renamed", occurred_on=D,
                                              data={"org_unit_id": "U1", "name": f"khác {len(attempts)}"})], ANY)
        return [Decided(OrgUnitRenamed(org_unit_id="U1", name="Chi bộ mới"), D, "U1")]

    with pytest.raises(ConcurrencyError):
        execute(store, "org_unit-U1", lambda events: None, decide_while_another_writes, Context())
    assert len(attempts) == 2
    assert [e.data["name"] for e in store.read_stream("org_unit-U1")] == ["khác 1", "khác 2"]
