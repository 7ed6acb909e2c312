#!/usr/bin/env bash
# Installs what building and testing ldpin needs on a Debian 12 machine, from
# Debian's packages only, and prepares the Nix store. Idempotent: packages
# already installed are not touched, and apt's lists are refreshed only when
# something is missing. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake ninja-build g++ python3
  llvm-16-dev libzstd-dev   # libObject, linked statically (libzstd-dev: LLVMSupport's link interface)
  libcli11-dev libtomlplusplus-dev libgtest-dev
  libncurses-dev            # libtinfo.a for the static ldpin-ld
  gcc-multilib              # the 32-bit audit module (-m32), and 32-bit test programs
  # run time: ldpin fixup grows files that ldpin-ld did not link with patchelf
  patchelf
  # tests: readelf and the linkers (bfd, gold, lld, mold), foreign-architecture
  # files, fuzzing, strace, an unprivileged user
  binutils clang-16 lld-16 llvm-16 mold libclang-rt-16-dev strace util-linux
  # benchmarks
  hyperfine
  # Nix
  nix-bin
  # the package set's builds: sqlite makes its amalgamation with tclsh,
  # curl's and libxml2's tests are perl and shell
  tcl perl pkg-config
  # Meson builds; autoreconf for tarballs without configure; the builds'
  # network namespace (ip brings its loopback up)
  meson autoconf automake libtool iproute2
  # the rest of the builds' curated PATH (nix/bootstrap/host-tools.sh)
  file zip unzip gettext bsdextrautils procps
  stunnel4                  # the TLS server of curl's HTTPS tests
  dejagnu                   # libffi's test harness (runtest, expect)
  unicode-data              # re2's generated Unicode tables
)

if [ "$(id -u)" -ne 0 ]; then
  echo "ldpin: tests/setup-host.sh: must run as root (it installs packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash nix/setup-store.sh
