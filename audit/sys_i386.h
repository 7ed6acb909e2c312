// i386 system calls: `int $0x80` with the number in eax and the arguments
// in ebx, ecx, edx, esi, edi (ebp, the sixth, is used only by mmap2, whose
// offset the module always passes as 0).
#pragma once

namespace ldpin::audit::sys::arch {

inline constexpr long kRead = 3, kWrite = 4, kClose = 6, kMunmap = 91,
                      kFcntl = 221 /* fcntl64 */, kMincore = 218,
                      kExitGroup = 252, kOpenat = 295, kReadlinkat = 305,
                      kStatx = 383;

inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0,
                 long e = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
               : "memory");
  return ret;
}

// mmap2 of a whole file: ebp (the offset, in pages) must be zero.
inline long mapWhole(long addr, long size, long prot, long flags, long fd) {
  long ret;
  asm volatile("push %%ebp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%ebp"
               : "=a"(ret)
               : "a"(192L), "b"(addr), "c"(size), "d"(prot), "S"(flags), "D"(fd)
               : "memory");
  return ret;
}

} // namespace ldpin::audit::sys::arch
