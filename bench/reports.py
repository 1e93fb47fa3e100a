"""Report latencies over a replayed synthetic province (issue 15, Deliver 5).

Each report is called ``calls`` times on the structure as it stood (the default) and on today's
tree (``structure=current``); the term table beside the naive SQL over the event tables, the
lists whole and one page of 100. Run by ``python -m bench --only report`` (after generating and
replaying a province), or on a province already built:

    python -m bench.reports --data /var/tmp/dv-rpt/p100k [--calls 30]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Callable


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latencies(fn: Callable[[], object], calls: int) -> list[float]:
    fn()  # the first call warms SQLite's page cache; a report is read many times a day
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def interleaved(ours: Callable[[], object], naive: Callable[[], object], calls: int) -> tuple[list[float], list[float]]:
    """Latencies of two computations called in turn (ours, naive, ours …), so a busy shared
    machine slows both alike."""
    ours(), naive()
    a, b = [], []
    for _ in range(calls):
        for fn, out in ((ours, a), (naive, b)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return a, b


def naive_term_table(folder: Path, cur, prev) -> dict:
    """The term table's counts straight from the event tables (json_extract, no read model)."""
    out = {}
    with sqlite3.connect(folder / "members.events.db") as m, sqlite3.connect(folder / "discipline.events.db") as d:
        for period in (cur, prev):
            for t in ("member.removed", "member.resigned", "member.expelled", "member.admitted"):
                out[(period.name, t)] = m.execute(
                    "SELECT COUNT(DISTINCT json_extract(data, '$.member_id')) FROM events WHERE type = ? "
                    "AND occurred_on BETWEEN ? AND ?", (t, period.start.isoformat(), period.end.isoformat())).fetchone()[0]
            for kind in ("member", "org_unit"):
                out[(period.name, kind)] = d.execute(
                    "SELECT COUNT(DISTINCT json_extract(data, '$.subject_id')) FROM events WHERE type = "
                    "'discipline.applied' AND json_extract(data, '$.subject_kind') = ? AND occurred_on BETWEEN ? AND ? "
                    "AND json_extract(data, '$.case_id') NOT IN (SELECT json_extract(data, '$.case_id') FROM events "
                    "WHERE type = 'discipline.annulled')", (kind, period.start.isoformat(), period.end.isoformat())).fetchone()[0]
    return out


def measure(db, prefix: str, folder: Path, calls: int) -> tuple[list[tuple[str, str, str, str]], dict]:
    """(table rows (name, ours, beside, note), headline figures) for the province in ``folder``."""
    from services.reporting import early_warnings, membership, paging, term_table
    from services.reporting.periods import parse_period
    from services.reporting.view import View

    def page_of_warnings(v, number):  # what the service answers to ?year=2023&page=N&page_size=100
        from services.reporting import queries
        from shared.contracts.reporting import ReportQuery
        return queries.REPORTS["warnings"](v, ReportQuery(org_unit_id="TN", as_of=as_of, year=2023, page=number,
                                                          page_size=100))

    def forget():  # what a page keeps in memory until the spans or the tree change (none before them)
        try:
            from services.reporting import warning_spans
        except ImportError:
            return
        warning_spans.forget()

    changes = [0]

    def after_a_change(v):  # a delivery changing one unit's counts (+1 / −1 in turns, on a far day), then page 1
        from collections import Counter
        import uuid
        from services.reporting import warning_spans
        if not units:  # code from before the spans
            return page_of_warnings(v, 1)
        i = changes[0]
        changes[0] += 1
        unit = units[(i // 2) % len(units)]
        with db.transaction() as tx:
            warning_spans._add_counts(tx, prefix, Counter({("recognition_overdue", unit, "2099-01-01"): 1 - 2 * (i % 2)}))
            tx.execute(f"UPDATE {prefix}warn_built SET version = ?", (uuid.uuid4().hex,))
        return page_of_warnings(v, 1)

    def page_of_tree(v):  # what the service answers to ?page=1&page_size=100 (the whole tree sliced, before)
        if hasattr(membership, "headcount_page"):
            return membership.headcount_page(v, "TN", 1, 100)
        return paging.one_page(membership.headcount(v, "TN"), 1, 100)

    rows, results = [], {}

    def fast(key: str) -> bool:  # a page read from the spans (on code that has them)
        try:
            from services.reporting import warning_spans
        except ImportError:
            return False
        return key.startswith("warnings_page") and warning_spans.built(db, prefix)[0]

    def served_whole(v):  # what the service answers (and an export takes) without a page
        from services.reporting import queries
        from shared.contracts.reporting import ReportQuery
        return queries.REPORTS["warnings"](v, ReportQuery(org_unit_id="TN", as_of=as_of, year=2023))

    units = [r[0] for r in db.query(f"SELECT DISTINCT org_unit_id FROM {prefix}warn_counts ORDER BY 1")] \
        if fast("warnings_page") else []
    cur, prev, year = parse_period("2020-2025"), parse_period("2015-2020"), parse_period("2023")
    as_of = dt.date(2025, 12, 31)
    for structure in ("as_stood", "current"):
        v = View.of(db, prefix, as_of, None, structure)
        s = "" if structure == "as_stood" else ", structure=current"
        term_ms, naive_ms = interleaved(lambda: term_table.term_table(v, "TN", cur, prev),
                                        lambda: naive_term_table(folder, cur, prev), calls)
        p99, naive99 = pct(term_ms, 99), pct(naive_ms, 99)
        rows.append((f"term table, province{s} (p50 / p99)", f"{pct(term_ms, 50):.1f} / {p99:.1f} ms",
                     f"naive SQL over the events {pct(naive_ms, 50):.1f} / {naive99:.1f} ms",
                     f"{naive99 / p99:.1f}× faster at p99, {pct(naive_ms, 50) / pct(term_ms, 50):.1f}× at p50"))
        if structure == "as_stood":
            results.update(report_p50_ms=round(pct(term_ms, 50), 2), report_p99_ms=round(p99, 2),
                           report_naive_p99_ms=round(naive99, 2), report_vs_naive_ratio=round(naive99 / p99, 2),
                           report_vs_naive_ratio_p50=round(pct(naive_ms, 50) / pct(term_ms, 50), 2))
        else:
            results["report_term_current_p99_ms"] = round(p99, 2)
        for key, name, fn in (
            ("headcount", "headcount tree, whole", lambda: membership.headcount(v, "TN")),
            ("headcount_page", "headcount tree, page 1 of 100 units", lambda: page_of_tree(v)),
            ("movement", "movement 2023, province + directs", lambda: membership.movement(v, "TN", year)),
            ("warnings", "warnings 2023, province, whole", lambda: early_warnings.warnings(v, "TN", 2023)),
            ("warnings_served", "warnings 2023, province, whole as served (exports)", lambda: served_whole(v)),
            ("warnings_page", "warnings 2023, province, page 1 of 100 rows", lambda: page_of_warnings(v, 1)),
            ("warnings_page_mid", "warnings 2023, province, page 1,000 of 100 rows", lambda: page_of_warnings(v, 1000)),
            ("warnings_page_cold", "warnings 2023, province, page 1, nothing kept in memory",
             lambda: (forget(), page_of_warnings(v, 1))),
            ("warnings_page_changed", "warnings 2023, province, page 1, first read after a change in one unit",
             lambda: after_a_change(v)),
        ):
            n = calls if key in ("headcount", "headcount_page", "movement") or fast(key) else max(5, calls // 4)
            ms = latencies(fn, n)
            rows.append((f"{name}{s} (p50 / p99)", f"{pct(ms, 50):.1f} / {pct(ms, 99):.1f} ms", "", ""))
            results[f"report_{key}{'_current' if s else ''}_p99_ms"] = round(pct(ms, 99), 2)
    return rows, results


def main() -> None:
    from shared.readmodel import ReadModelDB
    ap = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a folder with reporting.read.db and the event stores")
    ap.add_argument("--calls", type=int, default=30)
    args = ap.parse_args()
    db = ReadModelDB(f"sqlite:///{args.data}/reporting.read.db")
    prefix = db.query("SELECT prefix FROM rp_generation")[0][0]
    from services.reporting import daycounts
    t = time.perf_counter()
    daycounts.ensure(db, prefix)  # as the service does on start: a province counted by an older version
    try:
        from services.reporting import warning_spans
        warning_spans.ensure(db, prefix)  # … and the early-warning spans
    except ImportError:  # code from before them
        pass
    print(f"counts per day ready in {time.perf_counter() - t:.1f} s")
    rows, results = measure(db, prefix, args.data, args.calls)
    width = max(len(r[0]) for r in rows)
    for name, ours, beside, note in rows:
        print(f"{name:<{width}}  {ours:>16}  {beside:>40}  {note}")
    print(results)


if __name__ == "__main__":
    main()
