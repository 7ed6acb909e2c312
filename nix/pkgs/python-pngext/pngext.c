/* A C extension module for the package set's downstream check: it links
 * libpng and reports the version of the libpng it runs with. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <png.h>

static PyObject *libpng_version(PyObject *self, PyObject *args) {
  (void)self;
  (void)args;
  return PyLong_FromUnsignedLong(png_access_version_number());
}

static PyMethodDef methods[] = {
    {"libpng_version", libpng_version, METH_NOARGS,
     "The version number of the libpng loaded, as png_access_version_number."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pngext",
                                    "libpng, from Python.", -1, methods};

PyMODINIT_FUNC PyInit_pngext(void) { return PyModule_Create(&module); }
