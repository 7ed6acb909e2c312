// The checked helpers: every bound and overflow case gives an error, never
// an out-of-range access.
#include "ldpin/checked.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

using namespace ldpin;

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

TEST(Checked, AddDetectsOverflow) {
  llvm::Expected<uint64_t> ok = checkedAdd(1, 2, "sum");
  ASSERT_TRUE(bool(ok));
  EXPECT_EQ(*ok, 3u);
  llvm::Expected<uint64_t> bad = checkedAdd(UINT64_MAX, 1, "sum");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(errorText(bad.takeError()),
            "sum: 0xffffffffffffffff + 0x1 overflows 64 bits");
}

TEST(Checked, MulDetectsOverflow) {
  llvm::Expected<uint64_t> bad = checkedMul(1ull << 40, 1ull << 40, "table");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(errorText(bad.takeError()).find("overflows"), std::string::npos);
}

TEST(Checked, SliceRejectsRangesPastTheEndAndWrapAround) {
  std::vector<uint8_t> data(16);
  EXPECT_TRUE(bool(checkedSlice(data, 0, 16, "x")));
  EXPECT_TRUE(bool(checkedSlice(data, 16, 0, "x")));
  llvm::Expected<llvm::ArrayRef<uint8_t>> past = checkedSlice(data, 8, 9, "x");
  ASSERT_FALSE(bool(past));
  EXPECT_EQ(errorText(past.takeError()),
            "x at offset 0x8 with size 0x9 lies outside the 0x10 bytes "
            "available");
  llvm::Expected<llvm::ArrayRef<uint8_t>> wrap =
      checkedSlice(data, 8, UINT64_MAX - 4, "x");
  EXPECT_FALSE(bool(wrap));
  llvm::consumeError(wrap.takeError());
}

TEST(Checked, CStringNeedsItsNulInsideTheTable) {
  const uint8_t table[] = {'a', 'b', 0, 'c', 'd'};
  llvm::Expected<llvm::StringRef> ab = checkedCString(table, 0, "name");
  ASSERT_TRUE(bool(ab));
  EXPECT_EQ(*ab, "ab");
  llvm::Expected<llvm::StringRef> empty = checkedCString(table, 2, "name");
  ASSERT_TRUE(bool(empty));
  EXPECT_EQ(*empty, "");
  llvm::Expected<llvm::StringRef> open = checkedCString(table, 3, "name");
  ASSERT_FALSE(bool(open));
  EXPECT_NE(errorText(open.takeError()).find("not NUL-terminated"),
            std::string::npos);
  llvm::Expected<llvm::StringRef> outside = checkedCString(table, 5, "name");
  ASSERT_FALSE(bool(outside));
  EXPECT_NE(errorText(outside.takeError()).find("outside the string table"),
            std::string::npos);
}

TEST(Checked, ReadCopiesMisalignedStructures) {
  std::vector<uint8_t> data = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  llvm::Expected<uint32_t> v = checkedRead<uint32_t>(data, 1, "word");
  ASSERT_TRUE(bool(v));
  EXPECT_EQ(*v, 0x04030201u); // host order, from an odd offset
  llvm::Expected<uint64_t> past = checkedRead<uint64_t>(data, 2, "word");
  EXPECT_FALSE(bool(past));
  llvm::consumeError(past.takeError());
}

TEST(Checked, PrintableEscapesControlsAndBrokenUtf8AndCuts) {
  EXPECT_EQ(printable("libz.so.1"), "libz.so.1");
  EXPECT_EQ(printable("a\nb\x1b[31m"), "a\\x0ab\\x1b[31m");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9"); // valid UTF-8 stays
  EXPECT_EQ(printable("caf\xe9"), "caf\\xe9");        // Latin-1 does not
  EXPECT_EQ(printable("abcdef", 3), "abc...");
  EXPECT_EQ(printable(llvm::StringRef("a\0b", 3)), "a\\x00b");
}

} // namespace
