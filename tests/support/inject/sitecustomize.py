"""Python loads this module at start-up when a test puts this folder on a child process's
PYTHONPATH. With ``DANGVIEN_TEST_FAULT=relay:<point>[:<n>]`` the relay of that process dies
(SIGKILL) at that point of its loop, the n-th time (default 1) — see ``tests/support/relay_faults.py``.
With ``DANGVIEN_TEST_FAULT=gateway:answer:<member id>`` the process dies after writing a command
about that member, before answering it.

The production code has no such hook: the module at fault is wrapped right after it is imported.
Nothing else is imported early, so nameko's eventlet monkey-patching is undisturbed.
"""
import os

_FAULT = os.environ.get("DANGVIEN_TEST_FAULT", "")


def _after_import(name, wrap):
    """Call ``wrap(module)`` right after ``name`` is first imported (one finder, removed once used)."""
    import importlib.abc
    import importlib.util
    import sys

    class _WrapOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            run_module = spec.loader.exec_module

            def exec_module(module):
                run_module(module)
                wrap(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _WrapOnImport())


if _FAULT.startswith("relay:"):
    def _relay_faults(module):
        import importlib.util
        faults_path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "relay_faults.py")
        faults_spec = importlib.util.spec_from_file_location("_dangvien_relay_faults", faults_path)
        faults = importlib.util.module_from_spec(faults_spec)
        faults_spec.loader.exec_module(faults)
        point, _, nth = _FAULT[len("relay:"):].partition(":")
        # a short grace so the command's answer leaves first, as a real crash would usually allow
        faults.install(module, point, int(nth or 1), grace=0.5)

    _after_import("shared.relay", _relay_faults)

if _FAULT.startswith("gateway:answer:"):
    # ``gateway:answer:<member id>``: the process dies (SIGKILL) after a command about that member
    # was written and before its 201 answer leaves — the gateway crashing between the write and
    # the answer
    def _crash_before_answer(module):
        answer = module.rpc_answer
        member = _FAULT[len("gateway:answer:"):]

        def crash_before_a_written_answer(result, status=200):
            events = (result or {}).get("events") or [] if status == 201 else []
            if any((e.get("data") or {}).get("member_id") == member for e in events):
                import signal
                os.kill(os.getpid(), signal.SIGKILL)
            return answer(result, status)

        module.rpc_answer = crash_before_a_written_answer

    _after_import("services.gateway.service", _crash_before_answer)
