#!/usr/bin/env bash
# The pure and application tests (tests/unit) on every other supported Python this machine has
# (3.12, 3.13: on PATH or under pyenv), each in its own venv — the whole suite runs on the default
# one in scripts/test.sh. A supported Python that is missing here is said, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for v in 3.12 3.13; do
  py=""
  # a pyenv shim on PATH may exist without working (version not selected): try each candidate
  for c in "python$v" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python 2>/dev/null); do
    if "$c" -c 'import sys, venv' >/dev/null 2>&1; then py=$c; break; fi
  done
  if [ -z "$py" ]; then echo "Python $v: not on this machine, skipped"; continue; fi
  venv=".venv-$v"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements.lock
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e .
  echo "== Python $v: tests/unit"
  "$venv/bin/python" -m pytest tests/unit -q -p no:randomly || status=1
done
exit $status
