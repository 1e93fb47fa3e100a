"""A service's RPC reply (``shared.runtime.ReplyingRpcConsumer``), on kombu's in-memory broker:
the caller gets the answer under its correlation id, transient; the body is encoded once (nameko
encoded it twice: once to check it could be); an answer that cannot be encoded still reaches the
caller as nameko's ``UnserializableValueError``, and the request is acked after its reply."""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from kombu import Connection, Exchange, Queue
from kombu.serialization import registry

from shared.runtime import ReplyingRpcConsumer


@pytest.fixture
def encodings(monkeypatch):
    """How many bodies kombu's JSON encoder made."""
    made = []
    content_type, encoding, encoder = registry._encoders["json"]

    def counting(value):
        made.append(value)
        return encoder(value)

    monkeypatch.setitem(registry._encoders, "json", type(registry._encoders["json"])(content_type, encoding, counting))
    return made


def answer(result, exc_info=None, properties=None):
    """One reply sent the way a service answers a request; (the reply as the caller reads it,
    what handle_result returned, the acked requests)."""
    uri = f"memory://{uuid.uuid4().hex[:8]}"  # a broker of its own
    route = f"reply-{uuid.uuid4().hex[:8]}"
    acked: list = []
    consumer = ReplyingRpcConsumer()
    consumer.container = SimpleNamespace(config={"AMQP_URI": uri})
    consumer.queue_consumer = SimpleNamespace(ack_message=acked.append)
    given = {"content_type": "application/json", "reply_to": route, "correlation_id": "c1", **(properties or {})}
    request = SimpleNamespace(properties={k: v for k, v in given.items() if v is not None})
    if "content_type" not in request.properties:  # as kombu's in-memory transport keeps it
        request.content_type = "application/json"
    with Connection(uri) as conn:
        replies = Queue(route, exchange=Exchange("nameko-rpc", type="topic", durable=True), routing_key=route)(conn)
        replies.declare()
        returned = consumer.handle_result(request, result, exc_info)
        got = replies.get(no_ack=True)
    return got, returned, acked, request


def test_a_reply_reaches_its_caller_transient_and_encoded_once(encodings):
    got, returned, acked, request = answer({"ok": True, "result": "Đảng bộ tỉnh Tây Ninh"})
    assert json.loads(got.body) == {"result": {"ok": True, "result": "Đảng bộ tỉnh Tây Ninh"}, "error": None}
    assert got.properties["correlation_id"] == "c1"
    assert got.properties["delivery_mode"] == 1
    assert returned == ({"ok": True, "result": "Đảng bộ tỉnh Tây Ninh"}, None)
    assert acked == [request]
    assert len(encodings) == 1


def test_a_request_from_the_in_memory_transport_is_answered_too():
    """Embedded mode: kombu's in-memory transport keeps the content type on the message, not in
    its properties."""
    got, returned, _, _ = answer({"ok": True}, properties={"content_type": None})
    assert json.loads(got.body) == {"result": {"ok": True}, "error": None}


def test_an_answer_that_cannot_be_encoded_reaches_the_caller_as_an_error():
    got, (result, exc_info), acked, request = answer({"ok": True, "result": object()})
    body = json.loads(got.body)
    assert body["result"] is None and body["error"]["exc_type"] == "UnserializableValueError"
    assert result is None and exc_info is not None
    assert acked == [request]


def test_an_error_of_the_method_reaches_the_caller():
    try:
        raise ValueError("hỏng")
    except ValueError as exc:
        got, (result, exc_info), _, _ = answer(None, (ValueError, exc, exc.__traceback__))
    body = json.loads(got.body)
    assert body["result"] is None and body["error"]["exc_type"] == "ValueError"
    assert body["error"]["value"] == "hỏng"
