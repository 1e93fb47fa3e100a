"""Mutation testing of the pure modules with mutmut (pinned in requirements.lock).

    bash scripts/mutate.sh                      # every module in TARGETS (slow: hours on 2 cores)
    bash scripts/mutate.sh services/discipline/domain.py shared/rules.py
    bash scripts/mutate.sh --changed main        # only the modules of TARGETS changed since main
    bash scripts/mutate.sh --retest services/discipline/domain.py   # re-judge the last survivors

mutmut keeps each mutant's result while its function is unchanged: new tests alone do not make it
run a survivor again. ``--retest`` runs the survivors of the last run (``score.json``) again, so the
score after the new tests is measured, not assumed.

Each module runs in its own work folder ``.mutmut/<module>/`` (kept between runs, so a second run
only re-tests what changed) against the unit tests that exercise it (``TESTS``). The score of each
module is printed and written to ``.mutmut/<module>/score.json``; ``mutmut results`` /
``mutmut show <name>`` inside that folder list and show the survivors. Survivors are either killed
by a new test or written down as equivalent in docs/mutation-testing.md.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"

#: the kernel's pure modules and every domain module (no I/O: unit tests run them in-process)
TARGETS = [
    "shared/application.py", "shared/buffered.py", "shared/dates.py", "shared/holidays.py", "shared/errors.py",
    "shared/events.py", "shared/inputcheck.py",
    "shared/importing.py", "shared/partitioning.py", "shared/personal.py", "shared/projection.py",
    "shared/rules.py",
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
    (re.compile(r"^shared/rules\.py$"), lambda m: ["tests/unit"]),
    # working days and month arithmetic: the deadline tests of members and the calendar's own
    (re.compile(r"^shared/(dates|holidays)\.py$"), lambda m: ["tests/unit/members", "tests/unit/spine/test_calendar.py"]),
    (re.compile(r"^shared/inputcheck\.py$"), lambda m: ["tests/unit/spine/test_inputcheck.py"]),
    (re.compile(r"^shared/"), lambda m: ["tests/unit/spine", "tests/contract/test_eventstore_contract.py",
                                         "tests/contract/test_import_commit.py"]),
]


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


def score(work: Path) -> dict:
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True, text=True)
    counts: dict[str, int] = {}
    survivors = []
    for line in out.stdout.splitlines():
        if ":" not in line:
            continue
        name, status = (s.strip() for s in line.rsplit(":", 1))
        counts[status] = counts.get(status, 0) + 1
        if status in ("survived", "no tests"):
            survivors.append(name)
    killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("caught by type check", 0)
    # a mutant no test reaches is a hole as much as one that survives its tests
    judged = killed + counts.get("survived", 0) + counts.get("no tests", 0)
    return {"counts": counts, "killed": killed, "judged": judged,
            "score": round(100 * killed / judged, 1) if judged else None, "survivors": survivors}


def changed_since(base: str) -> list[str]:
    """The modules of TARGETS this branch changed since it left ``base`` (their merge base), work
    tree included: what others merged into ``base`` meanwhile is not this change's."""
    fork = subprocess.run(["git", "merge-base", base, "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    out = subprocess.run(["git", "diff", "--name-only", fork, "--"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    changed = set(out.stdout.split())
    return [t for t in TARGETS if t in changed]


def main(paths: list[str]) -> int:
    retest = paths[:1] == ["--retest"]
    if retest:
        paths = paths[1:]
    if paths[:1] == ["--changed"]:
        if len(paths) != 2:
            raise SystemExit("usage: scripts/mutate.sh --changed BASE   (a commit or branch, e.g. main)")
        paths = changed_since(paths[1])
        if not paths:
            print(f"== no module of scripts/mutate.py TARGETS changed since {sys.argv[2]}: nothing to mutate")
            return 0
    if not MUTMUT.exists():
        raise SystemExit("mutmut is not installed: bash scripts/test.sh --co -q (installs requirements.lock)")
    worst = 0
    for path in paths or TARGETS:
        path = os.path.relpath(Path(path).resolve(), ROOT)
        if not (ROOT / path).is_file():
            raise SystemExit(f"{path}: not a file of this repository")
        work = workdir(path)
        print(f"== {path}: tests {' '.join(tests_for(path))}", flush=True)
        env = {**os.environ, "DANGVIEN_REQUIRE_SERVICES": os.environ.get("DANGVIEN_REQUIRE_SERVICES", "0")}
        names = []
        if retest and (work / "score.json").exists():
            names = json.loads((work / "score.json").read_text())["survivors"]
            print(f"== {path}: re-testing the {len(names)} survivors of the last run", flush=True)
        run = subprocess.run([str(MUTMUT), "run", "--max-children", os.environ.get("MUTATE_JOBS", "2"), *names],
                             cwd=work, env=env)
        worst = max(worst, run.returncode)
        result = score(work)
        (work / "score.json").write_text(json.dumps({"module": path, **result}, indent=1))
        print(f"== {path}: {result['killed']}/{result['judged']} killed ({result['score']} %), "
              f"{len(result['survivors'])} survived: {' '.join(result['survivors'])}", flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
