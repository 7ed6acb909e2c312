# `debian SOURCE { ... }`: a package built from the upstream tarball of a
# Debian 12 source package, as nix/sources.tsv pins it (name, file, sha256).
# pname defaults to the source package's name and version to the tarball's
# upstream version without Debian's repack suffix (+dfsg, +ds1, .dfsg);
# every other attribute goes to stdenv.mkDerivation.
{ stdenv, sources }:
let
  lines = builtins.filter (l: builtins.isString l && l != "" && builtins.substring 0 1 l != "#")
    (builtins.split "\n" (builtins.readFile ../sources.tsv));
  table = builtins.listToAttrs (map (l:
    let f = builtins.filter builtins.isString (builtins.split "\t" l);
    in { name = builtins.elemAt f 0; value = { file = builtins.elemAt f 2; sha256 = builtins.elemAt f 3; }; })
    lines);
  entry = pkg: table.${pkg} or (throw "nix/pkgs: ${pkg} is not in nix/sources.tsv");
  # "zlib_1.2.13.dfsg.orig.tar.bz2" -> "1.2.13"
  versionOf = pkg:
    let
      upstream = builtins.head (builtins.match "[^_]*_(.*)\\.orig\\.tar\\..*" (entry pkg).file);
      bare = builtins.match "(.*)([.+](dfsg|ds)[0-9]*)" upstream;
    in if bare == null then upstream else builtins.head bare;
  # A fixed-output derivation: its store path depends on the name and hash
  # only, not on where the file was fetched from.
  source = pkg: import <nix/fetchurl.nix> {
    url = "file://${sources}/${(entry pkg).file}";
    inherit (entry pkg) sha256;
    name = (entry pkg).file;
  };
in
pkg: attrs: stdenv.mkDerivation ({
  pname = pkg;
  version = versionOf pkg;
  src = source pkg;
} // attrs)
