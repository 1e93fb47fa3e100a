# Sourced by up.sh and test.sh: PY = a supported Python (3.11, 3.12 or 3.13), or a clear message.
# $PYTHON wins when set; otherwise the first of python3.11, python3.12, python3.13, python3 that is
# a supported version.
supported() { "$1" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; }
PY=""
for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then PY=$(command -v "$candidate"); break; fi
done
if [ -z "$PY" ]; then
  echo "Cần Python 3.11, 3.12 hoặc 3.13 (kèm venv) — Python 3.11, 3.12 or 3.13 with venv is required." >&2
  echo "  Debian/Ubuntu: sudo apt-get install python3 python3-venv   (Ubuntu 24.04: 3.12; Debian 13: 3.13)" >&2
  exit 3
fi
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "Thiếu mô-đun venv cho $PY — venv is missing for $PY: sudo apt-get install python3-venv" >&2
  exit 3
fi
# a .venv made by an unsupported or removed interpreter is made again
if [ -x .venv/bin/python ] && ! supported .venv/bin/python; then rm -rf .venv; fi
