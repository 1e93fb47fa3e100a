"""An import through the gateway's HTTP endpoint, end to end: ``dangvien up`` (embedded) in a
temporary folder, one POST of a JSONL history, answered once every service has validated it,
written it and its projections have caught up (``python -m bench.gateway_import --members 20000``).

Prints the wall time, the events written per second, and the job's progress as it was seen
while the import ran (polled every half second, as the command line's progress bar does), each
with the server's CPU seconds used since the POST (steadier than the wall time on a shared
machine).
``PROFILE_TO=file.prof`` runs the server under cProfile (written when it stops).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.__main__ import import_file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, token: str, body: bytes | None = None, ctype: str = "application/json"):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=3600) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used so far; None where /proc is missing. On a
    shared machine it moves less with the load than the wall time does."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.gateway_import")
    ap.add_argument("--members", type=int, default=2000)
    ap.add_argument("--after", type=float, default=0.0,
                    help="at most these seconds, watch the server after the answer until it is idle and print "
                         "the CPU it used meanwhile (the bus deliveries of the written events, applied or "
                         "skipped as duplicates)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dangvien-gw-import-") as tmp:
        data, port = Path(tmp) / "data", free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DANGVIEN_")}
        env.update(DANGVIEN_LOG_LEVEL="WARNING", DANGVIEN_METRICS_PORT="0", PYTHONUNBUFFERED="1")
        log = open(Path(tmp) / "up.log", "wb")
        proc = subprocess.Popen([sys.executable, *(["-m", "cProfile", "-o", os.environ["PROFILE_TO"]] if os.environ.get("PROFILE_TO") else []),
                                 "-m", "dangvien.cli", "up", "--data-dir", str(data),
                                 "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            deadline = time.monotonic() + 300
            while b"(Ctrl+C" not in (Path(tmp) / "up.log").read_bytes():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((Path(tmp) / "up.log").read_text())
                time.sleep(0.5)
            token = (data / "admin.token").read_text().strip()
            text = import_file(args.members).encode("utf-8")
            status, job = call("POST", f"{base}/import-jobs", token, b"{}")
            job_id = job["job"] if status in (200, 201) and isinstance(job, dict) else None
            seen: list[tuple[float, float | None, str, int, int]] = []
            stop = threading.Event()
            idle_rate = 0.0  # the idle server's own CPU per second (sweeps, relay polls), to tell "idle" after
            if args.after > 0:
                before = cpu_seconds(proc.pid)
                time.sleep(3.0)
                idle_rate = ((cpu_seconds(proc.pid) or 0.0) - (before or 0.0)) / 3.0
            cpu0 = cpu_seconds(proc.pid)
            t0 = time.perf_counter()

            def poll():
                while job_id and not stop.wait(0.5):
                    s, j = call("GET", f"{base}/import-jobs/{job_id}", token)
                    if s == 200:
                        cpu = cpu_seconds(proc.pid)
                        seen.append((time.perf_counter() - t0, None if cpu is None or cpu0 is None else cpu - cpu0,
                                     j["phase"], j["done"], j["total"]))

            watcher = threading.Thread(target=poll, daemon=True)
            watcher.start()
            status, result = call("POST", f"{base}/imports" + (f"?job={job_id}" if job_id else ""), token, text,
                                  "application/x-ndjson")
            took = time.perf_counter() - t0
            cpu1 = cpu_seconds(proc.pid)
            stop.set()
            watcher.join()
            assert status == 201, (status, result)
            print(f"gateway import: {args.members:,} members, {result['written']:,} events in {took:.1f} s = "
                  f"{result['written'] / took:,.0f} ev/s (validated, written, projected)")
            if cpu0 is not None and cpu1 is not None:
                print(f"  server CPU during the import: {cpu1 - cpu0:.1f} s = {result['written'] / (cpu1 - cpu0):,.0f} "
                      f"ev/s of CPU (load average {os.getloadavg()[0]:.1f})")
            print("  wall s   CPU s  phase (as the progress bar saw it)")
            for at, cpu, phase, done, total in seen:
                print(f"  {at:6.1f}  {'' if cpu is None else f'{cpu:6.1f}':>6}  {phase:<24} {done:>7,} / {total:,}")
            if args.after > 0 and cpu1 is not None:
                # until the server is back to its idle rate (measured before the POST), at most ``--after`` s
                t1, last = time.perf_counter(), cpu1
                while time.perf_counter() - t1 < args.after:
                    time.sleep(2.0)
                    now = cpu_seconds(proc.pid)
                    if now is None or now - last <= 2.0 * (1.5 * idle_rate + 0.01):
                        break
                    last = now
                idle = "idle" if time.perf_counter() - t1 < args.after else "still busy"
                print(f"  server CPU after the answer: {last - cpu1:.1f} s in {time.perf_counter() - t1:.0f} s ({idle}); "
                      f"import and after: {last - cpu0:.1f} s = {result['written'] / (last - cpu0):,.0f} ev/s of CPU")
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
