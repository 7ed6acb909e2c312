"""What the behaviour tests share: a registry of tests, assertions, running
commands, reading `ldpin inspect --json`, counting failed lookups under
strace, and the command line (--ldpin-ld, --ldpin, --only).

A test module registers its tests with @test (or a decorator built on it)
and ends with `sys.exit(harness.main(__doc__))`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ARGS = argparse.Namespace(ldpin_ld=None, ldpin=None, only=None)
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def sh(cmd, env=None, cwd=None, ok=True):
    res = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True,
                         text=True, env=env, cwd=cwd, timeout=300)
    if ok and res.returncode != 0:
        raise Failure(f"command failed ({res.returncode}): {cmd}\n{res.stdout}{res.stderr}")
    return res


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def inspect(path):
    res = sh([ARGS.ldpin, "inspect", "--json", path])
    return json.loads(res.stdout)["files"][0]


def failed_lookups(cmd, env=None):
    """Runs `cmd` under strace; returns (result, number of failed openat/stat).

    access() is not counted: glibc checks /etc/ld.so.preload with it at every
    start, whatever the program's libraries are.
    """
    with tempfile.NamedTemporaryFile(prefix="ldpin-strace-", delete=False) as t:
        log = t.name
    try:
        res = sh(["strace", "-f", "-qq", "-o", log, "-e",
                  "trace=open,openat,stat,lstat,newfstatat,statx"] + cmd,
                 env=env, ok=False)
        with open(log) as f:
            fails = sum(1 for line in f if "= -1 ENOENT" in line)
        return res, fails
    finally:
        os.unlink(log)


class Tree:
    """A temporary tree: a fake store (NIX_STORE), a build directory
    (NIX_BUILD_TOP and TMPDIR) and a wrapper package whose bin/ld is ldpin-ld
    running `linker`, with an environment free of the caller's NIX_* and
    LDPIN_* settings."""

    def __init__(self, prefix, linker):
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.store = os.path.join(self.root, "store")
        self.build = os.path.join(self.root, "build")
        self.wrap = os.path.join(self.root, "wrap")
        for d in (self.store, self.build, os.path.join(self.wrap, "bin"),
                  os.path.join(self.wrap, "nix-support")):
            os.makedirs(d)
        os.symlink(os.path.abspath(ARGS.ldpin_ld), os.path.join(self.wrap, "bin", "ld"))
        self.use_linker(linker)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("NIX_", "LDPIN_"))}
        self.env.update(NIX_STORE=self.store, NIX_BUILD_TOP=self.build, TMPDIR=self.build)

    def use_linker(self, path):
        write(os.path.join(self.wrap, "nix-support", "ldpin-linker"), path + "\n")

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def in_tree(make):
    """A decorator: the test gets a tree of its own, `make()`, closed after."""
    def decorate(fn):
        def run():
            t = make()
            try:
                fn(t)
            finally:
                t.close()
        run.__name__ = fn.__name__
        return test(run)
    return decorate


def main(doc):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--ldpin-ld")
    ap.add_argument("--ldpin")
    ap.add_argument("--only", help="run the test of this name, or else the "
                    "tests whose name contains it")
    ap.add_argument("--list", action="store_true",
                    help="print the tests' names, one a line (CTest registers "
                    "one entry per test from this)")
    vars(ARGS).update(vars(ap.parse_args()))
    if ARGS.list:
        for t in TESTS:
            print(t.__name__)
        return 0
    if not ARGS.ldpin_ld or not ARGS.ldpin:
        ap.error("--ldpin-ld and --ldpin are required")
    names = {t.__name__ for t in TESTS}
    passed = failed = 0
    for t in TESTS:
        if ARGS.only and (t.__name__ != ARGS.only if ARGS.only in names
                          else ARGS.only not in t.__name__):
            continue
        try:
            t()
            passed += 1
            print(f"ok: {t.__name__}")
        except Failure as e:
            failed += 1
            print(f"FAILED: {t.__name__}: {e}")
        except Exception:
            failed += 1
            print(f"FAILED: {t.__name__}:\n{traceback.format_exc()}")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    if passed + failed == 0:
        print(f"no test is named {ARGS.only!r}")
        return 1
    return 1 if failed else 0
