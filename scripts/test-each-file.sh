#!/usr/bin/env bash
# Every test file alone, in its own pytest process (no other file's fixtures, data or imports
# around it): a test that only passes because another file ran first fails here.
#   bash scripts/test-each-file.sh                 # tests/unit tests/contract tests/gateway (CI)
#   bash scripts/test-each-file.sh tests/integration/test_faults.py tests/e2e
# Prints each file's time and the total; exits non-zero if any file fails alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/test.sh --co -q >/dev/null
[ $# -gt 0 ] || set -- tests/unit tests/contract tests/gateway
files=$(find "$@" -name 'test_*.py' -type f | sort)
failed=()
start=$(date +%s)
for f in $files; do
  t0=$(date +%s)
  set +e
  # alone and in file order (the random order is the whole run's job: scripts/test.sh)
  .venv/bin/python -m pytest "$f" -q -p no:randomly >"${TMPDIR:-/tmp}/each-file.$$.log" 2>&1
  code=$?
  set -e
  if [ $code -ne 0 ]; then  # 5 = nothing collected: a file alone that runs nothing is a failure too
    failed+=("$f")
    tail -n 40 "${TMPDIR:-/tmp}/each-file.$$.log"
  fi
  echo "$(( $(date +%s) - t0 ))s  exit $code  $f"
done
rm -f "${TMPDIR:-/tmp}/each-file.$$.log"
echo "== $(echo "$files" | wc -w) files alone in $(( $(date +%s) - start ))s; ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
