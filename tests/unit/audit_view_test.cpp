// The audit module's freestanding reader (audit/elf_view.h), built hosted:
// on 600 ELF files of the host's library directory and /usr/bin it
// reads what core's reader reads (NEEDED, version needs and definitions,
// the record), and no truncation or single-field corruption of a real file
// makes it read outside the bytes (the ASan build runs this too).
#include "ldpin/elf.h"
#include "ldpin/note.h"

#include "test_util.h"

#include <gtest/gtest.h>

// Last: it includes the system's <elf.h>, whose macros would rename LLVM's
// constants.
#include "elf_view.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace ldpin;

namespace {

struct Read {
  std::vector<std::string> needed;
  std::vector<std::string> versionNeeds; // "file version"
  std::optional<std::string> channel, libc, soname;
  bool record = false;
};

// What the audit reader makes of `bytes`; null when it refuses them.
const char *auditRead(const std::string &bytes, Read &out, audit::ElfView &v) {
  const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  if (const char *why = audit::readElf(p, bytes.size(), v))
    return why;
  bool bad = false;
  audit::forEachNeeded(
      v, [&](const char *n) { return out.needed.emplace_back(n), true; }, &bad);
  if (bad)
    return "bad NEEDED";
  if (const char *why =
          audit::forEachVersionNeed(v, [&](const char *f, const char *n, bool) {
            out.versionNeeds.push_back(std::string(f) + " " + n);
            return true;
          }))
    return why;
  out.record = v.record.present;
  if (v.record.channel)
    out.channel = v.record.channel;
  if (v.record.libc)
    out.libc = v.record.libc;
  if (v.record.soname)
    out.soname = v.record.soname;
  return nullptr;
}

// The ELF files of the host's library directory and /usr/bin, in name
// order, up to 2 MB each (the sanitizer build reads them too).
std::vector<std::string> sharedObjects() {
  std::vector<std::string> out = {FIXTURE_LIB, FIXTURE_PROG};
  for (const char *dir : {"/usr/lib/x86_64-linux-gnu", "/usr/bin"}) {
    std::error_code ec;
    std::vector<std::filesystem::directory_entry> entries;
    for (const auto &e : std::filesystem::directory_iterator(dir, ec))
      entries.push_back(e);
    std::sort(entries.begin(), entries.end());
    for (const auto &e : entries) {
      if (!e.is_regular_file(ec) || e.is_symlink(ec) ||
          e.file_size(ec) > (2u << 20))
        continue;
      std::string head = test::readFile(e.path().string()).substr(0, 4);
      if (head == "\x7f"
                  "ELF")
        out.push_back(e.path().string());
    }
  }
  return out;
}

TEST(AuditView, ReadsWhatCoreReadsOnEveryHostFile) {
  size_t files = 0, withNeeds = 0;
  for (const std::string &path : sharedObjects()) {
    llvm::Expected<elf::ElfInfo> info =
        elf::readFile(path, elf::ReadOptions{false, true});
    if (!info) {
      llvm::consumeError(info.takeError());
      continue;
    }
    if (!info->hasDynamic || info->elfClass != 64 || info->machine != EM_X86_64)
      continue;
    std::string bytes = test::readFile(path);
    Read got;
    audit::ElfView v;
    const char *why = auditRead(bytes, got, v);
    ASSERT_EQ(why, nullptr) << path << ": " << why;
    EXPECT_EQ(got.needed, info->needed) << path;
    std::vector<std::string> want;
    for (const elf::VersionNeed &n : info->versionNeeds)
      for (const elf::VersionNeedAux &a : n.aux)
        want.push_back(n.file + " " + a.name);
    EXPECT_EQ(got.versionNeeds, want) << path;
    for (const elf::VersionDef &d : info->versionDefs)
      EXPECT_TRUE(audit::definesVersion(v, d.names.front().c_str()))
          << path << " " << d.names.front();
    EXPECT_FALSE(audit::definesVersion(v, "LDPIN_NO_SUCH_VERSION")) << path;
    withNeeds += !want.empty();
    if (++files == 600)
      break;
  }
  EXPECT_GT(files, 300u);
  EXPECT_GT(withNeeds, 300u);
}

// A record as the wrapper writes it reads back the same through both
// parsers.
TEST(AuditView, ReadsTheRecordCoreWrites) {
  note::Record r;
  r.channel = "nixos-26.05";
  r.libc = "/nix/store/aaaa-glibc/lib/libc.so.6";
  r.soname = "libfoo.so.1";
  r.needed.push_back({"libc.so.6", "/nix/store/aaaa-glibc/lib/libc.so.6", ""});
  r.buildRunpath.push_back("/build/lib");
  llvm::Expected<std::vector<uint8_t>> desc = note::encode(r, false, 512);
  ASSERT_TRUE(bool(desc)) << llvm::toString(desc.takeError());
  audit::Record got;
  ASSERT_EQ(audit::parseRecord(desc->data(), desc->size(), got), nullptr);
  ASSERT_TRUE(got.present);
  EXPECT_STREQ(got.channel, r.channel->c_str());
  EXPECT_STREQ(got.libc, r.libc->c_str());
  EXPECT_STREQ(got.soname, r.soname->c_str());
  // Every truncation of it is refused, none read past its end.
  for (size_t n = 0; n + 1 < desc->size(); ++n) {
    std::vector<uint8_t> cut(desc->begin(), desc->begin() + n);
    audit::Record c;
    const char *why = audit::parseRecord(cut.data(), cut.size(), c);
    if (n < 16 || n < *reinterpret_cast<const uint32_t *>(desc->data() + 4))
      EXPECT_NE(why, nullptr) << n;
  }
}

// Truncations and single-field corruptions of real files: an error or a
// reading, never a read outside the bytes (ASan, UBSan in the asan build).
TEST(AuditView, TruncatedAndCorruptedFilesAreRefusedOrReadInBounds) {
  for (const char *path :
       {FIXTURE_LIB, FIXTURE_PROG, "/usr/lib/x86_64-linux-gnu/libc.so.6"}) {
    const std::string real = test::readFile(path);
    for (size_t n = 0; n < real.size(); n += n < 4096 ? 7 : 4093) {
      std::string cut = real.substr(0, n);
      Read got;
      audit::ElfView v;
      auditRead(cut, got, v);
    }
    for (size_t at = 0; at < std::min<size_t>(real.size(), 8192); at += 3) {
      for (unsigned char b : {0x00, 0xff, 0x7f, 0x80}) {
        std::string bad = real;
        bad[at] = static_cast<char>(b);
        Read got;
        audit::ElfView v;
        auditRead(bad, got, v);
        audit::definesVersion(v, "GLIBC_2.2.5");
      }
    }
  }
}

} // namespace
