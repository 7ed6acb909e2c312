# The host tools a build may run, as nixpkgs' stdenv gives coreutils, make,
# perl...: symbolic links in $out/bin to the host's programs named in
# $names, each required. Nothing else of /usr/bin is on a build's PATH: no
# host compiler, and no host *-config script (libpng-config, xml2-config)
# that would hand a build the host's libraries. `ldconfig` is a no-op (a
# `make install` must not rewrite the host's /etc/ld.so.cache).
set -euo pipefail
export PATH=/usr/bin:/bin
mkdir -p $out/bin
for name in $names; do
  target=
  for dir in /usr/bin /bin; do
    if [ -x "$dir/$name" ]; then target=$dir/$name; break; fi
  done
  [ -n "$target" ] || { echo "host-tools: $name is not installed" >&2; exit 1; }
  ln -s "$target" "$out/bin/$name"
done
printf '#!/bin/sh\n# ldconfig in a build: nothing to do (the store has no cache).\nexit 0\n' > $out/bin/ldconfig
chmod 755 $out/bin/ldconfig
