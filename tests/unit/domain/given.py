"""Given / then words for the pure-domain tests: facts as the fold reads them, no store."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from shared.errors import DomainError, Rule


def fact(type_: str, occurred_on: dt.date, unit: str | None = None, /, **data) -> SimpleNamespace:
    """One stored event, as a fold sees it (type, business date, the organisation it is filed
    under, data)."""
    return SimpleNamespace(type=type_, occurred_on=occurred_on, org_unit_id=unit, data=data)


def types(decided) -> list[str]:
    """The types of the facts a decision produced."""
    return [d.payload.TYPE for d in decided]


def refused(when, rule: Rule) -> DomainError:
    """``when()`` is refused by ``rule``: its exception type, so its code, status and texts."""
    with pytest.raises(DomainError) as info:
        when()
    assert info.value.code == rule.code, info.value.to_dict()
    assert isinstance(info.value, rule.error)
    return info.value
