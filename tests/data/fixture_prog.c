/* The program of the unit-test fixtures: needs the fixture library through
   versioned symbols and glibc. */
#include <stdio.h>

int fixture_value(void);
int fixture_next(const char *s);

int main(void) {
  printf("%d\n", fixture_next("x") + fixture_value());
  return 0;
}
