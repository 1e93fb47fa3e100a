"""Command and query contracts of every service: the payloads of their RPCs and HTTP endpoints.

Like the event catalog, these are shared: the owning service validates with them, the gateway
routes ``POST /api/v1/<service>/<command>`` and ``GET /api/v1/<service>/<query>`` by them and
generates its OpenAPI document from them. Services never import each other; they share these.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from shared.catalog.common import BusinessDate

ROLES = ("viewer", "clerk", "inspector", "administrator")


class Command(BaseModel):
    """Base of every command: the business date it takes effect."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    #: business date: the day the decision took effect (ngày hiệu lực)
    occurred_on: BusinessDate


class Query(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Spec:
    """One endpoint: its model, who may call it, and its Vietnamese/English summary.

    ``scope_fields``: payload fields naming an org unit or a member, checked against the caller's
    org scope by the gateway (first one present wins).
    """

    model: type[BaseModel]
    summary_vi: str
    summary_en: str
    roles: tuple[str, ...] = ("clerk", "administrator")
    scope_fields: tuple[str, ...] = ("org_unit_id",)


def contracts_of(service: str):
    """The contract module of a service (``shared.contracts.<service>``), or None if it has none yet."""
    try:
        return importlib.import_module(f"shared.contracts.{service}")
    except ImportError:
        return None


def commands_of(service: str) -> dict[str, Spec]:
    mod = contracts_of(service)
    return dict(getattr(mod, "COMMANDS", {})) if mod else {}


def queries_of(service: str) -> dict[str, Spec]:
    mod = contracts_of(service)
    return dict(getattr(mod, "QUERIES", {})) if mod else {}
