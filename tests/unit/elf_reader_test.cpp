// The ELF reader on files the host toolchain linked for these tests
// (tests/data/fixture_*.c): the facts CMake asked the linker for must come
// back, and unusable files must give a clear error.
#include "ldpin/elf.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <llvm/Support/MemoryBuffer.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ldpin;

namespace {

elf::ElfInfo readOk(const std::string &path) {
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path);
  if (!info) {
    ADD_FAILURE() << path << ": " << llvm::toString(info.takeError());
    return {};
  }
  return std::move(*info);
}

std::string readError(const std::string &path) {
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path);
  if (info)
    return "";
  return llvm::toString(info.takeError());
}

std::string tempPath(const std::string &name) {
  return (std::filesystem::temp_directory_path() /
          ("ldpin-unit-" + std::to_string(getpid()) + "-" + name))
      .string();
}

TEST(ElfReader, SharedLibraryHasSonameVersionDefinitionsAndBuildId) {
  elf::ElfInfo lib = readOk(FIXTURE_LIB);
  EXPECT_EQ(lib.elfClass, 64u);
  EXPECT_FALSE(lib.bigEndian);
  EXPECT_EQ(lib.type, 3); // ET_DYN
  ASSERT_TRUE(lib.soname.has_value());
  EXPECT_EQ(*lib.soname, "libfixture.so.1");
  EXPECT_FALSE(lib.interpreter.has_value());
  ASSERT_EQ(lib.versionDefs.size(), 3u);
  EXPECT_EQ(lib.versionDefs[0].names,
            std::vector<std::string>{"libfixture.so.1"});
  EXPECT_EQ(lib.versionDefs[0].flags & 1, 1); // VER_FLG_BASE
  EXPECT_EQ(lib.versionDefs[1].names, std::vector<std::string>{"FIXTURE_1"});
  // GNU ld records the parent of FIXTURE_2 as a second aux entry.
  EXPECT_EQ(lib.versionDefs[2].names,
            (std::vector<std::string>{"FIXTURE_2", "FIXTURE_1"}));
  EXPECT_EQ(lib.buildId.size(), 20u);
  EXPECT_TRUE(std::find(lib.needed.begin(), lib.needed.end(), "libc.so.6") !=
              lib.needed.end());
}

TEST(ElfReader, DlopenNoteIsRecognisedWithItsJson) {
  elf::ElfInfo lib = readOk(FIXTURE_LIB);
  const elf::Note *dl = nullptr;
  for (const elf::Note &n : lib.notes)
    if (n.kind == elf::NoteKind::FdoDlopen)
      dl = &n;
  ASSERT_NE(dl, nullptr);
  EXPECT_EQ(dl->owner, "FDO");
  EXPECT_EQ(dl->section, ".note.dlopen");
  std::string text(dl->desc.begin(), dl->desc.end());
  EXPECT_EQ(text.substr(0, text.find('\0')),
            R"([{"soname":["libz.so.1"],"priority":"required"}])");
}

TEST(ElfReader, ProgramHasInterpreterNeededRunpathAndVersionNeeds) {
  elf::ElfInfo prog = readOk(FIXTURE_PROG);
  ASSERT_TRUE(prog.interpreter.has_value());
  EXPECT_EQ(*prog.interpreter, "/lib64/ld-linux-x86-64.so.2");
  // (A sanitizer build adds its runtime to NEEDED: look, do not index.)
  EXPECT_NE(
      std::find(prog.needed.begin(), prog.needed.end(), "libfixture.so.1"),
      prog.needed.end());
  EXPECT_NE(std::find(prog.needed.begin(), prog.needed.end(), "libc.so.6"),
            prog.needed.end());
  ASSERT_TRUE(prog.runpath.has_value());
  EXPECT_FALSE(prog.rpath.has_value()); // --enable-new-dtags
  EXPECT_NE(prog.runpath->find("fixtures"), std::string::npos);
  ASSERT_TRUE(prog.dtFlags.has_value());
  EXPECT_TRUE(*prog.dtFlags & 0x8); // DF_BIND_NOW from -z now

  bool sawFixture = false, sawGlibc = false;
  for (const elf::VersionNeed &v : prog.versionNeeds) {
    std::vector<std::string> names;
    for (const elf::VersionNeedAux &a : v.aux)
      names.push_back(a.name);
    if (v.file == "libfixture.so.1") {
      sawFixture = true;
      std::sort(names.begin(), names.end());
      EXPECT_EQ(names, (std::vector<std::string>{"FIXTURE_1", "FIXTURE_2"}));
    }
    if (v.file == "libc.so.6")
      sawGlibc = std::any_of(names.begin(), names.end(), [](const auto &n) {
        return n.rfind("GLIBC_2.", 0) == 0;
      });
  }
  EXPECT_TRUE(sawFixture);
  EXPECT_TRUE(sawGlibc);
}

TEST(ElfReader, OffsetsPointAtTheBytesTheyDescribe) {
  // The editor will rely on these offsets: check them against the raw file.
  std::ifstream in(FIXTURE_PROG, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  elf::ElfInfo prog = readOk(FIXTURE_PROG);
  ASSERT_TRUE(prog.dynstr.has_value());
  for (const elf::DynEntry &d : prog.dynamic) {
    uint64_t tag;
    std::memcpy(&tag, bytes.data() + d.fileOffset, 8);
    EXPECT_EQ(static_cast<int64_t>(tag), d.tag);
    if (d.str) {
      std::string s = bytes.substr(prog.dynstr->offset + d.value);
      EXPECT_EQ(s.c_str(), *d.str);
    }
  }
  for (const elf::VersionNeed &v : prog.versionNeeds) {
    std::string s = bytes.substr(prog.dynstr->offset + v.fileNameOffset);
    EXPECT_EQ(s.c_str(), v.file);
  }
}

TEST(ElfReader, MissingFileDirectoryAndNonElfAreErrors) {
  EXPECT_EQ(readError("/nonexistent/ldpin-test"), "no such file");
  EXPECT_EQ(readError("/"), "is a directory");
  EXPECT_EQ(readError("/dev/null"), "not a regular file");
  std::string text = tempPath("text");
  std::ofstream(text) << "#!/bin/sh\necho hi\n";
  EXPECT_EQ(readError(text), "not an ELF file");
  std::string empty = tempPath("empty");
  std::ofstream(empty).close();
  EXPECT_EQ(readError(empty), "not an ELF file");
  std::filesystem::remove(text);
  std::filesystem::remove(empty);
}

TEST(ElfReader, UnknownClassAndByteOrderAreNamed) {
  std::ifstream in(FIXTURE_PROG, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string badClass = bytes;
  badClass[4] = 7;
  llvm::Expected<elf::ElfInfo> a =
      elf::read(llvm::MemoryBufferRef(badClass, "x"));
  ASSERT_FALSE(bool(a));
  EXPECT_EQ(llvm::toString(a.takeError()), "unknown ELF class 7 in e_ident");
  std::string badData = bytes;
  badData[5] = 3;
  llvm::Expected<elf::ElfInfo> b =
      elf::read(llvm::MemoryBufferRef(badData, "x"));
  ASSERT_FALSE(bool(b));
  EXPECT_EQ(llvm::toString(b.takeError()),
            "unknown ELF byte order 3 in e_ident");
}

TEST(ElfReader, TruncatedFileNamesTheSegmentCut) {
  std::ifstream in(FIXTURE_PROG, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string cut = bytes.substr(0, 4096);
  llvm::Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(cut, "x"));
  ASSERT_FALSE(bool(info));
  std::string msg = llvm::toString(info.takeError());
  EXPECT_NE(msg.find("program header"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lies outside the 0x1000 bytes"), std::string::npos)
      << msg;
}

TEST(ElfReader, BrokenSectionHeadersAreAWarningNotAnError) {
  // The loader never reads section headers; neither must a broken table
  // stop the reader. The notes then come from PT_NOTE.
  std::ifstream in(FIXTURE_LIB, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t huge = 0x7fffffffffffff00ull;
  std::memcpy(bytes.data() + 0x28, &huge, 8); // e_shoff
  llvm::Expected<elf::ElfInfo> info =
      elf::read(llvm::MemoryBufferRef(bytes, "x"));
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_TRUE(info->sections.empty());
  ASSERT_EQ(info->warnings.size(), 1u);
  EXPECT_EQ(info->warnings[0].rfind("section header table ignored: ", 0), 0u);
  ASSERT_TRUE(info->soname.has_value());
  EXPECT_EQ(*info->soname, "libfixture.so.1");
  EXPECT_EQ(info->buildId.size(), 20u);
  for (const elf::Note &n : info->notes)
    EXPECT_TRUE(n.section.empty());
}

TEST(ElfReader, MoldMixedAlignmentNoteSegmentIsReadAtFour) {
  // mold 1.10 puts the 8-aligned GNU property note and 4-aligned notes into
  // one PT_NOTE aligned to 8. Without section headers, only PT_NOTE is left.
  ldpin::test::TempDir d;
  ldpin::test::writeFile(d / "m.c", "int main(void) { return 0; }\n");
  ASSERT_EQ(ldpin::test::run("gcc -fuse-ld=mold " + d / "m.c" + " -o " +
                             d / "prog && llvm-objcopy-16 --strip-sections " +
                             d / "prog " + d / "stripped")
                .status,
            0);
  elf::ElfInfo info = readOk(d / "stripped");
  ASSERT_EQ(info.notes.size(), 3u);
  EXPECT_EQ(info.notes[0].kind, elf::NoteKind::GnuProperty);
  EXPECT_EQ(info.notes[1].kind, elf::NoteKind::GnuBuildId);
  EXPECT_EQ(info.notes[2].kind, elf::NoteKind::GnuAbiTag);
  EXPECT_EQ(info.buildId.size(), 20u);
  ASSERT_EQ(info.warnings.size(), 1u);
  EXPECT_NE(info.warnings[0].find("mixes note alignments"), std::string::npos);
}

elf::ElfInfo readSymbols(const std::string &path, bool sections = true) {
  elf::ReadOptions options;
  options.sections = sections;
  options.symbols = true;
  llvm::Expected<elf::ElfInfo> info = elf::readFile(path, options);
  if (!info) {
    ADD_FAILURE() << path << ": " << llvm::toString(info.takeError());
    return {};
  }
  return std::move(*info);
}

const elf::Symbol *symbolNamed(const elf::ElfInfo &info,
                               const std::string &name, size_t *index) {
  for (size_t i = 0; i < info.symbols.size(); ++i)
    if (info.symbols[i].name == name) {
      *index = i;
      return &info.symbols[i];
    }
  return nullptr;
}

TEST(ElfReader, DynamicSymbolsAreReadOnlyWhenAsked) {
  EXPECT_TRUE(readOk(FIXTURE_LIB).symbols.empty());
  elf::ElfInfo lib = readSymbols(FIXTURE_LIB);
  ASSERT_FALSE(lib.symbols.empty());
  EXPECT_TRUE(lib.hasVersym);
  EXPECT_EQ(lib.symbols[0].name, ""); // the null symbol
  size_t value = 0, next = 0, strlen = 0;
  const elf::Symbol *v = symbolNamed(lib, "fixture_value", &value);
  const elf::Symbol *n = symbolNamed(lib, "fixture_next", &next);
  const elf::Symbol *s = symbolNamed(lib, "strlen", &strlen);
  ASSERT_TRUE(v && n && s);
  EXPECT_TRUE(v->defined());
  EXPECT_EQ(v->binding, 1); // STB_GLOBAL
  EXPECT_EQ(v->type, 2);    // STT_FUNC
  EXPECT_EQ(v->version, "FIXTURE_1");
  EXPECT_FALSE(v->versionHidden);
  EXPECT_EQ(n->version, "FIXTURE_2");
  // A reference carries the version it needs.
  EXPECT_FALSE(s->defined());
  // (A sanitizer build links the fixture against libasan, whose strlen
  // is unversioned.)
  bool sanitized = std::any_of(lib.needed.begin(), lib.needed.end(),
                               [](const std::string &n) {
                                 return n.rfind("libasan.so", 0) == 0;
                               });
  if (!sanitized)
    EXPECT_EQ(s->version.rfind("GLIBC_2.", 0), 0u) << s->version;
  // fixture_next calls fixture_value through the PLT, and strlen.
  auto relocated = [&](size_t i) {
    return std::binary_search(lib.relocatedSymbols.begin(),
                              lib.relocatedSymbols.end(), uint32_t(i));
  };
  EXPECT_TRUE(relocated(value));
  EXPECT_TRUE(relocated(strlen));
  EXPECT_FALSE(relocated(next));
  EXPECT_TRUE(
      std::is_sorted(lib.relocatedSymbols.begin(), lib.relocatedSymbols.end()));
  // Without section headers, the same from the loader's view.
  elf::ElfInfo loaderView = readSymbols(FIXTURE_LIB, false);
  EXPECT_EQ(loaderView.symbols.size(), lib.symbols.size());
  EXPECT_EQ(loaderView.relocatedSymbols, lib.relocatedSymbols);
}

TEST(ElfReader, TheSymbolCountComesFromEitherHashTable) {
  ldpin::test::TempDir d;
  ldpin::test::writeFile(d / "h.c", "int h1(void) { return 1; }\n"
                                    "int h2(void) { return h1() + 1; }\n"
                                    "int h3;\n");
  std::vector<std::string> names;
  for (const char *style : {"sysv", "gnu", "both"}) {
    std::string lib = d / (std::string("lib-") + style + ".so");
    ASSERT_EQ(ldpin::test::run("gcc -shared -fPIC " + d / "h.c" +
                               " -Wl,--hash-style=" + style + " -o " + lib)
                  .status,
              0);
    elf::ElfInfo info = readSymbols(lib, false);
    uint64_t dynsym = 0;
    for (const elf::Section &s : readOk(lib).sections)
      if (s.name == ".dynsym")
        dynsym = s.size / s.entsize;
    EXPECT_EQ(info.symbols.size(), dynsym) << style;
    std::vector<std::string> these;
    for (const elf::Symbol &s : info.symbols)
      these.push_back(s.name);
    std::sort(these.begin(), these.end());
    if (names.empty())
      names = these;
    EXPECT_EQ(these, names) << style;
  }
  EXPECT_TRUE(std::find(names.begin(), names.end(), "h3") != names.end());
}

TEST(ElfReader, WithoutAHashTableOnlyTheSectionHeaderGivesTheCount) {
  ldpin::test::TempDir d;
  ldpin::test::writeFile(d / "h.c", "int h1(void) { return 1; }\n");
  ASSERT_EQ(ldpin::test::run("gcc -shared -fPIC " + d / "h.c" +
                             " -Wl,--hash-style=gnu -o " + d / "lib.so")
                .status,
            0);
  // DT_GNU_HASH retagged as DT_DEBUG, which nothing reads.
  std::string bytes = ldpin::test::readFile(d / "lib.so");
  elf::ElfInfo info = readOk(d / "lib.so");
  size_t expected = readSymbols(d / "lib.so").symbols.size();
  for (const elf::DynEntry &e : info.dynamic)
    if (e.tag == 0x6ffffef5) {
      int64_t debug = 21;
      std::memcpy(bytes.data() + e.fileOffset, &debug, 8);
    }
  elf::ReadOptions options;
  options.symbols = true;
  llvm::Expected<elf::ElfInfo> withSections =
      elf::read(llvm::MemoryBufferRef(bytes, "x"), options);
  ASSERT_TRUE(bool(withSections)) << llvm::toString(withSections.takeError());
  EXPECT_EQ(withSections->symbols.size(), expected);
  options.sections = false;
  llvm::Expected<elf::ElfInfo> without =
      elf::read(llvm::MemoryBufferRef(bytes, "x"), options);
  ASSERT_FALSE(bool(without));
  EXPECT_EQ(llvm::toString(without.takeError()),
            "DT_SYMTAB without DT_GNU_HASH or DT_HASH, and no .dynsym "
            "section header gives its size");
}

} // namespace
