"""Export the published event catalog as JSON Schemas under ``docs/events/``.

One file per event type, ``<type>.schema.json``: the envelope (DESIGN.md §2) whose ``data`` is that
type's payload, so a provincial system validates a whole message as it arrives; plus
``envelope.schema.json`` with ``data`` left open. Run after changing the catalog:

    python scripts/export_event_schemas.py            # writes docs/events/
    python scripts/export_event_schemas.py --check    # exit 1 when docs/events/ is out of date
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.catalog import OWNERS  # noqa: E402
from shared.events import Envelope, catalog  # noqa: E402

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://dangvien.example/events/"


def envelope_schema() -> dict:
    schema = Envelope.model_json_schema(mode="serialization")
    schema["properties"]["data"] = {"type": "object", "description": "the payload of the event's type"}
    schema["properties"]["source"]["description"] = "producing service (= the exchange's prefix)"
    return schema


def type_schema(name: str, model) -> dict:
    payload = model.model_json_schema(mode="serialization")
    env = envelope_schema()
    defs = payload.pop("$defs", {})
    env["properties"]["type"] = {"const": name}
    env["properties"]["schema_version"] = {"const": model.SCHEMA_VERSION}
    for field in model.PERSONAL:
        # on the store and the bus a personal field may be sealed per member ("sealed:v1:…",
        # shared/personal.py) or unsealed for authorised consumers: either way a string
        if field in payload.get("properties", {}):
            payload["properties"][field] = {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "personal data (Decree 13/2023): clear text, or 'sealed:v1:…' when sealed or shredded"}
    env["properties"]["data"] = payload
    env["required"] = sorted(set(env.get("required", [])) | {"source"})
    if defs:
        env["$defs"] = {**env.get("$defs", {}), **defs}
    env["title"] = name
    personal = list(model.PERSONAL)
    owner = OWNERS.get(name.split(".", 1)[0])
    where = (f"published by the '{owner}' service on the topic exchange '{owner}.events'" if owner else
             "written by every service into its own store and published on its '<service>.events' exchange")
    env["description"] = (f"{name} — {where} with routing key '{name}'."
                          + (f" Personal fields (Decree 13/2023): {', '.join(personal)}." if personal else ""))
    return env


def documents() -> dict[str, dict]:
    out = {"envelope.schema.json": {"$schema": DIALECT, "$id": BASE + "envelope.schema.json",
                                    **envelope_schema()}}
    for name, model in sorted(catalog().items()):
        out[f"{name}.schema.json"] = {"$schema": DIALECT, "$id": BASE + f"{name}.schema.json",
                                      **type_schema(name, model)}
    return out


def render(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "events")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    docs = documents()
    if args.check:
        stale = [n for n, d in docs.items() if not (args.out / n).exists() or (args.out / n).read_text() != render(d)]
        extra = [p.name for p in args.out.glob("*.schema.json") if p.name not in docs]
        for n in stale + extra:
            print(f"out of date: {n}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.schema.json"):
        if old.name not in docs:
            old.unlink()
    for name, doc in docs.items():
        (args.out / name).write_text(render(doc), encoding="utf-8")
    print(f"{len(docs)} schemas written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
