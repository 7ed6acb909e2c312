#!/usr/bin/env bash
# The main job. For now (the Nix package-set demo arrives with the Nix
# integration): set up the machine, build ldpin, and show what `ldpin
# inspect` reads in a program and a library built here and in host programs,
# as text and as JSON. Idempotent. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup-host.sh
cmake --preset default >/dev/null
cmake --build --preset default

ldpin=build/bin/ldpin
fixtures=build/tests/fixtures
echo
echo "== ldpin inspect: a program and the library it needs (built by the test suite)"
"$ldpin" inspect "$fixtures/fixture_prog" "$fixtures/libfixture.so.1"
echo
echo "== ldpin inspect: ldpin itself (LLVM linked statically: no libLLVM in NEEDED)"
"$ldpin" inspect "$ldpin" | sed -n '1,12p'
echo
echo "== ldpin inspect --json (abridged): what a program needs from the loader"
"$ldpin" inspect --json /usr/bin/ls | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]
print(json.dumps({k: f[k] for k in ("path", "class", "machine", "interpreter", "needed",
                                    "runpath", "dt_flags_1", "build_id")}, indent=2))
print("version needs:", {v["file"]: [e["name"] for e in v["entries"]] for v in f["version_needs"]})'
echo
echo "== bad input is a clear error, and the other files are still read"
"$ldpin" inspect /etc/hostname /nonexistent "$fixtures/libfixture.so.1" >/dev/null || true
