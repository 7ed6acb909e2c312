// Malformed input: single-field corruptions and truncations of a real
// executable and shared library (the fixtures linked by the host toolchain).
//
// Every field of the ELF header, of every program and section header, of
// every dynamic entry, of the version need and definition chains and of every
// note header is set in turn to a list of hostile values; the file is also cut
// at every 64 bytes. Read with ReadOptions::symbols, so is every field of the
// dynamic symbol table, its versions, the GNU hash table and the relocations.
// Each image is read and, when it reads, rendered as text and JSON. The reader
// must return (ctest's timeout catches a hang; the asan preset catches
// out-of-bounds access), every error must be a one-line message, and the
// corruptions that make a file unusable must be errors.
//
// The field layouts below are written from the ELF64 gABI, independently of
// the reader under test.
#include "ldpin/describe.h"
#include "ldpin/elf.h"

#include <gtest/gtest.h>

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace ldpin;

namespace {

struct Field {
  std::string name;
  uint64_t offset;
  unsigned size;
  // Setting this field to all ones must make the file unreadable.
  bool hugeFails = false;
};

struct Layout {
  const char *name;
  uint64_t offset;
  unsigned size;
  bool hugeFails;
};

const Layout kEhdr[] = {
    {"e_type", 16, 2, false},      {"e_machine", 18, 2, false},
    {"e_version", 20, 4, false},   {"e_entry", 24, 8, false},
    {"e_phoff", 32, 8, true},      {"e_shoff", 40, 8, false},
    {"e_flags", 48, 4, false},     {"e_ehsize", 52, 2, false},
    {"e_phentsize", 54, 2, true},  {"e_phnum", 56, 2, false},
    {"e_shentsize", 58, 2, false}, {"e_shnum", 60, 2, false},
    {"e_shstrndx", 62, 2, false},
};
const Layout kPhdr[] = {
    {"p_type", 0, 4, false},   {"p_flags", 4, 4, false},
    {"p_offset", 8, 8, false}, {"p_vaddr", 16, 8, false},
    {"p_paddr", 24, 8, false}, {"p_filesz", 32, 8, true},
    {"p_memsz", 40, 8, false}, {"p_align", 48, 8, false},
};
const Layout kShdr[] = {
    {"sh_name", 0, 4, false},       {"sh_type", 4, 4, false},
    {"sh_flags", 8, 8, false},      {"sh_addr", 16, 8, false},
    {"sh_offset", 24, 8, false},    {"sh_size", 32, 8, false},
    {"sh_link", 40, 4, false},      {"sh_info", 44, 4, false},
    {"sh_addralign", 48, 8, false}, {"sh_entsize", 56, 8, false},
};
const Layout kVerneed[] = {
    {"vn_version", 0, 2, false}, {"vn_cnt", 2, 2, false},
    {"vn_file", 4, 4, true},     {"vn_aux", 8, 4, true},
    {"vn_next", 12, 4, false},
};
const Layout kVernaux[] = {
    {"vna_hash", 0, 4, false},  {"vna_flags", 4, 2, false},
    {"vna_other", 6, 2, false}, {"vna_name", 8, 4, true},
    {"vna_next", 12, 4, false},
};
const Layout kVerdef[] = {
    {"vd_version", 0, 2, false}, {"vd_flags", 2, 2, false},
    {"vd_ndx", 4, 2, false},     {"vd_cnt", 6, 2, false},
    {"vd_hash", 8, 4, false},    {"vd_aux", 12, 4, true},
    {"vd_next", 16, 4, false},
};
const Layout kVerdaux[] = {
    {"vda_name", 0, 4, true},
    {"vda_next", 4, 4, false},
};
const Layout kSym[] = {
    {"st_name", 0, 4, true},   {"st_info", 4, 1, false},
    {"st_other", 5, 1, false}, {"st_shndx", 6, 2, false},
    {"st_value", 8, 8, false}, {"st_size", 16, 8, false},
};
// nbuckets, symoffset and bloom_size all ones put the buckets or the first
// hashed symbol out of reach.
const Layout kGnuHash[] = {
    {"nbuckets", 0, 4, true},
    {"symoffset", 4, 4, true},
    {"bloom_size", 8, 4, true},
    {"bloom_shift", 12, 4, false},
};
const Layout kRela[] = {
    {"r_offset", 0, 8, false},
    {"r_info", 8, 8, true}, // a symbol index beyond the table
    {"r_addend", 16, 8, false},
};

std::string readBytes(const char *path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

uint64_t load(const std::string &b, uint64_t off, unsigned size) {
  uint64_t v = 0;
  std::memcpy(&v, b.data() + off, size); // little-endian host and file
  return v;
}

void store(std::string &b, uint64_t off, unsigned size, uint64_t v) {
  std::memcpy(b.data() + off, &v, size);
}

template <size_t N>
void addFields(std::vector<Field> &out, const std::string &prefix,
               uint64_t base, const Layout (&layout)[N]) {
  for (const Layout &l : layout)
    out.push_back({prefix + l.name, base + l.offset, l.size, l.hugeFails});
}

// The dynamic tags whose value, all ones, must make the symbol tables
// unreadable: tables out of the file, sizes that are no multiple of their
// entries, entry sizes and DT_PLTREL that are no such thing.
bool symbolTableTag(int64_t tag) {
  switch (tag) {
  case 2:          // DT_PLTRELSZ
  case 6:          // DT_SYMTAB
  case 7:          // DT_RELA
  case 8:          // DT_RELASZ
  case 9:          // DT_RELAENT
  case 11:         // DT_SYMENT
  case 20:         // DT_PLTREL
  case 23:         // DT_JMPREL
  case 0x6ffffef5: // DT_GNU_HASH
  case 0x6ffffff0: // DT_VERSYM
    return true;
  default:
    return false;
  }
}

// Every field the reader looks at, found from the file's own structure.
std::vector<Field> fieldsOf(const std::string &bytes, const elf::ElfInfo &info,
                            bool symbols) {
  std::vector<Field> f;
  for (unsigned i = 0; i < 16; ++i)
    f.push_back({"e_ident[" + std::to_string(i) + "]", i, 1, i < 6});
  addFields(f, "", 0, kEhdr);
  for (size_t i = 0; i < info.segments.size(); ++i) {
    std::string p = "phdr[" + std::to_string(i) + "].";
    size_t before = f.size();
    addFields(f, p, info.phoff + i * 56, kPhdr);
    if (info.segments[i].filesz == 0) // nothing to cut short
      for (size_t k = before; k < f.size(); ++k)
        f[k].hugeFails = false;
    else
      f[before + 2].hugeFails = true; // p_offset
  }
  for (size_t i = 0; i < info.sections.size(); ++i)
    addFields(f, "shdr[" + std::to_string(i) + "].", info.shoff + i * 64,
              kShdr);
  for (size_t i = 0; i < info.dynamic.size(); ++i) {
    const elf::DynEntry &d = info.dynamic[i];
    std::string p = "dyn[" + std::to_string(i) + "]";
    f.push_back({p + ".d_tag", d.fileOffset, 8, false});
    bool addressOfTable = d.tag == 5 /*STRTAB*/ || d.tag == 10 /*STRSZ*/ ||
                          d.tag == 0x6ffffffe /*VERNEED*/ ||
                          d.tag == 0x6ffffffc /*VERDEF*/;
    f.push_back({p + ".d_val", d.fileOffset + 8, 8,
                 d.str.has_value() || addressOfTable ||
                     (symbols && symbolTableTag(d.tag))});
  }
  for (const elf::Section &s : info.sections) {
    if (s.name == ".gnu.version_r") {
      uint64_t at = s.offset;
      for (unsigned i = 0; i < s.info; ++i) {
        std::string p = "verneed[" + std::to_string(i) + "].";
        addFields(f, p, at, kVerneed);
        uint64_t aux = at + load(bytes, at + 8, 4);
        for (unsigned j = 0; j < load(bytes, at + 2, 2); ++j) {
          addFields(f, p + "aux[" + std::to_string(j) + "].", aux, kVernaux);
          aux += load(bytes, aux + 12, 4);
        }
        at += load(bytes, at + 12, 4);
      }
    }
    if (s.name == ".gnu.version_d") {
      uint64_t at = s.offset;
      for (unsigned i = 0; i < s.info; ++i) {
        std::string p = "verdef[" + std::to_string(i) + "].";
        addFields(f, p, at, kVerdef);
        uint64_t aux = at + load(bytes, at + 12, 4);
        for (unsigned j = 0; j < load(bytes, at + 6, 2); ++j) {
          addFields(f, p + "aux[" + std::to_string(j) + "].", aux, kVerdaux);
          aux += load(bytes, aux + 4, 4);
        }
        at += load(bytes, at + 16, 4);
      }
    }
  }
  for (const elf::Section &s : info.sections) {
    if (!symbols)
      break;
    if (s.name == ".dynsym")
      for (uint64_t i = 0; i < s.size / 24; ++i)
        addFields(f, "dynsym[" + std::to_string(i) + "].", s.offset + i * 24,
                  kSym);
    if (s.name == ".gnu.version") // all ones: version 0x7fff, defined nowhere
      for (uint64_t i = 0; i < s.size / 2; ++i)
        f.push_back(
            {"versym[" + std::to_string(i) + "]", s.offset + i * 2, 2, true});
    if (s.name == ".gnu.hash") {
      addFields(f, "gnu_hash.", s.offset, kGnuHash);
      uint64_t buckets = s.offset + 16 + load(bytes, s.offset + 8, 4) * 8;
      for (uint64_t i = 0; i < load(bytes, s.offset, 4); ++i)
        f.push_back({"gnu_hash.bucket[" + std::to_string(i) + "]",
                     buckets + i * 4, 4, load(bytes, buckets + i * 4, 4) != 0});
      uint64_t chains = buckets + load(bytes, s.offset, 4) * 4;
      for (uint64_t at = chains; at + 4 <= s.offset + s.size; at += 4)
        f.push_back(
            {"gnu_hash.chain[" + std::to_string((at - chains) / 4) + "]", at, 4,
             false});
    }
    if (s.name == ".rela.dyn" || s.name == ".rela.plt")
      for (uint64_t i = 0; i < s.size / 24; ++i)
        addFields(f, s.name + "[" + std::to_string(i) + "].", s.offset + i * 24,
                  kRela);
  }
  for (size_t i = 0; i < info.notes.size(); ++i) {
    std::string p = "note[" + std::to_string(i) + "].";
    uint64_t at = info.notes[i].fileOffset;
    f.push_back({p + "n_namesz", at, 4, true});
    f.push_back({p + "n_descsz", at + 4, 4, true});
    f.push_back({p + "n_type", at + 8, 4, false});
  }
  return f;
}

std::vector<uint64_t> hostileValues(uint64_t orig, unsigned size,
                                    uint64_t fileSize) {
  uint64_t ones = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
  uint64_t top = 1ull << (size * 8 - 1);
  return {0,
          1,
          ones,
          ones - 1,
          top,
          top - 1,
          orig + 1,
          orig - 1,
          orig ^ top,
          fileSize,
          fileSize - 1,
          orig * 2,
          orig + 0x1000};
}

struct Outcome {
  bool ok = false;
  bool warned = false;
  std::string error;
};

// Reads the image and, when it reads, renders it both ways.
Outcome readAndRender(const std::string &image, bool symbols = false) {
  elf::ReadOptions options;
  options.symbols = symbols;
  llvm::Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(image, "mutant"), options);
  if (!info)
    return {false, false, llvm::toString(info.takeError())};
  std::string text;
  llvm::raw_string_ostream os(text);
  describe::printText(os, "mutant", *info);
  os << describe::toJson("mutant", *info);
  return {true, !info->warnings.empty(), ""};
}

void expectCleanMessage(const std::string &msg, const std::string &what) {
  EXPECT_FALSE(msg.empty()) << what;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << what << ": " << msg;
  EXPECT_NE(msg.back(), '.') << what << ": " << msg;
}

// The fixture's bytes and what the reader makes of them (which must work).
std::optional<elf::ElfInfo> readFixture(const std::string &bytes,
                                        const char *path) {
  llvm::Expected<elf::ElfInfo> parsed =
      elf::read(llvm::MemoryBufferRef(bytes, path));
  if (!parsed) {
    ADD_FAILURE() << path << ": " << llvm::toString(parsed.takeError());
    return std::nullopt;
  }
  return std::move(*parsed);
}

void corruptEveryField(const char *path, bool symbols = false) {
  const std::string bytes = readBytes(path);
  std::optional<elf::ElfInfo> parsed = readFixture(bytes, path);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(readAndRender(bytes, symbols).ok) << path;
  std::vector<Field> fields = fieldsOf(bytes, *parsed, symbols);
  ASSERT_GT(fields.size(), 300u) << "the fixture should have many fields";

  size_t reads = 0, errors = 0, warned = 0;
  for (const Field &f : fields) {
    uint64_t orig = load(bytes, f.offset, f.size);
    for (uint64_t v : hostileValues(orig, f.size, bytes.size())) {
      std::string image = bytes;
      store(image, f.offset, f.size, v);
      Outcome o = readAndRender(image, symbols);
      ++reads;
      std::string what =
          std::string(path) + " " + f.name + "=" + std::to_string(v);
      if (!o.ok) {
        ++errors;
        expectCleanMessage(o.error, what);
      }
      warned += o.warned;
    }
    if (f.hugeFails) {
      std::string image = bytes;
      store(image, f.offset, f.size, ~0ull);
      EXPECT_FALSE(readAndRender(image, symbols).ok)
          << path << ": " << f.name << " set to all ones was accepted";
    }
  }
  // Sanity: all three outcomes occur. Many fields are harmless to the
  // reader (p_paddr, sh_addr, hashes); section header damage is a warning.
  EXPECT_GT(errors, reads / 20) << errors << " errors in " << reads;
  EXPECT_GT(warned, 0u) << "no corruption of a section header was noticed";
  EXPECT_LT(errors + warned, reads) << "every corruption failed";
}

void truncateEvery64Bytes(const char *path) {
  const std::string bytes = readBytes(path);
  std::optional<elf::ElfInfo> parsed = readFixture(bytes, path);
  ASSERT_TRUE(parsed.has_value());
  uint64_t segmentsEnd = 0;
  for (const elf::Segment &s : parsed->segments)
    segmentsEnd = std::max(segmentsEnd, s.offset + s.filesz);
  ASSERT_GT(bytes.size(), segmentsEnd) << "section headers follow the segments";
  for (uint64_t len = 0; len < bytes.size(); len += 64) {
    std::string cut = bytes.substr(0, len);
    llvm::Expected<elf::ElfInfo> info =
        elf::read(llvm::MemoryBufferRef(cut, "cut"));
    std::string what = std::string(path) + " cut at " + std::to_string(len);
    if (len < segmentsEnd) {
      // Something the loader maps is missing: always an error.
      ASSERT_FALSE(bool(info)) << what;
      expectCleanMessage(llvm::toString(info.takeError()), what);
    } else {
      // Only the section header table (or its tail) is missing: readable,
      // with a warning.
      ASSERT_TRUE(bool(info))
          << what << ": " << llvm::toString(info.takeError());
      EXPECT_FALSE(info->warnings.empty()) << what;
    }
  }
}

TEST(Malformed, KeptCrashInputs) {
  size_t count = 0;
  for (const auto &entry : std::filesystem::directory_iterator(CRASH_DIR)) {
    if (entry.path().extension() == ".md")
      continue;
    ++count;
    std::string bytes = readBytes(entry.path().c_str());
    Outcome o = readAndRender(bytes);
    if (!o.ok)
      expectCleanMessage(o.error, entry.path().string());
  }
  EXPECT_GT(count, 0u) << "no kept inputs found in " << CRASH_DIR;
}

TEST(Malformed, EveryFieldOfTheExecutable) { corruptEveryField(FIXTURE_PROG); }
TEST(Malformed, EveryFieldOfTheSharedLibrary) {
  corruptEveryField(FIXTURE_LIB);
}
TEST(Malformed, EveryFieldOfTheSymbolTablesOfTheExecutable) {
  corruptEveryField(FIXTURE_PROG, true);
}
TEST(Malformed, EveryFieldOfTheSymbolTablesOfTheSharedLibrary) {
  corruptEveryField(FIXTURE_LIB, true);
}
TEST(Malformed, TruncationsOfTheExecutable) {
  truncateEvery64Bytes(FIXTURE_PROG);
}
TEST(Malformed, TruncationsOfTheSharedLibrary) {
  truncateEvery64Bytes(FIXTURE_LIB);
}

} // namespace
