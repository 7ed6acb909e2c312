// The policy file: defaults, every key, and clear errors for bad values and
// unknown keys (a typo must not silently fall back to a default).
#include "ldpin/policy.h"

#include <gtest/gtest.h>

using namespace ldpin;

namespace {

std::string error(const std::string &text) {
  llvm::Expected<Policy> p = parsePolicy(text, "ldpin.toml");
  if (p)
    return "";
  return llvm::toString(p.takeError());
}

TEST(Policy, EmptyFileGivesTheDefaults) {
  llvm::Expected<Policy> p = parsePolicy("", "ldpin.toml");
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->pin, Policy::Pin::Store);
  EXPECT_TRUE(p->new_dtags);
  EXPECT_EQ(p->reserve_extra, 256u);
  EXPECT_TRUE(p->absolute_soname);
  EXPECT_TRUE(p->preload_searched);
  EXPECT_TRUE(p->linker.empty());
  EXPECT_TRUE(p->dlopen_dirs.empty());
  EXPECT_TRUE(p->audit.empty());
  EXPECT_TRUE(p->symbolic.empty());
  EXPECT_TRUE(p->symbolic_functions.empty());
}

TEST(Policy, EveryKey) {
  llvm::Expected<Policy> p = parsePolicy(
      "linker = \"/nix/store/x-binutils/bin/ld\"\n"
      "dlopen_dirs = [\"/run/opengl-driver/lib\", \"$ORIGIN/plugins\"]\n"
      "pin = \"all\"\nnew_dtags = false\nreserve_extra = 1024\n"
      "absolute_soname = false\npreload_searched = false\n",
      "ldpin.toml");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->linker, "/nix/store/x-binutils/bin/ld");
  EXPECT_EQ(p->dlopen_dirs, (std::vector<std::string>{"/run/opengl-driver/lib",
                                                      "$ORIGIN/plugins"}));
  EXPECT_EQ(p->pin, Policy::Pin::All);
  EXPECT_FALSE(p->new_dtags);
  EXPECT_EQ(p->reserve_extra, 1024u);
  EXPECT_FALSE(p->absolute_soname);
  EXPECT_FALSE(p->preload_searched);
  for (auto [text, want] : {std::pair{"audit = true", kAuditBuiltin},
                            {"audit = false", ""},
                            {"audit = \"/nix/store/x-ldpin/lib/a.so\"",
                             "/nix/store/x-ldpin/lib/a.so"}}) {
    llvm::Expected<Policy> a = parsePolicy(text, "ldpin.toml");
    ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
    EXPECT_EQ(a->audit, want) << text;
  }
}

TEST(Policy, SymbolicGlobsChooseTheFlagOfALibraryByItsName) {
  llvm::Expected<Policy> p =
      parsePolicy("symbolic = [\"libA.so*\", \"libLLVM-*.so\"]\n"
                  "symbolic_functions = [\"libB.so.[0-9]\", \"libA.so.1\"]\n",
                  "ldpin.toml");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->symbolic,
            (std::vector<std::string>{"libA.so*", "libLLVM-*.so"}));
  EXPECT_EQ(p->symbolic_functions,
            (std::vector<std::string>{"libB.so.[0-9]", "libA.so.1"}));
  std::string glob;
  // -Bsymbolic covers functions too: `symbolic` is asked first.
  EXPECT_STREQ(symbolicFlag(*p, "libA.so.1", &glob), "-Bsymbolic");
  EXPECT_EQ(glob, "libA.so*");
  EXPECT_STREQ(symbolicFlag(*p, "libLLVM-16.so", &glob), "-Bsymbolic");
  EXPECT_EQ(glob, "libLLVM-*.so");
  EXPECT_STREQ(symbolicFlag(*p, "libB.so.2", &glob), "-Bsymbolic-functions");
  EXPECT_EQ(glob, "libB.so.[0-9]");
  EXPECT_EQ(symbolicFlag(*p, "libB.so.12"), nullptr);
  EXPECT_EQ(symbolicFlag(*p, "libC.so.1"), nullptr);
  EXPECT_EQ(symbolicFlag(Policy{}, "libA.so.1"), nullptr);
}

TEST(Policy, BadValuesAndUnknownKeysAreErrorsWithTheLine) {
  EXPECT_EQ(error("pin = \"sometimes\"\n"),
            "ldpin.toml:1: pin must be \"store\", \"all\" or \"none\"");
  EXPECT_EQ(error("\nlinker = \"ld\"\n"),
            "ldpin.toml:2: linker must be an absolute path");
  EXPECT_NE(error("dlopen_dirs = [\"/a:/b\"]\n").find("contains ':'"),
            std::string::npos);
  EXPECT_NE(error("dlopen_dirs = [\"relative\"]\n").find("absolute"),
            std::string::npos);
  EXPECT_NE(error("reserve_extra = -1\n").find("reserve_extra"),
            std::string::npos);
  EXPECT_NE(error("new_dtag = true\n").find("unknown key 'new_dtag'"),
            std::string::npos);
  EXPECT_NE(error("pin = \n").find("ldpin.toml:1"), std::string::npos);
  // A number is not a boolean (toml++ would convert it).
  EXPECT_NE(error("new_dtags = 1\n").find("new_dtags must be true or false"),
            std::string::npos);
  EXPECT_NE(error("absolute_soname = 0\n").find("must be true or false"),
            std::string::npos);
  EXPECT_EQ(error("preload_searched = \"yes\"\n"),
            "ldpin.toml:1: preload_searched must be true or false");
  for (const char *bad : {"audit = \"libldpin-audit.so\"", "audit = \"\"",
                          "audit = \"/a.so:/b.so\"", "audit = 1"})
    EXPECT_NE(error(bad).find("audit must be true, false or the absolute"),
              std::string::npos)
        << bad;
  for (const char *bad :
       {"symbolic = \"libA.so*\"", "symbolic = [\"\"]",
        "symbolic = [\"/nix/store/x-a/lib/libA.so.1\"]", "symbolic = [1]",
        "symbolic_functions = [\"lib/libA.so\"]", "symbolic_functions = true"})
    EXPECT_NE(error(bad).find("must be an array of globs of library file "
                              "names (\"libfoo.so*\": no '/')"),
              std::string::npos)
        << bad << ": " << error(bad);
  EXPECT_EQ(error("\nsymbolic = [\"a/b\"]\n").substr(0, 13), "ldpin.toml:2:");
  EXPECT_NE(error("symbolik = []\n").find("symbolic, symbolic_functions)"),
            std::string::npos);
  llvm::Expected<Policy> missing = readPolicy("/nonexistent/ldpin.toml");
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "/nonexistent/ldpin.toml: cannot read the policy file: No such "
            "file or directory");
}

} // namespace
