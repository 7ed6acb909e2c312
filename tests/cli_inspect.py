#!/usr/bin/env python3
"""The `ldpin` binary as users call it: help, usage errors, files that are
not regular (a FIFO must not hang it), a file it may not read, and the JSON
document on stdout. Every check is an assertion; the exit status is 1 on the
first failure.

Usage: cli_inspect.py --ldpin PATH --prog ELF
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def expect(cond, msg):
    if not cond:
        print("FAILED:", msg)
        sys.exit(1)
    print("ok:", msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ldpin", required=True)
    ap.add_argument("--prog", required=True)
    a = ap.parse_args()
    ldpin = a.ldpin

    r = run([ldpin, "--help"])
    expect(r.returncode == 0 and "inspect" in r.stdout, "--help lists the subcommands")
    r = run([ldpin, "inspect", "--help"])
    expect(r.returncode == 0 and "--json" in r.stdout and "FILE" in r.stdout,
           "inspect --help explains FILE and --json")
    r = run([ldpin])
    expect(r.returncode != 0 and "subcommand" in r.stderr.lower(),
           "no subcommand is a usage error")
    r = run([ldpin, "inspect"])
    expect(r.returncode != 0 and "FILE" in r.stderr, "inspect without FILE is a usage error")
    r = run([ldpin, "inspect", "--bogus", a.prog])
    expect(r.returncode != 0 and "--bogus" in r.stderr, "an unknown option is named")

    with tempfile.TemporaryDirectory(prefix="ldpin-cli-") as tmp:
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        r = run([ldpin, "inspect", fifo])
        expect(r.returncode == 1 and r.stderr == f"ldpin: {fifo}: not a regular file\n",
               "a FIFO is refused without blocking")

        secret = os.path.join(tmp, "secret")
        shutil.copy(a.prog, secret)
        os.chmod(secret, 0)
        os.chmod(tmp, 0o755)
        cmd = [ldpin, "inspect", secret]
        if os.geteuid() == 0:
            # root reads everything; ask as an unprivileged user instead.
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        r = run(cmd)
        expect(r.returncode == 1 and
               r.stderr == f"ldpin: {secret}: cannot read: Permission denied\n",
               f"an unreadable file says so: {r.stderr.strip()}")

        r = run([ldpin, "inspect", "--json", a.prog, "/nonexistent"])
        doc = json.loads(r.stdout)
        expect(r.returncode == 1 and doc["schema"] == "ldpin-inspect/1" and
               doc["files"][0]["path"] == a.prog and "error" in doc["files"][1],
               "--json prints one document with an error entry and exits 1")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
