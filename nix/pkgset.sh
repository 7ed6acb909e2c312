#!/usr/bin/env bash
# Builds the package set with nix-build twice, through ldpin and the stock
# nixpkgs way, then compares them per program: bare DT_NEEDED left, RUNPATH
# entries, failed openat/stat calls at start-up (strace), start-up time,
# runtime closure size. Every ELF file of the ldpin build must pass
# `ldpin check --require-pinned --max-probes 0` and load with the set's
# `ld.so --list`, and every program
# must start with no failed lookup; the script exits 1 otherwise.
#
# Usage: nix/pkgset.sh [--packages "zlib libpng ..."] [--out FILE]
#   --packages  attributes of nix/pkgs to build (default: all of them)
#   --out       also write the table there (markdown)
# Needs the default CMake build (build/bin) and a Nix store
# (nix/setup-store.sh); fetches the sources (nix/fetch-sources.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
packages="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --packages) packages=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ldpin: pkgset.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x build/bin/ldpin-ld ] || { echo "ldpin: pkgset.sh: build first (cmake --build --preset default)" >&2; exit 2; }
if [ -z "$packages" ]; then
  packages=$(nix-instantiate --eval --json -E \
    'builtins.attrNames (removeAttrs (import ./nix/pkgs { hostHash = ""; }) [ "stdenv" "shell" ])' | tr -d '[]"' | tr ',' ' ')
fi
bash nix/fetch-sources.sh >/dev/null
hostHash=$(bash nix/host-hash.sh)
# The binaries as they are now, for every build of this run: a rebuild of
# build/ meanwhile changes nothing here.
# bin/ and lib/ (the audit modules), as the harness's ldpin package takes
# them (ldpinBin's sibling lib/).
snapshot=$(mktemp -d /tmp/ldpin-pkgset-build-XXXXXX)
trap 'rm -rf "$snapshot"' EXIT
bin=$snapshot/bin
mkdir "$bin" "$snapshot/lib"
cp build/bin/ldpin build/bin/ldpin-ld "$bin/"
cp -a build/lib/libldpin-audit.so build/lib/ldpin-audit "$snapshot/lib/"
ldpin=$bin/ldpin
declare -A result
for linking in ldpin stock; do
  for p in $packages; do
    echo "== nix-build $p ($linking)" >&2
    path=$(bash nix/build.sh --no-out-link nix/pkgs -A "$p" --argstr hostHash "$hostHash" \
      --argstr linking "$linking" --arg ldpinBin "$bin" 2> "/tmp/ldpin-pkgset-$p-$linking.log") || {
      tail -30 "/tmp/ldpin-pkgset-$p-$linking.log" >&2
      echo "ldpin: pkgset.sh: $p ($linking) failed to build; log: /tmp/ldpin-pkgset-$p-$linking.log" >&2
      exit 1
    }
    result[$p/$linking]=$path
  done
done

status=0
# Every ldpin output passes check with nothing left to pin and no failed
# probe predicted for any search its start-up makes.
for p in $packages; do
  if ! "$ldpin" check --require-pinned --max-probes 0 "${result[$p/ldpin]}" >/dev/null; then
    "$ldpin" check --require-pinned --max-probes 0 "${result[$p/ldpin]}" >&2 || true
    status=1
  fi
done

loader=$(bash nix/build.sh --no-out-link nix/pkgs -A stdenv.glibc --argstr hostHash "$hostHash" \
  2>/dev/null)/lib/ld-linux-x86-64.so.2
# What `ldpin check` accepted must be what the loader loads: every dynamic
# ELF file of every output of both builds, through the set's ld.so --list.
roots=()
for p in $packages; do roots+=("${result[$p/ldpin]}" "${result[$p/stock]}"); done
python3 nix/loads-check.py "$ldpin" "$loader" "${roots[@]}" >&2 || status=1
table=$(mktemp)
trap 'rm -rf "$table" "$snapshot"' EXIT
# Start-up times: this many runs of each build's program, interleaved.
runs=21
export LDPIN_STARTUP_RUNS=$runs
{
  echo "| package | program | build | bare NEEDED | RUNPATH entries | failed library lookups | start-up (median of $runs, interleaved) | ldpin / stock (median of the pairs' ratios) | runtime closure |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for p in $packages; do
    # The runtime closure: ldpin's may hold no store path (by name) that the
    # stock one does not; its bytes differ by the records' reserved space.
    declare -A closure=() names=()
    for linking in ldpin stock; do
      paths=$(nix-store -qR "${result[$p/$linking]}")
      closure[$linking]="$(echo "$paths" | wc -l) paths, $(echo "$paths" | xargs du -scb 2>/dev/null | tail -1 | cut -f1)"
      names[$linking]=$(echo "$paths" | sed 's|^/nix/store/[a-z0-9]*-||' | sort)
    done
    extra=$(comm -23 <(echo "${names[ldpin]}") <(echo "${names[stock]}"))
    if [ -n "$extra" ]; then
      echo "ldpin: $p: the ldpin build keeps store paths the stock one does not: $extra" >&2
      status=1
    fi
    ours=${result[$p/ldpin]} theirs=${result[$p/stock]}
    # Every program of bin/ (else the first library of lib/), the same
    # file of both builds.
    progs=$(cd "$ours" && find bin -maxdepth 1 -type f -perm -u+x 2>/dev/null | sort || true)
    [ -n "$progs" ] || progs=$(cd "$ours" && find lib -maxdepth 1 -name '*.so.*' -type f 2>/dev/null | sort | head -1)
    for rel in $progs; do
      head -c4 "$ours/$rel" | grep -q ELF || continue
      python3 nix/program-row.py "$ldpin" "$loader" "$p" "$(basename "$rel")" "$ours/$rel" "$theirs/$rel" \
        "${closure[ldpin]}" "${closure[stock]}" || status=1
    done
    # The package's checks that load modules (passthru.loadChecks: a name
    # and a command each, @out@ the package's output; none when it has
    # none). An evaluation error fails the run.
    for linking in ldpin stock; do
      nix-instantiate --eval --strict --json \
        -E "{ ... }@args: (import ./nix/pkgs args).\"$p\".passthru.loadChecks or [ ]" \
        --argstr hostHash "$hostHash" --argstr linking "$linking" --arg ldpinBin "$bin" \
        > "$snapshot/checks-$linking.json"
    done
    python3 - "$snapshot" "$ours" "$theirs" <<'PY' > "$snapshot/checks.tsv"
import json, sys
d, ours, theirs = sys.argv[1:]
a = json.load(open(f"{d}/checks-ldpin.json"))
b = json.load(open(f"{d}/checks-stock.json"))
for x, y in zip(a, b):
    print("\t".join([x["name"], json.dumps([s.replace("@out@", ours) for s in x["command"]]),
                     json.dumps([s.replace("@out@", theirs) for s in y["command"]])]))
PY
    while IFS=$'\t' read -r name mine stock; do
      python3 nix/program-row.py --command "$ldpin" "$loader" "$p" "$name" "$mine" "$stock" \
        "${closure[ldpin]}" "${closure[stock]}" || status=1
    done < "$snapshot/checks.tsv"
  done
  # What the record and the reserved string space cost: the bytes of the
  # ELF files of both builds.
  python3 - "${roots[@]}" <<'PY'
import os, sys
size, count = {"ldpin": 0, "stock": 0}, {"ldpin": 0, "stock": 0}
for i, root in enumerate(sys.argv[1:]):
    side = "ldpin" if i % 2 == 0 else "stock"
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        size[side] += os.path.getsize(p)
                        count[side] += 1
extra = size["ldpin"] - size["stock"]
print(f"\nELF files: ldpin {count['ldpin']} files, {size['ldpin']} bytes; stock {count['stock']} files, "
      f"{size['stock']} bytes; ldpin's record and reserved space: {extra:+d} bytes "
      f"({100.0 * extra / max(size['stock'], 1):+.1f} %, {extra / max(count['ldpin'], 1):+.0f} bytes per file)")
PY
} > "$table"
cat "$table"
# The comparison means something only if the stock build shows the storm.
if ! awk -F'|' '$4 ~ /stock/ && $7 + 0 > 0 { found = 1 } END { exit !found }' "$table"; then
  echo "ldpin: pkgset.sh: no stock program made a failed lookup: the baseline is not the stock one" >&2
  status=1
fi
[ -z "$out" ] || cp "$table" "$out"
exit $status
