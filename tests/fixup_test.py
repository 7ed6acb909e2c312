#!/usr/bin/env python3
"""Behaviour tests of `ldpin fixup` and `ldpin check`, with real tools.

Libraries and programs are built with gcc (through ldpin-ld, or plainly for
"prebuilt" binaries), installed into a fake store (NIX_STORE points at it),
fixed up, then run with the build tree deleted and traced with strace. The
host's glibc stands in for the store's: it is either declared as a
dependency (its library directory) or copied into a store directory with its
dynamic linker.

Usage: fixup_test.py --ldpin-ld PATH --ldpin PATH [--only NAME]
Prints one line per test and a closing "N passed, M failed" line.
"""
import hashlib
import json
import os
import shutil
import sys

import harness
from harness import ARGS, check, failed_lookups, inspect, sh, write

HOST_LIBDIR = "/lib/x86_64-linux-gnu"
HOST_LD = "/lib64/ld-linux-x86-64.so.2"


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class World(harness.Tree):
    """A fake store, a build directory and a wrapper around ldpin-ld (bfd)."""

    def __init__(self):
        super().__init__("ldpin-fixup-", "/usr/bin/ld.bfd")

    def out(self, name):
        d = os.path.join(self.store, f"{abs(hash(name)) % 10**8:08d}-{name}")
        os.makedirs(d, exist_ok=True)
        return d

    def cc(self, args, cwd=None, env=None, wrapped=True):
        e = dict(self.env, **(env or {}))
        b = f"-B{self.wrap}/bin/ " if wrapped else ""
        return sh(f"gcc {b}{args}", env=e, cwd=cwd or self.build)

    def fixup(self, *args, ok=True, check_only=False, env=None):
        cmd = [ARGS.ldpin, "check" if check_only else "fixup"] + list(args)
        return sh(cmd, env=dict(self.env, **(env or {})), ok=ok)


each_world = harness.in_tree(World)


def no_bare_needed_and_no_build_runpath(w, path):
    info = inspect(path)
    bare = [n for n in info["needed"] if not n.startswith("/")]
    check(not bare, f"{path}: bare DT_NEEDED left: {bare}")
    for key in ("runpath", "rpath"):
        check(not info[key] or w.build not in info[key],
              f"{path}: {key} still names the build tree: {info[key]}")
    return info


FOO_C = "int foo(void) { return 40; }\n"
BAR_C = "int foo(void);\nint bar(void) { return foo() + 2; }\n"
MAIN_C = '#include <stdio.h>\nint bar(void);\nint main(void) { printf("%d\\n", bar()); return 0; }\n'


@each_world
def cmake_style_in_tree_libraries_run_installed_without_the_build_tree(w):
    # CMake: libraries and the program side by side in the build tree, the
    # program with a build-tree RUNPATH, installed to $out/lib and $out/bin.
    src = os.path.join(w.build, "proj")
    for name, text in (("foo.c", FOO_C), ("bar.c", BAR_C), ("main.c", MAIN_C)):
        write(os.path.join(src, name), text)
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1.0", cwd=src)
    os.symlink("libfoo.so.1.0", os.path.join(src, "libfoo.so.1"))
    os.symlink("libfoo.so.1", os.path.join(src, "libfoo.so"))
    w.cc(f"-shared -fPIC bar.c -Wl,-soname,libbar.so.1 -L{src} -lfoo "
         f"-Wl,-rpath,{src} -o libbar.so.1", cwd=src)
    os.symlink("libbar.so.1", os.path.join(src, "libbar.so"))
    w.cc(f"main.c -L{src} -lbar -lfoo -Wl,-rpath,{src} -o prog", cwd=src)
    check(sh([os.path.join(src, "prog")]).stdout.strip() == "42", "does not run in the build tree")
    out = w.out("proj")
    os.makedirs(os.path.join(out, "lib"))
    os.makedirs(os.path.join(out, "bin"))
    for f in ("libfoo.so.1.0", "libfoo.so.1", "libfoo.so", "libbar.so.1", "libbar.so"):
        shutil.copy(os.path.join(src, f), os.path.join(out, "lib", f), follow_symlinks=False)
    shutil.copy(os.path.join(src, "prog"), os.path.join(out, "bin", "prog"))
    prog = os.path.join(out, "bin", "prog")
    # Without the fixup the installed program still loads from the build tree.
    check(w.build in (inspect(prog)["runpath"] or ""), "no build-tree RUNPATH to start from")
    res = w.fixup(out, "--deps", HOST_LIBDIR, "--json")
    report = json.loads(res.stdout)
    methods = {os.path.basename(f["path"]): f["method"] for f in report["files"]}
    check(methods.get("prog") == "record space" and methods.get("libbar.so.1") == "record space",
          f"files ldpin-ld linked were not edited in their reserved space: {methods}")
    shutil.rmtree(src)
    res, fails = failed_lookups([prog])
    check(res.returncode == 0 and res.stdout.strip() == "42",
          f"installed program: {res.returncode} {res.stdout!r} {res.stderr!r}")
    check(fails == 0, f"installed program made {fails} failed lookups")
    info = no_bare_needed_and_no_build_runpath(w, prog)
    check(os.path.join(out, "lib", "libbar.so.1") in info["needed"], f"needed {info['needed']}")
    lib = no_bare_needed_and_no_build_runpath(w, os.path.join(out, "lib", "libbar.so.1"))
    check(lib["soname"] == os.path.join(out, "lib", "libbar.so.1"), f"soname {lib['soname']}")
    foo = inspect(os.path.join(out, "lib", "libfoo.so.1.0"))
    check(foo["soname"] == os.path.join(out, "lib", "libfoo.so.1"),
          f"soname of libfoo: {foo['soname']} (wanted the name it is loaded by)")
    rec = [n["record"] for n in info["notes"] if n["kind"] == "ldpin"][0]
    check(not any(w.build in (n["path"] or "") for n in rec["needed"]),
          f"the record still names the build tree: {rec['needed']}")


@each_world
def libtool_style_in_tree_libraries_run_installed_without_the_build_tree(w):
    # libtool: .libs/ with -L only, and "-rpath $libdir" naming the install
    # directory that is still empty at link time.
    src = os.path.join(w.build, "pkg")
    for name, text in (("foo.c", FOO_C), ("main.c", "int foo(void);\nint main(void){return foo()-40;}\n")):
        write(os.path.join(src, name), text)
    out = w.out("pkg")
    libdir = os.path.join(out, "lib")
    os.makedirs(os.path.join(src, ".libs"))
    w.cc(f"-shared -fPIC foo.c -Wl,-soname,libfoo.so.3 -Wl,-rpath,{libdir} "
         "-o .libs/libfoo.so.3.0.0", cwd=src, env={"out": out})
    os.symlink("libfoo.so.3.0.0", os.path.join(src, ".libs", "libfoo.so.3"))
    os.symlink("libfoo.so.3.0.0", os.path.join(src, ".libs", "libfoo.so"))
    w.cc(f"main.c -L{src}/.libs -lfoo -Wl,-rpath,{libdir} -o .libs/prog", cwd=src, env={"out": out})
    os.makedirs(libdir)
    os.makedirs(os.path.join(out, "bin"))
    for f in ("libfoo.so.3.0.0", "libfoo.so.3", "libfoo.so"):
        shutil.copy(os.path.join(src, ".libs", f), os.path.join(libdir, f), follow_symlinks=False)
    prog = os.path.join(out, "bin", "prog")
    shutil.copy(os.path.join(src, ".libs", "prog"), prog)
    before = inspect(prog)
    check("libfoo.so.3" in before["needed"], f"in-tree library not bare before: {before['needed']}")
    w.fixup(out, "--deps", HOST_LIBDIR)
    shutil.rmtree(src)
    res, fails = failed_lookups([prog])
    check(res.returncode == 0 and fails == 0,
          f"installed program: status {res.returncode}, {fails} failed lookups, {res.stderr!r}")
    info = no_bare_needed_and_no_build_runpath(w, prog)
    check(info["runpath"] is None, f"RUNPATH left: {info['runpath']!r}")


@each_world
def prebuilt_binary_is_pinned_from_declared_inputs_and_runs(w):
    # A library and a program built without ldpin: bare DT_NEEDED, no
    # RUNPATH, the host's interpreter. glibc is "in the store": the host's
    # libc and dynamic linker copied into a store directory.
    glibc = os.path.join(w.out("glibc"), "lib")
    os.makedirs(glibc)
    for f in ("libc.so.6",):
        shutil.copy(os.path.join(HOST_LIBDIR, f), glibc)
    shutil.copy(HOST_LD, os.path.join(glibc, "ld-linux-x86-64.so.2"))
    dep = w.out("foo")
    os.makedirs(os.path.join(dep, "lib"))
    write(os.path.join(w.build, "foo.c"), FOO_C)
    w.cc(f"-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o {dep}/lib/libfoo.so.1", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-40;}\n")
    w.cc(f"main.c -L{dep}/lib -l:libfoo.so.1 -o prog", wrapped=False)
    out = w.out("prebuilt")
    os.makedirs(os.path.join(out, "bin"))
    prog = os.path.join(out, "bin", "prog")
    shutil.copy(os.path.join(w.build, "prog"), prog)
    check(inspect(prog)["runpath"] is None, "the prebuilt program has a RUNPATH")
    res = sh([prog], ok=False)
    check(res.returncode != 0 and "libfoo.so.1" in res.stderr,
          f"the prebuilt program ran before the fixup: {res.returncode} {res.stderr!r}")
    # Validation alone names what is missing.
    res = w.fixup(out, check_only=True, ok=False)
    check(res.returncode == 1 and "needs libfoo.so.1" in res.stderr,
          f"check did not report the missing library: {res.returncode} {res.stderr!r}")
    ld = os.path.join(glibc, "ld-linux-x86-64.so.2")
    w.fixup(out, "--deps", dep, "--deps", os.path.dirname(glibc), "--interpreter", ld)
    info = no_bare_needed_and_no_build_runpath(w, prog)
    check(info["interpreter"] == ld, f"interpreter {info['interpreter']}")
    check(os.path.join(dep, "lib", "libfoo.so.1") in info["needed"] and
          os.path.join(glibc, "libc.so.6") in info["needed"], f"needed {info['needed']}")
    res, fails = failed_lookups([prog])
    check(res.returncode == 0 and fails == 0,
          f"pinned prebuilt program: status {res.returncode}, {fails} failed lookups {res.stderr!r}")
    # Every object it loads comes from the store.
    res = sh([ld, "--list", prog])
    outside = [l for l in res.stdout.splitlines()
               if "=>" in l and w.store not in l and "vdso" not in l]
    check(not outside, f"loads from outside the store: {outside}")


@each_world
def ignore_missing_and_runtime_dependencies(w):
    plug = w.out("plugins")
    os.makedirs(os.path.join(plug, "lib"))
    write(os.path.join(w.build, "p.c"), "int p(void){return 1;}\n")
    w.cc(f"-shared -fPIC p.c -Wl,-soname,libplug.so -o {plug}/lib/libplug.so", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    # A program that needs a library nobody provides (a driver found on the
    # target system, say).
    write(os.path.join(w.build, "ghost.c"), "int g(void){return 0;}\n")
    w.cc("-shared -fPIC ghost.c -Wl,-soname,libghost.so.1 -o libghost.so.1", wrapped=False)
    w.cc(f"main.c -Wl,--no-as-needed -L. -l:libghost.so.1 -o prog", wrapped=False)
    out = w.out("app")
    os.makedirs(os.path.join(out, "bin"))
    shutil.copy(os.path.join(w.build, "prog"), os.path.join(out, "bin", "prog"))
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False)
    check(res.returncode == 1 and "needs libghost.so.1" in res.stderr,
          f"a missing library passed: {res.stderr!r}")
    w.fixup(out, "--deps", HOST_LIBDIR, "--ignore-missing", "libghost.so.*",
            "--runtime-dependency", plug)
    info = inspect(os.path.join(out, "bin", "prog"))
    check("libghost.so.1" in info["needed"], f"ignored library not left bare: {info['needed']}")
    check(info["runpath"] == os.path.join(plug, "lib"),
          f"runtime dependency not in RUNPATH: {info['runpath']!r}")


def stub_libc_and_needer(w, version):
    """libneeds.so linked against a stub libc.so.6 that defines `version`."""
    stub = os.path.join(w.build, "stub")
    write(os.path.join(stub, "libc.c"), "int newfn(void){return 0;}\n")
    write(os.path.join(stub, "libc.map"), f"{version} {{ global: newfn; local: *; }};\n")
    sh(f"gcc -shared -fPIC -nostdlib libc.c -Wl,--version-script=libc.map "
       f"-Wl,-soname,libc.so.6 -o libc.so.6", cwd=stub)
    write(os.path.join(w.build, "needs.c"), "int newfn(void);\nint needs(void){return newfn();}\n")
    out = w.out("needs")
    os.makedirs(os.path.join(out, "lib"), exist_ok=True)
    lib = os.path.join(out, "lib", "libneeds.so")
    sh(f"gcc -shared -fPIC needs.c -nostdlib -Wl,-soname,libneeds.so {stub}/libc.so.6 -o {lib}",
       cwd=w.build)
    return out, lib


@each_world
def a_symbol_version_the_provider_lacks_fails_with_file_version_and_provider(w):
    out, lib = stub_libc_and_needer(w, "GLIBC_2.99")
    vn = inspect(lib)["version_needs"]
    check(any(v["file"] == "libc.so.6" and "GLIBC_2.99" in [a["name"] for a in v["entries"]]
              for v in vn), f"the test library does not need GLIBC_2.99: {vn}")
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False)
    want = f"{lib}: needs version GLIBC_2.99, which {HOST_LIBDIR}/libc.so.6 does not define"
    check(res.returncode == 1 and want in res.stderr, f"wanted {want!r}, got:\n{res.stderr}")
    # Fixed: the library asks for a version glibc has.
    out2, lib2 = stub_libc_and_needer(w, "GLIBC_2.2.5")
    res = w.fixup(out2, "--deps", HOST_LIBDIR, ok=False)
    check(res.returncode == 0, f"a version glibc defines failed: {res.stderr}")


@each_world
def two_libcs_in_one_closure_fail_and_one_passes(w):
    g1 = os.path.join(w.out("glibc-a"), "lib")
    g2 = os.path.join(w.out("glibc-b"), "lib")
    for g in (g1, g2):
        os.makedirs(g)
        shutil.copy(os.path.join(HOST_LIBDIR, "libc.so.6"), g)
        shutil.copy(HOST_LD, os.path.join(g, "ld-linux-x86-64.so.2"))
    out = w.out("diamond")
    lib = os.path.join(out, "lib")
    os.makedirs(lib)
    # Both libraries call into libc, so that each needs one.
    write(os.path.join(w.build, "a.c"), "#include <unistd.h>\nint a(void){return getpid() > 0;}\n")
    write(os.path.join(w.build, "b.c"), "#include <unistd.h>\nint b(void){return 1 + (getppid() > 0);}\n")
    write(os.path.join(w.build, "main.c"), "int a(void); int b(void);\nint main(void){return a()+b()-3;}\n")
    w.cc(f"-shared -fPIC a.c -Wl,-soname,liba.so -o {lib}/liba.so", wrapped=False)
    w.cc(f"-shared -fPIC b.c -Wl,-soname,libb.so -o {lib}/libb.so", wrapped=False)
    sh(["patchelf", "--replace-needed", "libc.so.6", f"{g1}/libc.so.6", f"{lib}/liba.so"])
    sh(["patchelf", "--replace-needed", "libc.so.6", f"{g2}/libc.so.6", f"{lib}/libb.so"])
    os.makedirs(os.path.join(out, "bin"))
    w.cc(f"main.c -L{lib} -la -lb -o {out}/bin/prog", wrapped=False)
    ld = os.path.join(g1, "ld-linux-x86-64.so.2")
    res = w.fixup(out, "--deps", os.path.dirname(g1), "--interpreter", ld, ok=False)
    check(res.returncode == 1 and "loads two C libraries" in res.stderr and
          f"{g1}/libc.so.6" in res.stderr and f"{g2}/libc.so.6" in res.stderr,
          f"the diamond passed: {res.stderr}")
    sh(["patchelf", "--replace-needed", f"{g2}/libc.so.6", f"{g1}/libc.so.6", f"{lib}/libb.so"])
    res = w.fixup(out, "--deps", os.path.dirname(g1), "--interpreter", ld, ok=False)
    check(res.returncode == 0, f"one libc still fails: {res.stderr}")
    check(sh([f"{out}/bin/prog"], ok=False).returncode == 0, "the fixed program does not run")


@each_world
def every_problem_is_listed_not_only_the_first(w):
    out = w.out("many")
    os.makedirs(os.path.join(out, "bin"))
    for i in range(3):
        write(os.path.join(w.build, f"g{i}.c"), "int g(void){return 0;}\n")
        w.cc(f"-shared -fPIC g{i}.c -Wl,-soname,libmissing{i}.so -o libmissing{i}.so", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc("main.c -Wl,--no-as-needed -L. -l:libmissing0.so -l:libmissing1.so -l:libmissing2.so "
         f"-o {out}/bin/prog", wrapped=False)
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False, check_only=True)
    for i in range(3):
        check(f"needs libmissing{i}.so" in res.stderr, f"libmissing{i}.so not listed:\n{res.stderr}")
    check("3 problems in 1 file" in res.stderr, f"no summary: {res.stderr}")


@each_world
def repeated_fixups_change_nothing_and_do_not_grow_files(w):
    src = os.path.join(w.build, "r")
    write(os.path.join(src, "foo.c"), FOO_C)
    write(os.path.join(src, "main.c"), "int foo(void);\nint main(void){return foo()-40;}\n")
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1", cwd=src)
    w.cc(f"main.c -L{src} -l:libfoo.so.1 -Wl,-rpath,{src} -o prog", cwd=src)
    write(os.path.join(w.build, "pre.c"), "int main(void){return 0;}\n")
    w.cc("pre.c -Wl,-rpath,/opt/nowhere/lib -o pre", wrapped=False)
    out = w.out("repeat")
    os.makedirs(os.path.join(out, "lib"))
    os.makedirs(os.path.join(out, "bin"))
    shutil.copy(os.path.join(src, "libfoo.so.1"), os.path.join(out, "lib"))
    shutil.copy(os.path.join(src, "prog"), os.path.join(out, "bin"))
    shutil.copy(os.path.join(w.build, "pre"), os.path.join(out, "bin"))
    files = [os.path.join(out, "lib", "libfoo.so.1"), os.path.join(out, "bin", "prog"),
             os.path.join(out, "bin", "pre")]
    sizes = {f: os.path.getsize(f) for f in files[:2]}
    w.fixup(out, "--deps", HOST_LIBDIR)
    first = {f: digest(f) for f in files}
    check({f: os.path.getsize(f) for f in files[:2]} == sizes,
          "a file ldpin-ld linked changed size: it must be edited in its reserved space")
    for _ in range(200):
        res = w.fixup(out, "--deps", HOST_LIBDIR, "--report", "json")
    report = json.loads(res.stdout)
    check(all(f["method"] == "unchanged" and not f["changes"] for f in report["files"]),
          f"a repeated fixup still changes files: {report['files']}")
    check({f: digest(f) for f in files} == first, "a repeated fixup changed bytes")
    check(sh([os.path.join(out, "bin", "prog")], ok=False).returncode == 0, "prog broke")
    check(sh([os.path.join(out, "bin", "pre")], ok=False).returncode == 0, "pre broke")


@each_world
def hard_links_in_the_outputs_change_together_and_files_outside_do_not(w):
    # One library under two names in the output (hard links, as `cp -l` or
    # `ln` in an install leave them), and one hard-linked to a file of a
    # dependency: both names of the first are fixed and stay one file, the
    # dependency's file is left as it was and the output gets its own fixed
    # copy. By replacement (the default) and with --in-place, which keeps
    # the inode.
    src = os.path.join(w.build, "h")
    write(os.path.join(src, "foo.c"), FOO_C)
    write(os.path.join(src, "bar.c"), "int bar(void) { return 2; }\n")
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1", cwd=src)
    w.cc("-shared -fPIC bar.c -Wl,-soname,libbar.so.1 -o libbar.so.1", cwd=src)
    for mode in ([], ["--in-place"]):
        out, dep = w.out(f"links{mode}"), w.out(f"links-dep{mode}")
        for d in (os.path.join(out, "lib"), os.path.join(out, "lib", "compat"),
                  os.path.join(dep, "lib")):
            os.makedirs(d)
        foo = os.path.join(out, "lib", "libfoo.so.1")
        shutil.copy(os.path.join(src, "libfoo.so.1"), foo)
        foo2 = os.path.join(out, "lib", "compat", "libfoo.so.1")
        os.link(foo, foo2)
        inode = os.stat(foo).st_ino
        theirs = os.path.join(dep, "lib", "libbar.so.1")
        shutil.copy(os.path.join(src, "libbar.so.1"), theirs)
        ours = os.path.join(out, "lib", "libbar.so.1")
        os.link(theirs, ours)
        before = digest(theirs)
        w.fixup(out, "--deps", HOST_LIBDIR, *mode)
        check(os.path.samefile(foo, foo2), f"{mode}: the two names of libfoo are no longer one file")
        check(inspect(foo2)["soname"] == inspect(foo)["soname"] in (foo, foo2),
              f"{mode}: both names not fixed: {inspect(foo)['soname']}, {inspect(foo2)['soname']}")
        check(digest(theirs) == before,
              f"{mode}: a file outside the outputs was changed through a hard link")
        check(inspect(ours)["soname"] == ours,
              f"{mode}: the output's copy was not fixed: {inspect(ours)['soname']}")
        if mode:
            check(os.stat(foo).st_ino == inode, "--in-place replaced the file")


@each_world
def corrupt_and_unwritable_files_are_reported_and_left_as_they_were(w):
    out = w.out("bad")
    os.makedirs(os.path.join(out, "lib"))
    write(os.path.join(w.build, "foo.c"), FOO_C)
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1", wrapped=False)
    with open(os.path.join(w.build, "libfoo.so.1"), "rb") as f:
        data = f.read()
    corrupt = os.path.join(out, "lib", "libcorrupt.so")
    with open(corrupt, "wb") as f:
        f.write(data[:200])  # program headers cut off
    before = digest(corrupt)
    good = os.path.join(out, "lib", "libfoo.so.1")
    shutil.copy(os.path.join(w.build, "libfoo.so.1"), good)
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False)
    check(res.returncode == 1 and f"ldpin: {corrupt}: " in res.stderr and "(left as it was)" in res.stderr,
          f"corrupt file not reported: {res.stderr}")
    check(digest(corrupt) == before, "the corrupt file was changed")
    check(inspect(good)["soname"] == good, "the good file beside it was not fixed")
    # A file in a directory the fixup may not write (as an unprivileged user).
    os.unlink(corrupt)
    ro = w.out("readonly")
    os.makedirs(os.path.join(ro, "lib"))
    locked = os.path.join(ro, "lib", "libfoo.so.1")
    shutil.copy(os.path.join(w.build, "libfoo.so.1"), locked)
    before = digest(locked)
    for d in (w.root, w.store, ro, os.path.join(ro, "lib")):
        os.chmod(d, 0o755)
    cmd = [ARGS.ldpin, "fixup", ro, "--deps", HOST_LIBDIR]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    res = sh(cmd, env=w.env, ok=False)
    check(res.returncode == 1 and f"ldpin: {locked}: " in res.stderr and "Permission denied" in res.stderr,
          f"unwritable file not reported: {res.returncode} {res.stderr!r}")
    check(digest(locked) == before, "the unwritable file changed")


@each_world
def bad_arguments_are_clear_errors(w):
    res = w.fixup("/nonexistent/output", ok=False)
    check(res.returncode == 2 and "ldpin: /nonexistent/output: No such file or directory" in res.stderr,
          f"missing output: {res.returncode} {res.stderr!r}")
    res = w.fixup(w.build, "--report", "yaml", ok=False)
    check(res.returncode != 0 and "--report" in res.stderr, f"bad --report: {res.stderr!r}")
    res = sh([ARGS.ldpin, "fixup", "--help"])
    check("--ignore-missing" in res.stdout and "--deps" in res.stdout, "help lacks options")


# --- defects found by trying ldpin as a new user would (issue 12) ---------

def plain_store_lib(w, name, body, needs=()):
    """A library built without ldpin in a store directory of its own, its
    NEEDED bare and with no RUNPATH; returns its lib directory."""
    d = os.path.join(w.out(name), "lib")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(w.build, f"{name}.c")
    write(src, body)
    links = " ".join(f"-L{n} -l{b}" for b, n in needs)
    w.cc(f"-shared -fPIC {src} {links} -Wl,-soname,lib{name}.so.1 -o {d}/lib{name}.so.1",
         wrapped=False)
    os.symlink(f"lib{name}.so.1", os.path.join(d, f"lib{name}.so"))
    return d


@each_world
def rpath_program_keeps_the_entries_its_closure_needs(w):
    b = plain_store_lib(w, "b", "int b(void){return 5;}\n")
    a = plain_store_lib(w, "a", "int b(void);\nint a(void){return b()+1;}\n", needs=[("b", b)])
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint a(void);\nint main(void){printf("%d\\n", a());}\n')
    w.cc(f"main.c -L{a} -la -Wl,--disable-new-dtags -Wl,-rpath,{a} -Wl,-rpath,{b} -o prog",
         wrapped=False)
    out = w.out("app")
    prog = os.path.join(out, "bin", "prog")
    os.makedirs(os.path.dirname(prog))
    shutil.copy(os.path.join(w.build, "prog"), prog)
    check(sh([prog]).stdout == "6\n", "the program does not run before the fixup")
    res = w.fixup(out, "--deps", os.path.dirname(a), "--deps", HOST_LIBDIR, "--report", "json",
                  ok=False)
    check(res.returncode == 0, f"fixup of a working DT_RPATH program failed: {res.stderr!r}")
    info = inspect(prog)
    check(info["rpath"] == b, f"RPATH {info['rpath']!r}: {b} serves liba's libb.so.1")
    run = sh([prog], ok=False)
    check(run.returncode == 0 and run.stdout == "6\n", f"after the fixup: {run.stderr!r}")
    entries = {e["entry"]: e["reason"] for f in json.loads(res.stdout)["files"]
               for e in f.get("search_list", [])}
    check(entries.get(b) == "serves-closure" and entries.get(a) == "unused",
          f"the report's reasons: {entries}")


@each_world
def a_file_reported_as_left_alone_is_byte_identical(w):
    write(os.path.join(w.build, "ghost.c"), "int g(void){return 0;}\n")
    w.cc("-shared -fPIC ghost.c -Wl,-soname,libghost.so.1 -o libghost.so.1", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    # Needs a library nobody provides, and names the build tree: the fixup
    # rewrites its RUNPATH, then the validation finds the missing library.
    w.cc(f"main.c -Wl,--no-as-needed -L. -l:libghost.so.1 -Wl,-rpath,{w.build} -o prog",
         wrapped=False)
    out = w.out("app")
    os.makedirs(os.path.join(out, "bin"))
    shutil.copy(os.path.join(w.build, "prog"), os.path.join(out, "bin", "prog"))
    corrupt = os.path.join(out, "bin", "corrupt")
    with open(corrupt, "wb") as f:
        f.write(b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x03\x00\x3e\x00" + b"\xff" * 60)
    os.remove(os.path.join(w.build, "libghost.so.1"))
    before = {p: digest(p) for p in (corrupt, os.path.join(out, "bin", "prog"))}
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False)
    check(res.returncode == 1, f"fixup passed: {res.stderr!r}")
    for path, d in before.items():
        said_changed = f"{path}: was changed by this fixup" in res.stderr
        if d != digest(path):
            check(said_changed, f"{path} changed but was not reported as changed:\n{res.stderr}")
        else:
            check(not said_changed, f"{path} reported as changed, but it is not")
    check(digest(corrupt) == before[corrupt], "the corrupt file was written to")
    if digest(os.path.join(out, "bin", "prog")) != before[os.path.join(out, "bin", "prog")]:
        check("files with problems were left as they were" not in res.stderr,
              f"the summary says every file was left alone:\n{res.stderr}")


@each_world
def the_policy_decides_what_the_fixup_pins(w):
    # A build tree under /tmp that is not TMPDIR or NIX_BUILD_TOP: the
    # wrapper counts /tmp as temporary, and so must the fixup.
    other = os.path.join(w.root, "elsewhere")
    os.makedirs(other)
    env = {"NIX_BUILD_TOP": other, "TMPDIR": other}
    src = os.path.join(w.build, "proj")
    write(os.path.join(src, "foo.c"), FOO_C)
    write(os.path.join(src, "main.c"), "int foo(void);\nint main(void){return foo()-40;}\n")
    w.cc("-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1", cwd=src, env=env)
    w.cc(f"main.c -L{src} -l:libfoo.so.1 -o prog", cwd=src, env=env)
    out = w.out("app")
    for sub, name in (("lib", "libfoo.so.1"), ("bin", "prog")):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
        shutil.copy(os.path.join(src, name), os.path.join(out, sub, name))
    w.fixup(out, "--deps", HOST_LIBDIR, env=env)
    prog = os.path.join(out, "bin", "prog")
    needed = inspect(prog)["needed"]
    check(os.path.join(out, "lib", "libfoo.so.1") in needed,
          f"NEEDED {needed}: want the installed copy, not the build tree's")
    shutil.rmtree(src)
    run = sh([prog], ok=False)
    check(run.returncode == 0, f"without the build tree: {run.returncode} {run.stderr!r}")
    # pin = "none" pins nothing; "store" nothing outside the store, the
    # outputs and the declared dependencies (the host's libc here).
    write(os.path.join(w.build, "hello.c"), "int main(void){return 0;}\n")
    w.cc("hello.c -o hello")
    cfg = os.path.join(w.root, "none.toml")
    write(cfg, 'pin = "none"\n')
    for policy, deps in ((cfg, ["--deps", HOST_LIBDIR]), ("", [])):
        o = w.out("hello-" + ("none" if policy else "store"))
        os.makedirs(os.path.join(o, "bin"), exist_ok=True)
        shutil.copy(os.path.join(w.build, "hello"), os.path.join(o, "bin", "hello"))
        w.fixup(o, *deps, env={"LDPIN_CONFIG": policy} if policy else None)
        needed = inspect(os.path.join(o, "bin", "hello"))["needed"]
        check(needed == ["libc.so.6"], f"[{policy or 'store'}] NEEDED {needed}: want libc.so.6 bare")


def patched_ld_so(w, name):
    """The host's dynamic linker and libc/libm in a store directory, the
    dynamic linker's built-in default directories and cache overwritten (as
    the offline harness does)."""
    g = os.path.join(w.out(name), "lib")
    os.makedirs(g)
    for f in ("libc.so.6", "libm.so.6"):
        shutil.copy(os.path.join(HOST_LIBDIR, f), g)
    data = bytearray(open(HOST_LD, "rb").read())
    for old in (b"/etc/ld.so.cache", b"/lib/x86_64-linux-gnu/", b"/usr/lib/x86_64-linux-gnu/",
                b"/lib/", b"/usr/lib/"):
        new = b"/" + b"n" * (len(old) - 2) + b"/"
        data = data.replace(b"\0" + old + b"\0", b"\0" + new + b"\0")
    ld = os.path.join(g, "ld-linux-x86-64.so.2")
    with open(ld, "wb") as f:
        f.write(data)
    os.chmod(ld, 0o755)
    return g, ld


@each_world
def validation_uses_the_interpreters_own_default_directories(w):
    glibc, ld = patched_ld_so(w, "glibc")
    # A dependency with a bare libm.so.6 and no RUNPATH (as gcc's libstdc++):
    # only a default directory could provide it, and this ld.so has none.
    dep = plain_store_lib(w, "dep", "double cbrt(double);\ndouble d(double x){return cbrt(x);}\n",
                          needs=[("m", HOST_LIBDIR)])
    write(os.path.join(w.build, "main.c"), "double d(double);\nint main(void){return d(8.0) != 2.0;}\n")
    w.cc(f"main.c -L{dep} -ldep -o prog", wrapped=False)
    out = w.out("app")
    prog = os.path.join(out, "bin", "prog")
    os.makedirs(os.path.dirname(prog))
    shutil.copy(os.path.join(w.build, "prog"), prog)
    res = w.fixup(out, "--deps", os.path.dirname(dep), "--deps", os.path.dirname(glibc),
                  "--interpreter", ld, ok=False)
    listed = sh([ld, "--list", prog], ok=False)
    check(listed.returncode != 0, f"the patched ld.so loads it: {listed.stdout}")
    check(res.returncode == 1 and "needs libm.so.6" in res.stderr,
          f"the fixup accepts what its interpreter does not load: {res.returncode} {res.stderr!r}")


@each_world
def rpath_program_over_many_store_libraries_is_checked_and_fixed(w):
    n = 25
    dirs = [None] * n
    for i in reversed(range(n)):
        body = (f"int l{i + 1}(void);\nint l{i}(void){{return l{i + 1}() + 1;}}\n"
                if i + 1 < n else f"int l{i}(void){{return 0;}}\n")
        dirs[i] = plain_store_lib(w, f"l{i}", body,
                                  needs=[(f"l{i + 1}", dirs[i + 1])] if i + 1 < n else [])
    write(os.path.join(w.build, "main.c"),
          '#include <stdio.h>\nint l0(void);\nint main(void){printf("%d\\n", l0());}\n')
    rpaths = " ".join(f"-Wl,-rpath,{d}" for d in dirs)
    w.cc(f"main.c -L{dirs[0]} -ll0 -Wl,--disable-new-dtags {rpaths} -o prog", wrapped=False)
    out = w.out("app")
    prog = os.path.join(out, "bin", "prog")
    os.makedirs(os.path.dirname(prog))
    shutil.copy(os.path.join(w.build, "prog"), prog)
    check(sh([prog]).stdout == f"{n - 1}\n", "does not run before the fixup")
    res = w.fixup(out, "--deps", HOST_LIBDIR, check_only=True, ok=False)
    check(res.returncode == 0, f"ldpin check of a working program: {res.returncode} {res.stderr[:800]!r}")
    deps = [a for d in dirs for a in ("--deps", os.path.dirname(d))]
    res = w.fixup(out, *deps, "--deps", HOST_LIBDIR, "--report", "json", ok=False)
    check(res.returncode == 0, f"fixup: {res.stderr[:800]!r}")
    methods = {f["method"] for f in json.loads(res.stdout)["files"]}
    check(methods <= {"unchanged", "runpath space", "patchelf"}, f"methods {methods}")
    run = sh([prog], ok=False)
    check(run.returncode == 0 and run.stdout == f"{n - 1}\n", f"after the fixup: {run.stderr!r}")
    check(inspect(prog)["rpath"] == ":".join(dirs[1:]),
          f"RPATH {inspect(prog)['rpath']!r}: want the directories of l1..l{n - 1}")


@each_world
def usage_errors_have_the_prefix_and_exit_2(w):
    for args in ([], ["fixup"], ["check"], ["fixup", "--bogus", w.build], ["nosuch"]):
        res = sh([ARGS.ldpin] + args, ok=False)
        check(res.returncode == 2 and res.stderr.startswith("ldpin: "),
              f"ldpin {' '.join(args)}: {res.returncode} {res.stderr!r}")
    res = sh([ARGS.ldpin, "check", w.build])
    check("no problem" in res.stderr, f"check says nothing when it passes: {res.stderr!r}")


@each_world
def a_missing_library_names_the_places_searched_and_suggests_deps(w):
    lib = w.out("elsewhere")
    write(os.path.join(w.build, "ghost.c"), "int g(void){return 0;}\n")
    w.cc("-shared -fPIC ghost.c -Wl,-soname,libghost.so.1 -o libghost.so.1", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc(f"main.c -Wl,--no-as-needed -L. -l:libghost.so.1 -Wl,--enable-new-dtags,-rpath,{lib}/lib -o prog",
         wrapped=False)
    out = w.out("app")
    os.makedirs(os.path.join(out, "bin"))
    shutil.copy(os.path.join(w.build, "prog"), os.path.join(out, "bin", "prog"))
    res = w.fixup(out, ok=False, check_only=True)
    line = next((l for l in res.stderr.splitlines() if "needs libghost.so.1" in l), "")
    check(res.returncode == 1 and f"searched: {lib}/lib, " in line and "--deps" in line,
          f"the message does not name the places searched and --deps: {res.stderr!r}")


@each_world
def a_file_the_loader_refuses_ends_its_search_as_in_glibc(w):
    # glibc skips a candidate it cannot open or of another class or machine,
    # and stops at one that is not ELF: a program whose RPATH has a text file
    # of the library's name before the real library does not start.
    good, txt = w.out("good"), w.out("txt")
    for d in (good, txt):
        os.makedirs(os.path.join(d, "lib"), exist_ok=True)
    write(os.path.join(w.build, "foo.c"), FOO_C)
    w.cc(f"-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o {good}/lib/libfoo.so.1", wrapped=False)
    write(os.path.join(txt, "lib", "libfoo.so.1"), "INPUT(libfoo.so.2)\n")
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo() - 40;}\n")
    for order, starts in (((good, txt), True), ((txt, good), False)):
        out = w.out("app-" + os.path.basename(order[0]))
        os.makedirs(os.path.join(out, "bin"), exist_ok=True)
        prog = os.path.join(out, "bin", "prog")
        rpath = ":".join(f"{d}/lib" for d in order)
        w.cc(f"main.c {good}/lib/libfoo.so.1 -Wl,--disable-new-dtags,-rpath,{rpath} -o {prog}",
             wrapped=False)
        # libfoo.so.1 by its bare name (gcc records the soname).
        check("libfoo.so.1" in inspect(prog)["needed"], f"{inspect(prog)['needed']}")
        ran = sh([prog], ok=False).returncode == 0
        check(ran == starts, f"RPATH {rpath}: glibc {'ran' if ran else 'refused'} it")
        res = w.fixup(out, ok=False, check_only=True)
        check((res.returncode == 0) == starts and
              (starts or f"the loader stops at {txt}/lib/libfoo.so.1" in res.stderr),
              f"RPATH {rpath}: ldpin check says {res.returncode} {res.stderr!r}")


@each_world
def origin_in_a_needed_path_is_expanded_as_the_loader_does(w):
    out = w.out("app")
    bindir = os.path.join(out, "bin")
    os.makedirs(bindir)
    write(os.path.join(w.build, "foo.c"), FOO_C)
    w.cc(f"-shared -fPIC foo.c -Wl,-soname,'$ORIGIN/libfoo.so' -o {bindir}/libfoo.so", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo() - 40;}\n")
    w.cc(f"main.c {bindir}/libfoo.so -o {bindir}/prog", wrapped=False)
    check(inspect(f"{bindir}/prog")["needed"][0] == "$ORIGIN/libfoo.so",
          f"NEEDED: {inspect(f'{bindir}/prog')['needed']}")
    check(sh([f"{bindir}/prog"], cwd="/", ok=False).returncode == 0, "glibc does not run it")
    res = w.fixup(out, "--deps", HOST_LIBDIR, ok=False, check_only=True)
    check(res.returncode == 0, f"ldpin check refuses what glibc loads: {res.stderr!r}")


@each_world
def a_runtime_dependency_is_added_to_a_program_without_runpath(w):
    # ldpin-ld removed the placeholder RUNPATH (nothing needed it): the
    # fixup adds one in the dynamic table's spare slot.
    plug = w.out("plugins")
    os.makedirs(os.path.join(plug, "lib"))
    out = w.out("app")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc(f"main.c -o {out}/prog")
    check(not inspect(f"{out}/prog")["runpath"], f"has a RUNPATH: {inspect(f'{out}/prog')['runpath']}")
    w.fixup(out, "--deps", HOST_LIBDIR, "--runtime-dependency", plug)
    info = inspect(f"{out}/prog")
    check(info["runpath"] == f"{plug}/lib", f"RUNPATH after the fixup: {info['runpath']!r}")
    check(sh([f"{out}/prog"], ok=False).returncode == 0, "does not run")
    res = w.fixup(out, check_only=True)
    check(res.returncode == 0, f"check: {res.stderr!r}")


@each_world
def check_follows_an_output_given_as_a_symbolic_link(w):
    # nix-build leaves ./result, a link to the output; `ldpin check result`.
    out = w.out("app")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc(f"main.c -o {out}/prog", wrapped=False)
    link = os.path.join(w.build, "result")
    os.symlink(out, link)
    res = w.fixup(link, check_only=True)
    check(res.returncode == 0 and "1 ELF file of 1 file checked" in res.stderr,
          f"ldpin check through a link: {res.returncode} {res.stderr!r}")


@each_world
def what_would_be_written_into_binaries_is_refused_before_any_file_changes(w):
    out = w.out("app")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc(f"main.c -o {out}/prog", wrapped=False)
    before = digest(f"{out}/prog")
    rt = w.out("rt")
    afile = os.path.join(w.build, "main.c")
    dangling = os.path.join(w.build, "dangling")
    os.symlink("/nonexistent-ldpin", dangling)
    cases = [
        (["--interpreter", "/nonexistent/ld.so"], "--interpreter"),
        (["--interpreter", "relative/ld.so"], "absolute"),
        (["--interpreter", w.build], "not a regular file"),
        (["--runtime-dependency", "store/rt"], "absolute"),
        (["--runtime-dependency", ""], "absolute"),
        (["--runtime-dependency", f"{rt}:{rt}"], "':'"),
        (["--runtime-dependency", afile], "not a directory"),
        (["--runtime-dependency", rt + "-missing"], "not a directory"),
        (["--store", "relative/store"], "--store"),
    ]
    for args, said in cases:
        res = w.fixup(out, *args, ok=False)
        check(res.returncode == 2 and said in res.stderr,
              f"{args}: {res.returncode} {res.stderr!r}")
        check(digest(f"{out}/prog") == before, f"{args}: the program was changed")
    for bad in (dangling, "/dev/null"):
        res = w.fixup(bad, ok=False, check_only=True)
        check(res.returncode == 2, f"check {bad}: {res.returncode} {res.stderr!r}")
    check(sh([f"{out}/prog"], ok=False).returncode == 0, "the program does not run")


@each_world
def an_output_given_twice_leaves_nothing_behind(w):
    out = w.out("app")
    os.makedirs(f"{out}/bin")
    os.makedirs(f"{out}/sbin")
    rt = w.out("rt")
    os.makedirs(f"{rt}/lib")
    write(os.path.join(w.build, "main.c"), "int main(void){return 0;}\n")
    w.cc(f"main.c -o {out}/bin/prog")
    os.link(f"{out}/bin/prog", f"{out}/sbin/prog")
    w.fixup(out, out, f"{out}/bin/prog", "--runtime-dependency", rt)
    left = sorted(n for d in ("bin", "sbin") for n in os.listdir(f"{out}/{d}"))
    check(left == ["prog", "prog"], f"files left in the output: {left}")
    check(os.stat(f"{out}/bin/prog").st_ino == os.stat(f"{out}/sbin/prog").st_ino,
          "the two names are no longer one file")
    check(inspect(f"{out}/sbin/prog")["runpath"] == f"{rt}/lib", "not fixed")


@each_world
def check_reports_bare_needed_and_failed_probes_above_the_limit(w):
    """`ldpin check` says what still costs at start-up: with
    --require-pinned, a bare DT_NEEDED the fixup would pin; with
    --max-probes N, more failed probes than N (counted as `ldpin tree`
    predicts them); after the fixup, neither."""
    dep = w.out("foo")
    os.makedirs(os.path.join(dep, "lib"))
    write(os.path.join(w.build, "foo.c"), FOO_C)
    w.cc(f"-shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o {dep}/lib/libfoo.so.1", wrapped=False)
    write(os.path.join(w.build, "main.c"), "int foo(void);\nint main(void){return foo()-40;}\n")
    out = w.out("app")
    os.makedirs(os.path.join(out, "bin"))
    prog = os.path.join(out, "bin", "prog")
    w.cc(f"main.c -L{dep}/lib -l:libfoo.so.1 -o {prog} "
         f"-Wl,--enable-new-dtags,-rpath,{w.store}/none/lib:{dep}/lib", wrapped=False)
    tree = json.loads(sh([ARGS.ldpin, "tree", "--json", prog]).stdout)["files"][0]
    searching = tree["failed_probes_searching"]
    check(searching > 0, f"the unpinned program searches without failing: {tree}")
    res, fails = failed_lookups([prog])
    check(res.returncode == 0 and fails > 0, f"{res.returncode} {fails}")
    res = w.fixup(out, check_only=True, ok=False)
    check(res.returncode == 0 and "is bare" not in res.stderr,
          f"check of a program that loads: {res.returncode} {res.stderr!r}")
    res = w.fixup(out, "--require-pinned", check_only=True, ok=False)
    check(res.returncode == 1 and "DT_NEEDED libfoo.so.1 is bare" in res.stderr and
          f"pin it to {dep}/lib/libfoo.so.1" in res.stderr and "failed probes" not in res.stderr,
          f"check --require-pinned: {res.returncode} {res.stderr!r}")
    res = w.fixup(out, "--max-probes", str(searching - 1), check_only=True, ok=False)
    check(res.returncode == 1 and f"would make {searching} failed probes" in res.stderr and
          "libfoo.so.1 of " in res.stderr,
          f"check --max-probes {searching - 1}: {res.returncode} {res.stderr!r}")
    res = w.fixup(out, "--max-probes", str(searching), check_only=True, ok=False)
    check("failed probes" not in res.stderr, f"at the limit: {res.stderr!r}")
    res = w.fixup(out, "--max-probes", "x", check_only=True, ok=False)
    check(res.returncode == 2, f"--max-probes x: {res.returncode} {res.stderr!r}")
    w.fixup(out)
    res = w.fixup(out, "--require-pinned", "--max-probes", "0", check_only=True, ok=False)
    check(res.returncode == 0, f"after the fixup: {res.returncode} {res.stderr!r}")
    tree = json.loads(sh([ARGS.ldpin, "tree", "--json", prog]).stdout)["files"][0]
    check(tree["failed_probes_searching"] == 0, f"pinned: {tree['failed_probes_searching']}")


if __name__ == "__main__":
    sys.exit(harness.main(__doc__))
