/* A library for the foreign-architecture reader tests: two versioned
   functions and a .note.dlopen note, with no C library behind it. */
int foo_base(int x) { return x + 1; }
int foo_next(int x) { return foo_base(x) * 2; }

__attribute__((used, section(".note.dlopen"), aligned(4)))
static const struct {
  unsigned namesz, descsz, type;
  char name[4];
  char desc[60];
} dlopen_note = {4, 60, 0x407c0c0a, "FDO",
                 "[{\"soname\":[\"libbar.so.2\"],\"priority\":\"suggested\"}]"};
