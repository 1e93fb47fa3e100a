"""The organisation tree on one day, kept in memory until the tree changes (issue 15).

A province's tree is thousands of units: the headcount tree in pages, and the subtree totals of
its counts, read it on every call. It depends only on the tree tables, the structure and the day,
and every change of the tree is one more row of ``tree_facts`` (a tree known at a past time is
never changed), so it is read once per (tables, structure, day, last tree change).
"""
from __future__ import annotations

from typing import Callable, TypeVar

from services.reporting.schema import EVER
from services.reporting.view import View

T = TypeVar("T")

_KEPT = 32
_CACHE: dict[tuple, object] = {}


def version(v: View) -> tuple | None:
    """The last change of the tree ``v`` reads — its place and its event's id, unique to this
    read model (() for a tree known at a past time, built once and never changed); None when the
    read model keeps no record of its tree's changes (then nothing is kept)."""
    if v.tree is not None:
        return ()
    try:
        rows = v.q(f"SELECT seq, event_id FROM {v.prefix}tree_facts ORDER BY seq DESC LIMIT 1")
    except Exception:  # a generation built before the tree's changes were kept
        return None
    return tuple(rows[0]) if rows else (0, "")


def cached(v: View, what: str, build: Callable[[], T], *key, daily: bool = True) -> T:
    """``build()``, or its result from an earlier call on the same tree, structure and day (any
    day when not ``daily``)."""
    ver = version(v)
    if ver is None:
        return build()
    full = (id(v.db), v.t("units"), v.structure, v.as_of if daily else None, ver, what, *key)
    if full in _CACHE:
        return _CACHE[full]  # type: ignore[return-value]
    got = build()
    if len(_CACHE) >= _KEPT:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[full] = got
    return got


def ancestors(v: View) -> dict[str, tuple[str, ...]]:
    """Unit → the units whose subtree holds it on ``v.as_of`` (itself included): as it stood
    that day (dated closure), or in today's tree on ``current``."""
    def build() -> dict[str, tuple[str, ...]]:
        if v.dated:
            held, params = v.on_date("c", None)
            rows = v.q(f"SELECT c.descendant, c.ancestor FROM {v.t('dclosure')} c WHERE {held}", params)
        else:
            rows = v.q(f"SELECT descendant, ancestor FROM {v.t('closure')}")
        out: dict[str, list[str]] = {}
        for d, a in rows:
            out.setdefault(d, []).append(a)
        return {d: tuple(a) for d, a in out.items()}
    return cached(v, "ancestors", build)


def intervals(v: View) -> dict[str, tuple[tuple[str, str, str | None], ...]]:
    """Unit → (ancestor, from, to): the days ``from`` ≤ d < ``to`` (``to`` None: still) the unit
    stood in the ancestor's subtree (dated closure); on ``current``, today's closure, always."""
    def build() -> dict[str, tuple]:
        out: dict[str, list] = {}
        if v.dated:
            for a, d, f, t in v.q(f"SELECT ancestor, descendant, from_on, to_on FROM {v.t('dclosure')}"):
                out.setdefault(d, []).append((a, f, t))
        else:
            for a, d in v.q(f"SELECT ancestor, descendant FROM {v.t('closure')}"):
                out.setdefault(d, []).append((a, EVER, None))
        return {d: tuple(x) for d, x in out.items()}
    return cached(v, "intervals", build, daily=False)


def holdings(v: View) -> dict[str, tuple[tuple[str, str, str | None], ...]]:
    """Ancestor → (unit, from, to): ``intervals`` the other way round."""
    def build() -> dict[str, tuple]:
        out: dict[str, list] = {}
        for unit, held in intervals(v).items():
            for a, f, t in held:
                out.setdefault(a, []).append((unit, f, t))
        return {a: tuple(x) for a, x in out.items()}
    return cached(v, "holdings", build, daily=False)
