#!/usr/bin/env python3
"""Compare `ldpin inspect --json` with binutils' readelf, file by file.

For every ELF file named (directories are walked; symbolic links are skipped
so that each file is read once) it runs `readelf -W -h -l -d -V -n` and checks
that ldpin reports the same class, byte order, type, entry point, program
headers, interpreter, dynamic entries (tags, values, strings, flag names),
version needs and definitions, and notes (section, owner, size, build-id).

Any disagreement is printed with the file and the field, and the exit status
is 1. Warnings readelf prints are shown but do not fail the comparison.

Usage: readelf_compare.py --ldpin PATH [--min-files N] [--every K] PATH...
"""
import argparse
import json
import os
import re
import subprocess
import sys

ENV = dict(os.environ, LC_ALL="C")
BATCH = 100


def elf_files(paths, every):
    found = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    found.append(os.path.join(root, f))
        else:
            found.append(p)
    out = []
    for p in found:
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        try:
            with open(p, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(p)
        except OSError:
            continue
    return out[::every]


def num(s):
    s = s.strip()
    return int(s, 16) if s.lower().startswith("0x") else int(s)


class Readelf:
    """The facts readelf prints about one file."""

    def __init__(self):
        self.header = {}
        self.segments = []
        self.interpreter = None
        self.dynamic = None  # list of (tag, text) or None
        self.dynamic_count = None
        self.verneed = []  # [(file, version, [(name, flags, index)])]
        self.verdef = []  # [(index, flags, [names])]
        self.notes = []  # [(section or None, owner, size)]
        self.build_ids = []
        self.warnings = []


SEG_RE = re.compile(
    r"^\s+(\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) "
    r"0x([0-9a-f]+) 0x([0-9a-f]+) (.{3}) (0x[0-9a-f]+|0)$")
DYN_RE = re.compile(r"^\s*0x([0-9a-f]+) \((\S+)\)\s+(.*)$")
VN_FILE_RE = re.compile(r"^\s*[0-9a-fx]+: Version: (\d+)\s+File: (.*?)\s+Cnt: (\d+)$")
VN_AUX_RE = re.compile(r"^\s*0x[0-9a-f]+:\s+Name: (.*?)\s+Flags: (.*?)\s+Version: (\d+)$")
VD_RE = re.compile(
    r"^\s*[0-9a-fx]+: Rev: (\d+)\s+Flags: (.*?)\s+Index: (\d+)\s+Cnt: (\d+)\s+Name: (.*)$")
VD_PARENT_RE = re.compile(r"^\s*0x[0-9a-f]+: Parent \d+: (.*)$")
NOTE_RE = re.compile(r"^  (\S.*?)\s+0x([0-9a-f]{8})\t(.*)$")


def parse_readelf(text):
    r = Readelf()
    mode = None
    section = None
    for line in text.splitlines():
        if line.startswith("readelf: Warning") or line.startswith("readelf: Error"):
            r.warnings.append(line)
            continue
        if line.startswith("ELF Header:"):
            mode = "h"
            continue
        if line.startswith("Program Headers:"):
            mode = "l"
            continue
        if line.startswith(" Section to Segment mapping"):
            mode = None
            continue
        m = re.match(r"^Dynamic section at offset 0x[0-9a-f]+ contains (\d+) entr", line)
        if m:
            mode = "d"
            r.dynamic = []
            r.dynamic_count = int(m.group(1))
            continue
        if line.startswith("Version needs section"):
            mode = "vn"
            continue
        if line.startswith("Version definition section"):
            mode = "vd"
            continue
        if line.startswith("Version symbols section"):
            mode = None
            continue
        m = re.match(r"^Displaying notes found (?:in: (\S+)|at file offset)", line)
        if m:
            mode = "n"
            section = m.group(1)
            continue
        if mode == "h":
            m = re.match(r"^\s+([^:]+):\s+(.*)$", line)
            if m:
                r.header[m.group(1).strip()] = m.group(2).strip()
        elif mode == "l":
            m = SEG_RE.match(line)
            if m:
                r.segments.append({
                    "type": m.group(1), "offset": int(m.group(2), 16),
                    "vaddr": int(m.group(3), 16), "paddr": int(m.group(4), 16),
                    "filesz": int(m.group(5), 16), "memsz": int(m.group(6), 16),
                    "flags": m.group(7), "align": num(m.group(8))})
            m = re.match(r"^\s+\[Requesting program interpreter: (.*)\]$", line)
            if m:
                r.interpreter = m.group(1)
        elif mode == "d":
            m = DYN_RE.match(line)
            if m:
                r.dynamic.append((int(m.group(1), 16), m.group(2), m.group(3)))
        elif mode == "vn":
            m = VN_FILE_RE.match(line)
            if m:
                r.verneed.append((m.group(2), int(m.group(1)), []))
                continue
            m = VN_AUX_RE.match(line)
            if m and r.verneed:
                r.verneed[-1][2].append((m.group(1), m.group(2), int(m.group(3))))
        elif mode == "vd":
            m = VD_RE.match(line)
            if m:
                r.verdef.append((int(m.group(3)), m.group(2), [m.group(5)]))
                continue
            m = VD_PARENT_RE.match(line)
            if m and r.verdef:
                r.verdef[-1][2].append(m.group(1))
        elif mode == "n":
            # With -W the description follows on the same line.
            m = NOTE_RE.match(line)
            if m:
                r.notes.append((section, m.group(1), int(m.group(2), 16)))
            m = re.search(r"\bBuild ID: ([0-9a-f]+)$", line)
            if m:
                r.build_ids.append(m.group(1))
    return r


PF = {"R": 4, "W": 2, "E": 1}


def seg_flags(text):
    v = 0
    for c in text:
        v |= PF.get(c, 0)
    return v


def compare(path, j, r, problems):
    def bad(field, ours, theirs):
        ours, theirs = repr(ours), repr(theirs)
        if len(ours) + len(theirs) > 400:
            ours, theirs = ours[:200] + "...", theirs[:200] + "..."
        problems.append(f"{path}: {field}: ldpin says {ours}, readelf says {theirs}")

    h = r.header
    if h:
        cls = {"ELF32": 32, "ELF64": 64}.get(h.get("Class"))
        if cls != j["class"]:
            bad("class", j["class"], h.get("Class"))
        endian = "little" if "little" in h.get("Data", "") else "big"
        if endian != j["endian"]:
            bad("endian", j["endian"], h.get("Data"))
        if not h.get("Type", "").startswith(j["type"]):
            bad("type", j["type"], h.get("Type"))
        if "Entry point address" in h and num(h["Entry point address"]) != j["entry"]:
            bad("entry", j["entry"], h["Entry point address"])

    ours = j["segments"]
    if len(ours) != len(r.segments):
        bad("program header count", len(ours), len(r.segments))
    else:
        for i, (a, b) in enumerate(zip(ours, r.segments)):
            for k in ("offset", "vaddr", "paddr", "filesz", "memsz", "align"):
                if a[k] != b[k]:
                    bad(f"segment {i} {k}", a[k], b[k])
            if (a["flags"] & 7) != seg_flags(b["flags"]):
                bad(f"segment {i} flags", a["flags"], b["flags"])
    if j["interpreter"] != r.interpreter:
        bad("interpreter", j["interpreter"], r.interpreter)

    dyn = j["dynamic"]
    if (dyn is None) != (r.dynamic is None):
        bad("dynamic section present", dyn is not None, r.dynamic is not None)
    elif dyn is not None:
        entries = dyn["entries"]
        if len(entries) != r.dynamic_count:
            bad("dynamic entry count", len(entries), r.dynamic_count)
        for i, (e, (tag, name, text)) in enumerate(zip(entries, r.dynamic)):
            if e["tag"] % (1 << 64) != tag:
                bad(f"dynamic[{i}] tag", hex(e["tag"] % (1 << 64)), hex(tag))
                continue
            m = re.match(r"^[A-Za-z ]+: \[(.*)\]$", text)
            if "string" in e or m:
                if not m or e.get("string") != m.group(1):
                    bad(f"dynamic[{i}] {name} string", e.get("string"), text)
                continue
            if name in ("FLAGS", "FLAGS_1"):
                flags = j["dt_flags" if name == "FLAGS" else "dt_flags_1"]
                # FLAGS prints the names alone, FLAGS_1 after "Flags:".
                theirs = text.removeprefix("Flags:").split()
                if flags is None or flags["value"] != e["value"] or flags["names"] != theirs:
                    bad(f"dynamic[{i}] {name}", flags, text)
                continue
            m = re.match(r"^(0x[0-9a-f]+|\d+)(?: \(bytes\))?$", text)
            if m and num(m.group(1)) != e["value"]:
                bad(f"dynamic[{i}] {name} value", e["value"], text)

    vn = [(v["file"], v["version"],
           [(a["name"], a["flags"], a["index"]) for a in v["entries"]])
          for v in j["version_needs"]]
    theirs = [(f, ver, [(n, fl, idx) for (n, fl, idx) in aux]) for (f, ver, aux) in r.verneed]
    if [(f, ver, [(n, idx) for (n, _, idx) in aux]) for (f, ver, aux) in vn] != \
            [(f, ver, [(n, idx) for (n, _, idx) in aux]) for (f, ver, aux) in theirs]:
        bad("version needs", vn, theirs)
    for (f, _, aux), (_, _, taux) in zip(vn, theirs):
        for (n, fl, _), (_, tfl, _) in zip(aux, taux):
            if (fl == 0) != (tfl == "none"):
                bad(f"version need {f} {n} flags", fl, tfl)

    vd = [(v["index"], v["names"], v["flags"]) for v in j["version_defs"]]
    tvd = [(idx, names, fl) for (idx, fl, names) in r.verdef]
    if [(i, n) for (i, n, _) in vd] != [(i, n) for (i, n, _) in tvd]:
        bad("version definitions", vd, tvd)
    for (i, _, fl), (_, _, tfl) in zip(vd, tvd):
        if bool(fl & 1) != ("BASE" in tfl):
            bad(f"version definition {i} flags", fl, tfl)

    # readelf decodes the binary owner names of GNU build attribute notes
    # ("GA$<version>3p1113"); only their "GA" prefix is comparable.
    def owner(o):
        return "GA" if o.startswith("GA") else o
    notes = [(n["section"], owner(n["owner"]), n["size"]) for n in j["notes"]]
    if notes != [(sec, owner(o), size) for (sec, o, size) in r.notes]:
        bad("notes", notes, r.notes)
    ids = [n["desc"] for n in j["notes"] if n["kind"] == "gnu-build-id"]
    if ids != r.build_ids:
        bad("build-id notes", ids, r.build_ids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ldpin", required=True)
    ap.add_argument("--every", type=int, default=1,
                    help="check every K-th ELF file found (default: all)")
    ap.add_argument("--min-files", type=int, default=1,
                    help="fail unless at least this many ELF files were checked")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    files = elf_files(args.paths, args.every)
    problems = []
    for start in range(0, len(files), BATCH):
        batch = files[start:start + BATCH]
        res = subprocess.run([args.ldpin, "inspect", "--json", *batch],
                             capture_output=True, text=True, env=ENV)
        doc = json.loads(res.stdout)
        if doc.get("schema") != "ldpin-inspect/1":
            problems.append(f"unexpected schema {doc.get('schema')!r}")
        for path, j in zip(batch, doc["files"]):
            if j.get("path") != path:
                problems.append(f"{path}: out of order in the JSON output")
                continue
            if "error" in j:
                problems.append(f"{path}: ldpin failed: {j['error']}")
                continue
            out = subprocess.run(["readelf", "-W", "-h", "-l", "-d", "-V", "-n", path],
                                 capture_output=True, text=True, env=ENV,
                                 errors="replace")
            r = parse_readelf(out.stdout + out.stderr)
            # readelf also warns about note contents it decodes (annobin's
            # "gap in build notes"); the structure is still compared.
            for w in r.warnings:
                print(f"{path}: note: {w}")
            compare(path, j, r, problems)
    for p in problems[:200]:
        print(p)
    if len(problems) > 200:
        print(f"... and {len(problems) - 200} more")
    print(f"readelf comparison: {len(files)} ELF files, {len(problems)} disagreements")
    if len(files) < args.min_files:
        print(f"expected at least {args.min_files} ELF files")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
