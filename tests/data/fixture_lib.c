/* The shared library of the unit-test fixtures, linked by the host
   toolchain: a soname, version definitions with a parent, a .note.dlopen and
   a build-id. */
#include <string.h>

int fixture_value(void) { return 41; }
int fixture_next(const char *s) { return (int)strlen(s) + fixture_value(); }

__attribute__((used, section(".note.dlopen"), aligned(4)))
static const struct {
  unsigned namesz, descsz, type;
  char name[4];
  char desc[52];
} dlopen_note = {4, 52, 0x407c0c0a, "FDO",
                 "[{\"soname\":[\"libz.so.1\"],\"priority\":\"required\"}]"};
