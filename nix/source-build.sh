#!/usr/bin/env bash
# ldpin as nixpkgs users build it, over the offline harness
# (nix/source-build.nix): nix/package.nix built through the overlay's
# callPackage (its arguments from the final set), its two programs run; then
# zlib and libpng built with the flake's lib.replaceStdenv (ldpinStdenv with
# that from-source ldpin), every ELF file of them passes `ldpin check`, a
# program is pinned (no bare store NEEDED, no RUNPATH) and runs.
# Needs a Nix store (nix/setup-store.sh); fetches the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
bash nix/fetch-sources.sh >/dev/null
args=(--argstr hostHash "$(bash nix/host-hash.sh)" --argstr toolsHash "$(bash nix/host-tools-hash.sh)")
build() { # attribute
  local log=/tmp/ldpin-source-build-$1.log
  bash nix/build.sh --no-out-link nix/source-build.nix -A "$1" "${args[@]}" 2>"$log" || {
    tail -40 "$log" >&2
    echo "ldpin: source-build.sh: $1 failed to build; log: $log" >&2
    exit 1
  }
}
echo "== nix-build nix/source-build.nix -A ldpin (nix/package.nix through callPackage)" >&2
ldpin=$(build ldpin)
"$ldpin/bin/ldpin" --version
LDPIN_LINKER=/usr/bin/ld.bfd "$ldpin/bin/ldpin-ld" --ldpin-version
interp=$("$ldpin/bin/ldpin" inspect --json "$ldpin/bin/ldpin-ld" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0].get("interpreter") or "")')
[ -z "$interp" ] || { echo "ldpin: source-build.sh: ldpin-ld is not static (interpreter $interp)" >&2; exit 1; }
[ -s "$ldpin/nix-support/setup-hook" ] && grep -q "$ldpin/bin/ldpin fixup" "$ldpin/nix-support/setup-hook" ||
  { echo "ldpin: source-build.sh: the setup hook does not run this ldpin" >&2; exit 1; }
# The audit module: shipped in lib/, and LD_AUDIT's $PLATFORM form loads it.
audit=$ldpin/lib/ldpin-audit/x86_64/libldpin-audit.so
[ -f "$ldpin/lib/libldpin-audit.so" ] && [ -e "$audit" ] ||
  { echo "ldpin: source-build.sh: the package has no audit module in lib/" >&2; exit 1; }
out=$(LD_AUDIT="$ldpin/lib/ldpin-audit/\$PLATFORM/libldpin-audit.so" LDPIN_AUDIT_LOG=3 /bin/true 2>&1)
case "$out" in *"ldpin-audit: objopen"*) echo "audit module: loads (LD_AUDIT with \$PLATFORM)" >&2 ;;
  *) echo "ldpin: source-build.sh: the package's audit module does not load: $out" >&2; exit 1 ;; esac

echo "== nix-build nix/source-build.nix -A zlib, libpng (lib.replaceStdenv)" >&2
zlib=$(build zlib)
libpng=$(build libpng)
"$ldpin/bin/ldpin" check "$zlib" "$libpng"
prog=$libpng/bin/pngfix
python3 - "$ldpin/bin/ldpin" "$prog" <<'PY'
import json, subprocess, sys
info = json.loads(subprocess.run([sys.argv[1], "inspect", "--json", sys.argv[2]],
                                 capture_output=True, text=True, check=True).stdout)["files"][0]
bare = [n for n in info["needed"] if not n.startswith("/nix/store/")]
assert not bare, f"bare NEEDED left: {bare}"
assert not info.get("runpath"), f"RUNPATH left: {info.get('runpath')}"
print(f"{sys.argv[2]}: {len(info['needed'])} NEEDED, all absolute store paths; no RUNPATH")
PY
# pngfix --help prints its usage and exits 255: what matters is that it
# started (a library that does not load would print the loader's error).
usage=$("$prog" --help 2>&1 || true)
case "$usage" in
  Usage:*) ;;
  *) echo "ldpin: source-build.sh: $prog did not start: $usage" >&2; exit 1 ;;
esac
echo "source build: ldpin from nix/package.nix, zlib and libpng built with lib.replaceStdenv: ok"
