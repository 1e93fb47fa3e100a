"""The peer: the Python ``eventsourcing`` library (pinned in requirements.lock), doing the same
work as our store in each benchmark — a member-rated event with the same payload, optimistic
concurrency on each aggregate's version, its SQLite datastore in WAL mode with SQLite's default
``synchronous=FULL`` (so ours runs with ``?synchronous=full`` beside it), or its PostgreSQL datastore.
"""
from __future__ import annotations

import os
from typing import Any

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # pragma: no cover - the bench extra is not installed
    Application = None


if Application is not None:
    class Member(Aggregate):
        @event("Registered")
        def __init__(self, member_id: str) -> None:
            self.member_id = member_id
            self.ratings: list = []

        @event("Rated")
        def rate(self, year: int, rating: str, note: str) -> None:
            self.ratings.append((year, rating, note))

    class Members(Application):
        pass


def available() -> bool:
    return Application is not None


def sqlite_app(path: str) -> Any:
    return Members(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path,
                        "SQLITE_LOCK_TIMEOUT": "30"})


def postgres_app(dbname: str, host: str = "127.0.0.1", port: str = "5432", user: str = "postgres") -> Any:
    return Members(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
                        "POSTGRES_HOST": host, "POSTGRES_PORT": port, "POSTGRES_USER": user,
                        "POSTGRES_PASSWORD": os.environ.get("PGPASSWORD", ""), "POSTGRES_POOL_SIZE": "20",
                        "POSTGRES_MAX_OVERFLOW": "20"})


def new_member(i: int) -> Any:
    return Member(member_id=f"m-{i}")


def rate(member: Any, i: int) -> None:
    member.rate(year=2024, rating="good", note="Hoàn thành tốt")


def members_in_batches(n: int, size: int) -> list:
    """``n`` pending events as members of ``size`` events each (one admission, then ratings): what
    one ``save`` per member writes in one transaction, the peer's batched append."""
    members = []
    for first in range(0, n, size):
        member = new_member(first)
        for i in range(first + 1, min(n, first + size)):
            rate(member, i)
        members.append(member)
    return members
