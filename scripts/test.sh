#!/usr/bin/env bash
# Install the locked dependencies into .venv and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python.sh
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
# the dashboard's charting library, from the npm registry, checked by sha256 (served locally)
.venv/bin/python scripts/web_assets.py
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ $code -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi
exit $code
