# ldpin for nixpkgs users. This first version packages the ldpin CLI; the
# stdenv adapter (overlays.default), the dev shell and the linker wrapper
# package are added with the Nix integration (see README, "Status").
# nixpkgs cannot be fetched on ldpin's own build machines, so this file is
# parsed there (`nix-instantiate --parse`), not built.
{
  description = "ldpin: search-free dynamic linking for Nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in {
      packages = forAll (pkgs: {
        default = pkgs.stdenv.mkDerivation {
          pname = "ldpin";
          version = "0.1.0";
          src = self;
          nativeBuildInputs = [ pkgs.cmake pkgs.ninja ];
          buildInputs = [
            pkgs.llvmPackages_16.llvm.dev
            pkgs.zstd
            pkgs.cli11
            pkgs.tomlplusplus
            pkgs.gtest
          ];
          cmakeFlags = [ "-DLDPIN_TESTS=OFF" ];
          installPhase = ''
            runHook preInstall
            install -Dm755 bin/ldpin $out/bin/ldpin
            runHook postInstall
          '';
        };
      });
    };
}
