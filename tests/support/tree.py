"""A small organisation tree for access tests: each unit's parent, and the ancestors a resolver
answers (nearest first; None for a unit the tree does not hold)."""
from __future__ import annotations

from typing import Callable


def ancestors_in(parent: dict[str, str | None]) -> Callable[[str], list[str] | None]:
    def ancestors(unit: str) -> list[str] | None:
        if unit not in parent:
            return None
        out, cur = [], parent[unit]
        while cur:
            out.append(cur)
            cur = parent[cur]
        return out
    return ancestors
