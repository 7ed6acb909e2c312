// The audit module's own reading of a candidate (audit/elf_view.h, the
// same code), for the model of the module in loader.cpp. Apart from
// loader.cpp because <elf.h>'s macros, which the module's reader uses,
// would collide with llvm::ELF's names there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ldpin::loader::detail {

struct ModuleReading {
  std::string why; // why the module takes the file as malformed ("": it does not)
  bool record = false; // it has a `.note.ldpin` record
  std::optional<std::string> channel, libc;
};

// Whether the module's reader reads files of this class and machine (those
// of this build's).
bool moduleReads(unsigned elfClass, uint16_t machine);

// The file at `path` as the module reads it (moduleReads of its class and
// machine); an empty reading when it cannot be read.
ModuleReading readAsTheModule(const std::string &path);

// A `.note.ldpin` descriptor as the module parses it.
ModuleReading parseAsTheModule(const std::vector<uint8_t> &desc);

} // namespace ldpin::loader::detail
