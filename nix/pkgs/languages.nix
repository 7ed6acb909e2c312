# Languages: lua; CPython 3.11 with its extension modules on the set's
# zlib, bzip2, xz, sqlite, expat, libffi, OpenSSL, ncurses, readline and
# gdbm, and a C extension module built against libpng with it; and the
# libraries it needs that nothing else here does (ncurses with its C++
# binding, readline, libffi).
{ debian, pkgs, stdenv, inTreeLibraries, ... }:
let
  inherit (pkgs) zlib bzip2 xz sqlite expat openssl gdbm libpng;
  # The modules the set's libraries serve.
  imports = "zlib, bz2, lzma, sqlite3, ctypes, ssl, hashlib, readline, curses, dbm.gnu, pyexpat";
in
rec {
  lua = debian "lua5.4" {
    pname = "lua";
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

  # Wide-character, with the C++ binding (libncurses++w, which links
  # libstdc++), terminfo in share/terminfo. ncurses has no suite: the
  # check reads a terminal description back through the library.
  ncurses = debian "ncurses" {
    configureFlags = "--with-shared --with-cxx-shared --without-debug --without-ada --enable-widec --enable-pc-files --with-pkg-config-libdir=${placeholder "out"}/lib/pkgconfig --disable-stripping --without-tests";
    doInstallCheck = true;
    installCheckPhase = ''
      export TERMINFO=$out/share/terminfo
      [ "$($out/bin/tput -T xterm-256color colors)" = 256 ]
      $out/bin/infocmp -x xterm-256color | grep -q 'colors#0x100'
    '';
  };

  # No suite of its own (Python's test_readline is its check here).
  readline = debian "readline" {
    buildInputs = [ ncurses ];
    propagatedBuildInputs = [ ncurses ];
    configureFlags = "--disable-static --with-curses --with-shared-termcap-library";
    makeFlags = "SHLIB_LIBS=-lncursesw";
  };

  libffi = debian "libffi" {
    configureFlags = "--disable-static --disable-multi-os-directory --disable-docs";
    # Its DejaGnu suite: every call and closure type, compiled and run.
    doCheck = true;
  };

  python3 = let inputs = [ zlib bzip2 xz sqlite expat libffi openssl ncurses readline gdbm ]; in
  debian "python3.11" {
    pname = "python3";
    # As nixpkgs: the inputs' directories as CPPFLAGS and LDFLAGS, which
    # setup.py searches for the modules' libraries. And its setup.py adds
    # the host's /usr/local and multiarch directories to every extension
    # module's compile and link: nixpkgs' sandbox hides them, this harness
    # has none, so the additions go (both ways).
    CPPFLAGS = toString (map (p: "-I${p}/include") inputs);
    LDFLAGS = toString (map (p: "-L${p}/lib") inputs);
    postPatch = ''
      sed -i -e "s|add_dir_to_list(self.compiler.library_dirs, '/usr/local/lib')|pass|" \
        -e "s|add_dir_to_list(self.compiler.include_dirs, '/usr/local/include')|pass|" \
        -e 's|^        self.add_multiarch_paths()$|        pass|' setup.py
      ! grep -q "^        self.add_multiarch_paths()$" setup.py
    '';
    buildInputs = inputs;
    configureFlags = "--enable-shared --without-ensurepip --with-system-expat --with-openssl=${openssl} --enable-loadable-sqlite-extensions --with-dbmliborder=gdbm";
    # The modules this set gives libraries to, each through its own suite
    # (test_curses on a pseudo-terminal: the suite asks for a terminal).
    doCheck = true;
    checkPhase = ''
      export TERM=xterm-256color TERMINFO=${ncurses}/share/terminfo
      ${inTreeLibraries "."}
      ./python -m test -j"$NIX_BUILD_CORES" -u curses --timeout 600 \
        test_zlib test_bz2 test_lzma test_sqlite3 test_ctypes test_ssl test_hashlib \
        test_readline test_curses test_dbm test_dbm_gnu test_pyexpat test_xml_etree
    '';
    # Each of those modules imported by the installed interpreter.
    doInstallCheck = true;
    installCheckPhase = ''
      $out/bin/python3 -c 'import ${imports}; print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version)'
    '';
    # nix/pkgset.sh: these imports make no failed library lookup.
    passthru.loadChecks = [ { name = "python3 importing its extension modules";
      command = [ "@out@/bin/python3" "-c" "import ${imports}" ]; } ];
  };

  # A downstream package: a C extension module built against libpng with
  # the set's Python (distutils, as a setup.py of 3.11 does), imported.
  python-pngext = stdenv.mkDerivation {
    pname = "python-pngext";
    version = "1.0";
    src = ./python-pngext;
    buildInputs = [ python3 libpng ];
    configurePhase = ":";
    buildPhase = "python3 setup.py build_ext --inplace";
    installPhase = ''
      mkdir -p $out/lib/python3.11/site-packages
      cp pngext*.so $out/lib/python3.11/site-packages/
    '';
    doInstallCheck = true;
    installCheckPhase = ''
      got=$(PYTHONPATH=$out/lib/python3.11/site-packages python3 -c 'import pngext; print(pngext.libpng_version())')
      [ "$got" = 10639 ] || { echo "pngext said: $got" >&2; exit 1; }
    '';
    passthru.loadChecks = [ { name = "python3 importing pngext";
      command = [ "${python3}/bin/python3" "-c"
        "import sys; sys.path.insert(0, '@out@/lib/python3.11/site-packages'); import pngext" ]; } ];
  };
}
