"""The gateway's request to a service (``shared.rpcwire.LeanMethodProxy``): mandatory and confirmed
while the service is not known to be routable — an absent one is told at once (``UnknownService``)
— then sent without a confirm wait for ``ROUTED_SECONDS``, then confirmed again."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from nameko.amqp.publish import UndeliverableMessage
from nameko.exceptions import UnknownService

from shared import rpcwire


@pytest.fixture
def wire(monkeypatch):
    """(the requests sent, as (routing key, confirmed, mandatory, body), a clock to move, absent services)."""
    sent, absent, clock = [], set(), [1000.0]

    def send(pool, body, content_type, encoding, **properties):
        confirmed = pool is rpcwire.producer_pool(CONFIG, confirms=True)
        if properties["routing_key"].split(".")[0] in absent and properties["mandatory"]:
            raise UndeliverableMessage()
        sent.append((properties["routing_key"], confirmed, properties["mandatory"], json.loads(body)))

    monkeypatch.setattr(rpcwire, "send", send)
    monkeypatch.setattr(rpcwire.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(rpcwire, "_routed", {})
    return sent, clock, absent


CONFIG = {"AMQP_URI": "memory://rpc-request-test"}


def call(service: str, method: str, *args):
    waiting = {}
    listener = SimpleNamespace(routing_key="reply-1", _reply_events=waiting,
                               get_reply_event=lambda cid: waiting.setdefault(cid, object()))
    worker = SimpleNamespace(container=SimpleNamespace(config=CONFIG), context_data={}, call_id_stack=["gateway.x"])
    proxy = rpcwire.LeanMethodProxy(worker, service, method, listener, delivery_mode=1)
    proxy.get_message_headers = lambda ctx: {}
    proxy._call(*args)
    return waiting


def test_the_first_request_is_confirmed_the_next_ones_are_not_until_it_is_time_again(wire):
    sent, clock, _ = wire
    call("members", "admit_member", {"member_id": "M1"}, {"actor": "admin"})
    call("members", "admit_member", {"member_id": "M2"}, {"actor": "admin"})
    clock[0] += rpcwire.ROUTED_SECONDS - 0.1
    call("members", "locate", {"kind": "member", "id": "M1"}, {"actor": "gateway"})
    call("reporting", "headcount", {}, {"actor": "admin"})  # another service: confirmed on its own
    clock[0] += 0.2
    call("members", "admit_member", {"member_id": "M3"}, {"actor": "admin"})
    assert [(key, confirmed, mandatory) for key, confirmed, mandatory, _ in sent] == [
        ("members.admit_member", True, True), ("members.admit_member", False, False),
        ("members.locate", False, False), ("reporting.headcount", True, True), ("members.admit_member", True, True)]
    assert sent[1][3] == {"args": [{"member_id": "M2"}, {"actor": "admin"}], "kwargs": {}}


def test_a_service_never_started_is_told_absent_at_every_request(wire):
    sent, _, absent = wire
    absent.add("meetings")
    for _ in range(2):
        with pytest.raises(UnknownService):
            call("meetings", "roster", {"org_unit_id": "TN"}, {"actor": "admin"})
    assert sent == []
    absent.clear()  # it starts: its queue routes from now on
    call("meetings", "roster", {"org_unit_id": "TN"}, {"actor": "admin"})
    assert [(key, confirmed) for key, confirmed, _, _ in sent] == [("meetings.roster", True)]
