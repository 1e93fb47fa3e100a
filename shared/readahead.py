"""A command's reads in one round trip: ``read_ahead(store, streams, ctx)`` asks the store at once
for every stream the command will read and for the event its command id names (the retry check of
``shared.application.execute``), then answers the command's first read of each from that answer.

Each is answered from it once only: a second read (``execute``'s attempt after a conflict) goes to
the store again, so optimistic concurrency sees the streams as they are then. Everything else
(appends, other streams, the log) is the store's own.
"""
from __future__ import annotations

from typing import Sequence

from shared.events import Envelope


class ReadAhead:
    """The store as one command sees it, its first reads already made (``read_ahead``)."""

    def __init__(self, store, streams: Sequence[str], event_id: str | None = None):
        self.store = store
        self._streams, self._found = store.read_streams(streams, event_id)
        self._event_id = event_id

    def read_stream(self, stream: str, from_version: int = 0) -> list[Envelope]:
        events = self._streams.pop(stream, None)
        if events is None:
            return self.store.read_stream(stream, from_version)
        return [env for env in events if env.stream_version >= from_version]

    def find_event(self, event_id: str, stream: str | None = None) -> Envelope | None:
        if self._event_id is None or event_id != self._event_id:
            return self.store.find_event(event_id, stream)
        self._event_id = None
        return self._found

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def read_ahead(store, streams: Sequence[str], ctx) -> ReadAhead:
    """``store`` for one command whose first reads are ``streams`` and (when it has a command id)
    the event stored under that id by an earlier attempt."""
    return ReadAhead(store, streams, ctx.command_id or None)
