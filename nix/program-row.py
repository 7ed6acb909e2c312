#!/usr/bin/env python3
"""One row of nix/pkgset.sh's table: what a program (or, for a package
without programs, a library loaded by the dynamic linker's --list) asks of
the loader and what its start costs.

Usage: program-row.py LDPIN LOADER FILE PACKAGE LINKING "N paths, BYTES"
(LOADER: the store's dynamic linker, for libraries). Prints a markdown row.
Exits 1 when an ldpin-built file fails to start or makes a failed library
lookup; stock rows only report. Failed lookups are the loader's: openat or
stat of a shared object (`*.so*`) or of a glibc-hwcaps directory that does
not exist (a program's own locale or configuration probes are not counted).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

LOOKUPS = "open,openat,stat,lstat,newfstatat,statx"
LIBRARY = re.compile(r'"[^"]*(\.so(\.[0-9.]+)?|/glibc-hwcaps(/[^"]*)?)"')


def failed_library_lookups(trace):
    return sum(1 for line in trace.splitlines() if "ENOENT" in line and LIBRARY.search(line))


def started(r):
    return ("error while loading shared libraries" not in r.stderr and r.returncode >= 0
            and r.returncode not in (126, 127))


def command(path, info, loader):
    """How to start it: a program with --version (else --help); a library
    through its closure's dynamic linker."""
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


def main():
    ldpin, loader, path, package, linking, closure = sys.argv[1:]
    info = json.loads(subprocess.run([ldpin, "inspect", "--json", path], capture_output=True,
                                     text=True, check=True).stdout)["files"][0]
    bare = sum(1 for n in info["needed"] if not n.startswith("/"))
    rp = info.get("runpath") or info.get("rpath") or ""
    entries = len(rp.split(":")) if rp else 0
    cmd = command(path, info, loader)
    r = subprocess.run(["strace", "-f", "-qq", "-e", f"trace={LOOKUPS}", "-o", "/dev/stderr"] + cmd,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                       timeout=60)
    fails = failed_library_lookups(r.stderr)
    ok = started(r)
    times = []
    for _ in range(30):
        t = time.perf_counter()
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
    start = f"{statistics.median(times):.2f} ms"
    name = os.path.basename(path) + ("" if cmd[0] == path else " (loaded by ld.so --list)")
    paths, size = closure.split(", ")
    print(f"| {package} | {name} | {linking} | {bare} | {entries} | {fails} | {start} | "
          f"{paths}, {int(size) / 1e6:.2f} MB |")
    if linking == "ldpin" and (not ok or fails != 0):
        print(f"ldpin: {path}: " + ("does not start" if not ok else f"{fails} failed lookups"),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
