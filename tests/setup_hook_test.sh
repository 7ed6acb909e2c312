#!/usr/bin/env bash
# The setup hook in real nix-builds: a derivation with two outputs (lib and
# out) builds a library and a program through ldpin-ld in its build
# directory, installs them, and runs its fixup the way nixpkgs' stdenv does
# (for each output, prefix=<output> and every fixupOutputHooks entry). Until
# ldpin's own bootstrap stdenv exists (the Nix integration issue) the builder
# follows that contract itself; the hook is the one this build produced.
#
# Checks: the build succeeds, the installed program runs after Nix has
# deleted the build directory, with absolute DT_NEEDED into the lib output
# and no RUNPATH; a second derivation whose program needs a library nobody
# provides fails, and its log has ldpin's message; with dontLdpinFixup it
# builds and keeps its bare name.
#
# Usage: setup_hook_test.sh LDPIN_LD LDPIN SETUP_HOOK
set -euo pipefail
ldpin_ld=$(realpath "$1")
ldpin=$(realpath "$2")
hook=$(realpath "$3")
work=$(mktemp -d /tmp/ldpin-hook-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/wrap/bin" "$work/wrap/nix-support"
ln -s "$ldpin_ld" "$work/wrap/bin/ld"
echo /usr/bin/ld.bfd > "$work/wrap/nix-support/ldpin-linker"
nonce="$(date +%s%N)-$$"

cat > "$work/builder.sh" <<'EOF'
set -euo pipefail
export PATH=/usr/bin:/bin
source "$hook"
declare -a pkgsHostHost=() pkgsHostTarget=()
mkdir -p src && cd src
echo 'int foo(void) { return 40; }' > foo.c
printf '#include <stdio.h>\nint foo(void);\nint main(void) { printf("%%d\\n", foo() + 2); return 0; }\n' > main.c
gcc -B"$wrap/bin/" -shared -fPIC foo.c -Wl,-soname,libfoo.so.1 -o libfoo.so.1
ln -s libfoo.so.1 libfoo.so
if [ -n "${missing-}" ]; then
  echo 'int bar(void) { return 2; }' > bar.c
  gcc -shared -fPIC bar.c -Wl,-soname,libbar.so.1 -o libbar.so.1
  gcc -B"$wrap/bin/" main.c -L. -lfoo -Wl,--no-as-needed libbar.so.1 -Wl,-rpath,"$PWD" -o prog
else
  gcc -B"$wrap/bin/" main.c -L. -lfoo -Wl,-rpath,"$PWD" -o prog
fi
./prog
mkdir -p "$lib/lib" "$out/bin"
cp -P libfoo.so* "$lib/lib/"
cp prog "$out/bin/"
# stdenv's fixupPhase: every output, every fixupOutputHooks entry.
for output in $outputs; do
  prefix="${!output}"
  for h in "${fixupOutputHooks[@]}"; do
    eval "$h"
  done
done
[ "${dontPatchELF-}" = 1 ] || { echo "the hook did not set dontPatchELF" >&2; exit 1; }
EOF

build() {
  nix-build --no-out-link -E "
    { nonce, missing, dont }: derivation ({
      name = \"ldpin-hook-test\";
      system = builtins.currentSystem;
      builder = \"/bin/bash\";
      args = [ \"-e\" $work/builder.sh ];
      outputs = [ \"out\" \"lib\" ];
      hook = $hook;
      wrap = \"$work/wrap\";
      NIX_STORE = \"/nix/store\";
      inherit nonce missing;
    } // (if dont == \"1\" then { dontLdpinFixup = \"1\"; } else {}))" \
    --argstr nonce "$nonce-$1-$2" --argstr missing "$1" --argstr dont "$2" "${@:3}"
}

fail() { echo "FAILED: $*" >&2; exit 1; }

# 1. A good build: pinned, runs without its build directory.
outs=$(build "" 0 -A out 2>"$work/log1") || { cat "$work/log1" >&2; fail "the good build failed"; }
out=$(echo "$outs" | head -1)
libout=$(nix-store -q --outputs "$(nix-store -q --deriver "$out")" | grep -- '-lib$')
[ "$("$out/bin/prog")" = 42 ] || fail "the installed program does not print 42"
info=$("$ldpin" inspect "$out/bin/prog")
echo "$info" | grep -q "needed: *$libout/lib/libfoo.so.1" || fail "DT_NEEDED not pinned into the lib output: $info"
if echo "$info" | grep -q "runpath"; then fail "RUNPATH left: $info"; fi
"$ldpin" inspect "$libout/lib/libfoo.so.1" | grep -q "soname: *$libout/lib/libfoo.so.1" ||
  fail "SONAME not absolute"
if strace -f -qq -e trace=openat,newfstatat "$out/bin/prog" 2>&1 | grep -q ENOENT; then
  fail "the installed program made failed lookups"
fi
echo "ok: the hook pins both outputs; the program runs with no failed lookup"

# 2. A program needing a library nobody provides: the build fails, saying so.
if build 1 0 >"$work/out2" 2>"$work/log2"; then fail "a build with a missing library succeeded"; fi
grep -q "ldpin: .*/bin/prog: needs libbar.so.1" "$work/log2" ||
  { cat "$work/log2" >&2; fail "the failed build's log lacks ldpin's message"; }
echo "ok: a missing library fails the build with ldpin's message"

# 3. dontLdpinFixup: the same build succeeds, untouched.
outs=$(build 1 1 -A out 2>"$work/log3") || { cat "$work/log3" >&2; fail "dontLdpinFixup build failed"; }
"$ldpin" inspect "$(echo "$outs" | head -1)/bin/prog" | grep -q "needed: *libbar.so.1" ||
  fail "dontLdpinFixup still changed the program"
echo "ok: dontLdpinFixup turns the hook off"
echo "3 passed, 0 failed"
