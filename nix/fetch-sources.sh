#!/usr/bin/env bash
# Fetches the upstream tarballs of the package set (nix/sources.tsv) from
# Debian's source packages into LDPIN_SOURCES (default
# /var/cache/ldpin/sources) and checks each against its pinned sha256.
# apt-get runs with a private state directory (its own lists, cache and
# deb-src lines), so the system's apt lists stay untouched. Files already
# there with the right hash are kept. Run as root.
#
# Usage: nix/fetch-sources.sh [SOURCE-PACKAGE...]   (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${LDPIN_SOURCES:-/var/cache/ldpin/sources}
state=${LDPIN_APT_STATE:-/var/cache/ldpin/apt}
mkdir -p "$dest" "$state/lists/partial" "$state/cache/archives/partial" "$state/etc"

want=("$@")
missing=()
while IFS=$'\t' read -r pkg version file sha bytes; do
  case "$pkg" in ''|'#'*) continue ;; esac
  if [ "${#want[@]}" -gt 0 ] && [[ " ${want[*]} " != *" $pkg "* ]]; then continue; fi
  if [ -f "$dest/$file" ] && echo "$sha  $dest/$file" | sha256sum -c --quiet - 2>/dev/null; then
    continue
  fi
  missing+=("$pkg|$version|$file|$sha")
done < "$here/sources.tsv"
[ "${#missing[@]}" -gt 0 ] || { echo "sources: all present in $dest"; exit 0; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$state/etc/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
LIST
apt=(apt-get -q -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
     -o "Dir::Etc::SourceList=$state/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
     -o "APT::Sandbox::User=root")
"${apt[@]}" update >/dev/null
work=$(mktemp -d "$dest/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
for m in "${missing[@]}"; do
  IFS='|' read -r pkg version file sha <<<"$m"
  # The newest revision in the archive: its orig tarball is the pinned one
  # while the upstream version is the same (checked below).
  # Only the orig tarball is used: a revision whose .dsc or Debian tarball
  # the mirror lacks is not an error as long as the orig tarball came.
  for spec in "$pkg" "$pkg=$version"; do
    [ -f "$work/$file" ] && break
    (cd "$work" && "${apt[@]}" source --download-only "$spec" >"$work/log" 2>&1) || true
  done
  if [ ! -f "$work/$file" ]; then
    cat "$work/log" >&2
    echo "ldpin: fetch-sources: $pkg: the archive no longer has $file (wanted $version)" >&2
    exit 1
  fi
  if ! echo "$sha  $work/$file" | sha256sum -c --quiet -; then
    echo "ldpin: fetch-sources: $file: sha256 differs from the pinned $sha" >&2
    exit 1
  fi
  mv "$work/$file" "$dest/$file"
  echo "sources: $file"
done
