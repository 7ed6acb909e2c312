#!/usr/bin/env bash
# Prints the hash of the host packages the bootstrap stdenv copies or runs
# (nix/bootstrap's hostHash: the C library, the compilers, binutils, and
# the programs of its curated PATH, nix/bootstrap/host-tools.sh): a new
# version of any of them makes a new hash, so everything is rebuilt rather
# than mixed.
set -euo pipefail
dpkg-query -W -f '${Package}=${Version}\n' libc6 libc6-dev gcc-12 cpp-12 g++-12 \
  libgcc-s1 libstdc++6 binutils make patchelf \
  bash coreutils sed grep mawk findutils diffutils patch tar gzip bzip2 xz-utils \
  file debianutils procps bsdextrautils gettext-base gettext unzip zip perl python3.11 \
  m4 tcl8.6 cmake meson ninja-build pkgconf autoconf automake libtool iproute2 \
  util-linux stunnel4 dejagnu expect | sha256sum | cut -c1-32
