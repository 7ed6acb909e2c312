# ldpin itself for nixpkgs: the CLI (`ldpin`), the linker wrapper
# (`ldpin-ld`, linked statically so that it starts fast), the setup hook
# (nix-support/setup-hook: `ldpin fixup --in-place` on every output) and the
# audit module (lib/libldpin-audit.so, and lib/ldpin-audit/$PLATFORM/ for
# LD_AUDIT in shells, whose 32-bit processes take the 32-bit one).
# Called by the overlay with the package set's own stdenv (never with
# ldpin's stdenv: ldpin is a build input of that stdenv).
{ lib, stdenv, cmake, ninja, llvmPackages_16, zstd, ncurses, cli11, tomlplusplus,
  gtest, glibc, src }:
stdenv.mkDerivation {
  pname = "ldpin";
  version = "0.1.0";
  inherit src;
  nativeBuildInputs = [ cmake ninja ];
  buildInputs = [
    llvmPackages_16.llvm.dev # libObject, linked statically by component
    zstd
    ncurses # libtinfo.a for the static ldpin-ld
    cli11
    tomlplusplus
    gtest
  ] ++ lib.optional stdenv.hostPlatform.isGnu glibc.static;
  cmakeFlags = [ "-DLDPIN_TESTS=OFF" ];
  installPhase = ''
    runHook preInstall
    install -Dm755 bin/ldpin $out/bin/ldpin
    install -Dm755 bin/ldpin-ld $out/bin/ldpin-ld
    install -Dm755 lib/libldpin-audit.so $out/lib/libldpin-audit.so
    cp -a lib/ldpin-audit $out/lib/
    mkdir -p $out/nix-support
    substitute ${../setup-hook/ldpin-fixup-hook.sh} $out/nix-support/setup-hook \
      --subst-var-by ldpin $out/bin/ldpin
    runHook postInstall
  '';
  meta = {
    description = "Search-free dynamic linking for Nix";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "ldpin";
  };
}
