# Network and cryptography: curl without TLS (on zlib and zstd) and curl
# with TLS through the set's OpenSSL, their own servers on loopback;
# OpenSSL 3.0 (its legacy provider and engines are loaded with dlopen from
# its modules directories); libevent; libsodium.
{ debian, pkgs, curlTests, ... }:
let inherit (pkgs) zlib zstd; in
let
  # curl's own suite (its servers run on localhost), without the tests it
  # marks flaky; runtests.pl puts $USER into some of them.
  curlWith = { pname, buildInputs, tls, zstd, tests }: debian "curl" {
    inherit pname buildInputs;
    configureFlags = "--disable-static ${tls} --with-zlib ${zstd} --without-libpsl --without-brotli --without-nghttp2 --without-libidn2 --disable-ldap --disable-manual";
    doCheck = true;
    preCheck = "export USER=nixbld TFLAGS='${tests}'";
    checkTarget = "test-nonflaky";
  };
in
rec {
  # By default its first 400 tests (HTTP, FTP, file, TFTP, cookies, ...);
  # all 1,558 take 22 minutes here (curlTests = "").
  curl = curlWith {
    pname = "curl";
    buildInputs = [ zlib zstd ];
    tls = "--without-ssl";
    zstd = "--with-zstd";
    tests = curlTests;
  };

  openssl = debian "openssl" {
    configurePhase = ''
      runHook preConfigure
      ./Configure linux-x86_64 --prefix=$out --libdir=lib --openssldir=etc/ssl \
        shared no-static-engine
      runHook postConfigure
    '';
    # Its harness runs the programs from the build tree itself (util/wrap.pl
    # sets LD_LIBRARY_PATH). A part of its 258 test recipes: providers
    # (the legacy one among them), EVP through every provider, engines,
    # the TLS state machine and X.509 verification.
    doCheck = true;
    checkPhase = ''
      make -j"$NIX_BUILD_CORES" test HARNESS_JOBS="$NIX_BUILD_CORES" TESTS="test_provider test_provider_fallback test_provider_pkey test_provider_status test_legacy_okay test_evp test_evp_libctx test_evp_fetch_prov test_engine test_sslapi test_x509 test_verify"
    '';
    installTargets = "install_sw install_ssldirs";
    # After the fixup: the installed openssl loads its legacy provider
    # (lib/ossl-modules/legacy.so) with dlopen and encrypts with DES
    # through it, and loads an engine of lib/engines-3.
    doInstallCheck = true;
    installCheckPhase = ''
      o=$out/bin/openssl
      $o list -providers -provider legacy -provider default | grep -A3 '^  legacy$' | grep -q 'status: active'
      key=0123456789abcdef iv=0011223344556677
      got=$(printf ldpin | $o enc -des-cbc -provider legacy -provider default -K $key -iv $iv | \
        $o enc -d -des-cbc -provider legacy -provider default -K $key -iv $iv)
      [ "$got" = ldpin ] || { echo "openssl des-cbc round trip said: $got" >&2; exit 1; }
      $o engine dynamic -pre SO_PATH:$out/lib/engines-3/loader_attic.so -pre LOAD | grep -q '^Loaded: (loader_attic)'
    '';
    # nix/pkgset.sh: loading the legacy provider makes no failed lookup.
    passthru.loadChecks = [ { name = "openssl loading its legacy provider";
      command = [ "@out@/bin/openssl" "list" "-providers" "-provider" "legacy" "-provider" "default" ]; } ];
  };

  # curl again, with TLS from the set's OpenSSL: its HTTPS and FTPS tests
  # (stunnel, the host's, is their TLS server).
  curl-tls = curlWith {
    pname = "curl-tls";
    buildInputs = [ zlib openssl ];
    tls = "--with-openssl";
    zstd = "--without-zstd";
    tests = "HTTPS FTPS";
  };

  libevent = debian "libevent" {
    configureFlags = "--disable-static --disable-openssl --disable-samples";
    # Its regression suite, every backend (epoll, poll, select), on
    # loopback.
    doCheck = true;
  };

  # Debian's tarball has no configure.
  libsodium = debian "libsodium" {
    autoreconf = true;
    configureFlags = "--disable-static";
    doCheck = true;
  };
}
