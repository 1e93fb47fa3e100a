"""Entry forms generated from the command contracts: one mechanism for every command a clerk may
send, so a new command gets its form (and the API's own validation messages) with no page written.

A form is a list of fields read from the command model's JSON schema: its input kind (text, date,
number, yes/no, choice, unit picker, member picker), whether it is required, Vietnamese labels for
the field and its choices. The page sends what is typed to ``POST /api/v1/<service>/<command>``.
"""
from __future__ import annotations

from shared.contracts import commands_of
from shared.labels import FIELD_VI, value_vi

#: commands offered as clerk forms (the cell page covers meetings and dues)
CLERK_FORMS = {
    "members": ("admit_member", "update_member_record", "recognize_official", "transfer_member",
                "end_temporary_transfer", "transfer_out", "transfer_in", "start_working_away", "end_working_away",
                "start_abroad", "end_abroad", "exempt_member", "end_exemption", "remove_member", "resign_member",
                "record_death"),
}
UNIT_FIELDS = ("org_unit_id", "to_org_unit_id", "from_org_unit_id", "residence_org_unit_id", "parent_id",
               "into_org_unit_id")
MEMBER_FIELDS = ("member_id", "introduced_by_member_id")


def offered(role: str) -> list[dict]:
    """The forms a user of ``role`` may send: service, command, title."""
    out = []
    for service, names in CLERK_FORMS.items():
        specs = commands_of(service)
        for name in names:
            spec = specs.get(name)
            if spec is not None and role in spec.roles:
                out.append({"service": service, "command": name, "title_vi": spec.summary_vi,
                            "title_en": spec.summary_en})
    return out


def describe(service: str, name: str) -> dict | None:
    spec = commands_of(service).get(name)
    if spec is None:
        return None
    schema = spec.model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for field, prop in schema.get("properties", {}).items():
        fields.append(_field(field, _resolve(prop, defs), field in required, defs))
    # the business date first: it is what the rules judge by
    fields.sort(key=lambda f: (f["name"] != "occurred_on",))
    return {"service": service, "command": name, "title_vi": spec.summary_vi, "title_en": spec.summary_en,
            "roles": list(spec.roles), "fields": fields}


def _resolve(prop: dict, defs: dict) -> dict:
    if "$ref" in prop:
        return defs[prop["$ref"].rsplit("/", 1)[1]]
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        merged = {k: v for k, v in prop.items() if k != "anyOf"}
        merged.update(_resolve(options[0], defs))
        return merged
    return prop


def _field(name: str, prop: dict, required: bool, defs: dict) -> dict:
    out = {"name": name, "label_vi": FIELD_VI.get(name, name), "required": required}
    if "default" in prop and prop["default"] is not None:
        out["default"] = prop["default"]
    if name in UNIT_FIELDS:
        out["input"] = "unit"
    elif name in MEMBER_FIELDS:
        out["input"] = "member"
    elif "enum" in prop:
        out["input"] = "choice"
        out["choices"] = [{"value": v, "label_vi": value_vi(name, v)} for v in prop["enum"]]
    elif prop.get("format") == "date":
        out["input"] = "date"
    elif prop.get("type") == "integer":
        out["input"] = "number"
        for k in ("minimum", "maximum"):
            if k in prop:
                out[k] = prop[k]
    elif prop.get("type") == "boolean":
        out["input"] = "yesno"
    elif prop.get("type") == "array":
        out["input"] = "list"
    else:
        out["input"] = "text"
        for k in ("pattern", "maxLength"):
            if k in prop:
                out[k] = prop[k]
    return out
