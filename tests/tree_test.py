#!/usr/bin/env python3
"""`ldpin tree` against glibc's own loader, program by program.

For each program, `ldpin tree --json` predicts, without running anything,
the files the loader maps and the failed probes (file system calls that
fail) its start-up makes. The same program is then started by the kernel
under strace with LD_TRACE_LOADED_OBJECTS=1 (the loader maps everything,
as at any start, and exits before the program's first instruction: its
code never runs) and LD_DEBUG=libs,files. The files loaded are read from
LD_DEBUG's trail ("generating link map" after the "trying file=" that found
it); the failed probes are strace's failed file system calls. Both must be
equal, for a corpus built here (one program per rule of the model), for
every program in /usr/bin, and for every program in the Nix store.

Usage: tree_test.py --ldpin-ld PATH --ldpin PATH [--only NAME]
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

import harness
from harness import ARGS, Failure, check, sh, test, write

LINE = re.compile(r"^\s*\d+:\s?(.*)$")


def traced(prog, env, cwd, loader_env):
    """`prog` started by the kernel under strace in trace mode, with
    `loader_env` (the LD_ variables) given to the loader alone: (result,
    failed file system calls)."""
    with tempfile.NamedTemporaryFile(prefix="ldpin-tree-", delete=False) as t:
        log = t.name
    try:
        cmd = ["strace", "-qq", "-o", log, "-e", "trace=%file",
               "-E", "LD_TRACE_LOADED_OBJECTS=1"]
        cmd += [a for k, v in loader_env.items() for a in ("-E", f"{k}={v}")]
        base = {k: v for k, v in env.items() if not k.startswith("LD_")}
        res = subprocess.run(cmd + [prog], capture_output=True, text=True,
                             env=base, cwd=cwd, timeout=120)
        with open(log) as f:
            calls = [l for l in f if not l.startswith("execve(")]
    finally:
        os.unlink(log)
    return res, sum(1 for l in calls if re.search(r"= -1 E[A-Z]+ ", l))


def loader_trail(prog, env, cwd):
    """(loaded paths in order, names not found, failed probes, stderr)."""
    loader_env = {"LD_DEBUG": "libs,files"}
    if "LD_LIBRARY_PATH" in env:
        loader_env["LD_LIBRARY_PATH"] = env["LD_LIBRARY_PATH"]
    res, failed = traced(prog, env, cwd, loader_env)
    loaded, asked = [], []
    tried = {}
    current = None
    for raw in res.stderr.splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        text = m.group(1).strip()
        if text.startswith("find library="):
            current = text[len("find library="):].split(" [")[0]
            asked.append(current)
            tried[current] = None
        elif text.startswith("trying file=") and current is not None:
            tried[current] = text[len("trying file="):]
        elif text.endswith("generating link map") and text.startswith("file="):
            name = text[len("file="):].split(" [")[0]
            loaded.append(name if "/" in name else tried.get(name))
    missing = [l.split(" => ")[0].strip() for l in res.stdout.splitlines()
               if l.strip().endswith("=> not found")]
    return loaded, missing, failed, res


def predictions(files, env, cwd):
    res = sh([ARGS.ldpin, "tree", "--json", "--"] + files, env=env, cwd=cwd,
             ok=False)
    check(res.returncode in (0, 1), f"ldpin tree: {res.returncode}\n{res.stderr}")
    return {f["path"]: f for f in json.loads(res.stdout)["files"]}


def compare(prog, predicted, env, cwd):
    """A list of differences (empty when the model is exact)."""
    loaded, missing, failed, res = loader_trail(prog, env, cwd)
    if "error" in predicted:
        return [f"ldpin tree could not read it: {predicted['error']}"]
    objects = [o for o in predicted["objects"] if o["how"] not in ("root", "interpreter")]
    model = [o["path"] for o in objects]
    model_missing = [e["name"] for e in predicted["needed"]
                     if e["how"] == "not found" and not e.get("refused")]
    out = []
    # A candidate the loader refuses ends the load with an error naming it
    # (whether glibc had made it a link map first is its own business).
    for e in predicted["needed"]:
        if e.get("refused"):
            if e["refused"] not in res.stderr:
                out.append(f"the loader did not stop at {e['refused']}")
            loaded = [p for p in loaded if p != e["refused"]]
    if sorted(model) != sorted(p for p in loaded if p):
        out.append(f"loads {sorted(model)}, the loader {sorted(p for p in loaded if p)}")
    if sorted(set(model_missing)) != sorted(set(missing)):
        out.append(f"not found {sorted(set(model_missing))}, the loader {sorted(set(missing))}")
    if predicted["failed_probes"] != failed:
        out.append(f"{predicted['failed_probes']} failed probes, strace {failed}")
    return out


def glibc_program(path):
    """Whether `path` is an ELF program whose interpreter is a glibc ld.so,
    which stops before the program runs when LD_TRACE_LOADED_OBJECTS is set.
    A static program (no interpreter) would run: it is never started."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
            return False
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                return False
    except OSError:
        return False
    return os.path.basename(interpreter(path) or "").startswith("ld-linux")


def secure_start(path):
    st = os.stat(path)
    return bool((st.st_mode & stat.S_ISUID and st.st_uid != os.getuid()) or
                (st.st_mode & stat.S_ISGID and st.st_gid != os.getgid()))


def interpreter(path):
    """PT_INTERP of a little-endian ELF file, read here (one `ldpin
    inspect` per file of a large directory would take minutes)."""
    import struct
    with open(path, "rb") as f:
        ident = f.read(64)
        if len(ident) < 64 or ident[5] != 1:
            return None
        wide = ident[4] == 2
        if wide:
            phoff, = struct.unpack_from("<Q", ident, 32)
            phentsize, phnum = struct.unpack_from("<HH", ident, 54)
        else:
            phoff, = struct.unpack_from("<I", ident, 28)
            phentsize, phnum = struct.unpack_from("<HH", ident, 42)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            if wide:
                ptype, _, off, _, _, size = struct.unpack_from("<IIQQQQ", ph)
            else:
                ptype, off, _, _, size = struct.unpack_from("<IIIII", ph)
            if ptype == 3:
                f.seek(off)
                return f.read(size).rstrip(b"\0").decode(errors="replace")
    return None


def sweep(paths, env=None, cwd="/"):
    env = env if env is not None else {k: v for k, v in os.environ.items()
                                       if not k.startswith("LD_")}
    progs = [p for p in paths if glibc_program(p)]
    check(progs, f"no program to compare among {len(paths)} files")
    # A program that starts in secure mode (set-user-ID of another owner,
    # set-group-ID of another group) cannot be traced so: glibc ignores
    # LD_DEBUG then, and in trace mode exits before it maps anything.
    secure = [p for p in progs if secure_start(p)]
    progs = [p for p in progs if p not in secure]
    if secure:
        print(f"  {len(secure)} programs start in secure mode and are not "
              f"traced: {', '.join(secure)}")
    pred = predictions(progs, env, cwd)
    bad = {}
    for p in progs:
        d = compare(p, pred[p], env, cwd)
        if d:
            bad[p] = d
    return progs, pred, bad


def report(name, progs, pred, bad):
    probes = sum(pred[p].get("failed_probes", 0) for p in progs)
    print(f"{name}: {len(progs)} programs, {len(progs) - len(bad)} exact, "
          f"{probes} failed probes predicted in all")
    check(not bad, f"{len(bad)} of {len(progs)} differ:\n" + "\n".join(
        f"  {p}: {'; '.join(d)}" for p, d in list(bad.items())[:20]))


# --- the corpus --------------------------------------------------------------

def cc(args, cwd):
    sh(["gcc", "-fuse-ld=bfd"] + args, cwd=cwd)


def lib(root, path, name, body="", soname=None, extra=()):
    src = os.path.join(root, "src", name + ".c")
    write(src, body or f"int {name}(void) {{ return 1; }}\n")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cc(["-shared", "-fPIC", "-o", path, src,
        "-Wl,-soname," + (soname or os.path.basename(path))] + list(extra), root)


def prog(root, path, calls, extra):
    src = os.path.join(root, "src", os.path.basename(path) + ".c")
    decls = "".join(f"int {c}(void);\n" for c in calls)
    body = " + ".join(f"{c}()" for c in calls) or "0"
    write(src, decls + f"int main(void) {{ return {body} > 100; }}\n")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cc(["-o", path, src, "-Wl,--no-as-needed"] + list(extra), root)


def build_corpus(r):
    """(name, program to start, environment additions, cwd), one per rule."""
    cases = []
    L = lambda *p: os.path.join(r, *p)
    # rpath: DT_RPATH with a missing directory first.
    lib(r, L("rp/lib/libra.so"), "ra")
    prog(r, L("rp/bin/p"), ["ra"], ["-L" + L("rp/lib"), "-lra",
         "-Wl,--disable-new-dtags,-rpath," + L("rp/missing") + ":" + L("rp/lib")])
    cases.append(("rpath", L("rp/bin/p"), {}, r))
    # runpath: DT_RUNPATH with an empty directory first.
    os.makedirs(L("run/empty"))
    lib(r, L("run/lib/librn.so"), "rn")
    prog(r, L("run/bin/p"), ["rn"], ["-L" + L("run/lib"), "-lrn",
         "-Wl,--enable-new-dtags,-rpath," + L("run/empty") + ":" + L("run/lib")])
    cases.append(("runpath", L("run/bin/p"), {}, r))
    # nested RPATH: the executable's RPATH serves its library's own NEEDED.
    lib(r, L("nest/deep/libnb.so"), "nb")
    lib(r, L("nest/lib/libna.so"), "na", "int nb(void); int na(void){return nb();}",
        extra=["-L" + L("nest/deep"), "-lnb"])
    prog(r, L("nest/bin/p"), ["na"], ["-L" + L("nest/lib"), "-L" + L("nest/deep"), "-lna",
         "-Wl,-rpath-link," + L("nest/deep"),
         "-Wl,--disable-new-dtags,-rpath," + L("nest/lib") + ":" + L("nest/deep")])
    cases.append(("nested-rpath", L("nest/bin/p"), {}, r))
    # ... and a library with RUNPATH stops that inheritance for its NEEDED.
    lib(r, L("nest2/deep/libnd.so"), "nd")
    lib(r, L("nest2/lib/libnc.so"), "nc", "int nd(void); int nc(void){return nd();}",
        extra=["-L" + L("nest2/deep"), "-lnd", "-Wl,--enable-new-dtags,-rpath,/nonexistent-ldpin"])
    prog(r, L("nest2/bin/p"), ["nc"], ["-L" + L("nest2/lib"), "-lnc",
         "-Wl,-rpath-link," + L("nest2/deep"),
         "-Wl,--disable-new-dtags,-rpath," + L("nest2/lib") + ":" + L("nest2/deep")])
    cases.append(("runpath-stops-inherited-rpath", L("nest2/bin/p"), {}, r))
    # $ORIGIN of the executable through a symlink: its real directory.
    lib(r, L("orig/real/lib/libor.so"), "or")
    prog(r, L("orig/real/bin/p"), ["or"], ["-L" + L("orig/real/lib"), "-lor",
         "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib"])
    os.makedirs(L("orig/link/bin"))
    os.symlink(L("orig/real/bin/p"), L("orig/link/bin/p"))
    cases.append(("origin-through-symlink", L("orig/link/bin/p"), {}, r))
    # $ORIGIN of a library opened through a symlink to it: the directory
    # of the name it was opened by, not of its real file.
    lib(r, L("olib/lib/dep/libod.so"), "od")
    lib(r, L("olib/real/liboc.so"), "oc", "int od(void); int oc(void){return od();}",
        extra=["-L" + L("olib/lib/dep"), "-lod", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/dep"])
    os.symlink("../real/liboc.so", L("olib/lib/liboc.so"))
    prog(r, L("olib/bin/p"), ["oc"], ["-L" + L("olib/lib"), "-loc",
         "-Wl,-rpath-link," + L("olib/lib/dep"),
         "-Wl,--enable-new-dtags,-rpath," + L("olib/lib")])
    cases.append(("library-origin-through-symlink", L("olib/bin/p"), {}, r))
    # LD_LIBRARY_PATH, with a missing entry, an empty one and ';'.
    lib(r, L("llp/lib/libll.so"), "ll")
    prog(r, L("llp/bin/p"), ["ll"], ["-L" + L("llp/lib"), "-lll"])
    cases.append(("ld-library-path", L("llp/bin/p"),
                  {"LD_LIBRARY_PATH": L("llp/none") + ";" + ":" + L("llp/lib")}, r))
    # missing library.
    lib(r, L("miss/lib/libgone.so"), "gone")
    prog(r, L("miss/bin/p"), ["gone"], ["-L" + L("miss/lib"), "-lgone",
         "-Wl,--enable-new-dtags,-rpath," + L("miss/elsewhere")])
    cases.append(("missing-library", L("miss/bin/p"), {}, r))
    # absolute NEEDED (a library without a soname, linked by its path).
    src = L("src", "abs.c")
    write(src, "int ab(void){return 1;}\n")
    os.makedirs(L("abs/lib"))
    cc(["-shared", "-fPIC", "-o", L("abs/lib/libab.so"), src], r)
    prog(r, L("abs/bin/p"), ["ab"], [L("abs/lib/libab.so"),
         "-Wl,--enable-new-dtags,-rpath," + L("abs/none")])
    cases.append(("absolute-needed", L("abs/bin/p"), {}, r))
    # a bare NEEDED that an object loaded before answers to by its soname:
    # the program names libs1 by its path (linked against a copy without a
    # soname), libs2 names it libs1.so.1, which no directory provides.
    write(L("src/s1.c"), "int s1(void){return 1;}\n")
    os.makedirs(L("sn/lib"))
    cc(["-shared", "-fPIC", "-o", L("sn/lib/libs1.so"), L("src/s1.c")], r)
    lib(r, L("sn/lib2/libs1.so.1"), "s1")
    lib(r, L("sn/lib2/libs2.so"), "s2", "int s1(void); int s2(void){return s1();}",
        extra=[L("sn/lib2/libs1.so.1")])
    prog(r, L("sn/bin/p"), ["s1", "s2"], [L("sn/lib/libs1.so"), L("sn/lib2/libs2.so"),
         "-Wl,--enable-new-dtags,-rpath," + L("sn/lib2")])
    lib(r, L("sn/lib/libs1.so"), "s1", soname="libs1.so.1")
    os.unlink(L("sn/lib2/libs1.so.1"))
    cases.append(("loaded-by-soname", L("sn/bin/p"), {}, r))
    # -z nodefaultlib (DF_1_NODEFLIB) on a library: its
    # NEEDED are not looked for in the default directories, nor taken from
    # a cache entry in one.
    z = "/lib/x86_64-linux-gnu/libz.so.1"
    lib(r, L("ndl/lib/libnl.so"), "nl",
        "const char *zlibVersion(void); int nl(void){return zlibVersion()[0];}",
        extra=[z, "-Wl,-z,nodefaultlib"])
    prog(r, L("ndl/bin/p"), ["nl"], ["-L" + L("ndl/lib"), "-lnl",
         "-Wl,--enable-new-dtags,-rpath," + L("ndl/lib")])
    cases.append(("nodeflib", L("ndl/bin/p"), {}, r))
    # hardware capability subdirectories: glibc-hwcaps/x86-64-v2 before the
    # directory itself, and a legacy tls/ one.
    lib(r, L("hw/lib/libhw.so"), "hw")
    lib(r, L("hw/lib/glibc-hwcaps/x86-64-v2/libhw.so"), "hw")
    lib(r, L("hw/lib/tls/libht.so"), "ht")
    lib(r, L("hw/lib/libht.so"), "ht")
    prog(r, L("hw/bin/p"), ["hw", "ht"], ["-L" + L("hw/lib"), "-lhw", "-lht",
         "-Wl,--enable-new-dtags,-rpath," + L("hw/lib")])
    cases.append(("hwcaps-subdirectories", L("hw/bin/p"), {}, r))
    # a library of the other class first: skipped, the search goes on.
    write(L("src/w32.c"), "int wc(void){return 1;}\n")
    os.makedirs(L("cls/w32"))
    sh(["gcc", "-m32", "-fPIC", "-c", "-o", L("src/w32.o"), L("src/w32.c")])
    sh(["ld.bfd", "-m", "elf_i386", "-shared", "-o", L("cls/w32/libwc.so"), L("src/w32.o")])
    lib(r, L("cls/lib/libwc.so"), "wc")
    prog(r, L("cls/bin/p"), ["wc"], ["-L" + L("cls/lib"), "-lwc",
         "-Wl,--enable-new-dtags,-rpath," + L("cls/w32") + ":" + L("cls/lib")])
    cases.append(("other-class-skipped", L("cls/bin/p"), {}, r))
    # a 32-bit program (its own ld.so, directories, cache entries and legacy
    # subdirectories), with a 64-bit library of the same name first.
    os.makedirs(L("m32/lib64"))
    lib(r, L("m32/lib64/libwd.so"), "wd")
    write(L("src/wd.c"), "int wd(void){return 1;}\n")
    os.makedirs(L("m32/lib32"))
    sh(["gcc", "-m32", "-shared", "-fPIC", "-o", L("m32/lib32/libwd.so"), L("src/wd.c")])
    write(L("src/p32.c"), "int wd(void);\nint main(void){return wd() > 1;}\n")
    os.makedirs(L("m32/bin"))
    sh(["gcc", "-m32", "-o", L("m32/bin/p"), L("src/p32.c"), "-L" + L("m32/lib32"), "-lwd",
        "-Wl,--enable-new-dtags,-rpath," + L("m32/lib64") + ":" + L("m32/lib32") + ":$ORIGIN/../$LIB"])
    cases.append(("32-bit-program", L("m32/bin/p"), {}, r))
    # an open that fails otherwise than ENOENT ends its list: a symbolic
    # link loop (ELOOP), and a relative entry that is a file (ENOTDIR).
    os.makedirs(L("loop/d1"))
    lib(r, L("loop/d2/liblp.so"), "lp")
    os.symlink("liblp.so", L("loop/d1/liblp.so"))
    write(L("loop/cwd/file"), "not a directory\n")
    lib(r, L("loop/d2/liblq.so"), "lq")
    prog(r, L("loop/bin/p"), ["lp"], ["-L" + L("loop/d2"), "-llp",
         "-Wl,--enable-new-dtags,-rpath," + L("loop/d1") + ":" + L("loop/d2")])
    cases.append(("symlink-loop-ends-the-list", L("loop/bin/p"), {}, r))
    prog(r, L("loop/bin/q"), ["lq"], ["-L" + L("loop/d2"), "-llq",
         "-Wl,--enable-new-dtags,-rpath,file:" + L("loop/d2")])
    cases.append(("file-in-the-list-ends-it", L("loop/bin/q"), {}, L("loop/cwd")))
    # $ORIGIN of a library opened by a relative name: the current directory
    # in front of it.
    lib(r, L("rel/run/dep/librd.so"), "rd")
    lib(r, L("rel/run/librr.so"), "rr", "int rd(void); int rr(void){return rd();}",
        soname="./librr.so",
        extra=["-Wl,--no-as-needed", "-L" + L("rel/run/dep"), "-lrd",
               "-Wl,--enable-new-dtags,-rpath,$ORIGIN/dep"])
    prog(r, L("rel/bin/p"), ["rr"], [L("rel/run/librr.so"), "-Wl,-rpath-link," + L("rel/run/dep")])
    cases.append(("relative-library-origin", L("rel/bin/p"), {}, L("rel/run")))
    # DT_FILTER and DT_AUXILIARY are loaded as NEEDED are (an auxiliary
    # library may be missing).
    lib(r, L("flt/lib/libfi.so"), "fi")
    lib(r, L("flt/lib/libfl.so"), "fl", extra=["-Wl,--filter=libfi.so",
        "-Wl,--auxiliary=libmissingaux.so", "-Wl,--enable-new-dtags,-rpath," + L("flt/lib")])
    prog(r, L("flt/bin/p"), ["fl"], ["-L" + L("flt/lib"), "-lfl",
         "-Wl,--enable-new-dtags,-rpath," + L("flt/lib")])
    cases.append(("filter-and-auxiliary", L("flt/bin/p"), {}, r))
    # a dynamic string token in a name without a slash is expanded.
    lib(r, L("dst/lib/libpl-x86_64.so"), "pl", soname="libpl-$PLATFORM.so")
    prog(r, L("dst/bin/p"), ["pl"], [L("dst/lib/libpl-x86_64.so"),
         "-Wl,--enable-new-dtags,-rpath," + L("dst/lib")])
    cases.append(("token-in-a-bare-name", L("dst/bin/p"), {}, r))
    # candidates glibc refuses end the load: a position-independent
    # executable, and an OS ABI it does not load.
    for kind in ("pie", "osabi"):
        lib(r, L(f"bad-{kind}/good/libbd.so"), "bd")
        os.makedirs(L(f"bad-{kind}/bad"))
        bad = L(f"bad-{kind}/bad/libbd.so")
        if kind == "pie":
            write(L("src/piebd.c"), "int bd(void){return 1;}\nint main(void){return 0;}\n")
            cc(["-fPIE", "-pie", "-o", bad, L("src/piebd.c")], r)
        else:
            shutil.copy(L(f"bad-{kind}/good/libbd.so"), bad)
            with open(bad, "r+b") as f:
                f.seek(7)
                f.write(b"\x09")
        prog(r, L(f"bad-{kind}/bin/p"), ["bd"], ["-L" + L(f"bad-{kind}/good"), "-lbd",
             "-Wl,--enable-new-dtags,-rpath," + L(f"bad-{kind}/bad") + ":" + L(f"bad-{kind}/good")])
        cases.append((f"refused-{kind}-ends-the-load", L(f"bad-{kind}/bin/p"), {}, r))
    # the dynamic linker named by another path is mapped again (glibc keeps
    # no file identity for its own link map).
    lib(r, L("ldso/lib/libls.so"), "ls", soname="/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    prog(r, L("ldso/bin/p"), ["ls"], [L("ldso/lib/libls.so")])
    cases.append(("dynamic-linker-by-another-path", L("ldso/bin/p"), {}, r))
    # $LIB, $PLATFORM, an empty entry (the current directory) and a relative
    # one; run from a directory that has the library.
    lib(r, L("tok/cwd/libtk.so"), "tk")
    lib(r, L("tok/cwd/rel/libtr.so"), "tr")
    prog(r, L("tok/bin/p"), ["tk", "tr"], ["-L" + L("tok/cwd"), "-L" + L("tok/cwd/rel"),
         "-ltk", "-ltr",
         "-Wl,--enable-new-dtags,-rpath," + L("tok/$LIB") + ":" + L("tok/$PLATFORM/x") + "::rel"])
    cases.append(("tokens-empty-and-relative", L("tok/bin/p"), {}, L("tok/cwd")))
    # DT_RPATH of a library for its own NEEDED, under an executable with
    # DT_RUNPATH.
    lib(r, L("mix/dep/libmd.so"), "md")
    lib(r, L("mix/lib/libmc.so"), "mc", "int md(void); int mc(void){return md();}",
        extra=["-L" + L("mix/dep"), "-lmd", "-Wl,--disable-new-dtags,-rpath," + L("mix/dep")])
    prog(r, L("mix/bin/p"), ["mc"], ["-L" + L("mix/lib"), "-lmc",
         "-Wl,-rpath-link," + L("mix/dep"),
         "-Wl,--enable-new-dtags,-rpath," + L("mix/lib")])
    cases.append(("library-rpath-under-runpath", L("mix/bin/p"), {}, r))
    return cases


@test
def every_rule_of_the_corpus_matches_the_loader():
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        cases = build_corpus(r)
        bad = []
        for name, p, extra, cwd in cases:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
            env.update(extra)
            pred = predictions([p], env, cwd)[p]
            d = compare(p, pred, env, cwd)
            print(f"  {name}: {pred['failed_probes']} failed probes, "
                  f"{len(pred['objects'])} objects" + ("" if not d else " DIFFERS"))
            if d:
                bad.append(f"{name}: {'; '.join(d)}")
            # Each case shows its rule, so that a model that ignored it
            # could not pass by luck.
            hows = {e["name"]: e["how"] for e in pred["needed"]}
            paths = {e["name"]: pred["objects"][e["to"]]["path"]
                     for e in pred["needed"] if e["to"] is not None}
            want = {
                "rpath": ("libra.so", "rpath"),
                "runpath": ("librn.so", "runpath"),
                "nested-rpath": ("libnb.so", "rpath"),
                "runpath-stops-inherited-rpath": ("libnd.so", "not found"),
                "origin-through-symlink": ("libor.so", "runpath"),
                "library-origin-through-symlink": ("libod.so", "runpath"),
                "ld-library-path": ("libll.so", "LD_LIBRARY_PATH"),
                "missing-library": ("libgone.so", "not found"),
                "absolute-needed": (os.path.join(r, "abs/lib/libab.so"), "path"),
                "loaded-by-soname": ("libs1.so.1", "loaded"),
                "nodeflib": ("libz.so.1", "not found"),
                "hwcaps-subdirectories": ("libhw.so", "runpath"),
                "other-class-skipped": ("libwc.so", "runpath"),
                "32-bit-program": ("libwd.so", "runpath"),
                "tokens-empty-and-relative": ("libtk.so", "runpath"),
                "library-rpath-under-runpath": ("libmd.so", "rpath"),
                "symlink-loop-ends-the-list": ("liblp.so", "not found"),
                "file-in-the-list-ends-it": ("liblq.so", "not found"),
                "relative-library-origin": ("librd.so", "runpath"),
                "filter-and-auxiliary": ("libfi.so", "runpath"),
                "token-in-a-bare-name": ("libpl-$PLATFORM.so", "runpath"),
                "refused-pie-ends-the-load": ("libbd.so", "not found"),
                "refused-osabi-ends-the-load": ("libbd.so", "not found"),
                "dynamic-linker-by-another-path": (
                    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "path"),
            }[name]
            check(hows.get(want[0]) == want[1],
                  f"{name}: {want[0]} is {hows.get(want[0])}, not {want[1]}")
            if name == "hwcaps-subdirectories":
                check("/glibc-hwcaps/x86-64-v2/" in paths["libhw.so"] and
                      "/tls/" in paths["libht.so"], f"{name}: {paths}")
            if name == "library-origin-through-symlink":
                check(paths["libod.so"] == os.path.join(r, "olib/lib/dep/libod.so"),
                      f"{name}: {paths['libod.so']}")
            if name == "origin-through-symlink":
                check("/orig/real/" in paths["libor.so"], f"{name}: {paths}")
            if name == "32-bit-program":
                check(paths["libwd.so"].endswith("/m32/lib32/libwd.so") and
                      paths["libc.so.6"] == "/lib32/libc.so.6", f"{name}: {paths}")
            if name == "other-class-skipped":
                check(paths["libwc.so"].endswith("/cls/lib/libwc.so"), f"{name}: {paths}")
        check(not bad, "\n".join(bad))


# --- the audit module ---------------------------------------------------------

def audit_module():
    """libldpin-audit.so of the build (build/bin/ldpin beside build/lib)."""
    return os.path.join(os.path.dirname(os.path.dirname(
        os.path.realpath(ARGS.ldpin))), "lib", "libldpin-audit.so")


def audit_trail(prog, env, cwd, interp):
    """Under the real module, in trace mode: (paths loaded, names not found,
    failed probes, result). The paths are the trace's own list (the names
    the module gives what it found); glibc's LD_DEBUG names a fallback
    library after the default directory it asked about."""
    res, failed = traced(prog, env, cwd,
                         {k: v for k, v in env.items() if k.startswith("LD_")})
    loaded, missing = [], []
    for line in res.stdout.splitlines():
        line = line.strip()
        if line.endswith("=> not found"):
            missing.append(line.split(" => ")[0])
            continue
        path = line.split(" => ", 1)[1] if " => " in line else line
        path = path.rsplit(" (0x", 1)[0]
        if path.startswith("/") and path != interp:
            loaded.append(path)
    return loaded, missing, failed, res


def audit_compare(prog, predicted, env, cwd):
    loaded, missing, failed, res = audit_trail(prog, env, cwd, predicted["interpreter"])
    objects = [o for o in predicted["objects"] if o["how"] not in ("root", "interpreter")]
    model = sorted(o["path"] for o in objects)
    model_missing = sorted({e["name"] for e in predicted["needed"]
                            if e["how"] == "not found" and not e.get("refused")})
    out = []
    # A candidate glibc refuses ends the load with an error naming it.
    refused = [e["refused"] for e in predicted["needed"] if e.get("refused")]
    for path in refused:
        if path not in res.stderr:
            out.append(f"the loader did not stop at {path}")
    if model != sorted(loaded):
        out.append(f"loads {model}, the loader {sorted(loaded)}")
    if model_missing != sorted(set(missing)):
        out.append(f"not found {model_missing}, the loader {sorted(set(missing))}")
    if predicted["failed_probes"] != failed:
        out.append(f"{predicted['failed_probes']} failed probes, strace {failed}")
    # glibc's word for a module it could not load, expected when the
    # prediction says so.
    unloaded = [m for m in (predicted["audit"] or {}).get("modules", []) if not m["loaded"]]
    if refused:
        pass
    elif res.returncode not in (0, 1) or ("ERROR" in res.stderr) != bool(unloaded):
        out.append(f"the program under the module: {res.returncode} {res.stderr}")
    return out


def build_audit_corpus(r):
    """(name, program, environment additions, [(NEEDED, how, path or None,
    skipped path or None)]): one case per rule of the module."""
    cases = []
    L = lambda *p: os.path.join(r, *p)
    V = "int {0}(void) {{ return 1; }}\n"
    # The fallback path, with a missing, an empty, a relative and a
    # slash-ended entry; two libraries found there, one search each.
    lib(r, L("fb/libfa.so"), "fa")
    lib(r, L("fb/libfb.so"), "fb")
    prog(r, L("bin/fallback"), ["fa", "fb"], ["-L" + L("fb"), "-lfa", "-lfb"])
    fallback = f"{L('none')}::rel/dir:{L('fb')}/"
    cases.append(("fallback", L("bin/fallback"), {"LDPIN_FALLBACK_PATH": fallback},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None),
                   ("libfb.so", "fallback", L("fb/libfb.so"), None)]))
    # Candidates the module passes over: another class, a newer glibc's
    # symbol version, a second C library, a world-writable directory.
    os.makedirs(L("fb32"))
    write(L("src/fc.c"), V.format("fc"))
    sh(["gcc", "-m32", "-shared", "-fPIC", "-o", L("fb32/libfc.so"), L("src/fc.c")])
    lib(r, L("fb/libfc.so"), "fc")
    os.makedirs(L("stub"))
    write(L("stub/libc.c"), "int newfn(void){return 0;}\n")
    write(L("stub/libc.map"), "GLIBC_2.99 { global: newfn; local: *; };\n")
    sh("gcc -shared -fPIC -nostdlib libc.c -Wl,--version-script=libc.map "
       "-Wl,-soname,libc.so.6 -o libc.so.6", cwd=L("stub"))
    lib(r, L("fbv/libfv.so"), "fv", "int newfn(void); int fv(void){return newfn();}\n",
        extra=["-nostdlib", L("stub/libc.so.6")])
    lib(r, L("fb/libfv.so"), "fv")
    os.makedirs(L("other-glibc"))
    write(L("other-glibc/c.c"), "int other_libc(void){return 0;}\n")
    sh(["gcc", "-shared", "-fPIC", "-nostdlib", "-o", L("other-glibc/libc.so.6"),
        L("other-glibc/c.c")])
    lib(r, L("fbo/libfo.so"), "fo", "int other_libc(void); int fo(void){return other_libc();}\n",
        extra=["-Wl,--no-as-needed", L("other-glibc/libc.so.6")])
    lib(r, L("fb/libfo.so"), "fo")
    lib(r, L("fbw/libfw.so"), "fw")
    os.chmod(L("fbw"), 0o777)
    lib(r, L("fb/libfw.so"), "fw")
    os.makedirs(L("fbp"))
    write(L("src/fp-pie.c"), "int fp(void){return 1;}\nint main(void){return 0;}\n")
    sh(["gcc", "-fPIE", "-pie", "-o", L("fbp/libfp.so"), L("src/fp-pie.c")])
    lib(r, L("fb/libfp.so"), "fp")
    prog(r, L("bin/skips"), ["fc", "fv", "fo", "fw", "fp"],
         ["-L" + L("fb"), "-lfc", "-lfv", "-lfo", "-lfw", "-lfp"])
    judged = ":".join(L(d) for d in ("fb32", "fbv", "fbo", "fbw", "fbp", "fb"))
    cases.append(("candidates-judged", L("bin/skips"), {"LDPIN_FALLBACK_PATH": judged},
                  [("libfc.so", "fallback", L("fb/libfc.so"), L("fb32/libfc.so")),
                   ("libfv.so", "fallback", L("fb/libfv.so"), L("fbv/libfv.so")),
                   ("libfo.so", "fallback", L("fb/libfo.so"), L("fbo/libfo.so")),
                   ("libfw.so", "fallback", L("fb/libfw.so"), L("fbw/libfw.so")),
                   ("libfp.so", "fallback", L("fb/libfp.so"), L("fbp/libfp.so"))]))
    # The strict policy: a library of another channel (records written by
    # ldpin-ld) is passed over for one of the program's.
    wrap = L("wrap/bin")
    os.makedirs(wrap)
    os.symlink(os.path.abspath(ARGS.ldpin_ld), os.path.join(wrap, "ld"))
    write(L("wrap/nix-support/ldpin-linker"), "/usr/bin/ld.bfd\n")
    os.makedirs(L("store"))
    os.makedirs(L("build"))

    def linked(args, channel):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "LDPIN_"))}
        e.update(NIX_STORE=L("store"), NIX_BUILD_TOP=L("build"), TMPDIR=L("build"),
                 LDPIN_CHANNEL=channel)
        sh(f"gcc -B{wrap}/ {args}", env=e, cwd=r)

    write(L("src/ch.c"), V.format("ch"))
    os.makedirs(L("fbb"))
    os.makedirs(L("fba"))
    linked(f"-shared -fPIC src/ch.c -Wl,-soname,libch.so.1 -o {L('fbb/libch.so.1')}", "b")
    linked(f"-shared -fPIC src/ch.c -Wl,-soname,libch.so.1 -o {L('fba/libch.so.1')}", "a")
    lib(r, L("mid/libmid.so"), "mid", "int ch(void); int mid(void){return ch();}\n",
        extra=["-L" + L("fba"), "-l:libch.so.1"])
    write(L("src/strict.c"), "int mid(void); int main(void){return mid() > 5;}\n")
    linked(f"src/strict.c -L{L('mid')} -lmid -Wl,-rpath,{L('mid')} "
           f"-Wl,-rpath-link,{L('fba')} -o {L('bin/strict')}", "a")
    cases.append(("strict-channel", L("bin/strict"),
                  {"LDPIN_FALLBACK_PATH": L("fbb") + ":" + L("fba"), "LDPIN_AUDIT_POLICY": "strict"},
                  [("libch.so.1", "fallback", L("fba/libch.so.1"), L("fbb/libch.so.1"))]))
    # A record the module cannot read (a format version it does not know):
    # the candidate is passed over, whatever the policy.
    os.makedirs(L("fbr"))
    with open(L("fba/libch.so.1"), "rb") as f:
        data = bytearray(f.read())
    at = data.find(b"ldpin\0\0\0") + 8
    check(at > 8, "no ldpin note in the wrapper's library")
    data[at:at + 4] = (99).to_bytes(4, "little")
    with open(L("fbr/libch.so.1"), "wb") as f:
        f.write(data)
    cases.append(("malformed-record", L("bin/strict"),
                  {"LDPIN_FALLBACK_PATH": L("fbr") + ":" + L("fba")},
                  [("libch.so.1", "fallback", L("fba/libch.so.1"), L("fbr/libch.so.1"))]))
    # Overrides: of a bare name (found by RUNPATH otherwise) and of an
    # absolute NEEDED; refused ones (missing, another class) leave the
    # search as it was; a forced one is not judged.
    lib(r, L("ova/libov.so"), "ov")
    lib(r, L("ovb/libov.so"), "ov")
    lib(r, L("ova/libow.so"), "ow")
    os.makedirs(L("ow32"))
    write(L("src/ow.c"), V.format("ow"))
    sh(["gcc", "-m32", "-shared", "-fPIC", "-o", L("ow32/libow.so"), L("src/ow.c")])
    lib(r, L("abs/libab.so"), "ab", soname=L("abs/libab.so"))
    lib(r, L("abs2/libab.so"), "ab", soname=L("abs/libab.so"))
    prog(r, L("bin/override"), ["ov", "ow", "ab"],
         ["-L" + L("ova"), "-lov", "-low", L("abs/libab.so"),
          "-Wl,--enable-new-dtags,-rpath," + L("ova")])
    cases.append(("override", L("bin/override"),
                  {"LDPIN_OVERRIDE": f"libov.so={L('ovb/libov.so')}:"
                                     f"{L('abs/libab.so')}={L('abs2/libab.so')}"},
                  [("libov.so", "override", L("ovb/libov.so"), None),
                   ("libow.so", "runpath", L("ova/libow.so"), None),
                   (L("abs/libab.so"), "override", L("abs2/libab.so"), None)]))
    cases.append(("override-refused", L("bin/override"),
                  {"LDPIN_OVERRIDE": f"libov.so={L('gone/libov.so')}:"
                                     f"libow.so={L('ow32/libow.so')}:bad-entry"},
                  [("libov.so", "runpath", L("ova/libov.so"), L("gone/libov.so")),
                   ("libow.so", "runpath", L("ova/libow.so"), L("ow32/libow.so"))]))
    cases.append(("override-forced", L("bin/override"),
                  {"LDPIN_OVERRIDE": f"libov.so=!{L('ovb/libov.so')}"},
                  [("libov.so", "override", L("ovb/libov.so"), None)]))
    # ... to a directory (a name ending in '/'): glibc opens it and stops.
    cases.append(("override-forced-to-a-directory", L("bin/override"),
                  {"LDPIN_OVERRIDE": f"libov.so=!{L('ovb')}/"},
                  [("libov.so", "not found", None, None)]))
    # A bare name that an object loaded under an absolute soname answers
    # to: the module gives glibc that object.
    lib(r, L("asn/libsa.so.1"), "sa", soname=L("asn/libsa.so.1"))
    lib(r, L("asn-link/libsa.so.1"), "sa")
    lib(r, L("asn/libsb.so"), "sb", "int sa(void); int sb(void){return sa();}\n",
        extra=[L("asn-link/libsa.so.1")])
    prog(r, L("bin/loaded"), ["sa", "sb"],
         [L("asn/libsa.so.1"), "-L" + L("asn"), "-lsb", "-Wl,-rpath-link," + L("asn-link"),
          "-Wl,--enable-new-dtags,-rpath," + L("asn")])
    cases.append(("loaded-by-absolute-soname", L("bin/loaded"), {},
                  [("libsa.so.1", "loaded", L("asn/libsa.so.1"), None)]))
    # The C library's own objects come from beside the dynamic linker: a
    # libnss_ library no directory has but the linker's own (a copy of the
    # host's ld.so in a store of the test's, which tree may ask).
    glibc = L("nix/store/00000000000000000000000000000000-glibc/lib")
    os.makedirs(glibc)
    shutil.copy2("/lib64/ld-linux-x86-64.so.2", os.path.join(glibc, "ld-linux-x86-64.so.2"))
    lib(r, os.path.join(glibc, "libnss_ldpintest.so.2"), "nt")
    lib(r, L("nss-link/libnss_ldpintest.so.2"), "nt")
    prog(r, L("bin/own"), ["nt"], ["-L" + L("nss-link"), "-l:libnss_ldpintest.so.2",
         "-Wl,--dynamic-linker=" + os.path.join(glibc, "ld-linux-x86-64.so.2")])
    cases.append(("own-glibc", L("bin/own"),
                  {"LDPIN_FALLBACK_PATH": L("fb"), "NIX_STORE": L("nix/store")},
                  [("libnss_ldpintest.so.2", "own glibc",
                    os.path.join(glibc, "libnss_ldpintest.so.2"), None)]))
    # Not in the fallback path either; and -z nodeflib, for which glibc
    # never reaches the default directories, so the module is not asked.
    lib(r, L("gone-link/libfgone.so"), "fgone")
    prog(r, L("bin/missing"), ["fa", "fgone"],
         ["-L" + L("fb"), "-lfa", "-L" + L("gone-link"), "-lfgone"])
    cases.append(("not-in-the-fallback", L("bin/missing"),
                  {"LDPIN_FALLBACK_PATH": L("none") + ":" + L("fb")},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None),
                   ("libfgone.so", "not found", None, None)]))
    # The module's log file, in a directory that does not exist (its open
    # fails); a module that cannot be opened, without which glibc starts.
    cases.append(("log-file-not-created", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("fb"), "LDPIN_AUDIT_LOG": "2",
                   "LDPIN_AUDIT_LOG_FILE": L("no-such-dir/log")},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    cases.append(("module-cannot-be-opened", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("fb"),
                   "LD_AUDIT": L("no-such-dir/libldpin-audit.so")},
                  [("libfa.so", "not found", None, None)]))
    # The audit modules glibc loads, in order: one that is missing and one
    # of someone else's (both cost what glibc does for them) before ours;
    # ours twice (LD_AUDIT and the program's DT_AUDIT), each instance
    # searching, and the second overriding the first one's answer; $ORIGIN
    # in the name; a bare name, searched; one of another class, ignored.
    write(L("src/other-audit.c"), "unsigned la_version(unsigned v) { return v; }\n")
    os.makedirs(L("other-audit"))
    sh(["gcc", "-shared", "-fPIC", "-nostdlib", "-o", L("other-audit/libother-audit.so"),
        L("src/other-audit.c")])
    cases.append(("modules-before-ours", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("none") + ":" + L("fb"),
                   "LD_AUDIT": f"{L('none/libx-audit.so')}:{L('other-audit/libother-audit.so')}:"
                               f"{audit_module()}"},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    prog(r, L("bin/dt-audit"), ["fa"], ["-L" + L("fb"), "-lfa",
                                        "-Wl,--audit=" + audit_module()])
    cases.append(("module-twice", L("bin/dt-audit"),
                  {"LDPIN_FALLBACK_PATH": L("none") + ":" + L("fb")},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    lib(r, L("ova/libfb.so"), "fb")
    lib(r, L("ovb/libfb.so"), "fb")
    cases.append(("module-twice-overrides-in-turn", L("bin/dt-audit"),
                  {"LDPIN_OVERRIDE": f"libfa.so={L('ova/libfb.so')}:libfb.so={L('ovb/libfb.so')}"},
                  [("libfa.so", "override", L("ovb/libfb.so"), None)]))
    os.makedirs(L("lib"))
    shutil.copy2(audit_module(), L("lib/libldpin-audit.so"))
    cases.append(("origin-in-the-module-name", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("fb"),
                   "LD_AUDIT": "$ORIGIN/../lib/libldpin-audit.so"},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    cases.append(("bare-module-name", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("fb"), "LD_AUDIT": "libldpin-audit.so",
                   "LD_LIBRARY_PATH": L("none") + ":" + os.path.dirname(audit_module())},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    # A later module's bare name is searched with the earlier instances
    # asked (here found through the first one's fallback path); a bare name
    # that is only a token is searched as it is written.
    cases.append(("later-module-found-through-the-first", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("other-audit") + ":" + L("fb"),
                   "LD_AUDIT": f"{audit_module()}:libother-audit.so"},
                  [("libfa.so", "fallback", L("fb/libfa.so"), None)]))
    cases.append(("bare-token-module-name", L("bin/fallback"),
                  {"LDPIN_FALLBACK_PATH": L("fb"), "LD_AUDIT": "$ORIGIN"},
                  [("libfa.so", "not found", None, None)]))
    other_class = os.path.join(os.path.dirname(audit_module()), "ldpin-audit/i686/libldpin-audit.so")
    if os.path.exists(other_class):
        cases.append(("module-of-another-class", L("bin/fallback"),
                      {"LDPIN_FALLBACK_PATH": L("fb"), "LD_AUDIT": other_class},
                      [("libfa.so", "not found", None, None)]))
    prog(r, L("bin/nodeflib"), ["fa"], ["-L" + L("fb"), "-lfa", "-Wl,-z,nodefaultlib"])
    cases.append(("nodeflib-gets-no-fallback", L("bin/nodeflib"),
                  {"LDPIN_FALLBACK_PATH": L("fb")},
                  [("libfa.so", "not found", None, None)]))
    return cases


@test
def every_rule_of_the_audit_module_matches_the_module():
    """`ldpin tree` with LD_AUDIT naming libldpin-audit.so (or --audit)
    against the module itself, in trace mode: the files loaded, what is not
    found and the failed probes, glibc's and the module's own; each case
    also shows its rule (how each library was found, what was skipped),
    and that without the module it is not so."""
    check(os.path.exists(audit_module()), f"no module at {audit_module()}")
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        os.chmod(r, 0o755)
        bad = []
        for name, p, extra, want in build_audit_corpus(r):
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LD_", "LDPIN_"))}
            env["LD_AUDIT"] = audit_module()
            env.update(extra)
            pred = predictions([p], env, r)[p]
            if audit_module() in env["LD_AUDIT"].split(":"):
                check(pred["audit"] and pred["audit"]["module"] == audit_module(),
                      f"{name}: LD_AUDIT not taken: {pred['audit']}")
            d = audit_compare(p, pred, env, r)
            print(f"  {name}: {pred['failed_probes']} failed probes, "
                  f"{len(pred['objects'])} objects" + ("" if not d else " DIFFERS"))
            if d:
                bad.append(f"{name}: {'; '.join(d)}")
            edges = {e["name"]: e for e in pred["needed"]}
            for needed, how, path, skipped in want:
                e = edges.get(needed)
                got = e and (e["how"], pred["objects"][e["to"]]["path"] if e["to"] is not None else None)
                if got != (how, path):
                    bad.append(f"{name}: {needed} is {got}, not {(how, path)}")
                if skipped and skipped not in [k["path"] for k in e.get("audit_skipped", [])]:
                    bad.append(f"{name}: {needed} does not say it skipped {skipped}: {e}")
            # The same start-up without the module is another one (the
            # program's own DT_AUDIT loads it whatever LD_AUDIT says).
            if "dt-audit" in p:
                continue
            plain = {k: v for k, v in env.items() if k != "LD_AUDIT"}
            without = predictions([p], plain, r)[p]
            check(without["audit"] is None, f"{name}: audit without LD_AUDIT")
            same = [(e["how"], e["to"]) for e in without["needed"]] == \
                [(e["how"], e["to"]) for e in pred["needed"]] and \
                without["failed_probes"] == pred["failed_probes"]
            # glibc never asks the module for a -z nodeflib object's
            # libraries (nor does it search the default directories), and
            # ignores a module of another class.
            if same != (name in ("nodeflib-gets-no-fallback", "module-of-another-class")):
                bad.append(f"{name}: {'the same' if same else 'not the same'} "
                           f"without the module")
            loaded, _, failed, _ = loader_trail(p, plain, r)
            if without["failed_probes"] != failed:
                bad.append(f"{name}, without the module: {without['failed_probes']} "
                           f"failed probes, strace {failed}")
        check(not bad, "\n".join(bad))


@test
def a_fifo_in_a_list_ends_the_load_and_tree_does_not_wait():
    """glibc opens a candidate without O_NONBLOCK: a FIFO named like the
    library makes the program wait for a writer. ldpin tree must not wait
    with it, and says where the start-up would hang."""
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        lib(r, os.path.join(r, "lib/libff.so"), "ff")
        os.makedirs(os.path.join(r, "fifo"))
        os.mkfifo(os.path.join(r, "fifo/libff.so"))
        p = os.path.join(r, "p")
        prog(r, p, ["ff"], ["-L" + os.path.join(r, "lib"), "-lff",
             "-Wl,--enable-new-dtags,-rpath," + os.path.join(r, "fifo") + ":" +
             os.path.join(r, "lib")])
        res = subprocess.run([ARGS.ldpin, "tree", "--json", p], capture_output=True,
                             text=True, timeout=60)
        check(res.returncode == 1, f"{res.returncode}: {res.stderr}")
        e = [e for e in json.loads(res.stdout)["files"][0]["needed"]
             if e["name"] == "libff.so"][0]
        check(e["how"] == "not found" and e["refused"] == os.path.join(r, "fifo/libff.so"), e)
        res = sh([ARGS.ldpin, "check", p], ok=False)
        text = res.stdout + res.stderr
        check("a FIFO: glibc's open waits for a writer" in text, text)
        # The program itself does wait there.
        try:
            subprocess.run([p], timeout=2, capture_output=True)
            check(False, "the program did not wait at the FIFO")
        except subprocess.TimeoutExpired:
            pass


@test
def audit_settings_are_reported_and_secure_mode_loads_no_module():
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        lib(r, os.path.join(r, "fb/libfa.so"), "fa")
        p = os.path.join(r, "p")
        prog(r, p, ["fa"], ["-L" + os.path.join(r, "fb"), "-lfa"])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_", "LDPIN_"))}
        env.update(LDPIN_FALLBACK_PATH="rel:" + os.path.join(r, "fb"),
                   LDPIN_OVERRIDE="nonsense", LDPIN_AUDIT_POLICY="lax",
                   LD_AUDIT="/elsewhere/libother-audit.so")
        out = sh([ARGS.ldpin, "tree", "--audit", p], env=env, ok=False).stdout
        for want in ("LDPIN_FALLBACK_PATH entry 'rel' is not absolute; ignored",
                     "LDPIN_OVERRIDE entry 'nonsense' is not name=/absolute/path",
                     "LDPIN_AUDIT_POLICY='lax' is not 'default' or 'strict'",
                     "LD_AUDIT names /elsewhere/libother-audit.so, which cannot be "
                     "found or opened: glibc says so and starts without it",
                     "libfa.so [fallback] " + os.path.join(r, "fb/libfa.so")):
            check(want in out, f"{want!r} not in:\n{out}")
        # LD_AUDIT naming another module alone is not modelled; --no-audit
        # and secure mode model none.
        out = sh([ARGS.ldpin, "tree", p], env=env, ok=False).stdout
        check("libfa.so [not found]" in out, out)
        env["LD_AUDIT"] = audit_module()
        out = sh([ARGS.ldpin, "tree", "--no-audit", p], env=env, ok=False).stdout
        check("libfa.so [not found]" in out and "audit module" not in out, out)
        out = sh([ARGS.ldpin, "tree", "--secure", p], env=env, ok=False).stdout
        check("libfa.so [not found]" in out and
              "glibc loads no audit module named by a path in secure mode" in out, out)
        res = sh([ARGS.ldpin, "tree", "--audit", "--no-audit", p], env=env, ok=False)
        check(res.returncode == 2, f"--audit --no-audit: {res.returncode}")
        # What is not found says why: a forced override of a missing file,
        # and -z nodefaultlib with nothing else to search.
        gone = os.path.join(r, "gone/libfa.so")
        out = sh([ARGS.ldpin, "tree", p], env=dict(env, LDPIN_OVERRIDE=f"libfa.so=!{gone}"),
                 ok=False).stdout
        check(f"libfa.so [not found] (the audit module answers with {gone}, which the "
              "loader cannot open)" in out, out)
        q = os.path.join(r, "q")
        prog(r, q, ["fa"], ["-L" + os.path.join(r, "fb"), "-lfa", "-Wl,-z,nodefaultlib"])
        res = sh([ARGS.ldpin, "check", q], ok=False)
        check("-z nodefaultlib keeps the loader's default directories out" in res.stderr,
              res.stderr)


@test
def programs_without_their_runpath_match_the_module():
    """Every program of /usr/bin and of the Nix store that has a RUNPATH or
    RPATH, copied without it (a prebuilt program in a dev shell) and
    started with the module and that RUNPATH as LDPIN_FALLBACK_PATH: the
    fallback, the C library's own directory and the judging of real
    libraries, against the module in trace mode."""
    store = os.environ.get("NIX_STORE", "/nix/store")
    dirs = ["/usr/bin"]
    if os.path.isdir(store):
        for e in sorted(os.listdir(store)):
            b = os.path.join(store, e, "bin")
            if os.path.isdir(b) and not os.path.islink(b):
                dirs.append(b)
    progs = [os.path.join(d, n) for d in dirs for n in sorted(os.listdir(d))]
    progs = [p for p in progs if glibc_program(p) and not secure_start(p)]
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        os.chmod(r, 0o755)
        copies = []
        for p in progs:
            rpath = sh(["patchelf", "--print-rpath", p], ok=False).stdout.strip()
            if not rpath:
                continue
            q = os.path.join(r, str(len(copies)), os.path.basename(p))
            os.makedirs(os.path.dirname(q))
            shutil.copy2(p, q)
            sh(["patchelf", "--remove-rpath", q])
            copies.append((p, q, rpath.replace("$ORIGIN", os.path.dirname(p))
                                     .replace("${ORIGIN}", os.path.dirname(p))))
        check(copies, "no program with a RUNPATH or RPATH")
        bad, probes, hows = [], 0, {}
        for p, q, fallback in copies:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LD_", "LDPIN_"))}
            env.update(LD_AUDIT=audit_module(), LDPIN_FALLBACK_PATH=fallback)
            pred = predictions([q], env, "/")[q]
            d = audit_compare(q, pred, env, "/")
            probes += pred["failed_probes"]
            for e in pred["needed"]:
                hows[e["how"]] = hows.get(e["how"], 0) + 1
            if d:
                bad.append(f"  {p}: {'; '.join(d)}")
        print(f"{len(copies)} programs without their RUNPATH, "
              f"{len(copies) - len(bad)} exact, {probes} failed probes predicted; "
              + ", ".join(f"{k} {v}" for k, v in sorted(hows.items())))
        check(hows.get("fallback"), f"the fallback was never taken: {hows}")
        check(not bad, f"{len(bad)} of {len(copies)} differ:\n" + "\n".join(bad[:20]))


FAKE_LDSO = r"""
/* A "dynamic linker" that, run, creates the file named at build time. */
static long sys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return r;
}
void _start(void) {
  sys(2, (long)MARK, 0101, 0644); /* open(MARK, O_CREAT|O_WRONLY) */
  sys(60, 0, 0, 0);               /* exit(0) */
}
"""


@test
def an_interpreter_outside_the_store_and_the_system_is_never_run():
    """A file's PT_INTERP can name anything: ldpin tree and ldpin check ask
    only an interpreter installed in the store or a system library
    directory, and say so when they do not."""
    with tempfile.TemporaryDirectory(prefix="ldpin-tree-") as r:
        mark = os.path.join(r, "RAN")
        write(os.path.join(r, "ld.c"), FAKE_LDSO)
        fake = os.path.join(r, "ld-linux-x86-64.so.2")
        sh(["gcc", "-shared", "-nostdlib", "-fPIC", "-O1", f'-DMARK="{mark}"',
            "-o", fake, os.path.join(r, "ld.c"), "-Wl,-soname,ld-linux-x86-64.so.2",
            "-Wl,-e,_start"])
        sh([fake, "--help"], ok=False)
        check(os.path.exists(mark), "the fake dynamic linker does not run")
        os.unlink(mark)
        write(os.path.join(r, "p.c"), "int main(void){return 0;}\n")
        p = os.path.join(r, "p")
        sh(["gcc", "-o", p, os.path.join(r, "p.c"), f"-Wl,--dynamic-linker={fake}"])
        res = sh([ARGS.ldpin, "tree", p], ok=False)
        check(not os.path.exists(mark), f"ldpin tree ran {fake}")
        check("not run to ask its search path" in res.stdout, res.stdout)
        tree = json.loads(sh([ARGS.ldpin, "tree", "--json", p], ok=False).stdout)
        check(tree["files"][0]["interpreter_not_asked"], tree)
        sh([ARGS.ldpin, "check", p], ok=False)
        sh([ARGS.ldpin, "check", "--interpreter", fake, p], ok=False)
        check(not os.path.exists(mark), f"ldpin check ran {fake}")


@test
def every_program_in_usr_bin_matches_the_loader():
    d = "/usr/bin"
    paths = sorted(os.path.join(d, n) for n in os.listdir(d))
    report("/usr/bin", *sweep(paths))


@test
def every_program_in_the_nix_store_matches_the_loader():
    store = os.environ.get("NIX_STORE", "/nix/store")
    paths = []
    if os.path.isdir(store):
        for e in sorted(os.listdir(store)):
            b = os.path.join(store, e, "bin")
            if os.path.isdir(b) and not os.path.islink(b):
                paths += [os.path.join(b, n) for n in sorted(os.listdir(b))]
    if not paths:
        print("no program in the store; skipped")
        return
    report(store, *sweep(paths))


if __name__ == "__main__":
    sys.exit(harness.main(__doc__))
