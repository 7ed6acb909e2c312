# Images: libpng (on zlib), libjpeg-turbo (CMake), pixman (Meson).
{ debian, pkgs, cmakeSuite, ... }:
let inherit (pkgs) zlib; in
rec {
  libpng = debian "libpng1.6" {
    pname = "libpng";
    buildInputs = [ zlib ];
    propagatedBuildInputs = [ zlib ];
    configureFlags = "--disable-static";
    doCheck = true;
  };

  libjpeg-turbo = debian "libjpeg-turbo" (cmakeSuite "." // {
    cmakeFlags = "-DWITH_SIMD=OFF -DENABLE_STATIC=OFF";
  });

  # Meson, as nixpkgs builds it; its suite is the pixel tests (the
  # tarball has a configure too). Without the GTK demos, libpng and OpenMP.
  pixman = debian "pixman" {
    mesonFlags = "-Dgtk=disabled -Dlibpng=disabled -Dopenmp=disabled -Dtests=enabled";
    doCheck = true;
  };
}
