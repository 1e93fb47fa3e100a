"""One benchmark entry point: ``python -m bench --quick`` (a few minutes) or ``--full``.

Each hot path is measured here, beside the peer library ``eventsourcing`` where it has one, in
the same run and interleaved (ours, peer, ours, peer …) so a busy shared machine slows both
alike; ratios are medians of the per-round ratios and the table shows their spread as noise.
The SQLite comparisons run both at the same durability (WAL, ``synchronous=FULL``, the peer's
default). The last line printed is one JSON object with the headline figures (README "Benchmarks").

    python -m bench --quick [--dir /var/tmp/dangvien-bench] [--skip-pg]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import peer
from shared.events import NewEvent
from shared.eventstore import NO_STREAM, open_store

PG_ADMIN_URL = os.environ.get("DANGVIEN_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

QUICK = dict(rounds=3, writers=16, single_per_writer=50, batch_events=10_000, batch_size=1000,
             pg_batch_events=10_000, members=1500, pg_members=300, years=5, import_members=2000, report_calls=100)
FULL = dict(rounds=5, writers=16, single_per_writer=400, batch_events=100_000, batch_size=1000,
            pg_batch_events=60_000, members=20_000, pg_members=5000, years=5, import_members=20_000,
            report_calls=100)

RESULTS: dict = {}
ROWS: list[tuple[str, str, str, str]] = []


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def row(name: str, ours: str, peer_: str = "", note: str = "") -> None:
    ROWS.append((name, ours, peer_, note))
    say(f"  {name}: {ours}  {peer_}  {note}")


def payload(i: int) -> NewEvent:
    return NewEvent(type="member.rated", occurred_on=dt.date(2024, 12, 31), org_unit_id="chi-bo-1",
                    data={"member_id": f"m-{i}", "year": 2024, "rating": "good", "note": "Hoàn thành tốt"})


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def spread(ratios: list[float]) -> str:
    return f"rounds {min(ratios):.2f}–{max(ratios):.2f}×"


# -- PostgreSQL databases ---------------------------------------------------------------------------
class PgDatabase:
    def __init__(self, tag: str):
        import psycopg
        self.name = f"dangvien_bench_{tag}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = urlunsplit(urlsplit(PG_ADMIN_URL)._replace(path=f"/{self.name}"))

    def drop(self) -> None:
        import psycopg
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- append: one event per append, 16 writers -----------------------------------------------------
def threaded(writers: int, work) -> float:
    start = threading.Barrier(writers + 1)
    errors: list = []

    def run(w: int) -> None:
        start.wait()
        try:
            work(w)
        except Exception as exc:  # noqa: BLE001 (re-raised below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return took


def ours_single(folder: Path, writers: int, per: int) -> float:
    store = open_store(f"sqlite:///{folder}/ours-single-{uuid.uuid4().hex[:6]}.db?synchronous=full")
    streams = 10
    for w in range(writers):  # the streams exist, as members do
        store.append_batch([(f"member-{w}-{k}", [payload(k)], NO_STREAM) for k in range(streams)])

    def work(w: int) -> None:
        for i in range(per):
            store.append(f"member-{w}-{i % streams}", [payload(i)], expected_version=i // streams)

    took = threaded(writers, work)
    store.close()
    return writers * per / took


def peer_single(folder: Path, writers: int, per: int) -> float:
    app = peer.sqlite_app(str(folder / f"peer-single-{uuid.uuid4().hex[:6]}.db"))
    streams = 10
    members = [[peer.new_member(w * 100 + k) for k in range(streams)] for w in range(writers)]
    for group in members:
        app.save(*group)

    def work(w: int) -> None:
        for i in range(per):
            m = members[w][i % streams]
            peer.rate(m, i)
            app.save(m)

    took = threaded(writers, work)
    app.close()
    return writers * per / took


# -- append: batches ---------------------------------------------------------------------------------
def ours_batch(url: str, n: int, size: int) -> float:
    """Batches as the bulk import writes them: ``append_positions`` (the same rows, checks and
    hash chain as ``append``, answered with positions instead of envelopes)."""
    store = open_store(url)
    events = [payload(i) for i in range(n)]  # built before the clock, as the peer's are
    t0 = time.perf_counter()
    for first in range(0, n, size):
        store.append_positions([(f"import-{uuid.uuid4().hex[:8]}-{first}", events[first:first + size], NO_STREAM)])
    took = time.perf_counter() - t0
    store.close()
    return n / took


def peer_batch(app, n: int, size: int) -> float:
    members = peer.members_in_batches(n, size)
    t0 = time.perf_counter()
    for m in members:
        app.save(m)
    took = time.perf_counter() - t0
    app.close()
    return n / took


def raw_executemany(folder: Path, n: int, size: int) -> float:
    """The floor: the same rows (already serialised and hashed) inserted by ``executemany``, their
    empty columns written as NULL as the store writes them (``insert_events``)."""
    from shared.eventstore.records import chain, row_params
    from shared.eventstore.sqlite import SCHEMA, insert_events
    path = folder / f"raw-{uuid.uuid4().hex[:6]}.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    events = [payload(i) for i in range(n)]
    batches = [[row_params(r) for r in chain(f"raw-{first}", events[first:first + size], -1, None, first + 1)]
               for first in range(0, n, size)]
    t0 = time.perf_counter()
    for rows in batches:
        db.execute("BEGIN IMMEDIATE")
        insert_events(db, rows)
        db.execute("COMMIT")
    took = time.perf_counter() - t0
    db.close()
    return n / took


def interleaved(rounds: int, ours_fn, peer_fn) -> tuple[float, float, list[float]]:
    ours, theirs, ratios = [], [], []
    for _ in range(rounds):
        a, b = ours_fn(), peer_fn()
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return statistics.median(ours), statistics.median(theirs), ratios


def bench_append(cfg: dict, folder: Path, pg: bool) -> None:
    say("append …")
    w, per = cfg["writers"], cfg["single_per_writer"]
    o, p, ratios = interleaved(cfg["rounds"], lambda: ours_single(folder, w, per), lambda: peer_single(folder, w, per))
    row(f"SQLite append, 1 event per append, {w} writers (FULL)", f"{o:,.0f} ev/s", f"{p:,.0f} ev/s",
        f"{statistics.median(ratios):.2f}× ({spread(ratios)})")
    RESULTS.update(append_sqlite_single_evs=round(o), append_sqlite_single_peer_evs=round(p),
                   append_sqlite_single_ratio=round(statistics.median(ratios), 2))

    n, size = cfg["batch_events"], cfg["batch_size"]
    o, p, ratios = interleaved(
        cfg["rounds"], lambda: ours_batch(f"sqlite:///{folder}/ours-batch-{uuid.uuid4().hex[:6]}.db?synchronous=full", n, size),
        lambda: peer_batch(peer.sqlite_app(str(folder / f"peer-batch-{uuid.uuid4().hex[:6]}.db")), n, size))
    raw = statistics.median(raw_executemany(folder, n, size) for _ in range(cfg["rounds"]))
    row(f"SQLite append, {size} per append (FULL)", f"{o:,.0f} ev/s", f"{p:,.0f} ev/s",
        f"{statistics.median(ratios):.2f}× ({spread(ratios)}); raw executemany {raw:,.0f} ev/s")
    RESULTS.update(append_sqlite_batch_evs=round(o), append_sqlite_batch_peer_evs=round(p),
                   append_sqlite_batch_ratio=round(statistics.median(ratios), 2),
                   append_sqlite_raw_executemany_evs=round(raw))
    if not pg:
        RESULTS["append_pg_batch_ratio"] = None
        return
    n = cfg["pg_batch_events"]
    ours_db, peer_db = PgDatabase("ours"), PgDatabase("peer")
    try:
        o, p, ratios = interleaved(
            cfg["rounds"], lambda: ours_batch(ours_db.url, n, size),
            lambda: peer_batch(peer.postgres_app(peer_db.name), n, size))
    finally:
        ours_db.drop()
        peer_db.drop()
    row(f"PostgreSQL append, {size} per append", f"{o:,.0f} ev/s", f"{p:,.0f} ev/s",
        f"{statistics.median(ratios):.2f}× ({spread(ratios)})")
    RESULTS.update(append_pg_batch_evs=round(o), append_pg_batch_peer_evs=round(p),
                   append_pg_batch_ratio=round(statistics.median(ratios), 2))


# -- replay and reports --------------------------------------------------------------------------------
def bench_replay(cfg: dict, folder: Path, pg: bool, timed: bool = True, report: bool = True) -> None:
    """Generate a province, replay it (a table row unless ``timed`` is off), then time the reports."""
    from bench.replay import generate
    from services.reporting.generations import Generations
    from shared.readmodel import ReadModelDB

    say("replay: generating a synthetic province …")
    data = folder / "province"
    data.mkdir()
    written = generate(data, cfg["members"], cfg["years"])
    total = sum(written.values())
    stores = {s: open_store(f"sqlite:///{data}/{s}.events.db") for s in ("members", "discipline", "meetings", "reporting")}
    db = ReadModelDB(f"sqlite:///{data}/reporting.read.db")
    g = Generations(db, stores)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before = os.times()
    result = g.replay()
    cpu = [b - a for a, b in zip(before, os.times())]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_apart = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child: the meetings fold
    label = f"{cfg['members']:,} members × {cfg['years']} years, {total:,} events"
    if not timed:  # only the province the reports read
        bench_reports(cfg, data, db, g.prefix)
        return
    row(f"replay of reporting, SQLite ({label})", f"{result['events_per_second']:,.0f} ev/s",
        "", f"{result['seconds']:.1f} s incl. checksum; CPU {cpu[0] + cpu[1]:.1f} + {cpu[2] + cpu[3]:.1f} s "
        f"(meetings fold process); peak RSS {rss // 1024} MB (before {rss0 // 1024} MB), {rss_apart // 1024} MB")
    RESULTS.update(replay_sqlite_evs=round(result["events_per_second"]), replay_events=total,
                   replay_peak_rss_mb=rss // 1024, replay_cpu_s=round(cpu[0] + cpu[1], 1),
                   replay_cpu_apart_s=round(cpu[2] + cpu[3], 1), replay_peak_rss_apart_mb=rss_apart // 1024)

    if pg:  # a smaller province: PostgreSQL is bound by round trips per statement
        small = folder / "province-pg"
        small.mkdir()
        pg_total = sum(generate(small, cfg["pg_members"], cfg["years"]).values())
        pg_stores = {s: open_store(f"sqlite:///{small}/{s}.events.db") for s in stores}
        pgdb = PgDatabase("replay")
        try:
            pdb = ReadModelDB(pgdb.url)
            pg_result = Generations(pdb, pg_stores).replay()
            same = pg_result["checksum"] == Generations(ReadModelDB(f"sqlite:///{small}/check.read.db"),
                                                        pg_stores).replay()["checksum"]
            pdb.close()
        finally:
            pgdb.drop()
            for s in pg_stores.values():
                s.close()
        row(f"replay of reporting, PostgreSQL read model ({cfg['pg_members']:,} members × {cfg['years']} years, "
            f"{pg_total:,} events)", f"{pg_result['events_per_second']:,.0f} ev/s", "",
            f"{pg_result['seconds']:.1f} s incl. checksum; same checksum as a SQLite replay: {same}")
        RESULTS["replay_pg_evs"] = round(pg_result["events_per_second"])
    else:
        RESULTS["replay_pg_evs"] = None

    if report:
        bench_reports(cfg, data, db, g.prefix)


def bench_reports(cfg: dict, data: Path, db, prefix: str) -> None:
    from bench.reports import measure
    say("reports …")
    rows, results = measure(db, prefix, data, cfg["report_calls"])
    for r in rows:
        row(*r)
    RESULTS.update(results)


# -- import ------------------------------------------------------------------------------------------------
def import_file(members: int) -> str:
    lines = ['{"type":"org_unit.created","occurred_on":"2020-01-01","data":{"org_unit_id":"TN","name":"Đảng bộ tỉnh","kind":"province"}}']
    cells = max(1, members // 25)
    for d in range(max(1, cells // 20)):
        lines.append(json.dumps({"type": "org_unit.created", "occurred_on": "2020-01-01", "data": {
            "org_unit_id": f"D{d}", "name": f"Huyện ủy {d}", "kind": "direct", "parent_id": "TN"}}, ensure_ascii=False))
    for c in range(cells):
        lines.append(json.dumps({"type": "org_unit.created", "occurred_on": "2020-01-01", "data": {
            "org_unit_id": f"C{c}", "name": f"Chi bộ {c}", "kind": "grassroots_cell",
            "parent_id": f"D{c % max(1, cells // 20)}"}}, ensure_ascii=False))
    for i in range(members):
        lines.append(json.dumps({"type": "member.admitted", "occurred_on": "2020-02-03", "data": {
            "member_id": f"M{i}", "org_unit_id": f"C{i % cells}", "full_name": "Trần Thị Bình",
            "birth_date": "1995-02-01", "sex": "female"}}, ensure_ascii=False))
    return "\n".join(lines)


def bench_import(cfg: dict, folder: Path) -> None:
    import dataclasses

    from services.members import application as app
    from services.members.dependencies import standalone_deps
    from shared.application import Context
    from shared.importing import parse_jsonl, run_import
    from shared.keybatch import KeyBatch
    from shared.personal import Vault
    from shared.readmodel import ReadModelDB
    say("import …")
    text = import_file(cfg["import_members"])
    store = open_store(f"sqlite:///{folder}/import-members.db")
    # as the members service imports: its key vault in a SQLite file, new keys stored in one batch
    keys = KeyBatch(Vault(ReadModelDB(f"sqlite:///{folder}/import-vault.db")))
    deps = dataclasses.replace(standalone_deps(store), vault=keys)
    t0 = time.perf_counter()
    lines, errors = parse_jsonl(text)
    assert not errors, errors[:3]
    keys.prefetch(app.personal_subjects(lines))
    result = run_import(store, app.importers(deps), lines, Context(), before_commit=keys.flush)
    took = time.perf_counter() - t0
    assert result["ok"], result["errors"][:3]
    evs = result["written"] / took
    row(f"import of a JSONL history ({result['written']:,} events, members service, validated)",
        f"{evs:,.0f} ev/s", "", f"{took:.1f} s, all-or-nothing")
    RESULTS["import_evs"] = round(evs)
    store.close()


def bench_visible(folder: Path) -> None:
    from bench.visible import measure
    say(f"command → visible, distributed, {ARGS.commands} admissions at {ARGS.rate:g}/s "
        f"from {ARGS.senders} senders, {ARGS.members_processes} members process(es) …")
    env = dict(item.split("=", 1) for item in ARGS.service_env)
    try:
        got = measure(folder, ARGS.rate, ARGS.commands, ARGS.senders, env, ARGS.members_processes)
    except Exception as exc:  # noqa: BLE001 — RabbitMQ/PostgreSQL missing: say so, keep the rest
        row("command → visible in reports (RabbitMQ + PostgreSQL)", "not measured", "", f"{type(exc).__name__}: {exc}")
        return
    row(f"command → visible in reports, RabbitMQ + PostgreSQL, {ARGS.commands} admissions (p50 / p99)",
        f"{got['p50']:.0f} / {got['p99']:.0f} ms", "", f"asked {ARGS.rate:g}/s from {ARGS.senders} senders, "
        f"accepted {got['achieved_rate']:.0f}/s, {got['refused']} refused (503); "
        f"{got['visible']} seen; the command's own answer {got['answered_p50']:.0f} / {got['answered_p99']:.0f} ms")
    RESULTS.update(command_visible_p99_ms=round(got["p99"], 1), command_visible_p50_ms=round(got["p50"], 1),
                   command_visible_rate=round(got["achieved_rate"], 1), command_refused=got["refused"],
                   command_senders=ARGS.senders, command_members_processes=ARGS.members_processes,
                   command_answered_p50_ms=round(got["answered_p50"], 1),
                   headcount_look_p50_ms=round(got["look_p50"], 1), headcount_look_p99_ms=round(got["look_p99"], 1),
                   command_answered_p99_ms=round(got["answered_p99"], 1),
                   command_cpu_ms_per_command=got["cpu_ms_per_command"], command_batches=got.get("batches"))
    say("CPU ms per command: " + ", ".join(f"{k} {v:.2f}" for k, v in got["cpu_ms_per_command"].items()))


ARGS = argparse.Namespace(rate=200.0, commands=2000, senders=16, service_env=[], members_processes=1)


# -- main ---------------------------------------------------------------------------------------------------
def pg_reachable() -> bool:
    try:
        import psycopg
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a few minutes on 2 cores (default)")
    mode.add_argument("--full", action="store_true", help="bigger histories, more rounds")
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("DANGVIEN_BENCH_DIR", "/var/tmp/dangvien-bench")))
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--only", default="append,replay,import,visible",
                    help="comma-separated sections (visible: --full only; replay times the reports too, "
                         "report times only them, on a province generated and replayed first)")
    ap.add_argument("--members", type=int, help="members of the generated province (default: the mode's)")
    ap.add_argument("--rate", type=float, default=200.0, help="commands/s for the visible section (--full)")
    ap.add_argument("--commands", type=int, default=2000, help="commands sent by the visible section (--full)")
    ap.add_argument("--senders", type=int, default=16,
                    help="client threads of the visible section; each waits for its answer (--full)")
    ap.add_argument("--service-env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the visible section's service processes, e.g. "
                         "DANGVIEN_MEMBERS_WORKERS=32 (repeatable)")
    ap.add_argument("--members-processes", type=int, default=1,
                    help="members service processes of the visible section (replicas on one queue; --full)")
    ap.add_argument("--import-members", type=int, default=None,
                    help="members in the import section's file (default: 2,000 quick, 20,000 full)")
    args = ap.parse_args(argv)
    ARGS.rate, ARGS.commands, ARGS.senders, ARGS.service_env = args.rate, args.commands, args.senders, args.service_env
    ARGS.members_processes = args.members_processes
    cfg = dict(FULL if args.full else QUICK)
    if args.import_members:
        cfg["import_members"] = args.import_members
    if args.members:
        cfg["members"] = args.members
    if not peer.available():
        ap.error("the peer library is missing: pip install eventsourcing (see requirements.lock)")
    pg = not args.skip_pg and pg_reachable()
    folder = args.dir / f"run-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    started = time.time()
    load = os.getloadavg()[0]
    only = set(args.only.split(","))
    try:
        if "append" in only:
            bench_append(cfg, folder, pg)
        if "replay" in only or "report" in only:
            bench_replay(cfg, folder, pg, timed="replay" in only, report=True)
        if "import" in only:
            bench_import(cfg, folder)
        if args.full and "visible" in only:
            bench_visible(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.full:
        RESULTS.setdefault("command_visible_p99_ms", None)
    RESULTS.update(mode="full" if args.full else "quick", seconds=round(time.time() - started, 1),
                   machine=f"{platform.machine()} {os.cpu_count()} cpu, {platform.python_implementation()} "
                           f"{platform.python_version()}",
                   date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   load_before=round(load, 1), load_after=round(os.getloadavg()[0], 1),
                   peer="eventsourcing " + _version("eventsourcing"))
    width = max(len(r[0]) for r in ROWS) if ROWS else 10
    print(f"\n{'hot path':<{width}}  {'ours':>16}  {'peer (eventsourcing)':>22}  note")
    for name, ours, theirs, note in ROWS:
        print(f"{name:<{width}}  {ours:>16}  {theirs:>22}  {note}")
    print(f"\nload average {RESULTS['load_before']} before, {RESULTS['load_after']} after "
          f"(a shared machine: figures move with it); {RESULTS['machine']}; {RESULTS['date']}")
    print(json.dumps(RESULTS, ensure_ascii=False))


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
