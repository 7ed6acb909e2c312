#!/usr/bin/env python3
"""Benchmark: how long `ldpin tree` takes over a program of 1,000 libraries.

Two programs each need N shared libraries (default 1,000), every library in
a directory of its own, as in a Nix store:
- "searched": bare DT_NEEDED and a DT_RUNPATH of the N directories, as a
  stock Nix build makes them (the model makes every probe glibc would:
  about N*N/2 failed opens, and the directories' stats);
- "pinned": absolute DT_NEEDED, as ldpin builds them;
- "fallback": the bare DT_NEEDED without a RUNPATH, started with the audit
  module (build/lib/libldpin-audit.so) and the N directories as
  LDPIN_FALLBACK_PATH, as a prebuilt program in a dev shell (tree models
  the module: about N*N/2 failed statx of its own).
For each, `ldpin tree --json PROGRAM` (prediction, nothing run) and the
loader itself listing the same program (`LD_TRACE_LOADED_OBJECTS=1
PROGRAM`, what `ldd` does: the loader maps every library, for real) are run
RUNS times, the two alternated. The table gives both medians and the median
of the paired ratios (tree over loader, each pair back to back). Goal: tree
well under a second at 1,000 libraries.

Prints a table and writes it to bench/results/tree.md (or --out).
Usage: bench/tree.py [--libs N] [--runs N] [--out FILE] (after the default
CMake build: it uses build/bin/ldpin).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LDPIN = os.path.join(ROOT, "build", "bin", "ldpin")
MODULE = os.path.join(ROOT, "build", "lib", "libldpin-audit.so")


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def build(work, n):
    obj = os.path.join(work, "f.o")
    with open(os.path.join(work, "f.c"), "w") as f:
        f.write("int f(void) { return 1; }\n")
    run(["gcc", "-fPIC", "-c", "-o", obj, os.path.join(work, "f.c")])
    dirs = []
    for i in range(n):
        d = os.path.join(work, "store", f"{i:04d}-lib{i}", "lib")
        os.makedirs(d)
        dirs.append(d)
        # A soname for the searched program; the pinned one links a copy
        # without, so its DT_NEEDED is the path.
        run(["ld.bfd", "-shared", "-o", os.path.join(d, f"libl{i}.so"), obj,
             "-soname", f"libl{i}.so"])
        run(["ld.bfd", "-shared", "-o", os.path.join(d, f"libp{i}.so"), obj])
    main = os.path.join(work, "main.c")
    with open(main, "w") as f:
        f.write("int main(void) { return 0; }\n")
    searched = os.path.join(work, "searched")
    args = ["gcc", "-o", searched, main, "-Wl,--no-as-needed"]
    args += [f"-L{d}" for d in dirs] + [f"-ll{i}" for i in range(n)]
    args += ["-Wl,--enable-new-dtags,-rpath," + ":".join(dirs)]
    run(args)
    pinned = os.path.join(work, "pinned")
    run(["gcc", "-o", pinned, main, "-Wl,--no-as-needed"] +
        [os.path.join(d, f"libp{i}.so") for i, d in enumerate(dirs)])
    fallback = os.path.join(work, "fallback")
    run(["gcc", "-o", fallback] + args[3:-1])
    audit = {"LD_AUDIT": MODULE, "LDPIN_FALLBACK_PATH": ":".join(dirs)}
    return {"searched": (searched, {}), "pinned": (pinned, {}),
            "fallback": (fallback, audit)}


def timed(cmd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, check=False)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--libs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "tree.md"))
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ldpin-bench-tree-") as work:
        progs = build(work, a.libs)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("LD_", "LDPIN_"))}
        for name, (prog, extra) in progs.items():
            tree_env = dict(base, **extra)
            env = dict(tree_env, LD_TRACE_LOADED_OBJECTS="1")
            out = subprocess.run([LDPIN, "tree", "--json", prog], capture_output=True,
                                 text=True, check=True, env=tree_env).stdout
            import json
            f = json.loads(out)["files"][0]
            if extra:
                assert f["audit"]["module"] == MODULE, f["audit"]
            tree_t, ld_t = [], []
            for _ in range(a.runs):
                tree_t.append(timed([LDPIN, "tree", "--json", prog], env=tree_env))
                ld_t.append(timed([prog], env=env))
            ratio = statistics.median(t / l for t, l in zip(tree_t, ld_t))
            rows.append((name, len(f["objects"]) - 2, f["failed_probes"],
                         statistics.median(tree_t) * 1e3, statistics.median(ld_t) * 1e3,
                         ratio))
    lines = [f"`ldpin tree` over a program of {a.libs} libraries "
             f"(median of {a.runs} runs each, interleaved with the loader's own listing)",
             "",
             "| program | libraries | failed probes predicted | `ldpin tree --json` ms | loader listing ms | paired ratio tree/loader |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
