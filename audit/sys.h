// The audit module's system calls: raw, without libc (the module runs
// inside the dynamic linker's audit namespace, where no libc is loaded, and
// must work beside any glibc). The calls are the same on every Linux
// architecture; their numbers and the instruction live in one file per
// architecture.
#pragma once

#include <linux/stat.h> // struct statx: one layout on every architecture
#include <stddef.h>
#include <stdint.h>

namespace ldpin::audit::sys {

inline constexpr int kAtFdcwd = -100;
inline constexpr int kAtEmptyPath = 0x1000;
inline constexpr int kReadOnly = 0;
inline constexpr int kWriteOnly = 1;
inline constexpr int kCreate = 0100;
inline constexpr int kAppend = 02000;
inline constexpr int kCloexec = 02000000;
inline constexpr int kProtRead = 1;
inline constexpr int kMapPrivate = 2;
inline constexpr unsigned kTypeMask = 0170000, kRegular = 0100000;
inline constexpr unsigned kOthersWrite = 0002;
inline constexpr long kNoEntry = -2; // -ENOENT
inline constexpr int kNonblock = 04000, kNoctty = 0400;
inline constexpr int kDupFdCloexec = 1030; // F_DUPFD_CLOEXEC
inline constexpr size_t kPage = 4096;

inline bool failed(long r) { return r < 0 && r > -4096; }

} // namespace ldpin::audit::sys

// One file per architecture: the numbers, `call` and `mapWhole`.
#if defined(__x86_64__)
#include "sys_x86_64.h"
#elif defined(__i386__)
#include "sys_i386.h"
#else
#error                                                                         \
    "ldpin-audit: no system call layer for this architecture (add audit/sys_<arch>.h)"
#endif

namespace ldpin::audit::sys {

// Each returns what the kernel returns: a result, or -errno.
inline long L(const void *p) { return reinterpret_cast<long>(p); }
inline long openat(int dirfd, const char *path, int flags, int mode) {
  return arch::call(arch::kOpenat, dirfd, L(path), flags, mode);
}
inline long read(int fd, void *buf, size_t size) {
  return arch::call(arch::kRead, fd, L(buf), static_cast<long>(size));
}
inline long write(int fd, const void *buf, size_t size) {
  return arch::call(arch::kWrite, fd, L(buf), static_cast<long>(size));
}
inline long close(int fd) { return arch::call(arch::kClose, fd); }
inline long readlinkat(int dirfd, const char *path, char *buf, size_t size) {
  return arch::call(arch::kReadlinkat, dirfd, L(path), L(buf),
                    static_cast<long>(size));
}
// 0 when every page of [addr, addr + size) (addr page-aligned) is mapped.
inline long mincore(void *addr, size_t size, unsigned char *pages) {
  return arch::call(arch::kMincore, L(addr), static_cast<long>(size), L(pages));
}
inline long fcntl(int fd, int cmd, long arg) {
  return arch::call(arch::kFcntl, fd, cmd, arg);
}
inline long statx(int dirfd, const char *path, int flags, unsigned mask,
                  struct ::statx *out) {
  return arch::call(arch::kStatx, dirfd, L(path), flags,
                    static_cast<long>(mask), L(out));
}
// A whole file, mapped read-only and private (all the module maps).
inline long mapWhole(size_t size, int fd) {
  return arch::mapWhole(0, static_cast<long>(size), kProtRead, kMapPrivate, fd);
}
inline long munmap(void *addr, size_t size) {
  return arch::call(arch::kMunmap, L(addr), static_cast<long>(size));
}
[[noreturn]] inline void exitGroup(int status) {
  for (;;)
    arch::call(arch::kExitGroup, status);
}

} // namespace ldpin::audit::sys
