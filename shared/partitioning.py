"""Partitions of a projection by ``direct`` unit (DESIGN.md §5, issue 8).

A partition is "i of n" (``DANGVIEN_REPORTING_PARTITION=1/3``). Each unit directly under the
province — a *direct* unit, with everything beneath it — belongs to one partition, by a stable
hash of its id, so every process of a deployment agrees without asking anyone. Facts at province
level (the root itself, the org tree, facts naming no unit) belong to partition 0.

The direct unit of a unit is fixed when the unit is created (``org_unit.created``, read in
order from the members store), not moved by later restructuring: an event must go to the
same partition whoever routes it and whenever, and a route that changed with a later move
would let two partitions disagree about one event.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_PARTITIONS = 64


@dataclass(frozen=True)
class Partition:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> "Partition":
        """``"i/n"`` with ``0 <= i < n <= 64``; a clear error otherwise."""
        m = _FORM.match(str(text or "0/1"))
        if not m:
            raise ValueError(f"phân vùng '{text}' phải có dạng i/n, ví dụ 0/2 / partition '{text}' must read i/n, e.g. 0/2")
        index, count = int(m.group(1)), int(m.group(2))
        if not 1 <= count <= MAX_PARTITIONS or not 0 <= index < count:
            raise ValueError(f"phân vùng '{text}': cần 0 ≤ i < n ≤ {MAX_PARTITIONS} / "
                             f"partition '{text}': needs 0 <= i < n <= {MAX_PARTITIONS}")
        return cls(index, count)

    @property
    def whole(self) -> bool:
        return self.count == 1

    @property
    def label(self) -> str:
        """``p1of3``: in checkpoint names and queue names; empty for the whole (unpartitioned)."""
        return "" if self.whole else f"p{self.index}of{self.count}"

    def siblings(self) -> list["Partition"]:
        return [Partition(i, self.count) for i in range(self.count)]

    def owner_of(self, direct_id: str | None) -> int:
        """The partition that applies facts under ``direct_id`` (None: province level → 0)."""
        if direct_id is None or self.whole:
            return 0
        return zlib.crc32(direct_id.encode("utf-8")) % self.count

    def owns(self, direct_id: str | None) -> bool:
        return self.owner_of(direct_id) == self.index


def direct_of_new_unit(unit_id: str, parent_id: str | None, parent_route: tuple[str | None, str | None] | None
                       ) -> str | None:
    """The direct unit of a unit being created, from its parent's route ``(parent's parent, parent's direct)``.

    The root (no parent) has none; a child of the root is its own direct; deeper units take their
    parent's. A parent never seen is treated as the root's child would be: the unit is its own direct."""
    if parent_id is None:
        return None
    if parent_route is None:
        return unit_id
    grandparent, parent_direct = parent_route
    if grandparent is None:
        return unit_id
    return parent_direct
