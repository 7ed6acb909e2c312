# ldpin for nixpkgs users.
#   packages.<system>.default   ldpin (CLI, linker wrapper, setup hook)
#   overlays.default            ldpin, ldpinStdenv, ldpinStdenvWith,
#                               ldpinMkShell, ldpinSettings (nix/overlay.nix)
#   lib.replaceStdenv           config.replaceStdenv for a whole package set
#   devShells.<system>.default  a shell whose cc/ld pin store libraries
#   lib                         toToml, channelTag (nix/lib.nix)
# nixpkgs cannot be fetched on ldpin's own build machines: there the flake
# is parsed and nix/lib.nix evaluated (tests/flake_test.sh), and the same
# stdenv shape is built for real by the offline harness (nix/bootstrap).
{
  description = "ldpin: search-free dynamic linking for Nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      overlay = import ./nix/overlay.nix { src = self; };
      forAll = f: nixpkgs.lib.genAttrs systems
        (system: f (import nixpkgs { inherit system; overlays = [ overlay ]; }));
    in {
      # A whole package set built with ldpin: nixpkgs' config.replaceStdenv
      # gets the set before the stdenv is chosen (built with the standard
      # one), where ldpin and its dependencies can be built. An overlay that
      # sets stdenv cannot do this: callPackage takes stdenv and every
      # dependency of ldpin (LLVM, CMake) from the final set, which would
      # need ldpin first.
      #   import nixpkgs { config.replaceStdenv = ldpin.lib.replaceStdenv; }
      lib = import ./nix/lib.nix // {
        replaceStdenv = { pkgs }: (pkgs.extend overlay).ldpinStdenv;
      };

      overlays.default = overlay;

      packages = forAll (pkgs: {
        default = pkgs.ldpin;
        ldpin = pkgs.ldpin;
      });

      devShells = forAll (pkgs: {
        # No LD_LIBRARY_PATH: what cc links here loads its libraries by path.
        default = pkgs.ldpinMkShell {
          packages = [ pkgs.zlib pkgs.libpng pkgs.pkg-config ];
        };
      });
    };
}
