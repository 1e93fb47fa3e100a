"""scripts/mutate.py, the gate CI runs: which modules it mutates, what it skips, and which
survivors fail the run (only those not listed as equivalent). No mutmut runs here."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("mutate_script", ROOT / "scripts" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate_script"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("mutate_script", None)


TARGETS = ["shared/events.py", "shared/integrity.py", "shared/rules.py"]


# -- the equivalents file ---------------------------------------------------------------------

def test_a_line_names_module_mutant_and_reason(mutate):
    text = "# comment\n\nshared/events.py   x_upcast__mutmut_3   the same version either way\n"
    assert mutate.parse_equivalents(text, TARGETS) == {
        ("shared/events.py", "x_upcast__mutmut_3"): "the same version either way"}


@pytest.mark.parametrize("line, why", [
    ("shared/events.py x_upcast__mutmut_3", "expected 'module mutant reason'"),
    ("shared/other.py x_upcast__mutmut_3 a reason", "not in TARGETS"),
    ("shared/events.py upcast_3 a reason", "not a mutmut mutant name"),
])
def test_a_line_the_gate_cannot_read_is_an_error_not_ignored(mutate, line, why):
    with pytest.raises(ValueError, match=why):
        mutate.parse_equivalents(line, TARGETS)


def test_a_mutant_listed_twice_is_an_error(mutate):
    line = "shared/events.py x_upcast__mutmut_3 reason\n"
    with pytest.raises(ValueError, match="listed twice"):
        mutate.parse_equivalents(line * 2, TARGETS)


def test_the_shipped_list_reads_and_names_only_mutated_modules(mutate):
    listed = mutate.load_equivalents()
    assert listed, "scripts/mutation-equivalents.txt is empty or missing"
    assert {module for module, _ in listed} <= set(mutate.TARGETS)
    assert all(reason.strip() for reason in listed.values())


# -- judging a module's results ---------------------------------------------------------------

def test_only_unlisted_survivors_fail_and_the_score_leaves_equivalents_out(mutate):
    statuses = {
        "shared.events.x_upcast__mutmut_1": "killed",
        "shared.events.x_upcast__mutmut_2": "timeout",
        "shared.events.x_upcast__mutmut_3": "survived",      # listed
        "shared.events.x_upcast__mutmut_4": "survived",      # not listed: a hole
        "shared.events.x_fold__mutmut_1": "no tests",        # reached by no test: a hole
    }
    equivalents = {("shared/events.py", "x_upcast__mutmut_3"): "why"}
    result = mutate.judge("shared/events.py", statuses, equivalents)
    assert result["survivors"] == ["x_fold__mutmut_1", "x_upcast__mutmut_4"]
    assert result["equivalents"] == ["x_upcast__mutmut_3"]
    assert (result["killed"], result["judged"], result["score"]) == (2, 4, 50.0)


def test_an_equivalent_of_another_module_does_not_excuse_a_survivor(mutate):
    statuses = {"shared.events.x_upcast__mutmut_3": "survived"}
    result = mutate.judge("shared/events.py", statuses, {("shared/rules.py", "x_upcast__mutmut_3"): "why"})
    assert result["survivors"] == ["x_upcast__mutmut_3"]


def test_a_listed_mutant_now_killed_or_gone_is_named_stale(mutate):
    statuses = {"shared.events.x_upcast__mutmut_3": "killed"}
    equivalents = {("shared/events.py", "x_upcast__mutmut_3"): "why",
                   ("shared/events.py", "x_upcast__mutmut_99"): "why"}
    result = mutate.judge("shared/events.py", statuses, equivalents)
    assert result["stale"] == ["x_upcast__mutmut_3", "x_upcast__mutmut_99"]
    assert result["survivors"] == []


# -- the budget ------------------------------------------------------------------------------

def test_the_budget_takes_modules_in_order_while_their_measured_time_fits(mutate):
    costs = {"shared/events.py": 600, "shared/integrity.py": 500, "shared/rules.py": 300}
    run, skipped = mutate.plan(TARGETS, 900, costs)
    assert run == ["shared/events.py", "shared/rules.py"]
    assert [m for m, _ in skipped] == ["shared/integrity.py"]
    assert "500 s" in skipped[0][1] and "300 s" in skipped[0][1]  # its estimate, what was left


def test_a_module_exactly_filling_the_budget_runs(mutate):
    assert mutate.plan(["shared/rules.py"], 300, {"shared/rules.py": 300}) == (["shared/rules.py"], [])
    assert mutate.plan(["shared/rules.py"], 299, {"shared/rules.py": 300})[0] == []


def test_a_module_never_measured_is_skipped_under_a_budget_but_runs_without_one(mutate):
    run, skipped = mutate.plan(["shared/rules.py"], 10_000, {})
    assert run == [] and "no measured time" in skipped[0][1]
    assert mutate.plan(["shared/rules.py"], None, {}) == (["shared/rules.py"], [])


# -- the base -------------------------------------------------------------------------------

def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, {"shared/events.py": "a = 1\n", "shared/rules.py": "b = 1\n"}, "first")
    return tmp_path


def test_a_clone_without_the_parent_commit_has_no_base(mutate, repo):
    assert mutate.resolve_base("HEAD^", cwd=repo) is None          # one commit: as a depth-1 clone
    assert mutate.resolve_base("no-such-branch", cwd=repo) is None
    assert mutate.resolve_base("HEAD", cwd=repo) is not None


def test_outside_a_git_checkout_there_is_no_base(mutate, tmp_path):
    assert mutate.resolve_base("HEAD^", cwd=tmp_path) is None


def test_changed_modules_are_those_the_last_commit_touched(mutate, repo):
    commit(repo, {"shared/rules.py": "b = 2\n", "README": "x\n"}, "second")
    base = mutate.resolve_base("HEAD^", cwd=repo)
    assert mutate.changed_since(base, cwd=repo, targets=TARGETS) == ["shared/rules.py"]


def test_a_merge_commits_first_parent_covers_the_whole_branch(mutate, repo):
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, {"shared/events.py": "a = 2\n"}, "topic 1")
    commit(repo, {"shared/rules.py": "b = 2\n"}, "topic 2")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge topic", "topic")
    base = mutate.resolve_base("HEAD^", cwd=repo)
    assert mutate.changed_since(base, cwd=repo, targets=TARGETS) == ["shared/events.py", "shared/rules.py"]


# -- the whole command, mutmut stood in for --------------------------------------------------

def test_an_unresolvable_base_prints_a_notice_and_passes(mutate, capsys):
    assert mutate.main(["--changed", "no-such-branch-for-mutation", "--budget", "600"]) == 0
    assert "not in this checkout" in capsys.readouterr().out


def test_modules_over_the_budget_are_skipped_with_a_notice_and_pass(mutate, monkeypatch, capsys):
    monkeypatch.setattr(mutate, "resolve_base", lambda base: "abc")
    monkeypatch.setattr(mutate, "changed_since", lambda base: ["shared/events.py"])
    monkeypatch.setattr(mutate, "COSTS", {"shared/events.py": 5000})
    monkeypatch.setattr(mutate.subprocess, "run", lambda *a, **k: pytest.fail("nothing should run"))
    assert mutate.main(["--changed", "HEAD^", "--budget", "600"]) == 0
    assert "shared/events.py skipped (estimated 5000 s, 600 s of the budget left)" in capsys.readouterr().out


@pytest.mark.parametrize("listed, code", [(True, 0), (False, 1)])
def test_the_run_fails_only_for_a_survivor_not_listed(mutate, monkeypatch, tmp_path, capsys, listed, code):
    fake = tmp_path / "mutmut"
    fake.write_text("")
    monkeypatch.setattr(mutate, "MUTMUT", fake)
    monkeypatch.setattr(mutate, "workdir", lambda path: tmp_path)
    monkeypatch.setattr(mutate.subprocess, "run", lambda *a, **k: types.SimpleNamespace(returncode=0))
    monkeypatch.setattr(mutate, "statuses", lambda work: {"shared.rules.x_rule__mutmut_1": "killed",
                                                          "shared.rules.x_rule__mutmut_2": "survived"})
    monkeypatch.setattr(mutate, "load_equivalents",
                        lambda: {("shared/rules.py", "x_rule__mutmut_2"): "why"} if listed else {})
    assert mutate.main([str(ROOT / "shared" / "rules.py")]) == code
    out = capsys.readouterr().out
    assert ("survived, not listed as equivalent: x_rule__mutmut_2" in out) is not listed


@pytest.mark.parametrize("codes, expected", [([1, 0], 0), ([1, 1], 1)])
def test_mutmut_failing_on_the_unmutated_tests_is_retried_once(mutate, monkeypatch, tmp_path, codes, expected):
    fake = tmp_path / "mutmut"
    fake.write_text("")
    runs = iter(codes)
    monkeypatch.setattr(mutate, "MUTMUT", fake)
    monkeypatch.setattr(mutate, "workdir", lambda path: tmp_path)
    monkeypatch.setattr(mutate.subprocess, "run", lambda *a, **k: types.SimpleNamespace(returncode=next(runs)))
    monkeypatch.setattr(mutate, "statuses", lambda work: {"shared.rules.x_rule__mutmut_1": "killed"})
    assert mutate.main([str(ROOT / "shared" / "rules.py")]) == expected
