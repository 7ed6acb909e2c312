// The relocatable object that carries the `.note.ldpin` section into a link.
//
// The wrapper writes it for the target of the link (class, byte order,
// machine and e_flags of the first input object, so that no linker refuses
// it as incompatible) and adds it to the command line. Its one note holds an
// empty record of a size fixed before the link; the wrapper fills it in place
// afterwards. The section is SHF_ALLOC (it lands in a PT_NOTE segment and is
// readable from a loaded object) and SHF_GNU_RETAIN (--gc-sections keeps it).
// An empty .note.GNU-stack keeps the stack of the output non-executable.
//
// On x86 the linker ANDs the .note.gnu.property bits (IBT, SHSTK) of all
// inputs and ORs the ISA-needed bits: an input without the note would clear
// the CET markings of the output. A copy of the first input's property note is
// neutral under both, so the object carries that copy when there is one.
#pragma once

#include "ldpin/elf.h"

#include <cstdint>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/Error.h>

namespace ldpin::note {

struct ObjectTarget {
  unsigned elfClass = 64;
  bool bigEndian = false;
  uint16_t machine = 0;
  uint32_t flags = 0;
  // Raw contents and alignment of the first input's .note.gnu.property
  // section (empty when it has none).
  std::vector<uint8_t> gnuProperty;
  uint64_t gnuPropertyAlign = 8;
};

// The target of a link as read from one of its input objects: `obj` is the
// ElfInfo of that object and `bytes` its contents.
ObjectTarget targetOf(const elf::ElfInfo &obj, llvm::ArrayRef<uint8_t> bytes);

// An ELF relocatable object with a `.note.ldpin` section whose descriptor is
// `descSize` bytes (an empty record), and the property note when given.
llvm::Expected<std::vector<uint8_t>> makeObject(const ObjectTarget &target,
                                                uint32_t descSize);

} // namespace ldpin::note
