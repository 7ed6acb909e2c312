# ldpin's setup hook for Nix stdenv (installed as nix-support/setup-hook of
# the ldpin package, or sourced by the ldpin stdenv adapter).
#
# After the install phase, stdenv's fixup phase runs fixupOutputHooks once
# per output with $prefix set to it. This hook's entry runs `ldpin fixup` on
# that output: absolute SONAME and DT_NEEDED, RUNPATH without build
# directories, and a validation that fails the build with a list of what
# would not load (see `ldpin fixup --help`).
#
# Settings (derivation attributes or shell variables):
#   dontLdpinFixup            set: skip the fixup
#   ldpinIgnoreMissing        globs of library names that may stay unresolved
#   ldpinRuntimeDependencies  store paths whose libraries are dlopen()ed: their
#                             library directories go into every RUNPATH
#   ldpinFixupFlags           more arguments for `ldpin fixup`
#
# Libraries are resolved from the other outputs of the derivation and from
# its host-platform inputs (stdenv's pkgsHostHost and pkgsHostTarget, that
# is buildInputs and what they propagate), in that order. The interpreter
# for prebuilt programs is the bintools wrapper's nix-support/dynamic-linker.
#
# nixpkgs' patchelf hook (patchELF: `patchelf --shrink-rpath` on every ELF
# file) would remove RUNPATH entries that ldpin keeps on purpose, declared
# dlopen directories among them: ldpin does that job, so this hook sets
# dontPatchELF. Quiet on success; NIX_DEBUG >= 1 prints one line per changed
# file.

ldpinFixupOutput() {
    if [ -n "${dontLdpinFixup-}" ]; then
        return 0
    fi
    if [ ! -e "$prefix" ]; then
        return 0
    fi
    # In place: the outputs are the build's own, and nothing runs from them
    # yet (see `ldpin fixup --help`).
    local -a args=("$prefix" --in-place)
    local output dep glob
    for output in ${outputs-out}; do
        if [ "${!output-}" != "$prefix" ] && [ -e "${!output-}" ]; then
            args+=(--deps "${!output}")
        fi
    done
    for dep in ${pkgsHostHost[@]+"${pkgsHostHost[@]}"} \
               ${pkgsHostTarget[@]+"${pkgsHostTarget[@]}"}; do
        args+=(--deps "$dep")
    done
    for glob in ${ldpinIgnoreMissing[@]+${ldpinIgnoreMissing[@]}}; do
        args+=(--ignore-missing "$glob")
    done
    for dep in ${ldpinRuntimeDependencies[@]+${ldpinRuntimeDependencies[@]}}; do
        args+=(--runtime-dependency "$dep")
    done
    local support
    for support in "${NIX_BINTOOLS-}" "${NIX_CC-}"; do
        if [ -n "$support" ] && [ -s "$support/nix-support/dynamic-linker" ]; then
            args+=(--interpreter "$(< "$support/nix-support/dynamic-linker")")
            break
        fi
    done
    if [ "${NIX_DEBUG:-0}" -ge 1 ]; then
        args+=(--verbose)
    fi
    # shellcheck disable=SC2206 # flags are words, as in NIX_LDFLAGS
    local -a extra=(${ldpinFixupFlags-})
    @ldpin@ fixup "${args[@]}" ${extra[@]+"${extra[@]}"}
}

dontPatchELF=1
fixupOutputHooks+=(ldpinFixupOutput)
