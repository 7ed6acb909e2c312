// x86-64 system calls: `syscall` with the number in rax and the arguments
// in rdi, rsi, rdx, r10, r8, r9; rcx and r11 are clobbered.
#pragma once

namespace ldpin::audit::sys {

namespace x86_64 {
inline constexpr long kRead = 0, kWrite = 1, kClose = 3, kMmap = 9,
                      kMunmap = 11, kExitGroup = 231, kOpenat = 257,
                      kReadlinkat = 267, kMincore = 27, kFcntl = 72,
                      kStatx = 332;

inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0,
                 long e = 0, long f = 0) {
  long ret;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}
} // namespace x86_64

inline long openat(int dirfd, const char *path, int flags, int mode) {
  return x86_64::call(x86_64::kOpenat, dirfd, reinterpret_cast<long>(path),
                      flags, mode);
}
inline long read(int fd, void *buf, size_t size) {
  return x86_64::call(x86_64::kRead, fd, reinterpret_cast<long>(buf),
                      static_cast<long>(size));
}
inline long write(int fd, const void *buf, size_t size) {
  return x86_64::call(x86_64::kWrite, fd, reinterpret_cast<long>(buf),
                      static_cast<long>(size));
}
inline long close(int fd) { return x86_64::call(x86_64::kClose, fd); }
inline long readlinkat(int dirfd, const char *path, char *buf, size_t size) {
  return x86_64::call(x86_64::kReadlinkat, dirfd, reinterpret_cast<long>(path),
                      reinterpret_cast<long>(buf), static_cast<long>(size));
}
inline long mincore(void *addr, size_t size, unsigned char *pages) {
  return x86_64::call(x86_64::kMincore, reinterpret_cast<long>(addr),
                      static_cast<long>(size), reinterpret_cast<long>(pages));
}
inline long fcntl(int fd, int cmd, long arg) {
  return x86_64::call(x86_64::kFcntl, fd, cmd, arg);
}
inline long statx(int dirfd, const char *path, int flags, unsigned mask,
                  struct ::statx *out) {
  return x86_64::call(x86_64::kStatx, dirfd, reinterpret_cast<long>(path),
                      flags, mask, reinterpret_cast<long>(out));
}
inline long mmap(void *addr, size_t size, int prot, int flags, int fd,
                 long offset) {
  return x86_64::call(x86_64::kMmap, reinterpret_cast<long>(addr),
                      static_cast<long>(size), prot, flags, fd, offset);
}
inline long munmap(void *addr, size_t size) {
  return x86_64::call(x86_64::kMunmap, reinterpret_cast<long>(addr),
                      static_cast<long>(size));
}
[[noreturn]] inline void exitGroup(int status) {
  for (;;)
    x86_64::call(x86_64::kExitGroup, status);
}

} // namespace ldpin::audit::sys
