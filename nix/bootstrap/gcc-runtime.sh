# Builder: the host gcc's shared run-time libraries (libgcc_s, libstdc++,
# libatomic, libgomp) copied into the store, with the linker names that gcc
# links by (-lgcc_s is a linker script in gcc's own directory, naming the
# shared library and libgcc.a). As nixpkgs' gcc's lib output, each has a
# RUNPATH of its own directory and the C library's: its bare libm.so.6 and
# libc.so.6 are found there (the harness's dynamic linker has no default
# directory, and a program need not load libm itself).
set -euo pipefail
export PATH=/usr/bin:/bin
mkdir -p "$out/lib"
triple=x86_64-linux-gnu
for name in libgcc_s.so.1 libstdc++.so.6 libatomic.so.1 libgomp.so.1; do
  real=$(realpath "/usr/lib/$triple/$name")
  cp "$real" "$out/lib/"
  [ "$(basename "$real")" = "$name" ] || ln -s "$(basename "$real")" "$out/lib/$name"
  ln -s "$name" "$out/lib/${name%.so.*}.so"
  chmod u+w "$out/lib/$(basename "$real")"
  patchelf --set-rpath "$out/lib:$glibc/lib" "$out/lib/$(basename "$real")"
done
rm "$out/lib/libgcc_s.so"
printf '/* GNU ld script: the shared libgcc, then the static one for what only it has. */\nGROUP ( %s/lib/libgcc_s.so.1 -lgcc )\n' "$out" > "$out/lib/libgcc_s.so"
