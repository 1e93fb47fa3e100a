"""The published event catalog (DESIGN.md §2): a contract with provincial systems.

Each module registers its payload models; ``docs/events/`` holds their exported JSON Schemas.
"""
from shared.catalog import discipline, integrity, meetings, members, reporting  # noqa: F401

#: which service owns (writes) each event type, by the type's prefix
OWNERS = {
    "org_unit": "members", "member": "members", "candidate": "members",
    "meeting": "meetings", "dues": "meetings", "attendance": "meetings",
    "inspection": "discipline", "supervision": "discipline", "discipline": "discipline", "appeal": "discipline",
    "target": "reporting",
}

#: the order in which an import commits, so that each service's projections of the others are
#: up to date before its own lines are applied
IMPORT_ORDER = ("members", "discipline", "meetings", "reporting")


def owner_of(event_type: str) -> str:
    return OWNERS[event_type.split(".", 1)[0]]
