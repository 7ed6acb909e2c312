# Text and markup: expat (CMake), libxml2 (on zlib and xz), pcre2, libyaml,
# json-c and jansson (CMake), fribidi (Meson), harfbuzz (Meson, C++).
{ debian, pkgs, cmakeSuite, ... }:
let inherit (pkgs) xz zlib; in
rec {
  expat = debian "expat" (cmakeSuite "." // {
    postUnpack = "cd expat";
    cmakeFlags = "-DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_EXAMPLES=OFF";
  });

  libxml2 = debian "libxml2" {
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

  pcre2 = debian "pcre2" {
    configureFlags = "--disable-static --enable-pcre2-16 --enable-pcre2-32";
    doCheck = true;
  };

  libyaml = debian "libyaml" (cmakeSuite "." // {
    # Debian's tarball has no configure: the CMake build, with its tests.
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=ON";
  });

  json-c = debian "json-c" (cmakeSuite "." // {
    cmakeFlags = "-DBUILD_SHARED_LIBS=ON -DBUILD_STATIC_LIBS=OFF -DBUILD_TESTING=ON";
  });

  jansson = debian "jansson" (cmakeSuite "lib" // {
    cmakeFlags = "-DJANSSON_BUILD_SHARED_LIBS=ON -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=OFF";
  });

  fribidi = debian "fribidi" {
    # Meson, as nixpkgs builds it (the tarball has a configure too).
    mesonFlags = "-Ddocs=false";
    doCheck = true;
  };

  # Without FreeType, GLib, Cairo and ICU (not in the set): libharfbuzz
  # and libharfbuzz-subset with their own shaper; `meson test` then runs
  # the suites that need none of them (the fuzzers' corpora through the
  # shaper and the subsetter, threads, and the library's own checks).
  harfbuzz = debian "harfbuzz" {
    mesonFlags = "-Dglib=disabled -Dgobject=disabled -Dcairo=disabled -Dchafa=disabled -Dicu=disabled -Dfreetype=disabled -Dintrospection=disabled -Ddocs=disabled -Dtests=enabled";
    doCheck = true;
  };
}
