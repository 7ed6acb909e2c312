#!/usr/bin/env python3
"""ldpin check's interposition analysis against what the loader binds.

For every dynamic program and shared library under the given directories,
`ldpin check --json` names, per pair of objects of its closure that define
the same symbol, whether the second object's own references bind to the
first's definition (`interposed`). The loader itself says what it binds:
the file's own interpreter, in trace mode with every relocation done
(`LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1 LD_WARN=yes`, as `ldd -r`; no code
of the file runs) and `LD_DEBUG=bindings`. Both directions must agree:

- every interposition the analysis claims is a binding the loader makes;
- every binding the loader makes of an object's reference to a symbol it
  defines strongly itself, to another object's strong definition, is claimed
  (symbols the analysis leaves out by design, the linker's own such as
  _init and _end, are not counted).

Bindings between two of glibc's own objects are left out, as the analysis
leaves them out (they are one package to everyone else). Two kinds of
binding are no interposition and are left out too: a copy
relocation of the program (the loader copies a library's data into the
program and binds everyone to the copy; its lookup skips the program), and,
in trace mode only, the dynamic linker's own references, which a real start
binds again after everything is loaded and trace mode does not.

Files whose closure the check cannot follow, or the loader cannot load, are
skipped and counted. Prints a summary and exits 1 on any disagreement.

Usage: interpose_compare.py --ldpin PATH [--min-files N] DIR...
"""
import argparse
import json
import os
import re
import subprocess
import sys

LINKER_DEFINED = {
    "_init", "_fini", "_edata", "edata", "_end", "end", "__end__", "_etext",
    "etext", "__bss_start", "__bss_start__", "__bss_end__", "_bss_end__",
    "_DYNAMIC", "_GLOBAL_OFFSET_TABLE_", "_PROCEDURE_LINKAGE_TABLE_",
    "__dso_handle", "__TMC_END__", "__ehdr_start", "__executable_start",
    "__GNU_EH_FRAME_HDR", "_IO_stdin_used", "__data_start", "data_start",
}
GLIBC = ("libc.so.", "libm.so.", "libmvec.so.", "libpthread.so.", "libdl.so.",
         "librt.so.", "libutil.so.", "libresolv.so.", "libanl.so.",
         "libBrokenLocale.so.", "libthread_db.so.", "libc_malloc_debug.so.",
         "libnss_", "ld-linux", "ld64.so.", "ld.so.")
BINDING = re.compile(r"binding file (.+?) \[\d+\] to (.+?) \[\d+\]: "
                     r"(?:normal|protected) symbol `([^']+)'(?: \[([^\]]+)\])?")


def strong_definitions(path, cache):
    """What `path` defines strongly in its dynamic symbol table: name ->
    the versions ("" for none)."""
    if path in cache:
        return cache[path]
    out = subprocess.run(["readelf", "-W", "--dyn-syms", path],
                         capture_output=True, text=True).stdout
    names = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":"):
            continue
        _, value, _, typ, bind, _, ndx, name = f[:8]
        if ndx == "UND" or bind not in ("GLOBAL", "UNIQUE"):
            continue
        if typ not in ("FUNC", "OBJECT", "NOTYPE", "TLS", "IFUNC", "COMMON"):
            continue
        if int(value, 16) == 0 and ndx != "ABS" and typ != "TLS":
            continue
        base, _, version = name.partition("@")
        names.setdefault(base, set()).add(version.lstrip("@"))
    cache[path] = names
    return names


def defines(path, name, version, cache):
    """Whether `path` defines what a reference to name@version binds to."""
    versions = strong_definitions(path, cache).get(name)
    return bool(versions) and (version is None or version in versions
                               or "" in versions)


def loader_bindings(path, interpreter):
    env = {"LD_TRACE_LOADED_OBJECTS": "1", "LD_BIND_NOW": "1",
           "LD_WARN": "yes", "LD_DEBUG": "bindings"}
    try:
        res = subprocess.run([interpreter, path], capture_output=True,
                             text=True, env=env, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    if "not found" in res.stdout or res.returncode != 0:
        return None
    binds = set()
    for line in res.stderr.splitlines():
        m = BINDING.search(line)
        if m and m.group(1) != m.group(2):
            binds.add((m.group(1), m.group(3), m.group(2), m.group(4)))
    return binds


def copy_relocations(path):
    """The symbols that `path`'s copy relocations name."""
    out = subprocess.run(["readelf", "-rW", path], capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[2].endswith("_COPY"):
            names.add(f[4].split("@")[0])
    return names


def interpreter_of(path):
    out = subprocess.run(["readelf", "-lW", path], capture_output=True,
                         text=True).stdout
    m = re.search(r"\[Requesting program interpreter: (.+)\]", out)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ldpin", required=True)
    ap.add_argument("--min-files", type=int, default=0)
    ap.add_argument("--default-interpreter", default="/lib64/ld-linux-x86-64.so.2",
                    help="the loader that loads a library on its own")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    res = subprocess.run([args.ldpin, "check", "--json", "--interpreter",
                          args.default_interpreter] + args.dirs,
                         capture_output=True, text=True)
    if res.returncode > 1:
        print(f"ldpin check failed ({res.returncode}): {res.stderr[-2000:]}")
        return 1
    files = json.loads(res.stdout)["files"]
    compared = skipped = claims = bindings = 0
    wrong, missed = [], []
    defs = {}
    for f in files:
        if "interposition" not in f:
            continue
        interp = interpreter_of(f["path"]) or args.default_interpreter
        binds = loader_bindings(f["path"], interp)
        if binds is None:
            skipped += 1
            continue
        compared += 1
        claimed = set()
        for p in f["interposition"]:
            for s in p["symbols"]:
                who = s["interposed"]
                if who:
                    other = p["first"] if who == p["second"] else p["second"]
                    claimed.add((who, s["name"], other))
        claimed = {c for c in claimed if c[0] != interp}
        claims += len(claimed)
        copies = copy_relocations(f["path"])
        # The loader names objects by the path it opened them by, as the
        # closure does.
        bound = {(who, name, to) for who, name, to, _ in binds}
        for c in claimed:
            if c not in bound:
                wrong.append((f["path"], c))
        for who, name, to, version in binds:
            if name in LINKER_DEFINED or (who == f["path"] and name in copies):
                continue
            if all(os.path.basename(x).startswith(GLIBC) for x in (who, to)):
                continue
            if defines(who, name, version, defs) and defines(to, name, version, defs):
                bindings += 1
                if (who, name, to) not in claimed:
                    missed.append((f["path"], (who, name, to)))
    print(f"interpose_compare: {compared} files compared with the loader "
          f"({skipped} skipped: not loadable alone), {claims} interpositions "
          f"claimed, {bindings} loader bindings of an object's own strong "
          f"symbol to another's")
    for path, c in wrong[:20]:
        print(f"  claimed, not bound: {path}: {c[0]} -> {c[2]}: {c[1]}")
    for path, b in missed[:20]:
        print(f"  bound, not claimed: {path}: {b[0]} -> {b[2]}: {b[1]}")
    if compared < args.min_files:
        print(f"only {compared} files compared, fewer than {args.min_files}")
        return 1
    ok = not wrong and not missed
    print("0 failed" if ok else f"{len(wrong)} wrong, {len(missed)} missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
