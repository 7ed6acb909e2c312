#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing
# (tests/setup-host.sh), builds (preset `default`), runs every test through
# CTest, then runs the reader's libFuzzer target briefly (preset `fuzz`).
# FUZZ_SECONDS (default 30, for each fuzz target) sets the fuzzing time; 0
# skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup-host.sh
cmake --preset default
cmake --build --preset default
ctest --preset default
fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
  bash tests/fuzz/run.sh "$fuzz_seconds"
fi
