# Compression: zlib, bzip2, xz, zstd, lz4, brotli (CMake), and libarchive
# over most of them (the diamonds on zlib and xz through libxml2).
{ debian, pkgs, cmakeSuite, ... }:
let inherit (pkgs) libxml2; in
rec {
  zlib = debian "zlib" {
    doCheck = true;
  };

  bzip2 = debian "bzip2" {
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

  xz = debian "xz-utils" {
    pname = "xz";
    configureFlags = "--disable-static --disable-doc";
    doCheck = true;
  };

  zstd = debian "libzstd" {
    pname = "zstd";
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

  lz4 = debian "lz4" {
    configurePhase = ":";
    makeFlags = "PREFIX=${placeholder "out"}";
    doCheck = true;
    checkPhase = "make -C tests test-lz4-basic";
  };

  libarchive = debian "libarchive" {
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

  # CMake (brotli's configure only says so); its round-trip tests of the
  # brotli program over its test data, at several qualities.
  brotli = debian "brotli" (cmakeSuite "." // {
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON";
  });
}
