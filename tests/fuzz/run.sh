#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang-16) and runs each for
# SECONDS (default 30): the ELF reader, on a seed corpus of real ELF files
# (the test fixtures, a few host programs and libraries, 32-bit and
# big-endian files made with clang-16 and lld-16), and the .note.ldpin
# parser. Crash inputs are kept under build-fuzz/crashes/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_elf_reader fuzz_ldpin_note >/dev/null
mkdir -p build-fuzz/corpus/elf build-fuzz/corpus/note build-fuzz/crashes
for f in /usr/bin/true /usr/bin/ls /usr/lib/x86_64-linux-gnu/libz.so.1 \
         /usr/lib/x86_64-linux-gnu/libc.so.6 build/tests/fixtures/* tests/data/crashes/*; do
  [ -f "$f" ] && cp -f "$f" "build-fuzz/corpus/elf/$(basename "$f")"
done
for t in i386-linux-gnu mips-linux-gnu powerpc64-linux-gnu; do
  clang-16 --target=$t -O1 -fPIC -ffreestanding -c tests/data/foo.c -o "build-fuzz/foo-$t.o"
  ld.lld-16 -shared -soname libfoo.so.1 --version-script tests/data/foo.map \
    --build-id=sha1 "build-fuzz/foo-$t.o" -o "build-fuzz/corpus/elf/libfoo-$t.so"
done

run() { # target corpus-dir
  local log=build-fuzz/$1.log status=0 runs
  "build-fuzz/bin/$1" -max_total_time="$seconds" -max_len=65536 \
    -artifact_prefix="build-fuzz/crashes/$1-" -print_final_stats=1 "$2" \
    >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ "$status" -ne 0 ] || [ -z "$runs" ] || ls build-fuzz/crashes/"$1"-* >/dev/null 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $1 FAILED (exit $status); log in $log, inputs in build-fuzz/crashes/" >&2
    return 1
  fi
  echo "fuzz: $1: $runs inputs in ${seconds}s, no crash"
}
run fuzz_elf_reader build-fuzz/corpus/elf
run fuzz_ldpin_note build-fuzz/corpus/note
