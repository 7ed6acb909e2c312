#!/usr/bin/env python3
"""Reader test on ELF files of other classes, byte orders and machines.

Builds, with Debian's clang-16 and ld.lld-16, a versioned shared library
(tests/data/foo.c, foo.map: soname, two version definitions, a .note.dlopen)
and a PIE program that links it (NEEDED, RUNPATH, version needs, BIND_NOW,
interpreter) for 32- and 64-bit, little- and big-endian targets. Then:

- `ldpin inspect --json` must agree with readelf on each file;
- the known facts must be there (class, byte order, machine, soname, needed,
  runpath, version names, the dlopen note's JSON, the build-id);
- the same files with their section headers stripped (llvm-objcopy
  --strip-sections) must give the same loader-visible facts, read through
  program headers only;
- a relocatable object with more than 65,280 sections (extended section
  numbering: e_shnum 0, the count in section 0) must read like readelf says.

Usage: foreign_elves.py --ldpin PATH --data DIR
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import readelf_compare  # noqa: E402

# (clang target, class, byte order, machine name in ldpin's JSON)
TARGETS = [
    ("i386-linux-gnu", 32, "little", "i386"),
    ("arm-linux-gnueabihf", 32, "little", "arm"),
    ("mips-linux-gnu", 32, "big", "mips"),
    ("powerpc-linux-gnu", 32, "big", "ppc"),
    ("aarch64-linux-gnu", 64, "little", "aarch64"),
    ("riscv64-linux-gnu", 64, "little", "riscv"),
    ("powerpc64-linux-gnu", 64, "big", "ppc64"),
    ("mips64-linux-gnuabi64", 64, "big", "mips"),
]

DLOPEN_JSON = '[{"soname":["libbar.so.2"],"priority":"suggested"}]'


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")
    return res.stdout


def build(target, data, out):
    os.makedirs(out, exist_ok=True)
    cc = ["clang-16", f"--target={target}", "-O1", "-fPIC", "-ffreestanding",
          "-fno-asynchronous-unwind-tables", "-c"]
    run(cc + [os.path.join(data, "foo.c"), "-o", f"{out}/foo.o"])
    run(cc + [os.path.join(data, "main.c"), "-o", f"{out}/main.o"])
    lib, prog = f"{out}/libfoo.so.1", f"{out}/main"
    run(["ld.lld-16", "-shared", "-soname", "libfoo.so.1", "--build-id=sha1",
         "--version-script", os.path.join(data, "foo.map"), f"{out}/foo.o", "-o", lib])
    run(["ld.lld-16", "-pie", "--dynamic-linker", "/lib/ld.so.1", "-e", "entry",
         "-rpath", "$ORIGIN/../lib", "--enable-new-dtags", "-z", "now",
         "--build-id=sha1", f"{out}/main.o", lib, "-o", prog])
    for f in (lib, prog):
        run(["llvm-objcopy-16", "--strip-sections", f, f + ".stripped"])
    return lib, prog


def inspect(ldpin, files):
    res = subprocess.run([ldpin, "inspect", "--json", *files],
                         capture_output=True, text=True)
    doc = json.loads(res.stdout)
    if res.returncode != 0:
        raise SystemExit(f"ldpin inspect failed: {res.stderr}")
    return {f["path"]: f for f in doc["files"]}


LOADER_FIELDS = ["class", "endian", "machine", "type", "entry", "segments",
                 "interpreter", "dynamic", "needed", "soname", "runpath",
                 "rpath", "dt_flags", "dt_flags_1", "version_needs",
                 "version_defs", "build_id"]


def check(cond, msg, problems):
    if not cond:
        problems.append(msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ldpin", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    problems = []
    checked = 0
    with tempfile.TemporaryDirectory(prefix="ldpin-foreign-") as tmp:
        for target, cls, endian, machine in TARGETS:
            lib, prog = build(target, args.data, os.path.join(tmp, target))
            files = [lib, prog, lib + ".stripped", prog + ".stripped"]
            info = inspect(args.ldpin, files)
            for f in (lib, prog):
                j = info[f]
                out = subprocess.run(["readelf", "-W", "-h", "-l", "-d", "-V", "-n", f],
                                     capture_output=True, text=True,
                                     env=readelf_compare.ENV)
                readelf_compare.compare(f, j, readelf_compare.parse_readelf(out.stdout),
                                        problems)
                check(j["class"] == cls and j["endian"] == endian and j["machine"] == machine,
                      f"{f}: ELF{j['class']} {j['endian']} {j['machine']}, expected "
                      f"ELF{cls} {endian} {machine}", problems)
                s = info[f + ".stripped"]
                check(s["sections"] == [], f"{f}.stripped: still has sections", problems)
                for k in LOADER_FIELDS:
                    check(s[k] == j[k], f"{f}.stripped: {k} differs from the unstripped file: "
                          f"{s[k]!r} vs {j[k]!r}", problems)
                checked += 2
            L, P = info[lib], info[prog]
            check(L["soname"] == "libfoo.so.1", f"{lib}: soname {L['soname']!r}", problems)
            # lld writes no parent entries (GNU ld does; the host files
            # compared with readelf cover those).
            check([d["names"] for d in L["version_defs"]] ==
                  [["libfoo.so.1"], ["FOO_1.0"], ["FOO_2.0"]],
                  f"{lib}: version definitions {L['version_defs']!r}", problems)
            texts = [n.get("text") for n in L["notes"] if n["kind"] == "fdo-dlopen"]
            check(texts == [DLOPEN_JSON], f"{lib}: dlopen notes {texts!r}", problems)
            check(L["build_id"] is not None and len(L["build_id"]) == 40,
                  f"{lib}: build-id {L['build_id']!r}", problems)
            check(P["needed"] == ["libfoo.so.1"], f"{prog}: needed {P['needed']!r}", problems)
            check(P["runpath"] == "$ORIGIN/../lib", f"{prog}: runpath {P['runpath']!r}", problems)
            check(P["interpreter"] == "/lib/ld.so.1", f"{prog}: interpreter", problems)
            check([(v["file"], [e["name"] for e in v["entries"]]) for v in P["version_needs"]] ==
                  [("libfoo.so.1", ["FOO_1.0", "FOO_2.0"])],
                  f"{prog}: version needs {P['version_needs']!r}", problems)
            check(P["dt_flags_1"] is not None and "PIE" in P["dt_flags_1"]["names"],
                  f"{prog}: FLAGS_1 {P['dt_flags_1']!r}", problems)

        # Extended section numbering: more sections than e_shnum can count.
        src = os.path.join(tmp, "many.c")
        with open(src, "w") as fh:
            for i in range(66000):
                fh.write(f"int f{i}(void){{return {i};}}\n")
        obj = os.path.join(tmp, "many.o")
        run(["clang-16", "-c", "-ffunction-sections", "-fno-asynchronous-unwind-tables",
             src, "-o", obj])
        j = inspect(args.ldpin, [obj])[obj]
        out = subprocess.run(["readelf", "-W", "-h", obj], capture_output=True, text=True,
                             env=readelf_compare.ENV).stdout
        want = [l for l in out.splitlines() if "Number of section headers" in l]
        count = int(want[0].split("(")[-1].rstrip(")")) if want and "(" in want[0] \
            else int(want[0].split(":")[1]) if want else -1
        check(len(j["sections"]) == count and count > 65280,
              f"{obj}: {len(j['sections'])} sections, readelf says {count}", problems)
        check(j["sections"][-1]["name"] != "" and j["warnings"] == [],
              f"{obj}: section names unreadable: {j['warnings']!r}", problems)
        checked += 1

    for p in problems:
        print(p)
    print(f"foreign ELF files: {checked} checked over {len(TARGETS)} targets, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
