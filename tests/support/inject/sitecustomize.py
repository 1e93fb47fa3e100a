"""Python loads this module at start-up when a test puts this folder on a child process's
PYTHONPATH. With ``DANGVIEN_TEST_FAULT=relay:<point>[:<n>]`` the relay of that process dies
(SIGKILL) at that point of its loop, the n-th time (default 1) — see ``tests/support/relay_faults.py``.

The production code has no such hook: the relay module is wrapped right after it is imported.
Nothing else is imported early, so nameko's eventlet monkey-patching is undisturbed.
"""
import os

_FAULT = os.environ.get("DANGVIEN_TEST_FAULT", "")

if _FAULT.startswith("relay:"):
    import importlib.abc
    import importlib.util
    import sys

    class _WrapRelayOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "shared.relay":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run_module = spec.loader.exec_module

            def exec_module(module):
                run_module(module)
                faults_path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "relay_faults.py")
                faults_spec = importlib.util.spec_from_file_location("_dangvien_relay_faults", faults_path)
                faults = importlib.util.module_from_spec(faults_spec)
                faults_spec.loader.exec_module(faults)
                point, _, nth = _FAULT[len("relay:"):].partition(":")
                # a short grace so the command's answer leaves first, as a real crash would usually allow
                faults.install(module, point, int(nth or 1), grace=0.5)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _WrapRelayOnImport())
