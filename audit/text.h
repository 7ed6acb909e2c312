// Strings without libc: lengths, comparisons, and a bounded buffer that
// says when something did not fit instead of writing past its end.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace ldpin::audit {

inline size_t length(const char *s) {
  size_t n = 0;
  while (s[n])
    ++n;
  return n;
}

inline bool equal(const char *a, const char *b) {
  while (*a && *a == *b)
    ++a, ++b;
  return *a == *b;
}

// a[0, n) equals the NUL-terminated b.
inline bool equalN(const char *a, size_t n, const char *b) {
  for (size_t i = 0; i < n; ++i)
    if (b[i] != a[i] || !b[i])
      return false;
  return b[n] == '\0';
}

inline bool startsWith(const char *s, const char *prefix) {
  while (*prefix)
    if (*s++ != *prefix++)
      return false;
  return true;
}

inline bool hasSlash(const char *s) {
  for (; *s; ++s)
    if (*s == '/')
      return true;
  return false;
}

inline const char *baseName(const char *path) {
  const char *base = path;
  for (const char *p = path; *p; ++p)
    if (*p == '/')
      base = p + 1;
  return base;
}

// The names of the C library's own objects: the C library and the dynamic
// linker (the two a process can hold only one of), then the libraries
// that come with them, which are found in the C library's own directory.
inline bool isLibcName(const char *name) {
  return startsWith(name, "libc.so.");
}
inline bool isLoaderName(const char *name) {
  return startsWith(name, "ld-linux") || startsWith(name, "ld64.so") ||
         startsWith(name, "ld.so");
}
inline bool isLibcFamilyName(const char *name) {
  static const char *const kFamily[] = {"libm.so.",
                                        "libmvec.so.",
                                        "libpthread.so.",
                                        "libdl.so.",
                                        "librt.so.",
                                        "libresolv.so.",
                                        "libutil.so.",
                                        "libanl.so.",
                                        "libnsl.so.",
                                        "libnss_",
                                        "libthread_db.so.",
                                        "libBrokenLocale.so.",
                                        "libc_malloc_debug.so.",
                                        "libmemusage.so",
                                        "libpcprofile.so"};
  if (isLibcName(name) || isLoaderName(name))
    return true;
  for (const char *f : kFamily)
    if (startsWith(name, f))
      return true;
  return false;
}

// Copies the NUL-terminated `s` into `dst` when it fits (with its NUL);
// says whether it did. A string that does not fit leaves `dst` as it was.
template <size_t N> bool copyInto(char (&dst)[N], const char *s) {
  const size_t n = length(s);
  if (n + 1 > N)
    return false;
  for (size_t i = 0; i <= n; ++i)
    dst[i] = s[i];
  return true;
}

// A fixed buffer, always NUL-terminated; `overflow` says that something
// was cut.
template <size_t N> struct Text {
  char data[N];
  size_t size;
  bool overflow;

  void clear() {
    size = 0;
    overflow = false;
    data[0] = '\0';
  }
  Text &add(const char *s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (size + 1 >= N) {
        overflow = true;
        break;
      }
      data[size++] = s[i];
    }
    data[size] = '\0';
    return *this;
  }
  Text &add(const char *s) { return add(s, length(s)); }
  Text &add(char c) { return add(&c, 1); }
  // An unsigned long: a 32-bit build has no 64-bit division without libgcc.
  Text &addNumber(unsigned long v) {
    char digits[24];
    size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    while (n)
      add(digits[--n]);
    return *this;
  }
};

} // namespace ldpin::audit
