#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang-16) and runs each for
# SECONDS (default 30): the ELF reader, on a seed corpus of real ELF files
# (the test fixtures, a few host programs and libraries, 32-bit and
# big-endian files made with clang-16 and lld-16), the .note.ldpin parser,
# the in-place editor, on the same ELF files and on programs and
# libraries linked through ldpin-ld (build/bin/ldpin-ld, when it has been
# built) with each linker, which carry a record and its reserved space, and
# the audit module's reader (audit/elf_view.h, hosted) on the editor's seeds,
# and the ld.so.cache reader, on this machine's cache.
# Crash inputs are kept under build-fuzz/crashes/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_elf_reader fuzz_ldpin_note fuzz_editor fuzz_audit_view fuzz_ld_cache >/dev/null
mkdir -p build-fuzz/corpus/elf build-fuzz/corpus/note build-fuzz/corpus/editor build-fuzz/corpus/cache build-fuzz/crashes
[ -f /etc/ld.so.cache ] && cp -f /etc/ld.so.cache build-fuzz/corpus/cache/host-ld.so.cache
for f in /usr/bin/true /usr/bin/ls /usr/lib/x86_64-linux-gnu/libz.so.1 \
         /usr/lib/x86_64-linux-gnu/libc.so.6 build/tests/fixtures/* tests/data/crashes/*; do
  [ -f "$f" ] || continue
  for d in elf editor; do
    cp -f "$f" "build-fuzz/corpus/$d/$(basename "$f")"
  done
done
for t in i386-linux-gnu mips-linux-gnu powerpc64-linux-gnu; do
  clang-16 --target=$t -O1 -fPIC -ffreestanding -c tests/data/foo.c -o "build-fuzz/foo-$t.o"
  ld.lld-16 -shared -soname libfoo.so.1 --version-script tests/data/foo.map \
    --build-id=sha1 "build-fuzz/foo-$t.o" -o "build-fuzz/corpus/elf/libfoo-$t.so"
  cp -f "build-fuzz/corpus/elf/libfoo-$t.so" build-fuzz/corpus/editor/
done

# Wrapper-linked seeds for the editor: a library with a SONAME and a program
# that needs it, with a build-tree RUNPATH, through ldpin-ld running each
# linker (as tests/harness.py sets it up).
if [ -x build/bin/ldpin-ld ]; then
  w=$(mktemp -d "${TMPDIR:-/tmp}/ldpin-fuzz-seeds-XXXXXX")
  mkdir -p "$w/wrap/bin" "$w/wrap/nix-support" "$w/store/0-foo/lib" "$w/build"
  ln -s "$PWD/build/bin/ldpin-ld" "$w/wrap/bin/ld"
  printf 'int foo_value(void) { return 7; }\n' >"$w/foo.c"
  printf 'int foo_value(void);\nint main(void) { return foo_value() - 7; }\n' >"$w/main.c"
  for linker in ld.bfd ld.gold ld.lld mold; do
    command -v $linker >/dev/null || continue
    command -v $linker >"$w/wrap/nix-support/ldpin-linker"
    env -u LDPIN_LINKER -u LDPIN_CONFIG NIX_STORE="$w/store" NIX_BUILD_TOP="$w/build" TMPDIR="$w/build" \
      sh -c "gcc -B$w/wrap/bin/ -shared -fPIC $w/foo.c -Wl,-soname,libfoo.so.1 \
               -o $w/store/0-foo/lib/libfoo.so.1 &&
             ln -sf libfoo.so.1 $w/store/0-foo/lib/libfoo.so &&
             gcc -B$w/wrap/bin/ $w/main.c -L$w/store/0-foo/lib -lfoo \
               -Wl,-rpath,$w/build/lib -o $w/build/prog"
    cp -f "$w/store/0-foo/lib/libfoo.so.1" "build-fuzz/corpus/editor/ldpin-libfoo-$linker.so"
    cp -f "$w/build/prog" "build-fuzz/corpus/editor/ldpin-prog-$linker"
  done
  rm -rf "$w"
else
  echo "fuzz: no build/bin/ldpin-ld: the editor's corpus has no wrapper-linked files" >&2
fi

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
run fuzz_editor build-fuzz/corpus/editor
run fuzz_audit_view build-fuzz/corpus/editor
run fuzz_ld_cache build-fuzz/corpus/cache
