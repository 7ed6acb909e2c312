# Databases: sqlite (on zlib) and loadable extensions of its own source
# tree that its shell loads with dlopen (a plugin host); gdbm.
{ debian, pkgs, ... }:
let inherit (pkgs) zlib; in
rec {
  sqlite = debian "sqlite3" {
    pname = "sqlite";
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

  # Five of SQLite's own loadable extensions (ext/misc), built as nixpkgs
  # builds a plugin: a shared object each, in lib/sqlite3/. The check
  # loads each into the set's sqlite3 (by path, with .load) and uses it.
  sqlite-extensions = debian "sqlite3" {
    pname = "sqlite-extensions";
    buildInputs = [ sqlite ];
    configurePhase = ":";
    buildPhase = ''
      for e in series csv uuid regexp percentile; do
        cc -O2 -fPIC -shared -I${sqlite}/include ext/misc/$e.c -o $e.so
      done
    '';
    installPhase = ''
      mkdir -p $out/lib/sqlite3
      cp *.so $out/lib/sqlite3/
    '';
    doInstallCheck = true;
    installCheckPhase = ''
      x=$out/lib/sqlite3
      printf 'a,b\n1,2\n3,4\n' > t.csv
      got=$(printf '%s\n' \
        ".load $x/series" ".load $x/csv" ".load $x/uuid" ".load $x/regexp" ".load $x/percentile" \
        "select sum(value) from generate_series(1, 100);" \
        "create virtual table temp.t using csv(filename='t.csv', header=true);" \
        "select sum(a) + sum(b) from t;" \
        "select length(uuid()), 'ldpin' regexp '^l.*n\$', percentile(value, 50) from generate_series(1, 9);" \
        | ${sqlite}/bin/sqlite3 :memory:)
      [ "$got" = "$(printf '5050\n10\n36|1|5.0')" ] || { echo "sqlite3 said: $got" >&2; exit 1; }
    '';
    passthru.loadChecks = [ { name = "sqlite3 loading the extensions";
      command = [ "${sqlite}/bin/sqlite3" ":memory:" ] ++ map (e: ".load @out@/lib/sqlite3/${e}")
        [ "series" "csv" "uuid" "regexp" "percentile" ] ++ [ "select sum(value) from generate_series(1, 10);" ]; } ];
  };

  gdbm = debian "gdbm" {
    configureFlags = "--disable-static --enable-libgdbm-compat --without-readline";
    doCheck = true;
  };
}
