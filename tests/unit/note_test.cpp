// The `.note.ldpin` record: round trips in both byte orders, and each rule of
// doc/ldpin-note.md enforced by the parser.
#include "ldpin/note.h"

#include <gtest/gtest.h>

using namespace ldpin;

namespace {

note::Record sample() {
  note::Record r;
  r.reserveOffset = 0x120;
  r.reserveSize = 1800;
  r.channel = "nixos-24.05.1234abcd";
  r.libc = "/nix/store/aaaa-glibc-2.39/lib/libc.so.6";
  r.needed = {{"libz.so.1", "/nix/store/bbbb-zlib-1.3/lib/libz.so.1",
               "0123456789abcdef0123456789abcdef01234567"},
              {"libinternal.so", "", ""}};
  r.soname = "libfoo.so.1";
  r.buildRunpath = {"/build/src/.libs"};
  return r;
}

void put32(std::vector<uint8_t> &d, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    d[at + i] = static_cast<uint8_t>(v >> (8 * i)); // little endian
}

std::string parseError(const std::vector<uint8_t> &d) {
  llvm::Expected<note::Record> r = note::parse(d, false);
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

TEST(LdpinNote, RoundTripsInBothByteOrders) {
  for (bool big : {false, true}) {
    note::Record r = sample();
    uint32_t size = note::encodedSize(r) + 64;
    llvm::Expected<std::vector<uint8_t>> d = note::encode(r, big, size);
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    EXPECT_EQ(d->size(), size);
    llvm::Expected<note::Record> back = note::parse(*d, big);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(*back, r);
  }
}

TEST(LdpinNote, ByteOrderIsTheFilesNotTheHosts) {
  llvm::Expected<std::vector<uint8_t>> d =
      note::encode(sample(), true, note::encodedSize(sample()));
  ASSERT_TRUE(bool(d));
  EXPECT_EQ((*d)[3], note::kVersion); // the version, big endian
  EXPECT_EQ((*d)[0], 0);
  llvm::Expected<note::Record> wrong = note::parse(*d, false);
  EXPECT_FALSE(bool(wrong));
  llvm::consumeError(wrong.takeError());
}

TEST(LdpinNote, EncodeRefusesTooSmallOrUnalignedSpace) {
  note::Record r = sample();
  llvm::Expected<std::vector<uint8_t>> small =
      note::encode(r, false, note::encodedSize(r) - 4);
  ASSERT_FALSE(bool(small));
  EXPECT_NE(llvm::toString(small.takeError()).find("only"), std::string::npos);
  llvm::Expected<std::vector<uint8_t>> odd =
      note::encode(r, false, note::encodedSize(r) + 2);
  EXPECT_FALSE(bool(odd));
  llvm::consumeError(odd.takeError());
}

TEST(LdpinNote, WholeNoteHasOwnerTypeAndSize) {
  llvm::Expected<std::vector<uint8_t>> n =
      note::encodeNote(sample(), false, 512);
  ASSERT_TRUE(bool(n));
  ASSERT_EQ(n->size(), 20u + 512u);
  EXPECT_EQ((*n)[0], 6); // namesz
  EXPECT_EQ((*n)[4], 0); // descsz 512 = 0x200
  EXPECT_EQ((*n)[5], 2);
  EXPECT_EQ((*n)[8], 1); // NT_LDPIN_RECORD
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(&(*n)[12])), "ldpin");
}

TEST(LdpinNote, ParserEnforcesTheRules) {
  llvm::Expected<std::vector<uint8_t>> good =
      note::encode(sample(), false, note::encodedSize(sample()) + 16);
  ASSERT_TRUE(bool(good));
  uint32_t used = note::encodedSize(sample());
  EXPECT_EQ(parseError(*good), "");

  // Versions 1 (reserve_* name the free part) and 2 (the whole region) are
  // read; others are not.
  std::vector<uint8_t> d = *good;
  put32(d, 0, 1);
  llvm::Expected<note::Record> v1 = note::parse(d, false);
  ASSERT_TRUE(bool(v1)) << llvm::toString(v1.takeError());
  EXPECT_EQ(v1->version, 1u);
  for (uint32_t v : {0u, 3u}) {
    put32(d, 0, v);
    EXPECT_NE(parseError(d).find("unsupported format version " +
                                 std::to_string(v)),
              std::string::npos);
  }

  d = *good;
  put32(d, 4, used + 2);
  EXPECT_NE(parseError(d).find("used size"), std::string::npos);
  put32(d, 4, static_cast<uint32_t>(d.size()) + 4);
  EXPECT_NE(parseError(d).find("used size"), std::string::npos);

  d = *good;
  put32(d, 8, 0xfffffff0);
  put32(d, 12, 0x100);
  EXPECT_NE(parseError(d).find("overflows"), std::string::npos);

  d = *good; // the first record's length runs past the used size
  put32(d, 20, used);
  EXPECT_NE(parseError(d).find("lies outside"), std::string::npos);

  d = *good; // the end record is cut off
  put32(d, 4, used - 8);
  EXPECT_NE(parseError(d).find("end record"), std::string::npos);

  d = *good; // the channel string loses its NUL
  put32(d, 20, static_cast<uint32_t>(sample().channel->size()));
  EXPECT_NE(parseError(d), "");

  EXPECT_NE(parseError(std::vector<uint8_t>(8)), "");
}

TEST(LdpinNote, NeededHoldsExactlyThreeStrings) {
  note::Record r;
  r.needed = {{"a", "b", "c"}};
  llvm::Expected<std::vector<uint8_t>> d =
      note::encode(r, false, note::encodedSize(r));
  ASSERT_TRUE(bool(d));
  // The value "a\0b\0c\0" sits at offset 24; make it "a\0bxc\0".
  (*d)[24 + 3] = 'x';
  EXPECT_NE(parseError(*d).find("holds 2 strings, expected 3"),
            std::string::npos);
}

TEST(LdpinNote, UnknownTagsAreSkipped) {
  note::Record r;
  r.channel = "c";
  llvm::Expected<std::vector<uint8_t>> d =
      note::encode(r, false, note::encodedSize(r));
  ASSERT_TRUE(bool(d));
  put32(*d, 16, 99); // the channel record becomes an unknown tag
  llvm::Expected<note::Record> back = note::parse(*d, false);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_FALSE(back->channel.has_value());
}

} // namespace
