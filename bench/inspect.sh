#!/usr/bin/env bash
# Benchmark: `ldpin inspect` on large shared libraries, beside readelf.
#
# Makes a 100 MiB shared library (100 MiB of initialised data and 20,000
# exported functions, so its dynamic symbol and string tables are large too),
# then times, with hyperfine (warm page cache, median of many runs):
#   ldpin inspect, ldpin inspect --json, readelf -d -V -n
# on it, on the real libLLVM-16.so.1 (~118 MiB) and on /usr/bin/ls; and the
# peak resident memory of each ldpin run. Prints a table and writes it to
# bench/results/inspect.md. Goal: well under 50 ms on the 100 MiB library.
# Needs the default build (build/bin/ldpin), hyperfine and gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
ldpin=build/bin/ldpin
[ -x "$ldpin" ] || { echo "ldpin: bench/inspect.sh: build first (cmake --build --preset default)" >&2; exit 1; }
work=$(mktemp -d /tmp/ldpin-bench-inspect.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$work/big.c" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("char big_data[100 << 20] = {1};\n")
    for i in range(20000):
        f.write(f"int big_fn_{i}(int x) {{ return x + {i}; }}\n")
PY
gcc -O0 -shared -fPIC -Wl,-soname,libbig.so.1 "$work/big.c" -o "$work/libbig.so.1"
big=$work/libbig.so.1
llvm=/usr/lib/x86_64-linux-gnu/libLLVM-16.so.1

out=bench/results/inspect.md
{
  echo "# ldpin inspect: wall time (median, warm cache) and peak memory"
  echo
  echo "Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)."
  echo
  echo "| file | size | ldpin inspect | ldpin inspect --json | readelf -d -V -n | ldpin peak RSS |"
  echo "|---|---|---|---|---|---|"
} >"$out.tmp"

median_ms() { # command... -> median wall time in ms
  hyperfine -N --warmup 5 --min-runs 30 --export-json "$work/h.json" "$*" >/dev/null 2>&1
  python3 -c "import json;print(f\"{json.load(open('$work/h.json'))['results'][0]['median']*1000:.2f} ms\")"
}
peak_rss() { # command... -> peak RSS of the command in MiB
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f} MiB")
PY
}

for f in "$big" "$llvm" /usr/bin/ls; do
  [ -f "$f" ] || continue
  size=$(python3 -c "import os,sys;print(f'{os.path.getsize(sys.argv[1])/2**20:.1f} MiB')" "$f")
  t_text=$(median_ms "$ldpin" inspect "$f")
  t_json=$(median_ms "$ldpin" inspect --json "$f")
  t_readelf=$(median_ms readelf -d -V -n "$f")
  rss=$(peak_rss "$ldpin" inspect --json "$f")
  name=$f; [ "$f" = "$big" ] && name="generated libbig.so.1"
  echo "| $name | $size | $t_text | $t_json | $t_readelf | $rss |" >>"$out.tmp"
done
mv "$out.tmp" "$out"
cat "$out"
