# The generic builder of the offline bootstrap stdenv: nixpkgs' phases
# (unpack, patch, configure, build, check, install, fixup) and conventions
# (setup hooks of inputs sourced, NIX_CFLAGS_COMPILE and NIX_LDFLAGS made from
# the inputs, pre/post hooks, fixupOutputHooks run once per output with
# $prefix set), written for this harness. Tools are the host's (/usr/bin);
# the C library and the compiler run-time come from the store; the host's
# programs on PATH are the curated ones of $hostBin (nix/bootstrap/host-tools.sh).
# Installed as $stdenv/setup: a build sources it and calls genericBuild;
# nix-shell sources it and leaves the shell with the environment it made.
set -eu -o pipefail
export PATH="$cc/bin:$bintools/bin:$hostBin/bin"
export NIX_STORE=${NIX_STORE:-/nix/store}
export NIX_CC=$cc NIX_BINTOOLS=$bintools
export SOURCE_DATE_EPOCH=315532800 ZERO_AR_DATE=1
export LDCONFIG=true # zlib's `make install` would rewrite the host's cache
export HOME=/homeless-shelter
NIX_BUILD_CORES=${NIX_BUILD_CORES:-2}
[ "$NIX_BUILD_CORES" -gt 0 ] || NIX_BUILD_CORES=$(nproc)

runHook() {
  local hook=$1
  shift
  local var="${hook}[@]"
  # A hook is a string of shell code or an array of function names.
  if declare -p "$hook" 2>/dev/null | grep -q '^declare -a'; then
    local h
    for h in ${!var+"${!var}"}; do "$h" "$@"; done
  elif [ -n "${!hook-}" ]; then
    eval "${!hook}"
  fi
}

# Inputs: each dependency's include/, lib/, bin/, pkgconfig and setup hook,
# with what it propagates (nix-support/propagated-build-inputs), depth first.
NIX_CFLAGS_COMPILE=${NIX_CFLAGS_COMPILE-}
NIX_LDFLAGS=${NIX_LDFLAGS-}
declare -a pkgsHostHost=() pkgsHostTarget=() fixupOutputHooks=()
declare -A visited=()
addInput() {
  local dep=$1
  [ -n "${visited[$dep]-}" ] && return 0
  visited[$dep]=1
  pkgsHostTarget+=("$dep")
  [ -d "$dep/include" ] && NIX_CFLAGS_COMPILE+=" -isystem $dep/include"
  [ -d "$dep/lib" ] && NIX_LDFLAGS+=" -L$dep/lib"
  [ -d "$dep/bin" ] && inputPath+="${inputPath:+:}$dep/bin"
  for d in "$dep/lib/pkgconfig" "$dep/share/pkgconfig"; do
    [ -d "$d" ] && PKG_CONFIG_PATH="${PKG_CONFIG_PATH:+$PKG_CONFIG_PATH:}$d"
  done
  [ -d "$dep/lib/cmake" ] || [ -d "$dep/share/cmake" ] &&
    CMAKE_PREFIX_PATH="${CMAKE_PREFIX_PATH:+$CMAKE_PREFIX_PATH;}$dep"
  if [ -f "$dep/nix-support/setup-hook" ]; then
    # shellcheck disable=SC1091
    source "$dep/nix-support/setup-hook"
  fi
  if [ -f "$dep/nix-support/propagated-build-inputs" ]; then
    local p
    for p in $(< "$dep/nix-support/propagated-build-inputs"); do addInput "$p"; done
  fi
}
PKG_CONFIG_PATH=${PKG_CONFIG_PATH-}
CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH-}
inputPath=""
for dep in ${stdenvInputs-} ${nativeBuildInputs-} ${buildInputs-} ${propagatedBuildInputs-}; do
  addInput "$dep"
done
# The inputs' programs before the stdenv's, in order, as in nixpkgs (a
# package's python3 over the host's).
PATH="$inputPath${inputPath:+:}$PATH"
# pkg-config reads the inputs' directories only, never the host's.
PKG_CONFIG_LIBDIR=${PKG_CONFIG_PATH:-/var/empty}
export PATH NIX_CFLAGS_COMPILE NIX_LDFLAGS PKG_CONFIG_PATH PKG_CONFIG_LIBDIR CMAKE_PREFIX_PATH

# As nixpkgs' stdenv: each output's lib/ is a RUNPATH candidate (ldpin-ld
# keeps it only if it provides something; the stock fixup shrinks it).
for output in ${outputs:-out}; do
  NIX_LDFLAGS="-rpath ${!output}/lib $NIX_LDFLAGS"
done
prefix=$out

unpackPhase() {
  runHook preUnpack
  if [ -d "$src" ]; then
    # A directory (a flake's `self`, builtins.path): copied under its name
    # without the store hash and made writable, as nixpkgs' unpackFile does.
    local name=${src##*/}
    sourceRoot=${name#*-}
    cp -pr -- "$src" "$sourceRoot"
    chmod -R u+w -- "$sourceRoot"
  else
    tar xf "$src"
    local dirs=(*/)
    [ "${#dirs[@]}" = 1 ] || { echo "unpack: expected one directory in $src" >&2; exit 1; }
    sourceRoot=${dirs[0]%/}
  fi
  cd "$sourceRoot"
  runHook postUnpack
}

patchPhase() {
  runHook prePatch
  local p
  for p in ${patches-}; do patch -p1 < "$p"; done
  runHook postPatch
}

# The build system: Meson (mesonFlags, or a meson.build alone), CMake
# (cmakeFlags, or a CMakeLists.txt without configure) or configure.
buildSystem() {
  if [ -n "${mesonFlags+x}" ] || { [ -f meson.build ] && [ ! -f CMakeLists.txt ] && [ ! -x configure ]; }; then
    echo meson
  elif [ -n "${cmakeFlags+x}" ] || { [ -z "${dontUseCmake-}" ] && [ -f CMakeLists.txt ] && [ ! -x configure ]; }; then
    echo cmake
  else
    echo configure
  fi
}

configurePhase() {
  runHook preConfigure
  # As nixpkgs' autoreconfHook, for a tarball without configure.
  [ -z "${autoreconf-}" ] || autoreconf -fi
  buildSystem=$(buildSystem)
  if [ "$buildSystem" = meson ]; then
    # As nixpkgs' meson hook: plain build type (the flags are the
    # compiler wrapper's), no downloads, absolute install directories.
    # shellcheck disable=SC2086
    meson setup build --prefix="$prefix" --libdir="$prefix/lib" --bindir="$prefix/bin" \
      --includedir="$prefix/include" --buildtype=plain --wrap-mode=nodownload ${mesonFlags-}
    cd build
  elif [ "$buildSystem" = cmake ]; then
    mkdir -p build && cd build
    # shellcheck disable=SC2086
    # As nixpkgs' CMake hook: absolute install directories (some projects,
    # libjpeg-turbo among them, take a relative one against the build
    # tree), no build RPATH (CMake's install would rewrite it), no package
    # registries, and the host's /usr and /usr/local never searched.
    cmake "../${cmakeDir-}" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_BINDIR="$prefix/bin" -DCMAKE_INSTALL_LIBDIR="$prefix/lib" \
      -DCMAKE_INSTALL_INCLUDEDIR="$prefix/include" -DCMAKE_SKIP_BUILD_RPATH=ON \
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
      -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON -DCMAKE_SYSTEM_IGNORE_PREFIX_PATH="/usr;/usr/local" \
      -DCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH" ${cmakeFlags-}
  elif [ -x "${configureScript:-./configure}" ]; then
    # shellcheck disable=SC2086
    "${configureScript:-./configure}" --prefix="$prefix" ${configureFlags-}
  fi
  runHook postConfigure
}

buildPhase() {
  runHook preBuild
  # shellcheck disable=SC2086
  if [ -n "${dontBuild-}" ]; then :
  elif [ "${buildSystem-}" = meson ]; then ninja -j"$NIX_BUILD_CORES"
  else make -j"$NIX_BUILD_CORES" ${makeFlags-} ${buildFlags-}
  fi
  runHook postBuild
}

checkPhase() {
  runHook preCheck
  # shellcheck disable=SC2086
  if [ -z "${doCheck-}" ]; then :
  elif [ "${buildSystem-}" = meson ]; then
    meson test --no-rebuild --print-errorlogs --num-processes "$NIX_BUILD_CORES" ${mesonCheckFlags-}
  else make -j"$NIX_BUILD_CORES" ${makeFlags-} ${checkFlags-} ${checkTarget:-check}
  fi
  runHook postCheck
}

installPhase() {
  runHook preInstall
  # shellcheck disable=SC2086
  if [ "${buildSystem-}" = meson ]; then meson install --no-rebuild
  else make ${makeFlags-} ${installFlags-} ${installTargets:-install}
  fi
  runHook postInstall
}

fixupPhase() {
  runHook preFixup
  local output
  for output in ${outputs:-out}; do
    prefix=${!output}
    [ -e "$prefix" ] || continue
    local h
    for h in ${fixupOutputHooks[@]+"${fixupOutputHooks[@]}"}; do eval "$h"; done
  done
  prefix=$out
  runHook postFixup
}

# After the fixup, as in nixpkgs: it checks the installed, pinned files.
installCheckPhase() {
  runHook preInstallCheck
  # shellcheck disable=SC2086
  [ -z "${doInstallCheck-}" ] || make ${makeFlags-} ${installCheckFlags-} ${installCheckTarget:-installcheck}
  runHook postInstallCheck
}

# nixpkgs' substitute: IN copied to OUT with replacements; an
# --subst-var-by NAME VALUE replaces @NAME@, --replace-fail OLD NEW replaces
# OLD and fails when it is not there.
substitute() {
  local in=$1 out=$2
  shift 2
  local text
  text=$(cat -- "$in"; printf x)
  text=${text%x}
  while [ $# -gt 0 ]; do
    case "$1" in
      --subst-var-by) text=${text//"@$2@"/"$3"}; shift 3 ;;
      --subst-var) text=${text//"@$2@"/"${!2}"}; shift 2 ;;
      --replace-fail|--replace)
        if [ "$1" = --replace-fail ] && [[ "$text" != *"$2"* ]]; then
          echo "substitute: $in does not contain $2" >&2; return 1
        fi
        text=${text//"$2"/"$3"}; shift 3 ;;
      *) echo "substitute: unknown argument $1" >&2; return 1 ;;
    esac
  done
  printf '%s' "$text" > "$out"
}

genericBuild() {
  cd "${TMPDIR:-/tmp}"
  NIX_BUILD_TOP=${NIX_BUILD_TOP:-$PWD}
  export NIX_BUILD_TOP
  local phase
  for phase in ${phases:-unpackPhase patchPhase configurePhase buildPhase checkPhase installPhase fixupPhase installCheckPhase}; do
    if [ -n "${!phase-}" ]; then # the derivation's own code for the phase
      eval "${!phase}"
    else
      "$phase"
    fi
  done
}

# In nix-shell the user's shell goes on: not with the build's strictness.
if [ -n "${IN_NIX_SHELL-}" ]; then
  set +eu +o pipefail
  PATH="$PATH:/usr/bin:/bin" # the user's own tools, after the build's
fi
