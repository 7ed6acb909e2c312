#!/usr/bin/env bash
# The development shell, for real: `nix-shell nix/pkgs -A shell` (zlib and
# libpng from the store), in which `cc` compiles and links a program against
# both. Through ldpin the program must load them by absolute path, with no
# RUNPATH, no LD_LIBRARY_PATH and no failed library lookup; the same shell
# with the stock linker setup is built first and must show what ldpin
# removes (RUNPATH entries and bare names), so the test can fail.
# The ldpin shell also sets LD_AUDIT (the audit module) and
# LDPIN_FALLBACK_PATH (its packages' lib/): a prebuilt program (bare NEEDED,
# no RUNPATH, the store's dynamic linker, linked by the host's plain gcc)
# runs in it through the fallback, with no LD_LIBRARY_PATH, and fails
# without the module; the shell's ldpin-built program, run with the shell's
# LD_AUDIT, still makes no failed lookup.
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
      --arg ldpinBin "$PWD/build/bin" \
      --run "cd $work && cc main.c -lpng -lz -o prog-$linking && env -0 > env-$linking" \
      > "$work/shell-$linking.log" 2>&1; then
    tail -20 "$work/shell-$linking.log" >&2
    fail "$linking" "the shell did not compile the program"
    continue
  fi
  prog=$work/prog-$linking
  # The shell's LD_AUDIT and LDPIN_FALLBACK_PATH (none in the stock shell).
  shellEnv=()
  while IFS= read -r -d '' kv; do
    case $kv in LD_AUDIT=*|LDPIN_FALLBACK_PATH=*) shellEnv+=("$kv") ;; esac
  done < "$work/env-$linking"
  if [ "$linking" = ldpin ]; then
    [ ${#shellEnv[@]} = 2 ] || fail ldpin "the shell does not set LD_AUDIT and LDPIN_FALLBACK_PATH: ${shellEnv[*]}"
    # Prebuilt elsewhere: against the stock zlib and libpng (bare sonames),
    # for the store's dynamic linker, with no RUNPATH.
    interp=$(readelf -lW "$prog" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    flags=()
    IFS=: read -r -a dirs <<< "$(readelf -dW "$work/prog-stock" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
    for d in "${dirs[@]}"; do
      [ -e "$d/libz.so" ] || [ -e "$d/libpng16.so" ] || continue
      flags+=("-I${d%/lib}/include" "-L$d")
    done
    /usr/bin/gcc "${flags[@]}" "$work/main.c" -lpng -lz "-Wl,--dynamic-linker=$interp" -o "$work/prebuilt"
    pre=$(build/bin/ldpin inspect --json "$work/prebuilt" | python3 -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print(" ".join(f["needed"]), f["runpath"] or f["rpath"] or "-")')
    [[ "$pre" == "libpng16.so.16 libz.so.1 libc.so.6 -" ]] || fail ldpin "the prebuilt program is not bare: $pre"
    if env -u LD_LIBRARY_PATH "$work/prebuilt" > /dev/null 2>&1; then
      fail ldpin "the prebuilt program runs without the module (the test cannot fail)"
    fi
    out=$(env -u LD_LIBRARY_PATH "${shellEnv[@]}" "$work/prebuilt" 2>&1) ||
      fail ldpin "the prebuilt program does not run in the shell: $out"
    [[ "$out" == "zlib 1.2.13 libpng 10639" ]] || fail ldpin "the prebuilt program printed: $out"
    echo "ldpin: prebuilt program (bare NEEDED, no RUNPATH) through the shell's fallback: $out" >&2
  fi
  out=$(env -u LD_LIBRARY_PATH "${shellEnv[@]}" "$prog") || { fail "$linking" "the program does not run: $out"; continue; }
  [[ "$out" == "zlib 1.2.13 libpng 10639" ]] || fail "$linking" "the program printed: $out"
  build/bin/ldpin inspect --json "$prog" > "$work/$linking.json"
  # Failed lookups counted as the package-set table counts them
  # (nix/program-row.py's syscalls and pattern).
  read -r bare runpath failed entries < <(env "${shellEnv[@]}" python3 - "$work/$linking.json" "$prog" <<'PY'
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
