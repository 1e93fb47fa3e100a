"""Every field that names something in the organisation tree is declared scoped, once, in
``shared.contracts.SCOPED_FIELDS``: a new command or query cannot forget one."""
from __future__ import annotations

import typing

from pydantic import BaseModel

from shared.contracts import SCOPED_FIELDS, UNSCOPED_FIELDS, Spec, commands_of, queries_of

SERVICES = ("members", "meetings", "discipline", "reporting")


def _models(model: type[BaseModel], seen=None):
    """The model and every model nested in its fields (e.g. attendance rows)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    yield model
    for f in model.model_fields.values():
        for arg in [f.annotation, *typing.get_args(f.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from _models(inner, seen)


def test_every_id_field_of_every_contract_is_scoped_or_declared_unscoped():
    missing = []
    for service in SERVICES:
        for name, spec in {**commands_of(service), **queries_of(service)}.items():
            top = spec.model
            for model in _models(top):
                for field in model.model_fields:
                    if not field.endswith(("_id", "_ids")) or field in UNSCOPED_FIELDS:
                        continue
                    if model is top and field not in spec.scope_fields:
                        missing.append((service, name, field))
                    elif model is not top and field not in SCOPED_FIELDS:
                        missing.append((service, name, model.__name__, field))
    assert not missing


def test_a_spec_scopes_every_declared_field_of_its_model_and_cannot_drop_one():
    class Move(BaseModel):
        member_id: str
        to_org_unit_id: str
        note: str = ""

    spec = Spec(Move, "x", "x", scope_fields=())  # asking for none does not remove any
    assert spec.scope_fields == ("member_id", "to_org_unit_id")
    assert SCOPED_FIELDS["to_org_unit_id"] == "unit" and SCOPED_FIELDS["member_id"] == "member"


def test_nested_rows_naming_members_are_scoped_through_their_list_field():
    from shared.contracts.meetings import COMMANDS
    assert "attendance" in COMMANDS["record_meeting"].scope_fields
    assert SCOPED_FIELDS["attendance"] == "attendance"
