# ldpin built from source the way nixpkgs users get it, over the offline
# harness (nix/bootstrap), whose set has nixpkgs' callPackage and extend:
#   ldpin  the overlay's own `ldpin` (nix/package.nix through callPackage,
#          its arguments from the final set, its dependencies the harness's
#          host-tool packages), in the set with the flake's overlay applied;
#   stdenv the flake's lib.replaceStdenv given the set before the stdenv is
#          chosen, as nixpkgs' config.replaceStdenv gives it: ldpinStdenv
#          with that from-source ldpin;
#   zlib, libpng  the package set's, built with that stdenv.
{ hostHash, toolsHash, sources ? "/var/cache/ldpin/sources" }:
let
  harness = import ./bootstrap { inherit hostHash toolsHash; linking = "stock"; };
  flake = (import ../flake.nix).outputs {
    self = harness.src;
    nixpkgs = throw "nix/source-build.nix: nixpkgs is not needed here";
  };
  stdenv = flake.lib.replaceStdenv { pkgs = harness.stockPkgs; };
  set = import ./pkgs { inherit hostHash sources; withStdenv = stdenv; };
in {
  ldpin = (harness.stockPkgs.extend flake.overlays.default).ldpin;
  inherit stdenv;
  inherit (set) zlib libpng;
}
