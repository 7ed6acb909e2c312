#!/usr/bin/env bash
# Prints the hash of the host packages the bootstrap stdenv copies or runs
# (nix/bootstrap's hostHash): a new version of any of them makes a new hash,
# so everything is rebuilt rather than mixed.
set -euo pipefail
dpkg-query -W -f '${Package}=${Version}\n' libc6 libc6-dev gcc-12 cpp-12 g++-12 \
  libgcc-s1 libstdc++6 binutils make patchelf | sha256sum | cut -c1-32
