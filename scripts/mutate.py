"""Mutation testing of the pure modules with mutmut (pinned in requirements.lock).

    bash scripts/mutate.sh                      # every module in TARGETS (slow: hours on 2 cores)
    bash scripts/mutate.sh services/discipline/domain.py shared/rules.py
    bash scripts/mutate.sh --changed main        # only the modules of TARGETS changed since main
    bash scripts/mutate.sh --changed HEAD^ --budget 1800   # what CI runs (.ci/run)

Each module runs in its own work folder ``.mutmut/<module>/`` (kept between runs, so a second run
only re-tests what changed) against the unit tests that exercise it (``TESTS``). The score of each
module is printed and written to ``.mutmut/<module>/score.json``; ``mutmut results`` /
``mutmut show <name>`` inside that folder list and show the survivors. Survivors are either killed
by a new test or written down as equivalent in ``scripts/mutation-equivalents.txt`` (module, mutant,
reason); the exit status is non-zero only for a survivor not listed there (or a failed run).

``--budget SECONDS`` plans the run from the times measured in ``COSTS`` before anything runs (the
same change always selects the same modules): a module that does not fit in what is left, or has
no measured time, is skipped with a notice. A base that cannot be resolved (a shallow clone, an
unknown branch) is a notice too, not a failure.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"

#: the kernel's pure modules and every domain module (no I/O: unit tests run them in-process)
TARGETS = [
    "shared/application.py", "shared/buffered.py", "shared/dates.py", "shared/holidays.py", "shared/errors.py",
    "shared/events.py", "shared/inputcheck.py",
    "shared/importing.py", "shared/integrity.py", "shared/partitioning.py", "shared/personal.py", "shared/projection.py",
    "shared/rules.py", "shared/tokens.py",
    "services/members/domain.py", "services/members/candidates.py",
    "services/members/lifecycle.py", "services/members/rating.py",
    "services/meetings/domain.py", "services/meetings/dues.py", "services/meetings/quality.py",
    "services/discipline/domain.py", "services/discipline/effect.py",
    "services/reporting/domain.py", "services/reporting/periods.py",
]

#: which tests judge a module (the narrowest folder that covers it: mutmut runs each mutant only
#: against the tests that reach the mutated function, but collects that map over this selection)
TESTS = [
    (re.compile(r"^services/(\w+)/"), lambda m: [f"tests/unit/{m.group(1)}", "tests/unit/domain"]),
    # working days and month arithmetic: the deadline tests of members and the calendar's own
    (re.compile(r"^shared/(dates|holidays)\.py$"), lambda m: ["tests/unit/members", "tests/unit/spine/test_calendar.py"]),
    (re.compile(r"^shared/inputcheck\.py$"), lambda m: ["tests/unit/spine/test_inputcheck.py"]),
    # the hash chain and its verifier: judged on a real SQLite store (the same code runs for
    # PostgreSQL; a fresh PostgreSQL database per mutant would multiply the run's time)
    (re.compile(r"^shared/(events|integrity)\.py$"),
     lambda m: ["tests/unit/spine", "tests/unit/test_integrity_key.py", "tests/contract/test_tamper.py",
                "tests/contract/test_eventstore_contract.py", "-k", "not postgres and not kurrentdb"]),
    # refusals, partitions and the dated rule table: judged by their own spine tests (the contract
    # tests never reach a line of them that the spine tests do not)
    (re.compile(r"^shared/errors\.py$"), lambda m: ["tests/unit/spine"]),
    (re.compile(r"^shared/partitioning\.py$"),
     lambda m: ["tests/unit/spine/test_partitioning.py",
                "tests/unit/reporting/test_partitions.py::test_partition_setting_is_checked"]),
    (re.compile(r"^shared/rules\.py$"), lambda m: ["tests/unit/spine/test_rules_table.py", "tests/unit/domain"]),
    # Fernet tokens: judged against Fernet itself and by the vault that seals with them
    (re.compile(r"^shared/tokens\.py$"),
     lambda m: ["tests/unit/spine/test_tokens.py", "tests/unit/spine/test_personal_vault.py"]),
    # the projection runner, imports, buffering and sealed personal data: the same, on SQLite
    (re.compile(r"^shared/(projection|importing|buffered|personal)\.py$"),
     lambda m: ["tests/unit/spine", "tests/contract/test_eventstore_contract.py",
                "tests/contract/test_import_commit.py", "-k", "not postgres and not kurrentdb"]),
    (re.compile(r"^shared/"), lambda m: ["tests/unit/spine", "tests/contract/test_eventstore_contract.py",
                                         "tests/contract/test_import_commit.py"]),
]


#: seconds one run of a module took from an empty ``.mutmut/`` on the shared 2-core machine (stats
#: included; ``seconds`` in its score.json): what ``--budget`` plans with. A module without a row
#: is never run under a budget: measure it by hand and add its row.
COSTS = {
    "shared/dates.py": 300,
    "shared/events.py": 170,        # 162 s measured
    "shared/integrity.py": 410,     # 157 s and 402 s measured (load varies): the slower
    "shared/holidays.py": 360,
    "shared/inputcheck.py": 420,
    "services/discipline/domain.py": 480,   # 316 s measured at load 6
    "shared/errors.py": 110,        # 106 s and 84 s measured from an empty .mutmut/
    "shared/partitioning.py": 15,   # 13 s measured
    "shared/rules.py": 35,          # 32 s measured
    "shared/projection.py": 690,    # 687 s measured at load 6-9 (297 s before the batches, quieter), MUTATE_JOBS=1
    "shared/importing.py": 390,     # 380 s measured, MUTATE_JOBS=1
    "shared/buffered.py": 100,      # 93 s measured, MUTATE_JOBS=1
    "shared/personal.py": 330,      # 83 s measured, then 324 s at load ~5 (issue 15), MUTATE_JOBS=1
    "shared/tokens.py": 40,         # 24 s measured at load ~4
    "services/members/domain.py": 110,   # 73 s measured from an empty .mutmut/ at load ~1.5
}

EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.txt"
#: statuses that count against the score and fail a run unless listed as equivalent
HOLES = ("survived", "no tests")


def parse_equivalents(text: str, targets=None) -> dict[tuple[str, str], str]:
    """``{(module, mutant): reason}`` from the equivalents file: one mutant a line, ``module mutant
    reason...`` separated by spaces, ``#`` comments and blank lines ignored. A line without a
    reason, a mutant not named as mutmut names them, an unknown module or a mutant listed twice is
    an error: a list that silently drops a line would let a real survivor through."""
    targets = TARGETS if targets is None else targets
    out: dict[tuple[str, str], str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise ValueError(f"mutation-equivalents.txt line {n}: expected 'module mutant reason', got {line!r}")
        module, mutant, reason = parts
        if module not in targets:
            raise ValueError(f"mutation-equivalents.txt line {n}: {module} is not in TARGETS of scripts/mutate.py")
        if not re.fullmatch(r"x\S*__mutmut_\d+", mutant):
            raise ValueError(f"mutation-equivalents.txt line {n}: {mutant!r} is not a mutmut mutant name "
                             "(x_<function>__mutmut_<n>, as `mutmut results` prints it after the module)")
        if (module, mutant) in out:
            raise ValueError(f"mutation-equivalents.txt line {n}: {module} {mutant} listed twice")
        out[(module, mutant)] = reason
    return out


def load_equivalents() -> dict[tuple[str, str], str]:
    return parse_equivalents(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else {}


def short_name(module: str, mutant: str) -> str:
    """``x_check__mutmut_3`` from ``shared.events.x_check__mutmut_3`` (how the file lists it)."""
    prefix = module.removesuffix(".py").replace("/", ".") + "."
    return mutant[len(prefix):] if mutant.startswith(prefix) else mutant


def judge(module: str, statuses: dict[str, str], equivalents: dict[tuple[str, str], str]) -> dict:
    """Split a module's mutants (``{name: status}`` as mutmut reports them) into killed, listed
    equivalents, unlisted survivors (the failures) and stale listings (listed, but no longer
    surviving: the code changed, or a test now kills it; to be removed from the file)."""
    killed = 0
    listed, holes, counts = [], [], {}
    for name, status in statuses.items():
        counts[status] = counts.get(status, 0) + 1
        short = short_name(module, name)
        if status in HOLES:
            if (module, short) in equivalents:
                listed.append(short)
            else:
                holes.append(short)
        elif status in ("killed", "timeout", "caught by type check"):
            killed += 1
    mine = {m for (mod, m) in equivalents if mod == module}
    present = {short_name(module, n) for n in statuses}
    stale = sorted(m for m in mine if m not in listed and m in present)
    missing = sorted(m for m in mine if m not in present)
    judged = killed + len(holes)
    return {"counts": counts, "killed": killed, "judged": judged, "equivalent": len(listed),
            "score": round(100 * killed / judged, 1) if judged else None,
            "survivors": sorted(holes), "equivalents": sorted(listed), "stale": stale + missing}


def plan(changed: list[str], budget: float | None, costs: dict[str, float] | None = None):
    """Which changed modules to run within ``budget`` seconds, in TARGETS order, from the measured
    ``costs``: ``(run, [(module, why skipped)])``. Decided before anything runs, so the same change
    and budget always select the same modules."""
    costs = COSTS if costs is None else costs
    if budget is None:
        return list(changed), []
    run, skipped, left = [], [], float(budget)
    for module in changed:
        cost = costs.get(module)
        if cost is None:
            skipped.append((module, "no measured time in COSTS of scripts/mutate.py"))
        elif cost > left:
            skipped.append((module, f"estimated {cost:.0f} s, {left:.0f} s of the budget left"))
        else:
            run.append(module)
            left -= cost
    return run, skipped


def resolve_base(base: str, cwd: Path = ROOT) -> str | None:
    """The commit ``base`` names, or None when this checkout cannot tell (no git, a shallow clone
    without the parent, an unknown branch)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], cwd=cwd,
                             capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def tests_for(path: str) -> list[str]:
    for pattern, tests in TESTS:
        if m := pattern.match(path):
            return tests(m)
    raise SystemExit(f"no tests known for {path}: add a row to TESTS in scripts/mutate.py")


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def workdir(path: str) -> Path:
    """A folder that looks like the repository (links) with a pyproject naming this one module."""
    work = ROOT / ".mutmut" / path.replace("/", "__").removesuffix(".py")
    work.mkdir(parents=True, exist_ok=True)
    # bench/: tests/unit/reporting/test_fast_paths.py builds its history with bench.replay
    for name in ("shared", "services", "dangvien", "tests", "bench"):
        link = work / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    base = (ROOT / "pyproject.toml").read_text()
    config = f"""
[tool.mutmut]
source_paths = ["shared", "services"]
only_mutate = [{json.dumps(path)}]
also_copy = ["tests", "dangvien", "bench", "pyproject.toml"]
pytest_add_cli_args_test_selection = {toml_list(tests_for(path))}
# the fixed order mutmut's test-to-function map was made in
# (tests that start a server process would run the unmutated code: left out)
pytest_add_cli_args = ["-p", "no:randomly", "-q", "--ignore=tests/unit/members/test_http_errors.py",
                       "--ignore=tests/unit/test_cli_settings.py"]
# lines that are only the wording of a message (its code and dates are asserted by the tests;
# rewording a sentence is not a defect mutation can judge)
do_not_mutate_patterns = ['^\\s*f?"[^"]*"[,)\\s]*$']
"""
    (work / "pyproject.toml").write_text(base + config)
    return work


def statuses(work: Path) -> dict[str, str]:
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True, text=True)
    found = {}
    for line in out.stdout.splitlines():
        if ":" in line:
            name, status = (s.strip() for s in line.rsplit(":", 1))
            found[name] = status
    return found


def changed_since(base: str, cwd: Path = ROOT, targets=None) -> list[str]:
    """The modules of TARGETS this branch changed since it left ``base`` (their merge base), work
    tree included: what others merged into ``base`` meanwhile is not this change's."""
    targets = TARGETS if targets is None else targets
    fork = subprocess.run(["git", "merge-base", base, "HEAD"], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()
    out = subprocess.run(["git", "diff", "--name-only", fork, "--"], cwd=cwd, capture_output=True, text=True,
                         check=True)
    changed = set(out.stdout.split())
    return [t for t in targets if t in changed]


def parse_args(args: list[str]) -> tuple[str | None, float | None, list[str]]:
    base = budget = None
    paths = []
    it = iter(args)
    for a in it:
        if a == "--retest":  # kept for habit: survivors are re-tested whenever a work folder is reused
            continue
        elif a == "--changed":
            base = next(it, None)
            if base is None:
                raise SystemExit("usage: scripts/mutate.sh --changed BASE [--budget SECONDS]")
        elif a == "--budget":
            try:
                budget = float(next(it))
            except (StopIteration, ValueError):
                raise SystemExit("usage: --budget SECONDS (a number)")
        else:
            paths.append(a)
    if base is not None and paths:
        raise SystemExit("--changed BASE takes no paths")
    return base, budget, paths


def main(args: list[str]) -> int:
    base, budget, paths = parse_args(args)
    equivalents = load_equivalents()
    if base is not None:
        commit = resolve_base(base)
        if commit is None:
            print(f"== mutation: base {base!r} is not in this checkout (shallow clone? set DANGVIEN_MUTATE_BASE): "
                  "nothing mutated", flush=True)
            return 0
        paths = changed_since(commit)
        if not paths:
            print(f"== mutation: no module of scripts/mutate.py TARGETS changed since {base}: nothing to mutate")
            return 0
    paths = [os.path.relpath(Path(p).resolve(), ROOT) for p in (paths or TARGETS)]
    paths, skipped = plan(paths, budget)
    for module, why in skipped:
        print(f"== mutation: {module} skipped ({why}); run it by hand: bash scripts/mutate.sh {module}", flush=True)
    if not paths:
        return 0
    if not MUTMUT.exists():
        raise SystemExit("mutmut is not installed: bash scripts/test.sh --co -q (installs requirements.lock)")
    worst = 0
    for path in paths:
        if not (ROOT / path).is_file():
            raise SystemExit(f"{path}: not a file of this repository")
        reused = (ROOT / ".mutmut" / path.replace("/", "__").removesuffix(".py") / "mutants").exists()
        work = workdir(path)
        print(f"== {path}: tests {' '.join(tests_for(path))}", flush=True)
        env = {**os.environ, "DANGVIEN_REQUIRE_SERVICES": os.environ.get("DANGVIEN_REQUIRE_SERVICES", "0")}
        started = time.monotonic()
        run = subprocess.run([str(MUTMUT), "run", "--max-children", os.environ.get("MUTATE_JOBS", "2")],
                             cwd=work, env=env)
        if run.returncode != 0:
            # the unmutated tests failed (stats or clean run): once more before calling it a failure,
            # so one test failing by chance on a loaded machine does not fail CI
            print(f"== {path}: mutmut exited with {run.returncode}; running it once more", flush=True)
            run = subprocess.run([str(MUTMUT), "run", "--max-children", os.environ.get("MUTATE_JOBS", "2")],
                                 cwd=work, env=env)
        found = statuses(work)
        if reused and run.returncode == 0:
            # mutmut keeps a survivor's verdict when tests are added: test the survivors again
            again = [name for name, status in found.items() if status in HOLES]
            if again:
                run = subprocess.run([str(MUTMUT), "run", "--max-children", os.environ.get("MUTATE_JOBS", "2"),
                                      *again], cwd=work, env=env)
                found = statuses(work)
        seconds = round(time.monotonic() - started)
        result = judge(path, found, equivalents)
        (work / "score.json").write_text(json.dumps({"module": path, "seconds": seconds, **result}, indent=1))
        print(f"== {path}: {result['killed']}/{result['judged']} killed ({result['score']} %), "
              f"{result['equivalent']} listed as equivalent, {seconds} s", flush=True)
        if result["stale"]:
            print(f"== {path}: listed as equivalent but no longer surviving (remove from "
                  f"scripts/mutation-equivalents.txt): {' '.join(result['stale'])}", flush=True)
        if result["survivors"]:
            print(f"== {path}: survived, not listed as equivalent: {' '.join(result['survivors'])}", flush=True)
            worst = max(worst, 1)
        if run.returncode != 0:
            print(f"== {path}: mutmut exited with {run.returncode}", flush=True)
            worst = max(worst, run.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
