#!/usr/bin/env bash
# nix-build ARGS..., again (up to three runs in all) when the only failure
# was a builder "killed by signal 9" right as it finished: Nix without a
# sandbox takes the end of a builder's output for its end and kills what is
# left of it, and a builder that is just exiting is then reported killed
# (NixOS/nix#2176; seen here on derivations that run one cp). Standard
# output is nix-build's; its standard error is printed when each run ends,
# with a line per retry.
set -uo pipefail
log=$(mktemp /tmp/ldpin-nix-build-XXXXXX)
trap 'rm -f "$log"' EXIT
for attempt in 1 2 3; do
  nix-build "$@" 2>"$log"
  status=$?
  cat "$log" >&2
  [ "$status" -ne 0 ] || exit 0
  if grep -q 'failed due to signal 9 (Killed)' "$log" &&
     ! grep 'error: builder for' "$log" | grep -qv 'failed due to signal 9 (Killed)'; then
    [ "$attempt" -lt 3 ] && echo "ldpin: nix/build.sh: a builder was reported killed by signal 9 as it finished (NixOS/nix#2176); building again" >&2
    continue
  fi
  exit "$status"
done
exit "$status"
