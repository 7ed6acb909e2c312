# overlays.default: ldpin in a nixpkgs package set.
#
#   ldpin                      the package (nix/package.nix)
#   ldpinStdenv                stdenv whose bintools wrapper is ldpin-ld and
#                              whose fixup runs ldpin's hook
#   ldpinStdenvWith { settings ? {}, channel ? <this nixpkgs> } stdenv
#                              the same from any stdenv, with ldpin.toml
#                              written from a Nix attribute set
#   ldpinMkShell               mkShell on ldpinStdenv, with the audit module
#                              (LD_AUDIT) and LDPIN_FALLBACK_PATH (the lib/
#                              of the shell's packages) instead of any
#                              LD_LIBRARY_PATH
#   ldpinAudit                 LD_AUDIT's value for a shell: the module of
#                              either class, through glibc's $PLATFORM
#   ldpinSettings              the default settings (an attribute set)
#
# To make ldpin the stdenv of a whole package set, use the flake's
# lib.replaceStdenv as nixpkgs' config.replaceStdenv (an overlay that sets
# stdenv = ldpinStdenv recurses: see flake.nix).
#
# How the wrapper is swapped: nixpkgs' wrapped bintools (stdenv.cc.bintools)
# is rebuilt with its bin/ld, the bash ld-wrapper, replaced by a copy of
# ldpin-ld (a copy: it reads nix-support/ beside its own file), and
# nix-support/ldpin-linker naming the real linker the bash wrapper ran.
# Everything else of the wrapper (nix-support/dynamic-linker, libc-ldflags,
# the setup hook with its role salts) stays as nixpkgs made it, and ldpin-ld
# reads it as the bash wrapper does. cc is the same cc-wrapper given that
# bintools.
{ src }:
final: prev:
let
  inherit (prev) lib;
  ldpinLib = import ./lib.nix;

  defaultChannel = ldpinLib.channelTag {
    inherit (lib.trivial) release;
    revision = lib.trivial.revisionWithDefault "";
  };

  # Every ld the wrapper has: ld, and each ld.* variant nixpkgs' wrapper
  # wraps (ld.bfd, ld.gold, and ld.lld or ld.mold where the bintools have
  # them), which -fuse-ld= selects. A variant reads
  # nix-support/ldpin-linker.<variant>.
  ldpinBintools = bintools: bintools.overrideAttrs (old: {
    name = "ldpin-" + (old.name or "bintools-wrapper");
    postFixup = (old.postFixup or "") + ''
      real=${lib.getBin bintools.bintools}/bin
      for ld in $out/bin/${bintools.targetPrefix}ld $out/bin/${bintools.targetPrefix}ld.*; do
        [ -e "$ld" ] || [ -L "$ld" ] || continue
        name=''${ld##*/}
        [ -x "$real/$name" ] || continue
        rm -f "$ld"
        cp ${final.ldpin}/bin/ldpin-ld "$ld"
        case $name in
          *ld) echo "$real/$name" > $out/nix-support/ldpin-linker ;;
          *) echo "$real/$name" > $out/nix-support/ldpin-linker.''${name##*ld.} ;;
        esac
      done
    '';
  });

  # LDPIN_CHANNEL and LDPIN_CONFIG for every build of the stdenv.
  envHook = { settings, channel }:
    let config = prev.writeText "ldpin.toml" (ldpinLib.toToml settings); in
    prev.makeSetupHook { name = "ldpin-env-hook"; } (prev.writeText "ldpin-env-hook.sh" ''
      export LDPIN_CHANNEL=${lib.escapeShellArg channel}
      export LDPIN_CONFIG=${config}
    '');

  withLdpin = { settings ? final.ldpinSettings, channel ? defaultChannel }: stdenv:
    let
      cc = stdenv.cc.override { bintools = ldpinBintools stdenv.cc.bintools; };
    in
    (prev.overrideCC stdenv cc).override (old: {
      extraNativeBuildInputs = (old.extraNativeBuildInputs or [ ])
        ++ [ final.ldpin (envHook { inherit settings channel; }) ];
    });
in
{
  # Built with the set's stdenv before ldpin's: ldpin is part of ldpinStdenv.
  ldpin = prev.callPackage ./package.nix { inherit src; };

  ldpinSettings = { pin = "store"; };
  ldpinChannel = defaultChannel;
  ldpinStdenvWith = withLdpin;
  ldpinStdenv = withLdpin { } prev.stdenv;
  # "$PLATFORM" is glibc's token (Nix does not expand it): each process
  # loads the module of its own class.
  ldpinAudit = "${final.ldpin}/lib/ldpin-audit/$PLATFORM/libldpin-audit.so";
  ldpinMkShell = { packages ? [ ], buildInputs ? [ ], ... }@args:
    (prev.mkShell.override { stdenv = final.ldpinStdenv; }) (args // {
      LD_AUDIT = final.ldpinAudit;
      LDPIN_FALLBACK_PATH = builtins.concatStringsSep ":"
        (map (p: "${lib.getLib p}/lib") (packages ++ buildInputs));
    });
}
