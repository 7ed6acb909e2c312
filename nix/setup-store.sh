#!/usr/bin/env bash
# Prepares a single-user Nix store on a Debian machine without a daemon:
# Debian's nix-bin, /nix/store owned by root, no sandbox, no build users, no
# substituters (there is no binary cache here; everything builds from source).
#
# Idempotent. It writes /etc/nix/nix.conf only when there is none or when it
# is the one this script wrote before; a foreign nix.conf is left alone and
# must already carry the settings below, or the script stops and says which.
# Run as root.
set -euo pipefail

marker="# written by ldpin nix/setup-store.sh"
conf=/etc/nix/nix.conf
settings=(
  "build-users-group ="
  "sandbox = false"
  "substituters ="
  "experimental-features = nix-command flakes"
)

if [ "$(id -u)" -ne 0 ]; then
  echo "ldpin: nix/setup-store.sh: must run as root (it writes /nix and /etc/nix)" >&2
  exit 1
fi

if ! command -v nix-build >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nix-bin >/dev/null
fi

mkdir -p /nix/store /nix/var/nix/gcroots /nix/var/nix/profiles /nix/var/log/nix /etc/nix
chmod 1775 /nix/store

if [ ! -e "$conf" ] || grep -qxF "$marker" "$conf"; then
  tmp=$(mktemp "$conf.XXXXXX")
  { echo "$marker"; printf '%s\n' "${settings[@]}"; } >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$conf"
else
  for s in "${settings[@]}"; do
    key=${s%% =*}
    if ! grep -Eq "^[[:space:]]*${key}[[:space:]]*=" "$conf"; then
      echo "ldpin: $conf: not written by ldpin and has no '$key' setting; add '$s'" >&2
      exit 1
    fi
  done
fi

# As root without NIX_REMOTE, nix talks to the store directly (no daemon).
if ! out=$(nix-store --version 2>&1) || ! nix-instantiate --eval -E '1 + 1' >/dev/null 2>&1; then
  echo "ldpin: nix/setup-store.sh: nix does not work: $out" >&2
  exit 1
fi
echo "nix store ready: $(nix-store --version), store /nix/store, sandbox off"
