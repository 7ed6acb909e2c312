#!/usr/bin/env python3
"""Two rows of nix/pkgset.sh's table, ldpin's and stock's, for one program
of a package (the same file of both builds), for a package without
programs one library (loaded by the dynamic linker's --list), or for a
check that loads modules (a command given as JSON): what it asks of the
loader and what its start costs.

Usage:
  program-row.py LDPIN LOADER PACKAGE NAME LDPIN_FILE STOCK_FILE LDPIN_CLOSURE STOCK_CLOSURE
  program-row.py --command LDPIN LOADER PACKAGE NAME LDPIN_JSON STOCK_JSON LDPIN_CLOSURE STOCK_CLOSURE
(a CLOSURE is "N paths, BYTES"; a JSON command is a list of arguments).

Prints two markdown rows. Exits 1 when a program of either build does not
start (a given command: does not exit 0), or when ldpin's makes a failed
library lookup. Failed lookups are the loader's: an open of a shared
object (`*.so*`) or a stat of a glibc-hwcaps directory that does not exist
(a program's own locale or configuration probes are not counted, nor an
interpreter's search of its own module path, which stats candidate files
such as `pkg/__init__.abi3.so`).

Start-up: LDPIN_STARTUP_RUNS (21) runs of each side, interleaved (ldpin, stock, then stock,
ldpin, ...), the median of each and the median of the per-pair ratios.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

LOOKUPS = "open,openat,stat,lstat,newfstatat,statx"
# The loader opens each candidate file (open_verify: openat) and, when that
# fails, stats the directory it tried, once; an interpreter's search of
# its module path stats candidate files (`pkg/__init__.abi3.so`) instead.
OPENED = re.compile(r'^\d+\s+(open|openat)\(.*"[^"]*\.so(\.[0-9.]+)?"')
STATTED_DIR = re.compile(r'"[^"]*/glibc-hwcaps(/[^"]*)?"')
RUNS = int(os.environ.get("LDPIN_STARTUP_RUNS", "21"))


def failed_library_lookups(trace):
    return sum(1 for line in trace.splitlines()
               if "ENOENT" in line and (OPENED.search(line) or STATTED_DIR.search(line)))


def started(r):
    return ("error while loading shared libraries" not in r.stderr and r.returncode >= 0
            and r.returncode not in (126, 127))


def inspect(ldpin, path):
    return json.loads(subprocess.run([ldpin, "inspect", "--json", path], capture_output=True,
                                     text=True, check=True).stdout)["files"][0]


def command(path, info, loader):
    """How to start a file: a program with --version (else --help); a
    library through its closure's dynamic linker."""
    if info["type"] == "EXEC" or info.get("interpreter"):
        for arg in ("--version", "--help"):
            try:
                r = subprocess.run([path, arg], stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, errors="replace", timeout=5)
            except subprocess.TimeoutExpired:
                continue
            if started(r):
                return [path, arg]
        return [path, "--version"]
    return [loader, "--list", path]


def traced(cmd, must_succeed):
    r = subprocess.run(["strace", "-f", "-qq", "-e", f"trace={LOOKUPS}", "-o", "/dev/stderr"] + cmd,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                       timeout=120)
    # strace writes the trace and the program's own error output to one
    # stream; a program that did not start says so there too.
    return started(r) and (r.returncode == 0 or not must_succeed), \
        failed_library_lookups(r.stderr)


def once(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def startup(ldpin_cmd, stock_cmd):
    ours, theirs = [], []
    for i in range(RUNS):
        if i % 2 == 0:
            ours.append(once(ldpin_cmd))
            theirs.append(once(stock_cmd))
        else:
            theirs.append(once(stock_cmd))
            ours.append(once(ldpin_cmd))
    ratio = statistics.median(a / b for a, b in zip(ours, theirs))
    return statistics.median(ours), statistics.median(theirs), ratio


def main():
    args = sys.argv[1:]
    given = args[:1] == ["--command"]
    if given:
        args = args[1:]
    ldpin, loader, package, name, ldpin_file, stock_file, ldpin_closure, stock_closure = args
    sides = {}
    for side, what, closure in (("ldpin", ldpin_file, ldpin_closure),
                                ("stock", stock_file, stock_closure)):
        if given:
            cmd = json.loads(what)
            bare = entries = "-"
        else:
            info = inspect(ldpin, what)
            cmd = command(what, info, loader)
            bare = sum(1 for n in info["needed"] if not n.startswith("/"))
            rp = info.get("runpath") or info.get("rpath") or ""
            entries = len(rp.split(":")) if rp else 0
            if cmd[0] != what:
                name = os.path.basename(what) + " (loaded by ld.so --list)"
        ok, fails = traced(cmd, given)
        sides[side] = dict(cmd=cmd, bare=bare, entries=entries, ok=ok, fails=fails,
                           closure=closure)
    ours, theirs, ratio = startup(sides["ldpin"]["cmd"], sides["stock"]["cmd"])
    status = 0
    for side, ms, rel in (("ldpin", ours, f"{ratio:.2f}"), ("stock", theirs, "")):
        s = sides[side]
        paths, size = s["closure"].split(", ")
        print(f"| {package} | {name} | {side} | {s['bare']} | {s['entries']} | {s['fails']} | "
              f"{ms:.2f} ms | {rel} | {paths}, {int(size) / 1e6:.2f} MB |")
        if not s["ok"]:
            print(f"ldpin: {package}: {name} ({side}) does not start: {' '.join(s['cmd'])}",
                  file=sys.stderr)
            status = 1
        elif side == "ldpin" and s["fails"] != 0:
            print(f"ldpin: {package}: {name}: {s['fails']} failed library lookups",
                  file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
