// What the compiler may call in freestanding code, and what the stack
// protector calls: defined here, hidden, so that the module needs nothing
// from any other object.
#include "sys.h"

#include <stddef.h>

extern "C" {

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = static_cast<unsigned char *>(dst);
  const unsigned char *s = static_cast<const unsigned char *>(src);
  while (n--)
    *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = static_cast<unsigned char *>(dst);
  const unsigned char *s = static_cast<const unsigned char *>(src);
  if (d < s) {
    while (n--)
      *d++ = *s++;
  } else {
    while (n--)
      d[n] = s[n];
  }
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = static_cast<unsigned char *>(dst);
  while (n--)
    *d++ = static_cast<unsigned char>(c);
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = static_cast<const unsigned char *>(a);
  const unsigned char *y = static_cast<const unsigned char *>(b);
  for (; n; --n, ++x, ++y)
    if (*x != *y)
      return *x < *y ? -1 : 1;
  return 0;
}

// The one way the module stops a process: it says so, then exits.
[[noreturn]] void ldpin_audit_explode(const char *what) {
  static const char prefix[] = "ldpin-audit: fatal: ";
  ldpin::audit::sys::write(2, prefix, sizeof prefix - 1);
  size_t n = 0;
  while (what[n])
    ++n;
  ldpin::audit::sys::write(2, what, n);
  ldpin::audit::sys::write(2, "\n", 1);
  ldpin::audit::sys::exitGroup(127);
}

[[noreturn]] void __stack_chk_fail() {
  ldpin_audit_explode("stack smashing detected");
}

} // extern "C"
