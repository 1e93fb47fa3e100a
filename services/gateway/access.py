"""Who may call what, on which part of the organisation tree.

Role: the endpoint's ``Spec.roles`` (the administrator may do everything). Scope: the first of the
endpoint's ``Spec.scope_fields`` present in the payload names an org unit (or a member, whose
unit is looked up); it is in a user's scope when the user's unit is the unit itself or one of its
ancestors. A query with no scope field given is cut to the user's scope by adding
``org_unit_id``.

Every scope refusal has the same body, whether the unit exists or not: a 403 must not tell a
district clerk which units or members another district has.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from shared.contracts import Spec
from shared.errors import DomainError

from services.gateway.auth import User


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


def unauthorized() -> Unauthorized:
    return Unauthorized("unauthorized", "Chưa đăng nhập hoặc mã truy cập (token) không hợp lệ",
                        "Missing or invalid access token", field="Authorization")


def token_expired(on: str) -> Unauthorized:
    return Unauthorized("token_expired", f"Mã truy cập (token) đã hết hạn ngày {on}; hãy xin cấp mã mới",
                        f"The access token expired on {on}; ask for a new one", field="Authorization")


def forbidden_role(role: str) -> Forbidden:
    return Forbidden("forbidden_role", f"Vai trò «{role}» không được dùng chức năng này",
                     f"The role '{role}' may not use this endpoint")


def forbidden_scope(field: str | None) -> Forbidden:
    # deliberately the same text for "outside your scope" and "does not exist"
    return Forbidden("forbidden_scope", "Ngoài phạm vi tổ chức đảng được phân quyền",
                     "Outside the organisation scope you are authorised for", field=field)


def role_allowed(user: User, roles: Iterable[str]) -> bool:
    return user.role == "administrator" or user.role in tuple(roles)


@dataclass
class Resolver:
    """Looks units and members up in the services; answers None for what it cannot find."""

    #: org_unit_id -> its ancestors (or None when unknown)
    ancestors: Callable[[str], list[str] | None]
    #: member_id -> the member's current org unit (or None when unknown)
    member_unit: Callable[[str], str | None]


def is_member_field(field: str) -> bool:
    # ``subject_id`` (discipline) is a member or a unit according to ``subject_kind``
    return field == "member_id" or field.endswith("_member_id")


def unit_in_scope(scope: str | None, unit_id: str, resolver: Resolver) -> bool:
    if scope is None:
        return True
    if unit_id == scope:
        return True
    ancestors = resolver.ancestors(unit_id)
    return bool(ancestors) and scope in ancestors


def scope_target(spec: Spec, payload: dict) -> tuple[str, str] | None:
    """The (field, value) that places the call in the tree: the first scope field present."""
    for field in spec.scope_fields:
        value = payload.get(field)
        if isinstance(value, str) and value:
            return field, value
    return None


def check_scope(user: User, spec: Spec, payload: dict, resolver: Resolver, is_query: bool) -> dict:
    """Raise Forbidden when the call reaches outside the user's subtree; return the payload to send
    (for a query without a scope field, the user's scope is added so the answer is cut to it)."""
    if user.scope is None:
        return payload
    if not spec.scope_fields:
        # the endpoint names no unit or member (e.g. by case id): it cannot be placed in the
        # tree, so only province-wide users may call it (fail closed)
        raise forbidden_scope(None)
    target = scope_target(spec, payload)
    if target is None:
        fields = spec.model.model_fields
        if is_query and "org_unit_id" in fields:
            return {**payload, "org_unit_id": user.scope}
        # a command or query that names no unit cannot be placed: only province-wide users
        raise forbidden_scope(spec.scope_fields[0])
    field, value = target
    if is_member_field(field) or (field == "subject_id" and payload.get("subject_kind", "member") == "member"):
        unit = resolver.member_unit(value)
        if unit is None or not unit_in_scope(user.scope, unit, resolver):
            raise forbidden_scope(field)
        return payload
    if not unit_in_scope(user.scope, value, resolver):
        raise forbidden_scope(field)
    return payload


def authorise(user: User | None, spec: Spec, payload: dict, resolver: Resolver, is_query: bool) -> dict:
    if user is None:
        raise unauthorized()
    if not role_allowed(user, spec.roles):
        raise forbidden_role(user.role)
    return check_scope(user, spec, payload, resolver, is_query)
