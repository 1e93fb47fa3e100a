"""Clerk forms come from the command contracts: every offered command gets a complete form with
Vietnamese labels, and a new field in a contract appears in its form without a page written."""
from __future__ import annotations

import pytest

from services.gateway import forms
from shared.contracts import commands_of

OFFERED = [(s, n) for s, names in forms.CLERK_FORMS.items() for n in names]


@pytest.mark.parametrize("service,name", OFFERED)
def test_every_offered_command_has_a_complete_vietnamese_form(service, name):
    form = forms.describe(service, name)
    model = commands_of(service)[name].model
    assert [f["name"] for f in form["fields"]][0] == "occurred_on"
    assert {f["name"] for f in form["fields"]} == set(model.model_fields)
    required = {n for n, fi in model.model_fields.items() if fi.is_required()}
    assert {f["name"] for f in form["fields"] if f["required"]} == required
    for f in form["fields"]:
        assert f["label_vi"] != f["name"], f"{name}.{f['name']} has no Vietnamese label"
        for c in f.get("choices", []):
            assert c["label_vi"] != c["value"], f"{name}.{f['name']}={c['value']} has no Vietnamese label"


def test_pickers_and_input_kinds():
    fields = {f["name"]: f for f in forms.describe("members", "transfer_member")["fields"]}
    assert fields["to_org_unit_id"]["input"] == "unit" and fields["member_id"]["input"] == "member"
    assert fields["until"]["input"] == "date" and fields["kind"]["input"] == "choice"
    assert [c["label_vi"] for c in fields["kind"]["choices"]] == ["Chính thức", "Tạm thời"]


def test_a_viewer_is_offered_no_form_and_an_inspector_none_of_the_clerks():
    assert forms.offered("viewer") == []
    assert {f["command"] for f in forms.offered("clerk")} == {n for _, n in OFFERED}
