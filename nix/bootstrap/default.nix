# The offline bootstrap: a small package set shaped like nixpkgs, made of
# host tools (sandbox off), with the host's glibc and gcc run-time copied
# into the store, and a compiler wrapper and a bintools wrapper laid out like
# nixpkgs' (nix-support/dynamic-linker, ...).
#
# Its own stdenv is the stock one, linking as nixpkgs does (-rpath per store
# directory that provided a library, then `patchelf --shrink-rpath` on every
# ELF file in the fixup). ldpin's stdenv is not written here: it is made by
# applying the flake's overlay (nix/overlay.nix) to this set, the way users
# apply it to nixpkgs; so the overlay's wrapper swap (bintools.overrideAttrs,
# cc.override, overrideCC, stdenv.override) is what builds every package of
# the ldpin side. The set gives the overlay the parts of nixpkgs' interface
# it uses, nothing more:
#   lib (trivial.release and revisionWithDefault, getBin, escapeShellArg),
#   stdenv (cc, mkDerivation, override), cc (bintools, override), bintools
#   (bintools, targetPrefix, overrideAttrs with name and postFixup),
#   overrideCC, writeText, makeSetupHook, mkShell (override), callPackage
#   (arguments from the final set, as nixpkgs'), extend; and for
#   nix/package.nix, its dependencies as host-tool packages (cmake, ninja,
#   llvmPackages_16.llvm.dev, ...: links to the host's files), lib.optional,
#   lib.platforms, stdenv.hostPlatform and glibc.static.
# In the package set ldpin itself is the CMake build's bin/ (ldpinBin) and
# the audit modules of the lib/ beside it,
# given by a second overlay in place of the overlay's source build; the
# source build (the overlay's own `ldpin`, nix/package.nix through
# callPackage) and the flake's lib.replaceStdenv over this set are built by
# nix/source-build.sh.
#
# `linking` chooses the stdenv the result is: "stock", or "ldpin" (the
# overlay's ldpinStdenv). hostHash names the host packages these are copied
# from (nix/host-hash.sh), so that an apt upgrade rebuilds everything instead
# of mixing.
{ hostHash, ldpinBin ? null, linking ? "ldpin", system ? "x86_64-linux",
  # The versions of the host tools that the set's host-tool packages
  # (cmake, llvmPackages_16, ...) link to (nix/host-tools-hash.sh); only
  # what builds ldpin from source needs them.
  toolsHash ? "" }:
let
  bash = "/bin/bash";
  # A builder's arguments: bash -ec SCRIPT, with bash itself the last to
  # exit. Bash execs the last command of a -c script, and Nix without a
  # sandbox takes the end of the builder's output for its end and kills it:
  # a builder that is an exec'd cp just exiting is then reported "killed by
  # signal 9" (NixOS/nix#2176; 1 build in 12 here, most builds of the
  # harness's stdenv under load). `exit $?` keeps bash, and the status.
  shArgs = script: [ "-ec" (script + "\nexit $?") ];
  hostDerivation = name: builder: extra: derivation ({
    inherit name system hostHash;
    builder = bash;
    args = [ "-e" builder ];
  } // extra);

  glibcBase = hostDerivation "glibc-host-2.36" ./glibc.sh { };
  # As nixpkgs' glibc, whose static libraries are its `static` output; here
  # they are in lib/ with the rest (libc6-dev's libc.a).
  glibc = glibcBase // { static = glibcBase; };

  # A host tool or library as a package: symbolic links in $out to the
  # host's files, at the given paths ("REL=/host/path"), as the harness uses
  # CMake and the compilers. Their versions are in toolsHash.
  hostPackage = name: links: derivation {
    inherit name system toolsHash;
    builder = bash;
    links = builtins.concatStringsSep " " links;
    args = [ "-ec" ''
      export PATH=/usr/bin:/bin
      mkdir -p $out
      for l in $links; do
        rel=''${l%%=*} target=''${l#*=}
        [ -e "$target" ] || { echo "host package $name: $target is not installed" >&2; exit 1; }
        mkdir -p "$out/$(dirname "$rel")"
        ln -s "$target" "$out/$rel"
      done
    '' ];
  };
  hostTools = {
    cmake = hostPackage "cmake-host" [ "bin/cmake=/usr/bin/cmake" "bin/ctest=/usr/bin/ctest" ];
    ninja = hostPackage "ninja-host" [ "bin/ninja=/usr/bin/ninja" ];
    # nixpkgs' llvmPackages_16.llvm.dev: the CMake package (which finds
    # its own files through its real path), headers and static archives.
    llvmPackages_16.llvm.dev = hostPackage "llvm-host-16-dev" [
      "lib/cmake/llvm=/usr/lib/llvm-16/lib/cmake/llvm" "include=/usr/lib/llvm-16/include" ];
    zstd = hostPackage "zstd-host" [ "include/zstd.h=/usr/include/zstd.h"
      "lib/libzstd.a=/usr/lib/x86_64-linux-gnu/libzstd.a" ];
    ncurses = hostPackage "ncurses-host" [ "lib/libtinfo.a=/usr/lib/x86_64-linux-gnu/libtinfo.a" ];
    cli11 = hostPackage "cli11-host" [ "include/CLI=/usr/include/CLI"
      "share/cmake/CLI11=/usr/share/cmake/CLI11" ];
    tomlplusplus = hostPackage "tomlplusplus-host" [ "include/toml++=/usr/include/toml++"
      "lib/cmake/tomlplusplus=/usr/lib/x86_64-linux-gnu/cmake/tomlplusplus" ];
    gtest = hostPackage "gtest-host" [ "include/gtest=/usr/include/gtest"
      "lib/cmake/GTest=/usr/lib/x86_64-linux-gnu/cmake/GTest" ];
    # The Unicode Character Database (Debian's unicode-data), which re2's
    # generators read, as nixpkgs' unicode-character-database.
    unicodeData = hostPackage "unicode-data-host" [ "share/unicode=/usr/share/unicode" ];
  };
  gccRuntime = hostDerivation "gcc-runtime-host-12" ./gcc-runtime.sh { inherit glibc; };

  # The host programs on a build's PATH (nixpkgs' stdenv has coreutils,
  # findutils, diffutils, sed, grep, gawk, gnutar, gzip, bzip2, xz, make,
  # patch and bash; builds add perl, python, cmake, meson... as inputs).
  hostBin = hostDerivation "host-tools" ./host-tools.sh {
    names = builtins.concatStringsSep " " [
      # the shell and the coreutils
      "bash" "sh" "cat" "cp" "mv" "rm" "ln" "ls" "mkdir" "rmdir" "chmod" "chown" "chgrp"
      "touch" "install" "env" "expr" "test" "[" "true" "false" "echo" "printf" "sleep"
      "date" "uname" "hostname" "id" "whoami" "basename" "dirname" "readlink" "realpath"
      "mktemp" "tee" "head" "tail" "wc" "sort" "uniq" "cut" "tr" "comm" "paste" "join"
      "split" "csplit" "seq" "nproc" "stat" "du" "df" "timeout" "tac" "rev" "fold" "nl"
      "md5sum" "sha1sum" "sha256sum" "cksum" "sum" "base64" "od" "dd" "mkfifo" "sync"
      "shuf" "truncate" "tsort" "yes" "nice" "nohup" "pwd" "kill" "ps" "more" "groups"
      "users" "logname"
      # the rest of nixpkgs' stdenv
      "sed" "grep" "egrep" "fgrep" "awk" "find" "xargs" "diff" "diff3" "cmp" "patch"
      "tar" "gzip" "gunzip" "zcat" "zgrep" "bzip2" "xz" "unxz" "make" "file" "which"
      "hexdump" "iconv" "locale" "getconf" "gettext" "msgfmt" "xgettext" "unzip" "zip"
      # build tools the packages take as inputs in nixpkgs
      "perl" "python3" "m4" "tclsh" "cmake" "ctest" "cpack" "pkg-config" "autoconf"
      "autoheader" "autom4te" "autoreconf" "automake" "aclocal" "libtoolize" "meson"
      "ninja"
      # the TLS server of curl's HTTPS tests; DejaGnu, libffi's harness
      "stunnel4" "runtest" "expect"
    ];
  };

  # The unwrapped linker and tools, as nixpkgs' binutils-unwrapped.
  binutils = hostDerivation "binutils-host-2.40" (builtins.toFile "binutils.sh" ''
    set -euo pipefail
    export PATH=/usr/bin:/bin
    mkdir -p $out/bin
    ln -s /usr/bin/ld.bfd $out/bin/ld
    for t in ar as ld.bfd nm objcopy objdump ranlib readelf size strings strip; do
      ln -s /usr/bin/$t $out/bin/$t
    done
  '') { };

  # nixpkgs' bintools-wrapper: bin/ld is the stock wrapper script around
  # the unwrapped `bintools`; postFixup runs last, as in a derivation's
  # fixup phase (the overlay swaps bin/ld there).
  mkBintools = attrs@{ name, bintools, postFixup ? "" }:
    hostDerivation name (builtins.toFile "bintools-wrapper.sh" ''
      set -euo pipefail
      export PATH=/usr/bin:/bin
      mkdir -p $out/bin $out/nix-support
      for t in ar as nm objcopy objdump ranlib readelf size strings strip; do
        ln -s $bintools/bin/$t $out/bin/$t
      done
      cp $stockLd $out/bin/ld
      chmod 755 $out/bin/ld
      echo $bintools/bin/ld > $out/nix-support/stock-linker
      cp $glibc/nix-support/dynamic-linker $out/nix-support/dynamic-linker
      # As nixpkgs' bintools setup hook: this wrapper serves the host role
      # (it reads the unsalted NIX_LDFLAGS...). GNU ld's own search
      # directories are the host's: it may only use -L directories.
      echo x86_64_unknown_linux_gnu > $out/nix-support/suffix-salt
      cat > $out/nix-support/setup-hook <<'HOOK'
      export NIX_BINTOOLS_WRAPPER_TARGET_HOST_x86_64_unknown_linux_gnu=1
      export NIX_LDFLAGS_BEFORE="-nostdlib ''${NIX_LDFLAGS_BEFORE-}"
      HOOK
      eval "$postFixup"
    '') {
      inherit glibc bintools postFixup;
      stockLd = ./stock-ld.sh;
    } // {
      targetPrefix = "";
      overrideAttrs = f: mkBintools (attrs // f attrs);
    };

  # nixpkgs' cc-wrapper for the host's gcc 12, linking through `bintools`.
  mkCC = attrs@{ bintools }:
    hostDerivation "gcc-host-wrapper-12" (builtins.toFile "cc-wrapper.sh" ''
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
      # Debian's gcc passes --as-needed to every link; nixpkgs' gcc (and
      # upstream's) does not, so a C++ library there needs libm whether it
      # uses it or not. Only libgcc_s stays --as-needed, as upstream has it.
      asNeeded='%{!fsanitize=*:--as-needed}'
      case "$link" in *"$asNeeded"*) ;; *) echo "cc: no --as-needed in gcc's link spec to remove" >&2; exit 1 ;; esac
      link=''${link//"$asNeeded"/}
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
    '') { inherit glibc gccRuntime bintools; } // {
      override = f: mkCC (attrs // (if builtins.isFunction f then f attrs else f));
    };

  # $stdenv/setup, as in nixpkgs: what builds and nix-shell source.
  setup = derivation {
    name = "bootstrap-stdenv";
    inherit system;
    builder = bash;
    src = ./setup.sh;
    args = shArgs "/bin/mkdir -p $out && /bin/cp $src $out/setup";
  };

  # nixpkgs' patchelf setup hook: `patchelf --shrink-rpath` on every ELF
  # file of every output, in the fixup. In nixpkgs' Linux stdenv it is one of
  # extraNativeBuildInputs, so ldpin's stdenv has it too, as there: ldpin's
  # hook sets dontPatchELF, which it honours.
  patchelfHook = derivation {
    name = "stock-patchelf-hook";
    inherit system;
    builder = bash;
    args = shArgs ''
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
    '';
  };

  # nixpkgs' stdenv: the compiler, and extraNativeBuildInputs whose setup
  # hooks every build sources; override as stdenv's makeOverridable.
  mkStdenv = attrs@{ cc, extraNativeBuildInputs ? [ ] }:
    let
      # What every derivation of this stdenv, a package or a shell, is given.
      base = {
        inherit system cc hostBin;
        inherit (cc) bintools;
        stdenvInputs = [ cc.bintools glibc gccRuntime ] ++ extraNativeBuildInputs;
        stdenv = setup;
        builder = bash;
      };
    in {
      inherit cc glibc gccRuntime extraNativeBuildInputs;
      hostPlatform = { inherit system; isGnu = true; isLinux = true; };
      override = f: mkStdenv (attrs // (if builtins.isFunction f then f attrs else f));
      # A development shell (nix-shell -A ...): the stdenv's compiler and
      # linker wrapper with `packages` as inputs, as nixpkgs' mkShell. Built
      # on its own it only records its environment; it is for nix-shell.
      mkShell = { name ? "nix-shell", packages ? [ ], buildInputs ? [ ], ... }@args:
        derivation (removeAttrs args [ "packages" ] // base // {
          inherit name;
          buildInputs = packages ++ buildInputs;
          args = [ "-ec" ''source "$stdenv/setup"; export > "$out"'' ];
        });
      mkDerivation = { pname, version, src, buildInputs ? [ ], nativeBuildInputs ? [ ],
                       propagatedBuildInputs ? [ ], outputs ? [ "out" ], ... }@args:
        let
          clean = removeAttrs args [ "pname" "version" "passthru" "meta" ];
          drv = derivation (clean // base // {
            name = "${pname}-${version}";
            inherit outputs;
            # As in Nix's sandbox, a network of its own with only loopback
            # up: no build or test suite reaches beyond this machine.
            builder = "/usr/bin/unshare";
            args = [ "--net" "--" bash "-ec"
              ''/usr/sbin/ip link set lo up; source "$stdenv/setup"; genericBuild'' ];
            postInstall = (args.postInstall or "") + (if propagatedBuildInputs != [ ] then ''
              mkdir -p $out/nix-support
              echo ${toString propagatedBuildInputs} > $out/nix-support/propagated-build-inputs
            '' else "");
          });
        in drv // { inherit pname version; passthru = args.passthru or { }; };
    };

  # The parts of nixpkgs' lib the overlay uses.
  lib = rec {
    trivial = {
      release = "offline-harness";
      revisionWithDefault = default: default;
    };
    getBin = pkg: pkg.bin or pkg.out or pkg;
    getLib = pkg: pkg.lib or pkg.out or pkg;
    optional = cond: x: if cond then [ x ] else [ ];
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
    licenses.mit = { spdxId = "MIT"; shortName = "mit"; };
    escapeShellArg = arg:
      "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg) + "'";
  };

  # The set itself, a fixed point that overlays extend as nixpkgs' do.
  stockSet = self: hostTools // {
    inherit lib glibc gccRuntime binutils;
    # nixpkgs' callPackage: the function's arguments from the final set
    # (`self`, with every overlay applied), the given ones over them. So an
    # overlay that makes `stdenv` depend on a package built by callPackage
    # with that stdenv recurses here as it does in nixpkgs.
    callPackage = fn: args:
      let f = if builtins.isFunction fn then fn else import fn;
      in f (builtins.intersectAttrs (builtins.functionArgs f) self // args);
    bintools = mkBintools { name = "binutils-host-wrapper-2.40"; bintools = self.binutils; };
    cc = mkCC { inherit (self) bintools; };
    stdenv = mkStdenv { inherit (self) cc; extraNativeBuildInputs = [ patchelfHook ]; };
    overrideCC = stdenv: cc: stdenv.override { inherit cc; };
    writeText = name: text: derivation {
      inherit name system text;
      builder = bash;
      passAsFile = [ "text" ];
      args = shArgs ''/bin/cp "$textPath" "$out"'';
    };
    makeSetupHook = { name, ... }: script: derivation {
      inherit name system script;
      builder = bash;
      args = shArgs ''/bin/mkdir -p $out/nix-support && /bin/cp "$script" $out/nix-support/setup-hook'';
    };
    # mkShell on a stdenv, overridable as nixpkgs' callPackage'd mkShell.
    mkShell = let on = stdenv: {
      __functor = _: stdenv.mkShell;
      override = args: on (args.stdenv or stdenv);
    }; in on self.stdenv;
  };

  extends = overlay: rattrs: self:
    let super = rattrs self; in super // overlay self super;
  fix = f: let x = f x; in x;
  # As nixpkgs' package set: `extend overlay` is the set made again with
  # the overlay on top, every attribute taken from the new fixed point.
  makeExtensible = rattrs: fix (self: rattrs self // {
    extend = overlay: makeExtensible (extends overlay rattrs);
  });

  # ldpin as its CMake build made it, with its setup hook, as nix/package.nix
  # installs it.
  ldpinPrebuilt = derivation {
    name = "ldpin-0.1.0";
    inherit system;
    builder = bash;
    bin = builtins.path {
      path = ldpinBin;
      name = "ldpin-build";
      filter = p: _: builtins.elem (baseNameOf p) [ "ldpin" "ldpin-ld" ];
    };
    # The audit modules: lib/libldpin-audit.so and lib/ldpin-audit/$PLATFORM/.
    lib = builtins.path {
      path = /. + (dirOf (toString ldpinBin) + "/lib");
      name = "ldpin-build-lib";
      filter = p: _: baseNameOf p == "libldpin-audit.so"
        || builtins.match ".*/lib/ldpin-audit(/[^/]*)?" (toString p) != null;
    };
    hook = ../../setup-hook/ldpin-fixup-hook.sh;
    args = shArgs ''
      export PATH=/usr/bin:/bin
      mkdir -p $out/bin $out/lib $out/nix-support
      cp $bin/ldpin $bin/ldpin-ld $out/bin/
      cp -a $lib/. $out/lib/
      sed "s|@ldpin@|$out/bin/ldpin|g" $hook > $out/nix-support/setup-hook
    '';
  };

  # The repository without its build trees, as a flake's `self` would be.
  root = toString ../..;
  src = builtins.path {
    path = ../..;
    name = "ldpin-source";
    filter = path: type:
      let rel = builtins.substring (builtins.stringLength root + 1) (-1) (toString path);
      in !(builtins.elem (builtins.head (builtins.split "/" rel)) [ ".git" "result" ]
           || builtins.substring 0 5 rel == "build"
           || baseNameOf path == "__pycache__");
  };
  overlay = import ../overlay.nix { inherit src; };
  # The set as nixpkgs' is, extensible; `stockPkgs.extend overlay` builds
  # ldpin from source (nix/package.nix through callPackage).
  stockPkgs = makeExtensible stockSet;
  pkgs = (stockPkgs.extend overlay).extend (_: _: {
    ldpin = if ldpinBin == null
      then throw "nix/bootstrap: linking = \"ldpin\" needs ldpinBin (the CMake build's bin/)"
      else ldpinPrebuilt;
  });
in
# (`pkgs` is the set with the overlay applied, `stockPkgs` the set before it
# and `src` the source the overlay builds, for tests/flake_test.sh and
# nix/source-build.nix.)
if linking == "stock" then pkgs.stdenv // { inherit pkgs stockPkgs src; }
else if linking == "ldpin" then pkgs.ldpinStdenv // { mkShell = pkgs.ldpinMkShell; inherit pkgs stockPkgs src; }
else throw "nix/bootstrap: linking is \"ldpin\" or \"stock\", not \"${linking}\""
