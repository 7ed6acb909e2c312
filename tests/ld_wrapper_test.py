#!/usr/bin/env python3
"""Behaviour tests of ldpin-ld, the linker wrapper, with real tools.

gcc drives the link through the wrapper (`gcc -B WRAP/bin/`, where WRAP/bin/ld
is ldpin-ld and WRAP/nix-support/ldpin-linker names the real linker), for each
of GNU ld (bfd), gold, lld and mold. The programs are run, inspected with
`ldpin inspect --json`, and traced with strace. Libraries live in a fake store
(NIX_STORE points at it), one directory per library, as in Nix.

Usage: ld_wrapper_test.py --ldpin-ld PATH --ldpin PATH [--only NAME]
Prints one line per test and a closing "N passed, M failed" line.
"""
import json
import os
import shutil
import stat
import sys

import harness
from harness import ARGS, Failure, check, failed_lookups, inspect, sh, test, write

LINKERS = {
    "bfd": "/usr/bin/ld.bfd",
    "gold": "/usr/bin/ld.gold",
    "lld": "/usr/bin/ld.lld-16",
    "mold": "/usr/bin/mold",
}


def record(info):
    for n in info["notes"]:
        if n["kind"] == "ldpin":
            check("record" in n, f"record does not parse: {n.get('record_error')}")
            return n["record"]
    return None


class World(harness.Tree):
    """A temporary tree: a fake store, a build directory and a wrapper."""

    def __init__(self, linker="bfd"):
        super().__init__("ldpin-wrap-", LINKERS[linker])

    def store_lib(self, name, body, soname=None, extra=""):
        """A shared library in its own store directory; returns its lib dir."""
        d = os.path.join(self.store, f"{abs(hash(name)) % 10**8:08d}-{name}", "lib")
        src = os.path.join(self.root, "src", name + ".c")
        write(src, body)
        so = soname or f"lib{name}.so.1"
        os.makedirs(d, exist_ok=True)
        sh(f"gcc -shared -fPIC {src} -Wl,-soname,{so} {extra} -o {d}/{so}")
        if so != f"lib{name}.so":
            os.symlink(so, f"{d}/lib{name}.so")
        return d

    def cc(self, args, env=None, ok=True, cwd=None):
        e = dict(self.env)
        e.update(env or {})
        return sh(f"gcc -B{self.wrap}/bin/ {args}", env=e, ok=ok, cwd=cwd or self.build)


# A test in a World of its own, linking with GNU ld.
with_bfd = harness.in_tree(lambda: World("bfd"))


def for_each_linker(fn):
    def run():
        for linker in LINKERS:
            w = World(linker)
            try:
                fn(w, linker)
            except Failure as e:
                raise Failure(f"[{linker}] {e}")
            finally:
                w.close()
    run.__name__ = fn.__name__
    return test(run)


MAIN_100 = "#include <stdio.h>\n" + "".join(f"int f{i}(void);\n" for i in range(100)) + \
    "int main(void) { int s = 0;\n" + "".join(f"  s += f{i}();\n" for i in range(100)) + \
    '  printf("%d\\n", s); return 0; }\n'


@for_each_linker
def hundred_store_libraries_load_without_a_failed_lookup(w, linker):
    dirs = [w.store_lib(f"l{i}", f"int f{i}(void) {{ return {i}; }}\n") for i in range(100)]
    write(os.path.join(w.build, "main.c"), MAIN_100)
    flags = " ".join(f"-L{d} -ll{i}" for i, d in enumerate(dirs))
    rpaths = " ".join(f"-Wl,-rpath,{d}" for d in dirs)
    # Without ldpin: the stock way (one -rpath per directory) storms.
    real = {"bfd": "bfd", "gold": "gold", "lld": "lld -B/usr/lib/llvm-16/bin/",
            "mold": "mold"}[linker]
    sh(f"gcc -fuse-ld={real} main.c {flags} {rpaths} -o stock", cwd=w.build)
    res, stock_fails = failed_lookups([os.path.join(w.build, "stock")])
    check(res.stdout.strip() == "4950", f"stock program printed {res.stdout!r}")
    check(stock_fails > 1000, f"stock link failed only {stock_fails} lookups")
    # Through ldpin-ld: the same arguments.
    w.cc(f"main.c {flags} {rpaths} -o prog")
    res, fails = failed_lookups([os.path.join(w.build, "prog")])
    check(res.returncode == 0 and res.stdout.strip() == "4950",
          f"pinned program: {res.returncode} {res.stdout!r} {res.stderr!r}")
    check(fails == 0, f"pinned program made {fails} failed lookups (stock: {stock_fails})")
    info = inspect(os.path.join(w.build, "prog"))
    pinned = [n for n in info["needed"] if n.startswith(w.store)]
    check(len(pinned) == 100, f"{len(pinned)} of 100 DT_NEEDED pinned")
    check(info["runpath"] is None and info["rpath"] is None,
          f"RUNPATH left: {info['runpath']!r}")
    for v in info["version_needs"]:
        check(not v["file"].startswith("libl"), f"vn_file {v['file']} not pinned")
    rec = record(info)
    check(rec is not None, "no .note.ldpin record")
    check(len(rec["needed"]) == len(info["needed"]), "record and DT_NEEDED disagree")


@for_each_linker
def in_tree_libraries_run_before_install(w, linker):
    # CMake style: the library in the build tree, the program linked with a
    # build-tree RUNPATH; libtool style: .libs/ with -L only.
    write(os.path.join(w.build, "foo.c"), "int foo(void) { return 7; }\n")
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint foo(void);\nint main(void){printf("%d\\n", foo());}\n')
    os.makedirs(os.path.join(w.build, "lib"))
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o lib/libfoo.so.1")
    os.symlink("libfoo.so.1", os.path.join(w.build, "lib", "libfoo.so"))
    libdir = os.path.join(w.build, "lib")
    w.cc(f"main.c -L{libdir} -lfoo -Wl,-rpath,{libdir} -o prog")
    res = sh([os.path.join(w.build, "prog")], ok=False)
    check(res.returncode == 0 and res.stdout == "7\n", f"in-tree program: {res.stderr}")
    info = inspect(os.path.join(w.build, "prog"))
    check("libfoo.so.1" in info["needed"], f"in-tree NEEDED: {info['needed']}")
    check(info["runpath"] == libdir, f"build-tree RUNPATH: {info['runpath']!r}")
    rec = record(info)
    check(rec["build_runpath"] == [libdir], f"record build_runpath {rec['build_runpath']}")
    check(any(n["name"] == "libfoo.so.1" and n["path"] == os.path.join(libdir, "libfoo.so.1")
              for n in rec["needed"]), f"record needed {rec['needed']}")
    # The library itself keeps its bare soname (it is not inside an output).
    check(inspect(os.path.join(libdir, "libfoo.so.1"))["soname"] == "libfoo.so.1",
          "in-tree soname changed")


@for_each_linker
def libtool_layout_runs_uninstalled_and_installed(w, linker):
    # libtool: the library in .libs/, the program linked with -L.libs and
    # "-rpath $libdir" (the output's install directory, empty at link time);
    # uninstalled it runs through LD_LIBRARY_PATH=.libs, as libtool's wrapper
    # script does; installed it must find the library through that RUNPATH
    # until the fixup pins it.
    out = os.path.join(w.store, "4444-pkg-1.0")
    libdir = os.path.join(out, "lib")
    write(os.path.join(w.build, "foo.c"), "int foo(void) { return 9; }\n")
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint foo(void);\nint main(void){printf("%d\\n", foo());}\n')
    os.makedirs(os.path.join(w.build, ".libs"))
    env = {"out": out, "outputs": "out"}
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o .libs/libfoo.so.1", env=env)
    os.symlink("libfoo.so.1", os.path.join(w.build, ".libs", "libfoo.so"))
    w.cc(f"main.c -L.libs -lfoo -Wl,-rpath,{libdir} -o .libs/prog", env=env)
    prog = os.path.join(w.build, ".libs", "prog")
    res = sh([prog], ok=False, env=dict(w.env, LD_LIBRARY_PATH=os.path.join(w.build, ".libs")))
    check(res.returncode == 0 and res.stdout == "9\n", f"uninstalled: {res.stderr}")
    info = inspect(prog)
    check(info["runpath"] == libdir, f"install directory dropped: {info['runpath']!r}")
    check(record(info)["build_runpath"] == [libdir], "install directory not recorded")
    # Install (copy) and run with the build tree gone.
    os.makedirs(libdir)
    os.makedirs(os.path.join(out, "bin"))
    shutil.copy(os.path.join(w.build, ".libs", "libfoo.so.1"), libdir)
    shutil.copy(prog, os.path.join(out, "bin", "prog"))
    shutil.rmtree(os.path.join(w.build, ".libs"))
    res = sh([os.path.join(out, "bin", "prog")], ok=False)
    check(res.returncode == 0 and res.stdout == "9\n", f"installed: {res.stderr}")


CMAKE_PROJECT = """cmake_minimum_required(VERSION 3.16)
project(pinned C)
include(GNUInstallDirs)
set(CMAKE_INSTALL_RPATH "${CMAKE_INSTALL_FULL_LIBDIR}")
add_library(foo SHARED foo.c)
set_target_properties(foo PROPERTIES SOVERSION 1)
add_executable(prog main.c)
target_link_libraries(prog foo)
install(TARGETS foo prog)
"""


@for_each_linker
def cmake_project_runs_in_the_build_tree_and_installs(w, linker):
    # CMake links the build tree's programs with a build RPATH padded with ':'
    # to the length of the install RPATH, and `make install` rewrites that
    # exact string in the installed copies (file(RPATH_CHANGE)); a file
    # without it fails the install.
    src = os.path.join(w.build, "src")
    write(os.path.join(src, "CMakeLists.txt"), CMAKE_PROJECT)
    write(os.path.join(src, "foo.c"), "int foo(void) { return 11; }\n")
    write(os.path.join(src, "main.c"),
          '#include <stdio.h>\nint foo(void);\nint main(void){printf("%d\\n", foo());}\n')
    out = os.path.join(w.store, "5555-pinned-1.0")
    env = {"out": out, "outputs": "out"}
    bdir = os.path.join(w.build, "b")
    res = sh(["cmake", "-S", src, "-B", bdir, "-DCMAKE_C_COMPILER=gcc",
              f"-DCMAKE_C_FLAGS=-B{w.wrap}/bin/", f"-DCMAKE_INSTALL_PREFIX={out}",
              "-DCMAKE_INSTALL_LIBDIR=lib"], env=dict(w.env, **env), ok=False)
    check(res.returncode == 0, f"cmake: {res.stdout[-2000:]} {res.stderr[-2000:]}")
    res = sh(["make", "-C", bdir], env=dict(w.env, **env), ok=False)
    check(res.returncode == 0, f"make: {res.stdout[-2000:]} {res.stderr[-2000:]}")
    res = sh([os.path.join(bdir, "prog")], ok=False)
    check(res.returncode == 0 and res.stdout == "11\n", f"in the build tree: {res.stderr}")
    res = sh(["make", "-C", bdir, "install"], env=dict(w.env, **env), ok=False)
    check(res.returncode == 0, f"make install: {res.stdout[-1500:]} {res.stderr[-1500:]}")
    prog = os.path.join(out, "bin", "prog")
    installed = inspect(prog)["runpath"]
    check(installed == os.path.join(out, "lib"), f"installed RUNPATH {installed!r}")
    # The fixup pins the installed files; the build tree can go.
    sh([harness.ARGS.ldpin, "fixup", out], env=w.env)
    shutil.rmtree(w.build)
    res, fails = failed_lookups([prog])
    check(res.returncode == 0 and res.stdout == "11\n", f"installed: {res.stderr}")
    check(fails == 0, f"installed program made {fails} failed lookups")
    info = inspect(prog)
    check(os.path.join(out, "lib", "libfoo.so.1") in info["needed"], f"needed {info['needed']}")
    check(info["runpath"] is None, f"RUNPATH left after the fixup: {info['runpath']!r}")


@for_each_linker
def user_choices_behave_as_with_the_plain_linker(w, linker):
    d = w.store_lib("foo", "int foo(void) { return 1; }\n")
    w.store_lib("unused", "int unused(void) { return 2; }\n")
    udir = [os.path.join(w.store, x, "lib") for x in os.listdir(w.store) if x.endswith("-unused")][0]
    write(os.path.join(w.build, "bar.c"), "int foo(void);\nint bar(void) { return foo() + 1; }\n")
    write(os.path.join(w.build, "bar.map"), "BAR_2 { global: bar; local: *; };\n")
    w.cc(f"-shared -fPIC bar.c -Wl,-soname,libbar.so.2 -Wl,--version-script=bar.map "
         f"-Wl,-rpath,'$ORIGIN/../lib' -Wl,--as-needed -L{udir} -lunused -L{d} -l:libfoo.so.1 "
         f"-o libbar.so.2")
    info = inspect(os.path.join(w.build, "libbar.so.2"))
    check(info["soname"] == "libbar.so.2", f"soname {info['soname']!r}")
    check(info["runpath"] == "$ORIGIN/../lib", f"runpath {info['runpath']!r}")
    check([v["names"][0] for v in info["version_defs"]] == ["libbar.so.2", "BAR_2"],
          f"version definitions {info['version_defs']}")
    check(not any("unused" in n for n in info["needed"]), f"--as-needed kept {info['needed']}")
    check(os.path.join(d, "libfoo.so.1") in info["needed"], f"-l: not pinned: {info['needed']}")


@for_each_linker
def libraries_longer_than_their_names_are_relinked_with_room(w, linker):
    # ldpin-ld sizes the reserved space from the command line while the
    # linker runs; sonames far longer than the files they are found by
    # overflow that bound, and the link is done again with the exact size.
    dirs = []
    for i in range(8):
        so = f"libl{i}-" + "v" * 230 + ".so.1"
        dirs.append(w.store_lib(f"l{i}", f"int f{i}(void) {{ return {i}; }}\n", soname=so))
    write(os.path.join(w.build, "main.c"),
          "".join(f"int f{i}(void);\n" for i in range(8)) +
          "int main(void) { return " + " + ".join(f"f{i}()" for i in range(8)) + " - 28; }\n")
    flags = " ".join(f"-L{d} -ll{i}" for i, d in enumerate(dirs))
    res = w.cc(f"main.c {flags} -o prog", env={"NIX_DEBUG": "1"})
    check("ldpin-ld: relinking: the libraries need" in res.stderr,
          f"no relink reported:\n{res.stderr[-2000:]}")
    info = inspect(os.path.join(w.build, "prog"))
    pinned = [n for n in info["needed"] if n.startswith(w.store)]
    check(len(pinned) == 8, f"{len(pinned)} of 8 long sonames pinned: {info['needed']}")
    rec = record(info)
    check(rec is not None and len(rec["needed"]) == len(info["needed"]),
          "the record does not list every DT_NEEDED")
    res, fails = failed_lookups([os.path.join(w.build, "prog")])
    check(res.returncode == 0 and fails == 0,
          f"relinked program: status {res.returncode}, {fails} failed lookups")
    # Names of the usual length need no second link.
    d = w.store_lib("short", "int s(void) { return 0; }\n")
    write(os.path.join(w.build, "short.c"), "int s(void);\nint main(void) { return s(); }\n")
    short = w.cc(f"short.c -L{d} -lshort -o prog2", env={"NIX_DEBUG": "1"})
    check("relinking" not in short.stderr, "relinked a link whose bound held")
    check(sh([os.path.join(w.build, "prog2")], ok=False).returncode == 0, "prog2 fails")


@with_bfd
def nix_debug_shows_commands_and_every_decision(w):
    d = w.store_lib("foo", "int foo(void) { return 1; }\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-1;}\n")
    res = w.cc(f"main.c -L{d} -lfoo -Wl,-rpath,{d} -Wl,-rpath,/opt/elsewhere "
               f"-Wl,-rpath,lib:. -o prog", env={"NIX_DEBUG": "1"})
    err = res.stderr
    for want in ("original flags to /usr/bin/ld.bfd:", "extra flags after to",
                 "ldpin flags to", f"DT_NEEDED libfoo.so.1 -> {d}/libfoo.so.1 (pinned)",
                 f"rpath {d}: dropped", "rpath /opt/elsewhere: dropped (unused)",
                 "rpath lib: dropped (relative", "rpath .: dropped (relative"):
        check(want in err, f"NIX_DEBUG output lacks {want!r}:\n{err}")
    check(inspect(os.path.join(w.build, "prog"))["runpath"] is None,
          "a relative RUNPATH entry was kept")
    quiet = w.cc(f"main.c -L{d} -lfoo -o prog2")
    check("ldpin-ld" not in quiet.stderr, f"not quiet without NIX_DEBUG: {quiet.stderr}")


@with_bfd
def bad_input_gives_clear_errors(w):
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    ld = os.path.join(w.wrap, "bin", "ld")
    # A missing real linker.
    res = sh([ld, "-o", "x"], env=dict(w.env, LDPIN_LINKER="/nonexistent/ld"), ok=False)
    check(res.returncode == 1 and "ldpin-ld: the real linker /nonexistent/ld does not exist"
          in res.stderr, f"missing linker: {res.returncode} {res.stderr!r}")
    # A recursive response file.
    rsp = os.path.join(w.build, "loop.rsp")
    write(rsp, f"-o out @{rsp}\n")
    res = sh([ld, f"@{rsp}"], env=w.env, ok=False)
    check(res.returncode == 1 and "includes itself" in res.stderr, f"recursive: {res.stderr!r}")
    # An unreadable response file (as an unprivileged user when root).
    secret = os.path.join(w.build, "secret.rsp")
    write(secret, "-o out\n")
    os.chmod(secret, 0)
    os.chmod(w.root, 0o755)
    os.chmod(w.build, 0o755)
    cmd = [ld, f"@{secret}"]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    res = sh(cmd, env=w.env, ok=False)
    check(res.returncode == 1 and f"cannot read response file {secret}: Permission denied"
          in res.stderr, f"unreadable response file: {res.stderr!r}")
    # A corrupt library: a clear message, then the linker's own verdict.
    bad = os.path.join(w.store, "0000-bad", "lib")
    os.makedirs(bad)
    with open(os.path.join(bad, "libbad.so"), "wb") as f:
        # x86-64 (so not skipped as incompatible), its other fields garbage.
        f.write(b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x03\x00\x3e\x00" + b"\xff" * 38)
    res = w.cc(f"main.c -L{bad} -lbad -o prog", ok=False)
    check(res.returncode != 0 and f"ldpin-ld: {bad}/libbad.so:" in res.stderr,
          f"corrupt library: {res.returncode} {res.stderr!r}")
    check(not os.path.exists(os.path.join(w.build, "prog")), "corrupt link left an output")
    # An unwritable output: the linker's own error and exit status.
    res = w.cc("main.c -o /proc/ldpin-cannot-write", ok=False)
    check(res.returncode != 0 and "ldpin-ld:" not in res.stderr,
          f"unwritable output: {res.returncode} {res.stderr!r}")
    # A failed link returns the linker's status and leaves no output.
    write(os.path.join(w.build, "undef.c"), "int nope(void);\nint main(void){return nope();}\n")
    res = w.cc("undef.c -o undef", ok=False)
    check(res.returncode == 1 and "nope" in res.stderr, f"failed link: {res.stderr!r}")
    check(not os.path.exists(os.path.join(w.build, "undef")), "failed link left an output")


@with_bfd
def record_object_leaves_no_file(w):
    """The record object is a memory file: a wrapper killed during the link
    leaves nothing in TMPDIR. Without /proc it falls back to a file in
    TMPDIR, removed after the link."""
    d = w.store_lib("foo", "int foo(void) { return 1; }\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-1;}\n")
    def left():
        return sorted(f for f in os.listdir(w.build) if f.startswith("ldpin-"))
    # A "linker" that kills ldpin-ld (its parent) as a user's ^C would.
    killer = os.path.join(w.root, "killer")
    write(killer, "#!/bin/sh\nkill -KILL $PPID\nsleep 1\nexit 1\n")
    os.chmod(killer, 0o755)
    res = w.cc(f"main.c -L{d} -lfoo -o prog", env={"LDPIN_LINKER": killer}, ok=False)
    check(res.returncode != 0, "the killed link succeeded")
    check(left() == [], f"a killed link left {left()} in TMPDIR")
    # No /proc (a private mount namespace without it): a file, removed.
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("  (no /proc part skipped: needs root and unshare)")
        return
    res = w.cc(f"main.c -L{d} -lfoo -o prog2 -Wl,--trace", env={"NIX_DEBUG": "1"})
    check("/proc/self/fd/" in res.stdout + res.stderr, "the record object was not a memory file")
    if any("libasan" in n for n in inspect(harness.ARGS.ldpin_ld).get("needed", [])):
        # The sanitizers read their options from /proc/self/environ, and
        # LeakSanitizer fails without /proc: the default build covers this.
        print("  (no /proc part skipped: an ASan build cannot run without /proc)")
        return
    e = dict(w.env)
    cmd = (f"umount -l /proc && exec gcc -B{w.wrap}/bin/ main.c -L{d} -lfoo -o prog3 "
           f"-Wl,--trace")
    res = sh(["unshare", "-m", "--propagation", "private", "sh", "-c", cmd],
             env=e, cwd=w.build)
    check("ldpin-note-" in res.stdout and "/proc/self/fd/" not in res.stdout,
          f"without /proc the record object was not a file: {res.stdout!r}")
    check(left() == [], f"the link left {left()} in TMPDIR")
    check(record(inspect(os.path.join(w.build, "prog3"))) is not None, "no record without /proc")
    sh(os.path.join(w.build, "prog3"))


@with_bfd
def outputs_are_deterministic(w):
    d = w.store_lib("foo", "int foo(void) { return 1; }\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-1;}\n")
    w.cc(f"main.c -L{d} -lfoo -Wl,-rpath,{d} -o a")
    w.cc(f"main.c -L{d} -lfoo -Wl,-rpath,{d} -o b")
    with open(os.path.join(w.build, "a"), "rb") as fa, open(os.path.join(w.build, "b"), "rb") as fb:
        check(fa.read() == fb.read(), "two identical links differ")


@with_bfd
def relocatable_and_static_links_pass_through(w):
    write(os.path.join(w.build, "a.c"), "int a(void){return 0;}\n")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    sh("gcc -c a.c -o a.o", cwd=w.build)
    sh([os.path.join(w.wrap, "bin", "ld"), "-r", "a.o", "-o", "r.o"], env=w.env, cwd=w.build)
    r = inspect(os.path.join(w.build, "r.o"))
    check(all(n["kind"] != "ldpin" for n in r["notes"]), "-r output got a record")
    w.cc("-static main.c -o st")
    s = inspect(os.path.join(w.build, "st"))
    check(s["dynamic"] is None and all(n["kind"] != "ldpin" for n in s["notes"]),
          "-static output was touched")
    check(sh([os.path.join(w.build, "st")], ok=False).returncode == 0, "static program fails")


@with_bfd
def nix_environment_interface_is_honoured(w):
    d = w.store_lib("foo", "int foo(void) { return 3; }\n")
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint foo(void);\nint main(void){printf("%d\\n",foo());}\n')
    salt = "x86_64_unknown_linux_gnu"
    # Without the role variable, NIX_LDFLAGS is not this wrapper's.
    res = w.cc("main.c -o p0", env={"NIX_LDFLAGS": f"-L{d} -lfoo"}, ok=False)
    check(res.returncode != 0, "NIX_LDFLAGS used without the role variable")
    env = {f"NIX_BINTOOLS_WRAPPER_TARGET_HOST_{salt}": "1",
           "NIX_LDFLAGS": f"-L{d} -lfoo", f"NIX_HARDENING_ENABLE_{salt}": "bindnow relro",
           "NIX_SET_BUILD_ID": "1"}
    w.cc("main.c -o p1", env=env)
    info = inspect(os.path.join(w.build, "p1"))
    check(f"{d}/libfoo.so.1" in info["needed"], f"NIX_LDFLAGS library not pinned: {info['needed']}")
    check(info["dt_flags"] and "BIND_NOW" in info["dt_flags"]["names"], "bindnow not applied")
    check(any(s["type"] == "GNU_RELRO" for s in info["segments"]), "relro not applied")
    check(info["build_id"] is not None, "NIX_SET_BUILD_ID gave no build-id")
    check(sh([os.path.join(w.build, "p1")]).stdout == "3\n", "program does not run")
    # Purity, with the wrapper called directly (the host gcc's own files
    # are outside the fake store): an impure -L is skipped, an impure
    # input is refused.
    write(os.path.join(w.build, "a.c"), "int a(void){return 0;}\n")
    sh("gcc -c -fPIC a.c -o a.o", cwd=w.build)
    ld = os.path.join(w.wrap, "bin", "ld")
    env2 = dict(w.env, NIX_ENFORCE_PURITY="1", NIX_DEBUG="1")
    res = sh([ld, "-shared", "a.o", "-L/usr/local/lib", "-o", "p2.so"], env=env2, cwd=w.build)
    check("skipping impure path /usr/local/lib" in res.stderr, f"purity: {res.stderr[-500:]}")
    res = sh([ld, "-shared", "a.o", "/usr/lib/x86_64-linux-gnu/libm.so.6", "-o", "p3.so"],
             env=env2, cwd=w.build, ok=False)
    check(res.returncode != 0 and "impure path `/usr/lib/x86_64-linux-gnu/libm.so.6' used in link"
          in res.stderr, f"impure input accepted: {res.stderr[-300:]}")
    # A command too long for argv (3 MB of arguments in a response file
    # given to the wrapper) reaches the linker as a response file too.
    many = os.path.join(w.build, "many.rsp")
    with open(many, "w") as f:
        for i in range(40000):
            f.write(f"-L{w.build}/no-such-directory-number-{i:06d}-padding-padding\n")
    write(os.path.join(w.build, "b.c"), "int foo(void);\nint b(void){return foo();}\n")
    sh("gcc -c -fPIC b.c -o b.o", cwd=w.build)
    res = sh([os.path.join(w.wrap, "bin", "ld"), "-shared", "b.o", f"-L{d}", "-lfoo",
              f"@{many}", "-o", "p5.so"], env=w.env, cwd=w.build, ok=False)
    check(res.returncode == 0, f"long command link: {res.returncode} {res.stderr[-300:]}")
    check(f"{d}/libfoo.so.1" in inspect(os.path.join(w.build, "p5.so"))["needed"],
          "long command link not pinned")
    # NIX_LD_USE_RESPONSE_FILE=1 hands the linker a response file, as
    # nixpkgs' wrapper does; otherwise a command that fits goes as it is.
    def linker_argv(extra_env):
        log = os.path.join(w.build, "exec.log")
        sh(["strace", "-f", "-qq", "-e", "trace=execve", "-s", "200", "-o", log, ld,
            "-shared", "b.o", f"-L{d}", "-lfoo", "-o", "p6.so"],
           # LeakSanitizer (the asan build) cannot run under ptrace.
           env=dict(w.env, ASAN_OPTIONS="detect_leaks=0", **extra_env), cwd=w.build)
        with open(log) as f:
            return [l for l in f if "ld.bfd" in l and "execve(" in l][0]
    call = linker_argv({"NIX_LD_USE_RESPONSE_FILE": "1"})
    check('"@' in call and "-lfoo" not in call, f"no response file: {call}")
    call = linker_argv({})
    check('"@' not in call and "-lfoo" in call, f"a short command went in a file: {call}")
    # A response file with GCC quoting.
    spaced = os.path.join(w.store, "1111-sp ace", "lib")
    os.makedirs(spaced)
    shutil.copy(f"{d}/libfoo.so.1", spaced)
    os.symlink("libfoo.so.1", os.path.join(spaced, "libfoo.so"))
    write(os.path.join(w.build, "args.rsp"), f'"-L{spaced}" -lfoo\n')
    w.cc("main.c -Wl,@args.rsp -o p4")
    check(f"{spaced}/libfoo.so.1" in inspect(os.path.join(w.build, "p4"))["needed"],
          "response file not read")


# --- defects found by trying ldpin as a new user would (issue 12) ---------

@for_each_linker
def output_that_is_not_a_regular_file_is_passed_through(w, linker):
    # configure's and Kbuild's probes link to /dev/null. Here a device node
    # of our own (the same device) stands in, so that a wrapper that removes
    # it harms nothing.
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    node = os.path.join(w.build, "null")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    res = w.cc(f"main.c -o {node}", ok=False)
    check(res.returncode == 0, f"link to a device failed: {res.returncode} {res.stderr!r}")
    check(os.path.exists(node) and stat.S_ISCHR(os.lstat(node).st_mode),
          "the device node the link wrote to was removed or replaced")
    check("ldpin-ld" not in res.stderr, f"ldpin-ld complained: {res.stderr!r}")


def plain_link(w, linker, args):
    """The same link with the real linker alone."""
    real = {"bfd": "bfd", "gold": "gold", "lld": "lld -B/usr/lib/llvm-16/bin/",
            "mold": "mold"}[linker]
    return sh(f"gcc -fuse-ld={real} {args}", cwd=w.build, ok=False)


def foreign_library(w, d, triple):
    """A liba.so of another class or machine in `d`."""
    src = os.path.join(w.root, "src", "a_foreign.c")
    write(src, "int a(void) { return 99; }\n")
    os.makedirs(d, exist_ok=True)
    sh(f"clang-16 --target={triple} -fPIC -shared -nostdlib -fuse-ld=lld "
       f"-Wl,-soname,liba.so {src} -o {d}/liba.so")


@for_each_linker
def incompatible_and_unreadable_libraries_are_skipped_as_the_linker_does(w, linker):
    good = w.store_lib("a", "int a(void) { return 7; }\n", soname="liba.so")
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint a(void);\nint main(void){printf("%d\\n", a());}\n')
    first = os.path.join(w.store, "00000000-first", "lib")
    for case in ("i686-linux-gnu", "aarch64-linux-gnu", "dangling", "directory"):
        shutil.rmtree(first, ignore_errors=True)
        if case == "dangling":
            os.makedirs(first)
            os.symlink("/nonexistent/liba.so", os.path.join(first, "liba.so"))
        elif case == "directory":
            os.makedirs(os.path.join(first, "liba.so"))
        else:
            foreign_library(w, first, case)
        args = f"main.c -L{first} -L{good} -la"
        res = w.cc(f"{args} -o prog", ok=False)
        if plain_link(w, linker, f"{args} -o plain").returncode != 0:
            # gold stops at a library of another machine: so must we.
            check(res.returncode != 0, f"[{case}] the plain linker fails, ldpin-ld did not")
            continue
        check(res.returncode == 0, f"[{case}] link failed: {res.stderr!r}")
        info = inspect(os.path.join(w.build, "prog"))
        check(f"{good}/liba.so" in info["needed"],
              f"[{case}] NEEDED {info['needed']}: the library the linker took is {good}/liba.so")
        run = sh([os.path.join(w.build, "prog")], ok=False)
        check(run.returncode == 0 and run.stdout == "7\n",
              f"[{case}] program: {run.returncode} {run.stderr!r}")


@for_each_linker
def rpath_directories_that_serve_the_closure_are_kept(w, linker):
    b = w.store_lib("b", "int b(void) { return 5; }\n")
    a = w.store_lib("a", "int b(void);\nint a(void) { return b() + 1; }\n",
                    extra=f"-L{b} -lb")
    check(inspect(os.path.join(a, "liba.so.1"))["needed"][0] == "libb.so.1", "liba is not bare")
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint a(void);\nint main(void){printf("%d\\n", a());}\n')
    link = f"main.c -L{a} -la -Wl,--disable-new-dtags -Wl,-rpath,{a} -Wl,-rpath,{b}"
    # By default the program needs libb itself (preload_searched), so that
    # liba's search for it becomes a match, and no RPATH is left.
    w.cc(f"{link} -o preloads")
    info = inspect(os.path.join(w.build, "preloads"))
    check(info["rpath"] is None and info["runpath"] is None and
          f"{b}/libb.so.1" in info["needed"], f"preloads: {info['needed']} {info['rpath']!r}")
    run, fails = failed_lookups([os.path.join(w.build, "preloads")])
    check(run.stdout == "6\n" and fails == 0, f"preloads: {run.stdout!r}, {fails} failed lookups")
    # Without that, the RPATH entry that serves liba's search stays.
    cfg = os.path.join(w.root, "ldpin.toml")
    write(cfg, "preload_searched = false\n")
    w.cc(f"{link} -o prog", env={"NIX_DEBUG": "1", "LDPIN_CONFIG": cfg})
    info = inspect(os.path.join(w.build, "prog"))
    check(info["rpath"] == b and info["runpath"] is None,
          f"RPATH {info['rpath']!r} (RUNPATH {info['runpath']!r}): want {b}, which libb needs")
    run = sh([os.path.join(w.build, "prog")], ok=False)
    check(run.returncode == 0 and run.stdout == "6\n", f"program: {run.returncode} {run.stderr!r}")
    # The same with the policy's new_dtags = false.
    write(cfg, "new_dtags = false\npreload_searched = false\n")
    res = w.cc(f"main.c -L{a} -la -Wl,-rpath,{a} -Wl,-rpath,{b} -o prog2",
               env={"LDPIN_CONFIG": cfg, "NIX_DEBUG": "1"})
    check(f"rpath {b}: kept (serves-closure)" in res.stderr,
          f"NIX_DEBUG does not give the reason: {res.stderr[-600:]!r}")
    run = sh([os.path.join(w.build, "prog2")], ok=False)
    check(run.returncode == 0 and run.stdout == "6\n", f"prog2: {run.returncode} {run.stderr!r}")


@with_bfd
def dlopen_dirs_are_kept_where_asked_not_added(w):
    plugins = os.path.join(w.store, "00000000-plugins", "lib")
    os.makedirs(plugins)
    cfg = os.path.join(w.root, "ldpin.toml")
    write(cfg, f'dlopen_dirs = ["{plugins}"]\n')
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc("main.c -o plain", env={"LDPIN_CONFIG": cfg})
    info = inspect(os.path.join(w.build, "plain"))
    check(info["runpath"] is None, f"a link that did not ask got RUNPATH {info['runpath']!r}")
    res = w.cc(f"main.c -Wl,-rpath,{plugins} -o asked", env={"LDPIN_CONFIG": cfg, "NIX_DEBUG": "1"})
    check(inspect(os.path.join(w.build, "asked"))["runpath"] == plugins,
          "the declared dlopen directory was not kept where it was asked for")
    check(f"rpath {plugins}: kept (dlopen-dir)" in res.stderr, f"reason: {res.stderr[-400:]!r}")


AUDITED_C = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  void *h = dlopen("libplug.so.1", RTLD_NOW);
  printf("%s: %s\n", argc > 1 ? "child" : "parent", h ? "loaded" : "not found");
  fflush(stdout);
  if (argc > 1) return h ? 0 : 1;
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s", getenv("CHILD"));
  return (system(cmd) != 0) + (h ? 0 : 2);
}
"""


@for_each_linker
def the_policy_embeds_dt_audit_which_children_do_not_inherit(w, linker):
    module = os.path.join(os.path.dirname(os.path.abspath(ARGS.ldpin_ld)), "..", "lib",
                          "libldpin-audit.so")
    module = os.path.realpath(module)
    fb = os.path.join(w.root, "plugins")
    os.makedirs(fb)
    write(os.path.join(w.root, "plug.c"), "int value(void){return 5;}\n")
    sh(f"gcc -shared -fPIC plug.c -o {fb}/libplug.so.1", cwd=w.root)
    write(os.path.join(w.build, "main.c"), AUDITED_C)
    cfg = os.path.join(w.root, "ldpin.toml")
    env = dict(w.env, LDPIN_FALLBACK_PATH=fb)
    w.cc("main.c -ldl -o plain")
    env["CHILD"] = os.path.join(w.build, "plain") + " child"
    # Without DT_AUDIT the program cannot find its plugin.
    res = sh([os.path.join(w.build, "plain")], env=env, ok=False)
    check(res.stdout == "parent: not found\nchild: not found\n", f"plain: {res.stdout!r}")
    for setting in ("true", f'"{module}"'):
        write(cfg, f"audit = {setting}\n")
        w.cc("main.c -ldl -o audited", env={"LDPIN_CONFIG": cfg})
        dyn = sh(["readelf", "-dW", os.path.join(w.build, "audited")]).stdout
        check(f"Audit library: [{module}]" in dyn, f"audit = {setting}: no DT_AUDIT: {dyn}")
        res = sh([os.path.join(w.build, "audited")], env=env, ok=False)
        check(res.stdout == "parent: loaded\nchild: not found\n",
              f"audit = {setting}: {res.stdout!r} {res.stderr!r}")
    # With a build-tree RUNPATH kept (an in-tree library), DT_AUDIT too.
    intree = os.path.join(w.build, "lib")
    os.makedirs(intree)
    write(os.path.join(w.build, "intree.c"), "int intree(void){return 1;}\n")
    w.cc(f"-shared -fPIC intree.c -Wl,-soname,libintree.so.1 -o {intree}/libintree.so.1")
    w.cc(f"main.c -ldl -L{intree} -Wl,--no-as-needed -l:libintree.so.1 -Wl,-rpath,{intree} -o kept",
         env={"LDPIN_CONFIG": cfg})
    info = inspect(os.path.join(w.build, "kept"))
    check(info["runpath"] == intree, f"the in-tree RUNPATH: {info['runpath']!r}")
    check(f"Audit library: [{module}]" in sh(["readelf", "-dW", os.path.join(w.build, "kept")]).stdout,
          "no DT_AUDIT beside a kept RUNPATH")
    res = sh([os.path.join(w.build, "kept")], env=env, ok=False)
    check(res.stdout == "parent: loaded\nchild: not found\n", f"kept: {res.stdout!r}")
    # LD_AUDIT, unlike DT_AUDIT, reaches the child.
    res = sh([os.path.join(w.build, "plain")], env=dict(env, LD_AUDIT=module), ok=False)
    check(res.stdout == "parent: loaded\nchild: loaded\n", f"LD_AUDIT: {res.stdout!r}")
    # Libraries get none; a bad setting is a clear error.
    w.cc(f"-shared -fPIC {w.root}/plug.c -o libshared.so", env={"LDPIN_CONFIG": cfg})
    check("AUDIT" not in sh(["readelf", "-d", os.path.join(w.build, "libshared.so")]).stdout,
          "a shared library got DT_AUDIT")
    for setting, said in (('"relative.so"', "audit must be"), ('"/no/such/module.so"',
                                                               "/no/such/module.so")):
        write(cfg, f"audit = {setting}\n")
        res = w.cc("main.c -ldl -o bad", env={"LDPIN_CONFIG": cfg}, ok=False)
        check(res.returncode != 0 and said in res.stderr, f"audit = {setting}: {res.stderr!r}")


@for_each_linker
def a_dependency_that_would_search_for_its_own_library_finds_it_loaded(w, linker):
    # As libstdc++ in nixpkgs: a store library ldpin did not link, with a
    # bare NEEDED it finds through its own RUNPATH, whose first directory
    # lacks it (libstdc++'s libm.so.6: gcc's lib/, then glibc's). A program
    # that does not need that library itself (--as-needed dropped it) made
    # the loader search for it, with failed lookups.
    dep = w.store_lib("dep", "int dep(void) { return 4; }\n")
    middir = os.path.join(w.store, "00000000-mid", "lib")
    os.makedirs(middir)
    write(os.path.join(w.root, "mid.c"), "int dep(void);\nint mid(void) { return dep() + 1; }\n")
    sh(f"gcc -shared -fPIC {w.root}/mid.c -Wl,-soname,libmid.so.1 -L{dep} -ldep "
       f"-Wl,--enable-new-dtags,-rpath,{middir}:{dep} -o {middir}/libmid.so.1")
    os.symlink("libmid.so.1", os.path.join(middir, "libmid.so"))
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint mid(void);\nint main(void) { printf("%d\\n", mid()); return 0; }\n')
    link = f"main.c -Wl,--as-needed -L{middir} -lmid -L{dep} -ldep"
    off = os.path.join(w.root, "off.toml")
    write(off, "preload_searched = false\n")
    w.cc(f"{link} -o searching", env={"LDPIN_CONFIG": off})
    res, searching = failed_lookups([os.path.join(w.build, "searching")])
    check(res.stdout.strip() == "5", f"searching: {res.returncode} {res.stdout!r} {res.stderr!r}")
    check(searching > 0, "libmid's search for libdep.so.1 made no failed lookup")
    res = w.cc(f"{link} -o prog", env={"NIX_DEBUG": "1"})
    check(f"would search for libdep.so.1 (runpath: {dep}/libdep.so.1): linked by its path"
          in res.stderr, f"NIX_DEBUG does not say why: {res.stderr}")
    res, fails = failed_lookups([os.path.join(w.build, "prog")])
    check(res.returncode == 0 and res.stdout.strip() == "5",
          f"prog: {res.returncode} {res.stdout!r} {res.stderr!r}")
    check(fails == 0, f"prog made {fails} failed lookups (without: {searching})")
    info = inspect(os.path.join(w.build, "prog"))
    check(info["needed"][:1] == [f"{middir}/libmid.so.1"] and
          f"{dep}/libdep.so.1" in info["needed"], f"DT_NEEDED: {info['needed']}")
    check(info["runpath"] is None, f"RUNPATH: {info['runpath']!r}")
    check(f"{dep}/libdep.so.1" in [n["path"] for n in record(info)["needed"]],
          f"the record lacks libdep: {record(info)['needed']}")
    # Not named on the command line at all: added by its path.
    w.cc(f"main.c -Wl,--as-needed -L{middir} -lmid -o unnamed")
    check(f"{dep}/libdep.so.1" in inspect(os.path.join(w.build, "unnamed"))["needed"],
          "unnamed: libdep not added")
    res, fails = failed_lookups([os.path.join(w.build, "unnamed")])
    check(res.stdout.strip() == "5" and fails == 0, f"unnamed: {res.stdout!r} {fails} failed lookups")
    # A shared library gets it the same way, and a program linked against
    # that library has nothing left to add.
    write(os.path.join(w.build, "outer.c"), "int mid(void);\nint outer(void) { return mid(); }\n")
    outer = os.path.join(w.store, "00000001-outer", "lib")
    os.makedirs(outer)
    w.cc(f"-shared -fPIC outer.c -Wl,--as-needed -L{middir} -lmid -Wl,-soname,libouter.so.1 "
         f"-o {outer}/libouter.so.1")
    check(f"{dep}/libdep.so.1" in inspect(os.path.join(outer, "libouter.so.1"))["needed"],
          "libouter does not need libdep")
    write(os.path.join(w.build, "user.c"),
          '#include <stdio.h>\nint outer(void);\nint main(void) { printf("%d\\n", outer()); return 0; }\n')
    os.symlink("libouter.so.1", os.path.join(outer, "libouter.so"))
    w.cc(f"user.c -Wl,--as-needed -L{outer} -louter -o user")
    needed = inspect(os.path.join(w.build, "user"))["needed"]
    check(not any("libdep" in n for n in needed), f"user: {needed}")
    res, fails = failed_lookups([os.path.join(w.build, "user")])
    check(res.stdout.strip() == "5" and fails == 0, f"user: {res.stdout!r} {fails} failed lookups")
    # A program that needs libdep itself is linked once, as it was.
    write(os.path.join(w.build, "both.c"),
          "int mid(void); int dep(void);\nint main(void) { return mid() + dep() != 9; }\n")
    res = w.cc(f"both.c -Wl,--as-needed -L{middir} -lmid -L{dep} -ldep -o both", env={"NIX_DEBUG": "1"})
    check("would search" not in res.stderr, f"both: {res.stderr}")
    needed = inspect(os.path.join(w.build, "both"))["needed"]
    check(needed.count(f"{dep}/libdep.so.1") == 1, f"both: {needed}")
    check(sh([os.path.join(w.build, "both")], ok=False).returncode == 0, "both does not run")


@with_bfd
def a_policy_path_that_is_a_directory_is_an_error(w):
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    res = w.cc("main.c -o prog", env={"LDPIN_CONFIG": w.root}, ok=False)
    check(res.returncode != 0 and f"ldpin-ld: {w.root}: is a directory" in res.stderr,
          f"LDPIN_CONFIG naming a directory: {res.returncode} {res.stderr!r}")
    res = sh([ARGS.ldpin, "check", w.build, "--config", w.root], ok=False)
    check(res.returncode == 2 and f"{w.root}: is a directory" in res.stderr,
          f"ldpin check --config DIR: {res.returncode} {res.stderr!r}")


@with_bfd
def a_real_linker_that_is_the_wrapper_itself_is_refused(w):
    ld = os.path.join(w.wrap, "bin", "ld")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    for linker in (ld, os.path.abspath(ARGS.ldpin_ld)):
        res = w.cc("main.c -o prog", env={"LDPIN_LINKER": linker}, ok=False)
        check(res.returncode == 1 and "is ldpin-ld itself" in res.stderr
              and res.stderr.count("ldpin-ld:") == 1,
              f"LDPIN_LINKER={linker}: {res.returncode} {res.stderr[-500:]!r}")
    res = w.cc("main.c -o prog", env={"LDPIN_LINKER": "ld.bfd"}, ok=False)
    check(res.returncode == 1 and "must be an absolute path" in res.stderr
          and "from LDPIN_LINKER" in res.stderr, f"LDPIN_LINKER=ld.bfd: {res.stderr!r}")


@for_each_linker
def sysroot_relative_search_directories_are_resolved(w, linker):
    d = w.store_lib("foo", "int foo(void) { return 3; }\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-3;}\n")
    for spelling in (f"-Wl,-L={d}", f"-Wl,-L,={d}", f"-Wl,--library-path=={d}"):
        if plain_link(w, linker, f"main.c {spelling} -lfoo -o plain").returncode != 0:
            continue  # gold does not know '='
        w.cc(f"main.c {spelling} -lfoo -o prog")
        info = inspect(os.path.join(w.build, "prog"))
        check(f"{d}/libfoo.so.1" in info["needed"], f"{spelling}: NEEDED {info['needed']}")
        check(sh([os.path.join(w.build, "prog")], ok=False).returncode == 0, f"{spelling}: does not run")


@with_bfd
def each_ld_variant_runs_its_own_linker(w):
    # nixpkgs' wrapper wraps ld.bfd, ld.gold, ld.lld and ld.mold beside ld;
    # -fuse-ld=NAME makes gcc start ld.NAME, which must run that linker.
    for variant, real in (("gold", "/usr/bin/ld.gold"), ("lld", "/usr/bin/ld.lld-16"),
                          ("mold", "/usr/bin/mold")):
        os.symlink(os.path.abspath(ARGS.ldpin_ld), os.path.join(w.wrap, "bin", f"ld.{variant}"))
        write(os.path.join(w.wrap, "nix-support", f"ldpin-linker.{variant}"), real + "\n")
    d = w.store_lib("foo", "int foo(void) { return 3; }\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-3;}\n")
    for variant, real in (("gold", "/usr/bin/ld.gold"), ("lld", "/usr/bin/ld.lld-16"),
                          ("mold", "/usr/bin/mold")):
        res = w.cc(f"-fuse-ld={variant} main.c -L{d} -lfoo -o prog", env={"NIX_DEBUG": "1"})
        check(f"original flags to {real}:" in res.stderr,
              f"-fuse-ld={variant} did not run {real}: {res.stderr[:300]!r}")
        check(f"{d}/libfoo.so.1" in inspect(os.path.join(w.build, "prog"))["needed"],
              f"-fuse-ld={variant}: not pinned")
        check(sh([os.path.join(w.build, "prog")], ok=False).returncode == 0, f"{variant}: does not run")


@with_bfd
def ldpin_ld_reports_its_own_version_and_leaves_version_to_the_linker(w):
    ld = os.path.join(w.wrap, "bin", "ld")
    res = sh([ld, "--ldpin-version"], env=w.env)
    check(res.stdout.startswith("ldpin-ld ") and
          "real linker: /usr/bin/ld.bfd (from " + os.path.join(w.wrap, "nix-support", "ldpin-linker") + ")"
          in res.stdout, f"--ldpin-version: {res.stdout!r}")
    res = sh([ld, "--version"], env=w.env)
    check(res.stdout.startswith("GNU ld"), f"--version is not the linker's: {res.stdout[:100]!r}")
    res = sh([ld, "--ldpin-version"], env=dict(w.env, LDPIN_LINKER="ld.bfd"), ok=False)
    check(res.returncode == 1 and "must be an absolute path" in res.stderr,
          f"--ldpin-version with a bad linker: {res.returncode} {res.stderr!r}")
    version = sh([ld, "--ldpin-version"], env=w.env).stdout.split()[1]
    res = sh([ARGS.ldpin, "--version"])
    check(res.stdout == f"ldpin {version}\n", f"ldpin --version: {res.stdout!r}, ldpin-ld {version}")


@with_bfd
def nix_debug_and_the_fixups_reports_give_the_same_reasons(w):
    # One decision in core: for each entry the link keeps, NIX_DEBUG at link
    # time, `ldpin check --json` and `ldpin fixup --json` afterwards name the
    # same reason.
    b = w.store_lib("b", "int b(void) { return 5; }\n")
    a = w.store_lib("a", "int b(void);\nint a(void) { return b() + 1; }\n",
                    extra=f"-L{b} -lb")
    plugins = os.path.join(w.store, "00000000-plugins", "lib")
    os.makedirs(plugins)
    cfg = os.path.join(w.root, "ldpin.toml")
    write(cfg, f'new_dtags = false\npreload_searched = false\ndlopen_dirs = ["{plugins}"]\n')
    write(os.path.join(w.build, "main.c"), "int a(void);\nint main(void){return a() - 6;}\n")
    out = os.path.join(w.store, "00000000-app")
    os.makedirs(os.path.join(out, "bin"))
    prog = os.path.join(out, "bin", "prog")
    env = {"LDPIN_CONFIG": cfg, "NIX_DEBUG": "1"}
    res = w.cc(f"main.c -L{a} -la -Wl,-rpath,{a} -Wl,-rpath,{b} -Wl,-rpath,{plugins} -o {prog}", env=env)
    link = {}
    for line in res.stderr.splitlines():
        if line.startswith("ldpin-ld: rpath ") and " (" in line:
            entry, decision = line[len("ldpin-ld: rpath "):].rsplit(": ", 1)
            link[entry] = decision.split("(", 1)[1].split(")")[0].split(":")[0]
    check(link.get(b) == "serves-closure" and link.get(plugins) == "dlopen-dir",
          f"NIX_DEBUG: {link}")
    for mode in ("check", "fixup"):
        res = sh([ARGS.ldpin, mode, out, "--json", "--config", cfg], env=w.env, ok=False)
        check(res.returncode == 0, f"{mode}: {res.returncode} {res.stderr!r}")
        files = json.loads(res.stdout)["files"]
        got = {d["entry"]: d["reason"] for f in files for d in f["search_list"]}
        for entry in (b, plugins):
            check(got.get(entry) == link[entry],
                  f"{mode} --json gives {entry} the reason {got.get(entry)!r}, NIX_DEBUG {link[entry]!r}")
    check(sh([prog], ok=False).returncode == 0, "does not run")


@for_each_linker
def a_library_whose_own_call_an_earlier_library_takes_is_a_hazard_until_linked_symbolic(w, linker):
    # libA calls its own which(); libB defines which() too and is loaded
    # before it, so the loader binds libA's call to libB's which(). ldpin
    # check names that binding; the policy's symbolic keys make ldpin-ld link
    # libA with -Bsymbolic(-functions), and libA keeps its own.
    adir = os.path.join(w.store, "00000000-liba", "lib")
    bdir = os.path.join(w.store, "00000001-libb", "lib")
    out = os.path.join(w.store, "00000002-app")
    for d in (adir, bdir, os.path.join(out, "bin")):
        os.makedirs(d)
    write(os.path.join(w.build, "a.c"), 'const char *which(void) { return "A"; }\n'
          "const char *a_call(void) { return which(); }\n")
    write(os.path.join(w.build, "b.c"), 'const char *which(void) { return "B"; }\n')
    write(os.path.join(w.build, "main.c"), '#include <stdio.h>\nconst char *a_call(void);\n'
          'int main(void) { printf("%s\\n", a_call()); return 0; }\n')
    liba, libb = os.path.join(adir, "libA.so.1"), os.path.join(bdir, "libB.so.1")
    link_a = f"-shared -fPIC a.c -Wl,-soname,libA.so.1 -o {liba}"
    w.cc(link_a)
    w.cc(f"-shared -fPIC b.c -Wl,-soname,libB.so.1 -o {libb}")
    os.symlink("libA.so.1", os.path.join(adir, "libA.so"))
    os.symlink("libB.so.1", os.path.join(bdir, "libB.so"))
    prog = os.path.join(out, "bin", "prog")
    w.cc(f"main.c -Wl,--no-as-needed -L{bdir} -lB -L{adir} -lA -o {prog}")
    check(inspect(prog)["needed"][:2] == [libb, liba], f"load order: {inspect(prog)['needed']}")

    def run_and_check():
        res = sh([prog], env=dict(w.env, LD_DEBUG="bindings"), ok=False)
        check(res.returncode == 0, f"prog: {res.returncode} {res.stderr[-500:]!r}")
        bound = [line.split("binding file ", 1)[1] for line in res.stderr.splitlines()
                 if "binding file " in line and line.endswith("`which'")]
        checked = sh([ARGS.ldpin, "check", out, "--json"], env=w.env, ok=False)
        files = {f["path"]: f for f in json.loads(checked.stdout)["files"]}
        pairs = [p for p in files[prog]["interposition"]
                 if (p["first"], p["second"]) == (libb, liba)]
        check(len(pairs) == 1, f"libB and libA are not a pair: {files[prog]['interposition']}")
        return res.stdout, bound, checked, pairs[0]

    # Without the policy: libA's own call goes to libB, as check says.
    printed, bound, checked, pair = run_and_check()
    check(printed == "B\n", f"prog printed {printed!r}")
    check(bound == [f"{liba} [0] to {libb} [0]: normal symbol `which'"],
          f"LD_DEBUG=bindings: {bound}")
    check(checked.returncode == 1, f"check: {checked.returncode} {checked.stderr!r}")
    check(pair["hazard"] and pair["symbols"] == [
        {"name": "which", "version": "", "binds": libb, "interposed": liba, "hazard": True}],
        f"the pair: {pair}")
    said = (f"ldpin: {prog}: interposition hazard: {liba} uses its own which, but the loader "
            f"binds it to the definition in {libb}, loaded before it; to keep")
    check(said in checked.stderr and 'symbolic = ["libA.so*"]' in checked.stderr,
          f"check's message: {checked.stderr!r}")
    # With libA linked through the policy: its own which(), and no hazard.
    cfg = os.path.join(w.root, "ldpin.toml")
    for key, flag in (("symbolic", "-Bsymbolic"), ("symbolic_functions", "-Bsymbolic-functions")):
        write(cfg, f'{key} = ["libA.so*"]\n')
        res = w.cc(link_a, env={"LDPIN_CONFIG": cfg, "NIX_DEBUG": "1"})
        check(f'ldpin-ld: {flag}: libA.so.1 matches "libA.so*" in the policy\'s {key}' in res.stderr,
              f"{key}: NIX_DEBUG does not say why: {res.stderr[-1500:]}")
        w.cc(f"-shared -fPIC b.c -Wl,-soname,libB.so.1 -o {libb}", env={"LDPIN_CONFIG": cfg})
        printed, bound, checked, pair = run_and_check()
        check(printed == "A\n", f"{key}: prog printed {printed!r}")
        check(not any(b.startswith(f"{liba} [0] to {libb}") for b in bound),
              f"{key}: LD_DEBUG=bindings: {bound}")
        check(checked.returncode == 0, f"{key}: check: {checked.returncode} {checked.stderr!r}")
        check(not pair["hazard"] and not pair["symbols"][0]["interposed"],
              f"{key}: still a hazard: {pair}")


if __name__ == "__main__":
    sys.exit(harness.main(__doc__))
