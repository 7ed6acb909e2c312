# The package set of the offline harness: real upstream releases (the orig
# tarballs of Debian 12's source packages, pinned in nix/sources.tsv and
# fetched by nix/fetch-sources.sh), built by nix-build with the bootstrap
# stdenv, their own test suites run in the check phase. `linking` is
# "ldpin" or "stock" (see nix/bootstrap).
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

  bzip2 = mk {
    pname = "bzip2";
    version = "1.0.8";
    src = source "bzip2";
    # No configure: the shared library has a Makefile of its own, the
    # programs link the static one unless told otherwise.
    buildPhase = ''
      make -f Makefile-libbz2_so CC=cc
      make CC=cc bzip2 bzip2recover
      cc -O2 -o bzip2-shared bzip2.c libbz2.so.1.0
    '';
    doCheck = true;
    checkPhase = "make CC=cc check";
    installPhase = ''
      mkdir -p $out/bin $out/lib $out/include
      cp bzlib.h $out/include/
      cp libbz2.so.1.0.8 $out/lib/
      ln -s libbz2.so.1.0.8 $out/lib/libbz2.so.1.0
      ln -s libbz2.so.1.0 $out/lib/libbz2.so.1
      ln -s libbz2.so.1 $out/lib/libbz2.so
      cp bzip2-shared $out/bin/bzip2
      cp bzip2recover $out/bin/
      ln -s bzip2 $out/bin/bunzip2
      ln -s bzip2 $out/bin/bzcat
    '';
  };

  zstd = mk {
    pname = "zstd";
    version = "1.5.4";
    src = source "libzstd";
    # The CMake build, as nixpkgs: the programs linked to the shared library.
    cmakeDir = "build/cmake";
    cmakeFlags = "-DZSTD_BUILD_STATIC=OFF -DZSTD_PROGRAMS_LINK_SHARED=ON -DZSTD_LEGACY_SUPPORT=OFF";
    # Not zstd's playTests.sh: run as root without a sandbox (this harness)
    # it replaces /dev/null with a regular file. The installed programs
    # (CMAKE_BUILD_WITH_INSTALL_RPATH: they do not run from the build
    # tree, with the stock wrapper either): a round trip of the sources at
    # several levels, and the built-in benchmark's own checks.
    doInstallCheck = true;
    installCheckPhase = ''
      z=$out/bin/zstd
      for level in 1 3 19; do
        for f in ../lib/*/*.c; do
          $z -q -$level -c "$f" | $z -q -d -c | cmp - "$f"
        done
      done
      $z -b1e3 -i0 ../lib/zstd.h
    '';
  };

  lz4 = mk {
    pname = "lz4";
    version = "1.9.4";
    src = source "lz4";
    configurePhase = ":";
    makeFlags = "PREFIX=${placeholder "out"}";
    doCheck = true;
    checkPhase = "make -C tests test-lz4-basic";
  };

  libjpeg-turbo = mk {
    pname = "libjpeg-turbo";
    version = "2.1.5";
    src = source "libjpeg-turbo";
    cmakeFlags = "-DWITH_SIMD=OFF -DENABLE_STATIC=OFF";
    doCheck = true;
    checkTarget = "test";
  };

  expat = mk {
    pname = "expat";
    version = "2.5.0";
    src = source "expat";
    postUnpack = "cd expat";
    cmakeFlags = "-DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_EXAMPLES=OFF";
    doCheck = true;
    checkTarget = "test";
  };

  libxml2 = mk {
    pname = "libxml2";
    version = "2.9.14";
    src = source "libxml2";
    buildInputs = [ zlib xz ];
    propagatedBuildInputs = [ zlib xz ];
    configureFlags = "--disable-static --without-python --without-http --without-ftp";
    # Debian's tarball has no test/ tree (its suite passes vacuously but for
    # the thread test, which needs the missing files). xmllint instead, on
    # documents read through zlib and liblzma.
    doInstallCheck = true;
    installCheckPhase = ''
      printf '<?xml version="1.0"?>\n<r><i n="1">a</i><i n="2">b</i><i n="3">c</i></r>\n' > doc.xml
      gzip -c doc.xml > doc.xml.gz
      xz -c doc.xml > doc.xml.xz
      for f in doc.xml doc.xml.gz doc.xml.xz; do
        got=$($out/bin/xmllint --xpath 'sum(//i/@n)' "$f")
        [ "$got" = 6 ] || { echo "xmllint $f said: $got" >&2; exit 1; }
      done
      ! printf '<r><i></r>' | $out/bin/xmllint --noout - 2>/dev/null
    '';
  };

  pcre2 = mk {
    pname = "pcre2";
    version = "10.42";
    src = source "pcre2";
    configureFlags = "--disable-static --enable-pcre2-16 --enable-pcre2-32";
    doCheck = true;
  };

  sqlite = mk {
    pname = "sqlite";
    version = "3.40.1";
    src = source "sqlite3";
    buildInputs = [ zlib ];
    # The shell linked to the shared library (the amalgamation is made with
    # the host's tclsh; the Tcl test suite needs Tcl headers and is not run).
    configureFlags = "--disable-static --disable-tcl --disable-readline --disable-editline";
    doInstallCheck = true;
    installCheckPhase = ''
      s=$out/bin/sqlite3
      got=$(printf '%s\n' \
        "create table t(a integer primary key, b text);" \
        "with recursive c(x) as (select 1 union all select x+1 from c where x<1000) insert into t select x, hex(randomblob(8)) from c;" \
        "create index i on t(b);" \
        "select count(*), sum(a), sqrt(16.0) from t;" | $s :memory:)
      [ "$got" = "1000|500500|4.0" ] || { echo "sqlite3 said: $got" >&2; exit 1; }
    '';
  };

  lua = mk {
    pname = "lua";
    version = "5.4.4";
    src = source "lua5.4";
    # Lua's makefile builds a static library only; the shared one (what
    # distributions ship) is made from the same objects and the interpreter
    # linked to it.
    configurePhase = ":";
    buildPhase = ''
      make -C src linux MYCFLAGS=-fPIC CC=cc
      cc -shared -Wl,-soname,liblua.so.5.4 -o src/liblua.so.5.4.4 \
        -Wl,--whole-archive src/liblua.a -Wl,--no-whole-archive -lm
      ln -s liblua.so.5.4.4 src/liblua.so.5.4
      ln -s liblua.so.5.4 src/liblua.so
      cc -Wl,-E -o src/lua src/lua.o -Lsrc -llua -lm
    '';
    installPhase = ''
      make install INSTALL_TOP=$out
      cp -P src/liblua.so* $out/lib/
    '';
    doInstallCheck = true;
    installCheckPhase = ''
      got=$($out/bin/lua -e 'local t = {} for i = 1, 100 do t[i] = i * i end
        print(#t, t[100], math.floor(math.sqrt(t[9])), string.format("%.3f", math.sin(1)),
              ("ldpin"):rep(2):upper(), utf8.char(955))')
      [ "$got" = "$(printf '100\t10000\t9\t0.841\tLDPINLDPIN\t\316\273')" ] || { echo "lua said: $got" >&2; exit 1; }
    '';
  };

  libarchive = mk {
    pname = "libarchive";
    version = "3.6.2";
    src = source "libarchive";
    buildInputs = [ zlib bzip2 xz zstd lz4 libxml2 ];
    configureFlags = "--disable-static --without-openssl --without-nettle --without-iconv --disable-acl --disable-xattr";
    # One of its 590 tests is left out: test_write_disk_perms expects to set
    # set-group-ID bits, which root in this harness's builds (no build users,
    # no sandbox) is refused (EPERM). The test list is made from the lines
    # that start with DEFINE_TEST.
    postPatch = ''
      sed -i 's/^DEFINE_TEST(test_write_disk_perms)/void test_write_disk_perms(void); void test_write_disk_perms(void)/' \
        libarchive/test/test_write_disk_perms.c
    '';
    doCheck = true;
  };

  curl = mk {
    pname = "curl";
    version = "7.88.1";
    src = source "curl";
    buildInputs = [ zlib zstd ];
    configureFlags = "--disable-static --without-ssl --with-zlib --with-zstd --without-libpsl --without-brotli --without-nghttp2 --without-libidn2 --disable-ldap --disable-manual";
    # curl's own suite (its servers run on localhost), without the tests it
    # marks flaky: by default its first 400 tests (HTTP, FTP, file, TFTP,
    # cookies, ...); all 1,558 take 22 minutes here (curlTests = "").
    # runtests.pl puts $USER into some of them.
    doCheck = true;
    preCheck = "export USER=nixbld TFLAGS='${curlTests}'";
    checkTarget = "test-nonflaky";
  };

  # C++ (libstdc++ and libgcc_s by version): jsoncpp with its unit tests
  # and its JSON reader/writer suites (Python).
  jsoncpp = mk {
    pname = "jsoncpp";
    version = "1.9.5";
    src = source "libjsoncpp";
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF -DBUILD_OBJECT_LIBS=OFF -DJSONCPP_WITH_TESTS=ON -DJSONCPP_WITH_POST_BUILD_UNITTEST=OFF";
    doCheck = true;
    checkTarget = "test";
  };

  # `nix-shell nix/pkgs -A shell`: a development shell with zlib and libpng,
  # whose cc pins them (nix/devshell-test.sh).
  shell = stdenv.mkShell {
    name = "ldpin-dev-shell";
    packages = [ zlib libpng ];
  };
}
