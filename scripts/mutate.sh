#!/usr/bin/env bash
# Mutation testing (mutmut) of the kernel and the domain modules, one command:
#   bash scripts/mutate.sh [path.py ...]     (no path: every module listed in scripts/mutate.py)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
[ -x .venv/bin/mutmut ] || .venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/pip show -q dangvien >/dev/null 2>&1 || .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
exec .venv/bin/python scripts/mutate.py "$@"
