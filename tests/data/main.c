/* A program for the foreign-architecture reader tests. */
int foo_base(int);
int foo_next(int);
int entry(void) { return foo_base(1) + foo_next(2); }
