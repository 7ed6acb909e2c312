// libFuzzer target for the ld.so.cache reader (loader.h's LdCache): any
// bytes either parse or give a one-line error, and a lookup in what parses
// never reads outside it.
#include "ldpin/loader.h"

#include <llvm/BinaryFormat/ELF.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  std::string error;
  std::optional<ldpin::loader::LdCache> c =
      ldpin::loader::LdCache::parse(bytes, &error);
  if (!c) {
    if (error.empty() || error.find('\n') != std::string::npos)
      __builtin_trap();
    return 0;
  }
  for (const char *name : {"libc.so.6", "libz.so.1", ""})
    (void)c->lookup(name, 64, llvm::ELF::EM_X86_64, {"x86-64-v3", "x86-64-v2"});
  return 0;
}
