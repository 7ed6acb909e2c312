// libFuzzer target for the ELF reader: any byte string must either read or
// give an error, and what reads must render as text and JSON; read again
// with the dynamic symbols and relocations (ReadOptions::symbols), it must
// read or give an error too, and what reads must go through the
// interposition analysis (as an object beside a copy of itself). Sanitizers
// (see the `fuzz` preset) turn any out-of-bounds access or overflow into a
// crash that libFuzzer keeps.
#include "ldpin/describe.h"
#include "ldpin/elf.h"
#include "ldpin/interpose.h"

#include <llvm/Support/MemoryBufferRef.h>
#include <llvm/Support/raw_ostream.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // Every error must be a one-line message.
  auto oneLine = [](llvm::Error e) {
    std::string msg = llvm::toString(std::move(e));
    if (msg.empty() || msg.find('\n') != std::string::npos)
      __builtin_trap();
  };
  ldpin::elf::ReadOptions withSymbols;
  withSymbols.symbols = true;
  llvm::Expected<ldpin::elf::ElfInfo> symbols =
      ldpin::elf::read(llvm::MemoryBufferRef(bytes, "fuzz"), withSymbols);
  if (!symbols) {
    oneLine(symbols.takeError());
  } else {
    ldpin::interpose::Object o = ldpin::interpose::objectOf("fuzz", *symbols);
    ldpin::interpose::Scope scope;
    scope.objects = {&o, &o};
    ldpin::interpose::analyse(scope, ldpin::interpose::Settings{});
  }
  llvm::Expected<ldpin::elf::ElfInfo> info =
      ldpin::elf::read(llvm::MemoryBufferRef(bytes, "fuzz"));
  if (!info) {
    oneLine(info.takeError());
    return 0;
  }
  llvm::raw_null_ostream os;
  ldpin::describe::printText(os, "fuzz", *info);
  os << ldpin::describe::toJson("fuzz", *info);
  return 0;
}
