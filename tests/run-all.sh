#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing
# (tests/setup-host.sh), builds (preset `default`) and runs every test through
# CTest; builds a part of the package set with nix-build through ldpin and
# the stock way and checks every program (nix/pkgset.sh) and a dev shell
# (nix/devshell-test.sh); builds ldpin from nix/package.nix through the
# flake's overlay and packages with lib.replaceStdenv (nix/source-build.sh);
# runs the tests
# again built with AddressSanitizer and UBSan (preset
# `asan`); then runs the libFuzzer targets briefly (preset `fuzz`).
# ASAN=0 skips the sanitizer run; FUZZ_SECONDS (default 30, for each fuzz
# target) sets the fuzzing time, 0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup-host.sh
cmake --preset default
cmake --build --preset default
ctest --preset default
# The package set through nix-build, ldpin and stock (a part of it; the full
# set is `bash nix/pkgset.sh`): C libraries with autotools, a C++ one with
# CMake and its suite (jsoncpp), a Meson one (fribidi). Python and its
# extension modules need OpenSSL and seven more libraries built both ways,
# about 45 minutes more here: the full set has them. LDPIN_PKGSET chooses
# the packages, "" skips.
pkgset=${LDPIN_PKGSET-zlib libpng xz jsoncpp fribidi}
if [ -n "$pkgset" ]; then
  bash nix/pkgset.sh --packages "$pkgset"
  # A development shell of the harness: cc there pins zlib and libpng.
  bash nix/devshell-test.sh
fi
# ldpin as nixpkgs users build it (callPackage, lib.replaceStdenv) over the
# harness; LDPIN_SOURCE_BUILD=0 skips it.
if [ "${LDPIN_SOURCE_BUILD:-1}" != 0 ]; then
  bash nix/source-build.sh
fi
if [ "${ASAN:-1}" != 0 ]; then
  cmake --preset asan
  cmake --build --preset asan
  ctest --preset asan
fi
fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
  bash tests/fuzz/run.sh "$fuzz_seconds"
fi
