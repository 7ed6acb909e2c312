#!/usr/bin/env bash
# The development shell, for real: `nix-shell nix/pkgs -A shell` (zlib and
# libpng from the store), in which `cc` compiles and links a program against
# both. Through ldpin the program must load them by absolute path, with no
# RUNPATH, no LD_LIBRARY_PATH and no failed library lookup; the same shell
# with the stock linker setup is built first and must show what ldpin
# removes (RUNPATH entries and bare names), so the test can fail.
# Needs the default CMake build (build/bin) and the Nix store; builds zlib
# and libpng if they are not in the store yet. Exits 1 on a failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
hostHash=$(bash nix/host-hash.sh)
work=$(mktemp -d /tmp/ldpin-devshell-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/main.c" <<'C'
#include <png.h>
#include <stdio.h>
#include <zlib.h>
int main(void) {
  printf("zlib %s libpng %lu\n", zlibVersion(), (unsigned long)png_access_version_number());
  return 0;
}
C
status=0
fail() { echo "FAILED: devshell ($1): $2" >&2; status=1; }
for linking in stock ldpin; do
  echo "== nix-shell nix/pkgs -A shell ($linking)" >&2
  if ! nix-shell nix/pkgs -A shell --argstr hostHash "$hostHash" --argstr linking "$linking" \
      --arg ldpinBin "$PWD/build/bin" --run "cd $work && cc main.c -lpng -lz -o prog-$linking" \
      > "$work/shell-$linking.log" 2>&1; then
    tail -20 "$work/shell-$linking.log" >&2
    fail "$linking" "the shell did not compile the program"
    continue
  fi
  prog=$work/prog-$linking
  out=$(env -u LD_LIBRARY_PATH "$prog") || { fail "$linking" "the program does not run: $out"; continue; }
  [[ "$out" == "zlib 1.2.13 libpng 10639" ]] || fail "$linking" "the program printed: $out"
  build/bin/ldpin inspect --json "$prog" > "$work/$linking.json"
  # Failed lookups counted as the package-set table counts them
  # (nix/program-row.py's syscalls and pattern).
  read -r bare runpath failed entries < <(python3 - "$work/$linking.json" "$prog" <<'PY'
import json, os, runpy, subprocess, sys
row = runpy.run_path("nix/program-row.py")
info = json.load(open(sys.argv[1]))["files"][0]
bare = [n for n in info["needed"] if n in ("libpng16.so.16", "libz.so.1")]
runpath = info["runpath"] or info["rpath"] or ""
env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=" + row["LOOKUPS"], "-o", "/dev/stderr",
                    sys.argv[2]], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                   text=True, errors="replace")
print(len(bare), len(runpath.split(":")) if runpath else 0,
      row["failed_library_lookups"](r.stderr), runpath or "-")
PY
)
  echo "$linking: $out; bare NEEDED for zlib/libpng: $bare, RUNPATH entries: $runpath, failed lookups: $failed" >&2
  if [ "$linking" = stock ]; then
    [ "$bare" = 2 ] && [ "$runpath" -ge 2 ] || fail stock "expected bare names and RUNPATH entries (the search ldpin removes)"
  else
    [ "$bare" = 0 ] || fail ldpin "$bare of libz/libpng left as bare names"
    [ "$runpath" = 0 ] || fail ldpin "RUNPATH entries left: $entries"
    [ "$failed" = 0 ] || fail ldpin "$failed failed library lookups"
  fi
done
[ "$status" = 0 ] && echo "devshell: ok (the program compiled in the ldpin shell loads zlib and libpng by path, with no search)" >&2
exit "$status"
