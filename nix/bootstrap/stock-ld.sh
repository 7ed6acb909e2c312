#!/bin/bash
# The stock nixpkgs way of linking, as the comparison baseline for ldpin (not
# ldpin's code path): the real linker with NIX_LDFLAGS_BEFORE, the dynamic
# linker from nix-support, the arguments, NIX_LDFLAGS, and one -rpath for
# every store directory that provided a library the link used (each -lNAME's
# first -L directory holding libNAME.so, each .so given by path). Written for
# the offline harness after reading nixpkgs' bintools-wrapper/ld-wrapper.sh.
set -eu -o pipefail
support="$(dirname "$0")/../nix-support"
store=${NIX_STORE:-/nix/store}
# shellcheck disable=SC2206 # flags are words, as nixpkgs reads them
params=(${NIX_LDFLAGS_BEFORE-} "$@" ${NIX_LDFLAGS-})
dynamic=1
for p in "${params[@]}"; do
  case "$p" in
    -r|-static|-static-pie|--relocatable) dynamic=0 ;;
  esac
done
extraBefore=()
if [ "$dynamic" = 1 ] && [ -s "$support/dynamic-linker" ]; then
  extraBefore=(-dynamic-linker "$(< "$support/dynamic-linker")")
fi
libDirs=() libs=() rpaths=()
n=${#params[@]}
for ((i = 0; i < n; i++)); do
  p=${params[$i]}
  case "$p" in
    -L) i=$((i + 1)); libDirs+=("${params[$i]}") ;;
    -L?*) libDirs+=("${p:2}") ;;
    -l) i=$((i + 1)); libs+=("${params[$i]}") ;;
    -l?*) libs+=("${p:2}") ;;
    -rpath|-dynamic-linker|-soname|-o|-plugin|-z|-m|-T|-h|-e) i=$((i + 1)) ;;
    [!-]*.so|[!-]*.so.*) rpaths+=("$(dirname "$p")") ;;
  esac
done
for lib in ${libs[@]+"${libs[@]}"}; do
  case "$lib" in :*) continue ;; esac
  for dir in ${libDirs[@]+"${libDirs[@]}"}; do
    if [ -e "$dir/lib$lib.so" ]; then
      rpaths+=("$dir")
      break
    fi
  done
done
extraAfter=()
if [ "$dynamic" = 1 ]; then
  declare -A seen=()
  for dir in ${rpaths[@]+"${rpaths[@]}"}; do
    case "$dir" in "$store"/*) ;; *) continue ;; esac
    [ -z "${seen[$dir]-}" ] || continue
    seen[$dir]=1
    extraAfter+=(-rpath "$dir")
  done
fi
if [ "${NIX_DEBUG:-0}" -ge 1 ]; then
  echo "stock ld: $(< "$support/stock-linker") ${extraBefore[*]-} ${params[*]} ${extraAfter[*]-}" >&2
fi
exec "$(< "$support/stock-linker")" ${extraBefore[@]+"${extraBefore[@]}"} "${params[@]}" \
  ${extraAfter[@]+"${extraAfter[@]}"}
