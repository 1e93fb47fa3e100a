"""Compatibility shim for nameko 2.14 on kombu's in-memory transport (embedded mode).

Two known gaps (DESIGN.md §4):
1. nameko's RPC responder reads ``message.properties['content_type']``; the memory transport
   keeps the content type on the message itself, so replies fail with a KeyError.
2. The virtual transport polls every 1 s, so each hop takes a second; 5 ms works.

And one cost: the virtual transport base64-encodes every body by default, useless in memory
(``body_encoding`` None: a body is handed over as it is).
"""
from __future__ import annotations

import nameko.rpc

POLLING_INTERVAL = 0.005
_applied = False


def transport_options(amqp_uri: str) -> dict:
    if amqp_uri.startswith("memory://"):
        return {"polling_interval": POLLING_INTERVAL, "body_encoding": None}
    from nameko.constants import DEFAULT_TRANSPORT_OPTIONS
    return dict(DEFAULT_TRANSPORT_OPTIONS)


def apply() -> None:
    global _applied
    if _applied:
        return
    original = nameko.rpc.Responder.send_response

    def send_response(self, result, exc_info):
        props = self.message.properties
        if "content_type" not in props:
            props["content_type"] = getattr(self.message, "content_type", None) or "application/json"
        return original(self, result, exc_info)

    nameko.rpc.Responder.send_response = send_response
    _applied = True
