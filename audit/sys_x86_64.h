// x86-64 system calls: `syscall` with the number in rax and the arguments
// in rdi, rsi, rdx, r10, r8, r9; rcx and r11 are clobbered.
#pragma once

namespace ldpin::audit::sys::arch {

inline constexpr long kRead = 0, kWrite = 1, kClose = 3, kMunmap = 11,
                      kMincore = 27, kFcntl = 72, kExitGroup = 231,
                      kOpenat = 257, kReadlinkat = 267, kStatx = 332;

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

// mmap of a whole file (offset 0).
inline long mapWhole(long addr, long size, long prot, long flags, long fd) {
  return call(9, addr, size, prot, flags, fd, 0);
}

} // namespace ldpin::audit::sys::arch
