# C++ (libstdc++ and libgcc_s by version), each with its own suite:
# googletest built shared, whose libraries the other suites here use
# (fmtlib, snappy, leveldb); snappy, and leveldb on it (a C++ chain);
# fmtlib; jsoncpp; re2; double-conversion; pugixml; tinyxml2 (Meson).
# (In-tree libraries of the suites: see cmakeSuite in default.nix.)
{ debian, pkgs, stdenv, cmakeSuite, inTreeLibraries, ... }:
let
  inherit (pkgs) zlib lz4;
  # A project that adds googletest (and Google benchmark) from its own
  # third_party/ tree, which Debian's tarball lacks: the set's googletest
  # instead, under the target names the project uses.
  useSetGoogletest = file: ''
    sed -i -e 's|^\( *\)add_subdirectory("third_party/googletest")|\1find_package(GTest REQUIRED)\n\1foreach(t gtest gtest_main gmock gmock_main)\n\1  add_library(''${t} INTERFACE)\n\1  target_link_libraries(''${t} INTERFACE GTest::''${t})\n\1endforeach()|' \
      -e 's|^\( *\)add_subdirectory("third_party/benchmark")|\1add_library(benchmark INTERFACE)|' ${file}
    grep -q 'find_package(GTest REQUIRED)' ${file}
  '';
in
rec {
  googletest = debian "googletest" (cmakeSuite "lib" // {
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_GMOCK=ON -Dgtest_build_tests=ON";
  });

  snappy = debian "snappy" (cmakeSuite "." // {
    buildInputs = [ googletest zlib lz4 ];
    # gcc 12 refuses to always-inline a function a shared build may
    # interpose (as Debian's and nixpkgs' patches for 1.1.9 say: inline).
    postUnpack = useSetGoogletest "CMakeLists.txt" + ''
      sed -i 's/^size_t AdvanceToNextTag(/inline size_t AdvanceToNextTag(/' snappy.cc
      grep -q '^inline size_t AdvanceToNextTag(' snappy.cc
    '';
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DSNAPPY_BUILD_TESTS=ON -DSNAPPY_BUILD_BENCHMARKS=OFF";
  });

  # Built shared, leveldb's CMake runs the tests that use its public
  # interface only (c_test, fault_injection_test, env_test, ...; the rest
  # need its internal symbols and are for static builds).
  leveldb = debian "leveldb" (cmakeSuite "." // {
    buildInputs = [ snappy googletest ];
    propagatedBuildInputs = [ snappy ];
    postUnpack = useSetGoogletest "CMakeLists.txt";
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DLEVELDB_BUILD_TESTS=ON -DLEVELDB_BUILD_BENCHMARKS=OFF";
  });

  fmtlib = debian "fmtlib" (cmakeSuite "." // {
    # Debian's tarball drops fmt's own copy of googletest: the set's.
    buildInputs = [ googletest ];
    postUnpack = ''
      sed -i 's|^add_subdirectory(gtest)$|find_package(GTest REQUIRED)\nadd_library(gtest INTERFACE)\ntarget_link_libraries(gtest INTERFACE GTest::gmock GTest::gtest)|' test/CMakeLists.txt
    '';
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DFMT_DOC=OFF -DFMT_TEST=ON";
  });

  jsoncpp = debian "libjsoncpp" (cmakeSuite "lib" // {
    pname = "jsoncpp";
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF -DBUILD_OBJECT_LIBS=OFF -DJSONCPP_WITH_TESTS=ON -DJSONCPP_WITH_POST_BUILD_UNITTEST=OFF";
  });

  # Debian's tarball drops re2's generated Unicode tables: made again from
  # the Unicode Character Database (as Debian's build does), and the Perl
  # classes' table with its own generator. Its test programs run, but the
  # exhaustive ones (minutes each: every expression up to a size) and the
  # benchmark.
  re2 = debian "re2" {
    nativeBuildInputs = [ stdenv.pkgs.unicodeData ];
    postUnpack = ''
      sed -i -e 's|^from six.moves import urllib$|import urllib.request|' \
        -e "s|^_UNICODE_DIR = .*|_UNICODE_DIR = \"${stdenv.pkgs.unicodeData}/share/unicode\"|" re2/unicode.py
      python3 re2/make_unicode_casefold.py > re2/unicode_casefold.cc
      python3 re2/make_unicode_groups.py > re2/unicode_groups.cc
      perl re2/make_perl_groups.pl > re2/perl_groups.cc
    '';
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DRE2_BUILD_TESTING=ON";
    doCheck = true;
    checkPhase = ''
      ${inTreeLibraries "."}
      ctest -j"$NIX_BUILD_CORES" --output-on-failure -E 'exhaustive|benchmark'
    '';
  };

  double-conversion = debian "double-conversion" (cmakeSuite "." // {
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=ON";
  });

  pugixml = debian "pugixml" (cmakeSuite "." // {
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DPUGIXML_BUILD_TESTS=ON";
  });

  # Meson (its CMake build too): xmltest over its resources.
  tinyxml2 = debian "tinyxml2" {
    mesonFlags = "-Dtests=true";
    doCheck = true;
  };
}
