#!/usr/bin/env python3
"""Benchmark: `ldpin fixup` over a tree of 2,000 ELF files, beside the nixpkgs
way of fixing RUNPATHs (its patchelf setup hook runs `patchelf
--shrink-rpath` once per ELF file it finds).

The tree is what an install leaves: 1,000 shared libraries and 1,000 programs,
copies of 20 libraries and 20 programs built in a build directory, each
program needing two of the libraries. Each tool gets the tree its own way of
linking leaves: for ldpin, linked through ldpin-ld (a build-tree RUNPATH kept
for the in-tree libraries, and the record); for nixpkgs, linked as its bash
wrapper links, with one -rpath per -L directory (the build tree and three
store directories that provide nothing, for --shrink-rpath to remove).
Each run starts from a fresh copy made just before, as `make install` leaves
files just before the fixup phase (warm page cache, not yet written back:
after a sync, replacing files on this disk costs several times more); the
table gives the
median of --runs runs and files per second. ldpin does more per file
(absolute SONAME and DT_NEEDED, RUNPATH, the record, and the validation of
every closure). It runs as the setup hook runs it, with --in-place: files
ldpin-ld linked are written in place, into their reserved space (without the
flag each changed file is a temporary renamed over the original); patchelf
only shrinks RUNPATHs, in place.

The trees are made on each of the file systems given by --dirs (default:
/tmp, on this machine ext4 on a virtual disk mounted with `discard`, where
replacing a file by a renamed new one costs about 0.2 to 0.5 ms, and
/dev/shm, a tmpfs).

Goal: ldpin at least 20 times faster. Prints the table and writes it to
bench/results/fixup.md. Needs the default build and patchelf.

Usage: bench/fixup.py [--runs N] [--files N] [--dirs DIR,DIR]
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
LDPIN = os.path.join(ROOT, "build", "bin", "ldpin")
LDPIN_LD = os.path.join(ROOT, "build", "bin", "ldpin-ld")

# The nixpkgs way, written out: every regular file under the output, an ELF
# magic check with bash's own read (no process), then one patchelf
# --shrink-rpath per ELF file.
SHRINK = r'''
set -u
while IFS= read -r -d '' f; do
  magic=
  { read -r -n 4 magic < "$f"; } 2>/dev/null || true
  [ "$magic" = $'\177ELF' ] || continue
  patchelf --shrink-rpath "$f" || true
done < <(find "$1" -type f -print0)
'''


def sh(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.exit(f"ldpin: bench: {cmd if isinstance(cmd, str) else ' '.join(cmd)} failed:\n"
                 f"{res.stdout}{res.stderr}")
    return res


def make_templates(work, variants, stock):
    build = os.path.join(work, "build-stock" if stock else "build")
    wrap = os.path.join(work, "wrap")
    if not os.path.exists(wrap):
        os.makedirs(os.path.join(wrap, "bin"))
        os.makedirs(os.path.join(wrap, "nix-support"))
        os.symlink(LDPIN_LD, os.path.join(wrap, "bin", "ld"))
        with open(os.path.join(wrap, "nix-support", "ldpin-linker"), "w") as f:
            f.write("/usr/bin/ld.bfd\n")
    os.makedirs(build)
    driver = "gcc" if stock else f"gcc -B{wrap}/bin/"
    extra = ""
    if stock:  # nixpkgs' wrapper: one -rpath per -L directory
        for k in range(3):
            d = os.path.join(work, "store", f"{k:032d}-dep{k}", "lib")
            os.makedirs(d, exist_ok=True)
            extra += f" -L{d} -Wl,-rpath,{d}"
    env = dict(os.environ, NIX_BUILD_TOP=build, TMPDIR=build, NIX_STORE=os.path.join(work, "store"))
    for i in range(variants):
        with open(os.path.join(build, f"l{i}.c"), "w") as f:
            f.write(f'#include <string.h>\nint f{i}(const char *s) {{ return (int)strlen(s) + {i}; }}\n')
        sh(f"{driver} -shared -fPIC l{i}.c -Wl,-soname,libl{i}.so.1{extra} -o libl{i}.so.1",
           shell=True, cwd=build, env=env)
    for i in range(variants):
        a, b = i, (i + 1) % variants
        with open(os.path.join(build, f"p{i}.c"), "w") as f:
            f.write(f"int f{a}(const char *); int f{b}(const char *);\n"
                    f"int main(void) {{ return f{a}(\"x\") + f{b}(\"y\") == 0; }}\n")
        sh(f"{driver} p{i}.c -L. -l:libl{a}.so.1 -l:libl{b}.so.1 "
           f"-Wl,-rpath,{build}{extra} -o p{i}", shell=True, cwd=build, env=env)
    return build, env


def make_tree(dest, build, files, variants):
    lib = os.path.join(dest, "lib")
    bins = os.path.join(dest, "bin")
    os.makedirs(lib)
    os.makedirs(bins)
    half = files // 2
    for k in range(half):
        i = k % variants
        # Copies in subdirectories, each with the sonames its programs need.
        sub = os.path.join(lib, f"set{k // variants}")
        os.makedirs(sub, exist_ok=True)
        shutil.copy(os.path.join(build, f"libl{i}.so.1"), os.path.join(sub, f"libl{i}.so.1"))
    for k in range(files - half):
        shutil.copy(os.path.join(build, f"p{k % variants}"), os.path.join(bins, f"prog{k}"))


def timed(cmd, env):
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    return elapsed, res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--dirs", default="/tmp,/dev/shm")
    args = ap.parse_args()
    for tool in (LDPIN, LDPIN_LD):
        if not os.access(tool, os.X_OK):
            sys.exit("ldpin: bench: build first (cmake --build --preset default)")
    if not shutil.which("patchelf"):
        sys.exit("ldpin: bench: patchelf is needed (apt-get install patchelf)")
    work = tempfile.mkdtemp(prefix="ldpin-bench-fixup-")
    try:
        variants = 20
        build, env = make_templates(work, variants, stock=False)
        stock_build, _ = make_templates(work, variants, stock=True)
        rows, ratios = [], []
        for base in args.dirs.split(","):
            if not os.path.isdir(base):
                continue
            # findmnt names ext4 (stat -f says ext2/ext3 for all three).
            fs = subprocess.run(["findmnt", "-no", "FSTYPE", "--target", base],
                                capture_output=True, text=True).stdout.split()
            fs = fs[0] if fs else "?"
            ours, theirs = [], []
            for run in range(args.runs):
                for name, results in (("ldpin", ours), ("patchelf", theirs)):
                    tree = tempfile.mkdtemp(prefix=f"ldpin-bench-{name}-", dir=base)
                    make_tree(os.path.join(tree, "out"), build if name == "ldpin" else stock_build,
                              args.files, variants)
                    out = os.path.join(tree, "out")
                    if name == "ldpin":
                        cmd = [LDPIN, "fixup", out, "--in-place", "--deps", "/lib/x86_64-linux-gnu"]
                    else:
                        cmd = ["bash", "-c", SHRINK, "shrink", out]
                    elapsed, res = timed(cmd, env)
                    if res.returncode != 0:
                        sys.exit(f"ldpin: bench: {name} failed:\n{res.stderr[-2000:]}")
                    results.append(elapsed)
                    if name == "ldpin" and subprocess.run([os.path.join(out, "bin", "prog0")]).returncode:
                        sys.exit("ldpin: bench: a fixed-up program does not run")
                    shutil.rmtree(tree)
            o, t = statistics.median(ours), statistics.median(theirs)
            ratios.append((base, fs, t / o))
            rows += [
                f"| {base} ({fs}) | ldpin fixup (pin, RUNPATH, record, validation) | "
                f"{o * 1000:.0f} ms | {args.files / o:,.0f} |",
                f"| {base} ({fs}) | patchelf --shrink-rpath per file (nixpkgs' hook) | "
                f"{t * 1000:.0f} ms | {args.files / t:,.0f} |",
            ]
        text = "\n".join([
            "# ldpin fixup beside patchelf --shrink-rpath",
            "",
            f"Machine: {os.cpu_count()} cores, {os.uname().machine}, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}. {args.files} ELF files "
            f"({args.files // 2} libraries, {args.files - args.files // 2} programs), "
            f"median of {args.runs} runs, warm page cache.",
            "",
            "| file system | tool | time | files per second |",
            "|---|---|---|---|",
            *rows,
            "",
            *[f"On {b} ({fs}) ldpin is **{r:.1f}x** faster (goal: at least 20x)."
              for b, fs, r in ratios],
            "",
        ])
        print(text)
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "fixup.md"), "w") as f:
            f.write(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
