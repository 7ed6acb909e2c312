#!/usr/bin/env python3
"""Behaviour tests of the audit module, libldpin-audit.so, under the real glibc.

Libraries and programs are built here with gcc, then run with LD_AUDIT (or a
DT_AUDIT that ldpin-ld embeds) and with LD_LIBRARY_PATH, side by side: each
test first shows the failure without the module, then the behaviour with it.
The module is found beside the ldpin command (build/bin/../lib).

Usage: audit_test.py --ldpin-ld PATH --ldpin PATH [--only NAME]
"""
import os
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import ARGS, check, sh, write

HOST_LIBDIR = "/lib/x86_64-linux-gnu"
HOST_LD = "/lib64/ld-linux-x86-64.so.2"

# A program that dlopens each argument and says what it got: the object's
# name (its link map's l_name), its link map's address, and what its
# value() returns; then how many objects named libc.so.6 the process holds.
DLOPEN_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
static int count_libc(struct dl_phdr_info *i, size_t n, void *d) {
  const char *b = strrchr(i->dlpi_name, '/');
  if (b && strcmp(b + 1, "libc.so.6") == 0) ++*(int *)d;
  return 0;
}
int main(int argc, char **argv) {
  for (int k = 1; k < argc; ++k) {
    void *h = dlopen(argv[k], RTLD_NOW);
    if (!h) { printf("error: %s\n", dlerror()); return 1; }
    struct link_map *m = 0;
    dlinfo(h, RTLD_DI_LINKMAP, &m);
    int (*v)(void) = (int (*)(void))dlsym(h, "value");
    printf("%s -> %s %p value %d\n", argv[k], m->l_name, (void *)m, v ? v() : -1);
  }
  int libcs = 0;
  dl_iterate_phdr(count_libc, &libcs);
  printf("libcs %d\n", libcs);
  return 0;
}
"""


def libdir():
    return os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(ARGS.ldpin)),
                                         "..", "lib"))


def module():
    return os.path.join(libdir(), "libldpin-audit.so")


# What a shell sets: glibc expands $PLATFORM per process (x86_64, i686).
PER_CLASS = "ldpin-audit/$PLATFORM/libldpin-audit.so"


class World:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="ldpin-audit-")
        os.chmod(self.root, 0o755)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("LDPIN_", "LD_"))}

    def d(self, *parts):
        p = os.path.join(self.root, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def lib(self, dirname, name, body, soname=None, extra=""):
        """A shared library DIRNAME/NAME; its soname is NAME, or `soname`
        (none when it is "")."""
        src = os.path.join(self.root, "src", f"{os.path.basename(dirname)}-{name}.c")
        write(src, body)
        out = os.path.join(self.d(dirname), name)
        so = "" if soname == "" else f"-Wl,-soname,{soname or name}"
        sh(f"gcc -shared -fPIC {src} {so} {extra} -o {out}")
        return out

    def prog(self, name, source, extra=""):
        src = os.path.join(self.root, "src", name + ".c")
        write(src, source)
        out = os.path.join(self.d("bin"), name)
        sh(f"gcc {src} -o {out} {extra}")
        return out

    def run(self, cmd, audit=True, **env):
        e = dict(self.env)
        if audit:
            e["LD_AUDIT"] = module()
        e.update({k: v for k, v in env.items() if v is not None})
        return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=120)

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


each = harness.in_tree(World)


def value_lib(v):
    return f"int value(void) {{ return {v}; }}\n"


def stub_libc(w, version):
    """A stub libc.so.6 defining `version`, for linking a library that needs
    it (the library then asks the process's libc for that version)."""
    d = w.d("stub")
    write(os.path.join(d, "libc.c"), "int newfn(void){return 0;}\n")
    write(os.path.join(d, "libc.map"), f"{version} {{ global: newfn; local: *; }};\n")
    sh("gcc -shared -fPIC -nostdlib libc.c -Wl,--version-script=libc.map "
       "-Wl,-soname,libc.so.6 -o libc.so.6", cwd=d)
    return os.path.join(d, "libc.so.6")


@each
def a_library_needing_a_newer_glibc_is_skipped_for_a_compatible_one(w):
    stub = stub_libc(w, "GLIBC_2.99")
    body = "int newfn(void);\nint value(void){ return newfn() + 1; }\n"
    w.lib("fb1", "libx.so.1", body, extra=f"-nostdlib {stub}")
    w.lib("fb2", "libx.so.1", value_lib(2))
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    path = f"{w.root}/fb1:{w.root}/fb2"
    res = w.run([prog, "libx.so.1"], audit=False, LD_LIBRARY_PATH=path)
    check(res.returncode != 0 and "GLIBC_2.99" in res.stdout + res.stderr,
          f"without the module: {res.stdout}{res.stderr}")
    res = w.run([prog, "libx.so.1"], LDPIN_FALLBACK_PATH=path, LDPIN_AUDIT_LOG="2")
    check(res.returncode == 0 and f"-> {w.root}/fb2/libx.so.1 " in res.stdout
          and "value 2" in res.stdout, f"with the module: {res.stdout}{res.stderr}")
    want = (f"ldpin-audit: libx.so.1 -> skip {w.root}/fb1/libx.so.1 (needs GLIBC_2.99 "
            f"of libc.so.6")
    check(want in res.stderr, f"the log does not say why: {res.stderr}")
    check(f"ldpin-audit: libx.so.1 -> {w.root}/fb2/libx.so.1 (fallback)" in res.stderr,
          res.stderr)


@each
def a_candidate_needing_a_second_libc_is_skipped(w):
    # A second C library: a libc.so.6 of another directory, named by an
    # absolute DT_NEEDED (a file without a soname is recorded by the path
    # it was linked by).
    other = w.d("other-glibc")
    write(os.path.join(other, "c.c"), "int other_libc(void){return 0;}\n")
    sh(f"gcc -shared -fPIC -nostdlib c.c -o {other}/libc.so.6", cwd=other)
    body = "int other_libc(void);\nint value(void){ return other_libc() + 1; }\n"
    w.lib("fb1", "libx.so.1", body, extra=f"-Wl,--no-as-needed {other}/libc.so.6")
    w.lib("fb2", "libx.so.1", value_lib(2))
    needed = sh(["readelf", "-d", f"{w.root}/fb1/libx.so.1"]).stdout
    check(f"[{other}/libc.so.6]" in needed, f"no absolute libc NEEDED: {needed}")
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    path = f"{w.root}/fb1:{w.root}/fb2"
    res = w.run([prog, "libx.so.1"], audit=False, LD_LIBRARY_PATH=path)
    check("libcs 2" in res.stdout, f"without the module, not two libcs: {res.stdout}")
    res = w.run([prog, "libx.so.1"], LDPIN_FALLBACK_PATH=path, LDPIN_AUDIT_LOG="2")
    check(res.returncode == 0 and "libcs 1" in res.stdout and "value 2" in res.stdout,
          f"with the module: {res.stdout}{res.stderr}")
    check(f"needs {other}/libc.so.6, a C library other than the process's" in res.stderr,
          res.stderr)


@each
def a_library_found_normally_is_kept_and_a_missing_one_is_found_in_the_fallback(w):
    w.lib("normal", "liby.so.1", value_lib(1))
    w.lib("fb", "liby.so.1", value_lib(100))
    w.lib("fb", "libz-only.so.1", value_lib(3))
    prog = w.prog("dl", DLOPEN_C, f"-ldl -Wl,--enable-new-dtags,-rpath,{w.root}/normal")
    res = w.run([prog, "liby.so.1", "libz-only.so.1"], audit=False)
    check(res.returncode != 0 and "libz-only.so.1" in res.stdout,
          f"without the module: {res.stdout}")
    res = w.run([prog, "liby.so.1", "libz-only.so.1"], LDPIN_FALLBACK_PATH=f"{w.root}/fb")
    check(res.returncode == 0, f"with the module: {res.stdout}{res.stderr}")
    check(f"liby.so.1 -> {w.root}/normal/liby.so.1 " in res.stdout and "value 1" in res.stdout,
          f"the RUNPATH library was replaced: {res.stdout}")
    # The fallback's library is named by its own path (glibc would name it
    # after the default directory it was asked about).
    check(f"libz-only.so.1 -> {w.root}/fb/libz-only.so.1 " in res.stdout
          and "value 3" in res.stdout, f"not found in the fallback: {res.stdout}")
    check(res.stderr == "", f"the module printed without being asked: {res.stderr!r}")


@each
def the_fallback_stands_after_the_cache_and_before_the_default_directories(w):
    # An interpreter whose default directory is a directory of the test (as
    # a Nix glibc's is its own lib/), with the C library in it.
    g = tempfile.mkdtemp(prefix="ldpin-d-", dir="/tmp")
    check(len(g) + 1 == len("/lib/x86_64-linux-gnu/"), f"mkdtemp gave {g}")
    try:
        for f in ("libc.so.6", "libm.so.6"):
            shutil.copy(os.path.join(HOST_LIBDIR, f), g)
        data = bytearray(open(HOST_LD, "rb").read())
        for old in (b"/etc/ld.so.cache", b"/usr/lib/x86_64-linux-gnu/", b"/lib/", b"/usr/lib/"):
            new = b"/" + b"n" * (len(old) - 2) + b"/"
            data = data.replace(b"\0" + old + b"\0", b"\0" + new + b"\0")
        data = data.replace(b"\0/lib/x86_64-linux-gnu/\0", b"\0" + g.encode() + b"/\0")
        ld = os.path.join(g, "ld-linux-x86-64.so.2")
        with open(ld, "wb") as f:
            f.write(data)
        os.chmod(ld, 0o755)
        w.lib(g, "liborder.so.1", value_lib(1))          # a default directory's
        w.lib("fb", "liborder.so.1", value_lib(2))       # the fallback's
        w.lib("fb", "libm.so.6", value_lib(66))          # never: the C library's own
        prog = w.prog("dl", DLOPEN_C, f"-ldl -Wl,--dynamic-linker={ld}")
        res = w.run([prog, "liborder.so.1", "libm.so.6"], audit=False)
        check(res.returncode == 0 and f"liborder.so.1 -> {g}/liborder.so.1 " in res.stdout,
              f"without the module the default directory does not provide it: "
              f"{res.stdout}{res.stderr}")
        res = w.run([prog, "liborder.so.1", "libm.so.6"], LDPIN_FALLBACK_PATH=f"{w.root}/fb")
        check(res.returncode == 0 and f"liborder.so.1 -> {w.root}/fb/liborder.so.1 " in res.stdout,
              f"the fallback does not stand before the default directory: "
              f"{res.stdout}{res.stderr}")
        check(f"libm.so.6 -> {g}/libm.so.6 " in res.stdout,
              f"the C library's own libm came from the fallback: {res.stdout}")
    finally:
        shutil.rmtree(g, ignore_errors=True)
    # The host's cache: libz.so.1 is in /etc/ld.so.cache, and a fallback
    # libz.so.1 does not replace it.
    w.lib("fb", "libz.so.1", value_lib(5))
    prog = w.prog("dl2", DLOPEN_C, "-ldl")
    res = w.run([prog, "libz.so.1"], LDPIN_FALLBACK_PATH=f"{w.root}/fb")
    check(res.returncode == 0 and f"{w.root}/fb" not in res.stdout and "value -1" in res.stdout,
          f"the fallback replaced the cache's libz: {res.stdout}{res.stderr}")


@each
def a_bare_dlopen_of_a_loaded_absolute_soname_library_returns_that_object(w):
    lib = os.path.join(w.d("lib"), "libq.so.1")
    w.lib("lib", "libq.so.1", value_lib(7), soname=lib)
    loader = (DLOPEN_C.replace("int main(int argc, char **argv) {",
                               "int value(void);\nint main(int argc, char **argv) {\n"
                               "  printf(\"linked %d\\n\", value());"))
    prog = w.prog("dl", loader, f"-ldl {lib}")
    needed = sh(["readelf", "-d", prog]).stdout
    check(f"[{lib}]" in needed, f"the program does not need the absolute soname: {needed}")
    res = w.run([prog, lib, "libq.so.1"], audit=False)
    check(res.returncode != 0 and "libq.so.1: cannot open" in res.stdout,
          f"without the module: {res.stdout}")
    res = w.run([prog, lib, "libq.so.1"], LDPIN_AUDIT_LOG="2")
    lines = [ln for ln in res.stdout.splitlines() if " -> " in ln]
    check(res.returncode == 0 and len(lines) == 2, f"with the module: {res.stdout}{res.stderr}")
    check(lines[0].split(" -> ")[1] == lines[1].split(" -> ")[1],
          f"not the same object: {lines}")
    check(f"ldpin-audit: libq.so.1 -> {lib} (loaded)" in res.stderr, res.stderr)
    # Python's ctypes, the same way.
    py = (f"import ctypes\na = ctypes.CDLL({lib!r})\nb = ctypes.CDLL('libq.so.1')\n"
          "print('same' if a._handle == b._handle else 'different', b.value())\n")
    res = w.run([sys.executable, "-c", py], audit=False)
    check(res.returncode != 0 and "libq.so.1" in res.stderr, f"ctypes without: {res.stderr}")
    res = w.run([sys.executable, "-c", py])
    check(res.returncode == 0 and res.stdout.strip() == "same 7",
          f"ctypes with the module: {res.stdout}{res.stderr}")


@each
def an_override_redirects_an_absolute_needed_and_is_judged_unless_forced(w):
    a = os.path.join(w.d("a"), "libw.so.1")
    w.lib("a", "libw.so.1", value_lib(1), soname=a)
    b = w.lib("b", "libw.so.1", value_lib(2))
    stub = stub_libc(w, "GLIBC_2.99")
    bad = w.lib("bad", "libw.so.1",
                "int newfn(void);\nint value(void){ return newfn() + 3; }\n",
                extra=f"-nostdlib {stub}")
    prog = w.prog("p", '#include <stdio.h>\nint value(void);\n'
                  'int main(void){ printf("value %d\\n", value()); return 0; }\n', a)
    check(w.run([prog], audit=False).stdout == "value 1\n", "without the module")
    for key in ("libw.so.1", a):
        res = w.run([prog], LDPIN_OVERRIDE=f"{key}={b}", LDPIN_AUDIT_LOG="2")
        check(res.stdout == "value 2\n", f"{key}: not redirected: {res.stdout}{res.stderr}")
        check(f"ldpin-audit: {a} -> {b} (override)" in res.stderr, res.stderr)
    res = w.run([prog], LDPIN_OVERRIDE=f"libw.so.1={bad}", LDPIN_AUDIT_LOG="1")
    check(res.returncode == 0 and res.stdout == "value 1\n" and "override refused: needs "
          "GLIBC_2.99" in res.stderr, f"a bad target was not refused: {res.stdout}{res.stderr}")
    res = w.run([prog], LDPIN_OVERRIDE=f"libw.so.1=!{b}", LDPIN_AUDIT_LOG="2")
    check(res.stdout == "value 2\n" and "(forced override)" in res.stderr,
          f"forced: {res.stdout}{res.stderr}")


@each
def ld_audit_reaches_children(w):
    # LD_AUDIT is inherited (DT_AUDIT, embedded by ldpin-ld, is not: its
    # test is in ld_wrapper_test.py): a child dlopens from the fallback.
    w.lib("fb", "libc-child.so.1", value_lib(9))
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    res = w.run(["/bin/sh", "-c", f"{prog} libc-child.so.1"], LDPIN_FALLBACK_PATH=f"{w.root}/fb")
    check(res.returncode == 0 and "value 9" in res.stdout, f"{res.stdout}{res.stderr}")


@each
def programs_of_either_class_load_their_own_module_through_platform(w):
    m32 = os.path.join(libdir(), "ldpin-audit", "i686", "libldpin-audit.so")
    check(os.path.isfile(m32), f"no 32-bit module at {m32} (the build needs gcc-multilib)")
    check("ELF32" in sh(["readelf", "-h", m32]).stdout, f"{m32} is not 32-bit")
    for bits in (32, 64):
        src = os.path.join(w.root, "src", f"x{bits}.c")
        write(src, value_lib(bits))
        sh(f"gcc -m{bits} -shared -fPIC {src} -o {w.d(f'fb{bits}')}/libx.so.1")
    dl = os.path.join(w.root, "src", "dl.c")
    write(dl, DLOPEN_C)
    p32, p64 = os.path.join(w.d("bin"), "dl32"), os.path.join(w.d("bin"), "dl64")
    sh(f"gcc -m32 {dl} -o {p32} -ldl")
    sh(f"gcc {dl} -o {p64} -ldl")
    path = f"{w.root}/fb64:{w.root}/fb32"
    # One module for both: glibc complains to every 32-bit process.
    res = w.run([p32, "libx.so.1"], LD_AUDIT=module(), LDPIN_FALLBACK_PATH=path)
    check("wrong ELF class" in res.stderr, f"the 64-bit module in a 32-bit process: {res.stderr!r}")
    per_class = os.path.join(libdir(), PER_CLASS)
    for prog, want in ((p32, "value 32"), (p64, "value 64")):
        res = w.run([prog, "libx.so.1"], LD_AUDIT=per_class, LDPIN_FALLBACK_PATH=path)
        check(res.returncode == 0 and want in res.stdout and res.stderr == "",
              f"{prog}: {res.returncode} {res.stdout!r} {res.stderr!r}")
    res = w.run([p32, "libx.so.1"], LD_AUDIT=per_class, LDPIN_FALLBACK_PATH=path,
                LDPIN_AUDIT_LOG="2")
    check(f"skip {w.root}/fb64/libx.so.1 (ELFCLASS64, not ELFCLASS32)" in res.stderr, res.stderr)


@each
def a_fallback_library_gets_its_own_name_and_origin(w):
    # glibc names a library found at LA_SER_DEFAULT after the default
    # directory it asked about, and computes $ORIGIN from that name; the
    # module gives it its own. A long directory makes the new strings longer
    # than glibc's (allocated, not written in place), at start-up, in a
    # constructor's dlopen and dlclose, and in main's.
    long = w.d("fallback-directory-with-a-name-long-enough-to-outgrow-glibc-hwcaps-paths")
    sub = os.path.join(long, "sub")
    os.makedirs(sub)
    src = os.path.join(w.root, "src")
    write(os.path.join(src, "dep.c"), "int dep(void){return 40;}\n")
    sh(f"gcc -shared -fPIC dep.c -o {sub}/libdep.so", cwd=src)
    write(os.path.join(src, "top.c"), "int dep(void);\nint value(void){return dep() + 2;}\n")
    sh(f"gcc -shared -fPIC top.c -o {long}/libtop.so -L{sub} -ldep "
       "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/sub'", cwd=src)
    write(os.path.join(src, "ctor.c"), '#include <dlfcn.h>\n#include <stdio.h>\n'
          '__attribute__((constructor)) static void c(void) {\n'
          '  void *h = dlopen("libtop.so", RTLD_NOW);\n'
          '  printf("ctor %s\\n", h ? "loaded" : dlerror()); if (h) dlclose(h);\n}\n')
    sh(f"gcc -shared -fPIC ctor.c -o {long}/libctor.so -ldl", cwd=src)
    prog = w.prog("dl", DLOPEN_C.replace('int main(int argc, char **argv) {',
                                         'int ctor_marker;\nint main(int argc, char **argv) {'),
                  f"-ldl -L{long} -Wl,--no-as-needed -lctor")
    res = w.run([prog, "libtop.so", "libtop.so"], audit=False)
    check(res.returncode != 0, "runs without the module")
    for _ in range(3):
        res = w.run([prog, "libtop.so", "libtop.so"], LDPIN_FALLBACK_PATH=long)
        check(res.returncode == 0 and res.stdout.startswith("ctor loaded\n")
              and res.stdout.count(f"libtop.so -> {long}/libtop.so ") == 2
              and "value 42" in res.stdout and res.stderr == "",
              f"{res.returncode}: {res.stdout}{res.stderr}")
    # ldd shows the names (the start-up objects, from the module's pool).
    res = w.run(["ldd", prog], LDPIN_FALLBACK_PATH=long)
    check(f"libctor.so => {long}/libctor.so" in res.stdout, res.stdout + res.stderr)


@each
def a_library_without_a_soname_is_not_taken_for_another_of_its_file_name(w):
    # Only a library whose soname ldpin made absolute is matched by its bare
    # name: glibc matches the others itself, or searches.
    a = w.lib("pa", "libp.so", value_lib(1), soname="")
    w.lib("pb", "libp.so", value_lib(2), soname="")
    write(os.path.join(w.root, "src", "host.c"), "int value(void);\nint host(void){return value();}\n")
    sh(f"gcc -shared -fPIC {w.root}/src/host.c -o {w.root}/pb/libhost.so -L{w.root}/pb -lp "
       "-Wl,--enable-new-dtags,-rpath,'$ORIGIN'")
    prog = w.prog("dl", DLOPEN_C.replace('int (*v)(void) = (int (*)(void))dlsym(h, "value");',
                                         'int (*v)(void) = (int (*)(void))dlsym(h, k == 2 ? "host" : "value");'),
                  "-ldl")
    plain = w.run([prog, a, f"{w.root}/pb/libhost.so"], audit=False)
    audited = w.run([prog, a, f"{w.root}/pb/libhost.so"])
    check(plain.stdout.splitlines()[1].endswith("value 2"), f"glibc: {plain.stdout}")
    check(audited.returncode == 0 and audited.stdout.splitlines()[1].endswith("value 2"),
          f"the module changed which libp.so libhost.so gets: {audited.stdout}")


@each
def a_second_libc_is_refused_at_start_up_too(w):
    other = w.d("other-glibc")
    write(os.path.join(other, "c.c"), "int other_libc(void){return 0;}\n")
    sh(f"gcc -shared -fPIC -nostdlib c.c -o {other}/libc.so.6", cwd=other)
    w.lib("bad", "libv.so.1", "int other_libc(void);\nint value(void){return other_libc();}\n",
          extra=f"-Wl,--no-as-needed {other}/libc.so.6")
    good = w.lib("good", "libv.so.1", value_lib(3))
    prog = w.prog("p", '#include <stdio.h>\nint value(void);\n'
                  'int main(void){ printf("value %d\\n", value()); return 0; }\n', good)
    res = w.run(["ldd", prog], audit=False, LD_LIBRARY_PATH=f"{w.root}/bad:{w.root}/good")
    check(f"{other}/libc.so.6" in res.stdout, f"without the module: {res.stdout}")
    res = w.run([prog], LDPIN_FALLBACK_PATH=f"{w.root}/bad:{w.root}/good", LDPIN_AUDIT_LOG="2")
    check(res.returncode == 0 and res.stdout == "value 3\n"
          and f"needs {other}/libc.so.6, a C library other than the process's" in res.stderr,
          f"{res.returncode}: {res.stdout}{res.stderr}")


@each
def candidates_glibc_would_refuse_and_odd_files_are_skipped_not_opened(w):
    good = w.lib("good", "libw.so.1", value_lib(5))
    bad = w.d("bad")
    data = bytearray(open(good, "rb").read())
    data[7] = 97  # EI_OSABI: ARM
    with open(f"{bad}/libw.so.1", "wb") as f:
        f.write(data)
    fifo = w.d("fifo")
    os.mkfifo(f"{fifo}/libw.so.1")
    # A position-independent executable named like the library: glibc
    # refuses it ("cannot dynamically load position-independent
    # executable") and the dlopen fails.
    pie = w.d("pie")
    write(os.path.join(w.root, "src", "pie.c"), "int value(void){return 6;}\nint main(void){return 0;}\n")
    sh(f"gcc -fPIE -pie {w.root}/src/pie.c -o {pie}/libw.so.1")
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    res = w.run([prog, "libw.so.1"], audit=False, LD_LIBRARY_PATH=f"{bad}:{w.root}/good")
    check(res.returncode != 0 and "OS ABI" in res.stdout, f"glibc: {res.stdout}")
    res = w.run([prog, "libw.so.1"], audit=False, LD_LIBRARY_PATH=f"{pie}:{w.root}/good")
    check(res.returncode != 0 and "position-independent" in res.stdout, f"glibc: {res.stdout}")
    res = w.run([prog, "libw.so.1"], LDPIN_FALLBACK_PATH=f"{fifo}:{bad}:{pie}:{w.root}/good",
                LDPIN_AUDIT_LOG="2")
    check(res.returncode == 0 and "value 5" in res.stdout, f"{res.stdout}{res.stderr}")
    check(f"skip {bad}/libw.so.1 (an OS ABI glibc does not load" in res.stderr
          and f"skip {fifo}/libw.so.1 (is not a regular file)" in res.stderr
          and f"skip {pie}/libw.so.1 (a position-independent executable)" in res.stderr,
          res.stderr)


@each
def the_log_stops_when_the_program_reuses_its_descriptor(w):
    w.lib("fb", "libl.so.1", value_lib(1))
    log, data = os.path.join(w.root, "audit.log"), os.path.join(w.root, "data.txt")
    script = ("import ctypes, os, sys\nos.closerange(3, 4096)\n"
              "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n"
              "os.write(fd, b'precious\\n')\nctypes.CDLL('libl.so.1')\n")
    res = w.run([sys.executable, "-c", script, data], LDPIN_FALLBACK_PATH=f"{w.root}/fb",
                LDPIN_AUDIT_LOG="2", LDPIN_AUDIT_LOG_FILE=log)
    check(res.returncode == 0, f"{res.stdout}{res.stderr}")
    check(open(data).read() == "precious\n", f"the log wrote into the program's file: "
          f"{open(data).read()!r}")
    res = w.run(["/bin/true"], LDPIN_AUDIT_LOG="")
    check(res.stderr == "", f"an empty LDPIN_AUDIT_LOG printed: {res.stderr!r}")


@each
def the_module_needs_nothing_and_exports_only_the_audit_interface(w):
    m = module()
    dyn = sh(["readelf", "-dW", m]).stdout
    check("NEEDED" not in dyn and "RUNPATH" not in dyn and "RPATH" not in dyn,
          f"the module has dependencies: {dyn}")
    undefined = sh(["nm", "-D", "--undefined-only", m]).stdout
    check(undefined == "", f"undefined symbols: {undefined!r}")
    defined = sorted(ln.split()[-1] for ln in sh(["nm", "-D", "--defined-only", m])
                     .stdout.splitlines())
    check(defined == ["la_activity", "la_objclose", "la_objopen", "la_objsearch", "la_version"],
          f"exports: {defined}")
    phdrs = sh(["readelf", "-lW", m]).stdout
    check(" TLS " not in phdrs and "INTERP" not in phdrs, f"program headers: {phdrs}")
    check(".init_array" not in sh(["readelf", "-SW", m]).stdout, "has constructors")


@each
def host_programs_run_silently_with_the_module(w):
    for cmd in (["/bin/ls", "/"], ["/usr/bin/env", "true"], [sys.executable, "-c", "import ssl"],
                ["/bin/sh", "-c", "echo hi | cat"], ["/usr/bin/git", "--version"]):
        if not os.path.exists(cmd[0]):
            continue
        plain = w.run(cmd, audit=False)
        audited = w.run(cmd, LD_AUDIT=os.path.join(libdir(), PER_CLASS),
                        LDPIN_FALLBACK_PATH=f"{w.root}/none")
        check(audited.returncode == plain.returncode and audited.stdout == plain.stdout
              and audited.stderr == plain.stderr,
              f"{cmd}: differs with the module: {audited.returncode} {audited.stderr!r}")


@each
def hostile_settings_and_candidates_do_not_break_the_program(w):
    good = w.d("good")
    w.lib("good", "libh.so.1", value_lib(4))
    hostile = w.d("hostile")
    real = open(f"{good}/libh.so.1", "rb").read()
    unreadable = w.d("unreadable")
    os.chmod(unreadable, 0)
    loop = w.d("loop")
    os.symlink("libh.so.1", f"{loop}/libh.so.1")
    truncated = w.d("truncated")
    with open(f"{truncated}/libh.so.1", "wb") as f:
        f.write(real[:200])
    garbage = w.d("garbage")
    data = bytearray(real)
    data[32:40] = (2**63).to_bytes(8, "little")  # e_phoff far outside the file
    with open(f"{garbage}/libh.so.1", "wb") as f:
        f.write(data)
    directory = w.d("directory", "libh.so.1")
    writable = w.d("writable")
    os.chmod(writable, 0o777)
    shutil.copy(f"{good}/libh.so.1", writable)
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    path = ":".join(["", "relative/dir", "/" + "x" * 5000, unreadable, loop, truncated,
                     garbage, os.path.dirname(directory), writable, hostile, good])
    res = w.run([prog, "libh.so.1"], audit=False)
    check(res.returncode != 0, "found without the module")
    res = w.run([prog, "libh.so.1"], LDPIN_FALLBACK_PATH=path, LDPIN_AUDIT_LOG="2")
    check(res.returncode == 0 and f"-> {good}/libh.so.1 " in res.stdout,
          f"{res.returncode}: {res.stdout}{res.stderr}")
    for said in ("'relative/dir' is not absolute", f"{writable}/libh.so.1 (in a world-writable",
                 f"{truncated}/libh.so.1 (", f"{garbage}/libh.so.1 (", f"{loop}/libh.so.1 (cannot",
                 f"{directory} (is not a regular file"):
        check(said in res.stderr, f"the log does not say {said!r}: {res.stderr}")
    # An unreadable directory, for a user the permissions apply to (root
    # reads through mode 000): as nobody.
    shutil.copy(f"{good}/libh.so.1", unreadable)
    if os.getuid() == 0:
        res = w.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", prog,
                     "libh.so.1"], LDPIN_FALLBACK_PATH=f"{unreadable}:{good}", LDPIN_AUDIT_LOG="2")
        check(res.returncode == 0 and f"-> {good}/libh.so.1 " in res.stdout
              and f"skip {unreadable}/libh.so.1 (cannot be opened (error 13))" in res.stderr,
              f"as nobody: {res.stdout}{res.stderr}")
    # Values of 100 KB (the kernel allows 128 KB): read whole, and what is
    # too long in them is skipped with a warning.
    big = "/" + "y" * 100_000
    for var, said in (("LDPIN_FALLBACK_PATH", "the path is longer than 4095 bytes"),
                      ("LDPIN_OVERRIDE", "is not name=/absolute/path; ignored"),
                      ("LDPIN_AUDIT_LOG_FILE", "LDPIN_AUDIT_LOG_FILE is not an absolute path")):
        res = w.run([prog, "libh.so.1"], LDPIN_AUDIT_LOG="1", **{var: big})
        check(res.returncode != 0 and "error: libh.so.1" in res.stdout and said in res.stderr,
              f"{var}: {res.stdout}{res.stderr[:300]}")
    res = w.run([prog, "libh.so.1"], LDPIN_AUDIT_LOG="1",
                LDPIN_FALLBACK_PATH="/" + "y" * 100_000 + ":" + good)
    check(res.returncode == 0 and f"-> {good}/libh.so.1 " in res.stdout,
          f"a directory after a 100 KB entry: {res.stdout}{res.stderr[:300]}")
    for var, value in (("LDPIN_OVERRIDE", "noequals:=x:a=relative"), ("LDPIN_AUDIT_LOG", "9"),
                       ("LDPIN_AUDIT_POLICY", "lax"), ("LDPIN_AUDIT_LOG_FILE", "relative.log")):
        env = {"LDPIN_FALLBACK_PATH": good, "LDPIN_AUDIT_LOG": "1", var: value}
        res = w.run([prog, "libh.so.1"], **env)
        check(res.returncode == 0 and "ldpin-audit:" in res.stderr,
              f"{var}={value}: {res.stdout}{res.stderr}")
    # An environment of many variables, one of 100 KB that is not ours.
    res = w.run([prog, "libh.so.1"], LDPIN_FALLBACK_PATH=good, BIG="z" * 100_000,
                **{f"V{i}": "v" for i in range(2000)})
    check(res.returncode == 0 and res.stderr == "", f"a large environment: {res.stderr}")


@each
def the_log_goes_to_its_file_and_says_every_call_at_level_3(w):
    w.lib("fb", "libl.so.1", value_lib(1))
    prog = w.prog("dl", DLOPEN_C, "-ldl")
    log = os.path.join(w.root, "audit.log")
    res = w.run([prog, "libl.so.1"], LDPIN_FALLBACK_PATH=f"{w.root}/fb", LDPIN_AUDIT_LOG="3",
                LDPIN_AUDIT_LOG_FILE=log)
    check(res.returncode == 0 and res.stderr == "", f"{res.stdout}{res.stderr}")
    text = open(log).read()
    check("ldpin-audit: objsearch libl.so.1 [orig]" in text and
          f"ldpin-audit: libl.so.1 -> {w.root}/fb/libl.so.1 (fallback)" in text, text)
    check(all(ln.startswith("ldpin-audit: ") for ln in text.splitlines()), text)
    res = w.run([prog, "libl.so.1"], LDPIN_FALLBACK_PATH=f"{w.root}/fb", LDPIN_AUDIT_LOG="0")
    check(res.stderr == "", f"level 0 printed: {res.stderr}")


@each
def the_strict_policy_refuses_another_channel(w):
    # Records come from ldpin-ld: a program and two libraries of channels
    # a and b, linked through the wrapper.
    wrap = w.d("wrap", "bin")
    os.symlink(os.path.abspath(ARGS.ldpin_ld), os.path.join(wrap, "ld"))
    write(os.path.join(w.root, "wrap", "nix-support", "ldpin-linker"), "/usr/bin/ld.bfd\n")
    store = w.d("store")

    def linked(args, channel, linker="/usr/bin/ld.bfd"):
        write(os.path.join(w.root, "wrap", "nix-support", "ldpin-linker"), linker + "\n")
        env = dict(w.env, NIX_STORE=store, NIX_BUILD_TOP=w.d("build"), TMPDIR=w.d("build"),
                   LDPIN_CHANNEL=channel)
        sh(f"gcc -B{wrap}/ {args}", env=env, cwd=w.root)

    write(os.path.join(w.root, "v.c"), value_lib(1))
    write(os.path.join(w.root, "v2.c"), value_lib(2))
    w.d("fba")
    w.d("fbb")
    linked(f"-shared -fPIC v.c -Wl,-soname,libch.so.1 -o {w.root}/fbb/libch.so.1", "b")
    linked(f"-shared -fPIC v2.c -Wl,-soname,libch.so.1 -o {w.root}/fba/libch.so.1", "a")
    write(os.path.join(w.root, "dl.c"), DLOPEN_C)
    linked(f"dl.c -ldl -o {w.root}/dl", "a")
    # mold puts the record (aligned 4) into a PT_NOTE aligned 8.
    linked(f"dl.c -ldl -o {w.root}/dl-mold", "a", "/usr/bin/mold")
    notes = sh(["readelf", "-lW", f"{w.root}/dl-mold"]).stdout
    check(any(" NOTE " in ln and ln.rstrip().endswith("0x8") for ln in notes.splitlines()),
          f"mold's program has no 8-aligned PT_NOTE: {notes}")
    path = f"{w.root}/fbb:{w.root}/fba"
    for prog in (f"{w.root}/dl", f"{w.root}/dl-mold"):
        res = w.run([prog, "libch.so.1"], LDPIN_FALLBACK_PATH=path)
        check("value 1" in res.stdout, f"default policy: {res.stdout}{res.stderr}")
        res = w.run([prog, "libch.so.1"], LDPIN_FALLBACK_PATH=path,
                    LDPIN_AUDIT_POLICY="strict", LDPIN_AUDIT_LOG="2")
        check("value 2" in res.stdout and "channel 'b', not the program's 'a'" in res.stderr,
              f"strict policy, {prog}: {res.stdout}{res.stderr}")


if __name__ == "__main__":
    sys.exit(harness.main(__doc__))
