"""What the integrity flag costs every answer: a ``@query`` method returning a small list, called
in a loop (``shared.runtime.query`` asks ``shared.integrity_watch.flag_answer`` on each answer).

    python bench/integrity_flag.py [--calls 200000]

For an A/B against older code, run it with ``PYTHONPATH`` pointing at a copy of that code
(``git archive main | tar -x -C DIR``). Prints wall and CPU time per call.
"""
from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    n = parser.parse_args().calls
    from shared import runtime

    class Service:
        @runtime.query()
        def units(self, q, context):
            return [{"org_unit_id": "C1"}, {"org_unit_id": "C2"}]

    service = Service()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        service.units({}, {})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{runtime.__file__}: {wall / n * 1e6:.2f} µs/call wall, {cpu / n * 1e6:.2f} µs/call CPU")


if __name__ == "__main__":
    main()
