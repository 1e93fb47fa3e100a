"""RPC requests and replies on the wire with less work per message than nameko's ``Publisher``.

nameko builds, for every message it sends, a kombu ``Connection`` object (parsing the broker's
address) only to look up the process's producer pool with it, an ``Exchange``, and its
publisher; a reply's body is serialized twice (once to check it can be, once to send it). Here
the pool is looked up once per process and address, the exchange made once, and a body
serialized once. The messages are the ones nameko sends (same properties, same bodies), through
the same kombu producer pools with the same retry on a lost connection; a request waits for the
broker's confirm only while its service is not known to be routable (``LeanMethodProxy``).
"""
from __future__ import annotations

import sys
import threading
import time
import uuid
from functools import partial

from kombu import Connection, Exchange
from kombu.exceptions import ChannelError
from kombu.pools import ProducerPool, producers
from kombu.serialization import dumps, registry
from nameko.amqp.publish import UndeliverableMessage
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY,
                              DEFAULT_SERIALIZER, DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY,
                              PERSISTENT, RPC_EXCHANGE_CONFIG_KEY, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import UnknownService, UnserializableValueError, serialize
from nameko.messaging import QueueConsumer
from nameko.rpc import MethodProxy, ReplyListener, RpcProxy, RpcReply, ServiceProxy, get_rpc_exchange

_pools: dict[tuple, ProducerPool] = {}
_exchanges: dict[tuple, Exchange] = {}
_guard = threading.Lock()

#: how long a service whose request the broker routed counts as routable: its requests go out
#: unconfirmed meanwhile, then one is confirmed again
ROUTED_SECONDS = 5.0
#: (broker, service) → when a request to it was last confirmed routed
_routed: dict[tuple[str, str], float] = {}


def producer_pool(config: dict, confirms: bool) -> ProducerPool:
    """The process's kombu producer pool for the broker of ``config`` (as nameko's ``get_producer``
    finds it), looked up once."""
    ssl, login = config.get(AMQP_SSL_CONFIG_KEY), config.get(LOGIN_METHOD_CONFIG_KEY)
    key = (config[AMQP_URI_CONFIG_KEY], confirms, repr(ssl), login)
    pool = _pools.get(key)
    if pool is None:
        with _guard:
            pool = _pools.get(key)
            if pool is None:
                options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": confirms}
                pool = _pools[key] = producers[Connection(key[0], transport_options=options, ssl=ssl,
                                                          login_method=login)]
    return pool


def rpc_exchange(config: dict) -> Exchange:
    key = config.get(RPC_EXCHANGE_CONFIG_KEY)
    exchange = _exchanges.get(key)
    if exchange is None:
        exchange = _exchanges[key] = get_rpc_exchange(config)
    return exchange


def send(pool: ProducerPool, body: bytes, content_type: str, content_encoding: str, **properties) -> None:
    """Publish one serialized body (``properties``: exchange, routing key, delivery mode, ...);
    a mandatory message no queue takes raises ``UndeliverableMessage``, as nameko's publisher does."""
    with pool.acquire(block=True) as producer:
        try:
            producer.publish(body, content_type=content_type, content_encoding=content_encoding, retry=True,
                             retry_policy=DEFAULT_RETRY_POLICY, **properties)
        except ChannelError as exc:
            if "NO_ROUTE" in str(exc):
                raise UndeliverableMessage() from None
            raise


def reply(config: dict, message, result, exc_info, delivery_mode: int):
    """Answer one RPC request ``message`` as nameko's ``Responder`` does (encoded as the request
    was; a result that cannot be encoded answered as ``UnserializableValueError``), serialized
    once, without a publisher confirm (``confirms=False``); returns ``(result, exc_info)``."""
    error = serialize(exc_info[1]) if exc_info is not None else None
    # kombu's in-memory transport (embedded mode) keeps the content type on the message itself
    content_type = message.properties.get("content_type") or getattr(message, "content_type", None)
    serializer = registry.type_to_name[content_type or "application/json"]
    try:
        content_type, encoding, body = dumps({"result": result, "error": error}, serializer)
    except Exception:
        exc_info = sys.exc_info()
        error, result = serialize(UnserializableValueError(result)), None
        content_type, encoding, body = dumps({"result": None, "error": error}, serializer)
    send(producer_pool(config, confirms=False), body, content_type, encoding, exchange=rpc_exchange(config),
         routing_key=message.properties["reply_to"], correlation_id=message.properties.get("correlation_id"),
         delivery_mode=delivery_mode, headers={})
    return result, exc_info


class LeanMethodProxy(MethodProxy):
    """nameko's method proxy, its request published through ``send``.

    nameko confirms every request, mandatory: the broker's confirm is what tells a service whose
    queue does not exist (never started on this broker) apart at once (``UnknownService``, 503),
    instead of a wait until the deadline. A service's RPC queue is durable and outlives the
    service's processes, so once a request to it was routed, the next ones are sent without
    waiting for a confirm for ``ROUTED_SECONDS`` (then one is confirmed again). Nothing else
    depends on the confirm: a request is transient, and one lost with the broker or its
    connection is answered as a timeout is (504 "may or may not have been written — send it
    again under the same Idempotency-Key"); a queue deleted by hand meanwhile gives such 504s
    until the next confirmed request names the service absent."""

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, delivery_mode=PERSISTENT):
        self.worker_ctx, self.service_name, self.method_name = worker_ctx, service_name, method_name
        self.reply_listener, self.delivery_mode = reply_listener, delivery_mode

    def _call(self, *args, **kwargs):
        config = self.container.config
        content_type, encoding, body = dumps({"args": args, "kwargs": kwargs},
                                             config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER))
        correlation_id = str(uuid.uuid4())
        reply_event = self.reply_listener.get_reply_event(correlation_id)
        route = (config[AMQP_URI_CONFIG_KEY], self.service_name)
        checked = time.monotonic()
        confirm = checked - _routed.get(route, -ROUTED_SECONDS) >= ROUTED_SECONDS
        try:
            send(producer_pool(config, confirms=confirm), body, content_type, encoding,
                 exchange=rpc_exchange(config), routing_key=f"{self.service_name}.{self.method_name}",
                 mandatory=confirm, reply_to=self.reply_listener.routing_key, correlation_id=correlation_id,
                 delivery_mode=self.delivery_mode, headers=self.get_message_headers(self.worker_ctx))
        except UndeliverableMessage:
            self.reply_listener._reply_events.pop(correlation_id, None)
            raise UnknownService(self.service_name) from None
        if confirm:
            _routed[route] = checked
        return RpcReply(reply_event)


class ReplyConsumer(QueueConsumer):
    """The consumer of a caller's RPC replies (a queue of its own, on a connection of its own):
    a reply is taken without an ack and handed to its waiting call at once, without a green thread
    of its own. An ack would protect nothing: a reply whose caller is gone is waited on by nobody
    (the queue expires with its caller), and one lost with the broker is the caller's timeout
    ("may or may not have been written — send it again under the same key")."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            self._consumers[provider] = consumer_cls(queues=[provider.queue], accept=self.accept, no_ack=True,
                                                     callbacks=[partial(self.handle_message, provider)])
        return self._consumers.values()

    def handle_message(self, provider, body, message):
        provider.handle_message(body, message)


class LeanReplyListener(ReplyListener):
    queue_consumer = ReplyConsumer()

    def handle_message(self, body, message):
        waiting = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if waiting is not None:
            waiting.send(body)


class LeanServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        return LeanMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class LeanRpcProxy(RpcProxy):
    """``RpcProxy(service, delivery_mode=...)`` whose calls go through ``LeanMethodProxy`` and
    whose replies come through ``ReplyConsumer``."""

    rpc_reply_listener = LeanReplyListener()

    def get_dependency(self, worker_ctx):
        return LeanServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)
