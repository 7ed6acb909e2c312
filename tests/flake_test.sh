#!/usr/bin/env bash
# The flake and the overlay, as far as they can be evaluated without
# nixpkgs (it cannot be fetched here; the stdenv they make is built for real
# by the offline harness, nix/bootstrap, and checked by nix/pkgset.sh and
# nix/devshell-test.sh):
#  - every Nix file of the flake parses;
#  - the flake's outputs that need no nixpkgs evaluate: lib.toToml turns
#    settings into ldpin.toml text that ldpin's own policy parser accepts
#    (and settings it must refuse are refused, so the check can fail),
#    lib.channelTag names the release and revision;
#  - overlays.default gives the attributes the README
#    documents;
#  - the overlay applied to the offline harness gives the stdenv, shell and
#    settings plumbing it should (the harness builds its ldpin side so).
# Usage: flake_test.sh LDPIN
set -euo pipefail
ldpin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ldpin-flake-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAILED: $1" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $1"; }

for f in flake.nix nix/lib.nix nix/overlay.nix nix/package.nix; do
  if nix-instantiate --parse "$root/$f" >/dev/null 2>"$work/parse.err"; then ok "$f parses"
  else fail "$f does not parse: $(cat "$work/parse.err")"; fi
done

# The outputs without nixpkgs: `nixpkgs` is an error if anything forces it.
outputs="(import $root/flake.nix).outputs { self = $root; nixpkgs = throw \"nixpkgs was needed\"; }"
eval_str() { nix-instantiate --eval --strict --json -E "$1" 2>"$work/eval.err" | python3 -c 'import json,sys; print(json.load(sys.stdin), end="")'; }

settings='{ pin = "store"; dlopen_dirs = [ "/nix/store/aaaa-mesa/lib" "/nix/store/bbbb-odd \"name\"\\dir/lib" ]; new_dtags = false; reserve_extra = 512; }'
if eval_str "($outputs).lib.toToml $settings" > "$work/good.toml"; then
  mkdir "$work/empty"
  if LDPIN_CONFIG="$work/good.toml" "$ldpin" check "$work/empty" >/dev/null 2>"$work/check.err"; then
    ok "lib.toToml writes settings ldpin reads"
  else
    fail "ldpin refused lib.toToml's text: $(cat "$work/check.err"); text: $(cat "$work/good.toml")"
  fi
  grep -qF '"/nix/store/bbbb-odd \"name\"\\dir/lib"' "$work/good.toml" ||
    fail "a path with a quote and a backslash was not escaped: $(cat "$work/good.toml")"
else
  fail "lib.toToml: $(cat "$work/eval.err")"
fi
# Settings the policy refuses must make ldpin fail (the check above can fail).
eval_str "($outputs).lib.toToml { linker = \"ld.bfd\"; }" > "$work/bad.toml"
if LDPIN_CONFIG="$work/bad.toml" "$ldpin" check "$work/empty" >/dev/null 2>&1; then
  fail "ldpin accepted a relative linker from lib.toToml"
else
  ok "settings the policy refuses are refused"
fi
if nix-instantiate --eval -E "($outputs).lib.toToml { x = 1.5; }" >/dev/null 2>&1; then
  fail "lib.toToml wrote a float (ldpin.toml has none)"
else
  ok "lib.toToml refuses values ldpin.toml cannot hold"
fi

tag=$(eval_str "($outputs).lib.channelTag { release = \"24.11\"; revision = \"5a7e0c1b9f3d2e4a6b8c0d1e2f3a4b5c6d7e8f90\"; }")
[ "$tag" = "nixpkgs-24.11-5a7e0c1b9f3d" ] && ok "lib.channelTag: $tag" || fail "lib.channelTag gave $tag"
tag=$(eval_str "($outputs).lib.channelTag { release = \"24.11\"; revision = \"\"; }")
[ "$tag" = "nixpkgs-24.11" ] && ok "lib.channelTag without a revision: $tag" || fail "lib.channelTag gave $tag"

# The overlays' attributes (names only: their values need nixpkgs).
names=$(eval_str "builtins.concatStringsSep \" \" (builtins.attrNames (($outputs).overlays.default {} {}))")
want="ldpin ldpinAudit ldpinChannel ldpinMkShell ldpinSettings ldpinStdenv ldpinStdenvWith"
[ "$names" = "$want" ] && ok "overlays.default gives: $names" || fail "overlays.default gives '$names', want '$want'"
names=$(eval_str "builtins.concatStringsSep \" \" (builtins.attrNames ($outputs).overlays)")
[ "$names" = "default" ] && ok "overlays: $names (no stdenv overlay, which recurses in nixpkgs)" || fail "overlays are '$names'"

# The overlay applied to the offline harness (nix/bootstrap), which is how
# every ldpin-side package of nix/pkgs is built: evaluated here, built by
# nix/pkgset.sh. The stdenv must be the overlay's: its cc's bintools the
# overlay's override of the harness's wrapper, ldpin's and the env hook in
# extraNativeBuildInputs after nixpkgs' patchelf hook; ldpinStdenvWith's
# settings and channel reach the env hook.
harness="(import $root/nix/bootstrap { hostHash = \"flake-test\"; ldpinBin = /nonexistent; })"
# The harness's set has nixpkgs' callPackage (arguments from the final set)
# and extend. lib.replaceStdenv over it: the overlay's ldpinStdenv, built
# from the set before it; its ldpin is nix/package.nix through callPackage
# (built by nix/source-build.sh).
got=$(eval_str "(($outputs).lib.replaceStdenv { pkgs = $harness.stockPkgs; }).cc.bintools.name") || true
[ "$got" = "ldpin-binutils-host-wrapper-2.40" ] && ok "lib.replaceStdenv gives the ldpin stdenv" ||
  fail "lib.replaceStdenv gives '$got' $(cat "$work/eval.err")"
got=$(eval_str "(builtins.head (builtins.filter (d: d.name or \"\" == \"ldpin-0.1.0\") (($outputs).lib.replaceStdenv { pkgs = $harness.stockPkgs; }).extraNativeBuildInputs)).drvPath") || true
case "$got" in
  /nix/store/*-ldpin-0.1.0.drv) ok "its ldpin is the overlay's source build: $got" ;;
  *) fail "lib.replaceStdenv's ldpin: '$got' $(cat "$work/eval.err")" ;;
esac
# What overlays.stdenv did (stdenv = final.ldpinStdenv) recurses under
# callPackage, here as in nixpkgs: the harness is as strict as nixpkgs.
if nix-instantiate --eval -E "let p = ($harness.stockPkgs.extend ($outputs).overlays.default).extend (final: prev: { stdenv = final.ldpinStdenv; }); in p.stdenv.cc.bintools.drvPath" >/dev/null 2>"$work/rec.err"; then
  fail "an overlay setting stdenv = final.ldpinStdenv evaluated: the harness's callPackage is kinder than nixpkgs'"
elif grep -q "infinite recursion" "$work/rec.err"; then
  ok "an overlay setting stdenv = final.ldpinStdenv recurses, as in nixpkgs"
else
  fail "stdenv = final.ldpinStdenv failed otherwise: $(tail -3 "$work/rec.err")"
fi
got=$(eval_str "let s = $harness; in builtins.concatStringsSep \" \" ([ s.cc.bintools.name ] ++ map (d: d.name) s.extraNativeBuildInputs)")
want="ldpin-binutils-host-wrapper-2.40 stock-patchelf-hook ldpin-0.1.0 ldpin-env-hook"
[ "$got" = "$want" ] && ok "the overlay's ldpinStdenv on the harness: $got" ||
  fail "the harness's ldpin stdenv is not the overlay's: '$got', want '$want' $(cat "$work/eval.err")"
got=$(eval_str "let p = $harness.pkgs; s = p.ldpinStdenvWith { settings = { pin = \"all\"; }; channel = \"nixpkgs-test-1\"; } p.stdenv; in (builtins.elemAt s.extraNativeBuildInputs 2).script.text")
case "$got" in
  *"LDPIN_CHANNEL='nixpkgs-test-1'"*"LDPIN_CONFIG=/nix/store/"*"-ldpin.toml"*)
    ok "ldpinStdenvWith passes its channel and settings to the env hook" ;;
  *) fail "ldpinStdenvWith's env hook: '$got' $(cat "$work/eval.err")" ;;
esac
got=$(eval_str "let p = $harness.pkgs; in (p.ldpinMkShell { name = \"s\"; }).cc.bintools.name")
[ "$got" = "ldpin-binutils-host-wrapper-2.40" ] && ok "ldpinMkShell uses ldpinStdenv" ||
  fail "ldpinMkShell's bintools: '$got' $(cat "$work/eval.err")"

# ldpinMkShell's run-time settings: the audit module of either class
# (glibc's $PLATFORM, kept literally), and the lib/ of the shell's packages
# as the fallback path; no LD_LIBRARY_PATH.
built="(import $root/nix/bootstrap { hostHash = \"flake-test\"; ldpinBin = $(dirname "$(realpath "$1")"); })"
got=$(eval_str "let p = $built.pkgs; s = p.ldpinMkShell { packages = [ p.ncurses ]; }; in
  s.LD_AUDIT + \" \" + s.LDPIN_FALLBACK_PATH + \" \" + (if s ? LD_LIBRARY_PATH then \"LD_LIBRARY_PATH\" else \"-\")")
case "$got" in
  /nix/store/*-ldpin-0.1.0/lib/ldpin-audit/\$PLATFORM/libldpin-audit.so\ /nix/store/*-ncurses-host/lib\ -)
    ok "ldpinMkShell sets LD_AUDIT and LDPIN_FALLBACK_PATH: $got" ;;
  *) fail "ldpinMkShell's LD_AUDIT and LDPIN_FALLBACK_PATH: '$got' $(cat "$work/eval.err")" ;;
esac

echo "$failures failed"
[ "$failures" = 0 ]
