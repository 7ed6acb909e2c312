#!/usr/bin/env bash
# Smoke test of the Nix store prepared by nix/setup-store.sh: nix-build of a
# trivial derivation must really build (a nonce makes it new every time),
# produce its output in /nix/store, and the output must then be deletable.
set -euo pipefail
nonce="$(date +%s%N)-$$"
expr='{ nonce }: derivation {
  name = "ldpin-smoke";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo built $nonce > $out" ];
  inherit nonce;
}'
out=$(bash "$(dirname "$0")/../nix/build.sh" --no-out-link -E "$expr" --argstr nonce "$nonce" 2>/tmp/ldpin-nix-smoke.log) || {
  cat /tmp/ldpin-nix-smoke.log >&2
  echo "FAILED: nix-build of a trivial derivation" >&2
  exit 1
}
case "$out" in
  /nix/store/*-ldpin-smoke) ;;
  *) echo "FAILED: unexpected output path '$out'" >&2; exit 1 ;;
esac
content=$(cat "$out")
if [ "$content" != "built $nonce" ]; then
  echo "FAILED: output holds '$content'" >&2
  exit 1
fi
nix-store --delete "$out" >/dev/null 2>&1
if [ -e "$out" ]; then
  echo "FAILED: $out could not be deleted" >&2
  exit 1
fi
echo "nix smoke: built and deleted $out"
echo "1 passed, 0 failed"
