"""Run one service in a real nameko container and call its entrypoints with nameko's
``entrypoint_hook``; print each answer as a JSON line. A container needs eventlet's monkey patch,
which the test process does not apply (it would change every other test), so the tests run this
in a process of its own:

    python -m tests.support.container_calls DATA_DIR SERVICE CALLS_JSON

``CALLS_JSON``: ``[[method, payload, context], ...]``. Embedded mode's in-memory transport: no
broker shared with other runs."""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main(data_dir: str, service: str, calls: str) -> None:
    from nameko.containers import ServiceContainer
    from nameko.testing.services import entrypoint_hook

    from dangvien import memory_shim
    from dangvien.runner import nameko_config, service_class
    from shared.config import Settings

    memory_shim.apply()
    settings = Settings(data_dir=Path(data_dir), amqp_uri="memory://", metrics_port=0)
    container = ServiceContainer(service_class(service), nameko_config(settings))
    container.start()
    try:
        for method, payload, context in json.loads(calls):
            with entrypoint_hook(container, method) as call:
                print(json.dumps(call(payload, context), ensure_ascii=False), flush=True)
    finally:
        container.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
