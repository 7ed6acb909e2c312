#!/usr/bin/env python3
"""Every dynamically linked ELF file under the given outputs, loaded by the
set's dynamic linker with `LD_SO --list FILE` (its own trace mode, run with
an empty environment: no LD_LIBRARY_PATH): it must exit 0 and report no
library "not found". This is what `ldpin check` promises (its validation
reads the interpreter's own default directories), checked against the
interpreter itself.

Usage: loads-check.py LDPIN LD_SO OUTPUT...
Prints one line per failure and a closing count; exits 1 on any failure.
"""
import json
import os
import subprocess
import sys


def elf_files(root):
    for dirpath, _, names in os.walk(root):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    yield p


def main():
    ldpin, ld_so, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = [p for r in roots for p in elf_files(r)]
    dynamic = []
    for i in range(0, len(files), 200):
        res = subprocess.run([ldpin, "inspect", "--json"] + files[i:i + 200],
                             capture_output=True, text=True)
        for info in json.loads(res.stdout)["files"]:
            if "error" in info:
                continue
            if info["type"] in ("DYN", "EXEC") and info.get("dynamic") and (
                    info["needed"] or info.get("interpreter")):
                dynamic.append(info["path"])
    failed = 0
    for p in dynamic:
        res = subprocess.run([ld_so, "--list", p], capture_output=True, text=True, env={})
        text = res.stdout + res.stderr
        if res.returncode != 0 or "not found" in text:
            failed += 1
            print(f"ldpin: {p}: {ld_so} --list fails (exit {res.returncode}): "
                  + " | ".join(l.strip() for l in text.splitlines() if l.strip())[:600],
                  file=sys.stderr)
    print(f"ld.so --list: {len(dynamic) - failed} of {len(dynamic)} dynamic ELF files "
          f"({len(files)} ELF files) load")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
