// Describing an ElfInfo to people and programs: names for the numbers
// (dynamic tags, segment types, flags, machines) and the two renderings of
// `ldpin inspect`, plain text and JSON.
//
// The JSON form is a stable interface, specified in doc/inspect-json.md;
// change that document and bump `kInspectSchema` together with it.
#pragma once

#include "ldpin/elf.h"

#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include <string>
#include <vector>

namespace ldpin::describe {

inline constexpr const char *kInspectSchema = "ldpin-inspect/1";

// "NEEDED", "MIPS_RLD_VERSION", or "0x6ffffff0"-style hex when unknown.
std::string dynamicTagName(uint16_t machine, int64_t tag);
// "LOAD", "GNU_STACK", ... or hex.
std::string segmentTypeName(uint32_t type);
// "EXEC", "DYN", ... or hex.
std::string fileTypeName(uint16_t type);
// "x86_64", "aarch64", ... or "EM_<n>".
std::string machineName(uint16_t machine);
// Names of the set bits of DT_FLAGS / DT_FLAGS_1, spelled as readelf does;
// unknown bits as hex.
std::vector<std::string> dtFlagsNames(uint64_t flags);
std::vector<std::string> dtFlags1Names(uint64_t flags);
// "gnu-build-id", "fdo-dlopen", ... ("other" for the rest).
const char *noteKindName(elf::NoteKind kind);
// Lowercase hex of raw bytes.
std::string hexBytes(llvm::ArrayRef<uint8_t> bytes);

// The JSON object for a file that was read, and for one that was not.
llvm::json::Value toJson(const std::string &path, const elf::ElfInfo &info);
llvm::json::Value errorJson(const std::string &path, const std::string &error);
void printText(llvm::raw_ostream &os, const std::string &path,
               const elf::ElfInfo &info);

} // namespace ldpin::describe
