"""Which reporting partition applies a unit's facts (shared/partitioning.py, DESIGN.md §5): the
setting an operator writes ("i/n"), the names a partition gives its checkpoints and queues, and
the direct unit a new unit is routed by."""
from __future__ import annotations

import zlib

import pytest

from shared.partitioning import MAX_PARTITIONS, Partition, direct_of_new_unit


# --- the setting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, index, count", [
    ("0/1", 0, 1), ("1/3", 1, 3), ("2/3", 2, 3), (" 1 / 2 ", 1, 2), ("0/64", 0, 64), ("63/64", 63, 64),
    ("", 0, 1), (None, 0, 1),
])
def test_a_setting_i_of_n_is_read(text, index, count):
    assert Partition.parse(text) == Partition(index, count)


@pytest.mark.parametrize("text", ["3/3", "4/3", "0/0", "1/0", "0/65", "64/64"])
def test_an_index_outside_the_count_or_a_count_outside_1_to_64_is_refused_with_the_bounds(text):
    with pytest.raises(ValueError) as exc:
        Partition.parse(text)
    message = str(exc.value)
    assert f"phân vùng '{text}': cần 0 ≤ i < n ≤ 64" in message
    assert f"partition '{text}': needs 0 <= i < n <= 64" in message
    assert MAX_PARTITIONS == 64


@pytest.mark.parametrize("text", ["x", "1/", "/3", "-1/3", "1/3/4", "1.0/3", "a1/3", "1/3b"])
def test_a_setting_not_of_the_form_i_of_n_is_refused_with_an_example(text):
    with pytest.raises(ValueError) as exc:
        Partition.parse(text)
    message = str(exc.value)
    assert f"phân vùng '{text}' phải có dạng i/n, ví dụ 0/2" in message
    assert f"partition '{text}' must read i/n, e.g. 0/2" in message


def test_the_default_is_the_whole_province():
    p = Partition()
    assert (p.index, p.count, p.whole) == (0, 1, True)


# --- names of checkpoints and queues --------------------------------------------------------------

def test_a_partition_is_labelled_i_of_n_and_the_whole_has_no_label():
    assert Partition(1, 3).label == "p1of3"
    assert Partition(0, 2).label == "p0of2"
    assert Partition(0, 1).label == ""
    assert Partition(1, 3).whole is False and Partition(0, 1).whole is True


def test_the_siblings_are_every_partition_of_the_same_count_in_order():
    assert Partition(1, 3).siblings() == [Partition(0, 3), Partition(1, 3), Partition(2, 3)]
    assert Partition(0, 1).siblings() == [Partition(0, 1)]


# --- who applies a unit's facts -------------------------------------------------------------------

UNITS = [f"HN-{i:02d}" for i in range(40)]


def test_province_level_facts_belong_to_partition_0():
    for count in (1, 2, 3, 64):
        assert Partition(0, count).owner_of(None) == 0
        assert Partition(0, count).owns(None)
        assert not any(Partition(i, count).owns(None) for i in range(1, count))


def test_unpartitioned_one_process_applies_every_unit():
    whole = Partition(0, 1)
    assert all(whole.owner_of(u) == 0 and whole.owns(u) for u in UNITS)


def test_each_direct_unit_belongs_to_exactly_one_partition_by_a_stable_hash():
    for count in (2, 3, 7):
        for unit in UNITS:
            owners = [i for i in range(count) if Partition(i, count).owns(unit)]
            # every process computes the same owner, without asking anyone (CRC-32 of the UTF-8 id)
            assert owners == [zlib.crc32(unit.encode("utf-8")) % count]
            assert Partition(0, count).owner_of(unit) == Partition(count - 1, count).owner_of(unit) == owners[0]


def test_known_units_fall_in_known_partitions():
    # fixed values: a change of hash would move a deployment's units between partitions
    assert [Partition(0, 3).owner_of(u) for u in ("HN-01", "HN-02", "HN-03", "Đảng bộ Khối")] == [1, 0, 0, 1]
    assert Partition(0, 2).owner_of("HN-01") == 1
    assert Partition(1, 3).owns("HN-01") and not Partition(0, 3).owns("HN-01")


def test_units_spread_over_every_partition():
    for count in (2, 3):
        assert {Partition(0, count).owner_of(u) for u in UNITS} == set(range(count))


# --- the direct unit of a new unit ----------------------------------------------------------------

def test_the_province_itself_has_no_direct_unit():
    assert direct_of_new_unit("HN", None, None) is None
    assert direct_of_new_unit("HN", None, ("X", "Y")) is None


def test_a_unit_directly_under_the_province_is_its_own_direct_unit():
    # its parent is the root: the root's route has no parent
    assert direct_of_new_unit("HN-01", "HN", (None, None)) == "HN-01"


def test_a_deeper_unit_takes_its_parents_direct_unit():
    assert direct_of_new_unit("HN-01-C1", "HN-01", ("HN", "HN-01")) == "HN-01"
    assert direct_of_new_unit("HN-01-C1-T", "HN-01-C1", ("HN-01", "HN-01")) == "HN-01"


def test_a_unit_under_a_parent_never_seen_is_its_own_direct_unit():
    assert direct_of_new_unit("HN-09", "HN-X", None) == "HN-09"
