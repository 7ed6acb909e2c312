#!/usr/bin/env bash
# Prints the hash of the host packages that the harness's host-tool packages
# link to (nix/bootstrap's toolsHash: cmake, ninja, LLVM 16, CLI11, toml++,
# GoogleTest, zstd, ncurses), so that an apt upgrade of one rebuilds what
# uses them.
set -euo pipefail
dpkg-query -W -f '${Package}=${Version}\n' cmake ninja-build llvm-16-dev \
  libcli11-dev libtomlplusplus-dev libgtest-dev libzstd-dev libncurses-dev unicode-data |
  sha256sum | cut -c1-32
