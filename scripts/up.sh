#!/usr/bin/env bash
# Install the locked dependencies into .venv and start the whole system embedded, with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python.sh
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
exec .venv/bin/dangvien up --demo "$@"
