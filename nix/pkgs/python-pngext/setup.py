# Builds pngext (pngext.c) against libpng, as a package's setup.py does.
from distutils.core import Extension, setup

setup(name="pngext", version="1.0",
      ext_modules=[Extension("pngext", ["pngext.c"], libraries=["png16"])])
