#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang-16) and runs the ELF
# reader fuzzer for SECONDS (default 60) on a seed corpus of real ELF files:
# the test fixtures, a few host programs and libraries, and 32-bit and
# big-endian files made with clang-16 and lld-16. Crashes are kept under
# build-fuzz/crashes/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_elf_reader >/dev/null
corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/crashes
for f in /usr/bin/true /usr/bin/ls /usr/lib/x86_64-linux-gnu/libz.so.1 \
         /usr/lib/x86_64-linux-gnu/libc.so.6 build/tests/fixtures/*; do
  [ -f "$f" ] && cp -f "$f" "$corpus/$(basename "$f")"
done
for t in i386-linux-gnu mips-linux-gnu powerpc64-linux-gnu; do
  clang-16 --target=$t -O1 -fPIC -ffreestanding -c tests/data/foo.c -o "build-fuzz/foo-$t.o"
  ld.lld-16 -shared -soname libfoo.so.1 --version-script tests/data/foo.map \
    --build-id=sha1 "build-fuzz/foo-$t.o" -o "$corpus/libfoo-$t.so"
done
log=build-fuzz/fuzz_elf_reader.log
status=0
build-fuzz/bin/fuzz_elf_reader -max_total_time="$seconds" -max_len=65536 \
  -artifact_prefix=build-fuzz/crashes/ -print_final_stats=1 "$corpus" \
  >"$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ "$status" -ne 0 ] || [ -z "$runs" ] || [ -n "$(ls -A build-fuzz/crashes)" ]; then
  tail -40 "$log" >&2
  echo "fuzz: FAILED (exit $status); log in $log, inputs in build-fuzz/crashes/" >&2
  exit 1
fi
echo "fuzz: $runs inputs in ${seconds}s, no crash"
