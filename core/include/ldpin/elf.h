// The ELF reader: one description of an ELF file, whatever its class, byte
// order or machine.
//
// It reads what the loader and ldpin's tools care about (header, program and
// section headers, dynamic section, interpreter, symbol versioning, notes)
// the way the loader finds it: the dynamic section through PT_DYNAMIC and its
// tables through their addresses, so that a file whose section headers are
// stripped reads the same. Section headers are used where only they carry the
// information (note section names); a broken section header table is reported
// as a warning and ignored, because the loader ignores it too. Everything
// else that is out of bounds or inconsistent is an error.
//
// File offsets are kept next to the values so that the in-place editor can
// find what it changes without parsing again.
#pragma once

#include "ldpin/note_format.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBufferRef.h>

namespace ldpin::elf {

struct Segment {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
};

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0, addr = 0, offset = 0, size = 0;
  uint32_t link = 0, info = 0;
  uint64_t align = 0, entsize = 0;
};

struct DynEntry {
  int64_t tag = 0;
  uint64_t value = 0;
  uint64_t fileOffset = 0; // of the entry itself
  // The string a string-valued tag (NEEDED, SONAME, RPATH, ...) names.
  std::optional<std::string> str;
};

// Where the dynamic string table lies, in memory and in the file.
struct StringTable {
  uint64_t vaddr = 0, offset = 0, size = 0;
};

struct VersionNeedAux {
  std::string name;
  uint32_t hash = 0;
  uint16_t flags = 0;
  uint16_t other = 0;      // the version index symbols use
  uint32_t nameOffset = 0; // vna_name, into .dynstr
  uint64_t fileOffset = 0; // of the Vernaux entry
};

struct VersionNeed {
  uint16_t version = 0;
  std::string file;
  uint32_t fileNameOffset = 0; // vn_file, into .dynstr
  uint64_t fileOffset = 0;     // of the Verneed entry
  std::vector<VersionNeedAux> aux;
};

struct VersionDef {
  uint16_t version = 0, flags = 0, index = 0;
  uint32_t hash = 0;
  std::vector<std::string> names;    // the first is the version, then parents
  std::vector<uint32_t> nameOffsets; // vda_name of each, into .dynstr
  uint64_t fileOffset = 0;           // of the Verdef entry
  std::vector<uint64_t> auxOffsets;  // of each Verdaux entry
};

// One entry of the dynamic symbol table, with its version (ReadOptions::
// symbols).
struct Symbol {
  std::string name;
  uint8_t binding = 0;    // STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE
  uint8_t type = 0;       // STT_*
  uint8_t visibility = 0; // STV_*
  uint16_t shndx = 0;     // st_shndx: SHN_UNDEF for a reference
  uint64_t value = 0, size = 0;
  // From DT_VERSYM (all zero when the file has none): the version index
  // without its hidden bit; the version's name, from the definition (or, for
  // a reference, the need) of that index, "" for indices 0 and 1 (local and
  // global: unversioned); and the hidden bit, set on a definition that is
  // not the default (`name@V`, not `name@@V`).
  uint16_t versionIndex = 0;
  std::string version;
  bool versionHidden = false;
  bool defined() const { return shndx != 0; }
};

enum class NoteKind {
  Other,
  GnuAbiTag,   // GNU NT_GNU_ABI_TAG
  GnuBuildId,  // GNU NT_GNU_BUILD_ID
  GnuProperty, // GNU NT_GNU_PROPERTY_TYPE_0
  FdoDlopen,   // FDO .note.dlopen (JSON)
  FdoPackage,  // FDO .note.package (JSON)
  Ldpin,       // ldpin's own record
};

// Values from glibc's elf.h that llvm/BinaryFormat/ELF.h does not define.
inline constexpr int64_t kDtConfig = 0x6ffffefa;
inline constexpr int64_t kDtDepaudit = 0x6ffffefb;
inline constexpr int64_t kDtAudit = 0x6ffffefc;
inline constexpr uint16_t kPnXnum = 0xffff;

// Note owners and types ldpin knows by name.
inline constexpr uint32_t kNtFdoDlopen = 0x407c0c0a;
inline constexpr uint32_t kNtFdoPackage = 0xcafe1a7e;
inline constexpr const char *kLdpinNoteOwner = note::format::kOwner;

struct Note {
  std::string section; // the SHT_NOTE section, empty when read from PT_NOTE
  std::string owner;
  uint32_t type = 0;
  NoteKind kind = NoteKind::Other;
  std::vector<uint8_t> desc;
  uint64_t fileOffset = 0; // of the note header
  uint64_t descOffset = 0; // of the descriptor (after the padded name)
};

struct ElfInfo {
  // e_ident and header.
  unsigned elfClass = 0; // 32 or 64
  bool bigEndian = false;
  uint8_t osabi = 0, abiVersion = 0;
  uint16_t type = 0, machine = 0;
  uint32_t version = 0, flags = 0;
  uint64_t entry = 0, phoff = 0, shoff = 0;
  uint64_t fileSize = 0;

  std::vector<Segment> segments;
  std::vector<Section> sections; // empty when absent or unusable

  std::optional<std::string> interpreter;

  bool hasDynamic = false;
  uint64_t dynamicOffset = 0;    // file offset of PT_DYNAMIC
  std::vector<DynEntry> dynamic; // up to and including the first DT_NULL
  std::optional<StringTable> dynstr;

  // Convenience views of `dynamic`, in file order.
  std::vector<std::string> needed;
  std::optional<std::string> soname, rpath, runpath, audit, depaudit;
  std::optional<uint64_t> dtFlags, dtFlags1;

  std::vector<VersionNeed> versionNeeds;
  std::vector<VersionDef> versionDefs;

  std::vector<Note> notes;
  std::vector<uint8_t> buildId; // empty when there is none

  // With ReadOptions::symbols: the dynamic symbol table (DT_SYMTAB, index 0
  // included) as long as its hash table (DT_GNU_HASH, else DT_HASH) says,
  // whether the file has DT_VERSYM, and the indices of the symbols that its
  // dynamic relocations (DT_RELA, DT_REL, DT_JMPREL) name, in order, each
  // once.
  std::vector<Symbol> symbols;
  bool hasVersym = false;
  std::vector<uint32_t> relocatedSymbols;

  // Problems the loader would not care about (a broken section header
  // table); reported, not fatal.
  std::vector<std::string> warnings;
};

// The file offset of [vaddr, vaddr + size), which must lie in the file part
// of one PT_LOAD segment of `info`.
llvm::Expected<uint64_t> fileOffsetOf(const ElfInfo &info, uint64_t vaddr,
                                      uint64_t size, const llvm::Twine &what);

// What to read. The linker wrapper reads every library of every link and
// needs only the loader's view (program headers, dynamic section, PT_NOTE):
// it skips the rest. Symbols are read only when asked for (`ldpin check`'s
// interposition analysis): a library's symbol and relocation tables are
// most of what it costs to read.
struct ReadOptions {
  bool sections = true; // section headers, and notes from SHT_NOTE sections
  bool versions = true; // .gnu.version_r and .gnu.version_d
  // The dynamic symbols with their versions (which reads the version tables
  // too) and the symbols dynamic relocations name. The table's length comes
  // from the hash table, as the loader has it; only a file with neither
  // hash table takes it from the .dynsym section header (with `sections`).
  bool symbols = false;
};

// Reads an ELF image held in memory. The error message does not name the
// file: the caller knows it.
llvm::Expected<ElfInfo> read(llvm::MemoryBufferRef image,
                             const ReadOptions &options = {});

// Opens `path` (which must be a regular file) and reads it. The returned
// error message does not name the file.
llvm::Expected<ElfInfo> readFile(const std::string &path,
                                 const ReadOptions &options = {});

} // namespace ldpin::elf
