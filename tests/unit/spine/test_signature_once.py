"""An entrypoint that reads its method's signature once refuses exactly the calls nameko's own
check refuses (``inspect.getcallargs`` on every call), for the shapes our entrypoints have."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from nameko.exceptions import IncorrectSignature
from nameko.extensions import Entrypoint

from shared.runtime import Rpc, SignatureOnce


def wrapped(fn):
    @functools.wraps(fn)  # as shared.runtime.command does: the entry's own parameters count
    def entry(self, payload: dict, context: dict | None = None):
        return fn(self, payload, context or {})
    return entry


class Service:
    @wrapped
    def admit_member(self, cmd, context):
        pass

    def query(self, request, service, name):
        pass

    def read(self, params=None, context=None, *rest, key=None, **more):
        pass


CALLS = [((), {}), (({"a": 1},), {}), (({"a": 1}, {"actor": "x"}), {}), (({"a": 1}, {}, 3), {}),
         (({"a": 1},), {"context": {}}), (({"a": 1},), {"payload": {}}), ((), {"payload": {}}),
         ((), {"other": 1}), (("req", "members", "admit"), {}), (("req",), {"service": "m", "name": "n"}),
         (("req", "m"), {}), (("req", "m", "n", "x"), {}), ((1, 2, 3, 4), {"key": 1, "z": 2}),
         (({"a": 1},), {"params": {}})]


def outcome(entrypoint, args, kwargs):
    try:
        entrypoint.check_signature(args, kwargs)
        return "accepted"
    except IncorrectSignature as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize("method", ["admit_member", "query", "read"])
def test_the_same_calls_are_refused_with_the_same_message(method):
    container = SimpleNamespace(service_cls=Service)
    ours, nameko = SignatureOnce(), Entrypoint()
    for entrypoint in (ours, nameko):
        entrypoint.container, entrypoint.method_name = container, method
    for args, kwargs in CALLS:
        assert outcome(ours, args, kwargs).split(":")[0] == outcome(nameko, args, kwargs).split(":")[0], (args, kwargs)
    verdicts = {outcome(ours, args, kwargs).split(":")[0] for args, kwargs in CALLS}
    assert verdicts == {"accepted", "refused"}  # the list tells both apart for every shape


def test_the_rpc_entrypoint_uses_it():
    assert Rpc.check_signature is SignatureOnce.check_signature
