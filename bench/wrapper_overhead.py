#!/usr/bin/env python3
"""Benchmark: what ldpin-ld adds to a link, including the post-link edit.

For links of 30 and 300 shared libraries, each in its own store-like
directory (-L and -rpath per directory, as nixpkgs passes them), the same gcc
link is run directly (gcc -B DIRECT/bin/, DIRECT/bin/ld a symbolic link to
LINKER) and through ldpin-ld (gcc -B WRAP/bin/, WRAP/bin/ld = ldpin-ld
running LINKER), with GNU ld (bfd) and mold: both find `ld` the same way,
through -B, as a Nix cc-wrapper finds its bintools wrapper's, so they differ
by ldpin-ld alone (gcc -fuse-ld=LINKER would not pay what -B costs gcc). The two are run alternately, RUNS times each, and the median of the
paired differences is the overhead: alternating cancels the drift of a shared
machine, which the difference of two separately measured medians does not.
A second table gives ldpin-ld's own phases as it reports them with
LDPIN_TIMING=1 (median, in runs of their own: the timed links above run
without it, as users do): everything it does besides waiting for the linker,
plus its start-up (being a process between the compiler driver and the
linker, measured as `ldpin-ld --version` running /bin/true, minus /bin/true).
The libraries are read on a second thread while the linker runs; that time
is shown apart, as it is not added to the link unless the linker finishes
first.

Because a 300-library link varies from run to run by far more than 5 ms,
the overhead is also measured within each run, where that spread cancels:
a timer (the smallest wrapper below, asked to report) stands between gcc
and ldpin-ld and gives
ldpin-ld's wall time from its parent's side, start to exit, and ldpin-ld
(LDPIN_TIMING=1) gives how long the real linker ran inside it; the
difference is what ldpin-ld added to that link.

For scale, a third link goes through the smallest possible wrapper: a
static C program that only runs the linker (vfork, exec, wait) and does
nothing else. What it adds is the cost of being one more process between
gcc and the linker on this machine, the floor under any wrapper's overhead;
the table gives ldpin-ld's overhead beyond it too.

The paired differences are noisy on a shared machine (their interquartile
range spans several milliseconds), so the table gives the median with a 95%
bootstrap confidence interval; --runs and --runs-300 set how many runs of
each link there are for 30 and for 300 libraries (a 300-library link takes
hundreds of milliseconds, and its run-to-run spread is far wider than 5 ms).

Goals: under 2 ms (30 libraries) and under 5 ms (300). For scale, nixpkgs'
bash ld-wrapper was measured adding 35 ms and 160 ms to the same links.
Prints the tables and writes them to bench/results/wrapper-overhead.md.
Needs the default build, gcc and mold.

Usage: bench/wrapper_overhead.py [--runs N] [--runs-300 N]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LDPIN_LD = os.path.join(ROOT, "build", "bin", "ldpin-ld")
LINKERS = {"bfd": "/usr/bin/ld.bfd", "mold": "/usr/bin/mold"}


def make_set(work, n):
    store = os.path.join(work, "store")
    flags = []
    for i in range(n):
        d = os.path.join(store, f"{i:032d}-lib{i}-1.0", "lib")
        if not os.path.exists(os.path.join(d, f"liblib{i}.so")):
            os.makedirs(d, exist_ok=True)
            src = os.path.join(work, f"l{i}.c")
            with open(src, "w") as f:
                f.write(f"int f{i}(void) {{ return {i}; }}\n")
            subprocess.run(["gcc", "-shared", "-fPIC", src, f"-Wl,-soname,liblib{i}.so.1",
                            "-o", os.path.join(d, f"liblib{i}.so.1")], check=True)
            os.symlink(f"liblib{i}.so.1", os.path.join(d, f"liblib{i}.so"))
        flags += [f"-L{d}", f"-llib{i}", f"-Wl,-rpath,{d}"]
    main = os.path.join(work, f"main{n}.c")
    with open(main, "w") as f:
        f.write("".join(f"int f{i}(void);\n" for i in range(n)))
        f.write("int main(void) { int s = 0;\n")
        f.write("".join(f"s += f{i}();\n" for i in range(n)))
        f.write("return s == 0; }\n")
    obj = os.path.join(work, f"main{n}.o")
    subprocess.run(["gcc", "-c", main, "-o", obj], check=True)
    return [obj] + flags


# The smallest wrapper: runs RUN_TARGET with its own arguments (vfork, exec,
# wait) and does nothing else. With RUN_REPORT=1 it also gives the target's
# wall time as its parent sees it, from starting it to reaping it: as the
# timer in front of ldpin-ld.
MINIMAL_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
static double ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
int main(int argc, char **argv) {
  const char *target = getenv("RUN_TARGET");
  if (!target || argc < 1)
    return 127;
  const char *report = getenv("RUN_REPORT");
  int reporting = report && report[0] == '1';
  argv[0] = (char *)target;
  double start = reporting ? ms() : 0;
  pid_t pid = vfork();
  if (pid == 0) {
    execve(target, argv, environ);
    _exit(127);
  }
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return 127;
  if (reporting)
    fprintf(stderr, "ldpin-ld: timing: wall %.3f ms\n", ms() - start);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
"""


def make_minimal(work):
    """MINIMAL_C as WORK/minimal/bin/ld; returns WORK/minimal."""
    d = os.path.join(work, "minimal", "bin")
    os.makedirs(d)
    src = os.path.join(work, "minimal.c")
    with open(src, "w") as f:
        f.write(MINIMAL_C)
    subprocess.run(["gcc", "-O2", "-static", src, "-o", os.path.join(d, "ld")], check=True)
    return os.path.dirname(d)


def timed(cmd, env):
    start = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if res.returncode != 0:
        sys.exit(f"ldpin: bench: {' '.join(cmd[:3])}... failed:\n{res.stderr}")
    return elapsed, res.stderr


def phases(stderr):
    out = {}
    for line in stderr.splitlines():
        if line.startswith("ldpin-ld: timing: "):
            _, _, name, value, _ = line.split()
            out[name] = float(value)
    return out


def median_ci(values, rounds=2000):
    """The median of `values` and a 95% bootstrap interval for it."""
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(values, k=len(values)))
                  for _ in range(rounds))
    return statistics.median(values), meds[int(0.025 * rounds)], meds[int(0.975 * rounds)]


def startup_ms(env, runs):
    true = shutil.which("true")
    e = dict(env, LDPIN_LINKER=true)
    own, base = [], []
    for _ in range(runs):
        own.append(timed([LDPIN_LD, "--version"], e)[0])
        base.append(timed([true], e)[0])
    return statistics.median(own) - statistics.median(base)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="runs of each link at 30 libraries")
    ap.add_argument("--runs-300", type=int, default=100, help="runs of each link at 300 libraries")
    args = ap.parse_args()
    if not os.access(LDPIN_LD, os.X_OK):
        sys.exit("ldpin: bench: build first (cmake --build --preset default)")
    work = tempfile.mkdtemp(prefix="ldpin-bench-wrap-")
    try:
        wrap = os.path.join(work, "wrap")
        os.makedirs(os.path.join(wrap, "bin"))
        os.makedirs(os.path.join(wrap, "nix-support"))
        os.symlink(LDPIN_LD, os.path.join(wrap, "bin", "ld"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LDPIN_", "NIX_"))}
        env.update(NIX_STORE=os.path.join(work, "store"), TMPDIR=work)
        start = startup_ms(env, 200)
        minimal = make_minimal(work)
        rows, phase_rows = [], []
        for n in (30, 300):
            inputs = make_set(work, n)
            for linker, path in LINKERS.items():
                with open(os.path.join(wrap, "nix-support", "ldpin-linker"), "w") as f:
                    f.write(path + "\n")
                real = os.path.join(work, "direct", "bin", "ld")
                os.makedirs(os.path.dirname(real), exist_ok=True)
                if os.path.lexists(real):
                    os.unlink(real)
                os.symlink(path, real)
                direct = ["gcc", f"-B{os.path.dirname(real)}/"] + inputs + ["-o", os.path.join(work, "d")]
                wrapped = ["gcc", f"-B{wrap}/bin/"] + inputs + ["-o", os.path.join(work, "w")]
                floored = ["gcc", f"-B{minimal}/bin/"] + inputs + ["-o", os.path.join(work, "f")]
                fenv = dict(env, RUN_TARGET=path)
                for _ in range(3):  # warm up
                    timed(direct, env)
                    timed(wrapped, env)
                    timed(floored, fenv)
                diffs, floor_diffs, beyond, d_times, w_times = [], [], [], [], []
                runs = args.runs if n == 30 else args.runs_300
                for i in range(runs):
                    # The three in turn, each order as often: drift cancels.
                    got = {}
                    for kind in ("direct", "wrapped", "floor")[i % 3:] + \
                            ("direct", "wrapped", "floor")[:i % 3]:
                        if kind == "direct":
                            got[kind], _ = timed(direct, env)
                        elif kind == "wrapped":
                            got[kind], _ = timed(wrapped, env)
                        else:
                            got[kind], _ = timed(floored, fenv)
                    diffs.append(got["wrapped"] - got["direct"])
                    floor_diffs.append(got["floor"] - got["direct"])
                    beyond.append(got["wrapped"] - got["floor"])
                    d_times.append(got["direct"])
                    w_times.append(got["wrapped"])
                # The phases, and the time ldpin-ld adds within each run: its
                # wall time as its parent sees it minus the real linker's run
                # inside it, so the linker's run-to-run spread cancels.
                tenv = dict(env, LDPIN_TIMING="1", RUN_TARGET=LDPIN_LD, RUN_REPORT="1",
                            LDPIN_LINKER=path)
                timed_link = ["gcc", f"-B{minimal}/bin/"] + inputs + ["-o", os.path.join(work, "w")]
                ph = [phases(timed(timed_link, tenv)[1]) for _ in range(runs)]
                added = [p["wall"] - p["linker"] for p in ph]
                if subprocess.run([os.path.join(work, "w")]).returncode != 0:
                    sys.exit("ldpin: bench: the program linked through ldpin-ld does not run")
                med = {k: statistics.median(p.get(k, 0) for p in ph) for k in ph[0]}
                serial = ("setup", "prepare", "response-file", "preload-check", "relink", "edit")
                own = start + sum(med.get(k, 0) for k in serial)
                goal = "< 2 ms" if n == 30 else "< 5 ms"
                mid, lo, hi = median_ci(diffs)
                fmid, flo, fhi = median_ci(floor_diffs)
                bmid, blo, bhi = median_ci(beyond)
                rows.append(f"| {n} | {linker} | {statistics.median(d_times):.1f} ms | "
                            f"{statistics.median(w_times):.1f} ms | "
                            f"{mid:+.2f} ms ({lo:+.2f} to {hi:+.2f}) | {goal} | "
                            f"{fmid:+.2f} ms ({flo:+.2f} to {fhi:+.2f}) | "
                            f"{bmid:+.2f} ms ({blo:+.2f} to {bhi:+.2f}) |")
                amid, alo, ahi = median_ci(added)
                phase_rows.append(f"| {n} | {linker} | {start:.2f} | {med['setup']:.2f} | "
                                  f"{med['prepare']:.2f} | {med.get('preload-check', 0):.2f} | "
                                  f"{med.get('edit', 0):.2f} | "
                                  f"**{own:.2f} ms** | **{amid:.2f} ms** ({alo:.2f} to {ahi:.2f}) | "
                                  f"{goal} | {med.get('resolve-parallel', 0):.2f} |")
        text = "\n".join([
            "# ldpin-ld overhead over the real linker",
            "",
            f"Machine: {os.cpu_count()} cores, {os.uname().machine}, "
            f"{time.strftime('%Y-%m-%d', time.gmtime())}. Warm page cache.",
            "",
            "## Whole link, gcc driving the linker directly or through ldpin-ld",
            "",
            f"Median of {args.runs} (30 libraries) / {args.runs_300} (300) "
            "interleaved runs of each, with its 95% bootstrap confidence interval. "
            "The floor: a do-nothing static wrapper (vfork, exec, wait) in ldpin-ld's place.",
            "",
            "| libraries | linker | direct | through ldpin-ld | overhead (median of pairs, 95% CI) | goal "
            "| floor: do-nothing wrapper's overhead | ldpin-ld beyond the floor |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "## ldpin-ld's own time (LDPIN_TIMING=1, median, ms)",
            "",
            "start-up, setup, prepare, the preload check (after the link: whether a library "
            "the output loads would search for one of its own, see the README) and edit add "
            "up to `total`; `added within the run` is "
            "ldpin-ld's wall time as its parent sees it (start to exit) minus the real "
            "linker's run inside it, median with its 95% CI.",
            "",
            "| libraries | linker | start-up | setup | prepare | preload check | edit | total "
            "| added within the run | goal | reading the libraries, beside the linker |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *phase_rows,
            "",
        ])
        print(text)
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "wrapper-overhead.md"), "w") as f:
            f.write(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
