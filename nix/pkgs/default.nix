# The package set of the offline harness: real upstream releases (the orig
# tarballs of Debian 12's source packages, pinned in nix/sources.tsv and
# fetched by nix/fetch-sources.sh), built by nix-build with the bootstrap
# stdenv, their own test suites run in the check phase. `linking` is
# "ldpin" or "stock" (see nix/bootstrap).
{ hostHash, ldpinBin ? null, linking ? "ldpin",
  sources ? "/var/cache/ldpin/sources", system ? "x86_64-linux" }:
let
  stdenv = import ../bootstrap { inherit hostHash ldpinBin linking system; };

  # nix/sources.tsv: source package -> { file, sha256 }.
  lines = builtins.filter (l: builtins.isString l && l != "" && builtins.substring 0 1 l != "#")
    (builtins.split "\n" (builtins.readFile ../sources.tsv));
  table = builtins.listToAttrs (map (l:
    let f = builtins.filter builtins.isString (builtins.split "\t" l);
    in { name = builtins.elemAt f 0; value = { file = builtins.elemAt f 2; sha256 = builtins.elemAt f 3; }; })
    lines);
  # A fixed-output derivation: its store path depends on the name and hash
  # only, not on where the file was fetched from.
  source = pkg: import <nix/fetchurl.nix> {
    url = "file://${sources}/${table.${pkg}.file}";
    inherit (table.${pkg}) sha256;
    name = table.${pkg}.file;
  };

  mk = stdenv.mkDerivation;
in rec {
  inherit stdenv;

  zlib = mk {
    pname = "zlib";
    version = "1.2.13";
    src = source "zlib";
    doCheck = true;
  };

  libpng = mk {
    pname = "libpng";
    version = "1.6.39";
    src = source "libpng1.6";
    buildInputs = [ zlib ];
    propagatedBuildInputs = [ zlib ];
    configureFlags = "--disable-static";
    doCheck = true;
  };

  xz = mk {
    pname = "xz";
    version = "5.4.1";
    src = source "xz-utils";
    configureFlags = "--disable-static --disable-doc";
    doCheck = true;
  };
}
