"""Reporting partitioned by direct unit (issue 8): processes that each apply only their direct
units' facts into one shared read model build exactly what one process builds — each event
applied once, each stream in order, even when a member moves between partitions."""
from __future__ import annotations

import random

import pytest

from shared.partitioning import Partition
from shared.projection import WAITING
from shared.readmodel import ReadModelDB

from services.reporting.generations import Generations
from tests.unit.reporting.test_movement import demo_with_movement

SOURCES = ("members", "discipline", "meetings", "reporting")


def with_units(history) -> None:
    """Give each buffered member event the unit it belongs to, as the members service does."""
    where: dict[str, str] = {}
    for items in history.pending.values():
        for i, (stream, ev) in enumerate(items):
            d = ev.data
            if "org_unit_id" in d and "member_id" in d:
                where[d["member_id"]] = d["org_unit_id"]
            elif ev.type == "member.transferred":
                where[d["member_id"]] = d["to_org_unit_id"]
            unit = ev.org_unit_id or d.get("org_unit_id") or where.get(d.get("member_id"))
            items[i] = (stream, ev.model_copy(update={"org_unit_id": unit}))


def partitions(history, name: str, count: int) -> list[Generations]:
    history.flush()
    url = f"sqlite:///{history.folder}/{name}.read.db"
    return [Generations(ReadModelDB(url), history.stores, partition=Partition(i, count)) for i in range(count)]


def heads(history) -> dict[str, int]:
    return {s: history.stores[s].head_position() for s in SOURCES}


def sweeps(p0, p1, history, most: int = 200) -> None:
    """Each partition's periodic catch-up, taking turns until both stand at every store's head."""
    for _ in range(most):
        p0.catch_up()
        p1.catch_up()
        if p0.positions() == heads(history):
            return


@pytest.fixture
def moved(history):
    demo_with_movement(history)
    with_units(history)
    history.flush()
    return history


def crossing_transfers(h, count: int) -> int:
    """Transfers whose two units lie in different partitions' direct units."""
    p = Partition(0, count)
    n = 0
    for env in h.stores["members"].read_all(1):
        if env.type == "member.transferred":
            a, b = (env.data[k].split("-G")[0] for k in ("from_org_unit_id", "to_org_unit_id"))
            n += p.owner_of(a) != p.owner_of(b)
    return n


def test_two_partitions_catching_up_build_what_one_process_builds(moved):
    whole = moved.generations()
    assert crossing_transfers(moved, 2) > 10  # the history does move members between partitions
    p0, p1 = partitions(moved, "split", 2)

    p1.catch_up()  # alone, partition 1 applies its own units' facts and stops where it must wait
    alone = p1.positions()
    assert all(alone[s] == 0 for s in SOURCES)  # partition 0 has not moved: nothing is complete
    own = p1.db.query("SELECT COUNT(*) FROM g1_stream_heads WHERE stream LIKE 'member-%'")[0][0]
    assert own > 0
    assert p1.db.query("SELECT COUNT(*) FROM g1_stream_heads WHERE stream LIKE 'org_unit-%'")[0][0] == 0
    assert p1.db.query("SELECT COUNT(*) FROM g1_units")[0][0] == 0  # the tree is partition 0's

    sweeps(p0, p1, moved)
    assert p0.positions() == p1.positions() == heads(moved)
    assert p0.checksum() == p1.checksum() == whole.checksum()


def test_two_partitions_fed_by_the_bus_in_any_order_build_what_one_process_builds(moved):
    whole = moved.generations()
    p0, p1 = partitions(moved, "bus", 2)
    deliveries = [(s, env.to_message()) for s in SOURCES for env in moved.stores[s].read_all(1)]
    rng = random.Random(8)
    outcomes = []
    queues = [list(deliveries), list(deliveries)]  # each partition has its own queue of every event
    while any(queues):  # bursts of uneven length: one partition runs ahead of the other
        i = rng.randrange(2)
        for _ in range(rng.randrange(1, 400)):
            if queues[i]:
                source, message = queues[i].pop(0)
                outcomes.append((p0, p1)[i].handle(source, message))
    assert WAITING in outcomes  # a member's event did wait for the other partition's earlier one
    sweeps(p0, p1, moved)
    assert p0.positions() == heads(moved)
    assert p0.checksum() == whole.checksum()


def test_a_replay_while_partitioned_is_followed_by_every_partition(moved):
    p0, p1 = partitions(moved, "replayed", 2)
    sweeps(p0, p1, moved)
    before = p0.checksum()
    result = p1.replay()
    assert result["state"] == "done" and p1.prefix == "g2_"
    assert p0.follow() == "g2_" and p0.checksum() == before
    moved.add("member.removed", "2026-03-01", {"member_id": moved.stores["members"].read_all(1).__next__().data.get(
        "member_id", "nobody"), "ground": "abandoned_activity"})
    moved.flush()
    sweeps(p0, p1, moved)
    assert p0.positions() == heads(moved)


def test_partition_setting_is_checked():
    assert Partition.parse("1/3") == Partition(1, 3)
    for bad in ("3/3", "x", "0/0", "1/65"):
        with pytest.raises(ValueError, match="phân vùng"):
            Partition.parse(bad)


def test_a_read_model_built_before_stream_heads_keeps_working_and_is_rebuilt_with_them(moved):
    whole = moved.generations()
    expected = whole.checksum()
    with whole.db.transaction() as tx:  # as an older version left it: no stream heads, no routes
        tx.execute("DROP TABLE g1_stream_heads")
        tx.execute("DROP TABLE g1_routes")
    old = Generations(whole.db, moved.stores)
    assert old.legacy == "g1_"
    moved.add("member.removed", "2026-03-01", {"member_id": "IN1", "ground": "abandoned_activity"},
              org_unit_id=None)
    moved.flush()
    assert old.catch_up() == 1  # new events still apply to it
    assert old.replay()["state"] == "done" and old.prefix == "g2_"
    assert old.db.query("SELECT COUNT(*) FROM g2_stream_heads")[0][0] > 0
    fresh = partitions(moved, "fresh", 1)[0]
    fresh.catch_up()
    assert old.checksum() == fresh.checksum() != expected
