#!/usr/bin/env bash
# Install the locked dependencies into .venv and start the whole system embedded, with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python.sh
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
# the dashboard's charting library, from the npm registry, checked by sha256 (served locally)
.venv/bin/python scripts/web_assets.py
command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1 || \
  echo "Lưu ý / note: chưa có LibreOffice nên báo cáo năm chỉ tạo được DOCX, không tạo PDF — the yearly report is DOCX only; for PDF install libreoffice-writer-nogui fonts-liberation2 (scripts/ensure-services.sh)" >&2
exec .venv/bin/dangvien up --demo "$@"
