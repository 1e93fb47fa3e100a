#!/usr/bin/env bash
# Make sure RabbitMQ, PostgreSQL, a headless Chromium and LibreOffice are installed and running (Debian).
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
apt_updated=""
need() {  # need PACKAGE...: install missing Debian packages
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ -n "$apt_updated" ] || { $SUDO apt-get update -q >/dev/null; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  echo "service on port $1 did not come up" >&2; return 1
}

if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || need rabbitmq-server
  $SUDO rabbitmq-server -detached || true
  wait_port 5672
fi
if ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null || need postgresql
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_port 5432
fi
# the dashboard's end-to-end test drives Debian's Chromium
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || need chromium chromium-driver
# the yearly report (D8) as PDF: LibreOffice headless renders the DOCX; Liberation Serif (metric
# twin of Times New Roman, with Vietnamese) stands in for Times New Roman; poppler's pdftoppm and
# pdftotext read the PDF back in the tests
command -v soffice >/dev/null || need libreoffice-writer-nogui
need fonts-liberation2 poppler-utils
echo "services ready: rabbitmq :5672, postgresql :5432, chromium, libreoffice, poppler"
