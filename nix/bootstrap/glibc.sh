# Builder: the host's glibc (Debian's libc6 and libc6-dev) copied into the
# store, so that programs built by the harness load a C library and a
# dynamic linker from /nix/store, as under nixpkgs.
#
# The copied ld.so would still read the host's /etc/ld.so.cache and search
# the host's default directories, so a library missing from the store would
# silently be the host's. Its built-in paths are overwritten with paths of
# the same length that do not exist: a library that is not found by the
# program's own RUNPATH (or absolute name) is then not found at all, and the
# failed lookups show. The linker scripts (libc.so, libm.so) are rewritten to
# name the store copies.
set -euo pipefail
export PATH=/usr/bin:/bin
mkdir -p "$out/lib" "$out/nix-support"
triple=x86_64-linux-gnu
for pkg in libc6 libc6-dev; do
  dpkg-query -L "$pkg"
done | grep -E "^(/usr)?/lib/$triple/[^/]+$" | sort -u | while read -r f; do
  [ -f "$f" ] || [ -L "$f" ] || continue
  cp -P "$f" "$out/lib/"
done
# Symbolic links to the host's files point at the copies.
for l in "$out"/lib/*; do
  if [ -L "$l" ]; then
    t=$(readlink "$l")
    ln -sfn "$(basename "$t")" "$l"
  fi
done
for s in libc.so libm.so; do
  sed -i -e "s|/usr/lib/$triple/|$out/lib/|g" -e "s|/lib/$triple/|$out/lib/|g" \
         -e "s|/lib64/ld-linux-x86-64.so.2|$out/lib/ld-linux-x86-64.so.2|g" "$out/lib/$s"
done
rm -f "$out/lib/ld-linux-x86-64.so.2"
cp /lib/$triple/ld-linux-x86-64.so.2 "$out/lib/ld-linux-x86-64.so.2"
python3 - "$out/lib/ld-linux-x86-64.so.2" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
def same_length(old):
    # /lib/x86_64-linux-gnu/ -> /ldpin-no-default-dir/ (as long as it)
    body = ("ldpin-no-default-dir-" * 4)[: len(old) - 2]
    return b"/" + body.encode() + b"/"
count = 0
for old in (b"/etc/ld.so.cache", b"/lib/x86_64-linux-gnu/", b"/usr/lib/x86_64-linux-gnu/",
            b"/lib/", b"/usr/lib/"):
    needle = b"\0" + old + b"\0"
    new = b"\0" + (b"/ldpin/no.ld.cache"[: len(old)] if old.startswith(b"/etc") else same_length(old)) + b"\0"
    assert len(new) == len(needle)
    i = data.find(needle)
    while i >= 0:
        data[i:i + len(needle)] = new
        count += 1
        i = data.find(needle, i + 1)
if count < 5:
    sys.exit(f"glibc.sh: only {count} built-in paths found in {path}; not patching blind")
open(path, "wb").write(data)
PY
chmod 755 "$out/lib/ld-linux-x86-64.so.2"
echo "$out/lib/ld-linux-x86-64.so.2" > "$out/nix-support/dynamic-linker"
"$out/lib/ld-linux-x86-64.so.2" --version | head -1 > "$out/nix-support/version"
