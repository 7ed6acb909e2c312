#!/usr/bin/env bash
# The main job: set up the machine, build ldpin, then build real upstream
# packages with nix-build through ldpin and the stock nixpkgs way (the
# offline bootstrap stdenv, nix/bootstrap) and print, per program, what each
# asks of the loader and what its start costs (nix/pkgset.sh). By default a
# part of the set that builds in a few minutes; --full builds all of it.
# Before that, what `ldpin inspect` reads, and one program over 40
# store-like libraries linked both ways. Idempotent. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="zlib libpng xz"
if [ "${1-}" = --full ]; then
  packages=""
elif [ $# -gt 0 ]; then
  echo "usage: nix/demo.sh [--full]" >&2
  exit 2
fi

bash tests/setup-host.sh
cmake --preset default >/dev/null
cmake --build --preset default

ldpin=build/bin/ldpin
fixtures=build/tests/fixtures
echo
echo "== ldpin inspect: a program and the library it needs (built by the test suite)"
"$ldpin" inspect "$fixtures/fixture_prog" "$fixtures/libfixture.so.1"
echo
echo "== ldpin inspect: ldpin itself (LLVM linked statically: no libLLVM in NEEDED)"
"$ldpin" inspect "$ldpin" | sed -n '1,12p'
echo
echo "== ldpin inspect --json (abridged): what a program needs from the loader"
"$ldpin" inspect --json /usr/bin/ls | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]
print(json.dumps({k: f[k] for k in ("path", "class", "machine", "interpreter", "needed",
                                    "runpath", "dt_flags_1", "build_id")}, indent=2))
print("version needs:", {v["file"]: [e["name"] for e in v["entries"]] for v in f["version_needs"]})'
echo
echo "== bad input is a clear error, and the other files are still read"
"$ldpin" inspect /etc/hostname /nonexistent "$fixtures/libfixture.so.1" >/dev/null || true

# ldpin-ld: the same program over 40 libraries, each in its own store-like
# directory, linked the stock nixpkgs way (-rpath per directory) and through
# ldpin-ld; then what each asks of the loader and what its start costs.
work=$(mktemp -d /tmp/ldpin-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/wrap/bin" "$work/wrap/nix-support" "$work/store"
ln -s "$PWD/build/bin/ldpin-ld" "$work/wrap/bin/ld"
echo /usr/bin/ld.bfd >"$work/wrap/nix-support/ldpin-linker"
flags=""
{ echo '#include <stdio.h>'
  for i in $(seq 0 39); do echo "int f$i(void);"; done
  echo 'int main(void) { int s = 0;'
  for i in $(seq 0 39); do echo "s += f$i();"; done
  echo 'printf("sum %d\n", s); return 0; }'; } >"$work/main.c"
for i in $(seq 0 39); do
  d=$work/store/$(printf '%032d' "$i")-lib$i-1.0/lib
  mkdir -p "$d"
  echo "int f$i(void) { return $i; }" >"$work/l$i.c"
  gcc -shared -fPIC "$work/l$i.c" -Wl,-soname,liblib$i.so.1 -o "$d/liblib$i.so.1"
  ln -s "liblib$i.so.1" "$d/liblib$i.so"
  flags+=" -L$d -llib$i -Wl,-rpath,$d"
done
gcc "$work/main.c" $flags -o "$work/stock"
NIX_STORE=$work/store gcc -B"$work/wrap/bin/" "$work/main.c" $flags -o "$work/pinned"
failed() { strace -f -qq -e trace=open,openat,stat,newfstatat,statx "$1" 2>&1 >/dev/null | grep -c ENOENT || true; }
echo
echo "== ldpin-ld: one program over 40 store libraries, stock link vs ldpin-ld"
printf '%-8s %-10s %-16s %-14s %s\n' link output "bare NEEDED" "RUNPATH dirs" "failed lookups at start"
for kind in stock pinned; do
  python3 - "$ldpin" "$work/$kind" "$kind" "$(failed "$work/$kind")" <<'PY'
import json, subprocess, sys
ldpin, path, kind, fails = sys.argv[1:]
f = json.loads(subprocess.run([ldpin, "inspect", "--json", path], capture_output=True,
                              text=True).stdout)["files"][0]
out = subprocess.run([path], capture_output=True, text=True).stdout.strip()
bare = sum(1 for n in f["needed"] if not n.startswith("/"))
rp = f["runpath"] or f["rpath"] or ""
print(f"{kind:<8} {out:<10} {bare:<16} {len(rp.split(':')) if rp else 0:<14} {fails}")
PY
done
echo
echo "   (libc stays bare: it is the host's here, outside the store; under Nix it is pinned too)"

echo
echo "== the package set, built by nix-build through ldpin and the stock way (nix/pkgset.sh)"
echo "   (real upstream sources from Debian, their own test suites run in the check phase)"
bash nix/pkgset.sh ${packages:+--packages "$packages"} 2> >(grep -v '^== nix-build' >&2)

echo
echo "== a development shell (nix-shell nix/pkgs -A shell): cc there pins zlib and libpng"
bash nix/devshell-test.sh
