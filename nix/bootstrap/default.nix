# The offline bootstrap stdenv: host tools (sandbox off), the host's glibc
# and gcc run-time copied into the store, and a compiler wrapper and a
# bintools wrapper laid out like nixpkgs' (nix-support/dynamic-linker, ...),
# so that the linker wrapper and the setup hook run the code paths they run
# under nixpkgs. `linking` chooses the linker wrapper and the fixup:
#   "ldpin": ldpin-ld as `ld`, and ldpin's setup hook (`ldpin fixup`);
#   "stock": nixpkgs' way (-rpath per store directory that provided a
#            library, then `patchelf --shrink-rpath` on every ELF file).
#
# hostHash names the host packages these are copied from (nix/pkgset.sh
# computes it from dpkg), so that an apt upgrade rebuilds everything
# instead of mixing. ldpinBin is the directory holding the built `ldpin`,
# `ldpin-ld` (the CMake build's bin/).
{ hostHash, ldpinBin ? null, linking ? "ldpin", system ? "x86_64-linux" }:
let
  bash = "/bin/bash";
  hostDerivation = name: builder: extra: derivation ({
    inherit name system hostHash;
    builder = bash;
    args = [ "-e" builder ];
  } // extra);

  glibc = hostDerivation "glibc-host-2.36" ./glibc.sh { };
  gccRuntime = hostDerivation "gcc-runtime-host-12" ./gcc-runtime.sh { };

  ldpin = derivation {
    name = "ldpin-0.1.0";
    inherit system;
    builder = bash;
    bin = builtins.path {
      path = ldpinBin;
      name = "ldpin-build";
      filter = p: _: builtins.elem (baseNameOf p) [ "ldpin" "ldpin-ld" ];
    };
    hook = ../../setup-hook/ldpin-fixup-hook.sh;
    args = [ "-ec" ''
      export PATH=/usr/bin:/bin
      mkdir -p $out/bin $out/nix-support
      cp $bin/ldpin $bin/ldpin-ld $out/bin/
      sed "s|@ldpin@|$out/bin/ldpin|g" $hook > $out/nix-support/setup-hook
    '' ];
  };

  bintools = hostDerivation "bintools-${linking}-wrapper" (builtins.toFile "bintools.sh" ''
    set -euo pipefail
    export PATH=/usr/bin:/bin
    mkdir -p $out/bin $out/nix-support
    for t in ar as nm objcopy objdump ranlib readelf size strings strip; do
      ln -s /usr/bin/$t $out/bin/$t
    done
    if [ "$linking" = ldpin ]; then
      # A copy, not a link: ldpin-ld finds nix-support/ beside its own file.
      cp $ldpin/bin/ldpin-ld $out/bin/ld
      echo /usr/bin/ld.bfd > $out/nix-support/ldpin-linker
    else
      cp $stockLd $out/bin/ld
      chmod 755 $out/bin/ld
      echo /usr/bin/ld.bfd > $out/nix-support/stock-linker
    fi
    cp $glibc/nix-support/dynamic-linker $out/nix-support/dynamic-linker
    # As nixpkgs' bintools setup hook: this wrapper serves the host role
    # (it reads the unsalted NIX_LDFLAGS...). GNU ld's own search
    # directories are the host's: it may only use -L directories.
    echo x86_64_unknown_linux_gnu > $out/nix-support/suffix-salt
    cat > $out/nix-support/setup-hook <<'HOOK'
    export NIX_BINTOOLS_WRAPPER_TARGET_HOST_x86_64_unknown_linux_gnu=1
    export NIX_LDFLAGS_BEFORE="-nostdlib ''${NIX_LDFLAGS_BEFORE-}"
    HOOK
  '') {
    inherit glibc linking;
    ldpin = if linking == "ldpin" then ldpin else "";
    stockLd = ./stock-ld.sh;
  };

  cc = hostDerivation "gcc-host-12-${linking}-wrapper" (builtins.toFile "cc.sh" ''
    set -euo pipefail
    export PATH=/usr/bin:/bin
    mkdir -p $out/bin $out/nix-support
    gccdir=$(dirname "$(gcc-12 -print-libgcc-file-name)")
    # The library directories gcc passes to the linker: the store's C
    # library and run-time, then gcc's own (libgcc.a, crtbegin.o), never
    # the host's library directories (gcc's built-in list has them).
    # And the link spec with the store's dynamic linker where gcc has the
    # host's (gcc's own -dynamic-linker comes after the bintools wrapper's).
    dl=$(< $glibc/nix-support/dynamic-linker)
    link=$(gcc-12 -dumpspecs | awk '/^\*link:$/ { getline; print; exit }')
    link=''${link//\/lib64\/ld-linux-x86-64.so.2/$dl}
    case "$link" in *"$dl"*) ;; *) echo "cc: no dynamic linker in gcc's link spec" >&2; exit 1 ;; esac
    cat > $out/nix-support/specs <<SPECS
    *link_libgcc:
    -L$gccRuntime/lib -L$glibc/lib -L$gccdir

    *link:
    $link

    SPECS
    for name in gcc cc g++ c++ cpp; do
      case $name in g++|c++) real=/usr/bin/g++-12 ;; cpp) real=/usr/bin/cpp-12 ;; *) real=/usr/bin/gcc-12 ;; esac
      cat > $out/bin/$name <<WRAP
    #!/bin/bash
    # gcc with the store's C library: crt files and ld from the -B
    # directories, library directories from the specs file.
    exec $real -B$bintools/bin/ -B$glibc/lib/ -specs=$out/nix-support/specs \''${NIX_CFLAGS_COMPILE-} "\$@"
    WRAP
      chmod 755 $out/bin/$name
    done
    echo "$bintools" > $out/nix-support/orig-bintools
  '') { inherit glibc gccRuntime bintools; };

  stdenvInputs = [ bintools glibc gccRuntime ] ++ (if linking == "ldpin" then [ ldpin ] else [ stockFixup ]);

  # $stdenv/setup, as in nixpkgs: what builds and nix-shell source.
  setup = derivation {
    name = "bootstrap-stdenv-${linking}";
    inherit system;
    builder = bash;
    src = ./setup.sh;
    args = [ "-ec" "/bin/mkdir -p $out && /bin/cp $src $out/setup" ];
  };

  # What every derivation of this stdenv, a package or a shell, is given.
  base = {
    inherit system stdenvInputs cc bintools;
    stdenv = setup;
    builder = bash;
  };

  stdenv = {
    inherit cc bintools glibc gccRuntime ldpin linking;
    # A development shell (nix-shell -A ...): the stdenv's compiler and
    # linker wrapper with `packages` as inputs, as nixpkgs' mkShell. Built
    # on its own it only records its environment; it is for nix-shell.
    mkShell = { name ? "ldpin-shell", packages ? [ ], buildInputs ? [ ], ... }@attrs:
      derivation (removeAttrs attrs [ "packages" ] // base // {
        inherit name;
        buildInputs = packages ++ buildInputs;
        args = [ "-ec" ''source "$stdenv/setup"; export > "$out"'' ];
      });
    mkDerivation = { pname, version, src, buildInputs ? [ ], nativeBuildInputs ? [ ],
                     propagatedBuildInputs ? [ ], outputs ? [ "out" ], ... }@attrs:
      let
        clean = removeAttrs attrs [ "pname" "version" "passthru" ];
        drv = derivation (clean // base // {
          name = "${pname}-${version}";
          inherit outputs;
          args = [ "-ec" ''source "$stdenv/setup"; genericBuild'' ];
          postInstall = (attrs.postInstall or "") + (if propagatedBuildInputs != [ ] then ''
            mkdir -p $out/nix-support
            echo ${toString propagatedBuildInputs} > $out/nix-support/propagated-build-inputs
          '' else "");
        });
      in drv // { inherit pname version; passthru = attrs.passthru or { }; };
  };

  # nixpkgs' patchelf hook, for the stock build: `patchelf --shrink-rpath`
  # on every ELF file of every output.
  stockFixup = derivation {
    name = "stock-patchelf-hook";
    inherit system;
    builder = bash;
    args = [ "-ec" ''
      export PATH=/usr/bin:/bin
      mkdir -p $out/nix-support
      cat > $out/nix-support/setup-hook <<'HOOK'
      stockPatchElf() {
        [ -z "''${dontPatchELF-}" ] || return 0
        local f
        while IFS= read -r -d "" f; do
          [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
          patchelf --shrink-rpath "$f" 2>/dev/null || true
        done < <(find "$prefix" -type f -print0)
      }
      fixupOutputHooks+=(stockPatchElf)
      HOOK
    '' ];
  };
in
stdenv
