// libFuzzer target for the ELF reader: any byte string must either read or
// give an error, and what reads must render as text and JSON. Sanitizers
// (see the `fuzz` preset) turn any out-of-bounds access or overflow into a
// crash that libFuzzer keeps.
#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <llvm/Support/MemoryBufferRef.h>
#include <llvm/Support/raw_ostream.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<ldpin::elf::ElfInfo> info =
      ldpin::elf::read(llvm::MemoryBufferRef(bytes, "fuzz"));
  if (!info) {
    std::string msg = llvm::toString(info.takeError());
    if (msg.empty() || msg.find('\n') != std::string::npos)
      __builtin_trap(); // every error must be a one-line message
    return 0;
  }
  llvm::raw_null_ostream os;
  ldpin::describe::printText(os, "fuzz", *info);
  os << ldpin::describe::toJson("fuzz", *info);
  return 0;
}
