#!/usr/bin/env bash
# Runs unit tests that need a user the file permissions apply to (root reads
# a file of mode 000): as root, under setpriv as nobody; otherwise as the
# caller. A skipped test fails the run, so that the rule is really tested.
# Usage: as_unprivileged.sh UNIT_TEST_BINARY GTEST_FILTER
set -euo pipefail
bin=$1 filter=$2
if [ "$(id -u)" = 0 ]; then
  run=(setpriv --reuid=65534 --regid=65534 --clear-groups "$bin")
else
  run=("$bin")
fi
out=$(cd / && TMPDIR=/tmp "${run[@]}" --gtest_filter="$filter" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -3
if echo "$out" | grep -q '^\[  SKIPPED \]'; then
  echo "FAILED: a test was skipped even without root" >&2
  exit 1
fi
echo "$out" | grep -q '^\[  PASSED  \] [1-9]' || { echo "FAILED: no test ran" >&2; exit 1; }
