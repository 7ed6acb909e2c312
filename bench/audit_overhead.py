#!/usr/bin/env python3
"""Benchmark: what the audit module (libldpin-audit.so) costs at run time.

1. Start-up. A program that needs 500 shared libraries, each in its own
   store-like directory, linked through ldpin-ld (so every DT_NEEDED is an
   absolute path, as ldpin builds them), is started RUNS times without the
   module and RUNS times with LD_AUDIT naming it (and a fallback path set,
   as a dev shell sets it), the two alternated; each run's wall time is
   taken from fork to exit. The table gives both medians and the median of
   the paired ratios (with-module over without, each pair run back to
   back), which the machine's drift does not bias. Goal: under 3% slower.
2. One lookup through the fallback. A program times one dlopen() of a
   library inside the process (CLOCK_MONOTONIC around the call) in four
   ways: by absolute path without and with the module; by bare name with
   the library in the last of 10 LD_LIBRARY_PATH directories (no module);
   and by bare name with the module and the same 10 directories as
   LDPIN_FALLBACK_PATH. Medians of RUNS processes each.

Prints a table and writes it to bench/results/audit.md (or --out).
Usage: bench/audit_overhead.py [--runs N] [--out FILE] (after the default
CMake build: it uses build/bin/ldpin-ld and build/lib/libldpin-audit.so).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LDPIN_LD = os.path.join(ROOT, "build", "bin", "ldpin-ld")
MODULE = os.path.join(ROOT, "build", "lib", "libldpin-audit.so")

TIMED_DLOPEN_C = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  void *h = dlopen(argv[1], RTLD_NOW);
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
  return 0;
}
"""


def sh(cmd, env=None, cwd=None):
    subprocess.run(cmd, shell=True, check=True, env=env, cwd=cwd,
                   stdout=subprocess.DEVNULL)


def wall(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def startup(root, runs, libs=500):
    store = os.path.join(root, "store")
    wrap = os.path.join(root, "wrap")
    build = os.path.join(root, "build")
    for d in (store, os.path.join(wrap, "bin"), os.path.join(wrap, "nix-support"), build):
        os.makedirs(d, exist_ok=True)
    os.symlink(LDPIN_LD, os.path.join(wrap, "bin", "ld"))
    with open(os.path.join(wrap, "nix-support", "ldpin-linker"), "w") as f:
        f.write("/usr/bin/ld.bfd\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIX_", "LDPIN_", "LD_"))}
    env.update(NIX_STORE=store, NIX_BUILD_TOP=build, TMPDIR=build)
    dirs = []
    for i in range(libs):
        d = os.path.join(store, f"{i:08d}-l{i}", "lib")
        os.makedirs(d)
        src = os.path.join(build, f"l{i}.c")
        with open(src, "w") as f:
            f.write(f"int f{i}(void) {{ return {i % 7}; }}\n")
        sh(f"gcc -B{wrap}/bin/ -shared -fPIC {src} -Wl,-soname,libl{i}.so -o {d}/libl{i}.so",
           env=env)
        dirs.append(d)
    main = os.path.join(build, "main.c")
    with open(main, "w") as f:
        f.write("".join(f"int f{i}(void);\n" for i in range(libs)))
        f.write("int main(void) { int s = 0;\n")
        f.write("".join(f"  s += f{i}();\n" for i in range(libs)))
        f.write("  return s == 0; }\n")
    flags = " ".join(f"-L{d} -ll{i}" for i, d in enumerate(dirs))
    prog = os.path.join(build, "prog")
    sh(f"gcc -B{wrap}/bin/ {main} {flags} -o {prog}", env=env)
    plain = {k: v for k, v in env.items() if not k.startswith("NIX_")}
    audited = dict(plain, LD_AUDIT=MODULE, LDPIN_FALLBACK_PATH=":".join(dirs[:10]))
    for _ in range(5):  # warm the page cache
        wall([prog], plain)
        wall([prog], audited)
    without, with_, ratios = [], [], []
    for i in range(runs):
        if i % 2:
            b = wall([prog], audited)
            a = wall([prog], plain)
        else:
            a = wall([prog], plain)
            b = wall([prog], audited)
        without.append(a)
        with_.append(b)
        ratios.append(b / a)
    return statistics.median(without), statistics.median(with_), statistics.median(ratios)


def lookup(root, runs):
    d = os.path.join(root, "lookup")
    os.makedirs(d)
    dirs = [os.path.join(d, f"dir{i:02d}") for i in range(10)]
    for x in dirs:
        os.makedirs(x)
    with open(os.path.join(d, "fb.c"), "w") as f:
        f.write("int fb(void) { return 1; }\n")
    lib = os.path.join(dirs[-1], "libfb.so.1")
    sh(f"gcc -shared -fPIC fb.c -o {lib}", cwd=d)
    with open(os.path.join(d, "t.c"), "w") as f:
        f.write(TIMED_DLOPEN_C)
    prog = os.path.join(d, "t")
    sh(f"gcc t.c -o {prog} -ldl", cwd=d)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LDPIN_", "LD_"))}
    cases = [
        ("absolute path, no module", [prog, lib], base),
        ("absolute path, module", [prog, lib], dict(base, LD_AUDIT=MODULE)),
        ("bare name, LD_LIBRARY_PATH (10 dirs)", [prog, "libfb.so.1"],
         dict(base, LD_LIBRARY_PATH=":".join(dirs))),
        ("bare name, module fallback (10 dirs)", [prog, "libfb.so.1"],
         dict(base, LD_AUDIT=MODULE, LDPIN_FALLBACK_PATH=":".join(dirs))),
    ]
    times = {name: [] for name, _, _ in cases}
    for _ in range(runs):
        for name, cmd, env in cases:
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            times[name].append(int(out.stdout) / 1000.0)
    return [(name, statistics.median(times[name])) for name, _, _ in cases]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "audit.md"))
    args = ap.parse_args()
    for f in (LDPIN_LD, MODULE):
        if not os.path.exists(f):
            sys.exit(f"audit_overhead: {f} is missing: run the default CMake build first")
    root = tempfile.mkdtemp(prefix="ldpin-bench-audit-")
    try:
        a, b, r = startup(root, args.runs)
        rows = lookup(root, args.runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines = [
        "# The audit module's cost (bench/audit_overhead.py)",
        "",
        f"Start-up of a program needing 500 libraries (absolute DT_NEEDED, through "
        f"ldpin-ld), {args.runs} runs each, alternated:",
        "",
        "| without the module | with LD_AUDIT | paired ratio (median) | goal |",
        "|---|---|---|---|",
        f"| {a * 1000:.2f} ms | {b * 1000:.2f} ms | {r:.4f} ({(r - 1) * 100:+.2f}%) | < +3% |",
        "",
        f"One dlopen(), timed in the process, median of {args.runs} processes:",
        "",
        "| lookup | median |",
        "|---|---|",
    ] + [f"| {name} | {us:.1f} µs |" for name, us in rows] + [""]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
