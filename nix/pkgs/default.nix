# The package set of the offline harness: real upstream releases (the orig
# tarballs of Debian 12's source packages, pinned in nix/sources.tsv and
# fetched by nix/fetch-sources.sh), built by nix-build with the bootstrap
# stdenv, their own test suites run in the check phase. `linking` is
# "ldpin" or "stock" (see nix/bootstrap).
#
# One file per family of packages; each is a function of the set's common
# arguments (debian, the set itself as `pkgs`, stdenv, ...) returning its
# packages. debian.nix is the helper that makes a package of a Debian
# source package, its version read from nix/sources.tsv.
{ hostHash, ldpinBin ? null, linking ? "ldpin",
  sources ? "/var/cache/ldpin/sources", system ? "x86_64-linux",
  # curl's tests to run (runtests.pl's words): "" runs them all.
  curlTests ? "1 to 400",
  # A stdenv to build the set with instead of the harness's `linking` one
  # (nix/source-build.nix: the flake's lib.replaceStdenv).
  withStdenv ? null }:
let
  stdenv = if withStdenv != null then withStdenv
    else import ../bootstrap { inherit hostHash ldpinBin linking system; };
  debian = import ./debian.nix { inherit stdenv sources; };
  # nixpkgs' CMake hook links the build tree without a build RPATH
  # (CMAKE_SKIP_BUILD_RPATH): a suite that runs programs against the
  # project's own shared libraries finds them through LD_LIBRARY_PATH, as
  # nixpkgs' jsoncpp does (a preCheck, both ways). DIR: their directory,
  # relative to the build directory.
  inTreeLibraries = dir:
    ''export LD_LIBRARY_PATH="$PWD/${dir}''${LD_LIBRARY_PATH:+:}''${LD_LIBRARY_PATH-}"'';
  # A CMake project's own suite (ctest, as `make test`), its in-tree
  # libraries in DIR.
  cmakeSuite = dir: { doCheck = true; checkTarget = "test"; preCheck = inTreeLibraries dir; };
  args = { inherit stdenv debian curlTests inTreeLibraries cmakeSuite; pkgs = set; };
  families = [ ./compression.nix ./images.nix ./text.nix ./databases.nix
               ./network.nix ./languages.nix ./cxx.nix ];
  set = builtins.foldl' (acc: family: acc // import family args) { } families;
in set // {
  inherit stdenv;

  # `nix-shell nix/pkgs -A shell`: a development shell with zlib and libpng,
  # whose cc pins them (nix/devshell-test.sh).
  shell = stdenv.mkShell {
    name = "ldpin-dev-shell";
    packages = [ set.zlib set.libpng ];
  };
}
