"""The published event catalog (DESIGN.md §2): a contract with provincial systems.

Each module registers its payload models; ``docs/events/`` holds their exported JSON Schemas.
"""
from shared.catalog import discipline, meetings, members, reporting  # noqa: F401
