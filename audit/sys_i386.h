// i386 system calls: `int $0x80` with the number in eax and the arguments
// in ebx, ecx, edx, esi, edi (ebp, the sixth, is used only by mmap2, whose
// offset the module always passes as 0).
#pragma once

namespace ldpin::audit::sys {

namespace i386 {
inline constexpr long kRead = 3, kWrite = 4, kClose = 6, kMunmap = 91,
                      kMmap2 = 192, kExitGroup = 252, kOpenat = 295,
                      kReadlinkat = 305, kStatx = 383, kMincore = 218,
                      kFcntl64 = 221;

inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0,
                 long e = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
               : "memory");
  return ret;
}

// mmap2 with a zero offset: ebp must be zero during the call.
inline long mmap2(long addr, long size, long prot, long flags, long fd) {
  long ret;
  asm volatile("push %%ebp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%ebp"
               : "=a"(ret)
               : "a"(kMmap2), "b"(addr), "c"(size), "d"(prot), "S"(flags),
                 "D"(fd)
               : "memory");
  return ret;
}
} // namespace i386

inline long openat(int dirfd, const char *path, int flags, int mode) {
  return i386::call(i386::kOpenat, dirfd, reinterpret_cast<long>(path), flags,
                    mode);
}
inline long read(int fd, void *buf, size_t size) {
  return i386::call(i386::kRead, fd, reinterpret_cast<long>(buf),
                    static_cast<long>(size));
}
inline long write(int fd, const void *buf, size_t size) {
  return i386::call(i386::kWrite, fd, reinterpret_cast<long>(buf),
                    static_cast<long>(size));
}
inline long close(int fd) { return i386::call(i386::kClose, fd); }
inline long readlinkat(int dirfd, const char *path, char *buf, size_t size) {
  return i386::call(i386::kReadlinkat, dirfd, reinterpret_cast<long>(path),
                    reinterpret_cast<long>(buf), static_cast<long>(size));
}
inline long mincore(void *addr, size_t size, unsigned char *pages) {
  return i386::call(i386::kMincore, reinterpret_cast<long>(addr),
                    static_cast<long>(size), reinterpret_cast<long>(pages));
}
inline long fcntl(int fd, int cmd, long arg) {
  return i386::call(i386::kFcntl64, fd, cmd, arg);
}
inline long statx(int dirfd, const char *path, int flags, unsigned mask,
                  struct ::statx *out) {
  return i386::call(i386::kStatx, dirfd, reinterpret_cast<long>(path), flags,
                    static_cast<long>(mask), reinterpret_cast<long>(out));
}
inline long mmap(void *addr, size_t size, int prot, int flags, int fd,
                 long offset) {
  if (offset != 0)
    return -22; // -EINVAL: the module maps whole files only
  return i386::mmap2(reinterpret_cast<long>(addr), static_cast<long>(size),
                     prot, flags, fd);
}
inline long munmap(void *addr, size_t size) {
  return i386::call(i386::kMunmap, reinterpret_cast<long>(addr),
                    static_cast<long>(size));
}
[[noreturn]] inline void exitGroup(int status) {
  for (;;)
    i386::call(i386::kExitGroup, status);
}

} // namespace ldpin::audit::sys
